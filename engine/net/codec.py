"""Bounds-checked binary codecs: a Writer, a Reader, and field codecs built on them.

All multi-byte integers are big-endian; varints are LEB128 (7 bits a byte,
low group first); signed varints are zigzag-mapped first. A Reader never lets
IndexError or struct.error escape: running off the end, an over-long varint, a
count above its bound, bad UTF-8 or an out-of-range value all raise
ProtocolError.

Messages use the byte form above. Snapshot bodies use each codec's **bit form**
(`write_bits`, `read_bits`; engine/net/bits.py): a field as wide as its codec's
range needs (a position of 1/8 px in -16384..16384 is 19 bits, a bool 1 bit), and in
an update, a numeric field (`numeric_delta`) as the Rice code of its change.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

from engine.net.bits import BitReader, BitWriter, unzigzag, zigzag
from engine.net.errors import ProtocolError

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I32 = struct.Struct(">i")
_F32 = struct.Struct(">f")
_F64 = struct.Struct(">d")

MAX_VARINT_BYTES = 10  # enough for 64 bits
FIXED_SPAN = 1 << 24  # a numeric range below this has a fixed-width bit form, else uvlc


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


def _clamp(expr: str, temp: str, low: int, high: int) -> str:
    """`expr` clamped into low..high, as an expression: a chained comparison, which runs
    about three times faster than min(max(...)) in the encoder's hot path."""
    clamped = f"({low} if {temp} < {low} else {high})"
    return f"({temp} if {low} <= ({temp} := {expr}) <= {high} else {clamped})"


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

    def key_expr(self, value: str, temp: str = "_k") -> str | None:
        """`key` as a Python expression over `value`, for compiled key functions (None: call
        the method). Only pure arithmetic on the value and constants belongs here; `temp`
        is a name the expression may bind (`:=`), unique within the compiled function."""
        return value if type(self).key is Codec.key else None

    # -- bit form (snapshot bodies) --
    # A numeric field whose change travels in an update as rice(zigzag(new - old), k),
    # k chosen per body (docs/PROTOCOL.md 9.2); others travel whole.
    numeric_delta = False

    def write_bits(self, out: BitWriter, key: Any) -> None:
        """The key in the bit form. By default: uvlc(length) and the bytes of the byte form
        (for codecs without a bit form of their own, such as a mod's)."""
        w = Writer()
        self.write_key(w, key)
        out.uvlc(len(w.buf))
        for byte in w.buf:
            out.bits(byte, 8)

    def read_bits(self, r: BitReader) -> Any:
        size = r.uvlc()
        if size > r.remaining >> 3:
            raise ProtocolError(f"field of {size} bytes runs past the body")
        reader = Reader(bytes(r.bits(8) for _ in range(size)))
        key = self.read_key(reader)
        reader.expect_end("field")
        return key

    def check_key(self, key: Any) -> Any:
        """A key reached by a numeric delta, refused (ProtocolError) if out of range."""
        return key

    def describe_bits(self) -> str:
        return "uvlc byte count, then the bytes of the byte form"


class _Unsigned(Codec):
    """A big-endian unsigned integer of `width` bits: whole bytes in messages, `width` bits
    in snapshot bodies."""

    width = 0

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        cls._put = staticmethod(getattr(Writer, f"u{cls.width}"))
        cls._get = staticmethod(getattr(Reader, f"u{cls.width}"))

    def write(self, w: Writer, value: int) -> None:
        self._put(w, value)

    def read(self, r: Reader) -> int:
        return self._get(r)

    def write_bits(self, out: BitWriter, key: int) -> None:
        out.bits(key, self.width)

    def read_bits(self, r: BitReader) -> int:
        return r.bits(self.width)

    def describe_bits(self) -> str:
        return f"bits({self.width})"


class U8(_Unsigned):
    width = 8


class U16(_Unsigned):
    width = 16


class U32(_Unsigned):
    width = 32


