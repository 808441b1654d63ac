"""Bounds-checked binary codecs: a Writer, a Reader, and field codecs built on them.

All multi-byte integers are big-endian; varints are LEB128 (7 bits a byte,
low group first); signed varints are zigzag-mapped first. A Reader never lets
IndexError or struct.error escape: running off the end, an over-long varint, a
count above its bound, bad UTF-8 or an out-of-range value all raise
ProtocolError.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from engine.net.errors import ProtocolError

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I32 = struct.Struct(">i")
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")

MAX_VARINT_BYTES = 10  # enough for 64 bits


class Writer:
    """Appends encoded values to a bytearray."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self.buf)

    def u8(self, value: int) -> None:
        self.buf.append(value)

    def u16(self, value: int) -> None:
        self.buf += _U16.pack(value)

    def u32(self, value: int) -> None:
        self.buf += _U32.pack(value)

    def u64(self, value: int) -> None:
        self.buf += _U64.pack(value)

    def i32(self, value: int) -> None:
        self.buf += _I32.pack(value)

    def f32(self, value: float) -> None:
        self.buf += _F32.pack(value)

    def f64(self, value: float) -> None:
        self.buf += _F64.pack(value)

    def uvarint(self, value: int) -> None:
        if 0 <= value < 0x80:  # most counts, ids and deltas: one byte
            self.buf.append(value)
            return
        if value < 0:
            raise ValueError(f"uvarint cannot encode {value}")
        buf = self.buf
        while value >= 0x80:
            buf.append((value & 0x7F) | 0x80)
            value >>= 7
        buf.append(value)

    def svarint(self, value: int) -> None:
        self.uvarint((value << 1) if value >= 0 else ((-value << 1) - 1))

    def raw(self, data: bytes) -> None:
        self.buf += data

    def string(self, value: str, max_bytes: int = 255) -> None:
        data = value.encode("utf-8")
        if len(data) > max_bytes:
            raise ValueError(f"string of {len(data)} bytes exceeds {max_bytes}")
        self.uvarint(len(data))
        self.buf += data


class Reader:
    """Reads encoded values from bytes, raising ProtocolError on anything malformed."""

    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self.data = bytes(data) if not isinstance(data, bytes) else data
        self.pos = pos
        self.end = len(self.data)

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def _take(self, size: int, what: str) -> int:
        start = self.pos
        if start + size > self.end:
            raise ProtocolError(f"truncated {what}: need {size} bytes, {self.end - start} left")
        self.pos = start + size
        return start

    def u8(self) -> int:
        return self.data[self._take(1, "u8")]

    def u16(self) -> int:
        return _U16.unpack_from(self.data, self._take(2, "u16"))[0]

    def u32(self) -> int:
        return _U32.unpack_from(self.data, self._take(4, "u32"))[0]

    def u64(self) -> int:
        return _U64.unpack_from(self.data, self._take(8, "u64"))[0]

    def i32(self) -> int:
        return _I32.unpack_from(self.data, self._take(4, "i32"))[0]

    def f32(self) -> float:
        return _F32.unpack_from(self.data, self._take(4, "f32"))[0]

    def f64(self) -> float:
        return _F64.unpack_from(self.data, self._take(8, "f64"))[0]

    def uvarint(self) -> int:
        data, pos, end = self.data, self.pos, self.end
        if pos < end and data[pos] < 0x80:  # the common one-byte case
            self.pos = pos + 1
            return data[pos]
        result = shift = 0
        for count in range(MAX_VARINT_BYTES):
            if pos >= end:
                raise ProtocolError("truncated varint")
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                if count and byte == 0:
                    raise ProtocolError("varint has a redundant zero byte")
                self.pos = pos
                return result
            shift += 7
        raise ProtocolError(f"varint longer than {MAX_VARINT_BYTES} bytes")

    def svarint(self) -> int:
        raw = self.uvarint()
        return (raw >> 1) if not raw & 1 else -((raw + 1) >> 1)

    def count(self, maximum: int, what: str = "count") -> int:
        """A uvarint element count, refused above `maximum` before anything is allocated."""
        value = self.uvarint()
        if value > maximum:
            raise ProtocolError(f"{what} {value} exceeds the limit of {maximum}")
        return value

    def raw(self, size: int) -> bytes:
        start = self._take(size, "bytes")
        return self.data[start : start + size]

    def string(self, max_bytes: int = 255) -> str:
        size = self.count(max_bytes, "string length")
        try:
            return self.raw(size).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("string is not valid UTF-8") from None

    def expect_end(self, what: str = "message") -> None:
        if self.pos != self.end:
            raise ProtocolError(f"{self.end - self.pos} unexpected bytes after {what}")


