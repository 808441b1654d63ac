"""Movement: velocity integrated once per step, and what moves in steps drawn between them."""

from __future__ import annotations

import pytest

from engine import Phase
from engine.components import Transform, Velocity
from engine.movement import (
    DrawBetweenStepsSystem,
    DrawnTransform,
    KeepPreviousSystem,
    Movement,
    MovementPlugin,
    MovementSystem,
    PreviousTransform,
    Smoothing,
    smooth_motion,
)


def test_each_step_moves_by_velocity_times_the_step(world):
    world.add_plugin(MovementPlugin())
    mover = world.create(Transform(10, 20, 30), Velocity(60, -120))
    still = world.create(Transform(1, 1))
    world.step()
    assert world.component(mover, Transform) == Transform(11, 18, 30)
    world.run(2)
    assert world.component(mover, Transform) == Transform(13, 14, 30)
    assert world.component(still, Transform) == Transform(1, 1)


def test_the_movement_plugin_moves_in_simulate_in_the_movement_set(world):
    world.add_plugin(MovementPlugin())
    assert [type(s) for s in world.systems(Phase.SIMULATE)] == [MovementSystem]
    assert "movement" in world.plugins
    world.add_system(lambda w, dt: None, Phase.SIMULATE, after=Movement)
    world.add_system(lambda w, dt: None, Phase.SIMULATE, before=Movement)
    assert type(world.systems(Phase.SIMULATE)[1]) is MovementSystem


def test_smooth_motion_starts_drawing_an_entity_where_it_is(world):
    entity = world.create(Transform(3, 4, 5))
    smooth_motion(world, entity)
    assert world.component(entity, PreviousTransform) == PreviousTransform(3, 4, 5)
    assert world.component(entity, DrawnTransform) == DrawnTransform(3, 4, 5)


def smoothing_world(world):
    world.add_system(KeepPreviousSystem(), Phase.INPUT)
    world.add_plugin(MovementPlugin())
    world.add_system(DrawBetweenStepsSystem(), Phase.PRESENT, in_set=Smoothing)


def test_a_frame_draws_between_the_last_two_steps_by_its_alpha(world):
    smoothing_world(world)
    entity = world.create(Transform(0, 100, 10), Velocity(60, -120))
    smooth_motion(world, entity)
    world.step()
    assert world.component(entity, PreviousTransform) == PreviousTransform(0, 100, 10)
    world.component(entity, Transform).angle = 30
    world.present(1 / 120, 0.25)
    assert world.component(entity, DrawnTransform) == DrawnTransform(0.25, 99.5, 15)
    world.present(1 / 120, 1.0)
    assert world.component(entity, DrawnTransform) == DrawnTransform(1, 98, 30)
    world.step()
    assert world.component(entity, PreviousTransform) == PreviousTransform(1, 98, 30)


@pytest.mark.parametrize(
    ("before", "after", "alpha", "drawn"),
    [
        (350.0, 10.0, 0.5, 360.0),  # through north, not back round
        (10.0, 350.0, 0.5, 0.0),
        (90.0, 0.0, 0.5, 45.0),
        (0.0, 90.0, 0.25, 22.5),
        (-170.0, 170.0, 0.5, -180.0),
    ],
)
def test_a_turn_is_drawn_the_short_way_round(world, before, after, alpha, drawn):
    world.add_system(DrawBetweenStepsSystem(), Phase.PRESENT)
    entity = world.create(Transform(0, 0, after), PreviousTransform(0, 0, before), DrawnTransform())
    world.present(1 / 60, alpha)
    assert world.component(entity, DrawnTransform).angle == pytest.approx(drawn)


def test_only_entities_with_all_three_transforms_are_drawn_between_steps(world):
    world.add_system(DrawBetweenStepsSystem(), Phase.PRESENT)
    world.add_system(KeepPreviousSystem(), Phase.INPUT)
    alone = world.create(Transform(5, 5), DrawnTransform(1, 1))
    kept = world.create(Transform(7, 8, 9), PreviousTransform())
    world.step()
    world.present(1 / 60, 0.5)
    assert world.component(alone, DrawnTransform) == DrawnTransform(1, 1)
    assert world.component(kept, PreviousTransform) == PreviousTransform(7, 8, 9)
