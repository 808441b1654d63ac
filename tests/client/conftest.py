"""One headless window shared by the client tests (like arcade's suite), driven by synthetic
events and a manual clock: each frame advances the clock by one 60 Hz step."""

from __future__ import annotations

import pygame
import pytest

from engine.time import ManualClock
from game.client.app import App

STEP = 1 / 60


class Driver:
    """Feeds an App frames and synthetic input."""

    def __init__(self, app: App, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock

    @property
    def top(self):  # noqa: ANN201
        return self.app.stack.top

    def frames(self, count: int = 1, events=()) -> None:  # noqa: ANN001
        for index in range(count):
            self.clock.advance(STEP)
            self.app.frame(list(events) if index == 0 else [], STEP)

    def key(self, key: int, *, frames: int = 1) -> None:
        self.frames(1, [pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="")])
        self.frames(frames, [pygame.event.Event(pygame.KEYUP, key=key, mod=0)])

    def hold(self, key: int) -> None:
        self.frames(1, [pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="")])

    def release(self, key: int) -> None:
        self.frames(1, [pygame.event.Event(pygame.KEYUP, key=key, mod=0)])

    def type(self, text: str) -> None:
        for char in text:
            self.frames(1, [pygame.event.Event(pygame.TEXTINPUT, text=char)])

    def clear_field(self) -> None:
        for _ in range(80):
            self.frames(
                1, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_BACKSPACE, mod=0, unicode="")]
            )

    def until(self, condition, *, frames: int = 600, what: str = "condition") -> int:  # noqa: ANN001
        for taken in range(frames):
            if condition():
                return taken
            self.frames()
        raise AssertionError(f"waited {frames} frames for {what}; top is {type(self.top).__name__}")

    def is_top(self, name: str) -> bool:
        return type(self.top).__name__ == name


@pytest.fixture
def driver(tmp_path):
    clock = ManualClock(100.0)
    app = App.create(settings_path=tmp_path / "config" / "settings.toml", mute=True)
    app.clock = clock
    made = Driver(app, clock)
    yield made
    app.quit()
    app.close()
