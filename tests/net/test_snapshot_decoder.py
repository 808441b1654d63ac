"""The client's side of replication: what a client world holds after each snapshot body, and
the protocol errors of bodies no server sends (built record by record from docs/PROTOCOL.md)."""

from __future__ import annotations

import pytest

from engine import Role, World
from engine.components import Transform, Velocity
from engine.net.errors import ProtocolError
from engine.net.replication import (
    MAX_SAMPLES,
    Interpolated,
    Outcome,
    Predicted,
    Replicated,
    ReplicationRegistry,
    SnapshotDecoder,
    SnapshotEncoder,
)
from tests.net.replicated import HULL, POS, TRANSFORM, VELOCITY, Hull, registry
from tests.net.snapshot_wire import Out, write_body

TOO_BIG = 2**32  # one past the largest net id


def body(spawns=(), updates=(), removals=(), despawns=()) -> bytes:
    """A snapshot body from records, written from docs/PROTOCOL.md (tests/net/snapshot_wire):
    spawns (net id, flags, [(component id, [field keys])]), updates (net id, [(component id,
    mask, [keys, or with a mask the changes: numbers as deltas])]), removals (net id,
    component id), despawns (net ids); fields in the test registry's codecs."""
    return write_body(registry(), spawns, updates, removals, despawns)


SHIP = (5, 0, [(TRANSFORM, [8, 16]), (HULL, [9, "ace"])])


@pytest.fixture
def client():
    world = World(Role.CLIENT)
    yield world
    world.close()


@pytest.fixture
def decoder():
    return SnapshotDecoder(registry(), smooth=False)


def test_a_spawn_builds_the_entity_and_reports_it(client, decoder):
    result = decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    entity = decoder.entities[5]
    assert result.spawned == [entity] and result.despawned == [] and result.updated == 0
    assert client.component(entity, Replicated) == Replicated(5, False)
    assert client.component(entity, Transform) == Transform(1, 2)
    assert client.component(entity, Hull) == Hull(9, "ace")
    assert not client.has_component(entity, Interpolated)  # not a drawing client


