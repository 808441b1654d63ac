"""The autopilot (headless runs and bots): it writes PlayerInput the way a player at the keys
would. The dodge style lines up under enemies ahead, fires at what is in view, steers clear
of what would hit it, and finishes; the edge and centre styles only hold keys."""

from __future__ import annotations

import math

import pytest

from engine.components import Transform, Velocity
from game.rules.autopilot import (
    ATTENTION,
    EDGE_SECONDS,
    LOOKAHEAD,
    REACTION,
    STYLES,
    add_autopilot,
)
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Autopilot, PlayerInput, Projectile, Side, Weapon

STEP = 1 / 60
EAGLE_RADIUS = 22.0


@pytest.fixture
def sky(make_world, content):
    """A world with only the autopilot, the battlefield at its start, and one pilot."""
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    add_autopilot(world)
    return world


def pilot(world, x, y, *, missiles=2, offset_x=0.0, style="dodge", side=-1.0):
    entity = world.spawn(
        Autopilot(offset_x=offset_x, style=style, side=side),
        PlayerInput(),
        Transform(x, y),
        Weapon(missiles=missiles),
    )
    world.flush()
    return entity


def enemy(world, kind, x, y, velocity=None):
    parts = [Aircraft(kind, Side.ENEMY), Transform(x, y)]
    if velocity is not None:
        parts.append(Velocity(*velocity))
    entity = world.spawn(*parts)
    world.flush()
    return entity


def enemy_bullet(world, x, y, velocity=None):
    parts = [Projectile("bullet_enemy", Side.ENEMY), Transform(x, y)]
    if velocity is not None:
        parts.append(Velocity(*velocity))
    world.spawn(*parts)
    world.flush()


def intent_after_step(world, entity) -> PlayerInput:
    world.step()
    return world.component(entity, PlayerInput)


def cruise(world) -> tuple[float, float, Battlefield]:
    """Where a pilot with nothing to do makes for: centre, low in the view."""
    battlefield = world.resource(Battlefield)
    spec = battlefield.spec
    return spec.view_width / 2, battlefield.view_top + spec.view_height * 0.78, battlefield


def closest_pass(intent, me, threat, velocity, *, seconds=LOOKAHEAD, speed=200.0, scroll=-50.0):
    """How near (centre to centre) `threat` flying straight at `velocity` comes to an
    aircraft at `me` flying `intent` (its keys, as the control rules turn them into
    velocity) for `seconds`: worked out step by step, independently of the autopilot."""
    mx, my = intent.move_x, intent.move_y
    length = math.hypot(mx, my)
    if length > 1:
        mx, my = mx / length, my / length
    x, y = me
    tx, ty = threat
    nearest = math.inf
    for _ in range(round(seconds / STEP)):
        x, y = x + mx * speed * STEP, y + (my * speed + scroll) * STEP
        tx, ty = tx + velocity[0] * STEP, ty + velocity[1] * STEP
        nearest = min(nearest, math.hypot(tx - x, ty - y))
    return nearest


# -- the dodge style: chasing and firing ---------------------------------------------------


def test_with_nothing_in_view_it_holds_the_centre_low_in_the_view_and_holds_fire(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    intent = intent_after_step(sky, me)
    assert (intent.move_x, intent.move_y, intent.fire, intent.missile_requests) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("off_x", "expected"),
    [
        (-100.0, 1.0),
        (100.0, -1.0),
        (-12.0, 0.5),
        (12.0, -0.5),
        (-2.5, 2.5 / 24),
        (-1.5, 0.0),
        (1.5, 0.0),
    ],
)
def test_it_steers_towards_its_goal_full_when_far_gently_when_near(sky, off_x, expected):
    x, y, _ = cruise(sky)
    me = pilot(sky, x + off_x, y - off_x)
    intent = intent_after_step(sky, me)
    assert intent.move_x == pytest.approx(expected)
    assert intent.move_y == pytest.approx(-expected)


def test_a_wingman_keeps_its_offset_beside_the_goal(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x + 60, y, offset_x=60)
    assert intent_after_step(sky, me).move_x == 0.0
    other = pilot(sky, x, y, offset_x=60)
    assert intent_after_step(sky, other).move_x == 1.0


