"""An ordered event queue: events are plain data, drained by the systems that care.

esper's own handlers are weak references and unordered, so the engine keeps its
own queue ("Game Programming Patterns": event queue). An event lives for one
step: a system sees every event emitted earlier in the same step, in emit order,
and the queue is cleared when the step ends. Presentation systems, which run once
per frame, read a second queue holding the events of every step since the last
frame (`World.present`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

E = TypeVar("E")


class EventQueue:
    """Events of the current step, grouped by type and kept in emit order."""

    __slots__ = ("_by_type", "_count")

    def __init__(self) -> None:
        self._by_type: defaultdict[type, list[Any]] = defaultdict(list)
        self._count = 0

    def emit(self, event: object) -> None:
        """Queue an event; systems later in this step can read it."""
        self._by_type[type(event)].append(event)
        self._count += 1

    def read(self, event_type: type[E]) -> Sequence[E]:
        """Every event of exactly this type emitted so far this step (do not mutate)."""
        return self._by_type.get(event_type, ())

    def extend(self, other: EventQueue) -> None:
        """Append every event of `other`, keeping the order within each type."""
        if other._count:
            by_type = self._by_type
            for event_type, events in other._by_type.items():
                by_type[event_type].extend(events)
            self._count += other._count

    def __len__(self) -> int:
        return self._count

    def clear(self) -> None:
        """Forget this step's events (the World calls this at the end of a step)."""
        if self._count:
            self._by_type.clear()
            self._count = 0
