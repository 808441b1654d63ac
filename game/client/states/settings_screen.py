"""Settings: name, volumes, fullscreen, and the six actions of both local players."""

from __future__ import annotations

import copy

import pygame

from engine.client.input import key_name
from engine.client.ui import Choice, KeyCapture, Label, Slider, TextField
from engine.net.messages import MAX_NAME_BYTES
from game.client.settings import ACTIONS
from game.client.states.base import Screen

LABELS = {
    "move_left": "Left",
    "move_right": "Right",
    "move_up": "Up",
    "move_down": "Down",
    "fire": "Fire",
    "missile": "Missile",
}


class SettingsState(Screen):
    title = "Settings"

    def enter(self) -> None:
        self.saved = copy.deepcopy(self.app.settings)  # what Back restores
        super().enter()

    def build(self) -> None:
        settings = self.app.settings
        menu = self.menu
        menu.add(Label("Name", (200, 200), 28))
        self.name = menu.add(
            TextField(
                pygame.Rect(270, 180, 330, 42), settings.player_name, max_bytes=MAX_NAME_BYTES
            )
        )
        self.music = menu.add(
            Slider(
                pygame.Rect(640, 180, 300, 42), settings.music_volume, self._music, label="Music"
            )
        )
        self.sound = menu.add(
            Slider(
                pygame.Rect(640, 232, 300, 42), settings.sound_volume, self._sound, label="Sound"
            )
        )
        self.fullscreen = menu.add(
            Choice(
                pygame.Rect(270, 232, 330, 42),
                ["Window", "Fullscreen"],
                int(settings.fullscreen),
                label="Display",
            )
        )
        for seat, x in ((0, 100), (1, 540)):
            menu.add(Label(f"Player {seat + 1}", (x + 190, 305), 30))
            for row, action in enumerate(ACTIONS):
                rect = pygame.Rect(x, 330 + row * 44, 380, 40)
                name = settings.bindings[seat][action]
                menu.add(KeyCapture(rect, LABELS[action], name, self._rebinder(seat, action)))
        self.button("Save", self.save, 640, x=340)
        self.button("Back", self.back, 640, x=684)

    def _music(self, value: float) -> None:
        self.app.audio.set_volumes(music=value)

    def _sound(self, value: float) -> None:
        self.app.audio.set_volumes(sound=value)
        self.app.click()

    def _rebinder(self, seat: int, action: str):  # noqa: ANN202
        def capture(code: int) -> None:
            bindings = self.app.input.bindings
            note = bindings.rebind(seat, action, code)
            self.app.settings.bindings = bindings.to_names()
            self.message = note
            self.message_is_error = False
            self._refresh_keys()

        return capture

    def _refresh_keys(self) -> None:
        bindings = self.app.input.bindings
        for widget in self.menu.widgets:
            if isinstance(widget, KeyCapture):
                seat_action = self._slot_of(widget)
                if seat_action is not None:
                    code = bindings.key_for(*seat_action)
                    widget.key_name = key_name(code) if code is not None else "-"

    def _slot_of(self, widget: KeyCapture) -> tuple[int, str] | None:
        captures = [w for w in self.menu.widgets if isinstance(w, KeyCapture)]
        index = captures.index(widget)
        return index // len(ACTIONS), ACTIONS[index % len(ACTIONS)]

    def save(self) -> None:
        settings = self.app.settings
        settings.player_name = self.name.text.strip() or settings.player_name
        settings.music_volume = round(self.music.value, 2)
        settings.sound_volume = round(self.sound.value, 2)
        wanted_fullscreen = self.fullscreen.index == 1
        if wanted_fullscreen != self.app.display.fullscreen:
            self.app.display.toggle_fullscreen()
        settings.fullscreen = wanted_fullscreen
        error = self.app.save_settings()
        if error:
            self.message, self.message_is_error = error, True
            return
        self.saved = copy.deepcopy(settings)
        self.stack.pop()

    def back(self) -> None:
        """Leave without saving: everything changed here is undone."""
        self.app.settings = self.saved
        self.app.input.bindings = self.saved.input_bindings()
        self.app.audio.set_volumes(self.saved.music_volume, self.saved.sound_volume)
        self.stack.pop()
