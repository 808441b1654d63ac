"""How far a remote aircraft may move: a budget refilled at top speed, for PositionUpdate checks.

Every seated aircraft carries a MoveBudget (seats.py gives it one); the
PositionUpdate check (commands.py) spends it and refills it each step.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.world import World
from game.rules.content import GameContent

BUDGET_SECONDS = 0.5  # a PositionUpdate may cover at most this much flying at full speed
SPEED_TOLERANCE = 1.15


@dataclass(slots=True)
class MoveBudget:
    """How far (px) a remote aircraft may still move: refilled at top speed, capped."""

    pixels: float = 0.0
    refused: int = 0  # updates clamped or refused, for the log and tests


def aircraft_speed(world: World) -> float:
    """The fastest a player aircraft may cover ground (px/s): its speed plus the scroll,
    with some tolerance."""
    content = world.resource(GameContent)
    spec = content.aircraft[content.player_aircraft]
    return (spec.speed + content.battlefield.scroll_speed) * SPEED_TOLERANCE


def full_budget(world: World) -> MoveBudget:
    """A fresh aircraft's budget: BUDGET_SECONDS of flying at full speed."""
    return MoveBudget(aircraft_speed(world) * BUDGET_SECONDS)
