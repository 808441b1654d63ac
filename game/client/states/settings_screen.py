"""Settings: name, volumes, fullscreen, the stick's dead zone, and the six actions of both
local players, each on a key and on a pad button."""

from __future__ import annotations

import copy

import pygame

from engine.client.input import key_name
from engine.client.ui import (
    Choice,
    KeyCapture,
    Label,
    PadCapture,
    Slider,
    TextField,
    draw_text,
    render_text,
)
from engine.net.messages import MAX_NAME_BYTES
from game.client.settings import ACTIONS, MAX_DEAD_ZONE
from game.client.states.base import Screen
from game.rules.difficulty import DIFFICULTIES

LABELS = {
    "move_left": "Left",
    "move_right": "Right",
    "move_up": "Up",
    "move_down": "Down",
    "fire": "Fire",
    "missile": "Missile",
}
COLUMNS = (40, 524)  # x of each player's column
KEY_WIDTH, PAD_WIDTH, GAP = 270, 184, 6
TOP = 166  # the first row of name, display, volumes and dead zone
ROWS_TOP, ROW_STEP, ROW_HEIGHT = 358, 41, 37  # the bindings
PAD_ORDER = "first pad: player 1, second pad: player 2"
CAPTURE_SIZE = 28


def fit(text: str, size: int, width: int) -> str:
    """`text`, cut with an ellipsis until it fits `width` px at `size` (a pad's long name)."""
    if render_text(text, size, (0, 0, 0)).get_width() <= width:
        return text
    while text and render_text(text + "…", size, (0, 0, 0)).get_width() > width:
        text = text[:-1]
    return text.rstrip() + "…"


