"""A message with one way out, back to the menu: Could not connect, Lost connection."""

from __future__ import annotations

import pygame

from engine.client.ui import draw_text
from game.client.states.base import Screen


class MessageState(Screen):
    def __init__(self, title: str, detail: str) -> None:
        super().__init__()
        self.title = title
        self.detail = detail

    def build(self) -> None:
        self.button("Back to menu", self.back, 520)

    def back(self) -> None:
        from game.client.states.menu import MenuState

        self.stack.clear(MenuState())

    def draw_body(self, surface: pygame.Surface) -> None:
        words, line, lines = self.detail.split(), "", []
        for word in words:
            if len(line) + len(word) > 60:
                lines.append(line)
                line = ""
            line = f"{line} {word}".strip()
        lines.append(line)
        for index, text in enumerate(lines[:4]):
            draw_text(surface, text, (512, 300 + 36 * index), 30, self.app.theme.text)
