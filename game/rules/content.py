"""The shooter's content: aircraft, weapons, pickups, battlefield, the campaign's missions
and difficulty levels, read from TOML.

Every number the rules use comes from `game/rules/data/*.toml` (the missions from
`data/missions/NAME.toml`, their order from `data/campaign.toml`); loading validates
each value and names the file and key of the first bad one (see engine.data).

A `GameContent` describes one mission at a time: its `script`, `waves` and the
battlefield's `world_height` are those of `mission`; `for_mission(name)` gives the
same content for another mission of the campaign (game.rules.campaign swaps it in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from engine.data import DataError, Table, load_toml
from game.rules.difficulty import DIFFICULTIES, NORMAL, Difficulty

DATA_DIR = Path(__file__).resolve().parent / "data"  # shipped in the package (package-data)
SIDES = ("ally", "enemy")
# Formations of random waves (game.rules.systems.spawning): `scatter`, at random across the
# whole width; `column`, a file down one side of the view; `line`, a row across the whole
# width; `above_player`, a group over a player, wherever that player flies.
SHAPES = ("scatter", "column", "line", "above_player")
EFFECTS = ("hitpoints", "missiles", "spread", "fire_rate", "none")  # none: a mod applies it
NAME = re.compile(r"[a-z0-9_]{1,24}")  # a mission's name (its file's stem), a sprite's name
MAX_TITLE = 40  # characters of a mission's title ("The Coast"), to fit the HUD and results


@dataclass(frozen=True, slots=True)
class BattlefieldSpec:
    view_width: float
    view_height: float
    world_height: float
    scroll_speed: float
    player_margin: float
    cull_margin: float
    spawn_margin: float
    finish_line_y: float
    start_offset: float
    player_spacing: float
    max_players: int

    @property
    def start_view_top(self) -> float:
        return self.world_height - self.view_height


@dataclass(frozen=True, slots=True)
class AircraftSpec:
    name: str
    side: str
    hitpoints: int
    speed: float
    fire_interval: float  # 0: cannot fire
    missiles: int
    radius: float
    width: float
    bullet: str
    pattern: tuple[tuple[float, float], ...]  # (angle degrees, distance px); empty for players
    aim_cone: float = 0.0  # enemies: aim at the nearest player within this many degrees of
    # straight down (0: always straight down)
    pursuit: float = 0.0  # enemies: px/s they drift sideways towards the player below them
    points: int = 0  # enemies: the score for shooting (or ramming) one down


@dataclass(frozen=True, slots=True)
class ProjectileSpec:
    name: str
    damage: int
    speed: float
    radius: float
    homing_rate: float  # 0: flies straight


@dataclass(frozen=True, slots=True)
class FiringSpec:
    start_fire_rate_level: int
    max_fire_rate_level: int
    max_spread_level: int
    max_missiles: int
    missile_interval: float
    spread: tuple[tuple[float, ...], ...]  # per spread level, bullet x offsets / width


@dataclass(frozen=True, slots=True)
class PickupSpec:
    name: str
    effect: str
    amount: int


@dataclass(frozen=True, slots=True)
class ScriptedEnemy:
    kind: str
    x: float  # offset from the view's centre
    ahead: float  # distance above the top of the starting view


@dataclass(frozen=True, slots=True)
class FormationSpec:
    """One way a random wave comes in (missions/NAME.toml [[waves.formation]])."""

    shape: str  # one of SHAPES
    kinds: tuple[str, ...]  # each enemy is one of these, at random
    count_min: int
    count_max: int
    weight: float = 1.0  # how likely, against the other formations' weights
    spacing: float = 0.0  # px between neighbours (column, above_player)
    inset: float = 0.0  # px from the side of the view (column)
    pattern: tuple[tuple[float, float], ...] = ()  # flown instead of the kind's; mirrored
    # for a formation on the right (column) so it sweeps the same way from either side


@dataclass(frozen=True, slots=True)
class WaveSpec:
    interval_min: float
    interval_max: float
    stop_before_finish: float
    formations: tuple[FormationSpec, ...]
    per_player: float = 0.0  # each player flying beyond the first: waves this much more often

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind a wave may bring, in the order the formations name them."""
        return tuple(dict.fromkeys(kind for f in self.formations for kind in f.kinds))


