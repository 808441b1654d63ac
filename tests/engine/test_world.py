"""World: batched structural changes, phase order, events, resources, several worlds at once."""

from dataclasses import dataclass

import pytest

from engine import PHASES, Phase, Role, World
from engine.components import Transform, Velocity
from engine.movement import MovementSystem


@dataclass
class Tag:
    name: str


class Recorder:
    """A system that notes what it saw, to assert on order and visibility."""

    def __init__(self, label, log, probe=None):
        self.label, self.log, self.probe = label, log, probe

    def update(self, world, dt):
        self.log.append((self.label, self.probe(world) if self.probe else None))


def test_spawned_components_attach_at_the_next_phase_boundary(world):
    seen = []

    def spawner(w, dt):
        if w.time.step == 0:
            w.spawn(Tag("new"))
        seen.append(("same phase", len(w.query(Tag))))

    world.add_system(spawner, Phase.SIMULATE)
    world.add_system(Recorder("later phase", seen, lambda w: len(w.query(Tag))), Phase.COLLIDE)
    world.step()
    assert seen == [("same phase", 0), ("later phase", 1)]


def test_spawn_returns_the_entity_that_later_holds_the_components(world):
    entity = world.spawn(Tag("a"), Transform(1, 2))
    world.flush()
    assert world.component(entity, Tag).name == "a"
    assert world.component(entity, Transform).y == 2


def test_despawn_takes_effect_at_the_phase_boundary_and_twice_is_harmless(world):
    victim = world.create(Tag("v"))
    seen = []

    def killer(w, dt):
        w.despawn(victim)
        w.despawn(victim)
        seen.append(("same phase", w.is_alive(victim), len(w.query(Tag))))

    world.add_system(killer, Phase.RESOLVE)
    world.add_system(Recorder("next", seen, lambda w: len(w.query(Tag))), Phase.SPAWN)
    world.step()
    assert seen == [("same phase", False, 1), ("next", 0)]
    world.despawn(victim)  # already gone: no error
    world.flush()


def test_spawn_then_despawn_in_one_phase_leaves_nothing(world):
    def flicker(w, dt):
        w.despawn(w.spawn(Tag("blink")))

    world.add_system(flicker, Phase.SPAWN)
    world.step()
    assert world.query(Tag) == []
    assert world.entity_count() == 0


def test_despawn_hooks_see_the_components_before_removal(world):
    removed = []
    world.on_despawn(lambda entity, parts: removed.append((entity, parts[Tag].name)))
    entity = world.create(Tag("gone"))
    world.despawn(entity)
    world.flush()
    assert removed == [(entity, "gone")]


def test_phases_run_in_order_and_systems_in_registration_order(world):
    log = []
    for phase in reversed(PHASES):
        world.add_system(Recorder(f"{phase.name}-1", log), phase)
        world.add_system(Recorder(f"{phase.name}-2", log), phase)
    world.step()
    expected = [f"{p.name}-{i}" for p in PHASES for i in (1, 2)]
    assert [label for label, _ in log] == expected


def test_before_and_after_place_a_system_next_to_a_named_one(world):
    log = []

    class First(Recorder):
        pass

    class Last(Recorder):
        pass

    world.add_system(First("first", log), Phase.SIMULATE)
    world.add_system(Last("last", log), Phase.SIMULATE)
    world.add_system(Recorder("before-last", log), Phase.SIMULATE, before=Last)
    world.add_system(Recorder("after-first", log), Phase.SIMULATE, after=First)
    world.step()
    assert [label for label, _ in log] == ["first", "after-first", "before-last", "last"]
    with pytest.raises(KeyError, match="MovementSystem"):
        world.add_system(Recorder("x", log), Phase.SIMULATE, before=MovementSystem)


def test_events_reach_later_systems_in_emit_order_and_end_with_the_step(world):
    seen = []

    def emitter(w, dt):
        for n in range(3):
            w.events.emit(Tag(f"e{w.time.step}-{n}"))

    def reader(w, dt):
        seen.append([t.name for t in w.events.read(Tag)])

    world.add_system(reader, Phase.INPUT)  # runs before the emitter: sees nothing
    world.add_system(emitter, Phase.SIMULATE)
    world.add_system(reader, Phase.RESOLVE)
    world.step()
    world.step()
    assert seen == [[], ["e0-0", "e0-1", "e0-2"], [], ["e1-0", "e1-1", "e1-2"]]
    assert len(world.events) == 0


def test_resources_are_per_world_and_missing_ones_say_which(world):
    world.insert_resource(Tag("config"))
    assert world.resource(Tag).name == "config"
    assert world.try_resource(Velocity) is None
    with pytest.raises(KeyError, match="no resource Velocity"):
        world.resource(Velocity)


def test_time_counts_steps_and_ticks(world):
    ticks = []
    world.add_system(lambda w, dt: ticks.append(w.time.is_tick), Phase.NETWORK)
    world.run(7)
    assert world.time.step == 7
    assert world.time.seconds == pytest.approx(7 / 60)
    assert ticks == [True, False, False, True, False, False, True]


def test_two_worlds_in_one_process_do_not_share_entities_systems_or_resources():
    a, b = World(Role.SERVER, seed=1), World(Role.CLIENT, seed=1)
    try:
        a.add_system(MovementSystem(), Phase.SIMULATE)
        ea = a.create(Transform(0, 0), Velocity(60, 0))
        eb = b.create(Transform(0, 0), Velocity(60, 0))
        a.insert_resource(Tag("only in a"))
        for _ in range(30):  # interleaved, as single-player and tests run them
            a.step()
            b.step()
        assert a.component(ea, Transform).x == pytest.approx(30)
        assert b.component(eb, Transform).x == 0  # b has no movement system
        assert b.try_resource(Tag) is None
        b.despawn(eb)
        b.flush()
        assert a.is_alive(ea) and not b.is_alive(eb)
        assert a.entity_count() == 1 and b.entity_count() == 0
    finally:
        a.close()
        b.close()


def test_world_names_are_unique_and_closing_frees_the_name():
    first = World(name="arena")
    with pytest.raises(ValueError, match="already exists"):
        World(name="arena")
    first.close()
    World(name="arena").close()


def test_same_seed_same_random_stream():
    a, b = World(seed=42), World(seed=42)
    try:
        assert [a.rng.random() for _ in range(5)] == [b.rng.random() for _ in range(5)]
    finally:
        a.close()
        b.close()


def test_a_non_callable_system_is_refused(world):
    with pytest.raises(TypeError):
        world.add_system(object(), Phase.INPUT)  # type: ignore[arg-type]


def test_role_is_kept(world):
    assert world.role is Role.SERVER


def test_a_query_sees_a_component_added_before_another_world_was_touched():
    """esper 3.6 and 3.7 lost a world's "cache dirty" flag when switching worlds: a query
    cached in world A, a component added in A, a call on world B, and A's next query was
    stale. The pinned esper (3.8+) fixed it."""
    first, second = World(Role.SERVER), World(Role.SERVER)
    try:
        old = first.create(Tag("old"))
        assert [e for e, _ in first.query(Tag)] == [old]  # cached in esper
        new = first.create(Tag("new"))
        first.add_component(old, Transform(1, 2))
        second.create(Tag("elsewhere"))
        assert sorted(e for e, _ in first.query(Tag)) == [old, new]
        assert [e for e, _ in first.query(Tag, Transform)] == [old]
        assert [c.name for _, (c,) in second.query(Tag)] == ["elsewhere"]
    finally:
        first.close()
        second.close()
