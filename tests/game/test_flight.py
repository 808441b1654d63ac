"""Rule 4: enemies fly the legs of their pattern in a loop (angle 0 = straight down)."""

import math

import pytest

from engine import Phase
from engine.components import Transform, Velocity
from engine.movement import MovementSystem
from game.rules.components import FlightPattern
from game.rules.spawn import heading, spawn_enemy
from game.rules.systems.enemies import FlightPatternSystem


@pytest.fixture
def flying(make_world, content):
    world = make_world(content)
    world.add_system(FlightPatternSystem(), Phase.SIMULATE)
    world.add_system(MovementSystem(), Phase.SIMULATE)
    return world


def launch(world, kind):
    enemy = spawn_enemy(world, kind, 500.0, 1000.0)
    world.flush()
    return enemy


def leg_trace(world, enemy, steps):
    """The leg index after each of `steps` steps."""
    pattern = world.component(enemy, FlightPattern)
    trace = []
    for _ in range(steps):
        world.step()
        trace.append(pattern.leg)
    return trace


def test_the_shipped_raptor_pattern_is_what_these_tests_assume(content):
    legs = content.aircraft["raptor"].pattern
    assert legs[0][0] == 45.0 and legs[1][0] == -45.0 and len(legs) >= 2


def test_raptor_leg_0_flies_left_and_down_at_its_speed(flying, content):
    raptor = content.aircraft["raptor"]
    enemy = launch(flying, "raptor")
    flying.step()
    velocity = flying.component(enemy, Velocity)
    assert velocity.x < 0 and velocity.y > 0
    assert math.hypot(velocity.x, velocity.y) == pytest.approx(raptor.speed)
    assert velocity.x == pytest.approx(-raptor.speed * math.sin(math.radians(45)))
    assert velocity.y == pytest.approx(raptor.speed * math.cos(math.radians(45)))


def test_raptor_switches_to_the_second_leg_after_the_first_legs_distance(flying, content):
    raptor = content.aircraft["raptor"]
    per_step = raptor.speed * flying.time.dt
    switch = raptor.pattern[0][1] / per_step  # steps to fly leg 0
    enemy = launch(flying, "raptor")
    trace = leg_trace(flying, enemy, math.ceil(switch) + 2)
    first_leg_1 = trace.index(1) + 1  # steps taken when leg 1 began
    assert abs(first_leg_1 - switch) <= 1
    assert set(trace[: first_leg_1 - 1]) == {0}
    velocity = flying.component(enemy, Velocity)
    assert velocity.x > 0 and velocity.y > 0  # -45 degrees: right and down
    assert math.hypot(velocity.x, velocity.y) == pytest.approx(raptor.speed)


def test_raptor_travels_the_legs_distance_along_the_leg(flying, content):
    raptor = content.aircraft["raptor"]
    enemy = launch(flying, "raptor")
    start = flying.component(enemy, Transform)
    x0, y0 = start.x, start.y
    steps = int(raptor.pattern[0][1] / (raptor.speed * flying.time.dt)) - 1
    flying.run(steps)
    transform = flying.component(enemy, Transform)
    travelled = raptor.speed * flying.time.dt * steps
    assert transform.x == pytest.approx(x0 - travelled / math.sqrt(2))
    assert transform.y == pytest.approx(y0 + travelled / math.sqrt(2))


def test_raptor_loops_back_to_leg_0_after_the_last_leg(flying, content):
    raptor = content.aircraft["raptor"]
    per_step = raptor.speed * flying.time.dt
    lap = sum(distance for _, distance in raptor.pattern) / per_step
    enemy = launch(flying, "raptor")
    trace = leg_trace(flying, enemy, int(2 * lap) + 5)
    changes = [leg for i, leg in enumerate(trace) if i == 0 or leg != trace[i - 1]]
    legs = len(raptor.pattern)
    assert changes[: 2 * legs + 1] == [*range(legs), *range(legs), 0]
    back_to_0 = next(i for i in range(1, len(trace)) if trace[i] == 0 and trace[i - 1] != 0)
    assert abs((back_to_0 + 1) - lap) <= 1
    velocity = flying.component(enemy, Velocity)
    assert math.hypot(velocity.x, velocity.y) == pytest.approx(raptor.speed)


def test_avenger_zero_degree_leg_flies_straight_down(flying, content):
    avenger = content.aircraft["avenger"]
    straight = next(i for i, (angle, _) in enumerate(avenger.pattern) if angle == 0.0)
    enemy = launch(flying, "avenger")
    pattern = flying.component(enemy, FlightPattern)
    for _ in range(10_000):
        flying.step()
        if pattern.leg == straight:
            break
    assert pattern.leg == straight
    x = flying.component(enemy, Transform).x
    velocity = flying.component(enemy, Velocity)
    assert velocity.x == pytest.approx(0.0, abs=1e-9)
    assert velocity.y == pytest.approx(avenger.speed)
    flying.step()
    assert flying.component(enemy, Transform).x == pytest.approx(x, abs=1e-9)


def test_a_pattern_without_legs_flies_straight_down(flying):
    thing = flying.create(Transform(10.0, 10.0), Velocity(), FlightPattern((), 70.0))
    flying.run(60)
    assert flying.component(thing, Velocity) == Velocity(0.0, 70.0)
    assert flying.component(thing, Transform).y == pytest.approx(80.0)


def test_a_long_step_can_skip_whole_short_legs(flying):
    """Distance beyond a leg carries over into the next ones, never lost."""
    thing = flying.create(
        Transform(), Velocity(), FlightPattern(((90.0, 1.0), (0.0, 1.0), (-90.0, 1000.0)), 600.0)
    )
    flying.step()  # 10 px in one step: both 1 px legs are done
    pattern = flying.component(thing, FlightPattern)
    assert pattern.leg == 2
    assert pattern.travelled == pytest.approx(8.0)


def test_the_drawn_heading_matches_the_direction_of_flight(flying):
    enemy = launch(flying, "raptor")
    flying.step()
    velocity = flying.component(enemy, Velocity)
    angle = flying.component(enemy, Transform).angle
    assert angle == pytest.approx(heading(velocity.x, velocity.y))
