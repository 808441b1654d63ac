"""Collision detection: begin/end events, category filtering, bodies following transforms."""

from dataclasses import dataclass

import pytest

from engine import Phase
from engine.components import Transform
from engine.physics import (
    Collider,
    CollisionEnded,
    Collisions,
    CollisionStarted,
    CollisionSystem,
    PhysicsPlugin,
    PhysicsSpace,
    contacts,
)


@dataclass
class Name:
    value: str


@pytest.fixture
def physics_world(world):
    world.add_plugin(PhysicsPlugin())
    log = []

    def record(w, dt):
        for event in (*w.events.read(CollisionStarted), *w.events.read(CollisionEnded)):
            log.append(event)

    world.add_system(record, Phase.RESOLVE)
    return world, log


def test_overlap_starts_once_and_ends_when_apart(physics_world):
    world, log = physics_world
    a = world.create(Transform(0, 0), Collider(radius=10))
    b = world.create(Transform(15, 0), Collider(radius=10))
    world.step()
    world.step()  # still overlapping: no second start
    assert log == [CollisionStarted(min(a, b), max(a, b))]
    world.component(b, Transform).x = 100
    world.step()
    assert log[-1] == CollisionEnded(min(a, b), max(a, b))


def test_bodies_follow_transforms_that_move(physics_world):
    world, log = physics_world
    world.create(Transform(0, 0), Collider(radius=5))
    mover = world.create(Transform(200, 0), Collider(width=10, height=10))
    world.step()
    assert log == []
    world.component(mover, Transform).x = 3
    world.step()
    assert len(log) == 1 and isinstance(log[0], CollisionStarted)


def test_categories_and_masks_filter_pairs(physics_world):
    world, log = physics_world
    world.create(Transform(0, 0), Collider(radius=10, category=1, mask=2))
    world.create(Transform(0, 0), Collider(radius=10, category=1, mask=2))  # same side: ignored
    third = world.create(Transform(0, 0), Collider(radius=10, category=2, mask=1))
    world.step()
    assert len(log) == 2
    assert all(third in (event.a, event.b) for event in log)


def test_despawn_removes_the_shape(physics_world):
    world, _ = physics_world
    entity = world.create(Transform(0, 0), Collider(radius=10))
    world.step()
    space = world.resource(PhysicsSpace)
    assert space.shape_count() == 1
    world.despawn(entity)
    world.flush()
    assert space.shape_count() == 0


def test_shape_maps_back_to_its_entity(physics_world):
    world, _ = physics_world
    entity = world.create(Transform(0, 0), Collider(radius=10))
    world.step()
    shape = world.component(entity, Collider).shape
    assert shape is not None and shape.entity == entity


def test_contacts_yields_each_pair_with_the_asked_types_in_either_order(physics_world):
    world, _ = physics_world
    found = []
    world.add_system(
        lambda w, dt: found.extend((a, n.value, b) for a, n, b, _ in contacts(w, Name, Collider)),
        Phase.RESOLVE,
    )
    tagged = world.create(Transform(0, 0), Collider(radius=10), Name("tagged"))
    plain = world.create(Transform(5, 0), Collider(radius=10))
    world.step()
    assert found == [(tagged, "tagged", plain)]


def test_a_collider_needs_a_size():
    with pytest.raises(ValueError):
        Collider()


def test_a_collider_needs_a_radius_or_both_sides_and_says_so():
    message = "^a Collider needs radius > 0 or width and height > 0$"
    for sizes in ({"width": 5}, {"height": 5}, {"radius": -1}, {"width": 5, "height": -1}):
        with pytest.raises(ValueError, match=message):
            Collider(**sizes)
    assert Collider(radius=0.5).radius == 0.5
    assert Collider(width=0.5, height=0.5).width == 0.5
    assert (Collider(width=1, height=2).category, Collider(radius=1).mask) == (1, 0xFFFFFFFF)


def test_a_box_is_width_wide_and_height_tall(physics_world):
    world, log = physics_world
    box = world.create(Transform(0, 0), Collider(width=10, height=100))
    below = world.create(Transform(0, 45), Collider(radius=1))  # inside along y
    world.create(Transform(8, 0), Collider(radius=1))  # outside along x (5 + 1 < 8)
    world.step()
    assert log == [CollisionStarted(min(box, below), max(box, below))]


def test_events_of_a_step_come_sorted_by_pair(physics_world):
    world, log = physics_world
    entities = [world.create(Transform(0, 0), Collider(radius=10)) for _ in range(4)]
    world.step()
    pairs = [(a, b) for i, a in enumerate(entities) for b in entities[i + 1 :]]
    assert log == [CollisionStarted(a, b) for a, b in pairs]
    log.clear()
    for entity in entities:
        world.component(entity, Transform).x = 1000 * entity
    world.step()
    assert log == [CollisionEnded(a, b) for a, b in pairs]
    log.clear()
    world.step()
    assert log == []  # each contact reported once


def test_a_collider_that_is_despawned_ends_its_contacts(physics_world):
    world, log = physics_world
    a = world.create(Transform(0, 0), Collider(radius=10))
    b = world.create(Transform(5, 0), Collider(radius=10))
    plain = world.create(Transform(0, 0))  # no collider: nothing to release
    world.step()
    log.clear()
    world.despawn(b)
    world.despawn(plain)
    world.step()
    assert log == [CollisionEnded(min(a, b), max(a, b))]
    assert world.resource(PhysicsSpace).shape_count() == 1


