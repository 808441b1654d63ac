"""Bit-level codes for snapshot bodies: fixed widths, Exp-Golomb and Rice codes.

A body is a sequence of bits written most significant bit first: the first bit of the
body is bit 7 (0x80) of its first byte. The last byte is padded with 0 bits, fewer than
8; a reader refuses a body with 8 or more bits left over, or with a 1 among them, so
every body has exactly one encoding.

Three codes carry every number (docs/PROTOCOL.md section 5.7):

    bits(v, w)   v in exactly w bits, most significant first (w = 0: nothing)
    uvlc(v)      v >= 0, Exp-Golomb of order 0: n = v + 1 has L bits; L - 1 zeros, then
                 n in L bits. 0 -> 1, 1 -> 010, 2 -> 011, 3 -> 00100, ... (at most 64
                 zeros: v < 2**64)
    rice(v, k)   v >= 0 with parameter k: q = v >> k; q ones and a zero if q < 16, else
                 sixteen ones and uvlc(q - 16); then the low k bits of v

and zigzag maps signed numbers to them: 0, -1, 1, -2, 2, ... -> 0, 1, 2, 3, 4, ...

Python has no cheap bit buffer, and shifting one big integer grows quadratic, so the
writer keeps a list of '0'/'1' strings and joins them once (`str.join`, then `int(s, 2)`,
both linear and in C); the reader turns the body into one such string and slices it.
Codes of small values come from tables built once per parameter, so the hot path of an
encoder is a list lookup and an append.
"""

from __future__ import annotations

from functools import cache
from itertools import repeat
from operator import rshift

from engine.net.errors import ProtocolError

RICE_LIMIT = 16  # quotients of 16 and more escape to uvlc
MAX_UVLC_ZEROS = 64
MAX_RICE_K = 31  # a Rice parameter travels in 5 bits
K_BITS = 5
TABLE_VALUES = 1024  # codes of values below this come from tables


def zigzag(value: int) -> int:
    return value << 1 if value >= 0 else ((-value) << 1) - 1


def unzigzag(value: int) -> int:
    return value >> 1 if not value & 1 else -((value + 1) >> 1)


def uvlc_code(value: int) -> str:
    """The Exp-Golomb (order 0) code of `value` >= 0, as a string of '0' and '1'."""
    if value < TABLE_VALUES:
        return _UVLC[value]
    return _uvlc(value)


def _uvlc(value: int) -> str:
    if value < 0:
        raise ValueError(f"uvlc cannot encode {value}")
    binary = format(value + 1, "b")
    return "0" * (len(binary) - 1) + binary


_UVLC = [_uvlc(v) for v in range(TABLE_VALUES)]


def _rice(value: int, k: int) -> str:
    if value < 0:
        raise ValueError(f"rice cannot encode {value}")
    q = value >> k
    low = format(value & ((1 << k) - 1), f"0{k}b") if k else ""
    if q < RICE_LIMIT:
        return "1" * q + "0" + low
    return "1" * RICE_LIMIT + _uvlc(q - RICE_LIMIT) + low


@cache
def rice_table(k: int) -> list[str]:
    """Rice codes of 0 .. TABLE_VALUES - 1 with parameter k."""
    return [_rice(v, k) for v in range(TABLE_VALUES)]


def rice_code(value: int, k: int) -> str:
    if value < TABLE_VALUES:
        return rice_table(k)[value]
    return _rice(value, k)


DELTA_OFFSET = TABLE_VALUES // 2


@cache
def delta_table(k: int) -> list[str]:
    """rice(zigzag(d), k) for d in -DELTA_OFFSET .. DELTA_OFFSET - 1, at index d + DELTA_OFFSET."""
    table = rice_table(k)
    return [table[zigzag(d)] for d in range(-DELTA_OFFSET, DELTA_OFFSET)]


def delta_code(delta: int, k: int) -> str:
    if -DELTA_OFFSET <= delta < DELTA_OFFSET:
        return delta_table(k)[delta + DELTA_OFFSET]
    return _rice(zigzag(delta), k)