class U64(_Unsigned):
    width = 64


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

    def write_bits(self, out: BitWriter, key: float) -> None:
        out.bits(_U32.unpack(_F32.pack(key))[0], 32)

    def read_bits(self, r: BitReader) -> float:
        value = _F32.unpack(_U32.pack(r.bits(32)))[0]
        if not math.isfinite(value):
            raise ProtocolError("float is not finite")
        return value

    def describe_bits(self) -> str:
        return "bits(32): the IEEE 754 binary32 pattern"


class Bool(Codec):
    def write(self, w: Writer, value: bool) -> None:
        w.u8(1 if value else 0)

    def read(self, r: Reader) -> bool:
        byte = r.u8()
        if byte > 1:
            raise ProtocolError(f"bool byte is {byte}, not 0 or 1")
        return byte == 1

    def write_bits(self, out: BitWriter, key: bool) -> None:
        out.raw("1" if key else "0")

    def read_bits(self, r: BitReader) -> bool:
        return r.bit() == 1

    def describe_bits(self) -> str:
        return "bits(1)"


class UVarint(Codec):
    def __init__(self, maximum: int = 2**32 - 1) -> None:
        self.maximum = maximum

    def write(self, w: Writer, value: int) -> None:
        w.uvarint(self.key(value))

    def key(self, value: int) -> int:
        """Clamped into range, as the receiver requires: a sender never emits what its peer
        would have to refuse (that would disconnect every client for one bad value)."""
        return min(max(value, 0), self.maximum)

    def key_expr(self, value: str, temp: str = "_k") -> str:
        return _clamp(value, temp, 0, self.maximum)

    def read(self, r: Reader) -> int:
        value = r.uvarint()
        if value > self.maximum:
            raise ProtocolError(f"value {value} exceeds {self.maximum}")
        return value

    def describe(self) -> str:
        return f"uvarint<={self.maximum}"

    numeric_delta = True

    @property
    def width(self) -> int | None:
        """Bits of the bit form, or None: uvlc (a maximum of 2**24 or more)."""
        return self.maximum.bit_length() if self.maximum < FIXED_SPAN else None

    def write_bits(self, out: BitWriter, key: int) -> None:
        width = self.width
        if width is None:
            out.uvlc(key)
        else:
            out.bits(key, width)

    def read_bits(self, r: BitReader) -> int:
        width = self.width
        return self.check_key(r.uvlc() if width is None else r.bits(width))

    def check_key(self, key: int) -> int:
        if not 0 <= key <= self.maximum:
            raise ProtocolError(f"value {key} outside 0..{self.maximum}")
        return key

    def describe_bits(self) -> str:
        width = self.width
        return "uvlc(v)" if width is None else f"bits({width})"


class SVarint(Codec):
    def __init__(self, minimum: int = -(2**31), maximum: int = 2**31 - 1) -> None:
        self.minimum, self.maximum = minimum, maximum

    def write(self, w: Writer, value: int) -> None:
        w.svarint(self.key(value))

    def key(self, value: int) -> int:
        """Clamped into range, like UVarint.key."""
        return min(max(value, self.minimum), self.maximum)

    def key_expr(self, value: str, temp: str = "_k") -> str:
        return _clamp(value, temp, self.minimum, self.maximum)

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

    numeric_delta = True

    @property
    def width(self) -> int | None:
        """Bits of the bit form (the value minus the minimum), or None: uvlc(zigzag(value))
        for a range of 2**24 or more."""
        span = self.maximum - self.minimum
        return span.bit_length() if span < FIXED_SPAN else None

    def write_bits(self, out: BitWriter, key: int) -> None:
        width = self.width
        if width is None:
            out.uvlc(zigzag(key))
        else:
            out.bits(key - self.minimum, width)

    def read_bits(self, r: BitReader) -> int:
        width = self.width
        if width is None:
            return self.check_key(unzigzag(r.uvlc()))
        return self.check_key(self.minimum + r.bits(width))

    def check_key(self, key: int) -> int:
        if not self.minimum <= key <= self.maximum:
            raise ProtocolError(f"value {key} outside {self.minimum}..{self.maximum}")
        return key

    def describe_bits(self) -> str:
        width = self.width
        return "uvlc(zigzag(v))" if width is None else f"bits({width}) of v - ({self.minimum})"