@dataclass(frozen=True, slots=True)
class MissionLook:
    """How a mission looks (sprites under assets/sprites, drawn by the window only): a tile
    repeated over the whole view, an optional `shore` down the left side (tiled
    vertically), and optional `scenery` scattered over the background, one in each band of
    the climb with probability `scenery_chance`."""

    background: str
    shore: str = ""
    scenery: str = ""
    scenery_chance: float = 0.0


@dataclass(frozen=True, slots=True)
class MissionSpec:
    """One mission of the campaign (data/missions/NAME.toml)."""

    name: str  # the file's stem: what --mission takes and what replicates
    title: str  # "The Coast": the HUD and the results say "Mission 2: The Coast"
    length: float  # px: the world's height; the view climbs length - view height
    look: MissionLook
    script: tuple[ScriptedEnemy, ...]
    waves: WaveSpec


@dataclass(frozen=True, slots=True)
class GameContent:
    battlefield: BattlefieldSpec
    aircraft: dict[str, AircraftSpec]
    projectiles: dict[str, ProjectileSpec]
    firing: FiringSpec
    pickups: dict[str, PickupSpec]
    drop_chance: float
    pickup_radius: float
    script: tuple[ScriptedEnemy, ...]
    waves: WaveSpec
    player_aircraft: str = "eagle"
    difficulties: dict[str, Difficulty] = field(default_factory=lambda: {"normal": NORMAL})
    missions: dict[str, MissionSpec] = field(default_factory=dict)  # in campaign order
    mission: str = ""  # the mission script, waves and world_height are of ("": none named)

    def for_mission(self, name: str) -> GameContent:
        """This content with mission `name`'s script, waves and length (ValueError, one line
        listing the valid names, for an unknown one)."""
        spec = self.missions.get(name)
        if spec is None:
            raise ValueError(
                f"mission must be one of {', '.join(self.missions) or '(none)'}, got {name!r}"
            )
        battlefield = replace(self.battlefield, world_height=spec.length)
        return replace(
            self, battlefield=battlefield, script=spec.script, waves=spec.waves, mission=name
        )

    @property
    def mission_spec(self) -> MissionSpec | None:
        return self.missions.get(self.mission)

    def difficulty(self, name: str) -> Difficulty:
        """The level called `name` (one of game.rules.difficulty.DIFFICULTIES)."""
        try:
            return self.difficulties[name]
        except KeyError:
            raise ValueError(
                f"difficulty must be one of {', '.join(self.difficulties)}, got {name!r}"
            ) from None


def load_content(data_dir: Path = DATA_DIR) -> GameContent:
    """Load and cross-check every table; raise DataError naming file, key and value."""
    battlefield = _battlefield(load_toml(data_dir / "battlefield.toml"))
    weapons = load_toml(data_dir / "weapons.toml")
    projectiles = {
        name: _projectile(name, table) for name, table in weapons.subtables("projectiles").items()
    }
    firing = _firing(weapons.table("firing"))
    weapons.finish()
    if "missile" not in projectiles:
        raise DataError(f"{weapons.source}: projectiles.missile: the missile is required")
    aircraft_file = load_toml(data_dir / "aircraft.toml")
    aircraft = {
        name: _aircraft(name, table, projectiles)
        for name, table in aircraft_file.subtables("aircraft").items()
    }
    aircraft_file.finish()
    if "eagle" not in aircraft:
        raise DataError(f"{aircraft_file.source}: aircraft.eagle: the player aircraft is required")
    if aircraft["eagle"].side != "ally":
        raise DataError(
            f"{aircraft_file.source}: aircraft.eagle.side: the player aircraft must be an ally, "
            f"got {aircraft['eagle'].side!r}"
        )
    pickups_file = load_toml(data_dir / "pickups.toml")
    drop_chance = pickups_file.number("drop_chance", min=0.0, max=1.0)
    pickup_radius = pickups_file.number("radius", above=0.0)
    pickups = {
        name: _pickup(name, table) for name, table in pickups_file.subtables("pickups").items()
    }
    pickups_file.finish()
    if not pickups:
        raise pickups_file.fail("pickups", "needs at least one pickup")
    missions = _campaign(data_dir, aircraft, battlefield)
    levels = load_toml(data_dir / "difficulty.toml")
    difficulties = _difficulties(levels)
    levels.finish()
    return GameContent(
        battlefield=battlefield,
        aircraft=aircraft,
        projectiles=projectiles,
        firing=firing,
        pickups=pickups,
        drop_chance=drop_chance,
        pickup_radius=pickup_radius,
        script=(),
        waves=next(iter(missions.values())).waves,
        difficulties=difficulties,
        missions=missions,
    ).for_mission(next(iter(missions)))


