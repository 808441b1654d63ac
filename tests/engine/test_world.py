"""World: batched structural changes, phase order, system sets and run conditions, events,
the frame's presentation, resources, several worlds at once."""

from dataclasses import dataclass

import pytest

from engine import (
    FIXED_PHASES,
    Phase,
    Role,
    ScheduleError,
    SystemSet,
    World,
    on_network_tick,
)
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
    for phase in reversed(FIXED_PHASES):
        world.add_system(Recorder(f"{phase.name}-1", log), phase)
        world.add_system(Recorder(f"{phase.name}-2", log), phase)
    world.step()
    expected = [f"{p.name}-{i}" for p in FIXED_PHASES for i in (1, 2)]
    assert [label for label, _ in log] == expected


def labels(log):
    return [label for label, _ in log]


def test_before_and_after_a_class_order_against_its_systems(world):
    log = []

    class First(Recorder):
        pass

    class Last(Recorder):
        pass

    world.add_system(First("first", log), Phase.SIMULATE)
    world.add_system(Last("last", log), Phase.SIMULATE)
    world.add_system(Recorder("before-last", log), Phase.SIMULATE, before=Last)
    world.add_system(Recorder("after-first", log), Phase.SIMULATE, after=(First, Last))
    world.add_system(Recorder("before-first", log), Phase.SIMULATE, before=First)
    world.step()
    assert labels(log) == ["before-first", "first", "before-last", "last", "after-first"]
    with pytest.raises(KeyError, match="MovementSystem"):
        world.add_system(Recorder("x", log), Phase.SIMULATE, before=MovementSystem)


def test_a_system_set_has_a_name_and_is_equal_only_to_itself():
    movement = SystemSet("movement")
    assert repr(movement) == "SystemSet('movement')"
    assert movement == movement
    assert movement != SystemSet("movement")
    assert len({movement, SystemSet("movement")}) == 2
    with pytest.raises(ValueError):
        SystemSet("")


def test_ordering_against_a_set_covers_members_added_before_and_after(world):
    log = []
    moving = SystemSet("moving")
    world.add_system(Recorder("a", log), Phase.SIMULATE)
    world.add_system(Recorder("steer", log), Phase.SIMULATE, before=moving)  # no members yet
    world.add_system(Recorder("late", log), Phase.SIMULATE, after=moving)
    world.add_system(Recorder("move-1", log), Phase.SIMULATE, in_set=moving)
    world.add_system(Recorder("b", log), Phase.SIMULATE)
    world.add_system(Recorder("move-2", log), Phase.SIMULATE, in_set=(SystemSet("x"), moving))
    world.step()
    # Registration order, except that "late" first places the members it must follow.
    assert labels(log) == ["a", "steer", "move-1", "move-2", "late", "b"]
    assert [s.label for s in world.systems(Phase.SIMULATE)] == labels(log)


def test_a_set_orders_only_against_members_in_the_same_phase(world):
    log = []
    moving = SystemSet("moving")
    world.add_system(Recorder("resolve-member", log), Phase.RESOLVE, in_set=moving)
    world.add_system(Recorder("simulate", log), Phase.SIMULATE, after=moving)
    world.step()
    assert labels(log) == ["simulate", "resolve-member"]


def test_configure_set_orders_every_member(world):
    log = []
    early, late = SystemSet("early"), SystemSet("late")
    world.add_system(Recorder("late-1", log), Phase.SPAWN, in_set=late)
    world.add_system(Recorder("early-1", log), Phase.SPAWN, in_set=early)
    world.configure_set(early, before=late)
    world.add_system(Recorder("early-2", log), Phase.SPAWN, in_set=early)
    world.add_system(Recorder("free", log), Phase.SPAWN)
    world.step()
    assert labels(log) == ["early-1", "early-2", "late-1", "free"]


