"""Collision detection with pymunk 7: overlaps between entities, delivered as events.

Each entity with a Transform and a Collider gets a kinematic body with one
sensor shape. The body follows the Transform (the ECS stays the source of
truth; pymunk only answers "what touches what"); pymunk's step refreshes the
spatial index of moved kinematic bodies. Every shape carries its entity id, so
a contact maps back to entities in O(1). Category/mask bits filter pairs before
any narrow-phase work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pymunk

from engine.components import Transform
from engine.phases import Phase
from engine.plugin import Plugin
from engine.schedule import SystemSet
from engine.world import World

ALL_CATEGORIES = 0xFFFFFFFF
POOL_SIZE = 256  # removed shapes kept per collider size for reuse

Collisions = SystemSet("collisions")  # COLLIDE: overlaps become CollisionStarted/Ended events

A = TypeVar("A")
B = TypeVar("B")


@dataclass(slots=True)
class Collider:
    """A circle (radius > 0) or an axis-aligned box (width x height) around the Transform.

    `category` is this collider's bit; it touches colliders whose category is in
    its `mask` and whose mask contains its category.
    """

    radius: float = 0.0
    width: float = 0.0
    height: float = 0.0
    category: int = 1
    mask: int = ALL_CATEGORIES
    shape: pymunk.Shape | None = field(default=None, repr=False, compare=False)
    body: pymunk.Body | None = field(default=None, repr=False, compare=False)
    at: tuple[float, float] = field(default=(0.0, 0.0), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.radius <= 0 and (self.width <= 0 or self.height <= 0):
            raise ValueError("a Collider needs radius > 0 or width and height > 0")


def _size(collider: Collider) -> tuple[float, float, float]:
    return (
        (collider.radius, 0.0, 0.0)
        if collider.radius > 0
        else (0.0, collider.width, collider.height)
    )


@dataclass(frozen=True, slots=True)
class CollisionStarted:
    """Two entities began to overlap this step (a < b)."""

    a: int
    b: int


@dataclass(frozen=True, slots=True)
class CollisionEnded:
    """Two entities stopped overlapping, or one of them was removed (a < b)."""

    a: int
    b: int


class PhysicsSpace:
    """The world's pymunk Space and the contacts it reported during the current step."""

    def __init__(self) -> None:
        self.space = pymunk.Space()
        # Bodies and shapes of removed colliders, by size, to give the next collider of that
        # size: a pymunk Body or Shape is a reference cycle (it holds a cffi handle to
        # itself), so one made per bullet is garbage that waits for the cyclic collector,
        # and its memory with it. Reused, they are never garbage.
        # A shape holds its body in C only: the pool holds both.
        self._pool: dict[tuple[float, float, float], list[tuple[pymunk.Body, pymunk.Shape]]] = {}
        self.shapes_made = 0  # bodies and shapes created (not taken from the pool)
        self.started: list[tuple[int, int]] = []
        self.ended: list[tuple[int, int]] = []
        self.space.on_collision(None, None, begin=self._begin, separate=self._separate)

    @staticmethod
    def _pair(arbiter: pymunk.Arbiter) -> tuple[int, int]:
        first, second = arbiter.shapes
        a, b = first.entity, second.entity  # type: ignore[attr-defined]
        return (a, b) if a < b else (b, a)

    def _begin(self, arbiter: pymunk.Arbiter, space: pymunk.Space, data: Any) -> None:
        self.started.append(self._pair(arbiter))

    def _separate(self, arbiter: pymunk.Arbiter, space: pymunk.Space, data: Any) -> None:
        self.ended.append(self._pair(arbiter))

    def add(self, entity: int, transform: Transform, collider: Collider) -> None:
        size = _size(collider)
        pooled = self._pool.get(size)
        if pooled:
            body, shape = pooled.pop()
        else:
            body = pymunk.Body(body_type=pymunk.Body.KINEMATIC)
            if collider.radius > 0:
                shape = pymunk.Circle(body, collider.radius)
            else:
                shape = pymunk.Poly.create_box(body, (collider.width, collider.height))
            shape.sensor = True
            self.shapes_made += 1
        body.position = (transform.x, transform.y)
        shape.filter = pymunk.ShapeFilter(categories=collider.category, mask=collider.mask)
        shape.entity = entity  # type: ignore[attr-defined]
        self.space.add(body, shape)
        collider.shape = shape
        collider.body = body
        collider.at = (transform.x, transform.y)

    def remove(self, collider: Collider) -> None:
        shape = collider.shape
        body = collider.body
        if shape is not None and shape.space is self.space:
            self.space.remove(shape.body, shape)
            pooled = self._pool.setdefault(_size(collider), [])
            if body is not None and len(pooled) < POOL_SIZE:
                shape.entity = 0  # type: ignore[attr-defined]
                pooled.append((body, shape))
        collider.shape = None
        collider.body = None

    def shape_count(self) -> int:
        return len(self.space.shapes)


class CollisionSystem:
    """Sync bodies to transforms, step the space, emit sorted collision events."""

    def update(self, world: World, dt: float) -> None:
        physics = world.resource(PhysicsSpace)
        for entity, (transform, collider) in world.query(Transform, Collider):
            body = collider.body
            if body is None:
                physics.add(entity, transform, collider)
                continue
            at = (transform.x, transform.y)
            if at != collider.at:  # pymunk's setter is costly: only for what moved
                body.position = at
                collider.at = at
        physics.space.step(dt)
        _emit(world, physics)


def _emit(world: World, physics: PhysicsSpace) -> None:
    """Move recorded contacts into the event queue in a stable order."""
    if physics.started:
        for a, b in sorted(set(physics.started)):
            world.events.emit(CollisionStarted(a, b))
        physics.started.clear()
    if physics.ended:
        for a, b in sorted(set(physics.ended)):
            world.events.emit(CollisionEnded(a, b))
        physics.ended.clear()


def contacts(world: World, type_a: type[A], type_b: type[B]) -> Iterator[tuple[int, A, int, B]]:
    """Pairs that began touching this step where one side has `type_a` and the other `type_b`.

    Yields (entity_a, component_a, entity_b, component_b) in event order; either
    entity may have been despawned by an earlier handler, so check `is_alive`.
    """
    for event in world.events.read(CollisionStarted):
        for first, second in ((event.a, event.b), (event.b, event.a)):
            part_a = world.try_component(first, type_a)
            if part_a is None:
                continue
            part_b = world.try_component(second, type_b)
            if part_b is not None:
                yield first, part_a, second, part_b


class PhysicsPlugin(Plugin):
    """One pymunk Space per world; collision events in the COLLIDE phase."""

    name = "physics"

    def build(self, world: World) -> None:
        physics = PhysicsSpace()
        world.insert_resource(physics)
        world.add_system(CollisionSystem(), Phase.COLLIDE, in_set=Collisions)

        def release(entity: int, parts: dict[type, Any]) -> None:
            collider = parts.get(Collider)
            if collider is not None:
                physics.remove(collider)

        world.on_despawn(release)