def test_updates_deltas_and_whole_components_reach_the_spawned_components(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    entity = decoder.entities[5]
    hull = client.component(entity, Hull)
    result = decoder.apply(
        client, 2, 1, body(updates=[(5, [(TRANSFORM, 0b10, [8]), (HULL, 0b01, [-6])])])
    )
    assert result.updated == 1
    assert client.component(entity, Transform) == Transform(1, 3)
    assert client.component(entity, Hull) is hull and hull == Hull(3, "ace")
    decoder.apply(client, 3, 2, body(updates=[(5, [(TRANSFORM, 0b11, [-8, -8])])]))
    assert client.component(entity, Transform) == Transform(0, 2)
    decoder.apply(client, 4, 3, body(updates=[(5, [(VELOCITY, 0, [4, 4]), (HULL, 0, [1, "b"])])]))
    assert client.component(entity, Velocity) == Velocity(0.5, 0.5)
    assert client.component(entity, Hull) == Hull(1, "b")
    decoder.apply(client, 5, 4, body(updates=[(5, [(HULL, 0b10, ["c"])])]))
    assert client.component(entity, Hull) == Hull(1, "c")  # the whole component's new object


def test_removals_and_despawns_take_components_and_entities_away(client, decoder):
    other = (6, 0, [(TRANSFORM, [0, 0])])
    decoder.apply(client, 1, 0, body(spawns=[SHIP, other]))
    ship, plane = decoder.entities[5], decoder.entities[6]
    decoder.apply(client, 2, 1, body(removals=[(5, HULL)]))
    assert not client.has_component(ship, Hull)
    assert client.has_component(ship, Transform)
    with pytest.raises(ProtocolError, match="^entity 5 has no component 3 to remove$"):
        decoder.apply(client, 3, 2, body(removals=[(5, HULL)]))
    decoder.apply(client, 3, 2, body(updates=[(5, [(HULL, 0, [2, "x"])])]))
    assert client.component(ship, Hull) == Hull(2, "x")  # added back whole
    result = decoder.apply(client, 4, 3, body(despawns=[6]))
    client.flush()
    assert result.despawned == [plane]
    assert not client.is_alive(plane) and client.is_alive(ship)
    assert list(decoder.entities) == [5]
    with pytest.raises(ProtocolError, match="^unknown entity 6$"):
        decoder.apply(client, 5, 4, body(updates=[(6, [(TRANSFORM, 0b01, [8])])]))


def test_a_full_state_replaces_every_entity_the_client_had(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    old = decoder.entities[5]
    result = decoder.apply(client, 7, 0, body(spawns=[(8, 0, [(HULL, [1, ""])])]))
    client.flush()
    assert not client.is_alive(old)
    assert list(decoder.entities) == [8]
    assert result.spawned == [decoder.entities[8]]
    decoder.apply(client, 8, 7, body(updates=[(8, [(HULL, 0b01, [3])])]))
    assert client.component(decoder.entities[8], Hull).hitpoints == 4
    # The same net id may come back in a later full state.
    decoder.apply(client, 9, 0, body(spawns=[(8, 0, [(HULL, [2, ""])])]))
    assert decoder.last_tick == 9


def test_a_snapshot_applies_if_newer_is_kept_if_older_and_needs_a_baseline_it_holds(
    client, decoder
):
    assert decoder.last_tick == -1
    assert decoder.apply(client, 3, 0, body(spawns=[SHIP])).outcome is Outcome.APPLIED
    assert decoder.last_tick == 3
    result = decoder.apply(client, 5, 4, body())  # 4 never arrived: not an error
    assert result.outcome is Outcome.NO_BASELINE and not result.held
    with pytest.raises(ProtocolError, match="^snapshot 3 is based on 3, not an earlier tick$"):
        decoder.apply(client, 3, 3, body())
    with pytest.raises(ProtocolError, match="^snapshot 2 is based on 4, not an earlier tick$"):
        decoder.apply(client, 2, 4, body())
    assert decoder.apply(client, 3, 0, body()).outcome is Outcome.DUPLICATE
    older = decoder.apply(client, 2, 0, body())  # late: kept as a baseline, not shown
    assert older.outcome is Outcome.STORED and older.held and not older.applied
    assert decoder.last_tick == 3 and list(decoder.entities) == [5]
    assert sorted(decoder.states) == [2, 3]
    # A delta from the late tick 2 (empty) applies: the world goes from 3 to 4's state.
    result = decoder.apply(client, 4, 2, body(spawns=[(6, 0, [])]))
    client.flush()
    assert result.applied and decoder.last_tick == 4
    assert sorted(decoder.entities) == [6]
    assert len(result.despawned) == 1 and len(result.spawned) == 1


def test_a_malformed_body_keeps_nothing(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    with pytest.raises(ProtocolError):
        decoder.apply(client, 2, 1, body(updates=[(5, [(HULL, 0b01, [-6])])]) + b"\x00")
    assert sorted(decoder.states) == [1] and decoder.last_tick == 1
    assert client.component(decoder.entities[5], Hull) == Hull(9, "ace")


def test_the_decoder_holds_the_newest_ticks_it_decoded(client):
    decoder = SnapshotDecoder(registry(), smooth=False, history=3)
    decoder.apply(client, 1, 0, body())
    for tick in range(2, 6):
        decoder.apply(client, tick, tick - 1, body())
    assert sorted(decoder.states) == [3, 4, 5]
    assert decoder.apply(client, 2, 0, body()).outcome is Outcome.STALE
    assert decoder.apply(client, 7, 2, body()).outcome is Outcome.NO_BASELINE
    assert decoder.apply(client, 7, 3, body()).outcome is Outcome.APPLIED


def test_net_ids_beyond_32_bits_are_refused_in_every_section(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    message = f"^net id {TOO_BIG} exceeds {TOO_BIG - 1}$"
    bodies = [
        body(spawns=[(TOO_BIG, 0, [])]),
        body(updates=[(TOO_BIG, [(TRANSFORM, 0b01, [8])])]),
        body(removals=[(TOO_BIG, HULL)]),
        body(despawns=[TOO_BIG]),
    ]
    for bad in bodies:
        with pytest.raises(ProtocolError, match=message):
            decoder.apply(client, 2, 1, bad)
    decoder.apply(client, 2, 1, body(spawns=[(TOO_BIG - 1, 0, [])]))  # the largest is fine
    assert TOO_BIG - 1 in decoder.entities


def spawn_of_7(*fields: tuple[int, int]) -> bytes:
    """A body spawning net id 7 with a Hull whose fields are the given (value, width) bit
    fields: what no server writes, such as a value beyond its codec's range."""
    out = Out()
    out.uvlc(1)  # one spawn
    out.put(0, 5)  # k = 0
    out.rice(6, 0)  # net id 7
    out.put(0, 1)  # not spawn-only
    out.put(0b001, 3)  # components: Hull (type 3) only
    for value, width in fields:
        out.put(value, width)
    out.put(0, 3)  # no update blocks
    out.uvlc(0)  # no removals
    out.uvlc(0)  # no despawns
    return out.data()


def test_bad_spawn_records_are_refused_word_for_word(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    label = (3, 5), *[(ord("a"), 8)] * 3  # "aaa": a length of 3 in 5 bits, then 3 bytes
    hitpoints = 2**31 + 9  # SVarint(): zigzag, uvlc (its range is 2**32 wide)
    assert decoder.apply(client, 2, 1, spawn_of_7(*zigzag_uvlc(9), *label)).applied
    cases = [
        (body(spawns=[(5, 0, [])]), "spawn of entity 5 which exists"),
        (spawn_of_7(*zigzag_uvlc(9), (17, 5)), "string length 17 exceeds the limit of 16"),
        (spawn_of_7(*zigzag_uvlc(hitpoints), *label), f"value {hitpoints} outside"),
        (spawn_of_7(*zigzag_uvlc(9), (1, 5), (0xFF, 8)), "string is not valid UTF-8"),
    ]
    for bad, message in cases:
        with pytest.raises(ProtocolError) as error:
            decoder.apply(client, 3, 2, bad)
        assert str(error.value).startswith(message)


def zigzag_uvlc(value: int) -> list[tuple[int, int]]:
    """uvlc(zigzag(value)) as (value, width) bit fields: leading zeros, then the number."""
    n = (2 * value if value >= 0 else -2 * value - 1) + 1
    return [(0, n.bit_length() - 1), (n, n.bit_length())]


def test_bad_updates_and_removals_are_refused_word_for_word(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    beyond = body(updates=[(5, [(TRANSFORM, 0b01, [80_000])])])  # key 8 + 80,000 > 80,000
    cases = [
        (
            body(updates=[(5, [(VELOCITY, 0b01, [1])])]),
            "entity 5 has no component Velocity to update",
        ),
        (body(updates=[(4, [(HULL, 0b01, [1])])]), "unknown entity 4"),
        (beyond, "quantized value 10001 outside -10000..10000"),
        (body(removals=[(5, 4)]), "unknown component type 4"),
        (body(removals=[(5, VELOCITY)]), "entity 5 has no component 2 to remove"),
        (body(removals=[(4, HULL)]), "unknown entity 4"),
        (body(despawns=[4]), "unknown entity 4"),
        (body() + b"\x00", "1 unexpected bytes after snapshot"),
        (b"\x8d", "padding bits after snapshot are not zero"),
        (b"\x80", "truncated body"),
    ]
    assert body() == b"\x8c"  # 1 000 1 1: no spawns, no blocks, removals, despawns; 00
    for bad, message in cases:
        with pytest.raises(ProtocolError) as error:
            decoder.apply(client, 2, 1, bad)
        assert message in str(error.value)
        assert decoder.last_tick == 1  # a refused snapshot is not applied
    decoder.apply(client, 2, 1, body(updates=[(5, [(TRANSFORM, 0b11, [1, 1])])]))


def test_initial_only_components_are_built_on_spawn_only_entities_alone(client):
    decoder = SnapshotDecoder(registry())
    plane = (1, 0, [(TRANSFORM, [0, 0]), (VELOCITY, [80, 0])])
    bullet = (2, 1, [(TRANSFORM, [0, 0]), (VELOCITY, [0, -80])])
    decoder.apply(client, 1, 0, body(spawns=[plane, bullet]))
    plane_entity, bullet_entity = decoder.entities[1], decoder.entities[2]
    assert not client.has_component(plane_entity, Velocity)
    assert client.component(bullet_entity, Velocity) == Velocity(0, -10)
    assert client.component(bullet_entity, Replicated).spawn_only
    assert not client.has_component(bullet_entity, Interpolated)  # simulated, not smoothed
    assert client.has_component(plane_entity, Interpolated)
    # The plane's velocity is kept as a baseline: a removal of it is still valid.
    decoder.apply(client, 2, 1, body(removals=[(1, VELOCITY)]))


def test_a_drawing_client_buffers_interpolated_fields_per_tick(client):
    decoder = SnapshotDecoder(registry())
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    entity = decoder.entities[5]
    decoder.apply(client, 2, 1, body(updates=[(5, [(TRANSFORM, 0b01, [8]), (HULL, 1, [-7])])]))
    decoder.apply(client, 3, 2, body(updates=[(5, [(TRANSFORM, 0b10, [-8])])]))
    assert client.component(entity, Interpolated).tracks == {
        TRANSFORM: [(1, (8, 16)), (2, (16, 16)), (3, (16, 8))]
    }
    assert client.component(entity, Transform) == Transform(1, 2)  # left to the frames
    assert client.component(entity, Hull).hitpoints == 2  # snapped at once
    decoder.apply(client, 4, 3, body(spawns=[(6, 0, [(HULL, [1, ""])])]))
    plain = decoder.entities[6]  # nothing to interpolate: no buffer
    assert {type(c) for c in client.components_of(plain)} == {Replicated, Hull}


def test_a_predicted_entity_keeps_its_own_transform_but_takes_other_components(client, decoder):
    decoder.apply(client, 1, 0, body(spawns=[SHIP]))
    entity = decoder.entities[5]
    client.add_component(entity, Predicted())
    decoder.apply(client, 2, 1, body(updates=[(5, [(TRANSFORM, 0b01, [80]), (HULL, 1, [-8])])]))
    assert client.component(entity, Transform) == Transform(1, 2)
    assert client.component(entity, Hull).hitpoints == 1
    decoder.apply(client, 3, 2, body(updates=[(5, [(TRANSFORM, 0b01, [-80])])]))
    # Deltas stayed on the server's baseline: back where the spawn put it.
    client.remove_component(entity, Predicted)
    decoder.apply(client, 4, 3, body(updates=[(5, [(TRANSFORM, 0b10, [8])])]))
    assert client.component(entity, Transform) == Transform(1, 3)


def test_spawn_hooks_see_each_new_entity_with_its_net_id(client, decoder):
    seen = []
    decoder.on_spawn.append(
        lambda world, entity, net_id: seen.append((net_id, world.component(entity, Hull)))
    )
    decoder.on_spawn.append(lambda world, entity, net_id: seen.append(net_id))
    decoder.apply(client, 1, 0, body(spawns=[SHIP, (6, 0, [(HULL, [1, ""])])]))
    assert seen == [(5, Hull(9, "ace")), 5, (6, Hull(1, "")), 6]


def test_an_interpolation_track_keeps_the_newest_samples():
    buffer = Interpolated()
    for tick in range(MAX_SAMPLES + 5):
        buffer.push(1, tick, (tick,))
    track = buffer.tracks[1]
    assert len(track) == MAX_SAMPLES
    assert track[0] == (5, (5,)) and track[-1] == (MAX_SAMPLES + 4, (MAX_SAMPLES + 4,))


def test_what_the_encoder_writes_the_decoder_rebuilds(client):
    server = World(Role.SERVER)
    try:
        encoder, decoder = SnapshotEncoder(registry()), SnapshotDecoder(registry(), smooth=False)
        ships = [server.create(Replicated(), Transform(i, -i), Hull(i, str(i))) for i in range(5)]
        decoder.apply(client, 1, 0, encoder.encode_delta(server))
        for i, ship in enumerate(ships):
            server.component(ship, Transform).y = 3 * i + 1
            if i % 2:
                server.component(ship, Hull).label = "odd"
        result = decoder.apply(client, 2, 1, encoder.encode_delta(server))
        assert result.updated == 5
        for ship in ships:
            local = decoder.entities[server.component(ship, Replicated).net_id]
            assert client.component(local, Transform) == server.component(ship, Transform)
            assert client.component(local, Hull) == server.component(ship, Hull)
    finally:
        server.close()


def test_an_interpolated_component_added_later_is_drawn_moving_on_a_drawing_client(client):
    # A bug until now: the decoder buffered the updates of a component added to a live entity
    # in no track, so a drawing client showed it frozen where it was added.
    decoder = SnapshotDecoder(registry())
    decoder.apply(client, 1, 0, body(spawns=[(5, 0, [(HULL, [1, ""])]), (6, 1, [])]))
    ship, bullet = decoder.entities[5], decoder.entities[6]
    assert not client.has_component(ship, Interpolated)
    decoder.apply(client, 2, 1, body(updates=[(5, [(TRANSFORM, 0, [8, 8])])]))
    decoder.apply(client, 3, 2, body(updates=[(5, [(TRANSFORM, 0b01, [8])])]))
    assert client.component(ship, Interpolated).tracks == {TRANSFORM: [(2, (8, 8)), (3, (16, 8))]}
    decoder.apply(client, 4, 3, body(removals=[(5, TRANSFORM)]))
    decoder.apply(client, 5, 4, body(updates=[(5, [(TRANSFORM, 0, [0, 0])])]))
    assert client.component(ship, Interpolated).tracks == {TRANSFORM: [(5, (0, 0))]}  # afresh
    decoder.apply(client, 6, 5, body(updates=[(6, [(TRANSFORM, 0, [8, 8])])]))
    assert client.component(bullet, Transform) == Transform(1, 1)
    assert not client.has_component(bullet, Interpolated)  # the client simulates a bullet


def test_counts_over_the_limit_are_refused_naming_the_section(client, decoder):
    over = 2**20 + 1
    sections = ("spawn", "Transform update", "removal", "despawn")
    for index, section in enumerate(sections):
        out = Out()
        if index:
            out.uvlc(0)  # no spawns
        if index == 1:
            out.put(1, 1)  # a Transform block
            out.uvlc(over - 1)
        elif index > 1:
            out.put(0, 3)  # no blocks
        if index == 3:
            out.uvlc(0)  # no removals
        if index != 1:
            out.uvlc(over)
        with pytest.raises(ProtocolError) as error:
            decoder.apply(client, 1, 0, out.data())
        assert str(error.value) == f"{section} count {over} exceeds the limit of {2**20}"


def test_a_component_added_again_keeps_the_tracks_of_the_others(client):
    reg = ReplicationRegistry()  # the same codecs as registry(), Velocity interpolated too
    reg.register(Transform, {"x": POS, "y": POS}, interpolate=True)
    reg.register(Velocity, {"x": POS, "y": POS}, interpolate=True)
    decoder = SnapshotDecoder(reg)
    ship = (5, 0, [(TRANSFORM, [0, 0]), (VELOCITY, [8, 8])])
    decoder.apply(client, 1, 0, write_body(reg, spawns=[ship]))
    entity = decoder.entities[5]
    decoder.apply(client, 2, 1, write_body(reg, removals=[(5, VELOCITY)]))
    decoder.apply(client, 3, 2, write_body(reg, updates=[(5, [(VELOCITY, 0, [16, 0])])]))
    assert client.component(entity, Interpolated).tracks == {
        TRANSFORM: [(1, (0, 0))],
        VELOCITY: [(3, (16, 0))],
    }
    assert client.component(entity, Velocity) == Velocity(2, 0)
