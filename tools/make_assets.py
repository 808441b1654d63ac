"""Procedurally generate every Cloudbreak sprite (PNG) and sound (WAV).

Run ``python -m tools.make_assets [--out DIR]``. Everything is drawn with
pygame-ce on offscreen surfaces and synthesised with the standard library, from
fixed seeds, so every run writes byte-identical files.
"""

from __future__ import annotations

import argparse
import importlib
import math
import operator
import os
import random
import sys
import time
import wave
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, pairwise, repeat
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# Imported only now, after the SDL drivers above are chosen (never opens a window).
pygame = importlib.import_module("pygame")

ASSETS_DIR = Path(__file__).resolve().parents[1] / "assets"

RGB = tuple[int, int, int]
RGBA = tuple[int, int, int, int]
Livery = dict[str, RGB]  # paint name -> colour
Point = tuple[float, float]
Stops = Sequence[tuple[float, tuple[int, ...]]]

OUTLINE: RGBA = (16, 18, 26, 255)


# --------------------------------------------------------------------------- colour helpers


def clamp8(value: float) -> int:
    """Clamp a channel value into 0..255."""
    return 0 if value < 0 else 255 if value > 255 else int(value)


def shade(colour: Sequence[int], factor: float) -> RGB:
    """Darken (factor < 1) or lighten towards white (factor > 1) an RGB colour."""
    if factor <= 1.0:
        return tuple(clamp8(c * factor) for c in colour[:3])  # type: ignore[return-value]
    t = min(factor - 1.0, 1.0)
    return tuple(clamp8(c + (255 - c) * t) for c in colour[:3])  # type: ignore[return-value]


def mix(a: Sequence[int], b: Sequence[int], t: float) -> tuple[int, ...]:
    """Linear blend of two colours (any number of channels)."""
    return tuple(clamp8(x + (y - x) * t + 0.5) for x, y in zip(a, b, strict=True))


def ramp(stops: Stops, t: float) -> tuple[int, ...]:
    """Sample a piecewise-linear colour ramp given as sorted (position, colour) stops."""
    if t <= stops[0][0]:
        return stops[0][1]
    for (p0, c0), (p1, c1) in pairwise(stops):
        if t <= p1:
            return mix(c0, c1, (t - p0) / (p1 - p0))
    return stops[-1][1]


# --------------------------------------------------------------------------- surface helpers


def new_surface(width: int, height: int, fill: Sequence[int] = (0, 0, 0, 0)) -> pygame.Surface:
    """A fresh per-pixel-alpha surface, fully transparent unless told otherwise."""
    surf = pygame.Surface((width, height), pygame.SRCALPHA)
    surf.fill(fill)
    return surf


def from_rgba(data: bytearray, width: int, height: int) -> pygame.Surface:
    """Build an alpha surface from raw RGBA bytes."""
    return pygame.image.frombytes(bytes(data), (width, height), "RGBA")


def downsample(surf: pygame.Surface, width: int, height: int) -> pygame.Surface:
    """Smoothly shrink a supersampled drawing to its final size."""
    return pygame.transform.smoothscale(surf, (width, height))


def silhouette(surf: pygame.Surface, rgba: Sequence[int]) -> pygame.Surface:
    """A single-colour copy of everything opaque in ``surf``."""
    mask = pygame.mask.from_surface(surf, 60)
    return mask.to_surface(setcolor=rgba, unsetcolor=(0, 0, 0, 0))


def with_outline(surf: pygame.Surface, colour: Sequence[int] = OUTLINE) -> pygame.Surface:
    """Surround every opaque pixel with a 1px dark outline."""
    shape = silhouette(surf, colour)
    out = new_surface(*surf.get_size())
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        out.blit(shape, (dx, dy))
    out.blit(surf, (0, 0))
    return out


def vertical_gradient(width: int, height: int, stops: Stops) -> pygame.Surface:
    """An opaque surface whose rows follow a colour ramp from top to bottom."""
    surf = new_surface(width, height)
    for y in range(height):
        colour = ramp(stops, y / max(1, height - 1))
        pygame.draw.line(surf, colour, (0, y), (width - 1, y))
    return surf


