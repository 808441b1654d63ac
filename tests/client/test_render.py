"""Rendering: sprites land where their entities are, checked on pixels of an offscreen draw."""

from __future__ import annotations

import pygame
import pytest

from engine.components import Transform
from engine.movement import DrawnTransform
from engine.phases import Role
from game.client.render import Sprites, WorldRenderer
from game.net.claims import LocalSeat
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Pickup, Player, Projectile, Side
from game.rules.plugin import shooter_world
from tests.netgame.conftest import Harness


@pytest.fixture(scope="module")
def sprites():
    pygame.display.init()
    return Sprites()


def opaque_offset(image: pygame.Surface) -> tuple[int, int]:
    """An opaque pixel near the centre of an image, as an offset from its centre."""
    width, height = image.get_size()
    for radius in range(0, max(width, height)):
        for dx, dy in ((radius, 0), (0, radius), (-radius, 0), (0, -radius)):
            x, y = width // 2 + dx, height // 2 + dy
            if 0 <= x < width and 0 <= y < height and image.get_at((x, y)).a == 255:
                return dx, dy
    raise AssertionError("no opaque pixel")


def sprite_pixel(image: pygame.Surface, offset: tuple[int, int]) -> tuple[int, ...]:
    return tuple(
        image.get_at((image.get_width() // 2 + offset[0], image.get_height() // 2 + offset[1]))
    )


def screen_pixel(surface, x, y, top, image, offset) -> tuple[int, ...]:  # noqa: ANN001
    """The pixel where blit_centred put `image`'s offset pixel for an entity at (x, y)."""
    left = round(x - image.get_width() / 2) + image.get_width() // 2 + offset[0]
    upper = round(y - top - image.get_height() / 2) + image.get_height() // 2 + offset[1]
    return tuple(surface.get_at((left, upper)))


def test_known_world_draws_each_sprite_at_its_entity(sprites):
    world = shooter_world(Role.CLIENT, seed=1)
    try:
        top = world.resource(Battlefield).view_top
        raptor = world.create(
            Transform(300, top + 200), Aircraft("raptor", Side.ENEMY), Health(20, 20)
        )
        world.create(Transform(700, top + 400), Pickup("spread"))
        mine = world.create(
            Transform(512, top + 600),
            Aircraft("eagle", Side.ALLY),
            Player(1, 0, 0, "me"),
            LocalSeat(0),
        )
        surface = pygame.Surface((1024, 768))
        WorldRenderer(sprites).draw(surface, world)
        cases = [
            (sprites.strip("raptor", 3).frame(1), 300, top + 200),
            (sprites.image("pickup_spread"), 700, top + 400),
            (sprites.strip("eagle", 3).frame(1), 512, top + 600),
        ]
        for image, x, y in cases:
            offset = opaque_offset(image)
            assert screen_pixel(surface, x, y, top, image, offset) == sprite_pixel(image, offset)
        # An empty stretch of sea is not any of those colours.
        sea = surface.get_at((100, 700))
        assert all(sea != sprite_pixel(i, opaque_offset(i)) for i, _, _ in cases)
        del raptor, mine
    finally:
        world.close()


def test_other_players_are_drawn_in_the_second_livery_with_their_name(sprites):
    world = shooter_world(Role.CLIENT, seed=1)
    try:
        top = world.resource(Battlefield).view_top
        world.create(
            Transform(400, top + 300), Aircraft("eagle", Side.ALLY), Player(2, 7, 0, "bob")
        )
        surface = pygame.Surface((1024, 768))
        WorldRenderer(sprites).draw(surface, world)
        image = sprites.strip("eagle_p2", 3).frame(1)
        offset = opaque_offset(image)
        assert screen_pixel(surface, 400, top + 300, top, image, offset) == sprite_pixel(
            image, offset
        )
    finally:
        world.close()


def test_client_b_draws_client_a_where_a_moved_it(sprites):
    harness = Harness()
    try:
        alice, bob = harness.join("alice"), harness.join("bob")
        harness.step(6)
        start = alice.world.component(alice.own_aircraft()[0], Transform)
        start_x, start_y = start.x, start.y
        alice.control(0, move_x=1.0)
        harness.step(45)
        alice.control(0, move_x=0.0)
        harness.step(15)  # settle: bob draws alice two ticks behind
        moved = alice.world.component(alice.own_aircraft()[0], Transform)
        assert moved.x > start_x + 100
        surface = pygame.Surface((1024, 768))
        WorldRenderer(sprites).draw(surface, bob.world)
        top = bob.world.resource(Battlefield).view_top
        image = sprites.strip("eagle_p2", 3).frame(1)
        offset = opaque_offset(image)
        seen_at = [(e, t) for e, (p, t) in bob.world.query(Player, Transform) if p.name == "alice"][
            0
        ][1]
        assert seen_at.x == pytest.approx(moved.x, abs=1.0)
        expected = sprite_pixel(image, offset)
        banked = {sprite_pixel(sprites.strip("eagle_p2", 3).frame(f), offset) for f in range(3)}
        assert screen_pixel(surface, moved.x, seen_at.y, top, image, offset) in banked | {expected}
        # ...and not where she started: that is sea now (or the start of her turn).
        assert screen_pixel(surface, start_x, start_y, top, image, offset) not in banked
    finally:
        harness.close()


def test_what_the_client_moves_in_steps_is_drawn_at_its_drawn_position(sprites):
    world = shooter_world(Role.CLIENT, seed=1)
    try:
        top = world.resource(Battlefield).view_top
        # The Transform is the last step's; the DrawnTransform is where this frame draws it.
        world.create(
            Transform(512, top + 600),
            DrawnTransform(300, top + 420),
            Aircraft("eagle", Side.ALLY),
            Player(1, 0, 0, "me"),
            LocalSeat(0),
        )
        world.create(
            Transform(800, top + 200),
            DrawnTransform(760, top + 120),
            Projectile("missile", Side.ALLY),
        )
        surface = pygame.Surface((1024, 768))
        WorldRenderer(sprites).draw(surface, world)
        for image, (x, y), (old_x, old_y) in (
            (sprites.strip("eagle", 3).frame(1), (300, top + 420), (512, top + 600)),
            (sprites.rotated("missile", 0.0), (760, top + 120), (800, top + 200)),
        ):
            offset = opaque_offset(image)
            assert screen_pixel(surface, x, y, top, image, offset) == sprite_pixel(image, offset)
            assert screen_pixel(surface, old_x, old_y, top, image, offset) != sprite_pixel(
                image, offset
            )
    finally:
        world.close()
