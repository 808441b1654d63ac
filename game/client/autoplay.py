"""The window flown by the autopilot (`python -m game --autopilot STYLE`), and its frame times.

A real window under a virtual display (Xvfb) can fly a whole campaign by itself:
every local seat's aircraft gets the headless autopilot (game.rules.autopilot),
which writes the same PlayerInput the keys would, and the keys are left alone. The
App times each frame's work (events, steps, drawing; not the wait for the next
frame) into a FrameMeter, and the Game screen reports the figures of each mission
as it ends: one line on stdout, so a run's log holds its numbers.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from engine.phases import Phase
from engine.world import World
from game.net.claims import LocalSeat
from game.rules.autopilot import STYLES, AutopilotSystem
from game.rules.components import Autopilot

WINGMAN_OFFSET = 110.0  # px the second local seat flies to the right of the first


class SeatAutopilot:
    """INPUT: every local seat's aircraft flies on the autopilot in `style` (a seat's new
    aircraft, each mission, too)."""

    def __init__(self, style: str) -> None:
        if style not in STYLES:
            raise ValueError(f"autopilot style must be one of {', '.join(STYLES)}, got {style!r}")
        self.style = style

    def update(self, world: World, dt: float) -> None:
        for entity, (seat,) in world.query(LocalSeat):
            if not world.has_component(entity, Autopilot):
                side = -1.0 if seat.local_index == 0 else 1.0
                offset = WINGMAN_OFFSET * seat.local_index
                world.add_component(entity, Autopilot(style=self.style, side=side, offset_x=offset))


def fly_by_autopilot(world: World, style: str) -> None:
    """Put the autopilot in a client world: its seats fly themselves from now on."""
    world.add_system(SeatAutopilot(style), Phase.INPUT)
    world.add_system(AutopilotSystem(), Phase.INPUT)


@dataclass(frozen=True, slots=True)
class FrameFigures:
    frames: int
    median_ms: float
    p99_ms: float  # nearest rank
    max_ms: float

    def line(self) -> str:
        return (
            f"{self.frames} frames, median {self.median_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, "
            f"max {self.max_ms:.2f} ms"
        )


@dataclass
class FrameMeter:
    """Frame times (seconds) since the last `lap`."""

    times: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.times.append(seconds)

    def lap(self) -> FrameFigures | None:
        """The figures of the frames since the last lap (None if none), and start again."""
        times, self.times = sorted(self.times), []
        if not times:
            return None
        rank = max(1, math.ceil(0.99 * len(times)))
        return FrameFigures(
            len(times), statistics.median(times) * 1000, times[rank - 1] * 1000, times[-1] * 1000
        )
