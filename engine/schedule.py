"""Scheduling: system sets, run conditions, and the order of the systems in a phase.

In the spirit of Bevy's `SystemSet` and run conditions:

    Movement = SystemSet("movement")
    world.add_system(MovementSystem(), Phase.SIMULATE, in_set=Movement)
    world.add_system(Steering(), Phase.SIMULATE, before=Movement)
    world.configure_set(Spawning, run_if=mission_running)
    world.add_system(Snapshots(), Phase.NETWORK, run_if=on_network_tick)

A set is a public name others order against, so a mod says "before movement"
without knowing which systems move things. Within a phase the order is a
stable topological sort: registration order, unless a `before`/`after`
constraint says otherwise. A run condition is a function of the world; a
system runs only when all of its conditions (and its sets' conditions) hold,
checked just before it would run. The World computes the order and each
system's conditions when its systems change, never per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.world import World

Condition = Callable[["World"], bool]


class SystemSet:
    """A named label that systems join and others order against. Equal only to itself."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not name:
            raise ValueError("a SystemSet needs a name")
        self.name = name

    def __repr__(self) -> str:
        return f"SystemSet({self.name!r})"


Anchor = SystemSet | type


class ScheduleError(Exception):
    """Systems whose constraints cannot all hold (a cycle)."""


def on_network_tick(world: World) -> bool:
    """Run condition: the step now running is a network tick (every `tick_every` steps)."""
    return world.time.is_tick


def system_name(system: object) -> str:
    """A readable name for a system object or function, for errors."""
    if isinstance(system, type):
        return system.__name__
    qualname = getattr(system, "__qualname__", None)
    return qualname if isinstance(qualname, str) else type(system).__name__


def anchors(value: object, what: str) -> tuple[Anchor, ...]:
    """Normalise a `before=`/`after=` argument: None, a set, a class, or a tuple of them."""
    if value is None:
        return ()
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if not isinstance(item, SystemSet | type):
            raise TypeError(
                f"{what}= takes a SystemSet, a system class or a tuple of them, not {item!r}"
            )
    return items


def sets(value: object) -> tuple[SystemSet, ...]:
    """Normalise an `in_set=` argument: None, a set, or a tuple of sets."""
    if value is None:
        return ()
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if not isinstance(item, SystemSet):
            raise TypeError(f"in_set= takes a SystemSet or a tuple of them, not {item!r}")
    return items


def conditions(value: object) -> tuple[Condition, ...]:
    """Normalise a `run_if=` argument: None, a callable, or a tuple of callables."""
    if value is None:
        return ()
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if not callable(item):
            raise TypeError(f"run_if= takes functions (world) -> bool or a tuple of them: {item!r}")
    return items


@dataclass(slots=True, eq=False)
class SystemEntry:
    """One registration of a system in a phase, with its sets, constraints and conditions."""

    system: object
    fn: Callable[[World, float], None]
    sets: tuple[SystemSet, ...]
    before: tuple[Anchor, ...]
    after: tuple[Anchor, ...]
    run_if: tuple[Condition, ...]

    def matches(self, anchor: Anchor) -> bool:
        if isinstance(anchor, SystemSet):
            return anchor in self.sets
        return isinstance(self.system, anchor)

    @property
    def name(self) -> str:
        return system_name(self.system)


@dataclass(slots=True)
class SetConfig:
    """What `World.configure_set` gave a set: conditions and constraints for every member."""

    run_if: tuple[Condition, ...] = ()
    before: tuple[Anchor, ...] = ()
    after: tuple[Anchor, ...] = ()


def order(
    entries: Sequence[SystemEntry], configs: dict[SystemSet, SetConfig], phase: Any
) -> list[SystemEntry]:
    """The entries (given in registration order) in an order where every constraint holds.

    Stable: systems are taken in registration order, and each one, before it is
    placed, places what it must run after (earliest registered first). So a system
    added `before=X` lands just before X, and the rest keep their order.
    ScheduleError names the systems of a cycle.
    """
    count = len(entries)
    predecessors: list[set[int]] = [set() for _ in range(count)]

    def link(index: int, targets: tuple[Anchor, ...], first: bool) -> None:
        for anchor in targets:
            for other, entry in enumerate(entries):
                if other != index and entry.matches(anchor):
                    if first:
                        predecessors[other].add(index)
                    else:
                        predecessors[index].add(other)

    for index, entry in enumerate(entries):
        link(index, entry.before, True)
        link(index, entry.after, False)
        for member_of in entry.sets:
            config = configs.get(member_of)
            if config is not None:
                link(index, config.before, True)
                link(index, config.after, False)
    result: list[SystemEntry] = []
    placed = [False] * count
    path: list[int] = []  # systems being placed, each waiting for the next

    def place(index: int) -> None:
        if placed[index]:
            return
        if index in path:
            cycle = path[path.index(index) :][::-1]  # in the order they would have to run
            start = cycle.index(min(cycle))  # from the earliest registered
            cycle = cycle[start:] + cycle[:start]
            names = " -> ".join(entries[i].name for i in [*cycle, cycle[0]])
            raise ScheduleError(f"systems in phase {phase.name} cannot be ordered: {names}")
        path.append(index)
        for before in sorted(predecessors[index]):
            place(before)
        path.pop()
        placed[index] = True
        result.append(entries[index])

    for index in range(count):
        place(index)
    return result
