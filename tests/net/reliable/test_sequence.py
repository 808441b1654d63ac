"""16-bit sequences: comparison across the wrap, the ring buffer, ack bits."""

import pytest

from engine.net.reliable.sequence import (
    SequenceBuffer,
    ack_bits,
    sequence_distance,
    sequence_greater_than,
    sequence_less_than,
)


@pytest.mark.parametrize(
    ("newer", "older"),
    [(1, 0), (0, 65535), (5, 65530), (32768, 0), (100, 65535 - 100), (65535, 65534)],
)
def test_newer_is_greater_across_the_wrap(newer, older):
    assert sequence_greater_than(newer, older)
    assert not sequence_greater_than(older, newer)
    assert sequence_less_than(older, newer)
    assert not sequence_less_than(newer, older)


def test_half_the_circle_decides_and_equal_is_neither():
    assert sequence_greater_than(32768, 0) and not sequence_greater_than(32769, 0)
    assert sequence_greater_than(0, 32769)
    assert not sequence_greater_than(7, 7) and not sequence_less_than(7, 7)


def test_distance_counts_forward_round_the_circle():
    assert sequence_distance(2, 65534) == 4
    assert sequence_distance(10, 3) == 7
    assert sequence_distance(3, 10) == 65529


def test_a_buffer_finds_only_what_it_holds():
    buffer: SequenceBuffer[str] = SequenceBuffer(16)
    assert buffer.insert(3, "three")
    assert buffer.exists(3) and buffer.find(3) == "three"
    assert not buffer.exists(19) and buffer.find(19) is None  # same slot, other sequence
    assert not buffer.exists(2) and buffer.sequence == 4
    buffer.remove(3)
    assert not buffer.exists(3) and len(buffer) == 0


def test_advancing_clears_the_slots_it_passes_and_returns_their_values():
    buffer: SequenceBuffer[int] = SequenceBuffer(8)
    for sequence in range(8):
        buffer.insert(sequence, sequence)
    assert buffer.advance(10) == [0, 1, 2]  # slots of 8, 9, 10 held 0, 1, 2
    assert [buffer.exists(s) for s in (0, 1, 2, 3, 7)] == [False, False, False, True, True]
    assert buffer.sequence == 11
    assert sorted(buffer.advance(100)) == [3, 4, 5, 6, 7]  # a jump past the ring clears all
    assert len(buffer) == 0
    assert buffer.advance(50) == [] and buffer.sequence == 101  # older: no move


def test_stale_sequences_are_refused_and_recent_ones_may_arrive_late():
    buffer: SequenceBuffer[int] = SequenceBuffer(16)
    buffer.insert(100, 1)
    assert not buffer.insert(84, 2) and not buffer.exists(84)  # 17 behind the next (101)
    assert buffer.insert(85, 3) and buffer.find(85) == 3  # 16 behind: still in the ring
    assert buffer.sequence == 101


def test_the_buffer_keeps_working_across_the_wrap():
    buffer: SequenceBuffer[int] = SequenceBuffer(32)
    for sequence in range(65536 + 20):  # a fresh ring starts at 0: 65500 would be stale
        assert buffer.insert(sequence & 0xFFFF, sequence)
    assert buffer.sequence == 20
    assert buffer.exists(65524) and buffer.exists(65535) and buffer.exists(19)
    assert not buffer.exists(65523) and buffer.find(0) == 65536
    assert buffer.is_stale(65523) and not buffer.is_stale(65524)
    assert not buffer.insert(65523, 0) and buffer.insert(65524, 1)


def test_sizes_that_are_not_powers_of_two_are_refused():
    with pytest.raises(ValueError):
        SequenceBuffer(1000)
    with pytest.raises(ValueError):
        SequenceBuffer(65536)


def test_ack_bits_mark_received_sequences_and_leave_lost_ones_clear():
    received: SequenceBuffer[bool] = SequenceBuffer(64)
    lost = {65533, 2, 5}
    for sequence in [*range(65530, 65536), *range(10)]:
        if sequence not in lost:
            received.insert(sequence, True)
    ack, bits = ack_bits(received)
    assert ack == 9
    for i in range(32):
        sequence = (ack - i) & 0xFFFF
        expected = sequence not in lost and (sequence < 10 or sequence >= 65530)
        assert bool(bits >> i & 1) == expected, sequence


def test_ack_bits_for_a_named_older_ack():
    received: SequenceBuffer[bool] = SequenceBuffer(128)
    for sequence in range(100):
        received.insert(sequence, True)
    ack, bits = ack_bits(received, 40)
    assert ack == 40 and bits == 0xFFFFFFFF
    assert ack_bits(received, 110) == (110, 0xFFFFFFFF << 11 & 0xFFFFFFFF)
