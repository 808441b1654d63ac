"""The main menu: Play, Host, Join, Settings, Exit."""

from __future__ import annotations

import pygame

from engine.client.ui import draw_text
from game.client.states.base import Screen

TILE_MODE = "examples.mods.tiles"


class MenuState(Screen):
    title = "CLOUDBREAK"

    def build(self) -> None:
        from game.client.states.lobby import HostState, JoinState, start_single_player
        from game.client.states.settings_screen import SettingsState

        self.button("Play", lambda: start_single_player(self.app), 270)
        self.button("Host", lambda: self.stack.push(HostState()), 335)
        self.button("Join", lambda: self.stack.push(JoinState()), 400)
        self.button("Settings", lambda: self.stack.push(SettingsState()), 465)
        self.button("Exit", self.app.quit, 530)
        self.button("Tile arena (mod)", self.tile_arena, 610)
        if self.app.settings_warning:
            self.message = self.app.settings_warning

    def back(self) -> None:
        self.app.quit()

    def tile_arena(self) -> None:
        """The second game mode, built as a mod: single-player on the in-process server."""
        from engine.mods import ModError, load_mods
        from game.client.states.lobby import start_single_player

        try:
            mods = tuple(load_mods([TILE_MODE], installed=False))
        except ModError as error:
            self.message = str(error)
            return
        start_single_player(self.app, mods=mods)

    def draw_body(self, surface: pygame.Surface) -> None:
        name = self.app.settings.player_name
        draw_text(surface, f"flying as {name}", (512, 190), 24, self.app.theme.text_dim)
