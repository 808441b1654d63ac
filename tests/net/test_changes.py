"""Change tracking: the encoder compares only what was written or restructured since its
last capture, and still sees every change, however it was made (engine/net/changes.py,
World.watch_structure)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine import Role, World
from engine.components import Transform
from engine.net import changes
from engine.net.codec import SVarint
from engine.net.replication import Replicated, ReplicationRegistry, SnapshotEncoder
from tests.net.replicated import HULL, TRANSFORM, Hull, registry
from tests.net.snapshot_wire import WireView


@pytest.fixture
def server():
    world = World(Role.SERVER)
    yield world
    world.close()


def test_the_world_notes_every_structural_change(server):
    watch = server.watch_structure()
    made = server.create(Transform())
    later = server.spawn(Transform())
    assert watch.take() == {made}  # a spawn's components attach at the boundary
    server.flush()
    assert watch.take() == {later}
    server.add_component(made, Hull())
    server.remove_component(later, Transform)
    assert watch.take() == {made, later}
    server.despawn(made)
    assert watch.take() == {made}
    server.flush()
    assert watch.take() == {made}
    server.component(later, Replicated) if server.has_component(later, Replicated) else None
    assert watch.take() == set()  # reading is not a change
    del watch  # a dropped watcher is forgotten
    server.create(Transform())
    assert server._watches == []  # noqa: SLF001


def test_an_idle_world_costs_no_comparison(server):
    encoder = SnapshotEncoder(registry())
    for index in range(200):
        server.create(Replicated(), Transform(index, index), Hull(index))
    encoder.encode_delta(server)
    assert encoder.last_stats.compared == 0 and encoder.last_stats.spawns == 200
    for _ in range(3):
        encoder.encode_delta(server)
        assert encoder.last_stats.compared == 0
        assert encoder.last_stats.updates == 0


def test_in_place_writes_are_seen_and_only_they_are_compared(server):
    encoder, wire = SnapshotEncoder(registry()), WireView(registry())
    ships = [server.create(Replicated(), Transform(i, 0), Hull(10)) for i in range(50)]
    wire.read(encoder.encode_delta(server))
    transform = server.component(ships[7], Transform)
    transform.x += 2.5  # a system moving it in place
    transform.y += 0.01  # less than the codec can tell: written, not changed
    server.component(ships[9], Hull).hitpoints -= 3
    server.component(ships[11], Hull).label = ""  # the same value again
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(8, [(TRANSFORM, 0b01)]), (10, [(HULL, 0b01)])]
    assert encoder.last_stats.compared == 3  # three components written, 47 never looked at
    assert wire.keys[8][TRANSFORM] == [76, 0]


def test_writes_between_captures_count_once_and_a_change_and_back_costs_nothing(server):
    encoder, wire = SnapshotEncoder(registry()), WireView(registry())
    ship = server.create(Replicated(), Transform(0, 0), Hull(5))
    wire.read(encoder.encode_delta(server))
    transform = server.component(ship, Transform)
    for _ in range(6):  # three steps of a system writing x and y
        transform.x += 1
        transform.y += 1
    body = wire.read(encoder.encode_delta(server))
    assert encoder.last_stats.compared == 1
    assert body.updates == [(1, [(TRANSFORM, 0b11)])]
    transform.x += 5
    transform.x -= 5
    assert wire.read(encoder.encode_delta(server)).updates == []


def test_two_encoders_of_one_world_both_see_every_write(server):
    first, second = SnapshotEncoder(registry()), SnapshotEncoder(registry())
    ship = server.create(Replicated(), Transform(0, 0))
    first.encode_delta(server)
    second.encode_delta(server)
    server.component(ship, Transform).x = 4
    first.encode_delta(server)  # reads the journal first
    body = WireView(registry())
    body.read(second.encode(0)[1], full=True)
    second.capture(server, 2)
    assert second.last_stats.updates == 1


def test_a_journal_that_overflows_makes_its_reader_compare_everything(server, monkeypatch):
    monkeypatch.setattr(changes, "JOURNAL_LIMIT", 10)
    encoder, wire = SnapshotEncoder(registry()), WireView(registry())
    ships = [server.create(Replicated(), Transform(i, 0)) for i in range(5)]
    wire.read(encoder.encode_delta(server))
    other = World(Role.SERVER)  # someone else writing a lot of hooked components
    try:
        crowd = [Transform() for _ in range(20)]
        for transform in crowd:
            transform.x = 1.0
        server.component(ships[3], Transform).y = 7
        reader = changes.JournalReader()  # another reader reads: the journal is cut
        reader.read()
        body = wire.read(encoder.encode_delta(server))
        assert body.updates == [(4, [(TRANSFORM, 0b10)])]
        assert encoder.last_stats.compared == 5  # it compared all it tracks
    finally:
        other.close()


def test_a_type_hooked_anew_is_compared_whole_once(server):
    encoder, wire = SnapshotEncoder(registry()), WireView(registry())
    ship = server.create(Replicated(), Transform(0, 0), Hull(1))
    wire.read(encoder.encode_delta(server))
    changes.unwatch(Hull)  # someone took the hook off: writes went unseen
    server.component(ship, Hull).hitpoints = 9
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(HULL, 0b01)])]
    assert changes.epoch(Hull) is not None  # hooked again
    server.component(ship, Hull).hitpoints = 10
    assert wire.read(encoder.encode_delta(server)).updates == [(1, [(HULL, 0b01)])]


def test_a_replaced_component_is_compared_and_its_successor_tracked(server):
    encoder, wire = SnapshotEncoder(registry()), WireView(registry())
    ship = server.create(Replicated(), Transform(0, 0))
    wire.read(encoder.encode_delta(server))
    server.add_component(ship, Transform(8, 0))  # replaced, not written
    assert wire.read(encoder.encode_delta(server)).updates == [(1, [(TRANSFORM, 0b01)])]
    server.component(ship, Transform).y = 1  # the new instance's writes are seen
    assert wire.read(encoder.encode_delta(server)).updates == [(1, [(TRANSFORM, 0b10)])]


@dataclass(frozen=True)
class Frozen:
    value: int = 0


@dataclass
class Own:
    value: int = 0
    seen: int = 0

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, "seen", self.seen + 1 if name != "seen" else value)
        object.__setattr__(self, name, value)


def test_frozen_types_are_left_alone_and_a_types_own_setattr_still_runs(server):
    reg = ReplicationRegistry()
    reg.register(Frozen, {"value": SVarint()})
    reg.register(Own, {"value": SVarint()})
    encoder, wire = SnapshotEncoder(reg), WireView(reg)
    thing = server.create(Replicated(), Frozen(1), Own(1))
    wire.read(encoder.encode_delta(server))
    assert "_hook" not in Frozen.__setattr__.__qualname__  # the dataclass's own, refusing
    own = server.component(thing, Own)
    own.value = 5
    assert own.seen == 1  # its own __setattr__ ran once, under the hook
    server.add_component(thing, Frozen(2))  # a frozen component changes by replacement
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(1, 0b1), (2, 0b1)])]
    assert wire.keys[1] == {1: [2], 2: [5]}


def test_a_clients_decoder_writes_past_the_journal(server):
    from engine.net.replication import SnapshotDecoder

    reg = registry()
    encoder = SnapshotEncoder(reg)  # hooks Transform in this process
    ship = server.create(Replicated(), Transform(0, 0))
    client = World(Role.CLIENT)
    try:
        decoder = SnapshotDecoder(reg, smooth=False)
        decoder.apply(client, 1, 0, encoder.encode_delta(server))
        reader = changes.JournalReader()
        server.component(ship, Transform).x = 4  # the server's write: journaled
        decoder.apply(client, 2, 1, encoder.encode_delta(server))
        mine = client.component(decoder.entities[1], Transform)
        assert mine.x == 4
        written = reader.read()
        assert id(server.component(ship, Transform)) in written
        assert id(mine) not in written  # the client's copy was written past the hook
        mine.y = 1  # while the client's own systems' writes go through it like any
        assert id(mine) in reader.read()
    finally:
        client.close()
