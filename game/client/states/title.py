"""Title: the art, the name, and "press any key" (or any pad button)."""

from __future__ import annotations

import pygame

from engine.client.states import State
from engine.client.ui import draw_text

BLINK = 0.7


class TitleState(State):
    def __init__(self) -> None:
        self.clock = 0.0

    def enter(self) -> None:
        self.context.play_music("menu")

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type in (pygame.KEYDOWN, pygame.MOUSEBUTTONDOWN, pygame.CONTROLLERBUTTONDOWN):
            from game.client.states.menu import MenuState

            self.context.click()
            self.stack.replace(MenuState())

    def update(self, dt: float) -> None:
        self.clock += dt

    def draw(self, surface: pygame.Surface) -> None:
        app = self.context
        surface.blit(app.image("title"), (0, 0))
        draw_text(surface, "CLOUDBREAK", (512, 250), 132, (255, 214, 120))
        draw_text(surface, "a co-op sky battle", (512, 330), 34, (214, 226, 246))
        if int(self.clock / BLINK) % 2 == 0:
            draw_text(surface, "Press any key", (512, 600), 40, (255, 255, 255))
