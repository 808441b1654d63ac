"""Display: the window, and the fixed-size logical screen the game draws on.

The game always draws on one offscreen surface of a fixed logical size, so
layout, UI and hit tests never depend on the window. `present()` scales that
surface into the window keeping its aspect ratio, with black letterbox bars,
and `to_logical()` maps window pixels (mouse events) back. Works with SDL's
dummy video driver, where tests read the window surface's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygame

_RESIZE_EVENTS = frozenset({pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED, pygame.WINDOWRESIZED})
_BAR_COLOUR = (0, 0, 0)


@dataclass(slots=True, frozen=True)
class Viewport:
    """Where the logical screen lands in the window: an offset and a size in pixels."""

    x: int
    y: int
    width: int
    height: int

    @property
    def rect(self) -> pygame.Rect:
        return pygame.Rect(self.x, self.y, self.width, self.height)


def fit(logical_size: tuple[int, int], window_size: tuple[int, int]) -> Viewport:
    """The largest centred rectangle of the logical aspect ratio inside the window."""
    lw, lh = logical_size
    ww, wh = max(1, window_size[0]), max(1, window_size[1])
    scale = min(ww / lw, wh / lh)
    width = max(1, min(ww, round(lw * scale)))
    height = max(1, min(wh, round(lh * scale)))
    return Viewport((ww - width) // 2, (wh - height) // 2, width, height)


class Display:
    """One resizable window showing a logical surface scaled to fit."""

    def __init__(
        self,
        logical_size: tuple[int, int] = (1024, 768),
        *,
        title: str = "",
        window_size: tuple[int, int] | None = None,
        fullscreen: bool = False,
        icon: pygame.Surface | None = None,
        vsync: bool = False,
    ) -> None:
        if logical_size[0] <= 0 or logical_size[1] <= 0:
            raise ValueError(f"logical size must be positive, not {logical_size}")
        if not pygame.display.get_init():
            pygame.display.init()
        self.logical_size = (int(logical_size[0]), int(logical_size[1]))
        self.vsync = vsync
        self._windowed_size = tuple(window_size or self.logical_size)
        self._fullscreen = False
        self._closed = False
        self._scaled: pygame.Surface | None = None  # reused smoothscale target
        pygame.display.set_caption(title)
        if icon is not None:
            pygame.display.set_icon(icon)  # before the window opens, as SDL prefers
        self._open(fullscreen)
        self.surface = pygame.Surface(self.logical_size).convert()

    # -- the window ------------------------------------------------------------------------

    def _open(self, fullscreen: bool) -> None:
        if fullscreen:
            size, flags = (0, 0), pygame.FULLSCREEN  # (0, 0): the desktop resolution
        else:
            size, flags = self._windowed_size, pygame.RESIZABLE
        try:
            window = pygame.display.set_mode(size, flags, vsync=1 if self.vsync else 0)
        except pygame.error:
            if not self.vsync:
                raise
            window = pygame.display.set_mode(size, flags)  # this driver cannot sync; run free
        self._fullscreen = fullscreen
        self._set_window_size(window.get_size())

    def _set_window_size(self, size: tuple[int, int]) -> None:
        self.window_size = (int(size[0]), int(size[1]))
        self.viewport = fit(self.logical_size, self.window_size)

    @property
    def fullscreen(self) -> bool:
        return self._fullscreen

    @property
    def scale(self) -> float:
        """Window pixels per logical pixel."""
        return self.viewport.width / self.logical_size[0]

    def toggle_fullscreen(self) -> None:
        """Switch between a fullscreen desktop-size mode and the last windowed size.

        Reopens the mode rather than using SDL's toggle, which some drivers lack.
        """
        if not self._fullscreen:
            self._windowed_size = self.window_size
        self._open(not self._fullscreen)

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Follow window resizes; True when the event was one (the caller can skip it)."""
        if event.type not in _RESIZE_EVENTS:
            return False
        if event.type == pygame.VIDEORESIZE:
            size = event.size
        elif hasattr(event, "x") and hasattr(event, "y"):  # WINDOW* events: x, y are w, h
            size = (event.x, event.y)
        else:
            size = pygame.display.get_window_size()
        if size[0] > 0 and size[1] > 0:
            self._set_window_size(size)
            if not self._fullscreen:
                self._windowed_size = self.window_size
        return True

    # -- drawing ---------------------------------------------------------------------------

    def present(self) -> None:
        """Scale the logical surface into the window (letterboxed) and flip."""
        window = pygame.display.get_surface()
        if window is None:
            return
        if window.get_size() != self.window_size:  # a resize we were not told about
            self._set_window_size(window.get_size())
        view = self.viewport
        if view.width != self.window_size[0] or view.height != self.window_size[1]:
            window.fill(_BAR_COLOUR)
        if (view.width, view.height) == self.logical_size:
            window.blit(self.surface, (view.x, view.y))
        else:
            size = (view.width, view.height)
            if self._scaled is None or self._scaled.get_size() != size:
                self._scaled = pygame.Surface(size, 0, self.surface)
            pygame.transform.smoothscale(self.surface, size, self._scaled)
            window.blit(self._scaled, (view.x, view.y))
        pygame.display.flip()

    def to_logical(self, pos: tuple[float, float]) -> tuple[float, float] | None:
        """The logical point under a window pixel; None in the letterbox bars."""
        view = self.viewport
        x, y = pos[0] - view.x, pos[1] - view.y
        if not (0 <= x < view.width and 0 <= y < view.height):
            return None
        return (
            x * self.logical_size[0] / view.width,
            y * self.logical_size[1] / view.height,
        )

    def to_window(self, pos: tuple[float, float]) -> tuple[float, float]:
        """The window pixel where a logical point is shown."""
        view = self.viewport
        return (
            view.x + pos[0] * view.width / self.logical_size[0],
            view.y + pos[1] * view.height / self.logical_size[1],
        )

    def screenshot(self, path: str | Path) -> Path:
        """Save the logical surface (not the scaled window) as a PNG."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as file:
            pygame.image.save(self.surface, file, "png")
        return path

    def close(self) -> None:
        """Close the window. Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._scaled = None
        if pygame.display.get_init():
            pygame.display.quit()

    @property
    def closed(self) -> bool:
        return self._closed
