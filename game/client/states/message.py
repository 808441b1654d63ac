"""A message with one way out: Could not connect (back to the form), Connection lost (back to
the menu); and the words for why a game ended."""

from __future__ import annotations

import re

import pygame

from engine.client.ui import draw_text
from game.client.states.base import Screen

LOST = "Lost connection to server"
TRY_AGAIN = "Check your network, then try again."
_NO_ANSWER = re.compile(r" \(no answer for ([^)]+)\)(?:; could not reconnect in (.+))?$")


def explain_loss(reason: str) -> tuple[str, str]:
    """A title and a body for the one-line `reason` a game ended for: the title names what
    happened, the body says why and what to do, without repeating the title."""
    if "shutting down" in reason:
        return "The host left", "The server shut down, so this game is over. " + (
            "Host a game or join another one to fly on."
        )
    if reason.startswith(LOST):
        rest = reason.removeprefix(LOST)
        silent = _NO_ANSWER.match(rest)
        if silent:
            retried = f", and reconnecting failed for {silent[2]}" if silent[2] else ""
            return "Connection lost", (
                f"The server gave no answer for {silent[1]}{retried}: it may have stopped, "
                f"or your network may be down. {TRY_AGAIN}"
            )
        why = rest.strip(" :()").replace("it ", "the server ", 1)
        return "Connection lost", f"The connection failed: {why}. {TRY_AGAIN}"
    prefix = "Disconnected by the server: "
    if reason.startswith(prefix):
        return "Disconnected", f"The server ended your game: {reason.removeprefix(prefix)}."
    prefix = "The server stopped: "
    if reason.startswith(prefix):
        return "The server stopped", (
            f"Your server ended ({reason.removeprefix(prefix)}), so this game is over. "
            "Host again to fly on."
        )
    return "The game ended", reason


def explain_failed_connect(reason: str) -> str:
    """The body under "Could not connect": the reason, without saying the title again."""
    body = reason.removeprefix("Could not connect: ")
    return body[:1].upper() + body[1:]


class MessageState(Screen):
    """`to_menu`: Back clears every screen for the menu (a game that ended); otherwise it
    goes back to the screen below (the form the player filled in, as it was typed)."""

    def __init__(self, title: str, detail: str, *, to_menu: bool = True) -> None:
        super().__init__()
        self.title = title
        self.detail = detail
        self.to_menu = to_menu

    def build(self) -> None:
        self.button("Back to menu" if self.to_menu else "Back", self.back, 520)

    def back(self) -> None:
        if not self.to_menu:
            self.stack.pop()
            return
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