def test_a_cycle_is_refused_naming_the_systems_and_changes_nothing(world):
    log = []

    class Alpha(Recorder):
        pass

    class Beta(Recorder):
        pass

    world.add_system(Alpha("alpha", log), Phase.RESOLVE)
    world.add_system(Beta("beta", log), Phase.RESOLVE, after=Alpha)
    with pytest.raises(ScheduleError, match="RESOLVE.*: Alpha -> Beta -> Recorder -> Alpha"):
        world.add_system(Recorder("gamma", log), Phase.RESOLVE, before=Alpha, after=Beta)
    first, second = SystemSet("first"), SystemSet("second")
    world.add_system(Recorder("one", log), Phase.SPAWN, in_set=first, before=second)
    world.add_system(Recorder("two", log), Phase.SPAWN, in_set=second)
    with pytest.raises(ScheduleError, match="Recorder -> Recorder"):
        world.configure_set(second, before=first)
    world.step()
    assert labels(log) == ["alpha", "beta", "one", "two"]


def test_bad_arguments_are_refused(world):
    with pytest.raises(TypeError, match="before="):
        world.add_system(Recorder("x", []), Phase.INPUT, before="MovementSystem")
    with pytest.raises(TypeError, match="in_set="):
        world.add_system(Recorder("x", []), Phase.INPUT, in_set=Recorder)
    with pytest.raises(TypeError, match="run_if="):
        world.add_system(Recorder("x", []), Phase.INPUT, run_if=True)
    with pytest.raises(TypeError):
        world.configure_set("movement", run_if=on_network_tick)
    with pytest.raises(KeyError, match="no MovementSystem"):
        world.configure_set(SystemSet("steering"), before=MovementSystem)
    assert world.systems(Phase.INPUT) == []


def test_run_if_runs_a_system_only_when_every_condition_holds(world):
    log = []
    switches = {"a": True, "b": True}
    world.add_system(Recorder("one", log), Phase.SIMULATE, run_if=lambda w: switches["a"])
    world.add_system(
        Recorder("both", log),
        Phase.SIMULATE,
        run_if=(lambda w: switches["a"], lambda w: switches["b"]),
    )
    world.add_system(Recorder("always", log), Phase.SIMULATE)
    world.step()
    switches["b"] = False
    world.step()
    switches["a"] = False
    world.step()
    assert labels(log) == ["one", "both", "always", "one", "always", "always"]


def test_a_condition_is_checked_just_before_its_system_runs(world):
    log = []
    state = {"open": True}

    def close(w, dt):
        state["open"] = False

    world.add_system(Recorder("before", log), Phase.SPAWN, run_if=lambda w: state["open"])
    world.add_system(close, Phase.SPAWN)
    world.add_system(Recorder("after", log), Phase.SPAWN, run_if=lambda w: state["open"])
    world.step()
    assert labels(log) == ["before"]


def test_a_set_condition_applies_to_every_member_now_and_later(world):
    log = []
    state = {"running": False}
    gated = SystemSet("gated")
    world.add_system(Recorder("early", log), Phase.SPAWN, in_set=gated)
    world.configure_set(gated, run_if=lambda w: state["running"])
    world.add_system(Recorder("late", log), Phase.SPAWN, in_set=gated)
    world.add_system(Recorder("free", log), Phase.SPAWN)
    world.step()
    state["running"] = True
    world.step()
    assert labels(log) == ["free", "early", "late", "free"]


def test_on_network_tick_runs_a_system_on_ticks_only(world):
    ran = []
    world.add_system(lambda w, dt: ran.append(w.time.step), Phase.NETWORK, run_if=on_network_tick)
    world.run(7)
    assert ran == [0, 3, 6]


def test_removing_a_system_reorders_what_is_left(world):
    log = []
    moving = SystemSet("moving")
    member = Recorder("member", log)
    world.add_system(Recorder("after", log), Phase.SIMULATE, after=moving)
    world.add_system(member, Phase.SIMULATE, in_set=moving)
    world.remove_system(member)
    world.step()
    assert labels(log) == ["after"]


# -- presentation ------------------------------------------------------------------------------


