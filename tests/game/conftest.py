"""Bare worlds for testing the shooter's systems one at a time.

A test builds a `World` with only the resources and systems the rule under test
needs (`make_world`), spawns entities with the factories in `game.rules.spawn`, steps
it, and asserts on components, resources and the events a `EventLog` recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine import Phase, Role, World
from engine.physics import PhysicsPlugin
from game.rules.content import GameContent, load_content
from game.rules.plugin import configure_sets


@pytest.fixture(scope="session")
def content() -> GameContent:
    """The shipped content (read-only: derive variants with dataclasses.replace)."""
    return load_content()


@pytest.fixture
def make_world() -> Iterator[Callable[..., World]]:
    """make_world(*resources, seed=0, physics=False) -> a bare server world, closed afterwards.

    Each resource is inserted under its own type. The game's sets are configured as
    in the game (`configure_sets`), so a system added `in_set=` its set runs under
    the set's conditions and order. `physics=True` adds the engine's PhysicsPlugin
    (CollisionSystem in the COLLIDE phase).
    """
    made: list[World] = []

    def make(*resources: Any, seed: int = 0, physics: bool = False) -> World:
        world = World(Role.SERVER, seed=seed)
        made.append(world)
        for resource in resources:
            world.insert_resource(resource)
        configure_sets(world)
        if physics:
            world.add_plugin(PhysicsPlugin())
        return world

    yield make
    for world in made:
        world.close()


@dataclass
class EventLog:
    """A system run at the end of a step that keeps (step, event) for the types it watches."""

    types: tuple[type, ...]
    seen: list[tuple[int, Any]] = field(default_factory=list)

    def update(self, world: World, dt: float) -> None:
        for event_type in self.types:
            for event in world.events.read(event_type):
                self.seen.append((world.time.step, event))

    def of(self, event_type: type) -> list[Any]:
        return [event for _, event in self.seen if isinstance(event, event_type)]

    def steps_of(self, event_type: type) -> list[int]:
        return [step for step, event in self.seen if isinstance(event, event_type)]


@pytest.fixture
def record() -> Callable[..., EventLog]:
    """record(world, *event_types) -> an EventLog added at the end of the world's step
    (last in NETWORK), where it sees every event of the step."""

    def watch(world: World, *event_types: type) -> EventLog:
        log = EventLog(tuple(event_types))
        world.add_system(log, Phase.NETWORK)
        return log

    return watch


@pytest.fixture
def emitter() -> Callable[..., list[Any]]:
    """emitter(world, phase) -> a list; events appended to it are emitted in `phase` next step.

    A stand-in for the system that would normally produce them.
    """

    def add(world: World, phase: Phase) -> list[Any]:
        queued: list[Any] = []

        def emit(w: World, dt: float) -> None:
            for event in queued:
                w.events.emit(event)
            queued.clear()

        world.add_system(emit, phase)
        return queued

    return add
