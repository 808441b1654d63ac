"""Enemy spawning: the mission's script, plus random waves until near the finish.

Both run only while the mission runs: the game puts them in the Spawning set,
configured `run_if=mission_running`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.content import GameContent, ScriptedEnemy
from game.rules.events import EnemySpawned
from game.rules.spawn import spawn_enemy


@dataclass(slots=True)
class MissionScript:
    """The scripted enemies not yet spawned, nearest first."""

    pending: list[ScriptedEnemy] = field(default_factory=list)
    next_index: int = 0


@dataclass(slots=True)
class WaveClock:
    """When the next random wave is due, in simulation seconds."""

    next_at: float = 0.0


def script_for(content: GameContent) -> MissionScript:
    """The scripted enemies ordered by when the climbing view reaches them."""
    return MissionScript(sorted(content.script, key=lambda enemy: enemy.ahead))


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
            entity = spawn_enemy(world, enemy.kind, spec.view_width / 2 + enemy.x, y)
            world.events.emit(EnemySpawned(entity, enemy.kind))


class WaveSystem:
    """Every interval_min..interval_max s, spawn count_min..count_max random enemies
    just above the view, until the view is within stop_before_finish of the top."""

    def update(self, world: World, dt: float) -> None:
        waves = world.resource(GameContent).waves
        battlefield = world.resource(Battlefield)
        clock = world.resource(WaveClock)
        now = world.time.seconds
        if now < clock.next_at or battlefield.view_top < waves.stop_before_finish:
            return
        spec = battlefield.spec
        rng = world.rng
        for _ in range(rng.randint(waves.count_min, waves.count_max)):
            kind = rng.choice(waves.kinds)
            x = rng.uniform(spec.player_margin, spec.view_width - spec.player_margin)
            entity = spawn_enemy(world, kind, x, battlefield.view_top - spec.spawn_margin)
            world.events.emit(EnemySpawned(entity, kind))
        clock.next_at = now + rng.uniform(waves.interval_min, waves.interval_max)
