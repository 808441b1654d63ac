"""Enemy flight: each enemy flies the legs of its pattern in a loop, and a pursuer drifts
sideways towards the player it is coming down on."""

from __future__ import annotations

import math

from engine.components import Transform, Velocity
from engine.world import World
from game.rules.components import FlightPattern, Health, Held, Player
from game.rules.spawn import heading

PURSUIT_GAIN = 2.0  # 1/s: a pursuer slows its drift within pursuit / gain px of its quarry


class FlightPatternSystem:
    """Advance along the current leg; point velocity along the leg's angle (0 = down).

    An enemy with `pursuit` also drifts sideways, at up to that many px/s, towards the
    nearest player below it (alive, not Held): wherever the players fly, the enemies'
    paths follow them there, an edge as much as mid-screen."""

    def update(self, world: World, dt: float) -> None:
        quarry: list[tuple[int, Transform]] | None = None
        for _, (pattern, velocity, transform) in world.query(FlightPattern, Velocity, Transform):
            if not pattern.legs:
                velocity.x, velocity.y = 0.0, pattern.speed
            else:
                pattern.travelled += pattern.speed * dt
                distance = pattern.legs[pattern.leg][1]
                while pattern.travelled >= distance:
                    pattern.travelled -= distance
                    pattern.leg = (pattern.leg + 1) % len(pattern.legs)
                    distance = pattern.legs[pattern.leg][1]
                radians = math.radians(pattern.legs[pattern.leg][0] + 90.0)
                velocity.x = pattern.speed * math.cos(radians)
                velocity.y = pattern.speed * math.sin(radians)
            if pattern.pursuit > 0:
                if quarry is None:
                    quarry = _quarry(world)
                velocity.x += _drift(pattern.pursuit, transform, quarry)
            transform.angle = heading(velocity.x, velocity.y)


def _quarry(world: World) -> list[tuple[int, Transform]]:
    """The players a pursuer may go after, in the order they were made."""
    return sorted(
        (entity, transform)
        for entity, (_, transform, health) in world.query(Player, Transform, Health)
        if health.hitpoints > 0 and not world.has_component(entity, Held)
    )


def _drift(pursuit: float, me: Transform, quarry: list[tuple[int, Transform]]) -> float:
    """Sideways px/s towards the nearest player below `me` (0 if none)."""
    best, nearest = None, math.inf
    for _, target in quarry:
        if target.y <= me.y:
            continue
        distance = (target.x - me.x) ** 2 + (target.y - me.y) ** 2
        if distance < nearest:
            best, nearest = target, distance
    if best is None:
        return 0.0
    return max(-pursuit, min(pursuit, (best.x - me.x) * PURSUIT_GAIN))
