"""Rule 13: up to max_players (16) aircraft, each with its own ids, at distinct start positions."""

import pytest

from engine import Phase
from engine.components import Transform
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Player, PlayerInput, Side, Weapon
from game.rules.spawn import spawn_player
from game.rules.systems.control import ClampToViewSystem


@pytest.fixture
def lobby(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    world.add_system(ClampToViewSystem(), Phase.SIMULATE)
    return world, battlefield


def test_sixteen_players_each_with_their_own_ids_and_start(lobby, content):
    world, battlefield = lobby
    count = content.battlefield.max_players
    assert count == 16
    entities = {
        player_id: spawn_player(
            world, player_id, owner=100 + player_id, local_index=player_id % 2, name=f"p{player_id}"
        )
        for player_id in range(1, count + 1)
    }
    world.flush()
    assert len(set(entities.values())) == count
    for player_id, entity in entities.items():
        assert world.component(entity, Player) == Player(
            player_id, 100 + player_id, player_id % 2, f"p{player_id}"
        )
    starts = {
        pid: (world.component(e, Transform).x, world.component(e, Transform).y)
        for pid, e in entities.items()
    }
    assert len(set(starts.values())) == count
    margin = content.battlefield.player_margin
    for x, y in starts.values():
        assert margin <= x <= battlefield.width - margin
        assert battlefield.view_top + margin <= y <= battlefield.view_bottom - margin
    world.step()  # already inside: the clamp moves nobody
    after = {
        pid: (world.component(e, Transform).x, world.component(e, Transform).y)
        for pid, e in entities.items()
    }
    assert after == starts


def test_a_player_aircraft_is_a_fresh_eagle(lobby, content):
    world, _ = lobby
    player = spawn_player(world, 1)
    world.flush()
    eagle = content.aircraft[content.player_aircraft]
    assert world.component(player, Aircraft) == Aircraft(eagle.name, Side.ALLY)
    assert world.component(player, Health) == Health(eagle.hitpoints, eagle.hitpoints)
    assert world.component(player, PlayerInput) == PlayerInput()
    weapon = world.component(player, Weapon)
    assert weapon.fire_interval == eagle.fire_interval
    assert weapon.missiles == eagle.missiles
    assert weapon.fire_rate_level == content.firing.start_fire_rate_level
    assert weapon.spread_level == 1


def test_start_slots_go_centre_right_left_along_the_bottom(content):
    battlefield = Battlefield.at_start(content.battlefield)
    spec = content.battlefield
    centre = spec.view_width / 2
    y = battlefield.view_bottom - spec.start_offset
    assert battlefield.start_position(0) == (centre, y)
    assert battlefield.start_position(1) == (centre + spec.player_spacing, y)
    assert battlefield.start_position(2) == (centre - spec.player_spacing, y)
    assert battlefield.start_position(3) == (centre + 2 * spec.player_spacing, y)


def test_start_positions_follow_the_view(content):
    battlefield = Battlefield.at_start(content.battlefield)
    battlefield.view_top = 1234.0
    _, y = battlefield.start_position(0)
    assert y == 1234.0 + content.battlefield.view_height - content.battlefield.start_offset


def test_an_explicit_slot_overrides_the_player_id(lobby):
    world, battlefield = lobby
    player = spawn_player(world, 7, slot=0)
    world.flush()
    transform = world.component(player, Transform)
    assert (transform.x, transform.y) == battlefield.start_position(0)
