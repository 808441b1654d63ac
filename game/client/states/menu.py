"""The main menu: Play, Host, Join, Settings, the tile arena, Exit; and the quit question."""

from __future__ import annotations

import pygame

from engine.client.gamepad import is_pad_event, menu_event
from engine.client.states import State
from engine.client.ui import Button, Menu, draw_panel, draw_text
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
        self.button("Tile arena (mod)", self.tile_arena, 530)
        self.button("Exit", self.app.quit, 610)  # last, where players look for it
        if self.app.settings_warning:
            self.message = self.app.settings_warning

    def back(self) -> None:
        """Esc asks first: a player pressing it to back out of something should not lose
        the game."""
        self.stack.push(QuitState())

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


class QuitState(State):
    """ "Quit Cloudbreak?" over the menu: Esc again or Yes quits; No (focused first, so a
    stray Enter keeps the game) goes back, and so does a pad's B (on a pad, B is "no")."""

    transparent = True
    question = "Quit Cloudbreak?"

    def __init__(self) -> None:
        self.menu = Menu()

    def enter(self) -> None:
        from game.client.states.base import BUTTON_SIZE

        app = self.context
        self.menu = Menu(theme=app.theme)
        width = BUTTON_SIZE[0] * 3 // 5
        for text, action, x in (("Yes", self.quit, 512 - 100), ("No", self.stay, 512 + 100)):
            rect = pygame.Rect(0, 0, width, BUTTON_SIZE[1])
            rect.center = (x, 420)
            self.menu.add(
                Button(
                    text,
                    action,
                    rect,
                    image=app.image("ui_button"),
                    hover_image=app.image("ui_button_hover"),
                )
            )
        self.menu.focus(self.menu.widgets[1])

    def quit(self) -> None:
        self.context.click()
        self.context.quit()

    def stay(self) -> None:
        self.context.click()
        self.stack.pop()

    def handle_event(self, event: pygame.event.Event) -> None:
        if is_pad_event(event):
            event = menu_event(event)
            if event is None:
                return
            if event.key == pygame.K_ESCAPE:
                self.stay()
                return
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.quit()
                return
            if event.key in (pygame.K_LEFT, pygame.K_RIGHT):  # the answers sit side by side
                self.menu.move_focus(-1 if event.key == pygame.K_LEFT else 1)
                return
        self.menu.handle_event(event, self.context.logical_mouse(event))

    def update(self, dt: float) -> None:
        self.menu.update(dt)

    def draw(self, surface: pygame.Surface) -> None:
        shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        shade.fill((4, 10, 24, 150))
        surface.blit(shade, (0, 0))
        theme = self.context.theme
        panel = pygame.Rect(0, 0, 520, 230)
        panel.center = (512, 380)
        draw_panel(surface, panel, theme)
        draw_text(surface, self.question, (512, 320), 48, theme.accent)
        draw_text(surface, "Esc again: quit", (512, 470), 22, theme.text_dim)
        self.menu.draw(surface)
