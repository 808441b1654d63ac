"""The fixed-step loop: exact step counts from a manual clock, a catch-up cap, alpha; and
drawing what a client moves in fixed steps between its last two steps, by alpha."""

import pytest

from engine import Phase, Role, World
from engine.components import Transform, Velocity
from engine.movement import (
    DrawBetweenStepsSystem,
    DrawnTransform,
    KeepPreviousSystem,
    MovementSystem,
    PreviousTransform,
)
from engine.net.replication import Predicted
from engine.net.sync import smooth_predicted
from engine.time import FixedStepLoop, ManualClock


def test_no_drift_over_ten_thousand_steps_with_irregular_frames():
    clock = ManualClock(1000.0)
    loop = FixedStepLoop(clock, step_hz=60, max_catchup_steps=10)
    frames = [0.004, 0.016, 0.017, 0.033, 0.0001, 0.02]  # uneven frame times
    total, elapsed, index = 0, 0.0, 0
    while total < 10_000:
        dt = frames[index % len(frames)]
        clock.advance(dt)
        elapsed += dt
        total += loop.advance().steps
        index += 1
    assert loop.dropped_steps == 0
    # Exactly floor(elapsed * 60) steps, give or take float rounding at the edge.
    assert abs(total - int(elapsed * 60)) <= 1


def test_exact_step_count_at_whole_step_boundaries():
    clock = ManualClock()
    loop = FixedStepLoop(clock, step_hz=60)
    steps = 0
    for _ in range(10_000):
        clock.set(clock.now() + 1 / 60)
        steps += loop.advance().steps
    assert steps == 10_000


def test_catch_up_is_capped_and_the_lost_time_is_forgotten():
    clock = ManualClock()
    loop = FixedStepLoop(clock, step_hz=60, max_catchup_steps=5)
    clock.advance(2.0)  # a 2 s stall: 120 steps owed
    frame = loop.advance()
    assert frame.steps == 5
    assert frame.dropped_steps == 115
    clock.advance(1 / 60)
    assert loop.advance().steps == 1  # back to normal, not 115 more


def test_alpha_is_the_fraction_of_a_step_since_the_last_one():
    clock = ManualClock()
    loop = FixedStepLoop(clock, step_hz=60)
    clock.advance(1.5 / 60)
    frame = loop.advance()
    assert frame.steps == 1
    assert frame.alpha == pytest.approx(0.5)


def test_seconds_until_next_step_tells_how_long_to_sleep():
    clock = ManualClock()
    loop = FixedStepLoop(clock, step_hz=50)
    clock.advance(0.005)
    loop.advance()
    assert loop.seconds_until_next_step() == pytest.approx(0.015)
    clock.advance(0.1)
    assert loop.seconds_until_next_step() == 0.0


def test_bad_settings_and_backwards_clocks_are_refused():
    with pytest.raises(ValueError, match="^step_hz must be positive$"):
        FixedStepLoop(ManualClock(), step_hz=0)
    with pytest.raises(ValueError, match="^max_catchup_steps must be at least 1$"):
        FixedStepLoop(ManualClock(), max_catchup_steps=0)
    with pytest.raises(ValueError):
        ManualClock().advance(-1)


def test_after_a_pause_reset_owes_nothing_and_alpha_starts_again():
    clock = ManualClock()
    loop = FixedStepLoop(clock, step_hz=60)
    clock.advance(2.5 / 60)
    assert loop.advance().steps == 2
    clock.advance(10.0)  # paused for 10 s
    loop.reset()
    frame = loop.advance()
    assert (frame.steps, frame.dropped_steps) == (0, 0)
    assert frame.alpha == pytest.approx(0.0)
    clock.advance(0.25 / 60)
    assert loop.advance().alpha == pytest.approx(0.25)
    clock.advance(1 / 60)
    frame = loop.advance()
    assert frame.steps == 1
    assert frame.alpha == pytest.approx(0.25)


def test_by_default_the_loop_steps_at_60_hz_and_catches_up_at_most_5_steps():
    clock = ManualClock()
    loop = FixedStepLoop(clock)
    clock.advance(1 / 60)
    assert loop.advance().steps == 1
    clock.advance(1.0)
    frame = loop.advance()
    assert (frame.steps, frame.dropped_steps) == (5, 55)


def test_the_slowest_loop_with_no_catch_up_is_allowed():
    clock = ManualClock()
    loop = FixedStepLoop(clock, step_hz=1, max_catchup_steps=1)
    clock.advance(3.5)
    frame = loop.advance()
    assert (frame.steps, frame.dropped_steps) == (1, 2)
    assert frame.alpha == pytest.approx(0.5)


