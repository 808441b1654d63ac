"""Enemy spawning: the mission's script, plus random waves until near the finish.

Both run only while the mission runs: the game puts them in the Spawning set,
configured `run_if=mission_running`. Every enemy is placed clear of the others
(`place_enemy`): never on top of one already flying or spawned this step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.components import Transform
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Player, Side
from game.rules.content import FormationSpec, GameContent, ScriptedEnemy
from game.rules.difficulty import difficulty_of
from game.rules.events import EnemySpawned
from game.rules.spawn import spawn_enemy

SPAWN_GAP = 8.0  # px at least between the hulls of two enemies where they appear


@dataclass(slots=True)
class MissionScript:
    """The scripted enemies not yet spawned, nearest first."""

    pending: list[ScriptedEnemy] = field(default_factory=list)
    next_index: int = 0


@dataclass(slots=True)
class WaveClock:
    """When the next random wave is due, in simulation seconds."""

    next_at: float = 0.0


@dataclass(slots=True)
class Placements:
    """Enemies placed this step (x, y, radius): spawns land in the world only after the
    step, so those of one step see each other here."""

    step: int = -1
    placed: list[tuple[float, float, float]] = field(default_factory=list)


def script_for(content: GameContent) -> MissionScript:
    """The scripted enemies ordered by when the climbing view reaches them."""
    return MissionScript(sorted(content.script, key=lambda enemy: enemy.ahead))


def next_wave_in(world: World) -> float:
    """Seconds until the next random wave: interval_min..interval_max, over the
    difficulty's `waves`, and over 1 + per_player for each player flying beyond the first
    (more players, more enemies)."""
    waves = world.resource(GameContent).waves
    flying = sum(1 for _, (_, health) in world.query(Player, Health) if health.hitpoints > 0)
    often = difficulty_of(world).waves * (1.0 + waves.per_player * max(0, flying - 1))
    return world.rng.uniform(waves.interval_min, waves.interval_max) / often


def clear_spot(world: World, kind: str, x: float, y: float) -> float:
    """The y nearest `y`, at or above it, where an enemy of `kind` at x lies SPAWN_GAP clear
    of every enemy flying and every one placed this step (above: further ahead, so it
    appears a little later, never inside the view)."""
    content = world.resource(GameContent)
    radius = content.aircraft[kind].radius
    others = [
        (t.x, t.y, content.aircraft[a.kind].radius)
        for entity, (a, t) in world.query(Aircraft, Transform)
        if a.side is Side.ENEMY and world.is_alive(entity)
    ]
    others += _placements(world).placed
    moved = True
    while moved:
        moved = False
        for ox, oy, oradius in others:
            room = radius + oradius + SPAWN_GAP
            dx = x - ox
            if abs(dx) >= room or abs(y - oy) >= room:
                continue
            if dx * dx + (y - oy) ** 2 < room * room:
                y = oy - math.sqrt(room * room - dx * dx) - 1e-6  # just clear, above it
                moved = True
    return y


def place_enemy(
    world: World,
    kind: str,
    x: float,
    y: float,
    *,
    pattern: tuple[tuple[float, float], ...] | None = None,
) -> int:
    """Spawn an enemy at (x, y), or as little above it as keeps it clear of the others
    (clear_spot); emits EnemySpawned."""
    y = clear_spot(world, kind, x, y)
    entity = spawn_enemy(world, kind, x, y, pattern=pattern)
    _placements(world).placed.append((x, y, world.resource(GameContent).aircraft[kind].radius))
    world.events.emit(EnemySpawned(entity, kind))
    return entity


def _placements(world: World) -> Placements:
    placements = world.try_resource(Placements)
    if placements is None:
        placements = Placements()
        world.insert_resource(placements)
    if placements.step != world.time.step:
        placements.step = world.time.step
        placements.placed.clear()
    return placements


class MissionScriptSystem:
    """Spawn each scripted enemy when the view comes within spawn_margin of it."""

    def update(self, world: World, dt: float) -> None:
        script = world.resource(MissionScript)
        battlefield = world.resource(Battlefield)
        spec = battlefield.spec
        reach = battlefield.view_top - spec.spawn_margin
        while script.next_index < len(script.pending):
            enemy = script.pending[script.next_index]
            y = spec.start_view_top - enemy.ahead
            if y < reach:
                break
            script.next_index += 1
            place_enemy(world, enemy.kind, spec.view_width / 2 + enemy.x, y)


class WaveSystem:
    """Every interval_min..interval_max s (over the difficulty's `waves`), one formation
    (picked by weight) of random enemies just above the view, until the view is within
    stop_before_finish of the top. How many it brings is scaled by the difficulty's
    `wave_size`."""

    def update(self, world: World, dt: float) -> None:
        waves = world.resource(GameContent).waves
        battlefield = world.resource(Battlefield)
        clock = world.resource(WaveClock)
        now = world.time.seconds
        if now < clock.next_at or battlefield.view_top < waves.stop_before_finish:
            return
        rng = world.rng
        formation = rng.choices(waves.formations, [f.weight for f in waves.formations])[0]
        count = difficulty_of(world).wave_count(
            rng.randint(formation.count_min, formation.count_max)
        )
        for kind, x, y, pattern in formation_places(world, formation, count):
            place_enemy(world, kind, x, y, pattern=pattern)
        clock.next_at = now + next_wave_in(world)


def formation_places(
    world: World, formation: FormationSpec, count: int
) -> list[tuple[str, float, float, tuple[tuple[float, float], ...] | None]]:
    """(kind, x, y, pattern) of each of `count` enemies of a formation, just above the view.
    A pattern of None is the kind's own."""
    rng = world.rng
    battlefield = world.resource(Battlefield)
    spec = battlefield.spec
    left, right = spec.player_margin, spec.view_width - spec.player_margin
    y = battlefield.view_top - spec.spawn_margin
    kinds = [rng.choice(formation.kinds) for _ in range(count)]
    own = formation.pattern or None
    if formation.shape == "column":  # a file down one side, sweeping it
        side = rng.choice((-1, 1))
        x = formation.inset if side < 0 else spec.view_width - formation.inset
        content = world.resource(GameContent)
        places = []
        for index, kind in enumerate(kinds):
            legs = formation.pattern or content.aircraft[kind].pattern
            mirrored = legs if side < 0 else tuple((-angle, length) for angle, length in legs)
            places.append((kind, x, y - index * formation.spacing, mirrored))
        return places
    if formation.shape == "line":  # a row across the whole width
        step = (right - left) / count
        return [(kind, left + (i + 0.5) * step, y, own) for i, kind in enumerate(kinds)]
    if formation.shape == "above_player":  # a group over one of the players
        players = sorted(
            (entity, transform.x)
            for entity, (_, transform, health) in world.query(Player, Transform, Health)
            if health.hitpoints > 0
        )
        centre = rng.choice(players)[1] if players else rng.uniform(left, right)
        first = centre - (count - 1) * formation.spacing / 2
        return [
            (kind, min(max(first + i * formation.spacing, left), right), y, own)
            for i, kind in enumerate(kinds)
        ]
    return [(kind, rng.uniform(left, right), y, own) for kind in kinds]  # scatter
