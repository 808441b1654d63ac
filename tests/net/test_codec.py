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
    clip_utf8,
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
        (U8(), b"", "truncated u8: need 1 bytes, 0 left"),
        (U16(), b"\x01", "truncated u16: need 2 bytes, 1 left"),
        (U32(), b"\x00\x01", "truncated u32: need 4 bytes, 2 left"),
        (U64(), b"\x00" * 7, "truncated u64: need 8 bytes, 7 left"),
        (F32(), b"\x00\x00\x00", "truncated f32: need 4 bytes, 3 left"),
        (UVarint(), b"", "truncated varint"),
        (UVarint(), b"\x80\x80", "truncated varint"),
        (UVarint(2**64), b"\xff" * 11, "varint longer than 10 bytes"),
        (UVarint(), b"\x80\x00", "varint has a redundant zero byte"),
        (UVarint(100), b"\x65", "value 101 exceeds 100"),
        (SVarint(-5, 5), b"\x14", "value 10 outside -5..5"),
        (SVarint(-5, 5), b"\x0b", "value -6 outside -5..5"),
        (Str(4), b"\x05hello", "string length 5 exceeds the limit of 4"),
        (Str(8), b"\x02\xff\xfe", "string is not valid UTF-8"),
        (Str(8), b"\x05ab", "truncated bytes: need 5 bytes, 2 left"),
        (Bool(), b"\x02", "bool byte is 2, not 0 or 1"),
        (Enum8(Colour), b"\x09", "9 is not a Colour"),
        (ListOf(U8(), 3), b"\x04\x00\x00\x00\x00", "list length 4 exceeds the limit of 3"),
        (ListOf(U8(), 1000), b"\xff\xff\xff\x0f", "list length 33554431 exceeds the limit of 1000"),
        (Quantized(8, 0, 10), b"\xa2\x01", "quantized value 10.125 outside 0..10"),  # key 81
        (Quantized(8, 0, 10), b"\x01", "quantized value -0.125 outside 0..10"),  # key -1
        (F32(), struct.pack(">f", math.inf), "float is not finite"),
        (F32(), struct.pack(">f", math.nan), "float is not finite"),
    ],
)
def test_malformed_input_raises_protocol_error_only(codec, data, message):
    with pytest.raises(ProtocolError) as caught:
        codec.read(Reader(data))
    assert str(caught.value) == message


@given(st.binary(max_size=64))
def test_random_bytes_never_escape_as_other_errors(data):
    codec = TupleOf(UVarint(1000), Str(16), ListOf(SVarint(), 8), F32(), Enum8(Colour))
    with contextlib.suppress(ProtocolError):
        codec.read(Reader(data))


def test_trailing_bytes_are_refused():
    reader = Reader(b"\x01\x02")
    reader.u8()
    with pytest.raises(ProtocolError) as caught:
        reader.expect_end()
    assert str(caught.value) == "1 unexpected bytes after message"
    with pytest.raises(ProtocolError) as caught:
        Reader(b"\x00\x00\x00").expect_end("Ping")
    assert str(caught.value) == "3 unexpected bytes after Ping"
    Reader(b"\x05\x06", pos=2).expect_end()  # nothing left past the start: fine


def test_values_at_the_edges_of_their_ranges_round_trip():
    assert roundtrip(SVarint(-5, 5), -5)[0] == -5
    assert roundtrip(SVarint(-5, 5), 5)[0] == 5
    assert roundtrip(UVarint(100), 100)[0] == 100
    assert roundtrip(Quantized(8, 0, 10), 10.0)[0] == 10.0
    assert roundtrip(Quantized(8, 0, 10), 0.0)[0] == 0.0
    assert roundtrip(Bool(), True) == (True, b"\x01")
    assert roundtrip(Bool(), False) == (False, b"\x00")


@pytest.mark.parametrize(
    ("old", "delta", "message"),
    [(5, b"\x02", "value 6 outside -5..5"), (-5, b"\x01", "value -6 outside -5..5")],
)
def test_a_delta_that_leaves_the_range_is_refused(old, delta, message):
    codec = SVarint(-5, 5)
    with pytest.raises(ProtocolError) as caught:
        codec.read_delta(Reader(delta), old)
    assert str(caught.value) == message
    assert codec.read_delta(Reader(b"\x00"), old) == old