def _difficulties(root: Table) -> dict[str, Difficulty]:
    """Exactly the levels of DIFFICULTIES, in that order, each with its every scale."""
    tables = root.subtables("difficulty")
    for name in tables:
        if name not in DIFFICULTIES:
            raise root.fail(f"difficulty.{name}", f"must be one of {', '.join(DIFFICULTIES)}")
    levels = {}
    for name in DIFFICULTIES:
        if name not in tables:
            raise root.fail(f"difficulty.{name}", "is required")
        table = tables[name]
        levels[name] = Difficulty(
            name=name,
            enemy_fire=table.number("enemy_fire", above=0.0, max=10.0),
            enemy_health=table.number("enemy_health", above=0.0, max=10.0),
            waves=table.number("waves", above=0.0, max=10.0),
            wave_size=table.number("wave_size", above=0.0, max=10.0),
        )
        table.finish()
    return levels


def _battlefield(root: Table) -> BattlefieldSpec:
    """The battlefield of every mission; its world_height is the view's until a mission
    gives its length (for_mission)."""
    view, world = root.table("view"), root.table("world")
    view_height = view.number("height", min=64)
    spec = BattlefieldSpec(
        view_width=view.number("width", min=64),
        view_height=view_height,
        world_height=view_height,
        scroll_speed=world.number("scroll_speed", min=0.0),
        player_margin=world.number("player_margin", min=0.0),
        cull_margin=world.number("cull_margin", min=0.0),
        spawn_margin=world.number("spawn_margin", min=0.0),
        finish_line_y=world.number("finish_line_y", min=0.0),
        start_offset=world.number("start_offset", min=0.0),
        player_spacing=world.number("player_spacing", min=0.0),
        max_players=world.integer("max_players", min=1, max=16),
    )
    if spec.start_offset >= spec.view_height:
        raise world.fail("start_offset", "must be inside the starting view", spec.start_offset)
    if spec.spawn_margin >= spec.cull_margin:
        raise world.fail("spawn_margin", "must be below cull_margin", spec.spawn_margin)
    if 2 * spec.player_margin >= min(spec.view_width, spec.view_height):
        raise world.fail("player_margin", "leaves no room inside the view", spec.player_margin)
    for table in (view, world, root):
        table.finish()
    return spec


def _projectile(name: str, table: Table) -> ProjectileSpec:
    spec = ProjectileSpec(
        name=name,
        damage=table.integer("damage", min=0),
        speed=table.number("speed", above=0.0),
        radius=table.number("radius", above=0.0),
        homing_rate=table.number("homing_rate", default=0.0, min=0.0),
    )
    table.finish()
    return spec


