"""The fixed-step loop: exact step counts from a manual clock, a catch-up cap, alpha."""

import pytest

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
    with pytest.raises(ValueError):
        FixedStepLoop(ManualClock(), step_hz=0)
    with pytest.raises(ValueError):
        FixedStepLoop(ManualClock(), max_catchup_steps=0)
    with pytest.raises(ValueError):
        ManualClock().advance(-1)
