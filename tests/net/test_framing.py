"""Framing: frames survive any chunking, and bad lengths fail early."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.net.errors import ProtocolError
from engine.net.framing import MAX_FRAME, FrameDecoder, encode_frame

SMALL = 64


# -- frames ---------------------------------------------------------------------------


def test_encode_frame_prefixes_big_endian_length() -> None:
    assert encode_frame(b"abc") == b"\x00\x00\x00\x03abc"


@pytest.mark.parametrize("payload", [b"", b"x" * (SMALL + 1)])
def test_encode_frame_rejects_empty_and_oversize(payload: bytes) -> None:
    with pytest.raises(ValueError):
        encode_frame(payload, SMALL)


@given(
    payloads=st.lists(st.binary(min_size=1, max_size=300), max_size=30),
    data=st.data(),
)
def test_frames_round_trip_in_any_chunking(payloads: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(encode_frame(p, 300) for p in payloads)
    decoder = FrameDecoder(300)
    out: list[bytes] = []
    pos = 0
    while pos < len(stream):
        size = data.draw(st.integers(min_value=1, max_value=max(1, len(stream) - pos)))
        out += decoder.feed(stream[pos : pos + size])
        pos += size
    assert out == payloads
    assert decoder.buffered == 0


def test_byte_at_a_time_keeps_partial_data() -> None:
    payload = bytes(range(256)) * 4
    decoder = FrameDecoder()
    wire = encode_frame(payload) + encode_frame(b"next")
    out: list[bytes] = []
    for i in range(len(wire)):
        out += decoder.feed(wire[i : i + 1])
        if i == 10:
            assert decoder.buffered == 11 and out == []
    assert out == [payload, b"next"]
    assert decoder.buffered == 0


def test_many_frames_in_one_chunk() -> None:
    payloads = [i.to_bytes(4, "big") for i in range(20_000)]
    wire = b"".join(encode_frame(p) for p in payloads) + b"\x00\x00"
    decoder = FrameDecoder()
    assert decoder.feed(wire) == payloads
    assert decoder.buffered == 2


def test_full_size_frame_is_accepted() -> None:
    payload = b"z" * MAX_FRAME
    assert FrameDecoder().feed(encode_frame(payload)) == [payload]


def test_oversize_length_rejected_from_header_alone() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\x00\x01\x00") == []  # not a full header yet
    with pytest.raises(ProtocolError, match="65537 bytes exceeds the 65536-byte limit"):
        decoder.feed(b"\x01")
    assert decoder.buffered == 0  # nothing kept from a hostile peer


def test_oversize_after_good_frames_in_same_chunk() -> None:
    decoder = FrameDecoder(SMALL)
    with pytest.raises(ProtocolError):
        decoder.feed(encode_frame(b"ok", SMALL) + (SMALL + 1).to_bytes(4, "big"))


def test_zero_length_rejected_and_decoder_stays_failed() -> None:
    decoder = FrameDecoder()
    with pytest.raises(ProtocolError, match="zero length"):
        decoder.feed(b"\x00\x00\x00\x00")
    with pytest.raises(ProtocolError):
        decoder.feed(encode_frame(b"fine"))


# -- fragments ------------------------------------------------------------------------