def rounded_gradient(width: int, height: int, radius: int, stops: Stops) -> pygame.Surface:
    """A rounded rectangle filled with a vertical gradient, transparent outside."""
    fill = vertical_gradient(width, height, stops)
    shape = new_surface(width, height)
    pygame.draw.rect(shape, (255, 255, 255, 255), shape.get_rect(), border_radius=radius)
    fill.blit(shape, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
    return fill


def radial_sprite(size: int, stops: Stops) -> pygame.Surface:
    """A round sprite whose colour/alpha follow ``stops`` from centre (0) to edge (1)."""
    data = bytearray()
    centre = (size - 1) / 2
    for y in range(size):
        for x in range(size):
            d = math.hypot(x - centre, y - centre) / (size / 2)
            data += bytes(ramp(stops, d))
    return from_rgba(data, size, size)


def soft_circle(
    surf: pygame.Surface,
    centre: Point,
    radius: float,
    inner: Sequence[int],
    outer: Sequence[int],
    hardness: float = 1.0,
) -> None:
    """Blit a soft disc fading from ``inner`` (centre) to ``outer`` (rim).

    ``hardness`` > 1 reaches the inner colour sooner, giving a firmer edge.
    """
    r = max(1, int(radius))
    disc = new_surface(2 * r + 2, 2 * r + 2, (*outer[:3], 0))
    steps = max(3, min(14, r // 2))
    for i in range(steps):
        t = i / steps
        colour = mix(outer, inner, min(1.0, t * hardness))
        pygame.draw.circle(disc, colour, (r + 1, r + 1), max(1, r * (1 - t)))
    surf.blit(disc, (centre[0] - r - 1, centre[1] - r - 1))


# --------------------------------------------------------------------------- tileable noise


class TileNoise:
    """Smooth value noise on a periodic grid, so it wraps seamlessly at the image edges."""

    def __init__(self, rng: random.Random, cells_x: int, cells_y: int) -> None:
        self.cells_x = cells_x
        self.cells_y = cells_y
        self.grid = [[rng.random() for _ in range(cells_x)] for _ in range(cells_y)]

    @staticmethod
    def _axis(pos: int, length: int, cells: int) -> tuple[int, int, float]:
        """Grid indices either side of ``pos`` and the smoothstepped blend between them."""
        u = pos * cells / length
        i = int(u)
        f = u - i
        return i % cells, (i + 1) % cells, f * f * (3 - 2 * f)

    def render(self, width: int, height: int) -> list[list[float]]:
        """Sample the noise at every pixel of a ``width`` x ``height`` tile."""
        xs = [self._axis(x, width, self.cells_x) for x in range(width)]
        rows = []
        for y in range(height):
            y0, y1, fy = self._axis(y, height, self.cells_y)
            g0, g1 = self.grid[y0], self.grid[y1]
            top = [g0[a] + (g0[b] - g0[a]) * f for a, b, f in xs]
            bottom = [g1[a] + (g1[b] - g1[a]) * f for a, b, f in xs]
            rows.append([t + (u - t) * fy for t, u in zip(top, bottom, strict=True)])
        return rows


def fbm(
    rng: random.Random, width: int, height: int, cells: tuple[int, int], octaves: int
) -> list[list[float]]:
    """Fractal sum of tileable noise octaves, stretched to the 0..1 range."""
    total = [[0.0] * width for _ in range(height)]
    amplitude = 1.0
    for octave in range(octaves):
        scale = 2**octave
        layer = TileNoise(rng, cells[0] * scale, cells[1] * scale).render(width, height)
        for row, add in zip(total, layer, strict=True):
            row[:] = [a + amplitude * b for a, b in zip(row, add, strict=True)]
        amplitude *= 0.5
    low = min(min(row) for row in total)
    high = max(max(row) for row in total)
    span = (high - low) or 1.0
    return [[(v - low) / span for v in row] for row in total]


# --------------------------------------------------------------------------- aircraft model

DIP_SCALE, RISE_SCALE = 0.72, 0.92  # wing foreshortening when banking
DIP_LIGHT, RISE_LIGHT = 0.80, 1.08  # the lowered wing turns away from the light
ROLL_SHIFT = 0.55  # sideways shift per unit of part height when banking


@dataclass(frozen=True)
class Part:
    """One flat piece of an airframe, described nose-up around (0, 0) in pixels."""

    points: tuple[Point, ...]
    paint: str  # livery key
    style: str = "plate"  # "plate", "cylinder" or "glass"
    mirror: bool = False  # also draw the left-hand copy (points are on the right)
    lift: float = 0.0  # height above the wing plane: taller parts slide more when banking


@dataclass(frozen=True)
class Roundel:
    """A national marking painted on both wings (paints go outer ring to centre)."""

    x: float
    y: float
    radius: float
    paints: tuple[str, ...]


@dataclass(frozen=True)
class Airframe:
    """Everything needed to draw one aircraft type at any bank angle."""

    width: int
    height: int
    parts: tuple[Part, ...]
    roundels: tuple[Roundel, ...] = ()
    panel_lines: tuple[tuple[Point, Point], ...] = ()  # mirrored to both sides
    exhausts: tuple[tuple[float, float, int], ...] = ()  # (x, y, glow size), centre line
    propellers: tuple[tuple[float, float, float], ...] = ()  # (x, y, radius), mirrored


@dataclass(frozen=True)
class View:
    """How an airframe is placed on its canvas: size, bank and heading."""

    width: int
    height: int
    bank: int = 0  # -1 banking left, 0 level, +1 banking right
    nose_down: bool = False

    def side_scale(self, side: int) -> float:
        """Horizontal foreshortening of the wing on ``side`` (-1 left, +1 right)."""
        if self.bank == 0:
            return 1.0
        return DIP_SCALE if side == self.bank else RISE_SCALE

    def side_light(self, side: int) -> float:
        """Brightness of the wing on ``side``: the dipping wing turns away from the sun."""
        if self.bank == 0:
            return 1.0
        return DIP_LIGHT if side == self.bank else RISE_LIGHT

    def to_screen(self, x: float, y: float, lift: float = 0.0) -> Point:
        """Map a model point to canvas pixels, applying bank and heading."""
        side = -1 if x < 0 else 1
        sx = self.width / 2 + x * self.side_scale(side) + self.bank * lift * ROLL_SHIFT
        sy = self.height / 2 + (-y if self.nose_down else y)
        return sx, sy


def snap(point: Point) -> tuple[int, int]:
    """Round a point to the nearest pixel (halves away from zero, so shapes stay symmetric)."""
    return math.floor(point[0] + 0.5), math.floor(point[1] + 0.5)


def ellipse_points(cx: float, cy: float, rx: float, ry: float, n: int = 20) -> tuple[Point, ...]:
    """Polygon approximation of an ellipse."""
    return tuple(
        (cx + rx * math.cos(2 * math.pi * i / n), cy + ry * math.sin(2 * math.pi * i / n))
        for i in range(n)
    )


def body_outline(profile: Sequence[Point], cx: float = 0.0) -> tuple[Point, ...]:
    """Closed outline of a body of revolution from (y, half-width) pairs, nose first."""
    right = [(cx + hw, y) for y, hw in profile]
    left = [(cx - hw, y) for y, hw in reversed(profile)]
    return tuple(right + left)


def width_at(profile: Sequence[Point], y: float) -> float:
    """Half-width of a body profile at ``y`` (linear between samples)."""
    for (y0, w0), (y1, w1) in pairwise(profile):
        if y0 <= y <= y1:
            return w0 + (w1 - w0) * (y - y0) / (y1 - y0)
    return profile[-1][1]


def slice_profile(profile: Sequence[Point], y0: float, y1: float) -> tuple[Point, ...]:
    """The part of a body profile between ``y0`` and ``y1`` (for nose cones and bands)."""
    ys = [y0] + [y for y, _ in profile if y0 < y < y1] + [y1]
    return tuple((y, width_at(profile, y)) for y in ys)


def plate_light(inside: Callable[[int, int], bool], x: int, y: int) -> float:
    """Bevel lighting for flat panels: lit top/left edges, dark bottom/right edges."""
    if not inside(x, y - 1) or not inside(x - 1, y):
        return 1.32
    if not inside(x, y + 1) or not inside(x + 1, y):
        return 0.58
    if not inside(x, y - 2) or not inside(x - 2, y):
        return 1.12
    if not inside(x, y + 2) or not inside(x + 2, y):
        return 0.82
    return 1.0


def cylinder_light(t: float, glass: bool, row: float) -> float:
    """Lighting across a round body at fraction ``t`` of its width (light from the left)."""
    f = 0.58 + 0.62 * math.exp(-(((t - 0.36) / 0.32) ** 2))
    if glass:
        f = 0.7 + 0.5 * (f - 0.58)
        if 0.15 < t < 0.45 and row < 0.45:
            f = 1.75
    return f


def shade_layer(layer: pygame.Surface, colour: RGB, style: str, light: float) -> None:
    """Replace the flat fill of a single-part layer with lit, shaded pixels."""
    mask = pygame.mask.from_surface(layer, 1)
    width, height = mask.get_size()

    def inside(x: int, y: int) -> bool:
        return 0 <= x < width and 0 <= y < height and bool(mask.get_at((x, y)))

    box = layer.get_bounding_rect()
    for y in range(box.top, box.bottom):
        xs = [x for x in range(box.left, box.right) if mask.get_at((x, y))]
        if not xs:
            continue
        row = (y - box.top) / max(1, box.height - 1)
        for x in xs:
            if style == "plate":
                f = plate_light(inside, x, y) * (1.05 - 0.12 * row)
            else:
                t = (x - xs[0] + 0.5) / (xs[-1] - xs[0] + 1)
                f = cylinder_light(t, style == "glass", row)
            layer.set_at((x, y), shade(colour, f * light))


def render_part(part: Part, colour: RGB, view: View, side: int) -> pygame.Surface:
    """Draw and shade one copy (``side`` = +1 right / -1 left) of a part on its own layer."""
    layer = new_surface(view.width, view.height)
    points = [snap(view.to_screen(x * side, y, part.lift)) for x, y in part.points]
    pygame.draw.polygon(layer, colour, points)
    light = view.side_light(side) if part.mirror else 1.0
    shade_layer(layer, colour, part.style, light)
    return layer


def draw_panel_lines(surf: pygame.Surface, frame: Airframe, view: View) -> None:
    """Darken thin panel lines (flaps, ailerons) wherever the airframe is painted."""
    lines = new_surface(view.width, view.height, (255, 255, 255, 255))
    for start, end in frame.panel_lines:
        for side in (1, -1):
            a = snap(view.to_screen(start[0] * side, start[1]))
            b = snap(view.to_screen(end[0] * side, end[1]))
            pygame.draw.line(lines, (165, 165, 170, 255), a, b)
    surf.blit(lines, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)


def draw_roundels(surf: pygame.Surface, frame: Airframe, livery: Livery, view: View) -> None:
    """Paint the wing markings, squashed like the wing they sit on."""
    for mark in frame.roundels:
        for side in (1, -1):
            cx, cy = view.to_screen(mark.x * side, mark.y)
            sx, light = view.side_scale(side), view.side_light(side)
            for i, paint in enumerate(mark.paints):
                r = mark.radius * (1 - i / len(mark.paints))
                rect = pygame.Rect(0, 0, max(1, round(2 * r * sx)), max(1, round(2 * r)))
                rect.center = snap((cx, cy))
                pygame.draw.ellipse(surf, shade(livery[paint], light), rect)


@cache
def exhaust_glow(size: int) -> pygame.Surface:
    """A small hot jet-exhaust glow."""
    return radial_sprite(
        size,
        ((0.0, (255, 255, 235, 255)), (0.35, (255, 210, 90, 230)), (1.0, (255, 90, 20, 0))),
    )


def draw_effects(surf: pygame.Surface, frame: Airframe, view: View) -> None:
    """Add translucent exhaust glows and spinning propeller blurs."""
    for x, y, size in frame.exhausts:
        cx, cy = view.to_screen(x, y, 2)
        surf.blit(exhaust_glow(size), snap((cx - size / 2, cy - size / 2)))
    blur = new_surface(view.width, view.height)
    for x, y, radius in frame.propellers:
        for side in (1, -1):
            cx, cy = view.to_screen(x * side, y, 2)
            w = 2 * radius * view.side_scale(side)
            rect = pygame.Rect(0, 0, round(w), 4)
            rect.center = snap((cx, cy))
            pygame.draw.ellipse(blur, (205, 210, 220, 115), rect)
            pygame.draw.line(
                blur,
                (34, 34, 40, 190),
                (rect.left + 1, rect.centery),
                (rect.right - 2, rect.centery),
            )
    surf.blit(blur, (0, 0))


def render_aircraft(frame: Airframe, livery: Livery, view: View) -> pygame.Surface:
    """Draw a complete, outlined aircraft for one view."""
    surf = new_surface(view.width, view.height)
    for part in frame.parts:
        for side in (1, -1) if part.mirror else (1,):
            surf.blit(render_part(part, livery[part.paint], view, side), (0, 0))
    draw_panel_lines(surf, frame, view)
    draw_roundels(surf, frame, livery, view)
    surf = with_outline(surf)
    draw_effects(surf, frame, view)
    return surf


def aircraft_sheet(frame: Airframe, livery: Livery, nose_down: bool) -> pygame.Surface:
    """Three frames side by side: banking left, level, banking right."""
    sheet = new_surface(frame.width * 3, frame.height)
    for i, bank in enumerate((-1, 0, 1)):
        view = View(frame.width, frame.height, bank, nose_down)
        sheet.blit(render_aircraft(frame, livery, view), (i * frame.width, 0))
    return sheet


# --------------------------------------------------------------------------- airframes

EAGLE_BODY = (
    (-29, 0.0),
    (-26, 1.6),
    (-22, 2.8),
    (-16, 3.8),
    (-8, 4.6),
    (0, 5.0),
    (12, 5.0),
    (20, 4.4),
    (26, 3.6),
    (28, 3.2),
)
EAGLE = Airframe(
    64,
    64,
    parts=(
        Part(((4, 17), (14, 24), (14, 28), (4, 27)), "wing", mirror=True),  # tailplane
        Part(((4.5, -13), (7, -5), (27, 10), (27, 15), (5, 14)), "wing", mirror=True),  # swept wing
        # tip rail
        Part(((26, 5), (28.5, 5), (28.5, 16), (26, 16)), "metal", "cylinder", mirror=True),
        Part(((3.5, -11), (6.5, -9), (6.5, 3), (4, 3)), "metal", mirror=True, lift=1),  # intake
        Part(body_outline(EAGLE_BODY), "body", "cylinder", lift=2),  # fuselage
        Part(body_outline(slice_profile(EAGLE_BODY, -29, -23)), "trim", "cylinder", lift=2),  # nose
        Part(body_outline(slice_profile(EAGLE_BODY, 6, 9)), "trim", "cylinder", lift=2),  # band
        # twin fins
        Part(((4.2, 12), (6.2, 12), (6.8, 26), (4.8, 26)), "trim", mirror=True, lift=5),
        Part(ellipse_points(0, -13, 2.6, 6.5), "glass", "glass", lift=3),  # canopy
    ),
    roundels=(Roundel(17, 9.5, 3.2, ("trim", "white", "trim")),),
    panel_lines=(((7, 12.3), (25, 13.2)),),
    exhausts=((0, 29.5, 9),),
)

RAPTOR_BODY = (
    (-28, 0.0),
    (-25, 1.8),
    (-20, 3.2),
    (-12, 4.4),
    (0, 4.8),
    (14, 4.6),
    (22, 3.8),
    (27, 3.0),
)
RAPTOR = Airframe(
    64,
    64,
    parts=(
        Part(((3, 15), (13, 21), (13, 25), (3, 24)), "wing", mirror=True),  # tailplane
        Part(((4, -8), (24, 6), (26, 9), (26, 12), (4, 10)), "wing", mirror=True),  # wing
        Part(((20, 3.2), (24, 6), (26, 9), (26, 12), (20, 11.4)), "trim", mirror=True),  # red tips
        Part(body_outline(RAPTOR_BODY), "body", "cylinder", lift=2),  # fuselage
        # nose
        Part(body_outline(slice_profile(RAPTOR_BODY, -28, -20)), "trim", "cylinder", lift=2),
        Part(((-1, 11), (1, 11), (1, 27), (-1, 27)), "trim", lift=5),  # fin
        Part(ellipse_points(0, -12, 2.4, 5.5), "glass", "glass", lift=3),  # canopy
    ),
    roundels=(Roundel(13.5, 4.8, 3.0, ("white", "trim")),),
    panel_lines=(((6, 8.2), (19, 9.4)),),
    exhausts=((0, 28.5, 8),),
)

AVENGER_BODY = (
    (-35, 0.0),
    (-34, 2.5),
    (-31, 4.5),
    (-26, 5.8),
    (-10, 6.4),
    (8, 6.0),
    (22, 4.5),
    (32, 2.6),
    (34, 1.8),
)
NACELLE = ((-21, 2.0), (-19, 3.6), (-14, 4.3), (4, 4.0), (10, 2.8), (14, 1.2))
AVENGER = Airframe(
    80,
    80,
    parts=(
        Part(((3, 25), (16, 26), (17, 28.5), (16, 31), (3, 32)), "wing", mirror=True),  # tailplane
        # long straight wing
        Part(((5, -9), (34, -5.5), (37, -3.5), (37, 0.5), (34, 1.8), (5, 6)), "wing", mirror=True),
        Part(body_outline(NACELLE, 15), "accent", "cylinder", mirror=True, lift=2),  # engine
        Part(
            body_outline(slice_profile(NACELLE, -21, -16.5), 15),
            "cowl",
            "cylinder",
            mirror=True,
            lift=2,
        ),  # cowling ring
        # spinner
        Part(ellipse_points(15, -21, 1.8, 2.2), "metal", "cylinder", mirror=True, lift=2),
        Part(body_outline(AVENGER_BODY), "body", "cylinder", lift=2),  # fuselage
        Part(ellipse_points(0, -30.5, 4.0, 4.3), "glass", "glass", lift=2),  # glazed nose
        Part(ellipse_points(0, -19, 3.2, 4.6), "glass", "glass", lift=3),  # cockpit
        Part(ellipse_points(0, 4, 2.6, 2.6), "glass", "glass", lift=4),  # turret
        Part(((16, 22), (18.5, 22), (18.5, 34.5), (16, 34.5)), "trim", mirror=True, lift=5),  # fins
    ),
    roundels=(Roundel(27, -1.8, 3.0, ("white", "mark")),),
    panel_lines=(((7, 3.6), (33, 0.6)),),
    propellers=((15, -22.5, 9),),
)

LIVERIES: dict[str, Livery] = {
    "eagle": {
        "body": (222, 229, 240),
        "wing": (58, 110, 200),
        "trim": (30, 60, 135),
        "glass": (34, 44, 62),
        "metal": (120, 128, 142),
        "white": (244, 246, 250),
    },
    "eagle_p2": {
        "body": (238, 214, 92),
        "wing": (62, 146, 70),
        "trim": (28, 92, 40),
        "glass": (34, 44, 62),
        "metal": (120, 128, 142),
        "white": (250, 246, 226),
    },
    "raptor": {
        "body": (152, 156, 164),
        "wing": (122, 127, 138),
        "trim": (200, 38, 42),
        "glass": (44, 38, 46),
        "metal": (90, 94, 102),
        "white": (236, 236, 236),
    },
    "avenger": {
        "body": (98, 106, 60),
        "wing": (86, 94, 54),
        "accent": (110, 112, 66),
        "trim": (72, 58, 40),
        "glass": (120, 152, 170),
        "metal": (92, 92, 96),
        "white": (226, 220, 196),
        "mark": (150, 40, 30),
        "cowl": (62, 64, 54),
    },
}

MISSILE = Airframe(
    12,
    32,
    parts=(
        Part(((1.5, 4), (5.5, 9.5), (5.5, 11.5), (1.5, 9)), "trim", mirror=True),  # tail fins
        Part(((1.5, -7), (3.5, -5), (3.5, -3), (1.5, -4)), "trim", mirror=True),  # canards
        Part(
            body_outline(((-15, 0.0), (-13, 1.4), (-11, 2.0), (11, 2.0), (12, 1.5))),
            "body",
            "cylinder",
        ),
        Part(body_outline(((-15, 0.0), (-13, 1.4), (-11, 2.0), (-10, 2.0))), "tip", "cylinder"),
    ),
    exhausts=((0, 13.5, 7),),
)
MISSILE_LIVERY: Livery = {"body": (236, 238, 240), "tip": (214, 40, 40), "trim": (96, 100, 110)}


# --------------------------------------------------------------------------- projectiles


def tracer(colours: Sequence[Sequence[int]], head_up: bool) -> pygame.Surface:
    """An 8x16 glowing tracer round: layered ellipses fading towards the tail."""
    scale = 4
    big = new_surface(8 * scale, 16 * scale, (*colours[0][:3], 0))
    rects = ((0, 0, 8, 16), (1.25, 1, 5.5, 14), (2, 1.5, 4, 13), (3, 2.5, 2, 10))
    for colour, rect in zip(colours, rects, strict=True):
        pygame.draw.ellipse(big, colour, [round(v * scale) for v in rect])
    fade = new_surface(8 * scale, 16 * scale)
    for y in range(16 * scale):
        t = y / (16 * scale - 1)
        alpha = 255 * (1.0 - 0.6 * (t if head_up else 1 - t))
        pygame.draw.line(fade, (255, 255, 255, clamp8(alpha)), (0, y), (8 * scale, y))
    big.blit(fade, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
    return downsample(big, 8, 16)


def make_bullet_allied() -> pygame.Surface:
    """Bright yellow tracer, head up."""
    return tracer(
        ((255, 200, 40, 110), (255, 222, 60, 255), (255, 248, 150, 255), (255, 255, 245, 255)),
        head_up=True,
    )


def make_bullet_enemy() -> pygame.Surface:
    """Red/orange tracer, head down."""
    return tracer(
        ((235, 40, 20, 120), (250, 70, 30, 255), (255, 150, 60, 255), (255, 235, 190, 255)),
        head_up=False,
    )


def make_missile() -> pygame.Surface:
    """A 12x32 white missile with red tip, fins and a small exhaust flame (nose up)."""
    return render_aircraft(MISSILE, MISSILE_LIVERY, View(12, 32))


# --------------------------------------------------------------------------- pickups

PICKUP_SCALE = 4


def sphere_badge(colour: RGB) -> pygame.Surface:
    """A glossy round badge (supersampled) in the given colour."""
    s = PICKUP_SCALE
    size = 32 * s
    surf = new_surface(size, size, (*shade(colour, 0.3), 0))
    centre, light = (size / 2, size / 2), (size * 0.38, size * 0.34)
    pygame.draw.circle(surf, shade(colour, 0.3), centre, 15.5 * s)
    radius = 14.5 * s
    steps = 40
    for i in range(steps):
        t = i / steps
        c = (centre[0] + (light[0] - centre[0]) * t, centre[1] + (light[1] - centre[1]) * t)
        pygame.draw.circle(surf, shade(colour, 0.62 + 0.75 * t), c, radius * (1 - 0.8 * t))
    pygame.draw.circle(surf, (*shade(colour, 1.45), 255), centre, 12.5 * s, width=s)
    return surf


def glossy_highlight(surf: pygame.Surface) -> None:
    """A soft white reflection across the top-left of a badge."""
    s = PICKUP_SCALE
    gloss = new_surface(*surf.get_size())
    pygame.draw.ellipse(gloss, (255, 255, 255, 60), (7 * s, 4 * s, 15 * s, 8 * s))
    surf.blit(gloss, (0, 0))


WHITE = (255, 255, 250)


def icon_cross(surf: pygame.Surface) -> None:
    """Medical cross."""
    s = PICKUP_SCALE
    pygame.draw.rect(surf, WHITE, (13 * s, 7 * s, 6 * s, 18 * s), border_radius=s)
    pygame.draw.rect(surf, WHITE, (7 * s, 13 * s, 18 * s, 6 * s), border_radius=s)


def icon_missile(surf: pygame.Surface) -> None:
    """A red-nosed missile with a flame, flying diagonally up-right."""
    s = PICKUP_SCALE
    m = new_surface(12 * s, 30 * s)
    pygame.draw.circle(m, (255, 170, 40), (6 * s, 25 * s), 2.6 * s)
    pygame.draw.polygon(m, (255, 230, 120), [(4 * s, 23 * s), (8 * s, 23 * s), (6 * s, 30 * s)])
    pygame.draw.rect(m, WHITE, (4 * s, 4 * s, 4 * s, 19 * s))
    for sign in (1, -1):
        fin = [
            (6 * s + sign * 2 * s, 16 * s),
            (6 * s + sign * 5.5 * s, 21 * s),
            (6 * s + sign * 5.5 * s, 24 * s),
            (6 * s + sign * 2 * s, 22 * s),
        ]
        pygame.draw.polygon(m, WHITE, fin)
    pygame.draw.polygon(m, (235, 50, 50), [(6 * s, 0), (8 * s, 4.5 * s), (4 * s, 4.5 * s)])
    pygame.draw.rect(m, (235, 50, 50), (4 * s, 4 * s, 4 * s, 2 * s))
    rotated = pygame.transform.rotate(m, -42)
    surf.blit(rotated, rotated.get_rect(center=(16 * s, 16 * s)))


def icon_spread(surf: pygame.Surface) -> None:
    """Three arrows fanning out from one point."""
    s = PICKUP_SCALE
    base = (16 * s, 25 * s)
    for angle in (-42, 0, 42):
        a = math.radians(angle)
        dx, dy = math.sin(a), -math.cos(a)
        length = 17 if angle == 0 else 14
        tip = (base[0] + dx * length * s, base[1] + dy * length * s)
        neck = (base[0] + dx * (length - 5) * s, base[1] + dy * (length - 5) * s)
        pygame.draw.line(surf, WHITE, base, neck, int(2.4 * s))
        px, py = -dy, dx
        head = [
            tip,
            (neck[0] + px * 3.4 * s, neck[1] + py * 3.4 * s),
            (neck[0] - px * 3.4 * s, neck[1] - py * 3.4 * s),
        ]
        pygame.draw.polygon(surf, WHITE, head)
    pygame.draw.circle(surf, WHITE, base, 2.4 * s)


def icon_bolt(surf: pygame.Surface) -> None:
    """A lightning bolt."""
    s = PICKUP_SCALE
    bolt = [(19, 4), (9, 18), (15, 18), (12, 28), (23, 13), (17, 13), (21, 4)]
    pygame.draw.polygon(surf, WHITE, [(x * s, y * s) for x, y in bolt])


def make_pickup(colour: RGB, icon: Callable[[pygame.Surface], None]) -> pygame.Surface:
    """A 32x32 pickup badge: shaded sphere, drop-shadowed icon, gloss."""
    s = PICKUP_SCALE
    surf = sphere_badge(colour)
    art = new_surface(32 * s, 32 * s)
    icon(art)
    surf.blit(silhouette(art, (0, 0, 0, 120)), (s, s + s // 2))
    surf.blit(art, (0, 0))
    glossy_highlight(surf)
    return downsample(surf, 32, 32)


# --------------------------------------------------------------------------- effects

FIRE_RAMP: Stops = (
    (0.00, (44, 42, 42)),
    (0.22, (92, 84, 80)),
    (0.36, (150, 44, 24)),
    (0.55, (240, 112, 24)),
    (0.75, (255, 205, 64)),
    (0.95, (255, 250, 225)),
)


@dataclass(frozen=True)
class Puff:
    """One blob of an explosion: where it flies, how big it grows, how hot it burns."""

    dx: float
    dy: float
    reach: float
    radius: float
    heat: float


def make_puffs(rng: random.Random, count: int) -> list[Puff]:
    """Randomly scattered fireball blobs."""
    puffs = []
    for _ in range(count):
        angle = rng.uniform(0, 2 * math.pi)
        puffs.append(
            Puff(
                math.cos(angle),
                math.sin(angle),
                rng.uniform(1.5, 12.5),
                rng.uniform(7.0, 12.5),
                rng.uniform(-0.45, 0.3),
            )
        )
    return puffs


@cache
def edge_fade(size: int) -> pygame.Surface:
    """White disc whose alpha falls to zero at the rim: multiply by it to avoid hard clipping."""
    return radial_sprite(
        size, ((0.0, (255, 255, 255, 255)), (0.78, (255, 255, 255, 255)), (1.0, (255, 255, 255, 0)))
    )


def explosion_frame(puffs: list[Puff], sparks: list[Puff], t: float) -> pygame.Surface:
    """One 64x64 explosion frame at time ``t`` in 0..1 (drawn at 2x, then shrunk)."""
    s = 2
    surf = new_surface(64 * s, 64 * s, (90, 70, 60, 0))
    grow = 1 - (1 - min(1.0, t / 0.35)) ** 3
    fade = 1.0 if t < 0.45 else max(0.0, (1 - t) / 0.55) ** 1.3
    blobs = []
    for p in puffs:
        dist = p.reach * (0.25 + 0.75 * grow + 0.25 * t)
        radius = p.radius * (0.35 + 0.65 * grow) * (1 + 0.45 * t)
        heat = 1.15 - 1.75 * t + p.heat - dist / 45
        blobs.append((heat, 32 + p.dx * dist + 3 * t, 32 + p.dy * dist - 2 * t, radius))
    for heat, x, y, radius in sorted(blobs):
        outer = (*ramp(FIRE_RAMP, heat), 0)
        inner = (*ramp(FIRE_RAMP, heat + 0.12), clamp8(235 * fade))
        soft_circle(surf, (x * s, y * s), radius * s, inner, outer, hardness=2.2)
    if t < 0.5:
        for p in sparks:
            d = p.reach * (0.5 + 2.0 * t)
            alpha = clamp8(255 * (1 - t / 0.5))
            soft_circle(
                surf,
                ((32 + p.dx * d) * s, (32 + p.dy * d) * s),
                2.2 * s,
                (255, 245, 190, alpha),
                (255, 150, 40, 0),
            )
    if t < 0.15:
        soft_circle(
            surf,
            (32 * s, 32 * s),
            (12 + 40 * t) * s,
            (255, 255, 240, clamp8(240 * (1 - t / 0.15))),
            (255, 220, 150, 0),
        )
    surf.blit(edge_fade(64 * s), (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
    return downsample(surf, 64, 64)


def make_explosion() -> pygame.Surface:
    """16 frames of 64x64: a fireball that blooms and fades into dark smoke."""
    rng = random.Random(4242)
    puffs = make_puffs(rng, 34)
    sparks = [Puff(p.dx, p.dy, rng.uniform(8, 11), 0, 0) for p in make_puffs(rng, 10)]
    sheet = new_surface(64 * 16, 64)
    for i in range(16):
        sheet.blit(explosion_frame(puffs, sparks, i / 15), (64 * i, 0))
    return sheet


def make_particle_smoke() -> pygame.Surface:
    """A 16x16 soft, lumpy grey puff lit from the top-left."""
    rng = random.Random(77)
    lumps = [(rng.uniform(5, 11), rng.uniform(5, 11), rng.uniform(3.0, 4.5)) for _ in range(5)]
    data = bytearray()
    for y in range(16):
        for x in range(16):
            density = sum(
                math.exp(-((x + 0.5 - lx) ** 2 + (y + 0.5 - ly) ** 2) / (r * r))
                for lx, ly, r in lumps
            )
            edge = max(0.0, 1 - math.hypot(x - 7.5, y - 7.5) / 8)
            grey = 118 + 80 * max(0.0, 1 - (x + y) / 24)
            alpha = clamp8(240 * min(1.0, density * 1.1) * edge**0.4)
            data += bytes((clamp8(grey), clamp8(grey), clamp8(grey + 6), alpha))
    return from_rgba(data, 16, 16)


def make_particle_fire() -> pygame.Surface:
    """An 8x8 soft orange glow."""
    return radial_sprite(
        8, ((0.0, (255, 245, 190, 255)), (0.45, (255, 160, 40, 200)), (1.0, (240, 70, 10, 0)))
    )


# --------------------------------------------------------------------------- environment

SEA_RAMP: Stops = (
    (0.0, (12, 48, 92)),
    (0.45, (20, 74, 126)),
    (0.8, (30, 100, 152)),
    (1.0, (44, 120, 170)),
)


def wrapped_blit(target: pygame.Surface, art: pygame.Surface, pos: tuple[int, int]) -> None:
    """Blit so that anything crossing an edge reappears on the opposite edge."""
    w, h = target.get_size()
    for ox in (-w, 0, w):
        for oy in (-h, 0, h):
            target.blit(art, (pos[0] + ox, pos[1] + oy))


def flatten_lanes(field: list[list[float]]) -> list[list[float]]:
    """Remove row and column bias so a repeated tile shows no stripes or lanes."""
    h, w = len(field), len(field[0])
    mean = sum(map(sum, field)) / (w * h)
    cols = [sum(row[x] for row in field) / h - mean for x in range(w)]
    out = []
    for row in field:
        bias = sum(row) / w - mean
        out.append([min(1.0, max(0.0, v - c - bias)) for v, c in zip(row, cols, strict=True)])
    return out


def sea_base(
    rng: random.Random,
    size: int,
    stops: Stops = SEA_RAMP,
    foam: RGB = (190, 222, 240),
    foaminess: float = 1.0,
) -> pygame.Surface:
    """Tileable water colour (``stops``) with long swells and streaky wave crests."""
    swell = flatten_lanes(fbm(rng, size, size, (6, 6), 4))
    chop = fbm(rng, size, size, (4, 16), 3)
    gusts = fbm(rng, size, size, (2, 3), 3)
    data = bytearray()
    for srow, crow, grow in zip(swell, chop, gusts, strict=True):
        for s, c, g in zip(srow, crow, grow, strict=True):
            ridge = 1 - abs(2 * c - 1)
            colour = ramp(stops, 0.8 * s + 0.2 * ridge)
            windy = min(1.0, max(0.0, (g - 0.4) / 0.35))
            crest = max(0.0, (ridge - 0.87) / 0.13) * (0.15 + 0.55 * windy) * (0.4 + 0.6 * s)
            crest *= foaminess
            data += bytes((*mix(colour, foam, crest), 255))
    return from_rgba(data, size, size)


def make_background() -> pygame.Surface:
    """256x256 seamlessly tiling sea with little wavelets and sun glints."""
    rng = random.Random(1001)
    size = 256
    surf = sea_base(rng, size)
    for _ in range(90):
        w = rng.randint(5, 14)
        arc = new_surface(w + 2, 6)
        alpha = rng.randint(50, 120)
        pygame.draw.arc(arc, (215, 235, 248, alpha), (1, 0, w, 8), 0.35, math.pi - 0.35)
        wrapped_blit(surf, arc, (rng.randrange(size), rng.randrange(size)))
    for _ in range(40):
        dot = new_surface(2, 1, (240, 250, 255, rng.randint(90, 200)))
        wrapped_blit(surf, dot, (rng.randrange(size), rng.randrange(size)))
    return surf


def island_height(rng: random.Random, size: int) -> list[list[float]]:
    """Height field: a lumpy elliptical mound that is below water at the canvas edges."""
    noise = fbm(rng, size, size, (3, 3), 5)
    c = size / 2
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            d = math.hypot((x - c) / 100, (y - c) / 84)
            row.append(1.0 - d + (noise[y][x] - 0.5) * 0.6)
        rows.append(row)
    return rows


def island_pixel(h: float, veg: float, light: float) -> tuple[int, ...]:
    """Colour of one island pixel from height, vegetation noise and slope lighting."""
    if h < 0.0:
        return (0, 0, 0, 0)
    if h < 0.1:
        t = h / 0.1
        colour = mix((40, 140, 165), (110, 210, 205), t)
        if h > 0.085:
            colour = (225, 240, 235)
        return (*colour, clamp8(190 * t**0.6))
    if h < 0.2:
        sand = shade((226, 206, 150), light)
        grass = shade((104, 156, 70), light)
        return (*mix(sand, grass, max(0.0, (h - 0.15) / 0.05)), 255)
    green = mix((96, 152, 64), (38, 98, 46), min(1.0, max(0.0, veg * 1.6 - 0.3)))
    if h > 0.55:
        rock = mix((122, 116, 92), (176, 168, 138), min(1.0, max(0.0, (h - 0.68) / 0.25)))
        green = mix(green, shade(rock, 0.9 + 0.25 * veg), min(1.0, (h - 0.55) / 0.12))
    return (*shade(green, light), 255)


def make_island() -> pygame.Surface:
    """256x256 island on transparency: shallows, beach, grassland, forest, rocky hill."""
    rng = random.Random(2024)
    size = 256
    height = island_height(rng, size)
    veg = fbm(rng, size, size, (6, 6), 3)
    data = bytearray()
    for y in range(size):
        for x in range(size):
            h = height[y][x]
            slope = (
                height[max(0, y - 1)][max(0, x - 1)]
                - height[min(size - 1, y + 1)][min(size - 1, x + 1)]
            )
            light = max(0.7, min(1.35, 1.0 + slope * 12))
            data += bytes(island_pixel(h, veg[y][x], light))
    surf = from_rgba(data, size, size)
    draw_trees(surf, rng, height)
    return surf


def draw_trees(
    surf: pygame.Surface, rng: random.Random, height: list[list[float]], most: int = 170
) -> None:
    """Scatter round tree crowns (with shadows) over the grassy parts of an island or shore
    (at most `most` of them, from 700 tries)."""
    rows, columns = len(height), len(height[0])
    trees = []
    for _ in range(700):
        x, y = rng.randrange(columns), rng.randrange(rows)
        if 0.26 < height[y][x] < 0.6 and len(trees) < most:
            trees.append((x, y, rng.uniform(1.8, 3.6)))
    trees.sort(key=lambda tree: tree[1])
    shadow = new_surface(columns, rows)
    for x, y, r in trees:
        pygame.draw.circle(shadow, (10, 40, 20, 110), (x + 1.5, y + 1.5), r)
    surf.blit(shadow, (0, 0))
    for x, y, r in trees:
        pygame.draw.circle(surf, (30, 82, 38), (x, y), r)
        pygame.draw.circle(surf, (62, 128, 56), (x - r * 0.3, y - r * 0.3), r * 0.6)
        surf.set_at((int(x - r * 0.4), int(y - r * 0.4)), (120, 176, 90))


def make_finish_line() -> pygame.Surface:
    """1024x32 black/white chequered band, slightly see-through."""
    surf = new_surface(1024, 32)
    for row in range(2):
        for col in range(64):
            dark = (row + col) % 2 == 0
            colour = (22, 22, 26, 215) if dark else (242, 242, 238, 215)
            pygame.draw.rect(surf, colour, (col * 16, row * 16, 16, 16))
    pygame.draw.line(surf, (255, 255, 255, 140), (0, 0), (1023, 0))
    pygame.draw.line(surf, (0, 0, 0, 140), (0, 31), (1023, 31))
    return surf


# --------------------------------------------------------------------------- mission looks

SHALLOWS_RAMP: Stops = (
    (0.0, (22, 110, 138)),
    (0.5, (40, 146, 160)),
    (0.85, (70, 176, 176)),
    (1.0, (104, 198, 186)),
)
NIGHT_RAMP: Stops = (
    (0.0, (4, 8, 20)),
    (0.5, (8, 16, 34)),
    (0.85, (14, 26, 50)),
    (1.0, (24, 40, 66)),
)


def make_shallows() -> pygame.Surface:
    """256x256 tiling coastal water: turquoise shallows over sand, with a little surf."""
    rng = random.Random(3003)
    size = 256
    surf = sea_base(rng, size, SHALLOWS_RAMP, foam=(226, 244, 238), foaminess=0.8)
    sand = fbm(rng, size, size, (3, 3), 3)  # sandbanks showing through the water
    tint = new_surface(size, size)
    for y in range(size):
        for x in range(size):
            bank = max(0.0, (sand[y][x] - 0.62) / 0.38)
            if bank:
                tint.set_at((x, y), (206, 204, 160, int(90 * bank)))
    surf.blit(tint, (0, 0))
    return surf


def make_shore() -> pygame.Surface:
    """288x512 strip of coast for the left side, tiling vertically (tall, so its bays do
    not repeat on one screen): forest and fields inland, a beach, surf, and shallows fading
    out to the right."""
    rng = random.Random(3030)
    width, height = 288, 512
    noise = fbm(rng, width, height, (3, 8), 5)
    veg = fbm(rng, width, height, (6, 12), 3)
    field = [
        [1.15 - 1.45 * x / width + (noise[y][x] - 0.5) * 0.5 for x in range(width)]
        for y in range(height)
    ]
    data = bytearray()
    for y in range(height):
        for x in range(width):
            h = field[y][x]
            slope = (
                field[(y - 1) % height][max(0, x - 1)]
                - field[(y + 1) % height][min(width - 1, x + 1)]
            )
            light = max(0.7, min(1.35, 1.0 + slope * 12))
            data += bytes(island_pixel(min(h, 0.5), veg[y][x], light))
    surf = from_rgba(data, width, height)
    draw_trees(surf, rng, [[min(h, 0.5) for h in row] for row in field], most=340)
    return surf


def make_rocks() -> pygame.Surface:
    """128x128 rocky islet on transparency: grey stone, surf around it, no trees."""
    rng = random.Random(3300)
    size = 128
    noise = fbm(rng, size, size, (3, 3), 5)
    c = size / 2
    field = [
        [
            1.0 - math.hypot((x - c) / 44, (y - c) / 36) + (noise[y][x] - 0.5) * 0.7
            for x in range(size)
        ]
        for y in range(size)
    ]
    data = bytearray()
    for y in range(size):
        for x in range(size):
            h = field[y][x]
            if h < 0.0:
                data += bytes((0, 0, 0, 0))
                continue
            if h < 0.12:
                t = h / 0.12
                colour = mix((60, 150, 168), (230, 244, 240), t**2)
                data += bytes((*colour, clamp8(200 * t**0.5)))
                continue
            slope = (
                field[max(0, y - 1)][max(0, x - 1)]
                - field[min(size - 1, y + 1)][min(size - 1, x + 1)]
            )
            light = max(0.6, min(1.4, 1.0 + slope * 10))
            stone = mix((92, 90, 86), (170, 164, 150), min(1.0, (h - 0.12) / 0.6))
            data += bytes((*shade(stone, light), 255))
    return from_rgba(data, size, size)


def make_night_sea() -> pygame.Surface:
    """256x256 tiling sea at night: near-black swells, a few cold crests and moon glints."""
    rng = random.Random(4004)
    size = 256
    surf = sea_base(rng, size, NIGHT_RAMP, foam=(96, 116, 150), foaminess=0.5)
    for _ in range(26):
        dot = new_surface(rng.choice((1, 2, 3)), 1, (200, 214, 240, rng.randint(60, 170)))
        wrapped_blit(surf, dot, (rng.randrange(size), rng.randrange(size)))
    return surf


def make_storm_cloud() -> pygame.Surface:
    """384x240 ragged storm cloud, dark and see-through, lit from one side."""
    rng = random.Random(4440)
    width, height = 384, 240
    surf = new_surface(width, height, (70, 76, 96, 0))
    for _ in range(60):
        u = rng.random()
        hump = (1 - abs(2 * u - 1)) ** 0.7
        r = rng.uniform(26, 60) * (0.5 + 0.5 * hump)
        x = 30 + u * (width - 60)
        y = height / 2 + rng.uniform(-40, 40) * hump
        soft_circle(surf, (x, y), r, (96, 102, 124, 165), (70, 76, 96, 0), hardness=1.6)
    for _ in range(18):
        x, y = rng.uniform(60, width - 60), rng.uniform(60, height - 80)
        soft_circle(surf, (x, y), rng.uniform(10, 26), (176, 184, 206, 80), (96, 102, 124, 0))
    return soften(surf, 2)


# --------------------------------------------------------------------------- title screen

TITLE_W, TITLE_H, HORIZON = 1024, 768, 520
SUN = (792, 505)


def title_sky() -> pygame.Surface:
    """Sky gradient above the horizon and dark sea below it."""
    sky = vertical_gradient(
        TITLE_W,
        HORIZON,
        (
            (0.0, (16, 30, 72)),
            (0.5, (48, 96, 168)),
            (0.82, (132, 168, 210)),
            (1.0, (250, 206, 160)),
        ),
    )
    sea = vertical_gradient(
        TITLE_W,
        TITLE_H - HORIZON,
        (
            (0.0, (92, 112, 140)),
            (0.12, (40, 74, 112)),
            (1.0, (8, 26, 54)),
        ),
    )
    surf = new_surface(TITLE_W, TITLE_H)
    surf.blit(sky, (0, 0))
    surf.blit(sea, (0, HORIZON))
    return surf


def sun_glow() -> pygame.Surface:
    """Warm additive glow round the low sun and its reflection, computed small, scaled up."""
    w, h = TITLE_W // 8, TITLE_H // 8
    data = bytearray()
    for y in range(h):
        for x in range(w):
            px, py = x * 8, y * 8
            d = math.hypot(px - SUN[0], (py - SUN[1]) * 1.6) / 520
            k = max(0.0, 1 - d) ** 2.4 + max(0.0, 1 - d * 9) ** 2 * 0.4
            if py > HORIZON:
                depth = (py - HORIZON) / (TITLE_H - HORIZON)
                spread = 30 + 140 * depth
                k += 0.45 * math.exp(-(((px - SUN[0]) / spread) ** 2)) * (1 - depth) ** 1.5
            data += bytes((clamp8(220 * k), clamp8(150 * k), clamp8(80 * k), 255))
    return pygame.transform.smoothscale(from_rgba(data, w, h), (TITLE_W, TITLE_H))


def sea_swell(surf: pygame.Surface, rng: random.Random) -> None:
    """Long soft wave bands that widen towards the viewer."""
    layer = new_surface(TITLE_W, TITLE_H)
    for _ in range(900):
        depth = rng.random() ** 1.7
        y = HORIZON + 3 + depth * (TITLE_H - HORIZON - 3)
        length = 8 + depth * 110 * rng.uniform(0.4, 1.0)
        thick = 1 + int(depth * 3)
        colour = (4, 14, 34, 60) if rng.random() < 0.6 else (150, 180, 214, 26)
        pygame.draw.ellipse(layer, colour, (rng.uniform(-40, TITLE_W), y, length, thick))
    surf.blit(layer, (0, 0))


def sea_glitter(surf: pygame.Surface, rng: random.Random) -> None:
    """Sparkling reflection of the sun on the water below it."""
    for _ in range(650):
        depth = rng.random() ** 1.8
        y = HORIZON + 2 + depth * (TITLE_H - HORIZON - 2)
        spread = 24 + depth * 220
        x = SUN[0] + rng.gauss(0, 1) * spread * 0.5
        length = 1 + depth * 16 * rng.random()
        fall = math.exp(-(((x - SUN[0]) / spread) ** 2))
        alpha = clamp8((210 * (1 - depth) + 40) * rng.uniform(0.2, 1.0) * (0.3 + 0.7 * fall))
        line = new_surface(int(length) + 1, 1, (255, 224, 168, alpha))
        surf.blit(line, (x - length / 2, y), special_flags=pygame.BLEND_RGB_ADD)


DUSK_CLOUD = ((122, 112, 146), (220, 172, 168), (255, 222, 184))
DAY_CLOUD = ((86, 100, 136), (172, 186, 212), (238, 242, 252))


def cumulus(
    rng: random.Random, width: int, height: int, palette: Sequence[RGB], light_dx: float
) -> pygame.Surface:
    """A flat-bottomed cauliflower cloud: shadow, body and sunlit passes of round blobs."""
    surf = new_surface(width, height + 8, (*palette[0], 0))
    blobs = []
    for _ in range(max(12, width // 12)):
        u = rng.random()
        hump = (1 - abs(2 * u - 1)) ** 0.6
        r = height * rng.uniform(0.2, 0.34) * (0.45 + 0.55 * hump)
        y = min(height - r * 0.35, height - hump * height * rng.uniform(0.55, 0.95) + r)
        blobs.append(((0.06 + 0.88 * u) * width, y, r))
    passes = ((0.0, 0.0, 1.0), (0.14, -0.16, 0.84), (0.28, -0.34, 0.56))
    for colour, (dx, dy, k) in zip(palette, passes, strict=True):
        for x, y, r in blobs:
            pygame.draw.circle(surf, colour, (x + dx * light_dx * r, y + dy * r), r * k)
    surf.fill((*palette[0], 0), (0, height, width, 8))
    return surf


def wisp(rng: random.Random, width: int, colour: RGB) -> pygame.Surface:
    """A thin, ragged streak of high cloud."""
    surf = new_surface(width + 8, 40, (*colour, 0))
    for _ in range(9):
        w = width * rng.uniform(0.25, 0.7)
        x = rng.uniform(0, width - w)
        thick = rng.uniform(3, 9)
        pygame.draw.ellipse(
            surf, (*colour, rng.randint(18, 40)), (x, 20 + rng.uniform(-8, 8) - thick / 2, w, thick)
        )
    return surf


def soften(surf: pygame.Surface, factor: int) -> pygame.Surface:
    """Cheap blur: shrink by ``factor`` and smoothly scale back up."""
    w, h = surf.get_size()
    small = pygame.transform.smoothscale(surf, (w // factor, h // factor))
    return pygame.transform.smoothscale(small, (w, h))


def title_clouds(rng: random.Random) -> pygame.Surface:
    """Cloud banks on the horizon, high wisps and big foreground clouds in the corners."""
    layer = new_surface(TITLE_W, TITLE_H, (170, 160, 180, 0))
    for x, cw, ch in (
        (-40, 300, 110),
        (190, 190, 64),
        (430, 150, 44),
        (560, 210, 80),
        (780, 120, 40),
        (880, 190, 70),
    ):
        light = 1.0 if x + cw / 2 < SUN[0] else -1.0
        layer.blit(cumulus(rng, cw, ch, DUSK_CLOUD, light), (x, HORIZON - ch + 6))
    for x, y, cw in ((30, 50, 260), (110, 92, 180), (720, 40, 250), (690, 84, 200), (20, 170, 150)):
        layer.blit(wisp(rng, cw, (255, 222, 214)), (x, y))
    for x, y, cw, ch in ((-90, 610, 460, 170), (690, 640, 440, 140)):
        layer.blit(cumulus(rng, cw, ch, DAY_CLOUD, 1.0), (x, y))
    return soften(layer, 3)


def aircraft_silhouette(
    frame: Airframe, livery: Livery, size: int, angle: float, colour: RGBA, nose_down: bool = False
) -> pygame.Surface:
    """A dark planform silhouette of an aircraft, scaled and rotated for the title art."""
    view = View(frame.width, frame.height, 0, nose_down)
    shape = silhouette(render_aircraft(frame, livery, view), colour)
    shape = pygame.transform.smoothscale(shape, (size, size))
    return pygame.transform.rotozoom(shape, angle, 1.0)


def title_aircraft(surf: pygame.Surface) -> None:
    """A formation of Eagles climbing right and a distant enemy bomber on the left."""
    dark = (22, 30, 52, 235)
    eagle = LIVERIES["eagle"]
    for x, y, size in ((830, 300, 120), (915, 372, 96), (742, 382, 96)):
        plane = aircraft_silhouette(EAGLE, eagle, size, -18, dark)
        surf.blit(plane, plane.get_rect(center=(x, y)))
    far = (64, 78, 116, 200)
    for x, y, size in ((150, 352, 64), (96, 398, 52)):
        plane = aircraft_silhouette(AVENGER, LIVERIES["avenger"], size, 20, far, nose_down=True)
        surf.blit(plane, plane.get_rect(center=(x, y)))


def vignette() -> pygame.Surface:
    """Darkened corners, used as a multiply layer."""
    w, h = 64, 48
    data = bytearray()
    for y in range(h):
        for x in range(w):
            d = math.hypot((x - w / 2 + 0.5) / (w / 2), (y - h / 2 + 0.5) / (h / 2))
            v = clamp8(255 * (1 - 0.38 * max(0.0, d - 0.55) ** 1.5))
            data += bytes((v, v, v, 255))
    return pygame.transform.smoothscale(from_rgba(data, w, h), (TITLE_W, TITLE_H))


def make_title() -> pygame.Surface:
    """1024x768 title art: dusk sky over the sea, clouds, Eagles in formation."""
    rng = random.Random(31337)
    surf = title_sky()
    sea_swell(surf, rng)
    surf.blit(sun_glow(), (0, 0), special_flags=pygame.BLEND_RGB_ADD)
    sea_glitter(surf, rng)
    title_aircraft(surf)
    surf.blit(title_clouds(rng), (0, 0))
    surf.blit(vignette(), (0, 0), special_flags=pygame.BLEND_RGB_MULT)
    return surf


# --------------------------------------------------------------------------- ui


def make_icon() -> pygame.Surface:
    """32x32 window icon: an Eagle on a rounded sky-blue tile."""
    s = 4
    tile = rounded_gradient(32 * s, 32 * s, 7 * s, ((0.0, (96, 160, 224)), (1.0, (22, 56, 120))))
    pygame.draw.rect(tile, OUTLINE, tile.get_rect(), width=s, border_radius=7 * s)
    icon = downsample(tile, 32, 32)
    plane = render_aircraft(EAGLE, LIVERIES["eagle"], View(64, 64))
    plane = pygame.transform.smoothscale(plane, (28, 28))
    icon.blit(plane, (2, 2))
    return icon


def make_button(hover: bool) -> pygame.Surface:
    """320x56 rounded, bevelled button; ``hover`` gives a brighter, gold-rimmed variant."""
    s = 2
    w, h, r = 320 * s, 56 * s, 14 * s
    rim = (255, 206, 84) if hover else (14, 22, 40)
    top, bottom = ((104, 156, 222), (40, 80, 150)) if hover else ((66, 104, 164), (24, 46, 90))
    surf = new_surface(w, h, (*rim, 0))
    pygame.draw.rect(surf, rim, surf.get_rect(), border_radius=r)
    inset = 3 * s
    body = rounded_gradient(
        w - 2 * inset,
        h - 2 * inset,
        r - inset,
        ((0.0, shade(top, 1.25)), (0.12, top), (0.88, bottom), (1.0, shade(bottom, 0.7))),
    )
    surf.blit(body, (inset, inset))
    gloss = rounded_gradient(
        w - 4 * inset,
        (h - 2 * inset) // 2,
        r - 2 * inset,
        ((0.0, (255, 255, 255)), (1.0, (255, 255, 255))),
    )
    gloss.fill((255, 255, 255, 34 if hover else 22), special_flags=pygame.BLEND_RGBA_MULT)
    surf.blit(gloss, (2 * inset, inset + s))
    return downsample(surf, 320, 56)


# --------------------------------------------------------------------------- audio helpers

RATE = 22050
TABLE_SIZE = 4096


@cache
def wavetable(name: str) -> tuple[float, ...]:
    """One cycle of a band-limited waveform: sine, triangle, saw or square."""
    harmonics = {
        "sine": [(1, 1.0)],
        "triangle": [(n, (-1) ** ((n - 1) // 2) / n**2) for n in (1, 3, 5, 7, 9)],
        "saw": [(n, 1 / n) for n in range(1, 16)],
        "square": [(n, 1 / n) for n in range(1, 16, 2)],
    }[name]
    table = [
        sum(a * math.sin(2 * math.pi * n * i / TABLE_SIZE) for n, a in harmonics)
        for i in range(TABLE_SIZE)
    ]
    peak = max(abs(v) for v in table)
    return tuple(v / peak for v in table)


def seconds(duration: float) -> int:
    """Number of samples in ``duration`` seconds."""
    return round(duration * RATE)


def osc(name: str, freq: float, n: int) -> list[float]:
    """A steady tone from a wavetable."""
    table = wavetable(name)
    step = freq * TABLE_SIZE / RATE
    return [table[int(i * step) % TABLE_SIZE] for i in range(n)]


def osc_sweep(name: str, freqs: Sequence[float]) -> list[float]:
    """A tone whose frequency follows ``freqs`` sample by sample."""
    table = wavetable(name)
    k = TABLE_SIZE / RATE
    return [table[int(p) % TABLE_SIZE] for p in accumulate(f * k for f in freqs)]


def glide(f0: float, f1: float, n: int) -> list[float]:
    """Exponential frequency glide from ``f0`` to ``f1`` over ``n`` samples."""
    ratio = (f1 / f0) ** (1 / max(1, n - 1))
    return list(accumulate(repeat(ratio, n - 1), operator.mul, initial=f0))


def decay(n: int, tau: float) -> list[float]:
    """Exponential decay envelope with time constant ``tau`` seconds."""
    k = math.exp(-1 / (tau * RATE))
    return list(accumulate(repeat(k, n - 1), operator.mul, initial=1.0))


def adsr(n: int, attack: float, release: float, sustain: float = 1.0) -> list[float]:
    """Linear attack, sustain level, linear release, fitted into ``n`` samples."""
    a = min(seconds(attack), n // 2)
    r = min(seconds(release), n - a)
    hold = n - a - r
    return (
        [i / max(1, a) for i in range(a)]
        + [sustain] * hold
        + [sustain * (1 - i / max(1, r)) for i in range(r)]
    )


def times(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """Sample-wise product."""
    return [x * y for x, y in zip(a, b, strict=False)]


def plus(*signals: Sequence[float]) -> list[float]:
    """Sample-wise sum (as long as the longest input)."""
    out = [0.0] * max(len(s) for s in signals)
    for s in signals:
        out[: len(s)] = [a + b for a, b in zip(out, s, strict=False)]
    return out


def scaled(signal: Sequence[float], gain: float) -> list[float]:
    """Multiply a signal by a constant."""
    return [x * gain for x in signal]


def noise(rng: random.Random, n: int) -> list[float]:
    """White noise in -1..1."""
    r = rng.random
    return [2 * r() - 1 for _ in range(n)]


def lowpass(signal: Sequence[float], cutoff: float | Sequence[float]) -> list[float]:
    """One-pole low-pass filter; ``cutoff`` in Hz may be a constant or per-sample list."""
    cutoffs = repeat(cutoff) if isinstance(cutoff, int | float) else cutoff
    out, y = [], 0.0
    for x, fc in zip(signal, cutoffs, strict=False):
        y += (1 - math.exp(-2 * math.pi * fc / RATE)) * (x - y)
        out.append(y)
    return out


def lowpass_fixed(signal: Sequence[float], cutoff: float) -> list[float]:
    """Faster one-pole low-pass for a constant cutoff."""
    a = 1 - math.exp(-2 * math.pi * cutoff / RATE)
    out, y = [], 0.0
    for x in signal:
        y += a * (x - y)
        out.append(y)
    return out


def highpass(signal: Sequence[float], cutoff: float) -> list[float]:
    """One-pole high-pass filter (signal minus its low-passed copy)."""
    return [x - y for x, y in zip(signal, lowpass_fixed(signal, cutoff), strict=True)]


def line(a: float, b: float, n: int) -> list[float]:
    """Straight ramp from ``a`` to ``b``."""
    return [a + (b - a) * i / max(1, n - 1) for i in range(n)]


def fade_edges(
    samples: Sequence[float], fade_in: float = 0.001, fade_out: float = 0.008
) -> list[float]:
    """Short linear fades at both ends so a one-shot sound never starts or stops with a click."""
    out = list(samples)
    a, b = min(seconds(fade_in), len(out)), min(seconds(fade_out), len(out))
    for i in range(a):
        out[i] *= i / a
    for i in range(b):
        out[-1 - i] *= i / b
    return out


def write_wav(path: Path, samples: Sequence[float], peak: float = 0.9) -> None:
    """Normalise to ``peak`` and write mono 16-bit 22050 Hz PCM."""
    loudest = max(abs(s) for s in samples) or 1.0
    k = peak * 32767 / loudest
    data = array("h", (round(s * k) for s in samples))
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(data.tobytes())


# --------------------------------------------------------------------------- sound effects


def sfx_gunfire_allied() -> list[float]:
    """~0.12 s: a bright, punchy cannon crack."""
    n = seconds(0.12)
    rng = random.Random(11)
    crack = times(lowpass(noise(rng, n), line(7000, 1200, n)), decay(n, 0.022))
    thump = times(osc_sweep("square", glide(900, 160, n)), decay(n, 0.03))
    return plus(scaled(crack, 0.9), scaled(lowpass_fixed(thump, 3000), 0.6))


def sfx_gunfire_enemy() -> list[float]:
    """~0.15 s: a lower, duller burst."""
    n = seconds(0.15)
    rng = random.Random(12)
    crack = times(lowpass(noise(rng, n), line(2600, 500, n)), decay(n, 0.035))
    thump = times(osc_sweep("saw", glide(420, 80, n)), decay(n, 0.045))
    return plus(scaled(crack, 1.0), scaled(lowpass_fixed(thump, 1400), 0.7))


def rumble(n: int, f0: float, f1: float, tau: float) -> list[float]:
    """A deep falling sine for the body of an explosion."""
    return times(osc_sweep("sine", glide(f0, f1, n)), decay(n, tau))


def sfx_explosion1() -> list[float]:
    """~0.9 s: noise blast whose brightness collapses, over a low rumble."""
    n = seconds(0.9)
    rng = random.Random(21)
    blast = lowpass(noise(rng, n), glide(3200, 140, n))
    body = times(lowpass_fixed(blast, 2000), times(adsr(n, 0.004, 0.3), decay(n, 0.28)))
    return plus(scaled(body, 3.0), scaled(rumble(n, 72, 34, 0.32), 0.6))


def crackles(rng: random.Random, n: int, count: int) -> list[float]:
    """Sparse short noise pops scattered over the first part of a sound."""
    out = [0.0] * n
    pop_len = seconds(0.018)
    for _ in range(count):
        start = int(rng.random() ** 1.5 * (n * 0.7))
        gain = rng.uniform(0.2, 0.7) * (1 - start / n)
        pop = times(noise(rng, pop_len), decay(pop_len, 0.004))
        end = min(n, start + pop_len)
        out[start:end] = [a + gain * b for a, b in zip(out[start:end], pop, strict=False)]
    return out


def sfx_explosion2() -> list[float]:
    """~1.2 s: sharp crack, crackling debris and a deeper, longer boom."""
    n = seconds(1.2)
    rng = random.Random(22)
    crack = times(highpass(noise(rng, n), 1500), decay(n, 0.02))
    boom = times(
        lowpass_fixed(lowpass_fixed(noise(rng, n), 500), 900),
        times(adsr(n, 0.01, 0.4), decay(n, 0.45)),
    )
    return plus(
        scaled(crack, 2.0),
        scaled(boom, 4.5),
        scaled(crackles(rng, n, 45), 2.0),
        scaled(rumble(n, 55, 26, 0.5), 0.7),
    )


def sfx_missile_launch() -> list[float]:
    """~0.7 s: ignition thump and a rising-then-falling rocket whoosh."""
    n = seconds(0.7)
    rng = random.Random(31)
    sweep = [700 + 3600 * math.sin(math.pi * min(1.0, i / (0.75 * n))) ** 1.5 for i in range(n)]
    hiss = noise(rng, n)
    band = [
        a - b
        for a, b in zip(lowpass(hiss, sweep), lowpass(hiss, [f / 4 for f in sweep]), strict=True)
    ]
    whoosh = times(band, adsr(n, 0.05, 0.35))
    thump = rumble(n, 140, 55, 0.05)
    return plus(scaled(whoosh, 1.5), scaled(thump, 0.7))


def bell(freq: float, n: int, tau: float) -> list[float]:
    """A soft bell tone: fundamental plus a quiet octave, quick attack, exponential decay."""
    tone = plus(
        osc("sine", freq, n),
        scaled(osc("sine", freq * 2, n), 0.3),
        scaled(osc("sine", freq * 3, n), 0.1),
    )
    return times(tone, times(adsr(n, 0.004, 0.02), decay(n, tau)))


def sfx_pickup() -> list[float]:
    """~0.3 s: a quick rising major arpeggio chime."""
    n = seconds(0.3)
    out = [0.0] * n
    for i, midi in enumerate((72, 76, 79, 84)):
        start = seconds(0.045 * i)
        note = bell(midi_freq(midi + 12), n - start, 0.09)
        out[start:] = [a + b for a, b in zip(out[start:], note, strict=True)]
    return out


def sfx_button() -> list[float]:
    """~0.08 s: a crisp UI click."""
    n = seconds(0.08)
    rng = random.Random(41)
    tick = times(noise(rng, n), decay(n, 0.003))
    ping = times(osc("sine", 1600, n), decay(n, 0.012))
    body = times(osc("triangle", 520, n), decay(n, 0.02))
    return plus(scaled(tick, 0.5), scaled(ping, 0.6), scaled(body, 0.5))


# --------------------------------------------------------------------------- music


def midi_freq(note: float) -> float:
    """Frequency of a MIDI note number."""
    return 440.0 * 2 ** ((note - 69) / 12)


def mix_into(buf: list[float], start: int, sound: Sequence[float], gain: float) -> None:
    """Add ``sound`` into a looping buffer; anything past the end wraps to the start."""
    n = len(buf)
    pos = 0
    start %= n
    while pos < len(sound):
        chunk = sound[pos : pos + n - start]
        end = start + len(chunk)
        buf[start:end] = [a + gain * b for a, b in zip(buf[start:end], chunk, strict=True)]
        pos += len(chunk)
        start = 0


def echo(buf: list[float], delay: int, taps: Sequence[float]) -> list[float]:
    """Looped multi-tap echo: each tap is the whole loop delayed again by ``delay``."""
    out = list(buf)
    for i, gain in enumerate(taps, start=1):
        d = (delay * i) % len(buf)
        shifted = buf[-d:] + buf[:-d] if d else buf
        out = [a + gain * b for a, b in zip(out, shifted, strict=True)]
    return out


@cache
def pluck(midi: int, n: int) -> tuple[float, ...]:
    """Karplus-Strong plucked string."""
    rng = random.Random(midi)
    period = max(2, round(RATE / midi_freq(midi)))
    ring = [rng.uniform(-1, 1) for _ in range(period)]
    out = []
    for i in range(n):
        j = i % period
        value = ring[j]
        ring[j] = 0.497 * (value + ring[(j + 1) % period])
        out.append(value)
    return tuple(times(out, adsr(n, 0.002, 0.05)))


@cache
def pad(midi: int, n: int) -> tuple[float, ...]:
    """Warm, slowly swelling chord voice: two slightly detuned triangles."""
    f = midi_freq(midi)
    tone = plus(osc("triangle", f * 0.998, n), osc("triangle", f * 1.003, n))
    return tuple(times(tone, adsr(n, 0.5, 0.7)))


@cache
def soft_bell(midi: int, n: int) -> tuple[float, ...]:
    """Menu melody voice."""
    return tuple(bell(midi_freq(midi), n, 0.5))


@cache
def sub_bass(midi: int, n: int) -> tuple[float, ...]:
    """Round, soft bass note."""
    f = midi_freq(midi)
    tone = plus(osc("sine", f, n), scaled(osc("triangle", f * 2, n), 0.2))
    return tuple(times(tone, adsr(n, 0.02, 0.3, 0.9)))


@cache
def lead(midi: int, n: int) -> tuple[float, ...]:
    """Mission lead: filtered square wave with delayed vibrato."""
    f = midi_freq(midi)
    vib_table = wavetable("sine")
    vib_step = 5.5 * TABLE_SIZE / RATE
    onset = seconds(0.15)
    freqs = [
        f * (1 + (0.006 if i > onset else 0.0) * vib_table[int(i * vib_step) % TABLE_SIZE])
        for i in range(n)
    ]
    tone = lowpass_fixed(osc_sweep("square", freqs), 2800)
    return tuple(times(tone, adsr(n, 0.01, 0.08, 0.85)))


@cache
def synth_bass(midi: int, n: int) -> tuple[float, ...]:
    """Mission bass: plucky low-passed saw."""
    tone = lowpass_fixed(osc("saw", midi_freq(midi), n), 700)
    return tuple(times(tone, times(decay(n, 0.22), adsr(n, 0.003, 0.03))))


@cache
def drum(kind: str) -> tuple[float, ...]:
    """Kick, snare, closed hat, open hat and crash, all from sines and noise."""
    rng = random.Random(len(kind) * 101 + ord(kind[0]))
    if kind == "kick":
        n = seconds(0.3)
        body = times(osc_sweep("sine", glide(160, 42, n)), decay(n, 0.11))
        click = times(noise(rng, n), decay(n, 0.003))
        return tuple(plus(body, scaled(click, 0.3)))
    if kind == "snare":
        n = seconds(0.22)
        rattle = times(highpass(noise(rng, n), 1200), decay(n, 0.06))
        tone = times(osc("triangle", 190, n), decay(n, 0.04))
        return tuple(plus(scaled(rattle, 0.9), scaled(tone, 0.6)))
    tau, length = {"hat": (0.018, 0.08), "open": (0.09, 0.3), "crash": (0.5, 1.6)}[kind]
    n = seconds(length)
    return tuple(times(highpass(noise(rng, n), 5000), decay(n, tau)))


@dataclass(frozen=True)
class Note:
    """One event in a song: when (beats), what (MIDI note or drum name), how long, how loud."""

    beat: float
    pitch: int | str
    beats: float
    gain: float


def render_song(
    bpm: float, beats: int, voices: dict[Callable, list[Note]], release: float = 0.0
) -> list[float]:
    """Mix note lists for each instrument into one seamless loop of ``beats`` beats."""
    per_beat = RATE * 60 / bpm
    buf = [0.0] * round(beats * per_beat)
    for instrument, notes in voices.items():
        for note in notes:
            n = round((note.beats + release) * per_beat)
            sound = drum(note.pitch) if instrument is drum else instrument(note.pitch, n)
            mix_into(buf, round(note.beat * per_beat), sound, note.gain)
    return buf


MENU_CHORDS = ((48, 55, 64, 71), (45, 52, 60, 67), (41, 57, 60, 64), (43, 55, 62, 71)) * 2
MENU_MELODY = (
    (0, 76, 1.5),
    (1.5, 79, 0.5),
    (2, 76, 1),
    (3, 74, 1),
    (4, 72, 2),
    (6, 69, 1),
    (7, 72, 1),
    (8, 69, 1),
    (9, 72, 1),
    (10, 77, 1.5),
    (11.5, 76, 0.5),
    (12, 74, 3),
    (15, 71, 1),
    (16, 76, 1.5),
    (17.5, 79, 0.5),
    (18, 84, 1),
    (19, 83, 1),
    (20, 81, 2),
    (22, 79, 1),
    (23, 76, 1),
    (24, 77, 1),
    (25, 76, 1),
    (26, 74, 1),
    (27, 72, 1),
    (28, 74, 2),
    (30, 71, 1),
    (31, 67, 1),
)


def music_menu() -> list[float]:
    """~21 s calm loop at 90 BPM: Cmaj7-Am7-Fmaj7-G pads, plucked arpeggio, bell melody."""
    pads, bass, arp = [], [], []
    for bar, chord in enumerate(MENU_CHORDS):
        start = bar * 4
        pads += [Note(start, m, 4, 0.16) for m in chord[1:]]
        bass += [Note(start, chord[0] - 12, 2, 0.5), Note(start + 2, chord[0] - 12, 2, 0.4)]
        order = (1, 2, 3, 2, 1, 2, 3, 2)
        arp += [Note(start + i / 2, chord[k] + 12, 1.5, 0.22) for i, k in enumerate(order)]
    melody = [Note(b, m, d, 0.42) for b, m, d in MENU_MELODY]
    mix = render_song(90, 32, {pad: pads, sub_bass: bass, pluck: arp}, release=0.8)
    tune = render_song(90, 32, {soft_bell: melody}, release=1.5)
    tune = echo(tune, seconds(0.75 * 60 / 90), (0.35, 0.15))
    return [a + b for a, b in zip(mix, tune, strict=True)]


AM, F, C, G, E = (57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62), (52, 56, 59)
MISSION_CHORDS = (AM, F, C, G, AM, F, G, E, F, G, AM, E)
MISSION_MELODY = (
    (0, 69, 1),
    (1, 72, 0.5),
    (1.5, 76, 0.5),
    (2, 81, 1),
    (3, 79, 1),
    (4, 77, 1.5),
    (5.5, 76, 0.5),
    (6, 72, 1),
    (7, 74, 1),
    (8, 76, 1),
    (9, 79, 0.5),
    (9.5, 76, 0.5),
    (10, 72, 1),
    (11, 67, 1),
    (12, 71, 1.5),
    (13.5, 74, 0.5),
    (14, 79, 2),
    (16, 81, 1),
    (17, 79, 0.5),
    (17.5, 76, 0.5),
    (18, 81, 1),
    (19, 84, 1),
    (20, 81, 1.5),
    (21.5, 77, 0.5),
    (22, 72, 1),
    (23, 77, 1),
    (24, 79, 1),
    (25, 74, 0.5),
    (25.5, 79, 0.5),
    (26, 83, 1),
    (27, 79, 1),
    (28, 80, 2),
    (30, 76, 1),
    (31, 71, 1),
    (32, 72, 1),
    (33, 77, 1),
    (34, 81, 1),
    (35, 77, 1),
    (36, 74, 1),
    (37, 79, 1),
    (38, 83, 1),
    (39, 79, 1),
    (40, 81, 3),
    (43, 76, 1),
    (44, 80, 1),
    (45, 76, 0.5),
    (45.5, 80, 0.5),
    (46, 83, 1),
    (47, 76, 1),
)


def mission_drums() -> list[Note]:
    """Rock beat: kick on 1 and 3 (plus a push), snare on 2 and 4, eighth-note hats, a fill."""
    notes = [Note(0, "crash", 4, 0.5)]
    for bar in range(12):
        b = bar * 4
        notes += [
            Note(b, "kick", 1, 1.0),
            Note(b + 2, "kick", 1, 1.0),
            Note(b + 2.5, "kick", 1, 0.7),
            Note(b + 1, "snare", 1, 0.8),
        ]
        notes += [Note(b + i / 2, "hat", 0.5, 0.25 if i % 2 else 0.35) for i in range(7)]
        notes.append(Note(b + 3.5, "open", 0.5, 0.3))
        if bar == 11:
            notes += [Note(b + 3 + i / 4, "snare", 0.25, 0.45 + 0.12 * i) for i in range(4)]
        else:
            notes.append(Note(b + 3, "snare", 1, 0.8))
    return notes


def music_mission() -> list[float]:
    """20 s driving loop at 144 BPM: drums, eighth-note bass, square lead with echo."""
    bass, pads = [], []
    for bar, chord in enumerate(MISSION_CHORDS):
        b = bar * 4
        pattern = (0, 0, 12, 0, 0, 12, 0, 7)
        bass += [Note(b + i / 2, chord[0] - 24 + k, 0.5, 0.55) for i, k in enumerate(pattern)]
        pads += [Note(b, m, 4, 0.07) for m in chord]
    melody = [Note(b, m, d, 0.3) for b, m, d in MISSION_MELODY]
    beat_mix = render_song(
        144, 48, {drum: mission_drums(), synth_bass: bass, pad: pads}, release=0.3
    )
    tune = render_song(144, 48, {lead: melody}, release=0.1)
    tune = echo(tune, seconds(0.75 * 60 / 144), (0.3, 0.12))
    return [a + b for a, b in zip(beat_mix, tune, strict=True)]


# --------------------------------------------------------------------------- registry

SPRITES: dict[str, Callable[[], pygame.Surface]] = {
    "eagle.png": lambda: aircraft_sheet(EAGLE, LIVERIES["eagle"], nose_down=False),
    "eagle_p2.png": lambda: aircraft_sheet(EAGLE, LIVERIES["eagle_p2"], nose_down=False),
    "raptor.png": lambda: aircraft_sheet(RAPTOR, LIVERIES["raptor"], nose_down=True),
    "avenger.png": lambda: aircraft_sheet(AVENGER, LIVERIES["avenger"], nose_down=True),
    "bullet_allied.png": make_bullet_allied,
    "bullet_enemy.png": make_bullet_enemy,
    "missile.png": make_missile,
    "pickup_health.png": lambda: make_pickup((212, 46, 56), icon_cross),
    "pickup_missiles.png": lambda: make_pickup((46, 104, 214), icon_missile),
    "pickup_spread.png": lambda: make_pickup((44, 160, 72), icon_spread),
    "pickup_firerate.png": lambda: make_pickup((236, 166, 20), icon_bolt),
    "explosion.png": make_explosion,
    "particle_smoke.png": make_particle_smoke,
    "particle_fire.png": make_particle_fire,
    "background.png": make_background,
    "island.png": make_island,
    "shallows.png": make_shallows,
    "shore.png": make_shore,
    "rocks.png": make_rocks,
    "night_sea.png": make_night_sea,
    "storm_cloud.png": make_storm_cloud,
    "finish_line.png": make_finish_line,
    "title.png": make_title,
    "icon.png": make_icon,
    "ui_button.png": lambda: make_button(hover=False),
    "ui_button_hover.png": lambda: make_button(hover=True),
}

# name -> (synthesiser, normalised peak, seamless loop?)
SOUNDS: dict[str, tuple[Callable[[], list[float]], float, bool]] = {
    "gunfire_allied.wav": (sfx_gunfire_allied, 0.85, False),
    "gunfire_enemy.wav": (sfx_gunfire_enemy, 0.8, False),
    "explosion1.wav": (sfx_explosion1, 0.95, False),
    "explosion2.wav": (sfx_explosion2, 0.95, False),
    "missile_launch.wav": (sfx_missile_launch, 0.85, False),
    "pickup.wav": (sfx_pickup, 0.8, False),
    "button.wav": (sfx_button, 0.7, False),
    "music_menu.wav": (music_menu, 0.75, True),
    "music_mission.wav": (music_mission, 0.8, True),
}


def generate_one(name: str, out_dir: Path) -> Path:
    """Generate the single asset called ``name`` (e.g. "eagle.png") under ``out_dir``."""
    if name in SPRITES:
        path = Path(out_dir) / "sprites" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(SPRITES[name](), str(path))
    elif name in SOUNDS:
        path = Path(out_dir) / "sounds" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        build, peak, looping = SOUNDS[name]
        samples = build()
        write_wav(path, samples if looping else fade_edges(samples), peak)
    else:
        raise KeyError(f"unknown asset {name!r}")
    return path


def generate(out_dir: Path, log: Callable[[Path], None] | None = None) -> list[Path]:
    """Write every sprite and sound under ``out_dir``; return the paths written."""
    written = []
    for name in (*SPRITES, *SOUNDS):
        path = generate_one(name, out_dir)
        written.append(path)
        if log:
            log(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.make_assets",
        description="Generate Cloudbreak's sprites (PNG) and sounds (WAV) deterministically.",
    )
    parser.add_argument(
        "--out", type=Path, default=ASSETS_DIR, help=f"output folder (default: {ASSETS_DIR})"
    )
    args = parser.parse_args(argv)
    out_dir = args.out.resolve()
    started = time.perf_counter()

    def report(path: Path) -> None:
        print(f"wrote {path.relative_to(out_dir)}  ({path.stat().st_size:,} bytes)", flush=True)

    paths = generate(out_dir, report)
    total = sum(p.stat().st_size for p in paths)
    elapsed = time.perf_counter() - started
    print(f"total: {len(paths)} files, {total:,} bytes in {out_dir} ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