def clip_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `max_bytes` bytes."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


# -- field codecs --------------------------------------------------------------------------


class Codec:
    """Encodes one field. `key` is the value as the wire sees it (after quantization):
    two values with the same key encode identically, so diffs compare keys."""

    # How a client blends two keys of this field between snapshots: None holds the older
    # key (text, flags, enums, counts); 0.0 blends linearly; a positive number is a period
    # in keys, blended the short way round (an angle: 359 -> 1 goes through 0, not 180).
    blend: float | None = None

    def write(self, w: Writer, value: Any) -> None:
        raise NotImplementedError

    def read(self, r: Reader) -> Any:
        raise NotImplementedError

    def key(self, value: Any) -> Any:
        return value

    def from_key(self, key: Any) -> Any:
        return key

    def write_key(self, w: Writer, key: Any) -> None:
        self.write(w, self.from_key(key))

    def read_key(self, r: Reader) -> Any:
        return self.key(self.read(r))

    # Delta against the previous key; by default a change is sent whole.
    def write_delta(self, w: Writer, old: Any, new: Any) -> None:
        self.write_key(w, new)

    def read_delta(self, r: Reader, old: Any) -> Any:
        return self.read_key(r)

    def describe(self) -> str:
        return type(self).__name__

    def key_expr(self, value: str) -> str | None:
        """`key` as a Python expression over `value`, for compiled key functions (None: call
        the method). Only pure arithmetic on the value and constants belongs here."""
        return value if type(self).key is Codec.key else None


class U8(Codec):
    def write(self, w: Writer, value: int) -> None:
        w.u8(value)

    def read(self, r: Reader) -> int:
        return r.u8()


class U16(Codec):
    def write(self, w: Writer, value: int) -> None:
        w.u16(value)

    def read(self, r: Reader) -> int:
        return r.u16()


class U32(Codec):
    def write(self, w: Writer, value: int) -> None:
        w.u32(value)

    def read(self, r: Reader) -> int:
        return r.u32()


class U64(Codec):
    def write(self, w: Writer, value: int) -> None:
        w.u64(value)

    def read(self, r: Reader) -> int:
        return r.u64()


class F32(Codec):
    """An IEEE float; NaN and infinities are refused on the way in."""

    blend = 0.0

    def write(self, w: Writer, value: float) -> None:
        w.f32(value)

    def read(self, r: Reader) -> float:
        value = r.f32()
        if not math.isfinite(value):
            raise ProtocolError("float is not finite")
        return value

    def key(self, value: float) -> float:
        return _F32.unpack(_F32.pack(value))[0]


class Bool(Codec):
    def write(self, w: Writer, value: bool) -> None:
        w.u8(1 if value else 0)

    def read(self, r: Reader) -> bool:
        byte = r.u8()
        if byte > 1:
            raise ProtocolError(f"bool byte is {byte}, not 0 or 1")
        return byte == 1


class UVarint(Codec):
    def __init__(self, maximum: int = 2**32 - 1) -> None:
        self.maximum = maximum

    def write(self, w: Writer, value: int) -> None:
        w.uvarint(self.key(value))

    def key(self, value: int) -> int:
        """Clamped into range, as the receiver requires: a sender never emits what its peer
        would have to refuse (that would disconnect every client for one bad value)."""
        return min(max(value, 0), self.maximum)

    def key_expr(self, value: str) -> str:
        return f"min(max({value}, 0), {self.maximum})"

    def read(self, r: Reader) -> int:
        value = r.uvarint()
        if value > self.maximum:
            raise ProtocolError(f"value {value} exceeds {self.maximum}")
        return value

    def describe(self) -> str:
        return f"uvarint<={self.maximum}"


class SVarint(Codec):
    def __init__(self, minimum: int = -(2**31), maximum: int = 2**31 - 1) -> None:
        self.minimum, self.maximum = minimum, maximum

    def write(self, w: Writer, value: int) -> None:
        w.svarint(self.key(value))

    def key(self, value: int) -> int:
        """Clamped into range, like UVarint.key."""
        return min(max(value, self.minimum), self.maximum)

    def key_expr(self, value: str) -> str:
        return f"min(max({value}, {self.minimum}), {self.maximum})"

    def read(self, r: Reader) -> int:
        value = r.svarint()
        if not self.minimum <= value <= self.maximum:
            raise ProtocolError(f"value {value} outside {self.minimum}..{self.maximum}")
        return value

    def write_delta(self, w: Writer, old: int, new: int) -> None:
        w.svarint(new - old)

    def read_delta(self, r: Reader, old: int) -> int:
        value = old + r.svarint()
        if not self.minimum <= value <= self.maximum:
            raise ProtocolError(f"value {value} outside {self.minimum}..{self.maximum}")
        return value

    def describe(self) -> str:
        return f"svarint {self.minimum}..{self.maximum}"


