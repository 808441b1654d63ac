"""Guns, missiles and homing."""

from __future__ import annotations

import math

from engine.components import Transform, Velocity
from engine.world import World
from game.battlefield import Battlefield
from game.components import Aircraft, Homing, PlayerInput, Side, Weapon
from game.content import GameContent
from game.events import MissileLaunched, ShotFired
from game.spawn import heading, spawn_bullet, spawn_missile


def shot_interval(weapon: Weapon) -> float:
    """Seconds between shots: the aircraft's interval over (fire-rate level + 1)."""
    return weapon.fire_interval / (weapon.fire_rate_level + 1)


class WeaponSystem:
    """Fire guns whose trigger is held (players) or that can see the view (enemies).

    A shot spawns one bullet per offset of the spread level, across the
    aircraft's width. Missiles launch one per request while any are left.
    """

    def update(self, world: World, dt: float) -> None:
        content = world.resource(GameContent)
        battlefield = world.resource(Battlefield)
        firing = content.firing
        for entity, (weapon, transform, aircraft) in world.query(Weapon, Transform, Aircraft):
            weapon.gun_cooldown = max(0.0, weapon.gun_cooldown - dt)
            weapon.missile_cooldown = max(0.0, weapon.missile_cooldown - dt)
            intent = world.try_component(entity, PlayerInput)
            if intent is not None:
                wants_fire = intent.fire
            else:
                wants_fire = battlefield.in_view(transform.x, transform.y)
            spec = content.aircraft[aircraft.kind]
            if wants_fire and weapon.fire_interval > 0 and weapon.gun_cooldown <= 0.0:
                weapon.gun_cooldown += shot_interval(weapon)
                level = min(max(weapon.spread_level, 1), firing.max_spread_level)
                offsets = firing.spread[level - 1]
                nose = -spec.radius if aircraft.side is Side.ALLY else spec.radius
                for offset in offsets:
                    spawn_bullet(
                        world,
                        weapon.bullet,
                        aircraft.side,
                        transform.x + offset * spec.width,
                        transform.y + nose,
                        entity,
                    )
                world.events.emit(ShotFired(entity, aircraft.side, len(offsets)))
            if intent is not None and intent.missile_requests > 0:
                if weapon.missiles <= 0:
                    intent.missile_requests = 0
                elif weapon.missile_cooldown <= 0.0:
                    intent.missile_requests -= 1
                    weapon.missiles -= 1
                    weapon.missile_cooldown = firing.missile_interval
                    missile = spawn_missile(world, transform.x, transform.y - spec.radius, entity)
                    world.events.emit(MissileLaunched(entity, missile))


class HomingSystem:
    """Turn each missile towards the nearest living enemy; keep its speed."""

    def update(self, world: World, dt: float) -> None:
        missiles = world.query(Homing, Transform, Velocity)
        if not missiles:
            return
        enemies = [
            (entity, transform)
            for entity, (aircraft, transform) in world.query(Aircraft, Transform)
            if aircraft.side is Side.ENEMY and world.is_alive(entity)
        ]
        enemies.sort(key=lambda pair: pair[0])
        for _, (homing, transform, velocity) in missiles:
            target = _nearest(enemies, transform)
            if target is None:
                homing.target = 0
            else:
                homing.target = target[0]
                dx, dy = target[1].x - transform.x, target[1].y - transform.y
                distance = math.hypot(dx, dy) or 1.0
                vx = velocity.x + homing.turn_rate * dt * dx / distance
                vy = velocity.y + homing.turn_rate * dt * dy / distance
                speed = math.hypot(vx, vy) or 1.0
                velocity.x, velocity.y = vx / speed * homing.speed, vy / speed * homing.speed
            transform.angle = heading(velocity.x, velocity.y)


def _nearest(
    enemies: list[tuple[int, Transform]], origin: Transform
) -> tuple[int, Transform] | None:
    best, best_d2 = None, math.inf
    for entity, transform in enemies:
        d2 = (transform.x - origin.x) ** 2 + (transform.y - origin.y) ** 2
        if d2 < best_d2:
            best, best_d2 = (entity, transform), d2
    return best
