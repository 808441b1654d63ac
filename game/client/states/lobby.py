"""Getting into a game: Join (address and name), Quick match (a lobby and name), Host (port
and name), Connecting."""

from __future__ import annotations

import os

import pygame

from engine.client.ui import Label, TextField, draw_text
from engine.mods import ModError
from engine.net.handshake import name_problem
from engine.net.messages import MAX_NAME_BYTES
from engine.net.tickets import TicketError
from game.client.session import Session
from game.client.settings import parse_address
from game.client.states.base import Screen
from game.lobby.client import parse_lobby_url

FIELD = (420, 50)


def start_single_player(app, mods=None) -> None:  # noqa: ANN001
    name, clock, difficulty = app.settings.player_name, app.clock, app.settings.difficulty
    mods = app.mods if mods is None else mods
    mission = app.mission  # --mission: where the campaign begins
    app.stack.push(
        ConnectingState(
            lambda: Session.single_player(
                name, clock=clock, mods=mods, difficulty=difficulty, mission=mission
            )
        )
    )


def _field(menu, text: str, y: int, *, max_length: int, **options) -> TextField:  # noqa: ANN001, ANN003
    rect = pygame.Rect(0, 0, *FIELD)
    rect.center = (600, y)
    return menu.add(TextField(rect, text, max_length=max_length, **options))


class _Form(Screen):
    """Two labelled fields and a go button; remembers what was typed."""

    go_label = ""
    first_label = ""

    def build(self) -> None:
        self.menu.add(Label(self.first_label, (290, 280), 30))
        self.first = self.first_field()
        self.menu.add(Label("Your name", (290, 350), 30))
        name, limit = self.app.settings.player_name, MAX_NAME_BYTES  # what is sent and saved
        self.name = _field(self.menu, name, 350, max_length=limit, max_bytes=limit)
        self.button(self.go_label, self.go, 460)
        self.button("Back", self.back, 530)
        self.first.on_submit = lambda _text: self.go()
        self.name.on_submit = lambda _text: self.go()

    def first_field(self) -> TextField:
        raise NotImplementedError

    def checked_name(self) -> str | None:
        name = self.name.text.strip()
        problem = name_problem(name)
        if problem:
            self.message = problem.capitalize()
            return None
        return name

    def go(self) -> None:
        raise NotImplementedError


class JoinState(_Form):
    title = "Join a game"
    subtitle = "a server's address, or a ticket file"
    go_label = "Connect"
    first_label = "Address"

    def first_field(self) -> TextField:
        return _field(self.menu, self.app.settings.last_address, 280, max_length=200)

    def build(self) -> None:
        super().build()
        self.button("Quick match", lambda: self.stack.push(QuickMatchState()), 600)

    def go(self) -> None:
        name = self.checked_name()
        if name is None:
            return
        text = self.first.text.strip()
        clock, mods = self.app.clock, self.app.mods
        if os.path.isfile(os.path.expanduser(text)):  # a ticket someone gave this player
            path = os.path.expanduser(text)
            make = lambda: Session.join_with_ticket(path, name, clock=clock, mods=mods)  # noqa: E731
        else:
            try:
                host, port = parse_address(text)
            except ValueError as error:
                self.message = f"{error} (or the path of a ticket file)"
                return
            make = lambda: Session.join(host, port, name, clock=clock, mods=mods)  # noqa: E731
        settings = self.app.settings
        settings.player_name, settings.last_address = name, text
        self.message = self.app.save_settings()
        self.stack.push(ConnectingState(make))


class QuickMatchState(_Form):
    title = "Quick match"
    subtitle = "a lobby finds a server with room"
    go_label = "Find a match"
    first_label = "Lobby"

    def first_field(self) -> TextField:
        return _field(self.menu, self.app.settings.lobby_url, 280, max_length=200)

    def go(self) -> None:
        name = self.checked_name()
        if name is None:
            return
        try:
            url = parse_lobby_url(self.first.text)
        except ValueError as error:
            self.message = str(error).capitalize()
            return
        settings = self.app.settings
        settings.player_name, settings.lobby_url = name, url
        self.message = self.app.save_settings()
        clock, mods = self.app.clock, self.app.mods
        self.stack.push(
            ConnectingState(lambda: Session.quick_match(url, name, clock=clock, mods=mods))
        )


class HostState(_Form):
    title = "Host a game"
    subtitle = "friends join with your address and this port"
    go_label = "Start server"
    first_label = "Port"

    def first_field(self) -> TextField:
        return _field(
            self.menu, str(self.app.settings.host_port), 280, max_length=5, allowed=str.isdigit
        )

    def go(self) -> None:
        name = self.checked_name()
        if name is None:
            return
        text = self.first.text.strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            self.message = f"The port must be a number from 1 to 65535, not {text!r}"
            return
        port = int(text)
        settings = self.app.settings
        settings.player_name, settings.host_port = name, port
        self.message = self.app.save_settings()
        clock, mods, difficulty = self.app.clock, self.app.mods, settings.difficulty
        mission = self.app.mission
        self.stack.push(
            ConnectingState(
                lambda: Session.host(
                    port, name, clock=clock, mods=mods, difficulty=difficulty, mission=mission
                )
            )
        )


class ConnectingState(Screen):
    """ "Attempting to connect…" until flying, "Could not connect" otherwise. Esc cancels."""

    title = "Attempting to connect…"

    def __init__(self, make_session) -> None:  # noqa: ANN001
        super().__init__()
        self.make_session = make_session
        self.session: Session | None = None
        self.elapsed = 0.0

    def build(self) -> None:
        self.button("Cancel", self.back, 520)

    def enter(self) -> None:
        super().enter()
        try:
            self.session = self.make_session()
        except (OSError, ValueError, ModError, TicketError) as error:  # ModError: a mod failed
            self._fail(str(error))

    def back(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        self.stack.pop()

    def _fail(self, reason: str) -> None:
        """Say why; Back returns to the form below (Join, Host, the menu) as it was left."""
        from game.client.states.message import MessageState, explain_failed_connect

        if self.session is not None:
            self.session.close()
            self.session = None
        body = explain_failed_connect(reason)
        self.stack.replace(MessageState("Could not connect", body, to_menu=False))

    def update(self, dt: float) -> None:
        super().update(dt)
        self.elapsed += dt
        session = self.session
        if session is None:
            return
        session.step_due()
        session.present(dt)
        if session.failed:
            self._fail(session.failed)
        elif session.ready:
            from game.client.states.play import GameState

            self.session = None  # the game owns it now
            self.stack.replace(GameState(session))

    def draw_body(self, surface: pygame.Surface) -> None:
        dots = "." * (1 + int(self.elapsed * 3) % 3)
        target = ""
        if self.session is not None and self.session.client is not None:
            target = self.session.client.net.target
        draw_text(surface, f"{target}{dots}", (512, 300), 30, self.app.theme.text)