def test_it_lines_up_under_the_nearest_enemy_ahead_and_fires(sky):
    x, y, battlefield = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x - 300, y - 100)  # far to the side
    enemy(sky, "raptor", x + 50, y - 300)  # nearly above: the nearest by its measure
    enemy(sky, "raptor", x - 200, y + 100)  # behind: not a target, but in view
    intent = intent_after_step(sky, me)
    assert intent.fire
    assert intent.move_x == 1.0  # towards x + 50
    assert intent.missile_requests == 0  # raptors are not worth a missile


def test_enemies_outside_the_view_are_not_fired_at(sky):
    x, y, battlefield = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "avenger", x + 200, battlefield.view_top - 30)
    intent = intent_after_step(sky, me)
    assert not intent.fire and intent.move_x == 0.0 and intent.missile_requests == 0


def test_an_avenger_in_view_draws_one_missile_then_one_every_three_seconds(sky):
    x, y, battlefield = cruise(sky)
    me = pilot(sky, x, y, missiles=5)
    enemy(sky, "avenger", x, battlefield.view_top + 100)
    assert intent_after_step(sky, me).missile_requests == 1
    sky.run(round(2.9 * 60))
    assert sky.component(me, PlayerInput).missile_requests == 1
    sky.run(12)
    assert sky.component(me, PlayerInput).missile_requests == 2


def test_no_missile_is_asked_for_without_missiles(sky):
    x, y, battlefield = cruise(sky)
    me = pilot(sky, x, y, missiles=0)
    enemy(sky, "avenger", x, battlefield.view_top + 100)
    intent = intent_after_step(sky, me)
    assert intent.fire and intent.missile_requests == 0


def test_the_nearest_enemy_weighs_sideways_distance_twice_as_much_as_distance_ahead(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x, y - 300)  # straight above but far: 0 + 300 / 2 = 150
    enemy(sky, "raptor", x + 100, y - 50)  # close, a little aside: 100 + 50 / 2 = 125
    assert intent_after_step(sky, me).move_x == 1.0  # it goes for the second


def test_an_enemy_level_with_it_and_well_aside_is_fired_at_not_chased(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x + 200, y)
    intent = intent_after_step(sky, me)
    assert intent.fire and intent.move_x == 0.0  # fires at what is in view, chases nothing


# -- the dodge style: steering clear -------------------------------------------------------


def aimed(dx, dy, seconds):
    """The velocity of a bullet at (dx, dy) from an aircraft riding the scroll that meets
    it in `seconds`."""
    return -dx / seconds, (dy - 50.0 * seconds) / seconds


@pytest.mark.parametrize(
    ("dx", "dy", "velocity"),
    [
        (0.0, 135.0, (0.0, 300.0)),  # straight down at it
        (-10.0, 135.0, (0.0, 300.0)),
        (10.0, 135.0, (0.0, 300.0)),
        (-150.0, 200.0, aimed(-150.0, 200.0, 0.7)),  # aimed at it from the left
        (200.0, 150.0, aimed(200.0, 150.0, 0.6)),  # from the right
    ],
)
def test_a_bullet_that_would_hit_it_is_dodged(sky, dx, dy, velocity):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    assert closest_pass(PlayerInput(), (x, y), (x + dx, y - dy), velocity) < EAGLE_RADIUS
    enemy_bullet(sky, x + dx, y - dy, velocity)
    intent = intent_after_step(sky, me)
    assert closest_pass(intent, (x, y), (x + dx, y - dy), velocity) > EAGLE_RADIUS + 4.0