def test_step_never_runs_present_systems_and_present_runs_only_them(world):
    log = []
    for phase in Phase:
        world.add_system(Recorder(phase.name, log), phase)
    world.step()
    assert labels(log) == [p.name for p in FIXED_PHASES]
    log.clear()
    world.present(1 / 144, 0.25)
    assert labels(log) == ["PRESENT"]
    assert world.time.alpha == 0.25
    assert world.time.step == 1  # a frame is not a step


def test_present_passes_the_frames_wall_time_and_draws_at_the_last_step_by_default(world):
    seen = []
    world.add_system(lambda w, dt: seen.append((dt, w.time.alpha)), Phase.PRESENT)
    world.present(0.007)
    assert seen == [(0.007, 1.0)]


def test_a_present_system_runs_only_on_frames_its_conditions_allow(world):
    seen = []
    shown = {"on": False}
    world.add_system(
        lambda w, dt: seen.append((w.name, dt)), Phase.PRESENT, run_if=lambda w: shown["on"]
    )
    world.present(0.01)
    shown["on"] = True
    world.present(0.02)
    assert seen == [(world.name, 0.02)]


def test_a_frame_sees_the_events_of_every_step_since_the_last_frame(world):
    seen = []

    def emitter(w, dt):
        w.events.emit(Tag(f"step{w.time.step}"))

    world.add_system(emitter, Phase.SIMULATE)
    world.add_system(lambda w, dt: seen.append([t.name for t in w.events.read(Tag)]), Phase.PRESENT)
    world.step()
    world.step()
    world.present(1 / 30)  # two steps, one frame
    world.present(1 / 120)  # a frame without a step: nothing new
    world.step()
    world.present(1 / 60)
    assert seen == [["step0", "step1"], [], ["step2"]]
    assert len(world.events) == 0


def test_events_a_present_system_emits_last_for_the_frame(world):
    seen = []
    world.add_system(lambda w, dt: w.events.emit(Tag("frame")), Phase.PRESENT)
    world.add_system(lambda w, dt: seen.append(len(w.events.read(Tag))), Phase.PRESENT)
    world.add_system(lambda w, dt: seen.append(("step", len(w.events.read(Tag)))), Phase.INPUT)
    world.present(1 / 60)
    world.step()
    world.present(1 / 60)
    assert seen == [1, ("step", 0), 1]


def test_a_world_without_present_systems_keeps_no_frame_events(world):
    def emitter(w, dt):
        w.events.emit(Tag("e"))

    world.add_system(emitter, Phase.SIMULATE)
    world.run(30)
    assert len(world._frame_events) == 0  # a server keeps nothing for frames it never draws
    seen = []
    world.add_system(lambda w, dt: seen.append(len(w.events.read(Tag))), Phase.PRESENT)
    world.present(1 / 60)
    world.step()
    world.present(1 / 60)
    assert seen == [0, 1]


def test_present_systems_spawn_at_the_end_of_the_frame(world):
    world.add_system(lambda w, dt: w.spawn(Tag("puff")), Phase.PRESENT)
    world.present(1 / 60)
    assert len(world.query(Tag)) == 1


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


# -- the world's smaller promises -------------------------------------------------------------


def test_a_resource_can_be_stored_under_another_type_and_removed(world):
    class Settings:
        pass

    class LanSettings(Settings):
        pass

    world.insert_resource(LanSettings(), as_type=Settings)
    world.insert_resource(Tag("kept"))
    assert isinstance(world.resource(Settings), LanSettings)
    assert world.has_resource(Settings) and not world.has_resource(LanSettings)
    world.remove_resource(Settings)
    world.remove_resource(Settings)  # removing what is gone is harmless
    assert not world.has_resource(Settings) and world.try_resource(Settings) is None
    assert world.resource(Tag).name == "kept"
    with pytest.raises(KeyError) as caught:
        world.resource(Settings)
    assert caught.value.args[0] == (
        f"world {world.name!r} has no resource Settings; is the plugin that provides it added?"
    )


