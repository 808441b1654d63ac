"""UI: menu widgets that work the same with the keyboard and the mouse.

Widgets live in logical coordinates (the Display's surface), so the caller maps
mouse positions with `Display.to_logical` and passes them in. A `Menu` owns
focus: arrow keys and Tab move it (a pad's d-pad and stick too, through
`engine.client.gamepad.menu_event`), the pointer moves it too (hover is focus),
and input goes to the focused widget before the menu navigates, so a text field
keeps its keys and a key-capture widget gets every key while it listens.

Drawing uses only pygame.draw and the bundled default font, so it needs no
assets and renders identically offscreen (tests check pixels).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygame

from engine.client.gamepad import (
    AXIS_MAX,
    AXIS_NAMES,
    TRIGGER_DOWN,
    TRIGGERS,
    control_label,
    control_problem,
    is_pad_event,
    pad_button,
)

Colour = tuple[int, int, int]
Pos = tuple[float, float]

_ANCHORS = frozenset(
    {
        "center",
        "topleft",
        "midtop",
        "topright",
        "midleft",
        "midright",
        "bottomleft",
        "midbottom",
        "bottomright",
    }
)
_ACTIVATE_KEYS = frozenset({pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE})
_SUBMIT_KEYS = frozenset({pygame.K_RETURN, pygame.K_KP_ENTER})
_MOUSE_EVENTS = frozenset({pygame.MOUSEMOTION, pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP})
_LISTENING_SWALLOWS = frozenset(
    {pygame.TEXTINPUT, pygame.KEYUP, pygame.MOUSEMOTION, pygame.MOUSEBUTTONUP, pygame.MOUSEWHEEL}
)
_SHADOW_ALPHA = 150
_TEXT_CACHE_SIZE = 512


@dataclass(slots=True)
class Theme:
    """Sizes and colours shared by every widget of a menu: night blue with amber."""

    font_size: int = 32
    title_size: int = 72
    small_size: int = 22
    text: Colour = (232, 238, 250)
    text_dim: Colour = (118, 134, 168)
    accent: Colour = (255, 182, 56)
    panel: Colour = (20, 32, 58)
    panel_border: Colour = (56, 80, 126)
    focus: Colour = (34, 54, 94)
    error: Colour = (236, 86, 86)
    shadow: Colour = (4, 8, 18)
    radius: int = 10
    border: int = 2
    padding: int = 14


DEFAULT_THEME = Theme()

# -- text ------------------------------------------------------------------------------------

_fonts: dict[int, pygame.font.Font] = {}
_rendered: OrderedDict[tuple[str, int, Colour, bool], pygame.Surface] = OrderedDict()


def font(size: int) -> pygame.font.Font:
    """The bundled default font at this pixel size, made once."""
    if not pygame.font.get_init():
        pygame.font.init()
        _fonts.clear()  # fonts made before a quit are dead
        _rendered.clear()
    made = _fonts.get(size)
    if made is None:
        made = _fonts[size] = pygame.font.Font(None, size)
    return made


def render_text(text: str, size: int, colour: Colour, *, shadow: bool = False) -> pygame.Surface:
    """Antialiased text (or its translucent shadow), cached: menus redraw the same words."""
    key = (text, size, tuple(colour), shadow)
    surface = _rendered.get(key)
    if surface is not None:
        _rendered.move_to_end(key)
        return surface
    surface = font(size).render(text, True, colour)
    if shadow:
        surface.set_alpha(_SHADOW_ALPHA)
    _rendered[key] = surface
    if len(_rendered) > _TEXT_CACHE_SIZE:
        _rendered.popitem(last=False)
    return surface


def draw_text(
    surface: pygame.Surface,
    text: str,
    pos: Pos,
    size: int,
    colour: Colour,
    *,
    anchor: str = "center",
    shadow: bool = True,
) -> pygame.Rect:
    """Draw one line of text placed by `anchor` (a pygame.Rect point name) at pos."""
    if anchor not in _ANCHORS:
        raise ValueError(f"unknown anchor {anchor!r}; use one of {sorted(_ANCHORS)}")
    image = render_text(text, size, colour)
    rect = image.get_rect(**{anchor: (round(pos[0]), round(pos[1]))})
    if shadow and text:
        offset = max(1, size // 16)
        surface.blit(render_text(text, size, (0, 0, 0), shadow=True), rect.move(offset, offset))
    surface.blit(image, rect)
    return rect


# -- shapes ----------------------------------------------------------------------------------

_shadows: dict[tuple[int, int, int, Colour], pygame.Surface] = {}


def draw_panel(
    surface: pygame.Surface,
    rect: pygame.Rect,
    theme: Theme,
    *,
    fill: Colour | None = None,
    border: Colour | None = None,
    shadow: bool = True,
) -> None:
    """A rounded panel with a soft drop shadow and an outline."""
    radius = min(theme.radius, rect.height // 2, rect.width // 2)
    if shadow:
        key = (rect.width, rect.height, radius, theme.shadow)
        shade = _shadows.get(key)
        if shade is None:
            shade = pygame.Surface(rect.size, pygame.SRCALPHA)
            pygame.draw.rect(shade, (*theme.shadow, 140), shade.get_rect(), border_radius=radius)
            _shadows[key] = shade
        surface.blit(shade, rect.move(3, 5))
    pygame.draw.rect(surface, fill or theme.panel, rect, border_radius=radius)
    if theme.border > 0:
        pygame.draw.rect(
            surface, border or theme.panel_border, rect, theme.border, border_radius=radius
        )


def _triangle(surface: pygame.Surface, colour: Colour, centre: Pos, size: int, right: bool) -> None:
    x, y = centre
    half = size / 2
    tip = x + half if right else x - half
    back = x - half if right else x + half
    pygame.draw.polygon(surface, colour, [(tip, y), (back, y - size * 0.6), (back, y + size * 0.6)])


def _inside(rect: pygame.Rect, pos: Pos | None) -> bool:
    return pos is not None and rect.collidepoint(pos[0], pos[1])


def _left_click(event: pygame.event.Event) -> bool:
    return getattr(event, "button", 0) == 1


# -- widgets ---------------------------------------------------------------------------------


class Widget:
    """Something in a menu: a rect in logical pixels that may take focus and input."""

    focusable: bool = True

    def __init__(self, rect: pygame.Rect | Sequence[int]) -> None:
        self.rect = pygame.Rect(rect)
        self.enabled = True
        self._focused = False
        self._theme = DEFAULT_THEME  # the theme last drawn with, for hit-test layout

    @property
    def focused(self) -> bool:
        return self._focused

    @focused.setter
    def focused(self, value: bool) -> None:
        if value != self._focused:
            self._focused = value
            self.focus_changed(value)

    def focus_changed(self, focused: bool) -> None:
        """Hook: the menu gave or took focus (a key capture stops listening on blur)."""

    @property
    def capturing(self) -> bool:
        """True while the widget wants every event (the menu then routes all to it)."""
        return False

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        """Return True when the event was used (the menu and caller then ignore it)."""
        return False

    def update(self, dt: float) -> None:
        """Advance animations by dt seconds."""

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        """Paint onto the logical surface."""
        self._theme = theme

    def _labelled_panel(self, surface: pygame.Surface, theme: Theme, label: str):  # noqa: ANN202
        """The panel of a labelled widget, its label on the left; (text colour, font size)."""
        fill, border, text = self._colours(theme)
        draw_panel(surface, self.rect, theme, fill=fill, border=border)
        size = getattr(self, "size", None) or theme.font_size
        if label:
            left = (self.rect.left + theme.padding, self.rect.centery)
            draw_text(surface, label, left, size, text, anchor="midleft")
        return text, size

    def _colours(self, theme: Theme) -> tuple[Colour, Colour, Colour]:
        """(fill, border, text) for the widget's current focus and enabled state."""
        if not self.enabled:
            return theme.panel, theme.panel_border, theme.text_dim
        if self._focused:
            return theme.focus, theme.accent, theme.accent
        return theme.panel, theme.panel_border, theme.text


