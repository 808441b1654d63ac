"""The autopilot: flies a player aircraft well enough to finish a mission, headless.

Used by `python -m game.sim` and by bots. It only writes PlayerInput, exactly
like a keyboard would, so it exercises the same rules a human does. It flies in
one of three styles (`Autopilot.style`), the ways a player might try the mission:

- `dodge` (the default): line up under the nearest enemy ahead and fire at what is
  in view, launch missiles at Avengers, and steer clear of every bullet and enemy
  that would pass too close within the next second (`threat_level`);
- `edge`: hold Left (or Right, `Autopilot.side`) for EDGE_SECONDS, then hold fire
  and nothing else, hugging the side of the view;
- `centre`: hold fire where it started, mid-screen, and nothing else.

Whatever the style, once the climb is over it flies up through the finish line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.components import Transform, Velocity
from engine.phases import Phase
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Autopilot, PlayerInput, Projectile, Side, Weapon
from game.rules.content import GameContent
from game.rules.sets import Autopilots

STYLES = ("edge", "centre", "dodge")
MISSILE_COOLDOWN = 3.0
EDGE_SECONDS = 3.0  # the edge style holds Left (or Right) this long, then only fires
LOOKAHEAD = 0.8  # seconds ahead the dodge style looks for what would pass too close
REACTION = 0.25  # seconds the dodge style holds a move before it looks again (a human's)
ATTENTION = 4  # the dodge style keeps an eye on this many threats, the nearest
CLEARANCE = 14.0  # px it wants between its hull and a bullet's or an enemy's
BULLET_SPEED = 300.0  # px/s down the screen, for a bullet whose velocity it cannot see
# The moves the dodge style weighs when its way to its goal is not clear: each direction
# of the keys, and staying put.
MOVES = tuple((mx, my) for my in (-1.0, 0.0, 1.0) for mx in (-1.0, 0.0, 1.0))


@dataclass(frozen=True, slots=True)
class Threat:
    """Something to stay clear of: where it is, where it goes (px/s), how big it is."""

    x: float
    y: float
    vx: float
    vy: float
    radius: float


class AutopilotSystem:
    """Fly each Autopilot aircraft in its style; every style finishes the mission."""

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
        threats: list[Threat] | None = None
        for _, (pilot, intent, me, weapon) in pilots:
            pilot.flown += dt
            if pilot.style == "dodge":
                if threats is None:
                    threats = _threats(world, enemies)
                self._dodge_style(world, battlefield, pilot, intent, me, weapon, enemies, threats)
                pilot.missile_cooldown = max(0.0, pilot.missile_cooldown - dt)
                continue
            intent.fire = True
            intent.move_x = intent.move_y = 0.0
            if not battlefield.scrolling:  # the climb is over: up through the finish line
                spec = battlefield.spec
                intent.move_y = _steer(spec.finish_line_y - spec.player_margin - me.y, 24.0)
            elif pilot.style == "edge" and pilot.flown <= EDGE_SECONDS:
                intent.move_x, intent.fire = pilot.side, False

    def _dodge_style(
        self,
        world: World,
        battlefield: Battlefield,
        pilot: Autopilot,
        intent: PlayerInput,
        me: Transform,
        weapon: Weapon,
        enemies: list[tuple[int, Transform, str]],
        threats: list[Threat],
    ) -> None:
        intent.fire = bool(enemies)
        if (
            weapon.missiles > 0
            and pilot.missile_cooldown <= 0.0
            and any(kind == "avenger" for _, _, kind in enemies)
        ):
            intent.missile_requests += 1
            pilot.missile_cooldown = MISSILE_COOLDOWN
        pilot.decide_in -= world.time.dt
        if pilot.decide_in > 1e-9:
            return  # still on the move it chose when it last looked
        pilot.decide_in = REACTION
        target_x, target_y = self._goal(battlefield, me, enemies)
        goal = (_steer(target_x + pilot.offset_x - me.x, 24.0), _steer(target_y - me.y, 24.0))
        content = world.resource(GameContent)
        hull = content.aircraft[content.player_aircraft]
        intent.move_x, intent.move_y = _safest(
            battlefield, me, hull.speed, hull.radius, goal, threats
        )

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


def _threats(world: World, enemies: list[tuple[int, Transform, str]]) -> list[Threat]:
    """Every enemy bullet, and every enemy in view, with its velocity and size."""
    content = world.resource(GameContent)
    found = []
    for entity, (projectile, transform) in world.query(Projectile, Transform):
        if projectile.side is not Side.ENEMY:
            continue
        velocity = world.try_component(entity, Velocity)
        vx, vy = (velocity.x, velocity.y) if velocity else (0.0, BULLET_SPEED)
        spec = content.projectiles.get(projectile.kind)
        found.append(Threat(transform.x, transform.y, vx, vy, spec.radius if spec else 4.0))
    for entity, transform, kind in enemies:
        velocity = world.try_component(entity, Velocity)
        vx, vy = (velocity.x, velocity.y) if velocity else (0.0, 0.0)
        spec = content.aircraft.get(kind)
        found.append(Threat(transform.x, transform.y, vx, vy, spec.radius if spec else 24.0))
    return found


def threat_level(
    battlefield: Battlefield,
    me: Transform,
    speed: float,
    radius: float,
    move: tuple[float, float],
    threats: list[Threat],
) -> float:
    """How close the threats come if it holds `move` for LOOKAHEAD seconds (0: all clear).

    Each threat flies straight on; the aircraft flies `move` (kept inside the view, as the
    rules keep it). A threat that passes within the hulls plus CLEARANCE adds how deep it
    comes, more the sooner it does."""
    spec = battlefield.spec
    mx, my = move
    length = math.hypot(mx, my)
    if length > 1.0:
        mx, my = mx / length, my / length
    # Where it gets to in the view, kept inside as the rules keep it; as an average velocity.
    left, right = spec.player_margin, spec.view_width - spec.player_margin
    top, bottom = spec.player_margin, spec.view_height - spec.player_margin
    view_y = me.y - battlefield.view_top
    end_x = min(max(me.x + mx * speed * LOOKAHEAD, left), right)
    end_y = min(max(view_y + my * speed * LOOKAHEAD, top), bottom)
    vx = (end_x - me.x) / LOOKAHEAD
    vy = (end_y - view_y) / LOOKAHEAD + battlefield.scroll_velocity
    reach = (speed + BULLET_SPEED) * LOOKAHEAD + 100.0
    level = 0.0
    for threat in _noticed(me, threats):
        rx, ry = threat.x - me.x, threat.y - me.y
        if abs(rx) > reach or abs(ry) > reach:
            continue
        wx, wy = threat.vx - vx, threat.vy - vy
        speed2 = wx * wx + wy * wy
        when = 0.0 if speed2 == 0 else min(max(-(rx * wx + ry * wy) / speed2, 0.0), LOOKAHEAD)
        miss = math.hypot(rx + wx * when, ry + wy * when)
        room = radius + threat.radius + CLEARANCE
        if miss < room:
            level += (room - miss) / room * (2.0 - when / LOOKAHEAD)
    return level


def _noticed(me: Transform, threats: list[Threat]) -> list[Threat]:
    """The ATTENTION threats nearest the aircraft: what a pilot keeps an eye on."""
    if len(threats) <= ATTENTION:
        return threats
    return sorted(threats, key=lambda t: (t.x - me.x) ** 2 + (t.y - me.y) ** 2)[:ATTENTION]


def _safest(
    battlefield: Battlefield,
    me: Transform,
    speed: float,
    radius: float,
    goal: tuple[float, float],
    threats: list[Threat],
) -> tuple[float, float]:
    """The way to its goal if that is clear, else the clearest move (the one nearest the
    goal's direction among equals)."""
    if threat_level(battlefield, me, speed, radius, goal, threats) == 0.0:
        return goal
    best, best_rank = goal, (math.inf, 0.0)
    for move in MOVES:
        level = threat_level(battlefield, me, speed, radius, move, threats)
        rank = (round(level, 6), -(move[0] * goal[0] + move[1] * goal[1]))
        if rank < best_rank:
            best, best_rank = move, rank
    return best


def _steer(error: float, softness: float) -> float:
    """-1..1 towards a goal, easing off inside `softness` px so it does not oscillate."""
    if abs(error) < 2.0:
        return 0.0
    return max(-1.0, min(1.0, error / softness))


def add_autopilot(world: World) -> None:
    world.add_system(AutopilotSystem(), Phase.INPUT, in_set=Autopilots)