def _firing(table: Table) -> FiringSpec:
    max_spread = table.integer("max_spread_level", min=1, max=8)
    raw_spread = table.get("spread")
    if not isinstance(raw_spread, list) or len(raw_spread) != max_spread:
        raise table.fail("spread", f"must list offsets for {max_spread} spread levels", raw_spread)
    spread = []
    for level, offsets in enumerate(raw_spread, start=1):
        ok = (
            isinstance(offsets, list)
            and len(offsets) == level
            and all(
                isinstance(o, int | float) and not isinstance(o, bool) and -1 <= o <= 1
                for o in offsets
            )
        )
        if not ok:
            raise table.fail(
                f"spread[{level - 1}]", f"must be {level} offsets between -1 and 1", offsets
            )
        spread.append(tuple(float(o) for o in offsets))
    start = table.integer("start_fire_rate_level", min=0)
    spec = FiringSpec(
        start_fire_rate_level=start,
        max_fire_rate_level=table.integer("max_fire_rate_level", min=max(start, 1)),
        max_spread_level=max_spread,
        max_missiles=table.integer("max_missiles", min=0),
        missile_interval=table.number("missile_interval", min=0.0),
        spread=tuple(spread),
    )
    table.finish()
    return spec


def _aircraft(name: str, table: Table, projectiles: dict[str, ProjectileSpec]) -> AircraftSpec:
    side = table.string("side", choices=SIDES)
    bullet = table.string("bullet")
    if bullet not in projectiles:
        raise table.fail("bullet", f"must be one of {', '.join(projectiles)}", bullet)
    pattern = _pattern(table)
    spec = AircraftSpec(
        name=name,
        side=side,
        hitpoints=table.integer("hitpoints", min=1),
        speed=table.number("speed", above=0.0),
        fire_interval=table.number("fire_interval", min=0.0),
        missiles=table.integer("missiles", default=0, min=0),
        radius=table.number("radius", above=0.0),
        width=table.number("width", above=0.0),
        bullet=bullet,
        pattern=pattern,
        aim_cone=table.number("aim_cone", default=0.0, min=0.0, max=90.0),
        pursuit=table.number("pursuit", default=0.0, min=0.0),
        points=table.integer("points", default=0, min=0),
    )
    table.finish()
    return spec


def _pattern(table: Table) -> tuple[tuple[float, float], ...]:
    """A flight pattern: [[angle, distance], ...], angle in -180..180, distance > 0."""
    raw = table.get("pattern", [])
    if not isinstance(raw, list):
        raise table.fail("pattern", "must be an array of [angle, distance] legs", raw)
    pattern = []
    for index, leg in enumerate(raw):
        ok = (
            isinstance(leg, list)
            and len(leg) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in leg)
            and -180 <= leg[0] <= 180
            and leg[1] > 0
        )
        if not ok:
            raise table.fail(f"pattern[{index}]", "must be [angle in -180..180, distance > 0]", leg)
        pattern.append((float(leg[0]), float(leg[1])))
    return tuple(pattern)


def _pickup(name: str, table: Table) -> PickupSpec:
    spec = PickupSpec(
        name=name,
        effect=table.string("effect", choices=EFFECTS),
        amount=table.integer("amount", min=1),
    )
    table.finish()
    return spec


def _campaign(
    data_dir: Path, aircraft: dict[str, AircraftSpec], battlefield: BattlefieldSpec
) -> dict[str, MissionSpec]:
    """The missions campaign.toml lists, in its order, each read from missions/NAME.toml;
    every file in missions/ must be listed, and each exactly once."""
    root = load_toml(data_dir / "campaign.toml")
    names = root.get("missions")
    if not isinstance(names, list) or not names:
        raise root.fail("missions", "must be a non-empty array of mission names", names)
    folder = data_dir / "missions"
    for index, name in enumerate(names):
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise root.fail(f"missions[{index}]", "must be a name of a-z, 0-9 and _", name)
        if name in names[:index]:
            raise root.fail(f"missions[{index}]", "is listed twice", name)
        if not (folder / f"{name}.toml").is_file():
            raise root.fail(f"missions[{index}]", f"has no file {folder / name}.toml", name)
    root.finish()
    for path in sorted(folder.glob("*.toml")):
        if path.stem not in names:
            raise DataError(f"{path}: not in the campaign: add {path.stem!r} to {root.source}")
    return {name: _mission(name, folder / f"{name}.toml", aircraft, battlefield) for name in names}