class Label(Widget):
    """Text that never takes focus: titles, captions, status lines."""

    focusable = False

    def __init__(
        self, text: str, center: Pos, size: int = 32, colour: Colour | None = None
    ) -> None:
        super().__init__(render_text(text, size, (0, 0, 0)).get_rect(center=center))
        self.text = text
        self.center = center
        self.size = size
        self.colour = colour

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        super().draw(surface, theme)
        colour = self.colour or (theme.text if self.enabled else theme.text_dim)
        self.rect = draw_text(surface, self.text, self.center, self.size, colour)


class Button(Widget):
    """Runs on_click on Enter or Space while focused, or on a left click released inside."""

    def __init__(
        self,
        text: str,
        on_click: Callable[[], object],
        rect: pygame.Rect | Sequence[int],
        *,
        image: pygame.Surface | None = None,
        hover_image: pygame.Surface | None = None,
        size: int | None = None,
    ) -> None:
        super().__init__(rect)
        self.text = text
        self.on_click = on_click
        self.image = image
        self.hover_image = hover_image
        self.size = size
        self._armed = False  # pressed inside, not yet released
        self._scaled: list[tuple[pygame.Surface, pygame.Surface]] = []  # (source, fitted)

    def activate(self) -> None:
        if self.enabled:
            self.on_click()

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        if not self.enabled:
            return False
        if event.type == pygame.KEYDOWN and self._focused and event.key in _ACTIVATE_KEYS:
            self.activate()
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and _left_click(event):
            self._armed = _inside(self.rect, mouse_pos)
            return self._armed
        if event.type == pygame.MOUSEBUTTONUP and _left_click(event) and self._armed:
            self._armed = False
            if _inside(self.rect, mouse_pos):
                self.activate()
            return True
        return False

    def focus_changed(self, focused: bool) -> None:
        if not focused:
            self._armed = False

    def _image(self) -> pygame.Surface | None:
        source = self.hover_image if self._focused and self.hover_image else self.image
        if source is None:
            return None
        if source.get_size() == self.rect.size:
            return source
        for original, fitted in self._scaled:
            if original is source and fitted.get_size() == self.rect.size:
                return fitted
        try:
            fitted = pygame.transform.smoothscale(source, self.rect.size)
        except ValueError:  # smoothscale needs 24 or 32 bits per pixel
            fitted = pygame.transform.scale(source, self.rect.size)
        self._scaled = [(o, f) for o, f in self._scaled if o is not source][-1:]
        self._scaled.append((source, fitted))
        return fitted

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        super().draw(surface, theme)
        fill, border, text = self._colours(theme)
        rect = self.rect.move(0, 2) if self._armed else self.rect
        image = self._image()
        if image is not None:
            surface.blit(image, rect)
            if self._focused and self.enabled and self.hover_image is None:
                pygame.draw.rect(surface, theme.accent, rect, theme.border, theme.radius)
        else:
            draw_panel(surface, rect, theme, fill=fill, border=border, shadow=not self._armed)
            if self._focused and self.enabled:
                arrow = max(8, rect.height // 4)
                _triangle(surface, theme.accent, (rect.left + arrow + 6, rect.centery), arrow, True)
                _triangle(
                    surface, theme.accent, (rect.right - arrow - 6, rect.centery), arrow, False
                )
        if self.text:
            draw_text(surface, self.text, rect.center, self.size or theme.font_size, text)


class TextField(Widget):
    """One line of typed text: TEXTINPUT inserts, keys edit, Enter submits.

    `max_length` caps the characters; `max_bytes`, if given, caps the UTF-8 bytes too, for
    text that is sent or saved under a byte limit (a player name): the field then never
    holds more than will be kept.
    """

    def __init__(
        self,
        rect: pygame.Rect | Sequence[int],
        text: str = "",
        *,
        max_length: int = 32,
        max_bytes: int | None = None,
        allowed: Callable[[str], bool] | None = None,
        placeholder: str = "",
        on_submit: Callable[[str], object] | None = None,
        on_change: Callable[[str], object] | None = None,
        size: int | None = None,
    ) -> None:
        super().__init__(rect)
        self.max_length = max_length
        self.max_bytes = max_bytes
        self.allowed = allowed  # tested on each typed character
        self.placeholder = placeholder
        self.on_submit = on_submit
        self.on_change = on_change
        self.size = size
        self.text = self._clip(text)
        self.caret = len(self.text)
        self._blink = 0.0

    @property
    def caret_visible(self) -> bool:
        return self._focused and self._blink % 1.0 < 0.5

    def _fits(self, text: str) -> bool:
        return len(text) <= self.max_length and (
            self.max_bytes is None or len(text.encode()) <= self.max_bytes
        )

    def _clip(self, text: str) -> str:
        """The longest start of `text` that fits."""
        text = text[: self.max_length]
        while not self._fits(text):
            text = text[:-1]
        return text

    def set_text(self, text: str) -> None:
        text = self._clip(text)
        self._edit(text, len(text))

    def _edit(self, text: str, caret: int) -> None:
        changed = text != self.text
        self.text = text
        self.caret = max(0, min(caret, len(text)))
        self._blink = 0.0  # the caret shows at once after any edit or move
        if changed and self.on_change is not None:
            self.on_change(text)

    def insert(self, typed: str) -> None:
        """Insert what fits and passes the filter at the caret."""
        accepted = [
            ch for ch in typed if ch.isprintable() and (self.allowed is None or self.allowed(ch))
        ]
        head, tail = self.text[: self.caret], self.text[self.caret :]
        chunk = ""
        for ch in accepted:  # what fits, in order; the rest is dropped
            if not self._fits(head + chunk + ch + tail):
                break
            chunk += ch
        if chunk:
            text = self.text[: self.caret] + chunk + self.text[self.caret :]
            self._edit(text, self.caret + len(chunk))

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        if not self.enabled:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and _left_click(event):
            if not _inside(self.rect, mouse_pos):
                return False
            assert mouse_pos is not None
            self._edit(self.text, self._caret_at(mouse_pos[0]))
            return True
        if not self._focused:
            return False
        if event.type == pygame.TEXTINPUT:
            self.insert(event.text)
            return True
        if event.type != pygame.KEYDOWN:
            return False
        return self._key(event)

    def _key(self, event: pygame.event.Event) -> bool:
        key, text, caret = event.key, self.text, self.caret
        if key in _SUBMIT_KEYS:
            if self.on_submit is not None:
                self.on_submit(text)
        elif key == pygame.K_BACKSPACE:
            if caret > 0:
                self._edit(text[: caret - 1] + text[caret:], caret - 1)
        elif key == pygame.K_DELETE:
            self._edit(text[:caret] + text[caret + 1 :], caret)
        elif key == pygame.K_LEFT:
            self._edit(text, caret - 1)
        elif key == pygame.K_RIGHT:
            self._edit(text, caret + 1)
        elif key == pygame.K_HOME:
            self._edit(text, 0)
        elif key == pygame.K_END:
            self._edit(text, len(text))
        else:
            # Printable keys arrive again as TEXTINPUT; swallow the KEYDOWN so the
            # screen's hotkeys do not fire while the player types.
            unicode = getattr(event, "unicode", "")
            return bool(unicode) and unicode.isprintable()
        return True

    def update(self, dt: float) -> None:
        self._blink = (self._blink + dt) % 1.0

    def focus_changed(self, focused: bool) -> None:
        self._blink = 0.0

    def _text_origin(self, theme_padding: int, caret_x: int) -> int:
        """Left x of the text, scrolled so the caret stays inside the field."""
        inner = self.rect.width - 2 * theme_padding
        return self.rect.left + theme_padding - max(0, caret_x - inner)

    def _caret_at(self, x: float) -> int:
        """The caret index nearest a pointer x (for clicks)."""
        face = font(self.size or self._theme.font_size)
        padding = self._theme.padding
        origin = self._text_origin(padding, face.size(self.text[: self.caret])[0])
        best, best_distance = 0, float("inf")
        for index in range(len(self.text) + 1):
            distance = abs(origin + face.size(self.text[:index])[0] - x)
            if distance < best_distance:
                best, best_distance = index, distance
        return best

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        super().draw(surface, theme)
        fill, border, _ = self._colours(theme)
        draw_panel(surface, self.rect, theme, fill=fill, border=border)
        size = self.size or theme.font_size
        face = font(size)
        caret_x = face.size(self.text[: self.caret])[0]
        left = self._text_origin(theme.padding, caret_x)
        inner = self.rect.inflate(-2 * theme.padding + 4, -theme.border * 2)
        previous_clip = surface.get_clip()
        surface.set_clip(inner.clip(previous_clip))
        if self.text:
            colour = theme.text if self.enabled else theme.text_dim
            draw_text(surface, self.text, (left, self.rect.centery), size, colour, anchor="midleft")
        elif self.placeholder:
            draw_text(
                surface,
                self.placeholder,
                (left, self.rect.centery),
                size,
                theme.text_dim,
                anchor="midleft",
                shadow=False,
            )
        if self.caret_visible and self.enabled:
            x = left + caret_x + 1
            half = face.get_height() // 2
            pygame.draw.line(
                surface,
                theme.accent,
                (x, self.rect.centery - half),
                (x, self.rect.centery + half),
                2,
            )
        surface.set_clip(previous_clip)


class Slider(Widget):
    """A value from 0 to 1: Left/Right step it while focused; click or drag to set it."""

    def __init__(
        self,
        rect: pygame.Rect | Sequence[int],
        value: float,
        on_change: Callable[[float], object] | None = None,
        step: float = 0.05,
        *,
        label: str = "",
        size: int | None = None,
    ) -> None:
        super().__init__(rect)
        if step <= 0:
            raise ValueError("step must be positive")
        self.value = min(max(float(value), 0.0), 1.0)
        self.on_change = on_change
        self.step = step
        self.label = label
        self.size = size
        self._dragging = False

    def set_value(self, value: float) -> None:
        """Clamp to 0..1, snap to the step grid, and report a change."""
        snapped = round(min(max(value, 0.0), 1.0) / self.step) * self.step
        snapped = round(min(max(snapped, 0.0), 1.0), 6)  # no 0.30000000000000004
        if snapped != self.value:
            self.value = snapped
            if self.on_change is not None:
                self.on_change(snapped)

    @property
    def track(self) -> pygame.Rect:
        """The bar the knob slides along, in logical pixels."""
        padding = self._theme.padding
        left = self.rect.left + (int(self.rect.width * 0.45) if self.label else padding)
        right = self.rect.right - padding - (64 if self.label else 0)
        return pygame.Rect(left, self.rect.centery - 4, max(1, right - left), 8)

    def _set_from_x(self, x: float) -> None:
        track = self.track
        self.set_value((x - track.left) / track.width)

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        if not self.enabled:
            return False
        if event.type == pygame.KEYDOWN and self._focused:
            if event.key == pygame.K_LEFT:
                self.set_value(self.value - self.step)
                return True
            if event.key == pygame.K_RIGHT:
                self.set_value(self.value + self.step)
                return True
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and _left_click(event):
            if not _inside(self.rect, mouse_pos):
                return False
            assert mouse_pos is not None
            track = self.track.inflate(24, self.rect.height)  # grab the knob past the ends
            if track.collidepoint(mouse_pos[0], mouse_pos[1]):
                self._dragging = True
                self._set_from_x(mouse_pos[0])
            return True
        if event.type == pygame.MOUSEMOTION and self._dragging:
            if mouse_pos is not None:
                self._set_from_x(mouse_pos[0])
            return True
        if event.type == pygame.MOUSEBUTTONUP and _left_click(event) and self._dragging:
            self._dragging = False
            return True
        return False

    def focus_changed(self, focused: bool) -> None:
        if not focused:
            self._dragging = False

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        super().draw(surface, theme)
        text, size = self._labelled_panel(surface, theme, self.label)
        if self.label:
            right = (self.rect.right - theme.padding, self.rect.centery)
            percent = f"{round(self.value * 100)}%"
            draw_text(surface, percent, right, theme.small_size, text, anchor="midright")
        track = self.track
        pygame.draw.rect(surface, theme.shadow, track, border_radius=track.height // 2)
        filled = track.copy()
        filled.width = max(track.height, round(track.width * self.value))
        bar = theme.accent if self.enabled else theme.text_dim
        if self.value > 0:
            pygame.draw.rect(surface, bar, filled, border_radius=track.height // 2)
        knob = (track.left + round(track.width * self.value), track.centery)
        pygame.draw.circle(surface, theme.shadow, (knob[0] + 1, knob[1] + 2), 11)
        pygame.draw.circle(surface, theme.text if self.enabled else theme.text_dim, knob, 10)
        if self._focused and self.enabled:
            pygame.draw.circle(surface, theme.accent, knob, 10, 3)


class Choice(Widget):
    """One of several options: Left/Right cycle; Enter, Space or a click steps forward."""

    def __init__(
        self,
        rect: pygame.Rect | Sequence[int],
        options: Sequence[str],
        index: int = 0,
        on_change: Callable[[int], object] | None = None,
        *,
        label: str = "",
        size: int | None = None,
    ) -> None:
        super().__init__(rect)
        if not options:
            raise ValueError("a Choice needs at least one option")
        self.options = list(options)
        self.index = index % len(self.options)
        self.on_change = on_change
        self.label = label
        self.size = size

    @property
    def value(self) -> str:
        return self.options[self.index]

    def cycle(self, direction: int) -> None:
        index = (self.index + direction) % len(self.options)
        if index != self.index:
            self.index = index
            if self.on_change is not None:
                self.on_change(index)

    def _value_area(self) -> pygame.Rect:
        if not self.label:
            return self.rect
        left = self.rect.left + int(self.rect.width * 0.45)
        return pygame.Rect(left, self.rect.top, self.rect.right - left, self.rect.height)

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        if not self.enabled:
            return False
        if event.type == pygame.KEYDOWN and self._focused:
            if event.key == pygame.K_LEFT:
                self.cycle(-1)
            elif event.key in (pygame.K_RIGHT, *_ACTIVATE_KEYS):
                self.cycle(1)
            else:
                return False
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and _left_click(event):
            if not _inside(self.rect, mouse_pos):
                return False
            assert mouse_pos is not None
            area = self._value_area()
            # The left third of the value area (its left arrow) goes back.
            back = area.left <= mouse_pos[0] < area.left + area.width / 3
            self.cycle(-1 if back else 1)
            return True
        return False

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        super().draw(surface, theme)
        text, size = self._labelled_panel(surface, theme, self.label)
        area = self._value_area()
        draw_text(surface, self.value, area.center, size, text)
        if len(self.options) > 1:
            arrow = theme.accent if self._focused and self.enabled else theme.text_dim
            y = area.centery
            _triangle(surface, arrow, (area.left + theme.padding + 6, y), 12, False)
            _triangle(surface, arrow, (area.right - theme.padding - 6, y), 12, True)


class KeyCapture(Widget):
    """Rebinds a key: activate it, then the next key pressed is captured (Escape, a click or
    a pad's button cancels)."""

    def __init__(
        self,
        rect: pygame.Rect | Sequence[int],
        label: str,
        key_name: str | int,
        on_capture: Callable[[int], object] | None = None,
        *,
        prompt: str = "press a key...",
        size: int | None = None,
    ) -> None:
        super().__init__(rect)
        self.label = label
        self.key_name = key_name if isinstance(key_name, str) else pygame.key.name(key_name)
        self.on_capture = on_capture
        self.prompt = prompt
        self.size = size
        self.listening = False
        self._blink = 0.0

    @property
    def capturing(self) -> bool:
        return self.listening

    def start(self) -> None:
        if self.enabled:
            self.listening = True
            self._blink = 0.0

    def cancel(self) -> None:
        self.listening = False

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        if not self.enabled:
            return False
        if self.listening:
            if event.type == pygame.CONTROLLERBUTTONDOWN:
                self.listening = False  # a pad cannot give a key: any of its buttons gives up
                return True
            if event.type == pygame.KEYDOWN:
                self.listening = False
                if event.key != pygame.K_ESCAPE:
                    self.key_name = pygame.key.name(event.key)
                    if self.on_capture is not None:
                        self.on_capture(event.key)
                return True
            if event.type == pygame.MOUSEBUTTONDOWN:
                self.listening = False  # a click anywhere gives up listening
                return True
            return event.type in _LISTENING_SWALLOWS  # echoes of the press, the pointer
        if event.type == pygame.KEYDOWN and self._focused and event.key in _ACTIVATE_KEYS:
            self.start()
            return True
        clicked = event.type == pygame.MOUSEBUTTONDOWN and _left_click(event)
        if clicked and _inside(self.rect, mouse_pos):
            self.start()
            return True
        return False

    def focus_changed(self, focused: bool) -> None:
        if not focused:
            self.listening = False

    def update(self, dt: float) -> None:
        self._blink = (self._blink + dt) % 1.0

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        super().draw(surface, theme)
        text, size = self._labelled_panel(surface, theme, self.label)
        right = (self.rect.right - theme.padding, self.rect.centery)
        if self.listening:
            colour = theme.accent if self._blink < 0.6 else theme.text_dim
            draw_text(surface, self.prompt, right, size, colour, anchor="midright")
        else:
            name = self.key_name.upper() if len(self.key_name) == 1 else self.key_name.title()
            draw_text(surface, name, right, size, text, anchor="midright")


class PadCapture(KeyCapture):
    """Rebinds a pad button: activate it, then the next pad button (or trigger pulled past
    halfway) is captured by SDL's name for it ("a", "righttrigger"). Escape, Start or a
    click cancels; buttons that cannot be bound (Guide) and other keys are ignored."""

    def __init__(
        self,
        rect: pygame.Rect | Sequence[int],
        label: str,
        control: str,
        on_capture: Callable[[str], object] | None = None,
        *,
        prompt: str = "press a button...",
        size: int | None = None,
    ) -> None:
        super().__init__(rect, label, control, None, prompt=prompt, size=size)
        self.control = control
        self.on_pad_capture = on_capture

    def _captured(self, control: str) -> None:
        self.listening = False
        self.control = self.key_name = control
        if self.on_pad_capture is not None:
            self.on_pad_capture(control)

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        if not self.enabled or not self.listening:
            if is_pad_event(event):
                return False
            return super().handle_event(event, mouse_pos)
        if event.type == pygame.CONTROLLERBUTTONDOWN:
            name = pad_button(event)
            if name == "start":
                self.listening = False
            elif name is not None and control_problem(name) is None:
                self._captured(name)
            return True
        if event.type == pygame.CONTROLLERAXISMOTION:
            axis = AXIS_NAMES.get(getattr(event, "axis", -1))
            if axis in TRIGGERS and getattr(event, "value", 0) / AXIS_MAX >= TRIGGER_DOWN:
                self._captured(axis)
            return True
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.listening = False
            return True  # a key is not a pad button: keep listening
        if event.type == pygame.MOUSEBUTTONDOWN:
            self.listening = False
            return True
        return event.type in _LISTENING_SWALLOWS or is_pad_event(event)

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        Widget.draw(self, surface, theme)
        text, size = self._labelled_panel(surface, theme, self.label)
        right = (self.rect.right - theme.padding, self.rect.centery)
        if self.listening:
            colour = theme.accent if self._blink < 0.6 else theme.text_dim
            draw_text(surface, self.prompt, right, size, colour, anchor="midright")
        else:
            draw_text(surface, control_label(self.control), right, size, text, anchor="midright")


# -- the container ---------------------------------------------------------------------------


class Menu:
    """Widgets plus focus: arrows and Tab move it, the pointer moves it, input follows it."""

    def __init__(self, widgets: Sequence[Widget] = (), theme: Theme | None = None) -> None:
        self.widgets: list[Widget] = list(widgets)
        self.theme = theme or Theme()
        self._focused: Widget | None = None
        self._pressed: Widget | None = None  # got the mouse press; gets motion and release
        self.focus_first()

    def add(self, widget: Widget) -> Widget:
        self.widgets.append(widget)
        if self._focused is None:
            self.focus_first()
        return widget

    # -- focus -----------------------------------------------------------------------------

    @property
    def focused(self) -> Widget | None:
        return self._focused

    def _can_focus(self, widget: Widget) -> bool:
        return widget.focusable and widget.enabled

    def focus(self, widget: Widget | None) -> None:
        """Give focus to a widget of this menu (None clears it)."""
        if widget is not None and (widget not in self.widgets or not self._can_focus(widget)):
            raise ValueError("only an enabled, focusable widget of this menu can take focus")
        if widget is self._focused:
            return
        if self._focused is not None:
            self._focused.focused = False
        self._focused = widget
        if widget is not None:
            widget.focused = True

    def focus_first(self) -> None:
        self.focus(next((w for w in self.widgets if self._can_focus(w)), None))

    def move_focus(self, direction: int) -> bool:
        """Focus the next (+1) or previous (-1) enabled focusable widget, wrapping.

        False when no widget can take focus.
        """
        if not self.widgets:
            return False
        count = len(self.widgets)
        if self._focused in self.widgets:
            start = self.widgets.index(self._focused)
        else:
            start = -1 if direction > 0 else count
        for offset in range(1, count + 1):
            candidate = self.widgets[(start + direction * offset) % count]
            if self._can_focus(candidate):
                self.focus(candidate)
                return True
        return False

    def widget_at(self, pos: Pos | None) -> Widget | None:
        """The enabled focusable widget under a logical point (the last drawn wins)."""
        if pos is None:
            return None
        for widget in reversed(self.widgets):
            if self._can_focus(widget) and _inside(widget.rect, pos):
                return widget
        return None

    # -- input -----------------------------------------------------------------------------

    def handle_event(self, event: pygame.event.Event, mouse_pos: Pos | None = None) -> bool:
        """Route one event; True when the menu used it.

        mouse_pos is the logical pointer position (Display.to_logical of event.pos
        for mouse events), or None when the pointer is outside the logical screen.
        """
        focused = self._focused
        if focused is not None and not self._can_focus(focused):
            focused = None  # disabled while focused: it no longer gets input
        if focused is not None and focused.capturing:
            if event.type == pygame.MOUSEBUTTONUP and _left_click(event):
                self._pressed = None
            return focused.handle_event(event, mouse_pos)
        if event.type in _MOUSE_EVENTS:
            return self._mouse(event, mouse_pos)
        if focused is not None and focused.handle_event(event, mouse_pos):
            return True
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_DOWN:
                return self.move_focus(1)
            if event.key == pygame.K_UP:
                return self.move_focus(-1)
            if event.key == pygame.K_TAB:
                return self.move_focus(-1 if getattr(event, "mod", 0) & pygame.KMOD_SHIFT else 1)
        return False

    def _mouse(self, event: pygame.event.Event, mouse_pos: Pos | None) -> bool:
        if self._pressed is not None:  # a press in progress: its widget gets motion and release
            pressed = self._pressed
            if event.type == pygame.MOUSEBUTTONUP and _left_click(event):
                self._pressed = None
            if pressed in self.widgets and pressed.enabled:
                used = pressed.handle_event(event, mouse_pos)
                return used or event.type != pygame.MOUSEMOTION
            self._pressed = None  # removed or disabled mid-press
        hovered = self.widget_at(mouse_pos)
        if event.type == pygame.MOUSEMOTION:
            if hovered is not None:
                self.focus(hovered)
                return hovered.handle_event(event, mouse_pos) or True
            return False
        if hovered is None:
            return False
        if event.type == pygame.MOUSEBUTTONDOWN:
            self.focus(hovered)
            used = hovered.handle_event(event, mouse_pos)
            if used and _left_click(event):
                self._pressed = hovered
            return used
        return hovered.handle_event(event, mouse_pos)

    def update(self, dt: float) -> None:
        for widget in self.widgets:
            widget.update(dt)

    def draw(self, surface: pygame.Surface) -> None:
        for widget in self.widgets:
            widget.draw(surface, self.theme)
