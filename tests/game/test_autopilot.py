"""The autopilot (headless runs and bots): it writes PlayerInput the way a player at the keys
would, lining up under enemies ahead, firing at what is in view, dodging, finishing."""

from __future__ import annotations

import pytest

from engine.components import Transform
from game.rules.autopilot import add_autopilot
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Autopilot, PlayerInput, Projectile, Side, Weapon

DODGE_AHEAD = 140.0  # px above the aircraft in which an enemy bullet is dodged (its design)
RAM_AHEAD = 110.0  # px above the aircraft in which an enemy is side-stepped


@pytest.fixture
def sky(make_world, content):
    """A world with only the autopilot, the battlefield at its start, and one pilot."""
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    add_autopilot(world)
    return world


def pilot(world, x, y, *, missiles=2, offset_x=0.0):
    entity = world.spawn(
        Autopilot(offset_x=offset_x),
        PlayerInput(),
        Transform(x, y),
        Weapon(missiles=missiles),
    )
    world.flush()
    return entity


def enemy(world, kind, x, y):
    entity = world.spawn(Aircraft(kind, Side.ENEMY), Transform(x, y))
    world.flush()
    return entity


def enemy_bullet(world, x, y):
    world.spawn(Projectile("bullet", Side.ENEMY), Transform(x, y))
    world.flush()


def intent_after_step(world, entity) -> PlayerInput:
    world.step()
    return world.component(entity, PlayerInput)


def cruise(world) -> tuple[float, float, Battlefield]:
    """Where a pilot with nothing to do makes for: centre, low in the view."""
    battlefield = world.resource(Battlefield)
    spec = battlefield.spec
    return spec.view_width / 2, battlefield.view_top + spec.view_height * 0.78, battlefield


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


@pytest.mark.parametrize(("side", "away"), [(-10.0, 1.0), (10.0, -1.0), (0.0, 1.0)])
def test_an_enemy_bullet_coming_down_at_it_is_dodged(sky, side, away):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy_bullet(sky, x + side, y - DODGE_AHEAD + 5)
    assert intent_after_step(sky, me).move_x == away


@pytest.mark.parametrize(
    ("dx", "dy"),
    [(0.0, DODGE_AHEAD + 5), (0.0, -5.0), (0.0, 0.0), (40.0, 60.0), (-40.0, 60.0)],
)
def test_bullets_behind_far_above_or_beside_it_are_ignored(sky, dx, dy):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy_bullet(sky, x + dx, y - dy)
    assert intent_after_step(sky, me).move_x == 0.0


def test_an_allied_bullet_is_not_dodged(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    sky.spawn(Projectile("bullet", Side.ALLY), Transform(x + 5, y - 50))
    sky.flush()
    assert intent_after_step(sky, me).move_x == 0.0


@pytest.mark.parametrize(("side", "away"), [(-30.0, 1.0), (30.0, -1.0), (0.0, 1.0)])
def test_an_enemy_about_to_ram_it_is_side_stepped(sky, side, away):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x + side, y - RAM_AHEAD + 5)
    intent = intent_after_step(sky, me)
    assert intent.move_x == away and intent.fire


@pytest.mark.parametrize(("dx", "dy"), [(60.0, 50.0), (0.0, RAM_AHEAD + 5)])
def test_an_enemy_not_on_a_collision_course_is_chased_not_dodged(sky, dx, dy):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x + dx, y - dy)
    intent = intent_after_step(sky, me)
    assert intent.move_x == pytest.approx(min(1.0, dx / 24.0) if dx else 0.0)


def test_once_the_climb_is_over_it_makes_for_the_finish_line(sky):
    battlefield = sky.resource(Battlefield)
    battlefield.view_top = 0.0
    spec = battlefield.spec
    me = pilot(sky, spec.view_width / 2, spec.view_height - 100)
    intent = intent_after_step(sky, me)
    assert intent.move_y == -1.0 and intent.move_x == 0.0
    goal_y = spec.finish_line_y - spec.player_margin
    sky.component(me, Transform).y = goal_y + 12
    assert intent_after_step(sky, me).move_y == pytest.approx(-0.5)


def test_with_no_pilot_aboard_it_changes_nothing(sky):
    x, y, _ = cruise(sky)
    enemy(sky, "avenger", x, y - 100)
    sky.step()
    assert sky.query(PlayerInput) == []


def test_the_nearest_enemy_weighs_sideways_distance_twice_as_much_as_distance_ahead(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x, y - 300)  # straight above but far: 0 + 300 / 2 = 150
    enemy(sky, "raptor", x + 100, y - 50)  # close, a little aside: 100 + 50 / 2 = 125
    assert intent_after_step(sky, me).move_x == 1.0  # it goes for the second


@pytest.mark.parametrize("dx", [200.0, 30.0])
def test_an_enemy_level_with_it_is_not_ahead(sky, dx):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy(sky, "raptor", x + dx, y)
    intent = intent_after_step(sky, me)
    assert intent.fire and intent.move_x == 0.0  # fires at what is in view, chases nothing


def test_a_bullet_or_an_enemy_a_hair_above_is_still_dodged(sky):
    x, y, _ = cruise(sky)
    me = pilot(sky, x, y)
    enemy_bullet(sky, x + 5, y - 0.5)
    assert intent_after_step(sky, me).move_x == -1.0
    other = pilot(sky, x + 300, y)
    enemy(sky, "raptor", x + 290, y - 0.5)
    assert intent_after_step(sky, other).move_x == 1.0
