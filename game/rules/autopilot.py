"""The autopilot: flies a player aircraft well enough to finish a mission, headless.

Used by `python -m game.sim` and by bots. It only writes PlayerInput, exactly
like a keyboard would, so it exercises the same rules a human does.
"""

from __future__ import annotations

from engine.components import Transform
from engine.phases import Phase
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Autopilot, PlayerInput, Projectile, Side, Weapon

DODGE_RANGE = 140.0  # px above the aircraft in which an enemy bullet is dodged
DODGE_WIDTH = 36.0
RAM_RANGE = 110.0  # px above the aircraft in which an enemy is side-stepped
MISSILE_COOLDOWN = 3.0


class AutopilotSystem:
    """Line up under the nearest enemy ahead, fire, dodge bullets and rams, then finish."""

    def update(self, world: World, dt: float) -> None:
        pilots = world.query(Autopilot, PlayerInput, Transform, Weapon)
        if not pilots:
            return
        battlefield = world.resource(Battlefield)
        enemies = sorted(
            (entity, transform, aircraft.kind)
            for entity, (aircraft, transform) in world.query(Aircraft, Transform)
            if aircraft.side is Side.ENEMY and battlefield.in_view(transform.x, transform.y)
        )
        shots = [
            transform
            for _, (projectile, transform) in world.query(Projectile, Transform)
            if projectile.side is Side.ENEMY
        ]
        for _, (pilot, intent, me, weapon) in pilots:
            pilot.missile_cooldown = max(0.0, pilot.missile_cooldown - dt)
            target_x, target_y = self._goal(battlefield, me, enemies)
            dodge = self._dodge(me, shots, enemies)
            intent.move_x = dodge if dodge else _steer(target_x + pilot.offset_x - me.x, 24.0)
            intent.move_y = _steer(target_y - me.y, 24.0)
            intent.fire = bool(enemies)
            if (
                weapon.missiles > 0
                and pilot.missile_cooldown <= 0.0
                and any(kind == "avenger" for _, _, kind in enemies)
            ):
                intent.missile_requests += 1
                pilot.missile_cooldown = MISSILE_COOLDOWN

    @staticmethod
    def _goal(
        battlefield: Battlefield, me: Transform, enemies: list[tuple[int, Transform, str]]
    ) -> tuple[float, float]:
        spec = battlefield.spec
        if not battlefield.scrolling:  # the climb is over: make for the finish line
            return spec.view_width / 2, spec.finish_line_y - spec.player_margin
        cruise_y = battlefield.view_top + spec.view_height * 0.78
        ahead = [t for _, t, _ in enemies if t.y < me.y]
        if not ahead:
            return spec.view_width / 2, cruise_y
        nearest = min(ahead, key=lambda t: abs(t.x - me.x) + (me.y - t.y) * 0.5)
        return nearest.x, cruise_y

    @staticmethod
    def _dodge(
        me: Transform, shots: list[Transform], enemies: list[tuple[int, Transform, str]]
    ) -> float:
        for shot in shots:
            if 0 < me.y - shot.y < DODGE_RANGE and abs(shot.x - me.x) < DODGE_WIDTH:
                return 1.0 if shot.x <= me.x else -1.0
        for _, enemy, _ in enemies:
            if 0 < me.y - enemy.y < RAM_RANGE and abs(enemy.x - me.x) < 56.0:
                return 1.0 if enemy.x <= me.x else -1.0
        return 0.0


def _steer(error: float, softness: float) -> float:
    """-1..1 towards a goal, easing off inside `softness` px so it does not oscillate."""
    if abs(error) < 2.0:
        return 0.0
    return max(-1.0, min(1.0, error / softness))


def add_autopilot(world: World) -> None:
    world.add_system(AutopilotSystem(), Phase.INPUT)
