"""The mission's lifecycle: held at the start, started, ended once, restarted after a pause.

The rules own it and announce it as events; they never know who is connected.

- `start_mission` begins a mission: it is no longer held, `MissionState.number`
  counts it, and `MissionStarted(number)` is emitted.
- The mission ends once (`MissionStatusSystem`, in the `MissionStatus` set, emits
  `MissionEnded(outcome)`), unless a mod's unmet objective holds that verdict back
  (`MissionEnding`, game.rules.objectives).
- `reset_mission` emits `MissionRestarted` when a mission that had begun goes back
  to the start.
- `MissionRestartSystem` (SPAWN, set `MissionLifecycle`, after `MissionStatus`)
  restarts an ended mission RESTART_DELAY seconds later: the campaign moves on if it
  was won (game.rules.campaign), everything back to the start of the campaign's
  mission (`reset_mission`), then `start_mission`.
- `hold_mission` puts everything back to the start and waits there, held (no
  scrolling, no spawning, no verdict), until someone calls `start_mission`. The
  server holds the mission while nobody is seated; the headless sim starts its
  mission at once.

Whoever reacts to `MissionStarted` sees it in the step it is emitted: a restart
emits it in SPAWN, so order a reacting system `after=MissionLifecycle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from engine.components import Transform
from engine.world import World
from game.rules.battlefield import Battlefield
from game.rules.campaign import Campaign, install_mission
from game.rules.components import Aircraft, Pickup, Projectile
from game.rules.content import GameContent
from game.rules.systems.spawning import WaveClock, next_wave_in, script_for
from game.rules.systems.stats import MissionStats, reset_scores

RESTART_DELAY = 5.0  # seconds between a mission's end and the next one


class Outcome(Enum):
    SUCCESS = "success"
    FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class MissionStarted:
    """A mission began: the `number`th since the world was made (1, 2, ...)."""

    number: int


@dataclass(frozen=True, slots=True)
class MissionRestarted:
    """Everything went back to the start (aircraft, shots and pickups gone, the view at the
    bottom): reset a mod's own state here. `number` counts the missions begun so far; a
    MissionStarted follows, at once after an ended mission, or when a held one starts."""

    number: int


@dataclass(frozen=True, slots=True)
class MissionEnding:
    """The rules reached a verdict (`outcome`) that unmet objectives (`held_by`, their
    names) hold back: the mission goes on. Emitted when the verdict is first held and
    whenever what holds it changes (game.rules.objectives)."""

    outcome: Outcome
    held_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MissionEnded:
    """The mission ended, in success or failure: emitted once per mission."""

    outcome: Outcome


@dataclass(slots=True)
class MissionState:
    """Where the mission stands. Its outcome is set once per mission, never changed after."""

    outcome: Outcome | None = None
    ended_at_step: int = -1
    had_players: bool = False
    held: bool = False  # waiting at the start (a server with nobody seated)
    number: int = 0  # missions begun so far (0: the first has not begun)
    restart_at: float = -1.0  # simulation seconds the ended mission restarts at; -1: none

    @property
    def running(self) -> bool:
        return self.outcome is None and not self.held


def mission_running(world: World) -> bool:
    """Run condition: the mission is under way (neither held for players nor ended)."""
    return world.resource(MissionState).running


def mission_not_held(world: World) -> bool:
    """Run condition: the mission is not held at the start waiting for players."""
    mission = world.try_resource(MissionState)
    return mission is None or not mission.held


def reset_mission(world: World) -> None:
    """Everything back to the start: aircraft, projectiles and pickups gone, the view at the
    bottom, the script, the waves, the tallies and the scores from scratch, for the
    campaign's mission. Held and the count stay."""
    install_mission(world)
    content = world.resource(GameContent)
    for entity, _ in world.query(Aircraft, Transform):
        world.despawn(entity)
    for entity, _ in world.query(Projectile, Transform):
        world.despawn(entity)
    for entity, _ in world.query(Pickup, Transform):
        world.despawn(entity)
    world.resource(Battlefield).view_top = content.battlefield.start_view_top
    mission = world.resource(MissionState)
    mission.outcome = None
    mission.ended_at_step = -1
    mission.had_players = False
    mission.restart_at = -1.0
    world.insert_resource(MissionStats())
    reset_scores(world)
    world.insert_resource(script_for(content))
    world.insert_resource(WaveClock(world.time.seconds + next_wave_in(world)))
    if mission.number:  # a mission had begun: say it is gone
        world.events.emit(MissionRestarted(mission.number))


def start_mission(world: World) -> None:
    """Begin the mission from where it stands (held, or just reset): emits MissionStarted."""
    mission = world.resource(MissionState)
    mission.held = False
    mission.number += 1
    world.events.emit(MissionStarted(mission.number))


def hold_mission(world: World) -> None:
    """Back to the start, and wait there (held) until `start_mission`."""
    reset_mission(world)
    world.resource(MissionState).held = True


def restart_mission(world: World) -> None:
    """Back to the start and begin again at once."""
    reset_mission(world)
    start_mission(world)


class MissionRestartSystem:
    """An ended mission restarts RESTART_DELAY seconds after it ended (MissionEnded)."""

    def update(self, world: World, dt: float) -> None:
        mission = world.resource(MissionState)
        for _ in world.events.read(MissionEnded):
            mission.restart_at = world.time.seconds + RESTART_DELAY
        if mission.restart_at >= 0 and world.time.seconds >= mission.restart_at:
            campaign = world.try_resource(Campaign)
            if campaign is not None:
                campaign.advance(won=mission.outcome is Outcome.SUCCESS)
            restart_mission(world)