def test_stalls_add_up_in_the_dropped_step_count():
    clock = ManualClock(1000.0)
    loop = FixedStepLoop(clock, step_hz=60, max_catchup_steps=5)
    clock.advance(1 / 60)
    assert loop.advance().dropped_steps == 0  # an ordinary frame drops nothing
    clock.advance(20 / 60)
    assert loop.advance().dropped_steps == 15
    clock.advance(10 / 60)
    assert loop.advance().dropped_steps == 5
    assert loop.dropped_steps == 20
    assert loop.steps == 11


def test_exactly_the_catch_up_cap_is_owed_in_full():
    clock = ManualClock(1000.0)
    loop = FixedStepLoop(clock, step_hz=60, max_catchup_steps=5)
    clock.advance(5 / 60)
    frame = loop.advance()
    assert (frame.steps, frame.dropped_steps) == (5, 0)
    assert loop.dropped_steps == 0


def test_after_a_stall_the_loop_keeps_time_from_a_clock_far_from_zero():
    clock = ManualClock(5000.0)
    loop = FixedStepLoop(clock, step_hz=60, max_catchup_steps=3)
    clock.advance(2.0)
    assert loop.advance().steps == 3
    clock.advance(1.5 / 60)
    frame = loop.advance()
    assert frame.steps == 1
    assert frame.alpha == pytest.approx(0.5)
    assert loop.seconds_until_next_step() == pytest.approx(0.5 / 60)


def test_reset_after_an_idle_spell_keeps_the_step_count_and_steps_on_from_there():
    clock = ManualClock(1000.0)
    loop = FixedStepLoop(clock, step_hz=50)
    clock.advance(3 / 50)
    assert loop.advance().steps == 3
    clock.advance(60.0)  # idle: nobody to simulate for
    loop.reset()
    assert loop.seconds_until_next_step() == pytest.approx(1 / 50)
    clock.advance(1 / 50)
    frame = loop.advance()
    assert (frame.steps, frame.dropped_steps) == (1, 0)
    assert loop.steps == 4
    assert loop.dropped_steps == 0


# -- drawing between steps -------------------------------------------------------------------


@pytest.fixture
def client_world():
    world = World(Role.CLIENT)
    world.add_system(smooth_predicted, Phase.INPUT)
    world.add_system(KeepPreviousSystem(), Phase.INPUT)
    world.add_system(MovementSystem(), Phase.SIMULATE)
    world.add_system(DrawBetweenStepsSystem(), Phase.PRESENT)
    yield world
    world.close()


def test_a_predicted_moving_entity_is_drawn_between_its_last_two_steps(client_world):
    world = client_world
    mine = world.create(Transform(100.0, 500.0, 350.0), Velocity(120.0, -60.0), Predicted())
    world.step()  # the first step it is predicted in: it joins the smoothing
    world.step()
    last = world.component(mine, Transform)
    before = (last.x - 2.0, last.y + 1.0)  # one step of 1/60 s at (120, -60) px/s
    assert (last.x, last.y) == pytest.approx((104.0, 498.0))
    world.component(mine, Transform).angle = 10.0
    world.present(1 / 120, 0.5)
    drawn = world.component(mine, DrawnTransform)
    assert (drawn.x, drawn.y) == pytest.approx(
        (before[0] + (last.x - before[0]) * 0.5, before[1] + (last.y - before[1]) * 0.5)
    )
    # 350 -> 10 degrees the short way round: halfway is 0 (or 360), not 180.
    assert (drawn.angle + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=1e-9)
    world.present(1 / 120, 1.0)
    assert (drawn.x, drawn.y) == pytest.approx((last.x, last.y))
    world.present(1 / 120, 0.0)
    assert (drawn.x, drawn.y) == pytest.approx(before)
    assert world.component(mine, Transform).x == pytest.approx(104.0)  # drawing moves nothing


def test_an_entity_that_is_not_predicted_is_not_smoothed(client_world):
    world = client_world
    remote = world.create(Transform(0.0, 0.0), Velocity(60.0, 0.0))
    world.run(3)
    world.present(1 / 60, 0.5)
    assert world.try_component(remote, DrawnTransform) is None
    assert world.try_component(remote, PreviousTransform) is None


def test_a_manual_clock_starts_at_zero_unless_told_otherwise():
    assert ManualClock().now() == 0.0
    assert ManualClock(12.5).now() == 12.5
