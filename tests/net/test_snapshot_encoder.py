"""The server's side of replication, read off the wire: which records a snapshot body holds,
in which order, with which field masks, and what a joiner's full state carries."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from engine import Role, World
from engine.components import Transform, Velocity
from engine.net.codec import ListOf, SVarint
from engine.net.replication import (
    FLAG_SPAWN_ONLY,
    NetIds,
    Replicated,
    ReplicationRegistry,
    SnapshotEncoder,
)
from tests.net.replicated import HULL, TRANSFORM, VELOCITY, Hull, registry
from tests.net.snapshot_wire import WireView, write_body

IDLE = write_body(registry())  # a body with no records


@dataclass
class Cargo:
    items: list[int] = field(default_factory=list)


@dataclass
class Unreplicated:
    value: int = 0


@pytest.fixture
def server():
    world = World(Role.SERVER)
    yield world
    world.close()


@pytest.fixture
def encoder():
    return SnapshotEncoder(registry())


@pytest.fixture
def wire():
    return WireView(registry())


def net_id(world, entity):
    return world.component(entity, Replicated).net_id


def test_net_ids_count_up_from_one_and_are_written_into_replicated(server, encoder, wire):
    first = server.create(Replicated(), Transform())
    second = server.create(Replicated(), Transform())
    body = wire.read(encoder.encode_delta(server))
    assert sorted((net_id(server, first), net_id(server, second))) == [1, 2]
    assert [s[0] for s in body.spawns] == [1, 2]
    assert encoder.entity_for(net_id(server, first)) == first
    assert encoder.entity_for(99) is None
    ids = NetIds()
    assert [ids.allocate() for _ in range(3)] == [1, 2, 3]


def test_a_net_id_taken_early_is_kept_and_the_next_ones_follow_it(server, wire):
    ids = NetIds()
    early = ids.allocate()
    encoder = SnapshotEncoder(registry(), ids)
    assert encoder.ids is ids
    later = server.create(Replicated(), Transform())
    mine = server.create(Replicated(net_id=early), Transform())
    body = wire.read(encoder.encode_delta(server))
    assert net_id(server, mine) == early == 1
    assert net_id(server, later) == 2
    assert [s[0] for s in body.spawns] == [1, 2]


def test_records_travel_in_net_id_order_whatever_the_entity_order(server, wire):
    ids = NetIds()
    high, low = ids.allocate(), ids.allocate()
    encoder = SnapshotEncoder(registry(), ids)
    a = server.create(Replicated(net_id=low), Transform(), Hull(1))
    b = server.create(Replicated(net_id=high), Transform(), Hull(1))
    body = wire.read(encoder.encode_delta(server))
    assert [s[0] for s in body.spawns] == [high, low] == [1, 2]
    for entity in (a, b):
        server.component(entity, Transform).x = 5
    body = wire.read(encoder.encode_delta(server))
    assert [u[0] for u in body.updates] == [1, 2]
    server.remove_component(a, Hull)  # net id 2 loses component 3
    server.remove_component(b, Transform)  # net id 1 loses component 1
    server.remove_component(a, Transform)  # net id 2 loses component 1
    body = wire.read(encoder.encode_delta(server))
    assert body.removals == [(1, TRANSFORM), (2, TRANSFORM), (2, HULL)]
    server.despawn(a)
    server.despawn(b)
    server.flush()
    body = wire.read(encoder.encode_delta(server))
    assert body.despawns == [1, 2]


def test_the_same_world_built_in_another_order_encodes_to_the_same_bytes():
    def build(order):
        world = World(Role.SERVER)
        try:
            ids = NetIds()
            wanted = {1: ids.allocate(), 2: ids.allocate(), 3: ids.allocate()}
            encoder = SnapshotEncoder(registry(), ids)
            made = {}
            for n in order:
                made[n] = world.create(Replicated(net_id=wanted[n]), Hull(n), Transform(n, n))
            bodies = [encoder.encode_delta(world)]
            for n in order:
                world.component(made[n], Transform).y = 10 * n
                world.component(made[n], Hull).hitpoints = 100 * n
            bodies.append(encoder.encode_delta(world))
            bodies.append(encoder.full_state(world))
            return bodies
        finally:
            world.close()

    assert build([1, 2, 3]) == build([3, 1, 2]) == build([2, 3, 1])


def test_a_spawn_carries_every_replicated_component_by_id_and_its_flags(server, encoder, wire):
    plane = server.create(Hull(7, "ace"), Unreplicated(3), Transform(1, 2), Replicated())
    bullet = server.create(Velocity(0, -300), Transform(4, 5), Replicated(spawn_only=True))
    body = wire.read(encoder.encode_delta(server))
    assert body.spawns == [
        (net_id(server, plane), 0, [TRANSFORM, HULL]),
        (net_id(server, bullet), FLAG_SPAWN_ONLY, [TRANSFORM, VELOCITY]),
    ]
    assert wire.keys[net_id(server, plane)] == {TRANSFORM: [8, 16], HULL: [7, "ace"]}
    assert wire.keys[net_id(server, bullet)] == {TRANSFORM: [32, 40], VELOCITY: [0, -2400]}
    assert (body.updates, body.removals, body.despawns) == ([], [], [])
    assert (encoder.last_stats.spawns, encoder.last_stats.updates) == (2, 0)


def test_an_entity_without_replicated_is_never_sent(server, encoder, wire):
    loose = server.create(Transform(1, 1), Hull(1))
    server.create(Replicated(), Transform())
    wire.read(encoder.encode_delta(server))
    server.component(loose, Transform).x = 50
    server.remove_component(loose, Hull)
    body = wire.read(encoder.encode_delta(server))
    assert (body.spawns, body.updates, body.removals) == ([], [], [])


def test_an_update_masks_exactly_the_fields_that_changed(server, encoder, wire):
    ship = server.create(Replicated(), Transform(0, 0), Hull(10, "a"))
    wire.read(encoder.encode_delta(server))
    server.component(ship, Transform).y = 2
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(TRANSFORM, 0b10)])]
    server.component(ship, Transform).x = -3
    server.component(ship, Hull).label = "b"
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(TRANSFORM, 0b01), (HULL, 0b10)])]
    server.component(ship, Transform).x = 9
    server.component(ship, Transform).y = -9
    server.component(ship, Hull).hitpoints = 4
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(TRANSFORM, 0b11), (HULL, 0b01)])]
    assert wire.keys[1] == {TRANSFORM: [72, -72], HULL: [4, "b"]}
    assert encoder.last_stats.updates == 1


def test_changes_are_sent_in_a_tick_where_other_entities_spawn_and_despawn(server, encoder, wire):
    moving = server.create(Replicated(), Transform(0, 0), Hull(5))
    leaving = server.create(Replicated(), Transform(0, 0), Hull(5))
    wire.read(encoder.encode_delta(server))
    server.create(Replicated(), Transform(1, 1), Hull(1))
    server.despawn(leaving)
    server.flush()
    server.component(moving, Transform).x = 20
    server.component(moving, Hull).hitpoints = 4
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(TRANSFORM, 0b01), (HULL, 0b01)])]
    assert [s[0] for s in body.spawns] == [3]
    assert body.despawns == [2]
    assert wire.keys[1] == {TRANSFORM: [160, 0], HULL: [4, ""]}
    stats = encoder.last_stats
    assert (stats.spawns, stats.updates, stats.despawns) == (1, 1, 1)


def test_a_list_field_is_diffed_even_when_entities_come_and_go():
    reg = ReplicationRegistry()
    reg.register(Cargo, {"items": ListOf(SVarint(), 8)})
    server = World(Role.SERVER)
    try:
        encoder, wire = SnapshotEncoder(reg), WireView(reg)
        ship = server.create(Replicated(), Cargo([1]))
        still = server.create(Replicated(), Cargo([2]))
        wire.read(encoder.encode_delta(server))
        server.component(ship, Cargo).items = [1, 2]
        body = wire.read(encoder.encode_delta(server))
        assert body.updates == [(1, [(1, 0b1)])]
        server.create(Replicated(), Cargo([3]))  # a new entity: compared entity by entity
        server.component(ship, Cargo).items = [7]
        body = wire.read(encoder.encode_delta(server))
        assert body.updates == [(1, [(1, 0b1)])]
        assert [list(parts[1][0]) for _, parts in sorted(wire.keys.items())] == [[7], [2], [3]]
        assert net_id(server, still) == 2
    finally:
        server.close()


def test_an_entity_despawned_this_step_is_only_despawned(server, encoder, wire):
    ship = server.create(Replicated(), Transform(0, 0))
    never = server.create(Replicated(), Transform(0, 0))
    server.despawn(never)  # not flushed yet: already gone for peers
    body = wire.read(encoder.encode_delta(server))
    assert [s[0] for s in body.spawns] == [net_id(server, ship)]
    server.component(ship, Transform).x = 30
    server.remove_component(ship, Transform)
    server.despawn(ship)
    body = wire.read(encoder.encode_delta(server))
    assert (body.updates, body.removals, body.despawns) == ([], [], [net_id(server, ship)])
    assert encoder.last_stats.despawns == 1
    server.flush()
    body = wire.read(encoder.encode_delta(server))
    assert body.despawns == []


def test_a_component_added_later_travels_whole_and_a_removed_one_as_a_removal(
    server, encoder, wire
):
    ship = server.create(Replicated(), Transform(0, 0))
    wire.read(encoder.encode_delta(server))
    server.add_component(ship, Hull(3, "new"))
    server.add_component(ship, Velocity(1, 2))
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(VELOCITY, 0), (HULL, 0)])]
    assert wire.keys[1] == {TRANSFORM: [0, 0], VELOCITY: [8, 16], HULL: [3, "new"]}
    server.remove_component(ship, Velocity)
    body = wire.read(encoder.encode_delta(server))
    assert body.removals == [(1, VELOCITY)]
    assert body.updates == []
    server.add_component(ship, Velocity(5, 5))  # back again: whole, once more
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(VELOCITY, 0)])]
    assert wire.keys[1][VELOCITY] == [40, 40]


def test_initial_only_components_and_spawn_only_entities_are_never_diffed(server, encoder, wire):
    plane = server.create(Replicated(), Transform(0, 0), Velocity(10, 0))
    bullet = server.create(Replicated(spawn_only=True), Transform(0, 0), Hull(1))
    wire.read(encoder.encode_delta(server))
    server.component(plane, Velocity).x = 99
    server.component(bullet, Transform).x = 99
    server.component(bullet, Hull).hitpoints = 0
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == []
    server.component(plane, Transform).x = 1  # the rest of the plane still travels
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(net_id(server, plane), [(TRANSFORM, 0b01)])]
    assert wire.keys[net_id(server, plane)][VELOCITY] == [80, 0]


def test_an_idle_world_sends_four_zero_counts(server, encoder):
    server.create(Replicated(), Transform(0, 0), Hull(1))
    encoder.encode_delta(server)
    assert encoder.encode_delta(server) == IDLE == b"\x8c"  # 1 000 1 1 00: no records
    assert encoder.last_stats.spawns == encoder.last_stats.updates == 0


def test_a_full_state_is_every_live_entity_as_last_sent(server, encoder, wire):
    ids = encoder.ids
    late, early = ids.allocate(), ids.allocate()
    plane = server.create(Replicated(net_id=early), Transform(1, 1), Velocity(1, 0), Hull(3))
    server.create(Replicated(net_id=late), Transform(2, 2), Unreplicated())
    gone = server.create(Replicated(), Transform(0, 0))
    encoder.encode_delta(server)
    server.despawn(gone)
    server.flush()
    server.component(plane, Hull).hitpoints = 2
    encoder.encode_delta(server)
    server.component(plane, Transform).x = 50  # after the last delta: not in the full state
    server.component(plane, Velocity).x = 50  # initial-only: as first sent
    body = wire.read(encoder.full_state(server), full=True)
    assert body.spawns == [(late, 0, [TRANSFORM]), (early, 0, [TRANSFORM, VELOCITY, HULL])]
    assert (body.updates, body.removals, body.despawns) == ([], [], [])
    assert wire.keys[early] == {TRANSFORM: [8, 8], VELOCITY: [8, 0], HULL: [2, ""]}


def test_a_full_state_gives_spawn_only_entities_as_they_are_now(server, encoder, wire):
    bullet = server.create(
        Replicated(spawn_only=True), Hull(1), Transform(0, 0), Velocity(0, -8), Unreplicated()
    )
    encoder.encode_delta(server)
    server.component(bullet, Transform).y = -4
    server.component(bullet, Velocity).y = -16
    server.remove_component(bullet, Hull)
    encoder.encode_delta(server)
    server.component(bullet, Transform).y = -6  # since that delta: the joiner starts here
    body = wire.read(encoder.full_state(server), full=True)
    assert body.spawns == [(1, FLAG_SPAWN_ONLY, [TRANSFORM, VELOCITY])]
    assert wire.keys[1] == {TRANSFORM: [0, -48], VELOCITY: [0, -128]}


def test_a_spawn_only_entity_despawned_since_the_last_delta_is_in_the_full_state_as_sent(
    server, encoder, wire
):
    bullet = server.create(Replicated(spawn_only=True), Transform(0, 0))
    encoder.encode_delta(server)
    server.component(bullet, Transform).y = -4
    server.despawn(bullet)  # peers learn of it with the next delta
    body = wire.read(encoder.full_state(server), full=True)
    assert body.spawns == [(1, FLAG_SPAWN_ONLY, [TRANSFORM])]
    assert wire.keys[1] == {TRANSFORM: [0, 0]}


def test_stats_start_at_zero():
    stats = SnapshotEncoder(registry()).last_stats
    assert (stats.spawns, stats.updates, stats.despawns) == (0, 0, 0)


def test_what_is_not_sent_for_one_entity_does_not_hold_back_the_others(server, encoder, wire):
    loose = server.create(Transform(0, 0))  # not replicated
    bullet = server.create(Replicated(spawn_only=True), Transform(0, 0))
    still = server.create(Replicated(), Transform(0, 0))
    plane = server.create(Replicated(), Transform(0, 0))
    wire.read(encoder.encode_delta(server))
    server.component(loose, Transform).x = 10
    server.component(bullet, Transform).x = 10
    server.component(still, Transform).x = 0.01  # below the quantum
    server.component(plane, Transform).x = 10
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(net_id(server, plane), [(TRANSFORM, 0b01)])]


def test_a_spawn_in_the_same_tick_does_not_hold_back_updates_of_later_net_ids(server, wire):
    ids = NetIds()
    early = ids.allocate()
    encoder = SnapshotEncoder(registry(), ids)
    plane = server.create(Replicated(), Transform(0, 0))
    wire.read(encoder.encode_delta(server))
    server.create(Replicated(net_id=early), Transform(1, 1))
    server.component(plane, Transform).y = 5
    body = wire.read(encoder.encode_delta(server))
    assert [s[0] for s in body.spawns] == [early]
    assert body.updates == [(net_id(server, plane), [(TRANSFORM, 0b10)])]


def test_an_entity_with_nothing_replicated_yet_gets_its_components_as_they_come(
    server, encoder, wire
):
    bare = server.create(Replicated())
    body = wire.read(encoder.encode_delta(server))
    assert body.spawns == [(1, 0, [])]
    server.add_component(bare, Hull(4))
    body = wire.read(encoder.encode_delta(server))
    assert body.updates == [(1, [(HULL, 0)])]
    assert wire.keys[1] == {HULL: [4, ""]}


def test_an_entity_replicated_as_it_loses_a_component_spawns_without_it(server, encoder, wire):
    ship = server.create(Transform(0, 0), Hull(1))
    wire.read(encoder.encode_delta(server))
    server.add_component(ship, Replicated())
    server.remove_component(ship, Hull)
    body = wire.read(encoder.encode_delta(server))
    assert body.spawns == [(1, 0, [TRANSFORM])]
    assert body.removals == []


def test_an_entity_made_replicated_later_spawns_with_every_component_it_has(server, encoder, wire):
    # A bug until now: components unchanged since the previous tick were left out of the
    # spawn of an entity that became replicated after they were added.
    ship = server.create(Transform(3, 4), Hull(5, "old"), Velocity(1, 1))
    server.create(Replicated(), Transform(0, 0))
    wire.read(encoder.encode_delta(server))
    server.add_component(ship, Replicated())
    server.component(ship, Transform).x = 6
    body = wire.read(encoder.encode_delta(server))
    assert body.spawns == [(2, 0, [TRANSFORM, VELOCITY, HULL])]
    assert wire.keys[2] == {TRANSFORM: [48, 32], VELOCITY: [8, 8], HULL: [5, "old"]}
