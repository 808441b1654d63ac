"""Enemy flight: each enemy flies the legs of its pattern in a loop."""

from __future__ import annotations

import math

from engine.components import Transform, Velocity
from engine.world import World
from game.rules.components import FlightPattern
from game.rules.spawn import heading


class FlightPatternSystem:
    """Advance along the current leg; point velocity along the leg's angle (0 = down)."""

    def update(self, world: World, dt: float) -> None:
        for _, (pattern, velocity, transform) in world.query(FlightPattern, Velocity, Transform):
            if not pattern.legs:
                velocity.x, velocity.y = 0.0, pattern.speed
                continue
            pattern.travelled += pattern.speed * dt
            distance = pattern.legs[pattern.leg][1]
            while pattern.travelled >= distance:
                pattern.travelled -= distance
                pattern.leg = (pattern.leg + 1) % len(pattern.legs)
                distance = pattern.legs[pattern.leg][1]
            radians = math.radians(pattern.legs[pattern.leg][0] + 90.0)
            velocity.x = pattern.speed * math.cos(radians)
            velocity.y = pattern.speed * math.sin(radians)
            transform.angle = heading(velocity.x, velocity.y)