class SettingsState(Screen):
    title = "Settings"

    def enter(self) -> None:
        self.saved = copy.deepcopy(self.app.settings)  # what Back restores
        self.slots: dict[KeyCapture, tuple[int, str]] = {}  # key and pad captures
        super().enter()

    def build(self) -> None:
        settings = self.app.settings
        menu = self.menu
        menu.add(Label("Name", (200, TOP + 21), 28))
        self.name = menu.add(
            TextField(
                pygame.Rect(270, TOP, 330, 42), settings.player_name, max_bytes=MAX_NAME_BYTES
            )
        )
        self.music = menu.add(
            Slider(
                pygame.Rect(640, TOP, 300, 42), settings.music_volume, self._music, label="Music"
            )
        )
        self.sound = menu.add(
            Slider(
                pygame.Rect(640, TOP + 48, 300, 42),
                settings.sound_volume,
                self._sound,
                label="Sound",
            )
        )
        self.fullscreen = menu.add(
            Choice(
                pygame.Rect(270, TOP + 48, 330, 42),
                ["Window", "Fullscreen"],
                int(settings.fullscreen),
                label="Display",
            )
        )
        self.difficulty = menu.add(
            Choice(
                pygame.Rect(270, TOP + 96, 330, 42),
                [level.capitalize() for level in DIFFICULTIES],
                DIFFICULTIES.index(settings.difficulty),
                label="Difficulty",
            )
        )
        self.dead_zone = menu.add(
            Slider(
                pygame.Rect(640, TOP + 96, 300, 42),
                settings.stick_dead_zone,
                self._dead_zone,
                label="Dead zone",
            )
        )
        self.slots = {}
        for seat, x in enumerate(COLUMNS):
            centre = x + (KEY_WIDTH + GAP + PAD_WIDTH) // 2
            menu.add(Label(f"Player {seat + 1}", (centre, ROWS_TOP - 38), 30))
            for row, action in enumerate(ACTIONS):
                rect = pygame.Rect(x, ROWS_TOP + row * ROW_STEP, KEY_WIDTH, ROW_HEIGHT)
                name = settings.bindings[seat][action]
                capture = KeyCapture(
                    rect, LABELS[action], name, self._rebinder(seat, action), size=CAPTURE_SIZE
                )
                self.slots[menu.add(capture)] = (seat, action)
            for row, action in enumerate(ACTIONS):
                rect = pygame.Rect(
                    x + KEY_WIDTH + GAP, ROWS_TOP + row * ROW_STEP, PAD_WIDTH, ROW_HEIGHT
                )
                control = settings.pad_bindings[seat][action]
                capture = PadCapture(
                    rect, "", control, self._pad_rebinder(seat, action), size=CAPTURE_SIZE
                )
                self.slots[menu.add(capture)] = (seat, action)
        self.button("Save", self.save, 646, x=340)
        self.button("Back", self.back, 646, x=684)

    def draw_body(self, surface: pygame.Surface) -> None:
        """Over each player's columns: which keyboard keys and which pad (plugged in now)."""
        theme = self.app.theme
        below_rows = ROWS_TOP + len(ACTIONS) * ROW_STEP + 5
        draw_text(surface, PAD_ORDER, (512, below_rows), 20, theme.text_dim)
        for seat, x in enumerate(COLUMNS):
            draw_text(surface, "keyboard", (x + KEY_WIDTH // 2, ROWS_TOP - 14), 20, theme.text_dim)
            pad = self.app.pads.pad_in(seat)
            text = f"pad: {pad.name}" if pad is not None else "pad: none connected"
            colour = theme.text if pad is not None else theme.text_dim
            centre = (x + KEY_WIDTH + GAP + PAD_WIDTH // 2, ROWS_TOP - 14)
            draw_text(surface, fit(text, 20, PAD_WIDTH), centre, 20, colour)

    def _music(self, value: float) -> None:
        self.app.audio.set_volumes(music=value)

    def _sound(self, value: float) -> None:
        self.app.audio.set_volumes(sound=value)
        self.app.click()

    def _dead_zone(self, value: float) -> None:
        if value > MAX_DEAD_ZONE:  # a stick that never leaves its dead zone flies nothing
            self.dead_zone.set_value(MAX_DEAD_ZONE)
            return
        self.app.pads.dead_zone = value  # felt at once; Back undoes it

    def _rebinder(self, seat: int, action: str):  # noqa: ANN202
        def capture(code: int) -> None:
            bindings = self.app.input.bindings
            note = bindings.rebind(seat, action, code)
            self.app.settings.bindings = bindings.to_names()
            self.message = note
            self.message_is_error = False
            self._refresh_keys()

        return capture

    def _pad_rebinder(self, seat: int, action: str):  # noqa: ANN202
        def capture(control: str) -> None:
            bindings = self.app.pads.bindings
            try:
                note = bindings.rebind(seat, action, control)
            except ValueError as error:  # the widget only offers bindable buttons
                self.message, self.message_is_error = str(error), True
            else:
                self.app.settings.pad_bindings = bindings.to_names()
                self.message, self.message_is_error = note, False
            self._refresh_keys()

        return capture

    def _refresh_keys(self) -> None:
        keys, pads = self.app.input.bindings, self.app.pads.bindings
        for widget, slot in self.slots.items():
            if isinstance(widget, PadCapture):
                widget.control = pads.control_for(*slot) or ""
            else:
                code = keys.key_for(*slot)
                widget.key_name = key_name(code) if code is not None else "-"

    def save(self) -> None:
        settings = self.app.settings
        settings.player_name = self.name.text.strip() or settings.player_name
        settings.music_volume = round(self.music.value, 2)
        settings.sound_volume = round(self.sound.value, 2)
        settings.stick_dead_zone = round(min(self.dead_zone.value, MAX_DEAD_ZONE), 2)
        settings.difficulty = DIFFICULTIES[self.difficulty.index]
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
        self.app.pads.bindings = self.saved.pad_input_bindings()
        self.app.pads.dead_zone = self.saved.stick_dead_zone
        self.app.audio.set_volumes(self.saved.music_volume, self.saved.sound_volume)
        self.stack.pop()