def test_a_bullet_without_a_velocity_is_taken_to_fly_straight_down(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy_bullet(sky, x + 5, y - 135)
    intent = intent_after_step(sky, me)
    assert closest_pass(intent, (x, y), (x + 5, y - 135), (0.0, 300.0)) > EAGLE_RADIUS + 4.0


@pytest.mark.parametrize(
    ("dx", "dy", "velocity"),
    [
        (0.0, 400.0, (0.0, 300.0)),  # far above: it arrives after the pilot looks again
        (0.0, -60.0, (0.0, 300.0)),  # behind, flying away
        (60.0, 60.0, (0.0, 300.0)),  # beside: it passes well clear
        (-200.0, 100.0, (0.0, 300.0)),
    ],
)
def test_bullets_that_pass_clear_change_nothing(sky, dx, dy, velocity):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy_bullet(sky, x + dx, y - dy, velocity)
    intent = intent_after_step(sky, me)
    assert (intent.move_x, intent.move_y) == (0.0, 0.0)


def test_an_allied_bullet_is_not_dodged(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    sky.spawn(Projectile("bullet_allied", Side.ALLY), Transform(x + 5, y - 50))
    sky.flush()
    assert intent_after_step(sky, me).move_x == 0.0


@pytest.mark.parametrize("dx", [-30.0, 0.0, 30.0])
def test_an_enemy_about_to_ram_it_is_side_stepped_and_still_fired_at(sky, dx):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    diving = (0.0, 80.0)
    enemy(sky, "raptor", x + dx, y - 100, diving)
    intent = intent_after_step(sky, me)
    assert intent.fire
    assert closest_pass(intent, (x, y), (x + dx, y - 100), diving) > 2 * EAGLE_RADIUS


def test_it_holds_a_move_for_its_reaction_time_before_it_looks_again(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    sky.step()  # it looked: all clear, it stays put
    enemy_bullet(sky, x, y - 100, (0.0, 300.0))
    steps_blind = 0
    while sky.component(me, PlayerInput).move_x == 0.0 and steps_blind < 60:
        sky.step()
        steps_blind += 1
    assert steps_blind == pytest.approx(REACTION * 60, abs=1)


def test_it_keeps_an_eye_on_the_nearest_few_threats_only(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    for index in range(ATTENTION):  # near, but passing clear to the left
        enemy_bullet(sky, x - 100 - 5 * index, y - 40, (0.0, 300.0))
    enemy_bullet(sky, x, y - 135, (0.0, 300.0))  # further, and straight at it: unseen
    intent = intent_after_step(sky, me)
    assert (intent.move_x, intent.move_y) == (0.0, 0.0)


def test_once_the_climb_is_over_it_makes_for_the_finish_line(sky):
    battlefield = sky.resource(Battlefield)
    battlefield.view_top = 0.0
    spec = battlefield.spec
    me = pilot(sky, spec.view_width / 2, spec.view_height - 100)
    intent = intent_after_step(sky, me)
    assert intent.move_y == -1.0 and intent.move_x == 0.0
    goal_y = spec.finish_line_y - spec.player_margin
    sky.component(me, Transform).y = goal_y + 12
    sky.run(round(REACTION * 60))  # it looks again
    assert sky.component(me, PlayerInput).move_y == pytest.approx(-0.5)


def test_with_no_pilot_aboard_it_changes_nothing(sky):
    x, y, _ = cruise(sky)
    enemy(sky, "avenger", x, y - 100)
    sky.step()
    assert sky.query(PlayerInput) == []


# -- the edge and centre styles ------------------------------------------------------------


def test_the_styles_are_edge_centre_and_dodge():
    assert STYLES == ("edge", "centre", "dodge")


@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_the_edge_style_holds_a_side_key_then_only_fire(sky, side):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y, style="edge", side=side)
    enemy(sky, "avenger", x, y - 200)
    enemy_bullet(sky, x, y - 100, (0.0, 300.0))  # it dodges nothing
    seen = []
    for _ in range(round(EDGE_SECONDS * 60) + 30):
        intent = intent_after_step(sky, me)
        seen.append((intent.move_x, intent.move_y, intent.fire))
    steps = round(EDGE_SECONDS * 60)
    assert set(seen[: steps - 1]) == {(side, 0.0, False)}
    assert set(seen[steps + 1 :]) == {(0.0, 0.0, True)}
    assert sky.component(me, PlayerInput).missile_requests == 0


def test_the_centre_style_holds_fire_where_it_is(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x + 60, y, style="centre")
    enemy(sky, "avenger", x, y - 100, (0.0, 80.0))  # about to ram it: it does not care
    for _ in range(30):
        intent = intent_after_step(sky, me)
        assert (intent.move_x, intent.move_y, intent.fire) == (0.0, 0.0, True)
    assert intent.missile_requests == 0


@pytest.mark.parametrize("style", ["edge", "centre"])
def test_every_style_flies_up_through_the_finish_line_once_the_climb_is_over(sky, style):
    battlefield = sky.resource(Battlefield)
    battlefield.view_top = 0.0
    spec = battlefield.spec
    me = pilot(sky, spec.player_margin, spec.view_height - 100, style=style)
    intent = intent_after_step(sky, me)
    assert (intent.move_x, intent.move_y) == (0.0, -1.0)
