"""Movement: integrate velocity into position, once per fixed step."""

from __future__ import annotations

from engine.components import Transform, Velocity
from engine.phases import Phase
from engine.plugin import Plugin
from engine.world import World


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
        world.add_system(MovementSystem(), Phase.SIMULATE)
