"""The main menu: Play, Host, Join, Settings, Exit."""

from __future__ import annotations

import pygame

from engine.ui import draw_text
from game.states.base import Screen


class MenuState(Screen):
    title = "CLOUDBREAK"

    def build(self) -> None:
        from game.states.lobby import HostState, JoinState, start_single_player
        from game.states.settings_screen import SettingsState

        self.button("Play", lambda: start_single_player(self.app), 290)
        self.button("Host", lambda: self.stack.push(HostState()), 360)
        self.button("Join", lambda: self.stack.push(JoinState()), 430)
        self.button("Settings", lambda: self.stack.push(SettingsState()), 500)
        self.button("Exit", self.app.quit, 570)
        if self.app.settings_warning:
            self.message = self.app.settings_warning

    def back(self) -> None:
        self.app.quit()

    def draw_body(self, surface: pygame.Surface) -> None:
        name = self.app.settings.player_name
        draw_text(surface, f"flying as {name}", (512, 190), 24, self.app.theme.text_dim)
