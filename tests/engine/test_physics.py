"""Collision detection: begin/end events, category filtering, bodies following transforms."""

from dataclasses import dataclass

import pytest

from engine import Phase
from engine.components import Transform
from engine.physics import (
    Collider,
    CollisionEnded,
    CollisionStarted,
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
