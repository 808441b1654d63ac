"""Guns, missiles and homing."""

from __future__ import annotations

import math

from engine.components import Transform, Velocity
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Held, Homing, Player, PlayerInput, Side, Weapon
from game.rules.content import AircraftSpec, GameContent
from game.rules.events import MissileLaunched, ShotFired
from game.rules.spawn import heading, spawn_bullet, spawn_missile

EPSILON = 1e-9  # cooldowns are sums of 1/60 s steps: absorb the float error


def shot_interval(weapon: Weapon) -> float:
    """Seconds between shots: the aircraft's interval over (fire-rate level + 1)."""
    return weapon.fire_interval / (weapon.fire_rate_level + 1)


class WeaponSystem:
    """Fire guns whose trigger is held (players) or that can see the view (enemies).

    A shot spawns one bullet per offset of the spread level, across the
    aircraft's width. Missiles launch one per request while any are left. A Held
    aircraft does not fire, and its cooldowns wait with it.
    """

    def update(self, world: World, dt: float) -> None:
        content = world.resource(GameContent)
        battlefield = world.resource(Battlefield)
        firing = content.firing
        for entity, (weapon, transform, aircraft) in world.query(Weapon, Transform, Aircraft):
            if world.has_component(entity, Held):
                continue
            intent = world.try_component(entity, PlayerInput)
            if intent is not None:
                wants_fire = intent.fire
            else:
                wants_fire = battlefield.in_view(transform.x, transform.y)
            spec = content.aircraft[aircraft.kind]
            # A cooldown is checked, then counted down. It keeps its remainder from shot
            # to shot (so the average rate is exactly the formula's even when an interval
            # is not a whole number of steps) but gathers no credit while the trigger is up.
            gun = weapon.gun_cooldown
            firing_now = wants_fire and weapon.fire_interval > 0
            if firing_now and gun <= EPSILON:
                gun += shot_interval(weapon)
                self._fire(world, entity, weapon, transform, aircraft, spec)
            weapon.gun_cooldown = gun - dt if firing_now else max(gun - dt, 0.0)
            missile = weapon.missile_cooldown
            wants_missile = intent is not None and intent.missile_requests > 0
            if wants_missile and weapon.missiles <= 0:
                intent.missile_requests = 0
                wants_missile = False
            if wants_missile and missile <= EPSILON:
                intent.missile_requests -= 1
                weapon.missiles -= 1
                missile += firing.missile_interval
                launched = spawn_missile(world, transform.x, transform.y - spec.radius, entity)
                world.events.emit(MissileLaunched(entity, launched))
            weapon.missile_cooldown = missile - dt if wants_missile else max(missile - dt, 0.0)

    @staticmethod
    def _fire(
        world: World,
        entity: int,
        weapon: Weapon,
        transform: Transform,
        aircraft: Aircraft,
        spec: AircraftSpec,
    ) -> None:
        """One shot: a bullet per offset of the spread level, across the aircraft's width;
        an enemy with an aim cone aims them at the nearest player (aimed_angle)."""
        content = world.resource(GameContent)
        firing = content.firing
        level = min(max(weapon.spread_level, 1), firing.max_spread_level)
        offsets = firing.spread[level - 1]
        nose = -spec.radius if aircraft.side is Side.ALLY else spec.radius
        angle = None
        if aircraft.side is Side.ENEMY and spec.aim_cone > 0:
            speed = content.projectiles[weapon.bullet].speed
            angle = aimed_angle(world, transform.x, transform.y + nose, spec.aim_cone, speed)
        for offset in offsets:
            spawn_bullet(
                world,
                weapon.bullet,
                aircraft.side,
                transform.x + offset * spec.width,
                transform.y + nose,
                entity,
                angle=angle,
            )
        world.events.emit(ShotFired(entity, aircraft.side, len(offsets)))


def aimed_angle(world: World, x: float, y: float, cone: float, speed: float) -> float:
    """The heading (degrees clockwise from up; 180 is straight down) from (x, y) at the
    nearest player in the fight (alive, not Held), for a bullet at `speed` px/s to meet it
    if it holds its place on the screen (riding the scroll): a player who stays put is
    hit wherever it is; one who moves is not. Turned no more than `cone` degrees from
    straight down; straight down when there is no player, or none below (x, y)."""
    best, nearest = None, (math.inf, 0)
    for entity, (_, target, health) in world.query(Player, Transform, Health):
        if health.hitpoints <= 0 or target.y <= y or world.has_component(entity, Held):
            continue
        rank = ((target.x - x) ** 2 + (target.y - y) ** 2, entity)  # ties: the first made
        if rank < nearest:
            best, nearest = target, rank
    if best is None:
        return 180.0
    dx, dy = best.x - x, best.y - y
    vy = world.resource(Battlefield).scroll_velocity  # the player's, holding its place
    # When |d + v t| = speed t: a t^2 + b t + c = 0, with a < 0 < c: one root is positive.
    a, b, c = vy * vy - speed * speed, 2.0 * dy * vy, dx * dx + dy * dy
    if a < 0:
        t = (-b - math.sqrt(b * b - 4.0 * a * c)) / (2.0 * a)
        dy += vy * t
    off = math.degrees(math.atan2(dx, dy))  # positive: towards +x
    return 180.0 - max(-cone, min(cone, off))


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
