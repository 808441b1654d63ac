"""Time: injectable clocks and the fixed-step game loop.

The simulation advances in fixed steps (60 Hz by default) whatever the frame
rate; the network ticks on every Nth step (20 Hz by default), so ticks are a
pure function of the step count and replay identically. The loop counts steps
from a fixed origin rather than accumulating float deltas, so it cannot drift,
and it caps catch-up after a stall so one slow frame cannot spiral.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time in seconds (monotonic, arbitrary origin)."""

    def now(self) -> float: ...


class MonotonicClock:
    """The real clock: time.monotonic()."""

    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock tests move by hand; it never sleeps."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds

    def set(self, now: float) -> None:
        self._now = now


@dataclass(slots=True)
class WorldTime:
    """The simulation time of one world; a pure function of its step count."""

    step_hz: int = 60
    tick_every: int = 3  # steps per network tick: 60 Hz / 3 = 20 Hz
    step: int = 0  # index of the step now running (= steps completed before it)
    alpha: float = 1.0  # fraction of a step since the last one, for the frame being presented

    @property
    def dt(self) -> float:
        return 1.0 / self.step_hz

    @property
    def seconds(self) -> float:
        return self.step / self.step_hz

    @property
    def tick(self) -> int:
        """The network tick the current step belongs to."""
        return self.step // self.tick_every

    @property
    def is_tick(self) -> bool:
        """True when the step now running is a network tick (steps 0, 3, 6, ...)."""
        return self.step % self.tick_every == 0


@dataclass(slots=True, frozen=True)
class Frame:
    """What one pass of the loop owes the caller."""

    steps: int  # fixed steps to run now
    dropped_steps: int  # steps skipped by the catch-up cap
    alpha: float  # fraction of a step since the last one, for rendering interpolation


class FixedStepLoop:
    """Turns wall-clock time into a whole number of fixed steps.

    Call `advance()` once per frame (or whenever the process wakes); run the
    returned number of steps; draw with `alpha`. `seconds_until_next_step()`
    tells a headless server how long it may sleep.
    """

    def __init__(self, clock: Clock, step_hz: int = 60, max_catchup_steps: int = 5) -> None:
        if step_hz <= 0:
            raise ValueError("step_hz must be positive")
        if max_catchup_steps < 1:
            raise ValueError("max_catchup_steps must be at least 1")
        self.clock = clock
        self.step_hz = step_hz
        self.max_catchup_steps = max_catchup_steps
        self._origin = clock.now()
        self._steps = 0  # steps owed since origin that were handed out
        self.dropped_steps = 0

    @property
    def steps(self) -> int:
        return self._steps

    def _due(self, now: float) -> int:
        return int((now - self._origin) * self.step_hz + 1e-9)

    def advance(self) -> Frame:
        now = self.clock.now()
        owed = self._due(now) - self._steps
        dropped = 0
        if owed > self.max_catchup_steps:
            dropped = owed - self.max_catchup_steps
            owed = self.max_catchup_steps
            # Move the origin forward so the dropped time is forgotten, not owed later.
            self._origin += dropped / self.step_hz
            self.dropped_steps += dropped
        owed = max(owed, 0)
        self._steps += owed
        alpha = (now - self._origin) * self.step_hz - self._steps
        return Frame(owed, dropped, min(max(alpha, 0.0), 1.0))

    def reset(self) -> None:
        """Forget owed time (after an intentional pause): the next step is one step away."""
        self._origin = self.clock.now() - self._steps / self.step_hz

    def seconds_until_next_step(self) -> float:
        next_at = self._origin + (self._steps + 1) / self.step_hz
        return max(0.0, next_at - self.clock.now())
