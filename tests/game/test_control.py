"""Rules 2 and 3: player input becomes velocity; players stay player_margin inside the view."""

import dataclasses
import math

import pytest

from engine import Phase
from engine.components import Transform, Velocity
from engine.movement import MovementSystem
from game.rules.battlefield import Battlefield, ScrollSystem
from game.rules.components import Player, PlayerInput
from game.rules.spawn import spawn_enemy, spawn_player
from game.rules.systems.control import ClampToViewSystem, PlayerControlSystem


def control_world(make_world, content, *, scrolling: bool):
    battlefield = Battlefield.at_start(content.battlefield)
    if not scrolling:
        battlefield.view_top = 0.0  # the climb is over: no scroll velocity
    world = make_world(content, battlefield)
    world.add_system(PlayerControlSystem(), Phase.SIMULATE)
    player = spawn_player(world, 1)
    world.flush()
    return world, battlefield, player


def steer(world, player, move_x, move_y):
    intent = world.component(player, PlayerInput)
    intent.move_x, intent.move_y = move_x, move_y
    world.step()
    velocity = world.component(player, Velocity)
    return velocity.x, velocity.y


# -- rule 2: player control ----------------------------------------------------------------


@pytest.mark.parametrize("move", [(1, 0), (-1, 0), (0, 1), (0, -1)])
def test_straight_movement_at_aircraft_speed(make_world, content, move):
    world, _, player = control_world(make_world, content, scrolling=False)
    speed = content.aircraft[content.player_aircraft].speed
    vx, vy = steer(world, player, *move)
    assert (vx, vy) == pytest.approx((move[0] * speed, move[1] * speed))
    assert math.hypot(vx, vy) == pytest.approx(speed)


def test_no_input_means_no_motion_when_the_view_is_still(make_world, content):
    world, _, player = control_world(make_world, content, scrolling=False)
    assert steer(world, player, 0, 0) == (0.0, 0.0)


@pytest.mark.parametrize("move", [(1, 1), (-1, 1), (1, -1), (-1, -1)])
def test_diagonals_are_normalised_to_aircraft_speed(make_world, content, move):
    world, _, player = control_world(make_world, content, scrolling=False)
    speed = content.aircraft[content.player_aircraft].speed
    vx, vy = steer(world, player, *move)
    assert math.hypot(vx, vy) == pytest.approx(speed)
    assert abs(vx) == pytest.approx(speed / math.sqrt(2))
    assert abs(vy) == pytest.approx(speed / math.sqrt(2))
    assert (math.copysign(1, vx), math.copysign(1, vy)) == move


def test_partial_input_is_not_scaled_up(make_world, content):
    world, _, player = control_world(make_world, content, scrolling=False)
    speed = content.aircraft[content.player_aircraft].speed
    assert steer(world, player, 0.5, 0) == pytest.approx((0.5 * speed, 0.0))
    assert steer(world, player, 0.6, -0.8) == pytest.approx((0.6 * speed, -0.8 * speed))


@pytest.mark.parametrize(
    ("move", "expected"),
    [
        ((5.0, 0.0), (1.0, 0.0)),
        ((-3.0, 0.0), (-1.0, 0.0)),
        ((0.0, 40.0), (0.0, 1.0)),
        ((0.0, -1e9), (0.0, -1.0)),
        ((7.0, -7.0), (1 / math.sqrt(2), -1 / math.sqrt(2))),
        ((2.0, 0.5), (1 / math.hypot(1, 0.5), 0.5 / math.hypot(1, 0.5))),
    ],
)
def test_inputs_beyond_one_are_clamped(make_world, content, move, expected):
    world, _, player = control_world(make_world, content, scrolling=False)
    speed = content.aircraft[content.player_aircraft].speed
    vx, vy = steer(world, player, *move)
    assert (vx, vy) == pytest.approx((expected[0] * speed, expected[1] * speed))
    assert math.hypot(vx, vy) <= speed * (1 + 1e-9)


def test_scroll_velocity_is_added_to_vy(make_world, content):
    world, battlefield, player = control_world(make_world, content, scrolling=True)
    speed = content.aircraft[content.player_aircraft].speed
    scroll = -content.battlefield.scroll_speed
    assert battlefield.scroll_velocity == scroll
    assert steer(world, player, 0, 0) == pytest.approx((0.0, scroll))
    assert steer(world, player, 0, 1) == pytest.approx((0.0, speed + scroll))
    assert steer(world, player, 1, -1) == pytest.approx(
        (speed / math.sqrt(2), -speed / math.sqrt(2) + scroll)
    )


def test_speed_comes_from_the_aircraft_data(make_world, content):
    eagle = content.aircraft[content.player_aircraft]
    faster = dataclasses.replace(eagle, speed=eagle.speed * 1.75)
    tuned = dataclasses.replace(content, aircraft={**content.aircraft, eagle.name: faster})
    world, _, player = control_world(make_world, tuned, scrolling=False)
    assert steer(world, player, 1, 0) == pytest.approx((faster.speed, 0.0))