def _mission(
    name: str, path: Path, aircraft: dict[str, AircraftSpec], battlefield: BattlefieldSpec
) -> MissionSpec:
    root = load_toml(path)
    title = root.string("title")
    if not title.strip() or len(title) > MAX_TITLE:
        raise root.fail("title", f"must be 1..{MAX_TITLE} characters", title)
    length = root.number("length", min=battlefield.view_height)
    field_ = replace(battlefield, world_height=length)
    if battlefield.finish_line_y >= field_.start_view_top:
        raise root.fail(
            "length",
            f"leaves the finish line (y = {battlefield.finish_line_y:g}) inside the starting "
            "view: must be above view height + finish_line_y",
            length,
        )
    look_table = root.table("look")
    look = MissionLook(
        background=_sprite(look_table, "background"),
        shore=_sprite(look_table, "shore", default=""),
        scenery=_sprite(look_table, "scenery", default=""),
        scenery_chance=look_table.number("scenery_chance", default=0.0, min=0.0, max=1.0),
    )
    look_table.finish()
    script = tuple(_scripted(t, aircraft, field_) for t in root.tables("enemy", default=[]))
    spec = MissionSpec(
        name=name,
        title=title,
        length=length,
        look=look,
        script=script,
        waves=_waves(root.table("waves"), aircraft),
    )
    root.finish()
    return spec


def _sprite(table: Table, key: str, *, default: str | None = None) -> str:
    value = table.string(key) if default is None else table.string(key, default=default)
    if value and not NAME.fullmatch(value):
        raise table.fail(key, "must be a sprite name of a-z, 0-9 and _", value)
    return value


def _scripted(
    table: Table, aircraft: dict[str, AircraftSpec], battlefield: BattlefieldSpec
) -> ScriptedEnemy:
    kind = _enemy_kind(table, "kind", table.string("kind"), aircraft)
    half = battlefield.view_width / 2
    spec = ScriptedEnemy(
        kind=kind,
        x=table.number("x", min=-half, max=half),
        ahead=table.number("ahead", min=0.0, max=battlefield.start_view_top),
    )
    table.finish()
    return spec


def _waves(table: Table, aircraft: dict[str, AircraftSpec]) -> WaveSpec:
    interval_min = table.number("interval_min", above=0.0)
    formations = tuple(_formation(f, aircraft) for f in table.tables("formation"))
    if not formations:
        raise table.fail("formation", "needs at least one [[waves.formation]]")
    if not any(f.weight > 0 for f in formations):
        raise table.fail("formation", "needs a formation with a weight above 0")
    spec = WaveSpec(
        interval_min=interval_min,
        interval_max=table.number("interval_max", min=interval_min),
        stop_before_finish=table.number("stop_before_finish", min=0.0),
        formations=formations,
        per_player=table.number("per_player", default=0.0, min=0.0, max=10.0),
    )
    table.finish()
    return spec


def _formation(table: Table, aircraft: dict[str, AircraftSpec]) -> FormationSpec:
    raw_kinds = table.get("kinds")
    if not isinstance(raw_kinds, list) or not raw_kinds:
        raise table.fail("kinds", "must be a non-empty array of enemy names", raw_kinds)
    kinds = tuple(_enemy_kind(table, "kinds", k, aircraft) for k in raw_kinds)
    count_min = table.integer("count_min", min=1, max=32)
    spec = FormationSpec(
        shape=table.string("shape", choices=SHAPES),
        kinds=kinds,
        count_min=count_min,
        count_max=table.integer("count_max", min=count_min, max=32),
        weight=table.number("weight", default=1.0, min=0.0),
        spacing=table.number("spacing", default=0.0, min=0.0),
        inset=table.number("inset", default=0.0, min=0.0),
        pattern=_pattern(table),
    )
    table.finish()
    return spec


def _enemy_kind(table: Table, key: str, kind: object, aircraft: dict[str, AircraftSpec]) -> str:
    enemies = [n for n, a in aircraft.items() if a.side == "enemy"]
    if kind not in enemies:
        raise table.fail(key, f"must name an enemy aircraft ({', '.join(enemies)})", kind)
    return kind  # type: ignore[return-value]