def test_a_delta_to_the_edge_of_the_range_is_taken():
    codec = SVarint(-5, 5)
    writer = Writer()
    codec.write_delta(writer, -5, 5)
    codec.write_delta(writer, 5, -5)
    reader = Reader(writer.getvalue())
    assert codec.read_delta(reader, -5) == 5
    assert codec.read_delta(reader, 5) == -5


def test_signed_32_and_64_bit_floats_round_trip_in_sequence():
    writer = Writer()
    writer.i32(-(2**31))
    writer.i32(2**31 - 1)
    writer.f64(-1.25e300)
    writer.f32(0.5)
    writer.f32(-2.0)
    data = writer.getvalue()
    assert len(data) == 4 + 4 + 8 + 4 + 4
    assert data[:4] == b"\x80\x00\x00\x00"  # big-endian
    reader = Reader(bytearray(data))
    assert (reader.i32(), reader.i32(), reader.f64(), reader.f32(), reader.f32()) == (
        -(2**31),
        2**31 - 1,
        -1.25e300,
        0.5,
        -2.0,
    )
    assert reader.remaining == 0
    with pytest.raises(ProtocolError, match="^truncated i32: need 4 bytes, 0 left$"):
        reader.i32()
    with pytest.raises(ProtocolError, match="^truncated f64: need 8 bytes, 0 left$"):
        reader.f64()


def test_a_reader_can_start_partway_and_reads_memoryviews():
    reader = Reader(memoryview(b"\x09\x01\x02"), pos=1)
    assert reader.remaining == 2
    assert reader.u16() == 0x0102


def test_what_a_writer_refuses_is_a_bug_of_ours_not_a_protocol_error():
    with pytest.raises(ValueError, match="^uvarint cannot encode -1$"):
        Writer().uvarint(-1)
    with pytest.raises(ValueError, match="^string of 6 bytes exceeds 5$"):
        Str(5).write(Writer(), "héllo")
    with pytest.raises(ValueError, match="^4 items exceed 3$"):
        ListOf(U8(), 3).write(Writer(), [1, 2, 3, 4])
    with pytest.raises(ValueError):
        TupleOf(U8(), U8()).write(Writer(), (1, 2, 3))
    with pytest.raises(ValueError):
        TupleOf(U8(), U8()).write(Writer(), (1,))


def test_a_string_at_its_byte_limit_travels():
    assert roundtrip(Str(5), "héll")[0] == "héll"  # five bytes
    out, data = roundtrip(Str(6), "héllo")
    assert out == "héllo" and data == b"\x06h\xc3\xa9llo"


def test_keys_are_what_the_wire_keeps():
    f32 = F32()
    assert f32.key(0.1) == struct.unpack(">f", struct.pack(">f", 0.1))[0] != 0.1
    assert f32.key(0.1) == f32.key(0.1 + 1e-12)  # the wire cannot tell these apart
    assert f32.key(0.5) == 0.5
    assert ListOf(U8(), 3).key([1, 2]) == (1, 2)
    assert UVarint(100).key(250) == 100 and UVarint(100).key(-4) == 0
    assert SVarint(-5, 5).key(-9) == -5 and SVarint(-5, 5).key(9) == 5
    quantized = Quantized(8, 0, 10)
    assert (quantized.key(3.06), quantized.key(-1), quantized.key(11)) == (24, 0, 80)


def test_a_value_out_of_range_is_clamped_on_the_way_out_not_refused():
    """A sender never emits what its peer would refuse: one bad value must not disconnect."""
    assert roundtrip(UVarint(100), 1000)[0] == 100
    assert roundtrip(SVarint(-5, 5), -1000)[0] == -5
    assert roundtrip(Quantized(8, 0, 10), 99.0)[0] == 10.0


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        ("hello", 5, "hello"),
        ("hello", 4, "hell"),
        ("héllo", 2, "h"),  # é is two bytes: never cut in half
        ("héllo", 3, "hé"),
        ("", 0, ""),
        ("日本", 5, "日"),
    ],
)
def test_clip_utf8_keeps_the_longest_whole_prefix(text, limit, clipped):
    assert clip_utf8(text, limit) == clipped
    assert len(clip_utf8(text, limit).encode()) <= limit
