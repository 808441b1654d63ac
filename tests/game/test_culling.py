"""Rule 11: projectiles, enemies and pickups beyond cull_margin are removed; players never."""

import pytest

from engine import Phase
from engine.components import Transform
from game.rules.battlefield import Battlefield
from game.rules.components import Side
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_missile, spawn_pickup, spawn_player
from game.rules.systems.culling import CullSystem

MAKERS = {
    "allied bullet": lambda w, x, y: spawn_bullet(w, "bullet_allied", Side.ALLY, x, y, 0),
    "enemy bullet": lambda w, x, y: spawn_bullet(w, "bullet_enemy", Side.ENEMY, x, y, 0),
    "missile": lambda w, x, y: spawn_missile(w, x, y, 0),
    "raptor": lambda w, x, y: spawn_enemy(w, "raptor", x, y),
    "avenger": lambda w, x, y: spawn_enemy(w, "avenger", x, y),
    "pickup": lambda w, x, y: spawn_pickup(w, "health", x, y),
}


@pytest.fixture
def culling(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    world.add_system(CullSystem(), Phase.SPAWN)
    return world, battlefield


def just_outside(battlefield, distance):
    """A point `distance` px outside each edge of the view (negative: inside)."""
    mid_x = battlefield.width / 2
    mid_y = (battlefield.view_top + battlefield.view_bottom) / 2
    return {
        "above": (mid_x, battlefield.view_top - distance),
        "below": (mid_x, battlefield.view_bottom + distance),
        "left": (-distance, mid_y),
        "right": (battlefield.width + distance, mid_y),
    }


@pytest.mark.parametrize("thing", sorted(MAKERS))
def test_things_beyond_the_cull_margin_are_removed_and_just_inside_it_stay(culling, content, thing):
    world, battlefield = culling
    margin = content.battlefield.cull_margin
    gone = {
        edge: MAKERS[thing](world, *at)
        for edge, at in just_outside(battlefield, margin + 1).items()
    }
    kept = {
        edge: MAKERS[thing](world, *at)
        for edge, at in just_outside(battlefield, margin - 1).items()
    }
    world.flush()
    world.step()
    assert {edge for edge, e in gone.items() if world.is_alive(e)} == set()
    assert {edge for edge, e in kept.items() if world.is_alive(e)} == set(kept)


def test_exactly_at_the_margin_is_not_more_than_the_margin(culling, content):
    world, battlefield = culling
    margin = content.battlefield.cull_margin
    kept = [MAKERS["raptor"](world, *at) for at in just_outside(battlefield, margin).values()]
    world.step()
    assert all(world.is_alive(e) for e in kept)


def test_the_margin_follows_the_view(culling, content):
    world, battlefield = culling
    margin = content.battlefield.cull_margin
    enemy = MAKERS["raptor"](world, 500.0, battlefield.view_bottom + margin - 1)
    world.step()
    assert world.is_alive(enemy)
    battlefield.view_top -= 2.0  # the view climbed: the enemy is now too far below
    world.step()
    assert not world.is_alive(enemy)


def test_players_are_never_culled(culling, content):
    world, battlefield = culling
    players = [spawn_player(world, player_id) for player_id in (1, 2, 3, 4)]
    world.flush()
    far = 10 * content.battlefield.cull_margin
    for player, (x, y) in zip(players, just_outside(battlefield, far).values(), strict=True):
        transform = world.component(player, Transform)
        transform.x, transform.y = x, y
    world.run(5)
    assert all(world.is_alive(player) for player in players)
