"""Drawing helpers for renderers: images, sprite strips, rotation caches, a scrolling camera.

Renderers read components and draw; they never change a component. Everything
here works offscreen (SDL's dummy video driver), so render tests assert on pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygame


def load_image(path: Path, *, opaque: bool = False) -> pygame.Surface:
    """Load a PNG, converted for fast blits once a display mode exists; an `opaque` image
    (a background) drops its alpha channel, which makes every blit of it cheaper."""
    image = pygame.image.load(str(path))
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        image = image.convert() if opaque else image.convert_alpha()
    return accelerated(image)


def accelerated(image: pygame.Surface) -> pygame.Surface:
    """Mark a per-pixel-alpha image for run-length encoding, so blits skip its transparent runs.

    Sprites are mostly transparent (an aircraft frame about two thirds): 500 aircraft
    frames blit about 3x faster. SDL may round a few semi-transparent edge pixels one
    level differently. Copies, rotations and scalings of the image are not marked: mark
    each surface that is blitted many times (subsurfaces cannot be; copy them first).
    """
    if image.get_flags() & pygame.SRCALPHA:
        image.set_alpha(255, pygame.RLEACCEL)
    return image


class SpriteStrip:
    """Equal frames side by side in one image (banking aircraft, an explosion)."""

    def __init__(self, image: pygame.Surface, frames: int) -> None:
        width, height = image.get_size()
        if frames < 1 or width % frames:
            raise ValueError(f"an image {width} px wide cannot hold {frames} equal frames")
        self.image = image
        self.frame_width = width // frames
        self.size = (self.frame_width, height)
        self.frames = [  # standalone copies: a subsurface cannot be run-length encoded
            accelerated(
                image.subsurface(
                    pygame.Rect(i * self.frame_width, 0, self.frame_width, height)
                ).copy()
            )
            for i in range(frames)
        ]

    def __len__(self) -> int:
        return len(self.frames)

    def frame(self, index: int) -> pygame.Surface:
        return self.frames[max(0, min(index, len(self.frames) - 1))]


class RotationCache:
    """Rotated copies of one image in `step`-degree buckets, made on first use."""

    def __init__(self, image: pygame.Surface, step: int = 5) -> None:
        self.image = image
        self.step = step
        self._cache: dict[int, pygame.Surface] = {}

    def at(self, degrees_clockwise: float) -> pygame.Surface:
        bucket = round(degrees_clockwise / self.step) * self.step % 360
        surface = self._cache.get(bucket)
        if surface is None:
            surface = accelerated(pygame.transform.rotate(self.image, -bucket))
            self._cache[bucket] = surface
        return surface


@dataclass(slots=True)
class Camera:
    """Maps world coordinates to screen pixels for a view whose top edge is `top`."""

    top: float = 0.0
    left: float = 0.0

    def to_screen(self, x: float, y: float) -> tuple[float, float]:
        return x - self.left, y - self.top


def blit_centred(surface: pygame.Surface, image: pygame.Surface, x: float, y: float) -> None:
    surface.blit(image, (round(x - image.get_width() / 2), round(y - image.get_height() / 2)))