class Quantized(Codec):
    """A float sent as its nearest key value * scale (a tie going up) in a zigzag varint,
    within [low, high].

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
        """The nearest key, a tie going up (floor(value x scale + 0.5)), clamped into range."""
        key = math.floor(value * self.scale + 0.5)
        return min(max(key, self.kmin), self.kmax)

    def key_expr(self, value: str, temp: str = "_k") -> str:
        # `floor` is math.floor, bound in the compiled function's namespace: faster than
        # round(), whose ties go to even.
        return _clamp(f"floor({value} * {self.scale!r} + 0.5)", temp, self.kmin, self.kmax)

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

    check_key = _check

    def describe(self) -> str:
        return f"quantized 1/{self.scale:g} in {self.low:g}..{self.high:g}"

    numeric_delta = True

    @property
    def width(self) -> int | None:
        """Bits of the bit form (the key minus kmin), or None: uvlc(zigzag(key)) for a
        range of 2**24 keys or more."""
        span = self.kmax - self.kmin
        return span.bit_length() if span < FIXED_SPAN else None

    def write_bits(self, out: BitWriter, key: int) -> None:
        width = self.width
        if width is None:
            out.uvlc(zigzag(key))
        else:
            out.bits(key - self.kmin, width)

    def read_bits(self, r: BitReader) -> int:
        width = self.width
        if width is None:
            return self._check(unzigzag(r.uvlc()))
        return self._check(self.kmin + r.bits(width))

    def describe_bits(self) -> str:
        width = self.width
        return "uvlc(zigzag(key))" if width is None else f"bits({width}) of key - ({self.kmin})"


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

    def write_bits(self, out: BitWriter, key: str) -> None:
        data = key.encode("utf-8")
        if len(data) > self.max_bytes:
            raise ValueError(f"string of {len(data)} bytes exceeds {self.max_bytes}")
        out.bits(len(data), self.max_bytes.bit_length())
        if data:
            out.bits(int.from_bytes(data, "big"), 8 * len(data))

    def read_bits(self, r: BitReader) -> str:
        size = r.bits(self.max_bytes.bit_length())
        if size > self.max_bytes:
            raise ProtocolError(f"string length {size} exceeds the limit of {self.max_bytes}")
        try:
            return r.bits(8 * size).to_bytes(size, "big").decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("string is not valid UTF-8") from None

    def describe_bits(self) -> str:
        return f"bits({self.max_bytes.bit_length()}) byte count, then 8 bits a byte"


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

    @property
    def width(self) -> int:
        return max(1, max(int(member) for member in self.enum_type).bit_length())

    def write_bits(self, out: BitWriter, key: int) -> None:
        out.bits(int(key), self.width)

    def read_bits(self, r: BitReader) -> int:
        value = r.bits(self.width)
        try:
            return int(self.enum_type(value))
        except ValueError:
            raise ProtocolError(f"{value} is not a {self.enum_type.__name__}") from None

    def describe_bits(self) -> str:
        return f"bits({self.width})"


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

    def write_bits(self, out: BitWriter, key: Sequence[Any]) -> None:
        if len(key) > self.max_count:
            raise ValueError(f"{len(key)} items exceed {self.max_count}")
        out.bits(len(key), self.max_count.bit_length())
        item = self.item
        for element in key:
            item.write_bits(out, item.key(element))

    def read_bits(self, r: BitReader) -> tuple[Any, ...]:
        count = r.bits(self.max_count.bit_length())
        if count > self.max_count:
            raise ProtocolError(f"list length {count} exceeds the limit of {self.max_count}")
        item = self.item
        return tuple(item.from_key(item.read_bits(r)) for _ in range(count))

    def describe_bits(self) -> str:
        return f"bits({self.max_count.bit_length()}) count, then each item's bit form"


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

    def write_bits(self, out: BitWriter, key: Sequence[Any]) -> None:
        for codec, element in zip(self.items, key, strict=True):
            codec.write_bits(out, codec.key(element))

    def read_bits(self, r: BitReader) -> tuple[Any, ...]:
        return tuple(codec.from_key(codec.read_bits(r)) for codec in self.items)

    def describe_bits(self) -> str:
        return "each item's bit form, in order"
