"""Content a mod adds: enemy, projectile and pickup kinds, in code or from its own TOML.

A kind goes into the world's `GameContent` tables, so `spawn_enemy`, the weapons and
the drops use it as they use the game's own; its name travels to clients as a string
(16 bytes at most). How a kind looks is kept apart, in the `Looks` resource: a sprite
file or a drawing function the client's renderer uses where it has no sprite of its
own. Both sides must add the same kinds, so a plugin adds them in `build`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.data import DataError, Table, load_toml
from engine.world import World
from game.rules.content import (
    AircraftSpec,
    GameContent,
    PickupSpec,
    ProjectileSpec,
    _aircraft,
    _pickup,
    _projectile,
)

MAX_KIND_BYTES = 16  # Aircraft.kind, Projectile.kind and Pickup.kind travel as Str(16)

# draw(surface, world, entity, x, y): the entity at (x, y) on screen. Runs on clients only.
DrawKind = Callable[[Any, World, int, float, float], None]


@dataclass(frozen=True, slots=True)
class Look:
    """How a mod's kind is drawn: a sprite file (centred on the entity), or a function."""

    sprite: Path | None = None
    draw: DrawKind | None = None


@dataclass
class Looks:
    """Looks of the kinds mods added, by kind name (a client's renderer reads them)."""

    enemies: dict[str, Look] = field(default_factory=dict)
    projectiles: dict[str, Look] = field(default_factory=dict)
    pickups: dict[str, Look] = field(default_factory=dict)

    @classmethod
    def of(cls, world: World) -> Looks:
        looks = world.try_resource(cls)
        if looks is None:
            looks = cls()
            world.insert_resource(looks)
        return looks


def _check_name(name: str, taken: dict[str, object], what: str) -> None:
    if not name or len(name.encode()) > MAX_KIND_BYTES:
        raise ValueError(
            f"a {what} kind is 1..{MAX_KIND_BYTES} bytes of UTF-8 (it travels as such), "
            f"not {name!r}"
        )
    if name in taken:
        raise ValueError(f"there is already a {what} kind called {name!r}")


def _look(sprite: Path | str | None, draw: DrawKind | None) -> Look | None:
    if sprite is None and draw is None:
        return None
    return Look(Path(sprite) if sprite is not None else None, draw)


def add_enemy_kind(
    world: World,
    name: str,
    *,
    hitpoints: int,
    speed: float,
    pattern: tuple[tuple[float, float], ...] = (),
    bullet: str = "bullet_enemy",
    fire_interval: float = 0.0,
    aim_cone: float = 0.0,
    radius: float = 22.0,
    width: float = 64.0,
    pursuit: float = 0.0,
    points: int = 0,
    sprite: Path | str | None = None,
    draw: DrawKind | None = None,
) -> AircraftSpec:
    """An enemy kind `spawn_enemy(world, name, x, y)` makes: its hit points, speed, flight
    pattern (legs of (angle, distance); angle 0 is down), weapon (`bullet` kind, seconds
    between shots, 0 for none; `aim_cone` degrees it may aim off straight down), and its
    look on clients: `sprite` (an image file) or `draw(surface, world, entity, x, y)`."""
    content = world.resource(GameContent)
    _check_name(name, content.aircraft, "aircraft")
    if bullet not in content.projectiles:
        raise ValueError(f"enemy {name!r}: no projectile kind {bullet!r}")
    spec = AircraftSpec(
        name=name,
        side="enemy",
        hitpoints=int(hitpoints),
        speed=float(speed),
        fire_interval=float(fire_interval),
        missiles=0,
        radius=float(radius),
        width=float(width),
        bullet=bullet,
        pattern=tuple((float(a), float(d)) for a, d in pattern),
        aim_cone=float(aim_cone),
        pursuit=float(pursuit),
        points=int(points),
    )
    return _add_enemy(world, spec, _look(sprite, draw))


def _add_enemy(world: World, spec: AircraftSpec, look: Look | None) -> AircraftSpec:
    world.resource(GameContent).aircraft[spec.name] = spec
    if look is not None:
        Looks.of(world).enemies[spec.name] = look
    return spec