def test_a_moved_collider_is_found_where_it_is_now(physics_world):
    world, log = physics_world
    mover = world.create(Transform(0, 0), Collider(radius=5))
    world.step()
    world.component(mover, Transform).y = 300
    world.step()
    target = world.create(Transform(0, 300), Collider(radius=5))
    world.step()
    assert log == [CollisionStarted(min(mover, target), max(mover, target))]
    assert world.component(mover, Collider).at == (0, 300)


def test_contacts_skips_pairs_without_both_types(physics_world):
    world, _ = physics_world
    found = []
    world.add_system(
        lambda w, dt: found.extend((a, b) for a, _, b, _ in contacts(w, Name, Name)),
        Phase.RESOLVE,
    )
    one = world.create(Transform(0, 0), Collider(radius=10), Name("one"))
    two = world.create(Transform(5, 0), Collider(radius=10), Name("two"))
    world.create(Transform(0, 5), Collider(radius=10))  # no Name: in no pair
    world.step()
    assert found == [(one, two), (two, one)]


def test_the_physics_plugin_collides_in_its_phase_and_set(world):
    world.add_plugin(PhysicsPlugin())
    assert [type(s) for s in world.systems(Phase.COLLIDE)] == [CollisionSystem]
    world.add_system(lambda w, dt: None, Phase.COLLIDE, before=Collisions)
    assert type(world.systems(Phase.COLLIDE)[1]) is CollisionSystem
    assert "physics" in world.plugins


def test_a_collider_despawned_before_it_ever_stepped_is_let_go_quietly(physics_world):
    world, log = physics_world
    early = world.create(Transform(0, 0), Collider(radius=10))
    collider = world.component(early, Collider)
    world.despawn(early)
    world.step()
    assert log == [] and collider.shape is None and collider.body is None
    late = world.create(Transform(0, 0), Collider(radius=10))
    world.step()
    collider = world.component(late, Collider)
    assert collider.shape is not None and collider.body is not None
    world.despawn(late)
    world.flush()
    assert collider.shape is None and collider.body is None
    assert world.resource(PhysicsSpace).shape_count() == 0


def test_small_circles_touch_too(physics_world):
    world, log = physics_world
    a = world.create(Transform(0, 0), Collider(radius=0.75))
    b = world.create(Transform(1, 0), Collider(radius=0.75))
    world.step()
    assert log == [CollisionStarted(min(a, b), max(a, b))]


def test_bullets_coming_and_going_leave_no_pymunk_garbage(physics_world):
    """A pymunk Body or Shape is a reference cycle: one made per short-lived collider is
    garbage until the cyclic collector runs (a long-running server's memory, waiting).
    Removed ones are kept and given to the next collider of their size instead."""
    import gc

    import pymunk

    world, _ = physics_world
    physics = world.resource(PhysicsSpace)
    gc.collect()
    gc.disable()
    try:
        for i in range(300):
            bullet = world.create(Transform(i, 0), Collider(radius=3))
            world.step()
            world.despawn(bullet)
            world.step()
        bodies = sum(isinstance(o, pymunk.Body) for o in gc.get_objects())
    finally:
        gc.enable()
    assert bodies <= 2
    assert physics.shapes_made == 1
    assert physics.shape_count() == 0


def test_a_reused_shape_answers_for_its_new_entity_size_and_filter(physics_world):
    world, log = physics_world
    old = world.create(Transform(0, 0), Collider(radius=5, category=2, mask=2))
    world.step()
    reused = world.component(old, Collider).shape
    world.despawn(old)
    world.step()
    target = world.create(Transform(100, 0), Collider(radius=5, category=1, mask=1))
    other = world.create(Transform(0, 0), Collider(radius=5, category=1, mask=1))
    box = world.create(Transform(300, 0), Collider(width=4, height=8))
    world.step()
    assert world.resource(PhysicsSpace).shapes_made == 3  # old's went to target or other
    shapes = {e: world.component(e, Collider).shape for e in (target, other)}
    assert reused in shapes.values()
    assert all(shape.entity == e for e, shape in shapes.items())
    assert (
        world.component(box, Collider).shape.bb.top - world.component(box, Collider).shape.bb.bottom
        == 8
    )
    world.component(other, Transform).x = 95
    world.step()
    assert log[-1] == CollisionStarted(min(target, other), max(target, other))


def test_a_pooled_shape_keeps_its_body_through_a_collection(physics_world):
    """A shape holds its body only in C: the pool must hold the body too, or the cyclic
    collector frees it and the shape comes back bodiless."""
    import gc

    world, log = physics_world
    first = world.create(Transform(0, 0), Collider(radius=7))
    world.step()
    world.despawn(first)
    world.step()
    gc.collect()
    again = world.create(Transform(0, 0), Collider(radius=7))
    near = world.create(Transform(10, 0), Collider(radius=7))
    world.step()
    assert world.resource(PhysicsSpace).shapes_made == 2
    assert log[-1] == CollisionStarted(min(again, near), max(again, near))