class Quantized(Codec):
    """A float sent as round(value * scale) in a zigzag varint, within [low, high].

    1/8 px for positions loses nothing a player can see and turns a moving
    coordinate's per-tick delta into one or two bytes. `period` marks a value on a
    circle (degrees: 360) so clients blend it the short way round; the wire is the same.
    """

    def __init__(self, scale: float, low: float, high: float, *, period: float = 0.0) -> None:
        self.scale = scale
        self.low, self.high = low, high
        self.kmin, self.kmax = math.floor(low * scale), math.ceil(high * scale)
        self.blend = period * scale

    def key(self, value: float) -> int:
        key = round(value * self.scale)
        return min(max(key, self.kmin), self.kmax)

    def key_expr(self, value: str) -> str:
        return f"min(max(round({value} * {self.scale!r}), {self.kmin}), {self.kmax})"

    def from_key(self, key: int) -> float:
        return key / self.scale

    def write(self, w: Writer, value: float) -> None:
        w.svarint(self.key(value))

    def write_key(self, w: Writer, key: int) -> None:
        w.svarint(key)

    def read_key(self, r: Reader) -> int:
        return self._check(r.svarint())

    def read(self, r: Reader) -> float:
        return self.read_key(r) / self.scale

    def write_delta(self, w: Writer, old: int, new: int) -> None:
        w.svarint(new - old)

    def read_delta(self, r: Reader, old: int) -> int:
        return self._check(old + r.svarint())

    def _check(self, key: int) -> int:
        if not self.kmin <= key <= self.kmax:
            raise ProtocolError(
                f"quantized value {key / self.scale:g} outside {self.low:g}..{self.high:g}"
            )
        return key

    def describe(self) -> str:
        return f"quantized 1/{self.scale:g} in {self.low:g}..{self.high:g}"


class Str(Codec):
    """UTF-8 with a uvarint byte length, at most `max_bytes`."""

    def __init__(self, max_bytes: int = 255) -> None:
        self.max_bytes = max_bytes

    def write(self, w: Writer, value: str) -> None:
        w.string(value, self.max_bytes)

    def read(self, r: Reader) -> str:
        return r.string(self.max_bytes)

    def describe(self) -> str:
        return f"string<={self.max_bytes}"


class Enum8(Codec):
    """An IntEnum member as one byte; unknown values are refused."""

    def __init__(self, enum_type: type[IntEnum]) -> None:
        self.enum_type = enum_type

    def write(self, w: Writer, value: IntEnum) -> None:
        w.u8(int(value))

    def read(self, r: Reader) -> IntEnum:
        byte = r.u8()
        try:
            return self.enum_type(byte)
        except ValueError:
            raise ProtocolError(f"{byte} is not a {self.enum_type.__name__}") from None

    def key(self, value: IntEnum) -> int:
        return int(value)

    def from_key(self, key: int) -> IntEnum:
        return self.enum_type(key)

    def read_key(self, r: Reader) -> int:
        return int(self.read(r))

    def describe(self) -> str:
        return f"enum8 {self.enum_type.__name__}"


class ListOf(Codec):
    """A uvarint count (bounded) then that many items."""

    def __init__(self, item: Codec, max_count: int) -> None:
        self.item, self.max_count = item, max_count

    def write(self, w: Writer, value: Sequence[Any]) -> None:
        if len(value) > self.max_count:
            raise ValueError(f"{len(value)} items exceed {self.max_count}")
        w.uvarint(len(value))
        for element in value:
            self.item.write(w, element)

    def read(self, r: Reader) -> tuple[Any, ...]:
        count = r.count(self.max_count, "list length")
        return tuple(self.item.read(r) for _ in range(count))

    def key(self, value: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(value)

    def describe(self) -> str:
        return f"list<={self.max_count} of {self.item.describe()}"


class TupleOf(Codec):
    """A fixed sequence of fields."""

    def __init__(self, *items: Codec) -> None:
        self.items = items

    def write(self, w: Writer, value: Sequence[Any]) -> None:
        for codec, element in zip(self.items, value, strict=True):
            codec.write(w, element)

    def read(self, r: Reader) -> tuple[Any, ...]:
        return tuple(codec.read(r) for codec in self.items)

    def describe(self) -> str:
        return "(" + ", ".join(codec.describe() for codec in self.items) + ")"