def test_get_system_finds_a_system_by_class_or_says_which_is_missing(world):
    movement = MovementSystem()
    world.add_system(Recorder("x", []), Phase.INPUT)
    world.add_system(movement, Phase.SIMULATE)
    assert world.get_system(MovementSystem) is movement
    with pytest.raises(KeyError) as caught:
        world.get_system(Tag)
    assert caught.value.args[0] == f"world {world.name!r} has no system Tag"


def test_removing_a_system_removes_that_instance_from_every_phase_it_runs_in(world):
    log = []
    twice, other = Recorder("twice", log), Recorder("other", log)
    world.add_system(twice, Phase.INPUT)
    world.add_system(other, Phase.INPUT)
    world.add_system(twice, Phase.RESOLVE)
    world.remove_system(twice)
    world.step()
    assert labels(log) == ["other"]
    assert world.systems(Phase.RESOLVE) == [] and world.systems(Phase.INPUT) == [other]
    world.remove_system(twice)  # not there any more: nothing changes
    assert world.systems(Phase.INPUT) == [other]


def test_an_anchor_class_must_already_run_in_the_phase(world):
    world.add_system(MovementSystem(), Phase.SIMULATE)
    with pytest.raises(KeyError) as caught:
        world.add_system(Recorder("x", []), Phase.COLLIDE, after=MovementSystem)
    assert caught.value.args[0] == f"no MovementSystem in phase COLLIDE of world {world.name!r}"
    with pytest.raises(KeyError) as caught:
        world.configure_set(SystemSet("steering"), before=Recorder)
    assert caught.value.args[0] == f"no Recorder in world {world.name!r}"
    world.configure_set(SystemSet("steering"), before=MovementSystem)  # in some phase: fine


def test_entities_components_and_queries_through_the_world(world):
    first = world.create(Tag("a"), Transform(1, 2))
    second = world.create(Tag("b"))
    assert world.has_component(first, Transform) and not world.has_component(second, Transform)
    assert {type(c) for c in world.components_of(first)} == {Tag, Transform}
    assert sorted(t.name for _, t in world.query_one(Tag)) == ["a", "b"]
    world.remove_component(first, Transform)
    world.remove_component(first, Transform)  # already gone: harmless
    assert world.try_component(first, Transform) is None
    with pytest.raises(KeyError):
        world.component(first, Transform)
    assert world.entity_count() == 2


def test_a_despawned_entity_is_pending_until_the_boundary(world):
    entity = world.create(Tag("doomed"))
    world.despawn(entity)
    assert world.pending_despawns == {entity}
    assert not world.is_alive(entity)
    assert world.has_component(entity, Tag)  # still there until the boundary
    world.flush()
    assert world.pending_despawns == set() and world.entity_count() == 0


def test_a_despawn_hook_may_despawn_and_spawn_in_turn(world):
    parent = world.create(Tag("parent"))
    child = world.create(Tag("child"))
    removed = []

    def hook(entity, parts):
        removed.append(parts[Tag].name)
        if entity == parent:
            world.despawn(child)
            world.spawn(Tag("wreck"))

    world.on_despawn(hook)
    world.despawn(parent)
    world.flush()
    assert removed == ["parent", "child"]
    assert [t.name for _, t in world.query_one(Tag)] == ["wreck"]


def test_a_world_is_named_after_its_role_unless_named_and_closes_once():
    server, client = World(Role.SERVER), World(Role.CLIENT, name="mine")
    try:
        assert server.name.startswith("server-") and client.name == "mine"
        client.step()
        assert repr(client) == "World('mine', role=client, step=1)"
    finally:
        server.close()
        client.close()
    assert client.closed
    client.close()  # twice: harmless
    World(name="mine").close()


def test_a_world_steps_at_its_own_rate(world):
    fast = World(step_hz=30, tick_every=2)
    try:
        steps = []
        fast.add_system(lambda w, dt: steps.append((dt, w.time.is_tick)), Phase.SIMULATE)
        fast.run(3)
        assert steps == [(1 / 30, True), (1 / 30, False), (1 / 30, True)]
        assert fast.time.tick == 1 and fast.time.seconds == pytest.approx(0.1)
    finally:
        fast.close()


