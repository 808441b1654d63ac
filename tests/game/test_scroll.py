"""Rule 1: the view climbs at scroll_speed px/s and stops at the top of the world."""

import math

import pytest

from engine import Phase
from game.rules.battlefield import Battlefield, ScrollSystem
from game.rules.mission import MissionState
from game.rules.sets import Scroll


@pytest.fixture
def scrolling(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(battlefield)
    world.add_system(ScrollSystem(), Phase.SIMULATE, in_set=Scroll)
    return world, battlefield


def test_the_view_starts_at_the_bottom_of_the_world(content):
    battlefield = Battlefield.at_start(content.battlefield)
    spec = content.battlefield
    assert battlefield.view_top == spec.world_height - spec.view_height
    assert battlefield.view_bottom == spec.world_height


def test_the_view_climbs_at_scroll_speed(scrolling, content):
    world, battlefield = scrolling
    start = battlefield.view_top
    seconds = 2
    steps = seconds * world.time.step_hz
    world.run(steps)
    climbed = start - battlefield.view_top
    assert climbed == pytest.approx(content.battlefield.scroll_speed * seconds)
    assert battlefield.scroll_velocity == -content.battlefield.scroll_speed
    assert battlefield.scrolling


def test_each_step_climbs_scroll_speed_times_dt(scrolling, content):
    world, battlefield = scrolling
    before = battlefield.view_top
    world.step()
    assert before - battlefield.view_top == pytest.approx(
        content.battlefield.scroll_speed * world.time.dt
    )


def test_the_view_stops_exactly_at_the_top(scrolling, content):
    world, battlefield = scrolling
    per_step = content.battlefield.scroll_speed * world.time.dt
    battlefield.view_top = 2.5 * per_step
    world.run(2)
    assert battlefield.view_top == pytest.approx(0.5 * per_step)
    assert battlefield.scroll_velocity == -content.battlefield.scroll_speed
    world.step()
    assert battlefield.view_top == 0.0  # not overshooting into negative y
    assert not battlefield.scrolling
    assert battlefield.scroll_velocity == 0.0
    world.run(30)
    assert battlefield.view_top == 0.0
    assert battlefield.scroll_velocity == 0.0


def test_a_full_climb_takes_the_world_height_over_scroll_speed(scrolling, content):
    world, battlefield = scrolling
    spec = content.battlefield
    climb_steps = math.ceil(spec.start_view_top / spec.scroll_speed * world.time.step_hz)
    world.run(climb_steps - 2)
    assert battlefield.view_top > 0.0
    world.run(3)
    assert battlefield.view_top == 0.0
    assert battlefield.scroll_velocity == 0.0


def test_a_held_mission_keeps_the_view_still(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    mission = MissionState(held=True)
    world = make_world(battlefield, mission)
    world.add_system(ScrollSystem(), Phase.SIMULATE, in_set=Scroll)
    start = battlefield.view_top
    world.run(120)
    assert battlefield.view_top == start
    mission.held = False
    world.step()
    assert battlefield.view_top == pytest.approx(
        start - content.battlefield.scroll_speed * world.time.dt
    )
