"""Framing: frames survive any chunking, bad lengths fail early, fragments reassemble."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.net.errors import ProtocolError
from engine.net.framing import (
    FRAGMENT_HEADER_SIZE,
    FRAGMENT_TYPE,
    MAX_FRAME,
    FrameDecoder,
    Reassembler,
    encode_frame,
    split_message,
)

SMALL = 64


def fragment(message_id: int, index: int, count: int, chunk: bytes = b"x") -> bytes:
    return (
        bytes([FRAGMENT_TYPE])
        + message_id.to_bytes(2, "big")
        + index.to_bytes(2, "big")
        + count.to_bytes(2, "big")
        + chunk
    )


def message(size: int, seed: int = 0) -> bytes:
    """A message of `size` bytes whose first (type) byte is a normal type."""
    rng = random.Random(seed)
    return bytes([1]) + rng.randbytes(size - 1)


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


@pytest.mark.parametrize("size", [SMALL - 1, SMALL, SMALL + 1, 5 * SMALL + 3, 40 * SMALL])
def test_split_and_reassemble_round_trip(size: int) -> None:
    original = message(size, seed=size)
    payloads = split_message(original, SMALL, message_id=7)
    if size <= SMALL:
        assert payloads == [original]
    else:
        assert len(payloads) > 1
        assert all(p[0] == FRAGMENT_TYPE and len(p) <= SMALL for p in payloads)
    # Through real frames too: every payload must be encodable and decodable.
    wire = b"".join(encode_frame(p, SMALL) for p in payloads)
    reassembler = Reassembler()
    results = [reassembler.accept(p) for p in FrameDecoder(SMALL).feed(wire)]
    assert results[-1] == original
    assert all(r is None for r in results[:-1])
    assert not reassembler.in_progress


def test_reassembler_handles_consecutive_messages_with_same_id() -> None:
    reassembler = Reassembler()
    for seed in range(3):
        original = message(3 * SMALL, seed)
        results = [reassembler.accept(p) for p in split_message(original, SMALL, message_id=1)]
        assert results[-1] == original


def test_small_message_interleaved_during_fragmented_one() -> None:
    big = message(4 * SMALL)
    fragments = split_message(big, SMALL, message_id=3)
    reassembler = Reassembler()
    assert reassembler.accept(fragments[0]) is None
    assert reassembler.accept(b"\x02ping") == b"\x02ping"
    assert reassembler.in_progress
    results = [reassembler.accept(p) for p in fragments[1:]]
    assert results[-1] == big


def test_split_rejects_too_many_fragments() -> None:
    # max_frame 8 leaves 1 data byte per fragment: 65536 bytes would need 65536 fragments.
    with pytest.raises(ValueError, match="65536 fragments"):
        split_message(message(65_536), FRAGMENT_HEADER_SIZE + 1, message_id=0)
    assert len(split_message(message(65_535), FRAGMENT_HEADER_SIZE + 1, message_id=0)) == 65_535


@pytest.mark.parametrize("message_id", [-1, 65_536])
def test_split_rejects_bad_message_id(message_id: int) -> None:
    with pytest.raises(ValueError) as caught:
        split_message(message(2 * SMALL), SMALL, message_id=message_id)
    assert str(caught.value) == f"message_id {message_id} is outside 0..65535"


@pytest.mark.parametrize("message_id", [0, 65_535])
def test_split_takes_message_ids_at_both_ends_of_the_range(message_id: int) -> None:
    parts = split_message(message(2 * SMALL), SMALL, message_id=message_id)
    assert len(parts) == 3
    assert all(int.from_bytes(p[1:3], "big") == message_id for p in parts)


def test_a_message_that_fits_is_sent_whole_whatever_its_id() -> None:
    small = message(SMALL)
    assert split_message(small, SMALL, message_id=-1) == [small]


def test_a_frame_too_small_for_fragment_data_is_our_mistake() -> None:
    with pytest.raises(ValueError, match="^max_frame 7 leaves no room for fragment data$"):
        split_message(message(SMALL), FRAGMENT_HEADER_SIZE, message_id=0)
    assert len(split_message(message(10), FRAGMENT_HEADER_SIZE + 1, message_id=0)) == 10


def test_split_rejects_message_starting_with_fragment_type() -> None:
    with pytest.raises(
        ValueError, match="^a message cannot start with the fragment type byte 0x7f$"
    ):
        split_message(bytes([FRAGMENT_TYPE, 1]), SMALL, message_id=0)


@pytest.mark.parametrize(
    ("payloads", "error"),
    [
        ([fragment(1, 0, 3), fragment(1, 2, 3)], "fragment 2 arrived, expected 1"),
        ([fragment(1, 1, 3)], "fragment 1 of message 1 arrived first"),
        (
            [fragment(1, 0, 3), fragment(2, 1, 3)],
            "fragment of message 2 while message 1 is incomplete",
        ),
        ([fragment(1, 0, 3), fragment(1, 1, 4)], "fragment count changed from 3 to 4"),
        ([fragment(1, 0, 1)], "fragment count 1 (a fragmented message has at least 2)"),
        ([fragment(1, 0, 3), fragment(1, 0, 3)], "fragment 0 arrived, expected 1"),
        ([fragment(1, 0, 3, b"")], "empty fragment"),
        ([fragment(1, 0, 3), fragment(1, 1, 3, b"")], "empty fragment"),
        ([bytes([FRAGMENT_TYPE, 0, 1, 0])], "truncated fragment header (4 bytes)"),
        ([fragment(1, 0, 2)[:6]], "truncated fragment header (6 bytes)"),
        ([b""], "empty payload"),
    ],
)
def test_malformed_fragments_raise_protocol_error(payloads: list[bytes], error: str) -> None:
    reassembler = Reassembler()
    with pytest.raises(ProtocolError) as caught:
        for payload in payloads:
            reassembler.accept(payload)
    assert str(caught.value) == error
    assert not reassembler.in_progress
    # The failed message is forgotten: a new one starts from its first fragment.
    assert reassembler.accept(fragment(7, 0, 2, b"a")) is None
    assert reassembler.accept(fragment(7, 1, 2, b"b")) == b"ab"


def test_max_message_enforced_as_fragments_arrive() -> None:
    fragments = split_message(message(10 * SMALL), SMALL, message_id=9)
    reassembler = Reassembler(max_message=3 * SMALL)
    accepted = 0
    with pytest.raises(ProtocolError, match="^fragmented message exceeds the 192-byte limit$"):
        for payload in fragments:
            reassembler.accept(payload)
            accepted += 1
    assert accepted < len(fragments) - 1  # failed early, not at the last fragment


def test_message_exactly_max_message_is_accepted() -> None:
    original = message(5 * SMALL)
    reassembler = Reassembler(max_message=len(original))
    results = [reassembler.accept(p) for p in split_message(original, SMALL, message_id=0)]
    assert results[-1] == original


def test_a_message_of_more_than_256_fragments_is_rebuilt_in_order():
    """Fragment indexes are 16 bits: with small frames a message needs hundreds of them."""
    message = bytes(random.Random(7).randrange(256) for _ in range(300 * SMALL))
    parts = split_message(message, SMALL, message_id=9)
    assert len(parts) > 256
    reassembler = Reassembler()
    rebuilt = [reassembler.accept(part) for part in parts]
    assert rebuilt[:-1] == [None] * (len(parts) - 1)
    assert rebuilt[-1] == message
