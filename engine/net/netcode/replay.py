"""Replay protection: refuse a packet whose sequence was already accepted, or is too old to tell."""

from __future__ import annotations

from engine.net.netcode.constants import REPLAY_BUFFER_SIZE


class ReplayProtection:
    """A window of the last `size` sequences accepted, one entry per `sequence % size`.

    Only `advance` after a packet decrypted: a forged packet must not move the window. The
    "too old" test is written subtraction-side so sequences near 2**64 cannot overflow
    (IMPLEMENTERS.md #1), and an empty entry is None rather than a sentinel sequence, so even
    2**64-1 is remembered once received.
    """

    __slots__ = ("size", "most_recent", "_received")

    def __init__(self, size: int = REPLAY_BUFFER_SIZE) -> None:
        if size < 1:
            raise ValueError("replay window size must be at least 1")
        self.size = size
        self.most_recent = 0
        self._received: list[int | None] = [None] * size

    def reset(self) -> None:
        self.most_recent = 0
        self._received = [None] * self.size

    def already_received(self, sequence: int) -> bool:
        """True if `sequence` must be ignored: older than the window, or seen inside it."""
        if self.most_recent >= self.size and sequence <= self.most_recent - self.size:
            return True
        entry = self._received[sequence % self.size]
        return entry is not None and entry >= sequence

    def advance(self, sequence: int) -> None:
        """Record `sequence` as received (call only once its packet decrypted)."""
        if sequence > self.most_recent:
            self.most_recent = sequence
        self._received[sequence % self.size] = sequence
