"""What to do next, said on the battlefield: "Fly up through the finish line" once the view
has stopped climbing, until the mission ends.

Playtesters who stopped at the end of the climb waited at the bottom of the screen for
something to happen; nothing told them the mission ends only when someone crosses the
line. The hint only reads the world, like the HUD.
"""

from __future__ import annotations

import math

import pygame

from engine.client.ui import draw_text
from game.net.claims import LocalSeat
from game.rules.battlefield import Battlefield
from game.rules.mission import MissionState

FINISH_HINT = "Fly up through the finish line"
COLOUR = (255, 196, 72)  # the HUD's accent
BOB_HZ = 1.5  # the arrows bob up and down, to draw the eye upwards
BELOW_LINE = 46  # px from the finish line to the hint's middle


def finish_hint(world) -> str | None:  # noqa: ANN001
    """The hint, while the mission runs, the view has stopped and this player flies."""
    mission = world.try_resource(MissionState)
    battlefield = world.try_resource(Battlefield)
    if mission is None or battlefield is None or not mission.running or battlefield.scrolling:
        return None
    if not any(True for _ in world.query_one(LocalSeat)):
        return None  # spectators have nothing to fly
    return FINISH_HINT


class FinishHint:
    """Draws the hint under the finish line, between arrows pointing up through it."""

    def __init__(self) -> None:
        self.clock = 0.0

    def update(self, dt: float) -> None:
        self.clock += dt

    def draw(self, surface: pygame.Surface, world) -> None:  # noqa: ANN001
        text = finish_hint(world)
        if text is None:
            return
        battlefield = world.resource(Battlefield)
        line_y = battlefield.spec.finish_line_y - battlefield.view_top
        y = max(line_y, 0) + BELOW_LINE
        centre_x = surface.get_width() / 2
        rect = draw_text(surface, text, (centre_x, y), 36, COLOUR)
        bob = 5 * math.sin(self.clock * BOB_HZ * math.tau)
        for x in (rect.left - 34, rect.right + 34):
            _arrow_up(surface, x, y - bob)


def _arrow_up(surface: pygame.Surface, x: float, y: float) -> None:
    """A filled up-pointing triangle with a dark outline, centred on (x, y)."""
    points = [(x, y - 16), (x + 14, y + 10), (x - 14, y + 10)]
    pygame.draw.polygon(surface, COLOUR, points)
    pygame.draw.polygon(surface, (30, 20, 0), points, 2)
