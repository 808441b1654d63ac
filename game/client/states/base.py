"""What menu screens share: a widget Menu, the title art behind it, mouse mapping, and a pad
that navigates like the arrow keys (A confirms, B goes back)."""

from __future__ import annotations

import pygame

from engine.client.gamepad import is_pad_event, menu_event
from engine.client.states import State
from engine.client.ui import Button, Menu, draw_panel, draw_text

BUTTON_SIZE = (320, 56)


class Screen(State):
    """A menu screen over the title art. Subclasses build `self.menu` in `build()`."""

    title = ""
    subtitle = ""

    def __init__(self) -> None:
        self.menu = Menu()
        self.message: str | None = None  # a one-line error or notice under the widgets
        self.message_is_error = True

    @property
    def app(self):  # noqa: ANN201
        return self.context

    def enter(self) -> None:
        self.menu = Menu(theme=self.app.theme)
        self.build()
        self.menu.focus_first()
        self.app.play_music("menu")

    def build(self) -> None:
        """Add widgets to self.menu."""

    def button(self, text: str, action, y: int, *, x: int = 512) -> Button:  # noqa: ANN001
        rect = pygame.Rect(0, 0, *BUTTON_SIZE)
        rect.center = (x, y)

        def clicked() -> None:
            self.app.click()
            action()

        return self.menu.add(
            Button(
                text,
                clicked,
                rect,
                image=self.app.image("ui_button"),
                hover_image=self.app.image("ui_button_hover"),
            )
        )

    def back(self) -> None:
        self.stack.pop()

    def handle_event(self, event: pygame.event.Event) -> None:
        focused = self.menu.focused
        capturing = focused is not None and focused.capturing
        if is_pad_event(event) and not capturing:  # a listening widget gets the pad as it is
            event = menu_event(event)
            if event is None:
                return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and not capturing:
            self.app.click()
            self.back()
            return
        self.menu.handle_event(event, self.app.logical_mouse(event))

    def update(self, dt: float) -> None:
        self.menu.update(dt)

    def draw(self, surface: pygame.Surface) -> None:
        surface.blit(self.app.image("title"), (0, 0))
        shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        shade.fill((6, 12, 28, 120))
        surface.blit(shade, (0, 0))
        if self.title:
            draw_text(surface, self.title, (512, 110), 72, self.app.theme.accent)
        if self.subtitle:
            draw_text(surface, self.subtitle, (512, 165), 26, self.app.theme.text_dim)
        self.draw_body(surface)
        self.menu.draw(surface)
        if self.message:
            theme = self.app.theme
            colour = theme.error if self.message_is_error else theme.text
            rect = pygame.Rect(0, 0, 860, 44)
            rect.center = (512, 700)
            draw_panel(surface, rect, theme)
            draw_text(surface, self.message, rect.center, 22, colour)

    def draw_body(self, surface: pygame.Surface) -> None:
        """Extra drawing between the title and the widgets."""
