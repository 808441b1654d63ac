"""Scheduling details: conditions shared by a system and its sets, set configurations that add
up or roll back, sets ordered against themselves, and the names errors give."""

from __future__ import annotations

import pytest

from engine import Phase, ScheduleError, SystemSet
from engine.schedule import system_name


class Named:
    def __init__(self, label, log):
        self.label, self.log = label, log

    def update(self, world, dt):
        self.log.append(self.label)


def test_a_condition_shared_by_a_system_and_its_sets_is_asked_once_a_step(world):
    asked = []

    def gate(w):
        asked.append(w.time.step)
        return True

    ran = []
    one, two = SystemSet("one"), SystemSet("two")
    world.configure_set(one, run_if=gate)
    world.configure_set(two, run_if=gate)
    world.add_system(
        lambda w, dt: ran.append(w.time.step), Phase.SPAWN, in_set=(one, two), run_if=gate
    )
    world.run(2)
    assert asked == [0, 1] and ran == [0, 1]


def test_set_conditions_add_up_over_calls(world):
    gated = SystemSet("gated")
    switches = {"a": True, "b": True}
    ran = []
    world.add_system(lambda w, dt: ran.append(w.time.step), Phase.SPAWN, in_set=gated)
    world.configure_set(gated, run_if=lambda w: switches["a"])
    world.configure_set(gated, run_if=lambda w: switches["b"])
    world.step()
    switches["a"] = False
    world.step()
    switches["a"], switches["b"] = True, False
    world.step()
    assert ran == [0]


def test_a_set_configuration_that_makes_a_cycle_is_undone_and_the_earlier_one_kept(world):
    log = []
    early, late = SystemSet("early"), SystemSet("late")
    world.add_system(Named("late", log), Phase.SPAWN, in_set=late)
    world.add_system(Named("early", log), Phase.SPAWN, in_set=early)
    world.configure_set(early, before=late)
    with pytest.raises(ScheduleError) as error:
        world.configure_set(early, after=late)
    assert str(error.value) == "systems in phase SPAWN cannot be ordered: Named -> Named -> Named"
    world.step()
    assert log == ["early", "late"]
    fresh = SystemSet("fresh")
    world.add_system(Named("fresh", log), Phase.SPAWN, in_set=fresh, after=late)
    with pytest.raises(ScheduleError):
        world.configure_set(fresh, before=early)
    log.clear()
    world.add_system(Named("after-fresh", log), Phase.SPAWN, in_set=early)
    world.step()
    assert log == ["early", "after-fresh", "late", "fresh"]


def test_a_lone_member_may_order_against_its_own_set(world):
    own = SystemSet("own")
    log = []
    world.add_system(Named("a", log), Phase.SPAWN, in_set=own, after=own)
    world.configure_set(own, before=own)
    world.step()
    assert log == ["a"]


def test_a_cycle_is_named_from_its_earliest_registered_system(world):
    class First(Named):
        pass

    class Second(Named):
        pass

    class Third(Named):
        pass

    log = []
    world.add_system(First("1", log), Phase.RESOLVE)
    world.add_system(Second("2", log), Phase.RESOLVE, before=First)
    with pytest.raises(ScheduleError) as error:
        world.add_system(Third("3", log), Phase.RESOLVE, after=First, before=Second)
    assert str(error.value) == (
        "systems in phase RESOLVE cannot be ordered: First -> Third -> Second -> First"
    )
    world.step()
    assert log == ["2", "1"]


def test_systems_are_placed_after_what_they_follow_earliest_registered_first(world):
    log = []
    tail = SystemSet("tail")
    world.add_system(Named("z", log), Phase.SPAWN, after=tail)
    world.add_system(Named("b", log), Phase.SPAWN, in_set=tail)
    world.add_system(Named("a", log), Phase.SPAWN, in_set=tail)
    world.add_system(Named("free", log), Phase.SPAWN)
    world.step()
    assert log == ["b", "a", "z", "free"]


def test_set_names_and_system_names_read_well():
    assert repr(SystemSet("movement")) == "SystemSet('movement')"
    assert SystemSet("movement") != SystemSet("movement")
    with pytest.raises(ValueError, match="^a SystemSet needs a name$"):
        SystemSet("")

    def steer(world, dt):
        pass

    assert system_name(Named) == "Named"
    assert system_name(Named("x", [])) == "Named"
    assert system_name(steer).endswith("<locals>.steer")
    assert system_name(print) == "print"


def test_argument_errors_word_for_word(world):
    def refused(error_type, **kwargs):
        with pytest.raises(error_type) as error:
            world.add_system(Named("x", []), Phase.INPUT, **kwargs)
        return str(error.value)

    assert refused(TypeError, before="x") == (
        "before= takes a SystemSet, a system class or a tuple of them, not 'x'"
    )
    assert refused(TypeError, after=(SystemSet("s"), 3)) == (
        "after= takes a SystemSet, a system class or a tuple of them, not 3"
    )
    assert refused(TypeError, in_set=(SystemSet("s"), "t")) == (
        "in_set= takes a SystemSet or a tuple of them, not 't'"
    )
    assert refused(TypeError, run_if=(lambda w: True, 1)) == (
        "run_if= takes functions (world) -> bool or a tuple of them: 1"
    )
    with pytest.raises(TypeError) as error:
        world.configure_set("movement")
    assert str(error.value) == "configure_set takes a SystemSet, not 'movement'"
    with pytest.raises(KeyError) as error:
        world.configure_set(SystemSet("s"), after=Named)
    assert error.value.args[0] == f"no Named in world {world.name!r}"
    with pytest.raises(KeyError) as error:
        world.add_system(Named("x", []), Phase.SPAWN, after=Named)
    assert error.value.args[0] == f"no Named in phase SPAWN of world {world.name!r}"
    assert world.systems(Phase.INPUT) == world.systems(Phase.SPAWN) == []
