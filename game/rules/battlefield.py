"""The battlefield: the tall world and the scrolling view over it."""

from __future__ import annotations

from dataclasses import dataclass

from engine.world import World
from game.rules.content import BattlefieldSpec


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


class ScrollSystem:
    """Climb the view at the scroll speed until it reaches the top of the world.
    (The game runs it `run_if=mission_not_held`: the view stands still while held.)"""

    def update(self, world: World, dt: float) -> None:
        battlefield = world.resource(Battlefield)
        if battlefield.view_top > 0.0:
            climb = battlefield.spec.scroll_speed * dt
            battlefield.view_top = max(0.0, battlefield.view_top - climb)
