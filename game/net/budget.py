"""How far a remote aircraft may move, and what the server has applied of its pilot's inputs.

Every seated aircraft carries a MoveBudget and an InputLedger (seats.py gives it
them); the PlayerInputs check (commands.py) spends the one and keeps the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.world import World
from game.rules.content import GameContent

BUDGET_SECONDS = 0.5  # the most flying at full speed an aircraft may bank, and one entry cover
SPEED_TOLERANCE = 1.15
MAX_STEPS_AHEAD = 60
"""Client steps (1 s) an entry may claim beyond the client's clock as the server has it (the
step the first entry named, moved on by the server's own steps since): a far-off step is
refused, with the entries after it."""
DRIFT_STEPS = 100  # the client's clock may also gain a step on the server's every this many


@dataclass(slots=True)
class MoveBudget:
    """How far (px) a remote aircraft may still move: refilled at top speed every server step,
    capped at BUDGET_SECONDS of flying."""

    pixels: float = 0.0
    refused: int = 0  # inputs clamped (and corrected), for the log and tests


@dataclass(slots=True)
class InputLedger:
    """What the server has applied of one remote aircraft's PlayerInputs."""

    last_step: int = -1  # the client step of the last entry applied (-1: none yet)
    offset: int = 0  # client step minus server step when the first entry arrived
    anchored_at: int = 0  # the server step it arrived in
    missiles: int = 0  # the pilot's running count of missiles asked for, as applied
    applied: int = 0  # entries applied (for the log and tests)
    ahead: int = 0  # entries refused for a step beyond the client's clock

    def limit(self, server_step: int) -> int:
        """The latest client step an entry may name in server step `server_step`."""
        elapsed = server_step - self.anchored_at
        return server_step + self.offset + MAX_STEPS_AHEAD + elapsed // DRIFT_STEPS


def aircraft_speed(world: World) -> float:
    """The fastest a player aircraft may cover ground (px/s): its speed plus the scroll,
    with some tolerance."""
    content = world.resource(GameContent)
    spec = content.aircraft[content.player_aircraft]
    return (spec.speed + content.battlefield.scroll_speed) * SPEED_TOLERANCE


def full_budget(world: World) -> MoveBudget:
    """A fresh aircraft's budget: BUDGET_SECONDS of flying at full speed."""
    return MoveBudget(aircraft_speed(world) * BUDGET_SECONDS)
