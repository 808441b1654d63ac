"""Culling: what drifts more than cull_margin outside the view is removed, without a bang."""

from __future__ import annotations

from engine.components import Transform
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Pickup, Projectile, Side


class CullSystem:
    def update(self, world: World, dt: float) -> None:
        battlefield = world.resource(Battlefield)
        margin = battlefield.spec.cull_margin
        outside = battlefield.outside_view
        for entity, (transform, _) in world.query(Transform, Projectile):
            if outside(transform.x, transform.y, margin):
                world.despawn(entity)
        for entity, (transform, _) in world.query(Transform, Pickup):
            if outside(transform.x, transform.y, margin):
                world.despawn(entity)
        for entity, (transform, aircraft) in world.query(Transform, Aircraft):
            if aircraft.side is Side.ENEMY and outside(transform.x, transform.y, margin):
                world.despawn(entity)
