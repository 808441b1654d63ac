"""The battlefield: the tall world, the scrolling view over it, and the mission's state."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.world import World
from game.rules.content import BattlefieldSpec, ScriptedEnemy
from game.rules.events import Outcome


@dataclass(slots=True)
class Battlefield:
    """Where the view is. The view climbs from the bottom of the world to y = 0."""

    spec: BattlefieldSpec
    view_top: float

    @classmethod
    def at_start(cls, spec: BattlefieldSpec) -> Battlefield:
        return cls(spec, spec.start_view_top)

    @property
    def width(self) -> float:
        return self.spec.view_width

    @property
    def view_bottom(self) -> float:
        return self.view_top + self.spec.view_height

    @property
    def scrolling(self) -> bool:
        return self.view_top > 0.0

    @property
    def scroll_velocity(self) -> float:
        """Vertical velocity that keeps pace with the view (negative: up the screen)."""
        return -self.spec.scroll_speed if self.scrolling else 0.0

    def outside_view(self, x: float, y: float, margin: float) -> bool:
        """True if (x, y) lies more than `margin` px outside the view."""
        return (
            y < self.view_top - margin
            or y > self.view_bottom + margin
            or x < -margin
            or x > self.spec.view_width + margin
        )

    def in_view(self, x: float, y: float) -> bool:
        return not self.outside_view(x, y, 0.0)

    def start_position(self, slot: int) -> tuple[float, float]:
        """Where the player in start slot 0, 1, 2, ... appears: centre, right, left, ..."""
        rank = (slot + 1) // 2
        sign = 1 if slot % 2 else -1
        offset = sign * rank * self.spec.player_spacing
        half_room = self.spec.view_width / 2 - self.spec.player_margin
        x = self.spec.view_width / 2 + max(-half_room, min(half_room, offset))
        return x, self.view_bottom - self.spec.start_offset


@dataclass(slots=True)
class MissionState:
    """Outcome of the mission: set once, never changed afterwards."""

    outcome: Outcome | None = None
    ended_at_step: int = -1
    had_players: bool = False
    held: bool = False  # a server with nobody connected waits at the start

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
class MissionStats:
    enemies_spawned: int = 0
    enemies_destroyed: int = 0
    pickups_taken: int = 0
    shots_fired: int = 0
    missiles_launched: int = 0
    players_lost: int = 0


class ScrollSystem:
    """Climb the view at the scroll speed until it reaches the top of the world.
    (The game runs it `run_if=mission_not_held`: the view stands still while held.)"""

    def update(self, world: World, dt: float) -> None:
        battlefield = world.resource(Battlefield)
        if battlefield.view_top > 0.0:
            climb = battlefield.spec.scroll_speed * dt
            battlefield.view_top = max(0.0, battlefield.view_top - climb)
