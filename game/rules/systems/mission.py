"""The mission's end, decided once, and the running tallies a summary reports."""

from __future__ import annotations

from engine.components import Transform
from engine.world import World
from game.rules.battlefield import Battlefield, MissionState, MissionStats
from game.rules.components import Health, Player, Side
from game.rules.events import (
    Destroyed,
    EnemySpawned,
    MissileLaunched,
    MissionEnded,
    Outcome,
    PickupTaken,
    ShotFired,
)


def living_players(world: World) -> list[tuple[int, Transform]]:
    """Player aircraft that exist, are not being removed, and have hit points left."""
    return [
        (entity, transform)
        for entity, (transform, _, health) in world.query(Transform, Player, Health)
        if health.hitpoints > 0 and world.is_alive(entity)
    ]


class MissionStatusSystem:
    """Success when a living player crosses the finish line; failure when none is left.

    Decided at most once: MissionEnded is emitted on the step it happens and
    never again. Failure needs players to have flown first, so an empty server
    does not fail its mission before anyone joins. Runs only while the mission
    runs (the MissionStatus set is `run_if=mission_running`).
    """

    def update(self, world: World, dt: float) -> None:
        mission = world.resource(MissionState)
        players = living_players(world)
        if players:
            mission.had_players = True
        finish = world.resource(Battlefield).spec.finish_line_y
        if any(transform.y <= finish for _, transform in players):
            outcome = Outcome.SUCCESS
        elif mission.had_players and not players:
            outcome = Outcome.FAILURE
        else:
            return
        mission.outcome = outcome
        mission.ended_at_step = world.time.step
        world.events.emit(MissionEnded(outcome))


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
