"""The renderer draws a mod's kinds by their Looks: a sprite file, or a drawing function."""

from __future__ import annotations

import pygame

from engine import Role
from engine.components import Transform
from game.api import Looks, Pickup, Projectile, Side, add_pickup_kind, add_projectile_kind
from game.client.render import SPRITES_DIR, WorldRenderer
from game.rules.battlefield import Battlefield
from game.rules.plugin import shooter_world


def _drawn(world) -> pygame.Surface:
    surface = pygame.Surface((1024, 768))
    WorldRenderer().draw(surface, world)
    return surface


def test_a_pickup_kind_with_a_sprite_is_drawn_and_one_without_is_not():
    world = shooter_world(Role.CLIENT)
    try:
        add_pickup_kind(world, "gem", sprite=SPRITES_DIR / "pickup_health.png")
        top = world.resource(Battlefield).view_top
        world.create(Transform(300, top + 300), Pickup("gem"))
        with_look = _drawn(world)
        del Looks.of(world).pickups["gem"]
        without = _drawn(world)
        assert with_look.get_at((300, 300)) != without.get_at((300, 300))
    finally:
        world.close()


def test_a_projectile_kind_with_a_drawing_function_is_drawn_by_it():
    world = shooter_world(Role.CLIENT)
    try:
        calls = []

        def draw(surface, world, entity, x, y):
            calls.append((round(x), round(y)))

        add_projectile_kind(world, "spark", damage=1, speed=100.0, draw=draw)
        top = world.resource(Battlefield).view_top
        world.create(Transform(200, top + 100), Projectile("spark", Side.ENEMY))
        _drawn(world)
        assert calls == [(200, 100)]
    finally:
        world.close()
