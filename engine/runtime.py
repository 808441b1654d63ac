"""Process-wide settings for a long-running game loop: a dedicated server or a game window."""

from __future__ import annotations

import gc
import itertools
from array import array
from collections.abc import Iterable, Iterator

YOUNG_THRESHOLD = 50_000  # allocations between young-generation collections (CPython: 700)


def settle_garbage_collector() -> None:
    """Keep CPython's cyclic garbage collector out of the step budget.

    A step allocates thousands of short-lived tuples and records, nearly all of
    them freed at once by reference counting. At the default threshold the
    collector still runs every few hundred allocations, and now and then a full
    collection walks every object the world holds: 10-20 ms at a time with 1000
    entities, a whole frame. Freezing what exists when the loop starts (modules,
    content, registries: they live as long as the process) keeps it out of every
    later collection, and a higher young threshold makes collections rarer.
    Call once, just before the loop; calling again freezes what was added since.
    """
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)


class SampleRing:
    """The last `size` float samples (a step's duration, say), in memory fixed at creation.

    A long-running loop that keeps its recent timings for a summary must not grow as it
    runs: a deque of 100,000 floats grows to about 3 MB over the first half hour (a float
    object and a slot each), which is how a dedicated server's memory crept up while
    it warmed. This keeps the samples in one preallocated array of doubles (8 bytes
    each). `total` counts every sample ever added, so a reader can take what is new since
    its last look (`since`), as long as it looks before `size` more samples arrive.
    """

    __slots__ = ("_data", "_next", "size", "total")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a ring holds at least one sample")
        self.size = size
        self._data = array("d", bytes(8 * size))
        self._next = 0  # where the next sample goes
        self.total = 0

    def append(self, value: float) -> None:
        self._data[self._next] = value
        self._next = (self._next + 1) % self.size
        self.total += 1

    def extend(self, values: Iterable[float]) -> None:
        for value in values:
            self.append(value)

    def clear(self) -> None:
        self._next = 0
        self.total = 0

    def __len__(self) -> int:
        return min(self.total, self.size)

    @property
    def latest(self) -> float:
        """The newest sample (IndexError while the ring is empty)."""
        if not self.total:
            raise IndexError("the ring holds no sample yet")
        return self._data[(self._next - 1) % self.size]

    def __iter__(self) -> Iterator[float]:
        """The samples held, oldest first."""
        if self.total < self.size:
            return iter(self._data[: self._next])
        return itertools.chain(self._data[self._next :], self._data[: self._next])

    def since(self, total: int) -> list[float]:
        """The samples added after the ring's `total` was `total` (the newest `size` of
        them at most), oldest first."""
        count = min(self.total - total, len(self))
        if count <= 0:
            return []
        start = (self._next - count) % self.size
        if start < self._next:
            return self._data[start : self._next].tolist()
        return self._data[start:].tolist() + self._data[: self._next].tolist()