def test_present_keeps_the_frames_alpha_even_with_nothing_to_draw(world):
    world.present(1 / 60, 0.25)
    assert world.time.alpha == 0.25


def test_plugins_are_added_in_order(world):
    from engine import Plugin

    order = []

    class First(Plugin):
        def build(self, w):
            order.append("first")

    class Second(Plugin):
        requires = (First,)

        def build(self, w):
            order.append("second")

    world.add_plugins([First(), Second()])
    assert order == ["first", "second"] and list(world.plugins) == ["First", "Second"]


def test_a_world_by_default_serves_at_60_hz_ticks_every_third_step_and_seeds_zero():
    import random

    made = World()
    try:
        assert made.role is Role.SERVER and made.name.startswith("server-")
        assert (made.time.step_hz, made.time.tick_every, made.time.step) == (60, 3, 0)
        assert made.rng.random() == random.Random(0).random()
        assert made.plugins == {} and not made.closed
    finally:
        made.close()


def test_a_despawn_hook_sees_every_component_and_runs_once_per_entity(world):
    seen = []
    world.on_despawn(lambda entity, parts: seen.append((entity, sorted(t.__name__ for t in parts))))
    world.on_despawn(lambda entity, parts: seen.append(entity))
    kept = world.create(Tag("kept"))
    gone = world.create(Tag("gone"), Transform(1, 2))
    world.despawn(gone)
    world.despawn(gone)
    world.flush()
    world.flush()
    assert seen == [(gone, ["Tag", "Transform"]), gone]
    assert world.is_alive(kept) and not world.is_alive(gone)


def test_a_despawned_entity_is_gone_from_queries_after_the_boundary(world):
    first = world.create(Tag("a"))
    world.create(Tag("b"))
    world.despawn(first)
    assert world.is_alive(first) is False
    assert len(world.query_one(Tag)) == 2  # still there until the boundary
    world.step()
    assert [tag.name for _, tag in world.query_one(Tag)] == ["b"]
    assert world.try_component(first, Tag) is None


def test_resources_are_found_only_under_the_type_they_were_stored_as(world):
    world.insert_resource(Tag("t"))
    assert world.try_resource(Tag) == Tag("t") and world.has_resource(Tag)
    with pytest.raises(KeyError) as error:
        world.resource(Transform)
    assert error.value.args[0] == (
        f"world {world.name!r} has no resource Transform; is the plugin that provides it added?"
    )


def test_a_spawn_despawned_before_the_boundary_does_not_stop_the_spawns_after_it(world):
    first = world.spawn(Tag("first"))
    second = world.spawn(Tag("second"))
    world.despawn(first)
    world.flush()
    assert world.component(second, Tag) == Tag("second")
    assert not world.is_alive(first)


def test_a_first_frame_sees_no_events_from_steps_before_it_had_anything_to_draw(world):
    world.events.emit(Tag("early"))
    world.step()
    seen = []
    world.add_system(lambda w, dt: seen.extend(w.events.read(Tag)), Phase.PRESENT)
    world.present(1 / 60)
    assert seen == []


def test_a_component_added_right_after_spawn_is_kept_at_the_boundary(world):
    entity = world.spawn(Tag("spawned"), Transform(1, 2))
    world.add_component(entity, Tag("added later"))  # the later one wins
    world.add_component(entity, Velocity(3, 4))
    assert world.component(entity, Tag).name == "added later"  # seen before the boundary too
    assert world.query(Tag) == []  # still attached only at the boundary
    world.flush()
    assert world.component(entity, Tag).name == "added later"
    assert world.component(entity, Velocity) == Velocity(3, 4)
    assert world.component(entity, Transform).y == 2


def test_a_component_removed_right_after_spawn_stays_removed(world):
    entity = world.spawn(Tag("spawned"), Transform(1, 2))
    world.remove_component(entity, Tag)
    assert not world.has_component(entity, Tag)
    assert world.try_component(entity, Tag) is None
    world.flush()
    assert not world.has_component(entity, Tag)
    assert world.has_component(entity, Transform)
