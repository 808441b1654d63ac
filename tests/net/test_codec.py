"""Codecs: round trips for every codec, and one error type for every malformed input."""

import contextlib
import math
import struct
from enum import IntEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.net.codec import (
    F32,
    U8,
    U16,
    U32,
    U64,
    Bool,
    Enum8,
    ListOf,
    Quantized,
    Reader,
    Str,
    SVarint,
    TupleOf,
    UVarint,
    Writer,
)
from engine.net.errors import ProtocolError


class Colour(IntEnum):
    RED = 1
    BLUE = 2


def roundtrip(codec, value):
    writer = Writer()
    codec.write(writer, value)
    reader = Reader(writer.getvalue())
    out = codec.read(reader)
    reader.expect_end()
    return out, writer.getvalue()


@given(st.integers(0, 2**64 - 1))
def test_uvarint_round_trip(value):
    assert roundtrip(UVarint(2**64 - 1), value)[0] == value


@given(st.integers(-(2**62), 2**62))
def test_svarint_round_trip_and_small_values_are_small(value):
    out, data = roundtrip(SVarint(-(2**62), 2**62), value)
    assert out == value
    if -64 <= value < 64:
        assert len(data) == 1


@given(
    st.integers(0, 255), st.integers(0, 65535), st.integers(0, 2**32 - 1), st.integers(0, 2**64 - 1)
)
def test_fixed_width_round_trip(a, b, c, d):
    assert roundtrip(TupleOf(U8(), U16(), U32(), U64()), (a, b, c, d))[0] == (a, b, c, d)


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_f32_round_trip(value):
    assert roundtrip(F32(), value)[0] == value


@given(st.text(max_size=40))
def test_strings_round_trip_within_their_byte_limit(text):
    codec = Str(255)
    if len(text.encode()) <= 255:
        assert roundtrip(codec, text)[0] == text


@given(st.floats(-1000, 1000))
def test_quantized_is_within_half_a_step(value):
    codec = Quantized(8, -1000, 1000)
    out, _ = roundtrip(codec, value)
    assert abs(out - value) <= 1 / 16 + 1e-9


@given(st.lists(st.booleans(), max_size=10))
def test_lists_and_bools_round_trip(values):
    assert roundtrip(ListOf(Bool(), 10), values)[0] == tuple(values)


def test_enum_round_trip():
    assert roundtrip(Enum8(Colour), Colour.BLUE)[0] is Colour.BLUE


@given(st.integers(-8000, 8000), st.integers(-8000, 8000))
def test_deltas_rebuild_the_new_key(old, new):
    codec = Quantized(8, -1000, 1000)
    writer = Writer()
    codec.write_delta(writer, old, new)
    assert codec.read_delta(Reader(writer.getvalue()), old) == new


@pytest.mark.parametrize(
    ("codec", "data", "message"),
    [
        (U32(), b"\x00\x01", "truncated u32"),
        (UVarint(), b"\x80\x80", "truncated varint"),
        (UVarint(), b"\xff" * 11, "longer than"),
        (UVarint(), b"\x80\x00", "redundant zero"),
        (UVarint(100), b"\x65", "exceeds 100"),
        (SVarint(-5, 5), b"\x14", "outside -5..5"),
        (Str(4), b"\x05hello", "string length 5 exceeds the limit of 4"),
        (Str(8), b"\x02\xff\xfe", "not valid UTF-8"),
        (Str(8), b"\x05ab", "truncated bytes"),
        (Bool(), b"\x02", "not 0 or 1"),
        (Enum8(Colour), b"\x09", "9 is not a Colour"),
        (ListOf(U8(), 3), b"\x04\x00\x00\x00\x00", "list length 4 exceeds"),
        (ListOf(U8(), 1000), b"\xff\xff\xff\x0f", "exceeds the limit"),
        (Quantized(8, 0, 10), b"\xa2\x01", "outside 0..10"),  # key 81 = 10.125
        (F32(), struct.pack(">f", math.inf), "not finite"),
    ],
)
def test_malformed_input_raises_protocol_error_only(codec, data, message):
    with pytest.raises(ProtocolError, match=message):
        codec.read(Reader(data))


@given(st.binary(max_size=64))
def test_random_bytes_never_escape_as_other_errors(data):
    codec = TupleOf(UVarint(1000), Str(16), ListOf(SVarint(), 8), F32(), Enum8(Colour))
    with contextlib.suppress(ProtocolError):
        codec.read(Reader(data))


def test_trailing_bytes_are_refused():
    reader = Reader(b"\x01\x02")
    reader.u8()
    with pytest.raises(ProtocolError, match="1 unexpected bytes"):
        reader.expect_end()