def test_velocity_moves_the_player_by_speed_times_dt(make_world, content):
    world, _, player = control_world(make_world, content, scrolling=False)
    world.add_system(MovementSystem(), Phase.SIMULATE)
    speed = content.aircraft[content.player_aircraft].speed
    start = world.component(player, Transform).x
    steer(world, player, -1, 0)
    assert world.component(player, Transform).x == pytest.approx(start - speed * world.time.dt)


def test_enemies_ignore_player_control(make_world, content):
    world, _, _ = control_world(make_world, content, scrolling=True)
    enemy = spawn_enemy(world, "raptor", 300.0, 300.0)
    world.flush()
    world.add_component(enemy, PlayerInput(move_x=1.0))
    world.step()
    assert world.component(enemy, Velocity) == Velocity(0.0, 0.0)


# -- rule 3: clamp to view -----------------------------------------------------------------


@pytest.fixture
def clamped(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(battlefield)
    world.add_system(ClampToViewSystem(), Phase.SIMULATE)
    return world, battlefield


def place_player(world, x, y):
    return world.create(Transform(x, y), Player(1, 0))


def test_each_edge_puts_the_player_back_exactly_margin_inside(clamped, content):
    world, battlefield = clamped
    margin = content.battlefield.player_margin
    mid_x = battlefield.width / 2
    mid_y = (battlefield.view_top + battlefield.view_bottom) / 2
    left = place_player(world, -500.0, mid_y)
    right = place_player(world, battlefield.width + 3.0, mid_y)
    top = place_player(world, mid_x, battlefield.view_top - 1000.0)
    bottom = place_player(world, mid_x, battlefield.view_bottom + 0.5)
    world.step()
    assert world.component(left, Transform).x == margin
    assert world.component(right, Transform).x == battlefield.width - margin
    assert world.component(top, Transform).y == battlefield.view_top + margin
    assert world.component(bottom, Transform).y == battlefield.view_bottom - margin
    # the other coordinate is left alone
    assert world.component(left, Transform).y == mid_y
    assert world.component(top, Transform).x == mid_x


def test_inside_the_margin_counts_as_outside(clamped, content):
    world, battlefield = clamped
    margin = content.battlefield.player_margin
    player = place_player(world, margin - 1.0, battlefield.view_bottom - margin + 1.0)
    world.step()
    transform = world.component(player, Transform)
    assert (transform.x, transform.y) == (margin, battlefield.view_bottom - margin)


def test_corners_clamp_both_axes(clamped, content):
    world, battlefield = clamped
    margin = content.battlefield.player_margin
    player = place_player(world, battlefield.width + 99, battlefield.view_top - 99)
    world.step()
    transform = world.component(player, Transform)
    assert (transform.x, transform.y) == (battlefield.width - margin, battlefield.view_top + margin)


def test_a_player_well_inside_is_not_moved(clamped, content):
    world, battlefield = clamped
    margin = content.battlefield.player_margin
    x, y = margin + 1.0, battlefield.view_top + margin + 1.0
    player = place_player(world, x, y)
    world.step()
    transform = world.component(player, Transform)
    assert (transform.x, transform.y) == (x, y)


def test_only_players_are_clamped(clamped, content):
    world, battlefield = clamped
    outside = world.create(Transform(-300.0, battlefield.view_top - 300.0))
    world.step()
    assert world.component(outside, Transform) == Transform(-300.0, battlefield.view_top - 300.0)


def test_a_still_player_is_pushed_along_by_the_scrolling_view(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(battlefield)
    world.add_system(ScrollSystem(), Phase.SIMULATE)
    world.add_system(ClampToViewSystem(), Phase.SIMULATE)
    margin = content.battlefield.player_margin
    player = place_player(world, 300.0, battlefield.view_bottom - margin)
    start = battlefield.view_top
    for _ in range(90):
        world.step()
        assert world.component(player, Transform).y == battlefield.view_bottom - margin
    assert battlefield.view_top < start  # the view really moved


def test_pushing_against_the_top_edge_keeps_pace_with_the_view(make_world, content):
    """The whole control chain: input up, scroll, move, clamp."""
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    world.add_system(ScrollSystem(), Phase.SIMULATE)
    world.add_system(PlayerControlSystem(), Phase.SIMULATE)
    world.add_system(MovementSystem(), Phase.SIMULATE)
    world.add_system(ClampToViewSystem(), Phase.SIMULATE)
    margin = content.battlefield.player_margin
    player = spawn_player(world, 1)
    world.flush()
    world.component(player, PlayerInput).move_y = -1.0
    world.component(player, PlayerInput).move_x = 1.0
    world.run(600)
    transform = world.component(player, Transform)
    assert transform.y == battlefield.view_top + margin
    assert transform.x == battlefield.width - margin
