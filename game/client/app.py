"""The game's window: one App holding what every screen shares, and the frame loop.

`App.frame(events, dt)` runs one frame (events, update, draw, present); the
real loop feeds it pygame's events and the frame clock, and tests feed it
synthetic events and a fixed dt, so every screen is reachable headless.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pygame

from engine.client.audio import Audio
from engine.client.display import Display
from engine.client.gamepad import Controls, Gamepads
from engine.client.input import InputState
from engine.client.states import State, StateStack
from engine.client.ui import Theme
from engine.mods import Mod
from engine.runtime import settle_garbage_collector
from engine.time import Clock, MonotonicClock
from game.client.autoplay import FrameMeter
from game.client.render import Sprites, WorldRenderer
from game.client.settings import PAD_STICKS, Settings, load_settings, save_settings

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SOUNDS = (
    "gunfire_allied",
    "gunfire_enemy",
    "explosion1",
    "explosion2",
    "missile_launch",
    "pickup",
    "button",
)
MUSIC = {
    "menu": ASSETS / "sounds" / "music_menu.wav",
    "mission": ASSETS / "sounds" / "music_mission.wav",
}
TITLE = "Cloudbreak"


@dataclass
class App:
    """What every screen shares: display, settings, input (keyboard, pads and the two as
    `controls`), audio, art."""

    display: Display
    settings: Settings
    settings_path: Path
    audio: Audio
    settings_warning: str | None = None
    theme: Theme = field(default_factory=Theme)
    input: InputState = field(init=False)  # the keyboard
    pads: Gamepads = field(init=False)
    controls: Controls = field(init=False)  # keyboard and pads, per seat
    sprites: Sprites = field(default_factory=Sprites)
    stack: StateStack = field(init=False)
    music: str | None = None
    running: bool = True
    clock: Clock = field(default_factory=MonotonicClock)  # sessions step by it; tests inject
    mods: tuple[Mod, ...] = ()  # loaded before the window opened; every session gets them
    mission: str | None = None  # where Play and Host begin the campaign (None: the first)
    autopilot: str | None = None  # a style: the local seats fly themselves (game.client.autoplay)
    frame_meter: FrameMeter | None = None  # times each frame's work when set (autoplay)

    def __post_init__(self) -> None:
        self.input = InputState(self.settings.input_bindings())
        self.pads = Gamepads(
            self.settings.pad_input_bindings(),
            seats=2,
            dead_zone=self.settings.stick_dead_zone,
            sticks=PAD_STICKS,
        )
        self.controls = Controls(self.input, self.pads)
        self.stack = StateStack(self)
        self.renderer = WorldRenderer(self.sprites)
        for name in SOUNDS:
            self.audio.load(name, ASSETS / "sounds" / f"{name}.wav")

    @classmethod
    def create(
        cls,
        *,
        settings_path: Path,
        fullscreen: bool | None = None,
        mute: bool = False,
        window_size: tuple[int, int] | None = None,
    ) -> App:
        settings, warning = load_settings(settings_path)
        if warning:
            log.warning("%s", warning)
        pygame.init()
        icon = pygame.image.load(str(ASSETS / "sprites" / "icon.png"))
        display = Display(
            (1024, 768),
            title=TITLE,
            window_size=window_size,
            fullscreen=settings.fullscreen if fullscreen is None else fullscreen,
            icon=icon,
        )
        audio = Audio(
            enabled=not mute and os.environ.get("SDL_AUDIODRIVER") != "disk",
            music_volume=settings.music_volume,
            sound_volume=settings.sound_volume,
        )
        if mute:
            audio.mute(True)
        pygame.key.set_repeat()
        app = cls(display, settings, settings_path, audio, warning)
        app.pads.start()  # pads plugged in now arrive as CONTROLLERDEVICEADDED events
        return app

    # -- shared services ------------------------------------------------------------------

    def image(self, name: str) -> pygame.Surface:
        return self.sprites.image(name)

    def play_music(self, which: str) -> None:
        if self.music != which:
            self.music = which
            self.audio.play_music(MUSIC[which])

    def click(self) -> None:
        self.audio.play("button")

    def save_settings(self) -> str | None:
        """Save; the one-line error if it failed."""
        try:
            save_settings(self.settings, self.settings_path)
        except (OSError, ValueError) as error:
            return f"could not save settings: {error}"
        self.input.bindings = self.settings.input_bindings()
        self.pads.bindings = self.settings.pad_input_bindings()
        self.pads.dead_zone = self.settings.stick_dead_zone
        self.audio.set_volumes(self.settings.music_volume, self.settings.sound_volume)
        self.settings_warning = None
        return None

    def logical_mouse(self, event: pygame.event.Event) -> tuple[float, float] | None:
        pos = getattr(event, "pos", None)
        return None if pos is None else self.display.to_logical(pos)

    # -- the loop -------------------------------------------------------------------------

    def frame(self, events: list[pygame.event.Event], dt: float) -> None:
        for event in events:
            event = self.pads.read(event)  # every pad event, whatever screen is up
            if event.type == pygame.QUIT:
                self.quit()
                continue
            if self.display.handle_event(event):
                continue
            if event.type == pygame.KEYDOWN and event.key == pygame.K_F11:
                self.display.toggle_fullscreen()
                continue
            self.stack.handle_event(event)
        self.stack.update(dt)
        if self.stack.empty:
            self.running = False
            return
        self.stack.draw(self.display.surface)  # every screen paints the whole surface
        self.display.present()

    def run(self, first: State) -> None:
        self.stack.push(first)
        settle_garbage_collector()
        clock = pygame.time.Clock()
        try:
            while self.running:
                dt = clock.tick(60) / 1000.0
                started = time.perf_counter()
                self.frame(pygame.event.get(), min(dt, 0.25))
                if self.frame_meter is not None:
                    self.frame_meter.add(time.perf_counter() - started)
        finally:
            self.close()
            pygame.quit()

    def quit(self) -> None:
        """Leave whatever is running (sessions close in their states' exit) and stop."""
        self.stack.clear()
        self.running = False

    def close(self) -> None:
        """Leave every screen (sessions close with them), then the audio and the window."""
        self.stack.clear()
        self.stack.update(0.0)
        self.pads.close()
        self.audio.close()
        self.display.close()