def add_projectile_kind(
    world: World,
    name: str,
    *,
    damage: int,
    speed: float,
    radius: float = 4.0,
    sprite: Path | str | None = None,
    draw: DrawKind | None = None,
) -> ProjectileSpec:
    """A projectile kind an enemy kind may fire (its `bullet`). Without a look it is drawn
    as the game's bullet of its side."""
    content = world.resource(GameContent)
    _check_name(name, content.projectiles, "projectile")
    spec = ProjectileSpec(name, int(damage), float(speed), float(radius), 0.0)
    content.projectiles[name] = spec
    look = _look(sprite, draw)
    if look is not None:
        Looks.of(world).projectiles[name] = look
    return spec


def add_pickup_kind(
    world: World,
    name: str,
    *,
    amount: int = 1,
    sprite: Path | str | None = None,
    draw: DrawKind | None = None,
) -> PickupSpec:
    """Let enemies drop a new kind of pickup. Its effect is the mod's: react to PickupTaken.
    Without a look, clients draw nothing for it (a DrawHooks layer may)."""
    content = world.resource(GameContent)
    _check_name(name, content.pickups, "pickup")
    spec = PickupSpec(name, "none", int(amount))
    content.pickups[name] = spec
    look = _look(sprite, draw)
    if look is not None:
        Looks.of(world).pickups[name] = look
    return spec


def load_kinds(world: World, path: Path) -> None:
    """Add the kinds of a mod's TOML file: `[projectiles.NAME]` (damage, speed, radius),
    `[enemies.NAME]` (as aircraft.toml's enemies, plus `sprite`, a file next to the TOML)
    and `[pickups.NAME]` (amount, sprite). Checked as the game's own data: a DataError
    names the file, the key and the bad value. Other tables are the mod's own to read."""
    root = load_toml(path)
    content = world.resource(GameContent)
    for name, table in _section(root, "projectiles").items():
        _name_ok(table, name, content.projectiles, "projectile")
        sprite = _sprite(table, path)
        spec = _projectile(name, _without(table, ("homing_rate",)))
        content.projectiles[name] = spec
        if sprite is not None:
            Looks.of(world).projectiles[name] = Look(sprite)
    for name, table in _section(root, "enemies").items():
        _name_ok(table, name, content.aircraft, "aircraft")
        sprite = _sprite(table, path)
        raw = table.get("side", "enemy")
        if raw != "enemy":
            raise table.fail("side", "a mod's enemies are on the enemy side", raw)
        table.raw.setdefault("side", "enemy")
        spec = _aircraft(name, _without(table, ("missiles",)), content.projectiles)
        _add_enemy(world, spec, Look(sprite) if sprite is not None else None)
    for name, table in _section(root, "pickups").items():
        _name_ok(table, name, content.pickups, "pickup")
        sprite = _sprite(table, path)
        table.raw.setdefault("effect", "none")
        content.pickups[name] = _pickup(name, table)
        if sprite is not None:
            Looks.of(world).pickups[name] = Look(sprite)


def _section(root: Table, key: str) -> dict[str, Table]:
    return root.subtables(key) if key in root.raw else {}


def _name_ok(table: Table, name: str, taken: dict[str, object], what: str) -> None:
    try:
        _check_name(name, taken, what)
    except ValueError as error:
        raise DataError(f"{table.where()}: {error}") from None


def _sprite(table: Table, path: Path) -> Path | None:
    """The table's `sprite`, a file relative to the TOML's folder that must exist."""
    if "sprite" not in table.raw:
        return None
    sprite = path.parent / table.string("sprite")
    if not sprite.is_file():
        raise table.fail("sprite", "no such file next to the data file", str(sprite.name))
    return sprite


def _without(table: Table, keys: tuple[str, ...]) -> Table:
    """The table, refusing `keys` a mod's kind may not set (reported as unknown keys)."""
    for key in keys:
        if key in table.raw:
            raise table.fail(key, "is not a known key")
    return table
