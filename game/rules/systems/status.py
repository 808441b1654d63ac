"""The mission's end: success or failure, decided once."""

from __future__ import annotations

from engine.components import Transform
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Player
from game.rules.mission import MissionEnded, MissionState, Outcome
from game.rules.objectives import holding


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
    does not fail its mission before anyone joins. A mod's unmet objective holds a
    verdict back (game.rules.objectives). Runs only while the mission
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
        if holding(world, outcome):  # a mod's objective is not met yet (MissionEnding)
            return
        mission.outcome = outcome
        mission.ended_at_step = world.time.step
        world.events.emit(MissionEnded(outcome))
