"""Factories for everything the shooter spawns; systems and tests build entities here only."""

from __future__ import annotations

import math

from engine.components import Transform, Velocity
from engine.net.replication import Replicated
from engine.physics import Collider
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import (
    Aircraft,
    Category,
    FlightPattern,
    Health,
    Homing,
    Pickup,
    Player,
    PlayerInput,
    Projectile,
    Side,
    Weapon,
)
from game.rules.content import GameContent
from game.rules.difficulty import difficulty_of

# Who touches whom: a pair collides when each one's category is in the other's mask.
MASKS = {
    Category.PLAYER: Category.ENEMY | Category.ENEMY_SHOT | Category.PICKUP,
    Category.ENEMY: Category.PLAYER | Category.ALLY_SHOT,
    Category.ALLY_SHOT: Category.ENEMY,
    Category.ENEMY_SHOT: Category.PLAYER,
    Category.PICKUP: Category.PLAYER,
}


def collider(radius: float, category: Category) -> Collider:
    return Collider(radius=radius, category=int(category), mask=int(MASKS[category]))


def spawn_player(
    world: World,
    player_id: int,
    *,
    owner: int = 0,
    local_index: int = 0,
    name: str = "",
    slot: int | None = None,
    net_id: int = 0,
    remote: bool = False,
    extra: tuple[object, ...] = (),
) -> int:
    """A player's aircraft at the bottom of the current view, in start slot `slot`.

    A `remote` aircraft is flown by its owner's client: it gets no Velocity, so
    the server's control and movement systems leave it where its PlayerInputs put it.
    """
    content = world.resource(GameContent)
    spec = content.aircraft[content.player_aircraft]
    x, y = world.resource(Battlefield).start_position(player_id - 1 if slot is None else slot)
    motion = () if remote else (Velocity(),)
    return world.spawn(
        Transform(x, y),
        *motion,
        *extra,
        Replicated(net_id),
        Aircraft(spec.name, Side.ALLY),
        Health(spec.hitpoints, spec.hitpoints),
        Player(player_id, owner, local_index, name),
        PlayerInput(),
        Weapon(
            bullet=spec.bullet,
            fire_interval=spec.fire_interval,
            fire_rate_level=content.firing.start_fire_rate_level,
            missiles=spec.missiles,
        ),
        collider(spec.radius, Category.PLAYER),
    )


def spawn_enemy(
    world: World,
    kind: str,
    x: float,
    y: float,
    *,
    pattern: tuple[tuple[float, float], ...] | None = None,
) -> int:
    """An enemy of `kind` (the game's, or one a mod added) at (x, y), flying `pattern`
    (None: its kind's), its hit points and fire scaled by the difficulty."""
    content = world.resource(GameContent)
    spec = content.aircraft[kind]
    difficulty = difficulty_of(world)
    hitpoints = difficulty.hitpoints(spec.hitpoints)
    parts: list[object] = [
        Replicated(),
        Transform(x, y, 180.0),
        Velocity(),
        Aircraft(kind, Side.ENEMY),
        Health(hitpoints, hitpoints),
        FlightPattern(
            spec.pattern if pattern is None else pattern, spec.speed, pursuit=spec.pursuit
        ),
        collider(spec.radius, Category.ENEMY),
    ]
    if spec.fire_interval > 0:
        parts.append(
            Weapon(
                bullet=spec.bullet,
                fire_interval=difficulty.fire_interval(spec.fire_interval),
                fire_rate_level=content.firing.start_fire_rate_level,
            )
        )
    return world.spawn(*parts)


def spawn_bullet(
    world: World,
    kind: str,
    side: Side,
    x: float,
    y: float,
    shooter: int,
    *,
    angle: float | None = None,
) -> int:
    """A bullet flying straight at its projectile speed: up the screen for allies, down for
    enemies, unless `angle` says which way (degrees clockwise from up: 180 is down)."""
    spec = world.resource(GameContent).projectiles[kind]
    if angle is None:
        angle = 0.0 if side is Side.ALLY else 180.0
    radians = math.radians(angle)
    category = Category.ALLY_SHOT if side is Side.ALLY else Category.ENEMY_SHOT
    return world.spawn(
        Replicated(spawn_only=True),  # flies straight: clients simulate it from the spawn record
        Transform(x, y, angle % 360.0),
        Velocity(_clean(spec.speed * math.sin(radians)), _clean(-spec.speed * math.cos(radians))),
        Projectile(kind, side, spec.damage, shooter),
        collider(spec.radius, category),
    )


def spawn_missile(world: World, x: float, y: float, shooter: int) -> int:
    spec = world.resource(GameContent).projectiles["missile"]
    return world.spawn(
        Replicated(),
        Transform(x, y),
        Velocity(0.0, -spec.speed),
        Projectile("missile", Side.ALLY, spec.damage, shooter),
        Homing(spec.speed, spec.homing_rate),
        collider(spec.radius, Category.ALLY_SHOT),
    )


def spawn_pickup(world: World, kind: str, x: float, y: float) -> int:
    content = world.resource(GameContent)
    if kind not in content.pickups:
        raise KeyError(f"no pickup named {kind!r}")
    shape = collider(content.pickup_radius, Category.PICKUP)
    return world.spawn(Replicated(), Transform(x, y), Pickup(kind), shape)


def _clean(value: float) -> float:
    """Rounding noise of sin and cos at right angles (1e-14 px/s) to zero."""
    return 0.0 if abs(value) < 1e-9 else value


def heading(vx: float, vy: float) -> float:
    """Degrees clockwise from 'up the screen' for a velocity (0 = up, 180 = down)."""
    return math.degrees(math.atan2(vx, -vy)) % 360.0
