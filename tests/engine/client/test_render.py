"""Sprite helpers: strips cut into standalone frames, run-length encoded for fast blits."""

from __future__ import annotations

import pygame
import pytest

from engine.client.render import RotationCache, SpriteStrip, accelerated

ENCODED = pygame.RLEACCEL | pygame.RLEACCELOK  # asked for (OK), then done at the first blit


def strip_image() -> pygame.Surface:
    """Three 8x8 frames: a red, a green and a blue square, half transparent around."""
    image = pygame.Surface((24, 8), pygame.SRCALPHA)
    for index, colour in enumerate(((255, 0, 0), (0, 255, 0), (0, 0, 255))):
        image.fill((*colour, 255), pygame.Rect(index * 8 + 2, 2, 4, 4))
        image.fill((*colour, 128), pygame.Rect(index * 8, 0, 8, 1))
    return image


def test_strip_frames_are_standalone_encoded_copies_that_draw_the_same():
    image = strip_image()
    strip = SpriteStrip(image, 3)
    for index, frame in enumerate(strip.frames):
        assert frame.get_parent() is None  # a subsurface could not be encoded
        assert frame.get_flags() & ENCODED
        plain = pygame.Surface((8, 8))
        fast = pygame.Surface((8, 8))
        plain.fill((30, 60, 90))
        fast.fill((30, 60, 90))
        plain.blit(image.subsurface(pygame.Rect(index * 8, 0, 8, 8)), (0, 0))
        fast.blit(frame, (0, 0))
        for x in range(8):
            for y in range(8):
                a, b = plain.get_at((x, y)), fast.get_at((x, y))
                assert max(abs(a[i] - b[i]) for i in range(3)) <= 1, (index, x, y)
        assert fast.get_at((4, 4))[:3] == image.get_at((index * 8 + 4, 4))[:3]


def test_rotations_are_encoded_and_opaque_images_are_left_alone():
    assert RotationCache(strip_image()).at(90).get_flags() & ENCODED
    opaque = pygame.Surface((4, 4))
    assert accelerated(opaque) is opaque
    assert not opaque.get_flags() & ENCODED
    assert opaque.get_alpha() is None


def test_a_strip_that_does_not_divide_evenly_is_refused():
    with pytest.raises(ValueError, match="cannot hold 5 equal frames"):
        SpriteStrip(strip_image(), 5)