def rice_parameter(values: list[int]) -> int:
    """A k in 0..31 that codes `values` (>= 0) in few bits with rice(v, k): the better of
    the two around log2(mean x ln 2) (the optimum for geometric and for uniform values),
    judged on at most 128 of them. A poor choice costs bits, never correctness."""
    count = len(values)
    if not count:
        return 0
    sample = values if count <= 128 else values[:: count // 128]
    guess = min(MAX_RICE_K - 1, max(0, int(sum(sample) * 0.6931 / len(sample)).bit_length() - 1))
    return guess if rice_cost(sample, guess) <= rice_cost(sample, guess + 1) else guess + 1


def rice_cost(values: list[int], k: int) -> int:
    """Bits of rice(v, k) over `values`."""
    cost = sum(map(rshift, values, repeat(k))) + len(values) * (k + 1)
    if max(values, default=0) >> k >= RICE_LIMIT:
        for value in values:  # escaped: sixteen ones and uvlc(q - 16), not q ones and a zero
            q = value >> k
            if q >= RICE_LIMIT:
                cost += RICE_LIMIT + len(_uvlc(q - RICE_LIMIT)) - q - 1
    return cost


class BitWriter:
    """Collects a body as '0'/'1' strings; `getvalue` packs them into bytes."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def bits(self, value: int, width: int) -> None:
        if width:
            if not 0 <= value < (1 << width):
                raise ValueError(f"{value} does not fit in {width} bits")
            self.parts.append(format(value, f"0{width}b"))

    def uvlc(self, value: int) -> None:
        self.parts.append(_UVLC[value] if 0 <= value < TABLE_VALUES else _uvlc(value))

    def rice(self, value: int, k: int) -> None:
        self.parts.append(rice_code(value, k))

    def raw(self, code: str) -> None:
        self.parts.append(code)

    def bit_length(self) -> int:
        return sum(map(len, self.parts))

    def getvalue(self) -> bytes:
        return pack(self.parts)


def pack(parts: list[str]) -> bytes:
    """The bits of `parts`, MSB first, padded with 0 bits to whole bytes."""
    text = "".join(parts)
    size = (len(text) + 7) >> 3
    if not size:
        return b""
    return (int(text, 2) << ((size << 3) - len(text))).to_bytes(size, "big")


class BitReader:
    """Reads the codes of a body, raising ProtocolError on anything malformed."""

    __slots__ = ("text", "pos", "end")

    def __init__(self, data: bytes) -> None:
        self.end = len(data) << 3
        self.text = format(int.from_bytes(data, "big"), f"0{self.end}b") if data else ""
        self.pos = 0

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def bits(self, width: int) -> int:
        pos = self.pos
        stop = pos + width
        if stop > self.end:
            raise ProtocolError(f"truncated body: need {width} bits, {self.end - pos} left")
        self.pos = stop
        return int(self.text[pos:stop], 2) if width else 0

    def bit(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise ProtocolError("truncated body: need 1 bit, 0 left")
        self.pos = pos + 1
        return 1 if self.text[pos] == "1" else 0

    def uvlc(self) -> int:
        text, pos = self.text, self.pos
        one = text.find("1", pos, pos + MAX_UVLC_ZEROS + 1)
        if one < 0:
            if self.end - pos > MAX_UVLC_ZEROS:
                raise ProtocolError(f"uvlc code with more than {MAX_UVLC_ZEROS} leading zeros")
            raise ProtocolError("truncated body in a uvlc code")
        stop = 2 * one - pos + 1
        if stop > self.end:
            raise ProtocolError("truncated body in a uvlc code")
        self.pos = stop
        return int(text[one:stop], 2) - 1

    def rice(self, k: int) -> int:
        text, pos = self.text, self.pos
        zero = text.find("0", pos, pos + RICE_LIMIT)
        if zero < 0:
            if self.end - pos < RICE_LIMIT:
                raise ProtocolError("truncated body in a rice code")
            self.pos = pos + RICE_LIMIT
            q = RICE_LIMIT + self.uvlc()
        else:
            q = zero - pos
            self.pos = zero + 1
        if not k:
            return q
        pos = self.pos
        stop = pos + k
        if stop > self.end:
            raise ProtocolError("truncated body in a rice code")
        self.pos = stop
        return (q << k) | int(text[pos:stop], 2)

    def expect_end(self, what: str = "body") -> None:
        left = self.end - self.pos
        if left >= 8:
            raise ProtocolError(f"{left >> 3} unexpected bytes after {what}")
        if "1" in self.text[self.pos :]:
            raise ProtocolError(f"padding bits after {what} are not zero")
