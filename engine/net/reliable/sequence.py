"""16-bit sequence numbers that wrap, and a ring buffer keyed by them.

Packet sequences and message ids are 16 bits on the wire, so they wrap every
65,536 values. "Newer" is decided by the shorter way round the circle: `a` is
greater than `b` when it is less than half the circle ahead of it. Both peers
keep far fewer than 32,768 values in flight, so that comparison is never
ambiguous for a value still in use.
"""

from __future__ import annotations

from typing import Generic, TypeVar

SEQUENCE_MODULO = 1 << 16
SEQUENCE_MASK = SEQUENCE_MODULO - 1
HALF = SEQUENCE_MODULO >> 1
ACK_BITS = 32
"""How many sequences one ack field covers: the ack itself and the 31 before it."""

T = TypeVar("T")


def sequence_greater_than(s1: int, s2: int) -> bool:
    """True when `s1` is newer than `s2` (less than half the circle ahead of it)."""
    return (s1 > s2 and s1 - s2 <= HALF) or (s1 < s2 and s2 - s1 > HALF)


def sequence_less_than(s1: int, s2: int) -> bool:
    """True when `s1` is older than `s2`."""
    return sequence_greater_than(s2, s1)


def sequence_distance(newer: int, older: int) -> int:
    """How far `newer` is ahead of `older` going forward round the circle (0..65535)."""
    return (newer - older) & SEQUENCE_MASK


class SequenceBuffer(Generic[T]):
    """A fixed-size ring of values keyed by sequence, remembering only the newest `size`.

    `sequence` is one past the newest sequence inserted (or advanced to). Moving
    it forward clears the slots the jump passes over, so a slot never answers
    for a sequence it held one lap ago; a sequence older than the ring
    (`is_stale`) cannot be inserted.
    """

    __slots__ = ("size", "sequence", "_keys", "_values")

    def __init__(self, size: int) -> None:
        if not 1 <= size <= HALF or SEQUENCE_MODULO % size:
            # A power of two keeps every lap of the circle on the same slots.
            raise ValueError(f"a sequence buffer holds a power of two up to {HALF}, not {size}")
        self.size = size
        self.sequence = 0
        self._keys: list[int] = [-1] * size
        self._values: list[T | None] = [None] * size

    def reset(self) -> None:
        self.sequence = 0
        self._keys = [-1] * self.size
        self._values = [None] * self.size

    def is_stale(self, sequence: int) -> bool:
        """True when `sequence` is older than everything the ring can still hold."""
        return sequence_less_than(sequence, (self.sequence - self.size) & SEQUENCE_MASK)

    def advance(self, sequence: int) -> list[T]:
        """Make `sequence` the newest the ring has seen, clearing the slots skipped over.

        Returns the values those slots held (for owners that account for them).
        """
        following = (sequence + 1) & SEQUENCE_MASK
        if not sequence_greater_than(following, self.sequence):
            return []
        start = self.sequence
        self.sequence = following
        keys, values, size = self._keys, self._values, self.size
        if sequence_distance(following, start) >= size:
            dropped = [value for key, value in zip(keys, values, strict=True) if key >= 0]
            self._keys = [-1] * size
            self._values = [None] * size
            return dropped  # type: ignore[return-value]
        dropped = []
        current = start
        while current != following:
            index = current % size
            if keys[index] >= 0:
                dropped.append(values[index])
                keys[index] = -1
                values[index] = None
            current = (current + 1) & SEQUENCE_MASK
        return dropped  # type: ignore[return-value]

    def items(self) -> list[tuple[int, T]]:
        """Every (sequence, value) held, in slot order."""
        return [(k, v) for k, v in zip(self._keys, self._values, strict=True) if k >= 0]  # type: ignore[misc]

    def insert(self, sequence: int, value: T) -> bool:
        """Store `value` under `sequence`; False (nothing stored) when it is stale."""
        if self.is_stale(sequence):
            return False
        self.advance(sequence)
        index = sequence % self.size
        self._keys[index] = sequence
        self._values[index] = value
        return True

    def exists(self, sequence: int) -> bool:
        return self._keys[sequence % self.size] == sequence

    def find(self, sequence: int) -> T | None:
        index = sequence % self.size
        return self._values[index] if self._keys[index] == sequence else None

    def remove(self, sequence: int) -> None:
        index = sequence % self.size
        if self._keys[index] == sequence:
            self._keys[index] = -1
            self._values[index] = None

    def __len__(self) -> int:
        """How many slots hold a value (counted, so for tests and stats, not hot paths)."""
        return sum(key >= 0 for key in self._keys)


def ack_bits(received: SequenceBuffer[object], ack: int | None = None) -> tuple[int, int]:
    """The ack field and its 32 bits: bit i is set when `ack - i` was received.

    `ack` defaults to the newest sequence received; a caller may name an older one
    to acknowledge packets a burst pushed out of the newest 32.
    """
    if ack is None:
        ack = (received.sequence - 1) & SEQUENCE_MASK
    keys, size = received._keys, received.size
    bits = 0
    for i in range(ACK_BITS):
        sequence = (ack - i) & SEQUENCE_MASK
        if keys[sequence % size] == sequence:
            bits |= 1 << i
    return ack, bits
