"""Registering replicated components: ids, names and flags, the lines the schema hash covers,
what registration refuses (word for word), and a spec's keys and components."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from engine.components import Transform, Velocity
from engine.net.codec import Quantized, Str, SVarint
from engine.net.replication import MAX_COMPONENT_TYPES, MAX_FIELDS, ReplicationRegistry

POS = Quantized(8, -10000, 10000)


@dataclass
class Hull:
    hitpoints: int
    label: str = ""
    notes: list[str] = field(default_factory=list)
    cache: int = field(init=False, default=0)


def test_ids_follow_registration_and_names_default_to_the_class():
    reg = ReplicationRegistry()
    first = reg.register(Transform, {"x": POS, "y": POS}, interpolate=True)
    second = reg.register(Velocity, {"x": POS}, name="Speed", initial_only=True)
    assert (first.type_id, first.name, first.interpolate, first.initial_only) == (
        1,
        "Transform",
        True,
        False,
    )
    assert (second.type_id, second.name, second.interpolate, second.initial_only) == (
        2,
        "Speed",
        False,
        True,
    )
    assert reg.by_type == {Transform: first, Velocity: second}
    assert reg.by_id == {1: first, 2: second}
    assert [name for name, _ in first.fields] == ["x", "y"]


def test_describe_names_each_type_its_fields_codecs_and_flags():
    reg = ReplicationRegistry()
    reg.register(Transform, {"x": POS, "angle": POS}, interpolate=True)
    reg.register(Velocity, {"y": POS}, name="Speed", initial_only=True)
    reg.register(Hull, {"hitpoints": SVarint(), "label": Str(8)})
    pos = POS.describe()
    assert reg.describe() == [
        f"1 Transform x:{pos} angle:{pos} interpolated",
        f"2 Speed y:{pos} initial-only",
        f"3 Hull hitpoints:{SVarint().describe()} label:{Str(8).describe()}",
    ]


def test_fields_without_a_default_must_be_replicated_the_rest_may_be_left_out():
    reg = ReplicationRegistry()
    spec = reg.register(Hull, {"hitpoints": SVarint()})  # label, notes, cache: defaults
    assert spec.build([7]) == Hull(7)

    @dataclass
    class Pair:
        a: int
        b: int

    with pytest.raises(ValueError) as error:
        reg.register(Pair, {"a": SVarint()})
    assert str(error.value) == (
        "Pair.b is not replicated, so it needs a default for clients to build the component"
    )
    with pytest.raises(ValueError) as error:
        reg.register(Pair, {"a": SVarint(), "c": SVarint()})
    assert str(error.value) == "Pair has no field 'c'"
    assert Pair not in reg.by_type


def test_registration_refusals_word_for_word():
    reg = ReplicationRegistry()
    reg.register(Transform, {"x": POS})
    with pytest.raises(ValueError) as error:
        reg.register(Transform, {"y": POS})
    assert str(error.value) == "Transform is already replicated"

    class Plain:
        x: int = 0

    with pytest.raises(TypeError) as error:
        reg.register(Plain, {"x": SVarint()})
    assert str(error.value) == "Plain must be a dataclass"
    with pytest.raises(ValueError) as error:
        reg.register(Velocity, {})
    assert str(error.value) == f"Velocity: 1..{MAX_FIELDS} replicated fields"
    assert list(reg.by_id) == [1]


def test_a_component_may_replicate_up_to_32_fields():
    def wide(count):
        return dataclasses.make_dataclass(f"Wide{count}", [(f"f{i}", int, 0) for i in range(count)])

    reg = ReplicationRegistry()
    widest = wide(MAX_FIELDS)
    spec = reg.register(widest, {f"f{i}": SVarint() for i in range(MAX_FIELDS)})
    assert len(spec.fields) == 32
    too_wide = wide(MAX_FIELDS + 1)
    with pytest.raises(ValueError, match=r"^Wide33: 1\.\.32 replicated fields$"):
        reg.register(too_wide, {f"f{i}": SVarint() for i in range(MAX_FIELDS + 1)})


def test_a_registry_holds_at_most_255_component_types():
    reg = ReplicationRegistry()
    for n in range(MAX_COMPONENT_TYPES):
        reg.register(dataclasses.make_dataclass(f"C{n}", [("v", int, 0)]), {"v": SVarint()})
    assert max(reg.by_id) == 255
    extra = dataclasses.make_dataclass("Extra", [("v", int, 0)])
    with pytest.raises(ValueError) as error:
        reg.register(extra, {"v": SVarint()})
    assert str(error.value) == "at most 255 replicated component types"


def test_a_spec_turns_components_into_wire_keys_and_back():
    reg = ReplicationRegistry()
    one = reg.register(Velocity, {"y": POS})
    two = reg.register(Transform, {"x": POS, "angle": POS})
    assert one.keys(Velocity(5, 1.26)) == (10,)  # quantized to 1/8
    assert one.keys(Velocity(0, 1e9)) == (80000,)  # clamped to the codec's range
    assert two.keys(Transform(1, 99, -2)) == (8, -16)
    assert two.build((8, -16)) == Transform(1, 0, -2)
    transform = Transform(1, 2, 3)
    two.assign(transform, 1, 40)
    two.assign(transform, 0, -4)
    assert transform == Transform(-0.5, 2, 5)
    with pytest.raises(ValueError):
        two.build((8,))  # every replicated field, no fewer


def test_a_registry_says_whether_a_type_is_registered():
    from engine.net.messages import BroadcastMessage, MessageRegistry

    registry = ReplicationRegistry()
    registry.register(Transform, {"x": Quantized(8, -100, 100), "y": Quantized(8, -100, 100)})
    assert Transform in registry and Velocity not in registry
    assert BroadcastMessage in MessageRegistry() and Transform not in MessageRegistry()
