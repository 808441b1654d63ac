"""Headers and payload entries: round trips, compactness, and only ProtocolError on garbage."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.net.errors import ProtocolError
from engine.net.reliable.header import (
    FRAGMENT_HEADER_SIZE,
    read_fragment_header,
    read_packet_header,
    write_fragment_header,
    write_packet_header,
)
from engine.net.reliable.payload import (
    DELTA,
    FIRST,
    LAST,
    RELIABLE,
    UNRELIABLE,
    PayloadWriter,
    decode_payload,
)

u16 = st.integers(0, 0xFFFF)


@given(u16, u16, st.integers(0, 0xFFFFFFFF), st.booleans())
def test_a_packet_header_round_trips(sequence, ack, bits, newest):
    data = write_packet_header(sequence, ack, bits, newest)
    header = read_packet_header(data + b"payload")
    assert (header.sequence, header.ack, header.ack_bits, header.ack_is_newest) == (
        sequence,
        ack,
        bits,
        newest,
    )
    assert header.size == len(data)


def test_a_header_with_no_loss_is_four_bytes():
    assert len(write_packet_header(1000, 998, 0xFFFFFFFF, True)) == 4


def test_every_ack_bits_byte_not_all_ones_costs_one_byte():
    assert len(write_packet_header(1000, 998, 0xFFFFFF7F, True)) == 5
    assert len(write_packet_header(1000, 998, 0x7F7FFF7F, True)) == 7
    assert len(write_packet_header(1000, 998, 0, True)) == 8


def test_an_ack_far_behind_takes_two_bytes_and_wraps():
    assert len(write_packet_header(1000, 744, 0xFFFFFFFF, False)) == 5
    assert len(write_packet_header(1000, 745, 0xFFFFFFFF, False)) == 4
    header = read_packet_header(write_packet_header(3, 65530, 0xFFFFFFFF, False))
    assert header.ack == 65530 and header.size == 4  # 9 behind, across the wrap


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x20\x00\x01", "shorter"),
        (b"\x01\x00\x01\x00", "fragment"),
        (b"\xa0\x00\x01\x00", "reserved"),
        (b"\x00\x00\x01\x00", "truncated in its ack"),
        (b"\x22\x00\x01\x00", "ack bits"),
        (b"\x1e\x00\x01\x00\x00\x01\x02\x03", "ack bits"),
    ],
)
def test_a_bad_packet_header_is_a_protocol_error(data, reason):
    with pytest.raises(ProtocolError, match=reason):
        read_packet_header(data)


def test_a_fragment_header_round_trips():
    data = write_fragment_header(65000, 7, 256) + b"x"
    assert len(data) == FRAGMENT_HEADER_SIZE + 1
    header = read_fragment_header(data, 256)
    assert (header.sequence, header.index, header.count) == (65000, 7, 256)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (write_fragment_header(1, 0, 2), "no data"),
        (b"\x03" + write_fragment_header(1, 0, 2)[1:] + b"x", "prefix"),
        (write_fragment_header(1, 0, 1) + b"x", "one fragment"),
        (write_fragment_header(1, 0, 17) + b"x", "limit of 16"),
        (write_fragment_header(1, 5, 5) + b"x", "fragment 5 of a packet of 5"),
    ],
)
def test_a_bad_fragment_header_is_a_protocol_error(data, reason):
    with pytest.raises(ProtocolError, match=reason):
        read_fragment_header(data, 16)


def test_entries_round_trip_with_ids_as_deltas_after_the_first():
    w = PayloadWriter()
    w.add_unreliable(b"snapshot")
    w.add_reliable(65534, b"a", FIRST | LAST, 1)
    w.add_reliable(1, b"bc", FIRST, 5)  # 3 ahead, across the wrap
    w.add_reliable(2, b"def", LAST, 5)
    w.add_unreliable(b"")
    payload = w.getvalue()
    entries = decode_payload(payload, 1 << 20)
    assert [(e.kind, e.data, e.message_id, e.first, e.last, e.total) for e in entries] == [
        (UNRELIABLE, b"snapshot", 0, True, True, 0),
        (RELIABLE, b"a", 65534, True, True, 0),
        (RELIABLE, b"bc", 1, True, False, 5),
        (RELIABLE, b"def", 2, False, True, 0),
        (UNRELIABLE, b"", 0, True, True, 0),
    ]
    # overhead + data: 2 + 8 | 4 + 1 | 4 (3 + the whole length) + 2 | 3 + 3 | 2 + 0
    assert len(payload) == 10 + 5 + 6 + 6 + 2


def test_the_writer_predicts_the_size_of_a_reliable_entry():
    w = PayloadWriter()
    for message_id, size, flags, total in [(9, 100, FIRST | LAST, 100), (10, 300, FIRST, 900)]:
        before = len(w)
        predicted = w.reliable_size(message_id, size, flags, total)
        w.add_reliable(message_id, bytes(size), flags, total)
        assert len(w) - before == predicted


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x02", "known kind"),
        (b"\x21", "known kind"),
        (b"\x04\x00", "flags"),
        (bytes([RELIABLE | FIRST | LAST | DELTA, 1, 0]), "no previous id"),
        (bytes([RELIABLE | FIRST | LAST, 0, 1, 0, RELIABLE | FIRST | LAST | DELTA, 0, 0]), "delta"),
        (bytes([RELIABLE | FIRST, 0, 1, 3, 3, 1, 2, 3]), "first part"),
        (bytes([UNRELIABLE, 5, 1]), "truncated"),
        (bytes([UNRELIABLE, 0x80, 0x80, 0x80, 0x01]), "exceeds"),
    ],
)
def test_a_bad_payload_is_a_protocol_error(data, reason):
    with pytest.raises(ProtocolError, match=reason):
        decode_payload(data, 1 << 20)


@settings(max_examples=400)
@given(st.binary(max_size=64))
def test_decoders_raise_nothing_but_protocol_error_on_random_bytes(data):
    for decode in (
        read_packet_header,
        lambda d: read_fragment_header(d, 256),
        lambda d: decode_payload(d, 4096),
    ):
        with contextlib.suppress(ProtocolError):
            decode(data)
