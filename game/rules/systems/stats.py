"""The running tallies of a mission, which a summary reports."""

from __future__ import annotations

from dataclasses import dataclass

from engine.world import World
from game.rules.components import Side
from game.rules.events import Destroyed, EnemySpawned, MissileLaunched, PickupTaken, ShotFired


@dataclass(slots=True)
class MissionStats:
    enemies_spawned: int = 0
    enemies_destroyed: int = 0
    pickups_taken: int = 0
    shots_fired: int = 0
    missiles_launched: int = 0
    players_lost: int = 0


class StatsSystem:
    """Count what happened this step into MissionStats."""

    def update(self, world: World, dt: float) -> None:
        stats = world.resource(MissionStats)
        events = world.events
        stats.enemies_spawned += len(events.read(EnemySpawned))
        for destroyed in events.read(Destroyed):
            if destroyed.side is Side.ENEMY:
                stats.enemies_destroyed += 1
            else:
                stats.players_lost += 1
        stats.pickups_taken += len(events.read(PickupTaken))
        stats.shots_fired += sum(shot.bullets for shot in events.read(ShotFired))
        stats.missiles_launched += len(events.read(MissileLaunched))
