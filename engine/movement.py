"""Movement: integrate velocity into position once per fixed step, and draw it smoothly.

A client draws at the display's rate, not at the step rate. What it moves
itself in fixed steps ("Game Programming Patterns": double buffer) keeps the
Transform of the step before (`PreviousTransform`, captured at the start of
each step) and is drawn between the two by the frame's alpha (`DrawnTransform`,
written once per frame). Renderers read DrawnTransform where an entity has one;
presentation systems that read positions go `after=Smoothing`.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.components import Transform, Velocity
from engine.phases import Phase
from engine.plugin import Plugin
from engine.schedule import SystemSet
from engine.world import World

Movement = SystemSet("movement")  # SIMULATE: velocity becomes position
Smoothing = SystemSet("smoothing")  # PRESENT: where things are drawn this frame


class MovementSystem:
    """Explicit Euler: position += velocity * dt. Deterministic for a fixed dt."""

    def update(self, world: World, dt: float) -> None:
        for _, (transform, velocity) in world.query(Transform, Velocity):
            transform.x += velocity.x * dt
            transform.y += velocity.y * dt


class MovementPlugin(Plugin):
    """Adds the movement system to the SIMULATE phase, on servers and clients alike."""

    name = "movement"

    def build(self, world: World) -> None:
        world.add_system(MovementSystem(), Phase.SIMULATE, in_set=Movement)


# -- drawing between steps --------------------------------------------------------------------


@dataclass(slots=True)
class PreviousTransform:
    """The entity's Transform as it was at the start of the current fixed step."""

    x: float = 0.0
    y: float = 0.0
    angle: float = 0.0


@dataclass(slots=True)
class DrawnTransform:
    """Where to draw the entity this frame: between PreviousTransform and Transform."""

    x: float = 0.0
    y: float = 0.0
    angle: float = 0.0


def smooth_motion(world: World, entity: int) -> None:
    """Draw this entity between its last two steps (it must have a Transform)."""
    at = world.component(entity, Transform)
    world.add_component(entity, PreviousTransform(at.x, at.y, at.angle))
    world.add_component(entity, DrawnTransform(at.x, at.y, at.angle))


class KeepPreviousSystem:
    """First thing in a step: remember where each smoothed entity is before it moves."""

    def update(self, world: World, dt: float) -> None:
        for _, (transform, previous) in world.query(Transform, PreviousTransform):
            previous.x = transform.x
            previous.y = transform.y
            previous.angle = transform.angle


class DrawBetweenStepsSystem:
    """PRESENT: drawn = previous + (current - previous) * alpha; angles the short way round."""

    def update(self, world: World, dt: float) -> None:
        alpha = world.time.alpha
        for _, (transform, previous, drawn) in world.query(
            Transform, PreviousTransform, DrawnTransform
        ):
            drawn.x = previous.x + (transform.x - previous.x) * alpha
            drawn.y = previous.y + (transform.y - previous.y) * alpha
            turn = (transform.angle - previous.angle + 180.0) % 360.0 - 180.0
            drawn.angle = previous.angle + turn * alpha
