"""Replication: server diffs become client state; only changes travel; bad bodies fail cleanly."""

import contextlib
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Role, World
from engine.components import Transform, Velocity
from engine.net.codec import Quantized, Str, SVarint
from engine.net.errors import ProtocolError
from engine.net.interpolation import InterpolationSystem, NetClock, sample
from engine.net.replication import (
    Interpolated,
    Outcome,
    Predicted,
    Replicated,
    ReplicationRegistry,
    SnapshotDecoder,
    SnapshotEncoder,
)
from engine.net.schema import NetSchema
from engine.phases import Phase
from tests.net.replicated import POS, Hull, registry
from tests.net.snapshot_wire import write_body


@pytest.fixture
def pair():
    server, client = World(Role.SERVER), World(Role.CLIENT)
    reg = registry()
    yield server, client, SnapshotEncoder(reg), SnapshotDecoder(reg)
    server.close()
    client.close()


def sync(server, client, encoder, decoder, tick):
    body = encoder.encode_delta(server)
    decoder.apply(client, tick, tick - 1 if tick > 1 else 0, body)
    client.flush()
    return body


def test_spawn_update_and_despawn_reach_the_client(pair):
    server, client, encoder, decoder = pair
    ship = server.create(Replicated(), Transform(10, 20), Velocity(1, 0), Hull(50, "ace"))
    sync(server, client, encoder, decoder, 1)
    net_id = server.component(ship, Replicated).net_id
    local = decoder.entities[net_id]
    assert client.component(local, Hull) == Hull(50, "ace")
    assert client.component(local, Transform).x == 10
    server.component(ship, Hull).hitpoints = 40
    sync(server, client, encoder, decoder, 2)
    assert client.component(local, Hull).hitpoints == 40
    server.despawn(ship)
    server.flush()
    sync(server, client, encoder, decoder, 3)
    assert not client.is_alive(local)
    assert decoder.entities == {}


def test_only_changed_fields_travel(pair):
    server, client, encoder, decoder = pair
    ships = [server.create(Replicated(), Transform(i, 0), Hull(10)) for i in range(50)]
    first = sync(server, client, encoder, decoder, 1)
    idle = sync(server, client, encoder, decoder, 2)
    assert len(idle) == 1  # no spawns, no blocks of updates, no removals, no despawns
    server.component(ships[7], Transform).y = 3.0
    one = sync(server, client, encoder, decoder, 3)
    assert len(one) < 12 < len(first)
    assert encoder.last_stats.updates == 1


def test_changes_below_the_quantum_are_not_sent(pair):
    server, client, encoder, decoder = pair
    ship = server.create(Replicated(), Transform(0, 0))
    sync(server, client, encoder, decoder, 1)
    server.component(ship, Transform).x = 0.01  # under 1/16 px
    sync(server, client, encoder, decoder, 2)
    assert encoder.last_stats.updates == 0


def test_spawn_only_entities_are_sent_once(pair):
    server, client, encoder, decoder = pair
    bullet = server.create(Replicated(spawn_only=True), Transform(5, 5), Velocity(0, -300))
    sync(server, client, encoder, decoder, 1)
    server.component(bullet, Transform).y = -50
    sync(server, client, encoder, decoder, 2)
    assert encoder.last_stats.updates == 0
    local = decoder.entities[server.component(bullet, Replicated).net_id]
    assert client.component(local, Velocity).y == -300
    assert not client.has_component(local, Interpolated)  # the client simulates it instead
    server.despawn(bullet)
    server.flush()
    sync(server, client, encoder, decoder, 3)
    assert not client.is_alive(local)


def test_a_joiner_gets_the_full_state_and_then_follows_deltas(pair):
    server, client, encoder, decoder = pair
    ship = server.create(Replicated(), Transform(1, 2), Hull(9))
    server.create(Replicated(spawn_only=True), Transform(3, 4))
    encoder.encode_delta(server)  # tick 1 went to peers already here
    encoder.encode_delta(server)  # tick 2
    decoder.apply(client, 2, 0, encoder.full_state(server))
    client.flush()
    assert len(decoder.entities) == 2
    server.component(ship, Hull).hitpoints = 1
    decoder.apply(client, 3, 2, encoder.encode_delta(server))
    local = decoder.entities[server.component(ship, Replicated).net_id]
    assert client.component(local, Hull).hitpoints == 1


def test_components_added_and_removed_on_live_entities(pair):
    server, client, encoder, decoder = pair
    ship = server.create(Replicated(), Transform(0, 0))
    sync(server, client, encoder, decoder, 1)
    local = decoder.entities[server.component(ship, Replicated).net_id]
    server.add_component(ship, Hull(3, "new"))
    sync(server, client, encoder, decoder, 2)
    assert client.component(local, Hull) == Hull(3, "new")
    server.remove_component(ship, Hull)
    sync(server, client, encoder, decoder, 3)
    assert not client.has_component(local, Hull)


def test_interpolated_components_are_buffered_and_predicted_ones_left_alone(pair):
    server, client, encoder, decoder = pair
    remote = server.create(Replicated(), Transform(0, 0))
    mine = server.create(Replicated(), Transform(0, 0))
    sync(server, client, encoder, decoder, 1)
    local_mine = decoder.entities[server.component(mine, Replicated).net_id]
    client.add_component(local_mine, Predicted())
    client.component(local_mine, Transform).x = 77  # the client's own prediction
    server.component(remote, Transform).x = 40
    server.component(mine, Transform).x = 40
    sync(server, client, encoder, decoder, 2)
    local_remote = decoder.entities[server.component(remote, Replicated).net_id]
    track = client.component(local_remote, Interpolated).tracks[1]
    assert [tick for tick, _ in track] == [1, 2]
    assert client.component(local_mine, Transform).x == 77


def test_without_smoothing_interpolated_components_are_written_at_once_but_not_predicted():
    server, client = World(Role.SERVER), World(Role.CLIENT)
    encoder, decoder = SnapshotEncoder(registry()), SnapshotDecoder(registry(), smooth=False)
    try:
        remote = server.create(Replicated(), Transform(0, 0))
        mine = server.create(Replicated(), Transform(0, 0))
        sync(server, client, encoder, decoder, 1)
        local_remote = decoder.entities[server.component(remote, Replicated).net_id]
        mine_id = server.component(mine, Replicated).net_id
        local_mine = decoder.entities[mine_id]
        client.add_component(local_mine, Predicted())
        client.component(local_mine, Transform).x = 77
        server.component(remote, Transform).x = 40
        server.component(mine, Transform).x = 40
        sync(server, client, encoder, decoder, 2)
        assert client.component(local_remote, Transform).x == 40
        assert not client.has_component(local_remote, Interpolated)
        assert client.component(local_mine, Transform).x == 77
        assert decoder.state[mine_id][1][0] == 40 * 8  # the state still follows
    finally:
        server.close()
        client.close()


def test_interpolation_blends_between_snapshots_behind_the_newest():
    assert sample([(1, (0, 0)), (2, (80, 8))], 1.5, (0.0, 0.0)) == (40, 4)
    assert sample([(1, (0,)), (2, (8,))], 0.5, (0.0,)) == (0,)
    assert sample([(1, (0,)), (2, (8,))], 9, (0.0,)) == (8,)


def test_angles_blend_the_short_way_round_and_held_fields_do_not_blend():
    angle = Quantized(2, -720, 720, period=360)
    track = [(1, (angle.key(359.0), 3, "a")), (2, (angle.key(3.0), 9, "b"))]
    keys = sample(track, 1.5, (angle.blend, None, None))
    assert angle.from_key(keys[0]) % 360 == pytest.approx(1.0)  # not 181
    assert keys[1:] == (3, "a")  # counts and text hold until the next sample
    back = sample([(1, (angle.key(10.0),)), (2, (angle.key(350.0),))], 1.25, (angle.blend,))
    assert angle.from_key(back[0]) == pytest.approx(5.0)
    assert sample([(1, (angle.key(90.0),)), (2, (angle.key(100.0),))], 1.5, (angle.blend,)) == (
        angle.key(95.0),
    )
    world = World(Role.CLIENT)
    try:
        reg = registry()
        world.insert_resource(NetClock(tick_rate=20, delay_ticks=2))
        world.add_system(InterpolationSystem(reg), Phase.PRESENT)
        entity = world.create(Transform(), Interpolated({1: [(8, (0, 0)), (9, (160, 0))]}))
        world.resource(NetClock).on_snapshot(10)
        world.resource(NetClock).estimate = 10.5 - 1 / 3  # advance() adds one step's worth
        world.present(1 / 60)
        x = world.component(entity, Transform).x
        assert 0 < x < 20  # render tick 8.5-ish: halfway between 0 and 20 px
    finally:
        world.close()


def test_bad_baselines_and_references_are_protocol_errors(pair):
    server, client, encoder, decoder = pair
    server.create(Replicated(), Transform(0, 0))
    body = encoder.encode_delta(server)
    decoder.apply(client, 1, 0, body)
    idle = write_body(registry())
    assert decoder.apply(client, 6, 5, idle).outcome is Outcome.NO_BASELINE
    with pytest.raises(ProtocolError, match="based on 6, not an earlier tick"):
        decoder.apply(client, 6, 6, idle)
    with pytest.raises(ProtocolError, match="unknown entity 99"):
        decoder.apply(client, 2, 1, write_body(registry(), despawns=[99]))
    with pytest.raises(ProtocolError, match="exists"):
        decoder.apply(client, 2, 1, body)
    with pytest.raises(ProtocolError, match="unknown component type 4"):
        decoder.apply(client, 2, 1, write_body(registry(), removals=[(1, 4)]))


def test_schema_hash_changes_with_any_field_or_codec():
    def schema(reg):
        return NetSchema(components=reg).hash()

    base = schema(registry())
    assert base == schema(registry())
    other = ReplicationRegistry()
    other.register(Transform, {"x": POS, "y": Quantized(4, -10000, 10000)}, interpolate=True)
    other.register(Velocity, {"x": POS, "y": POS})
    other.register(Hull, {"hitpoints": SVarint(), "label": Str(16)})
    assert schema(other) != base


def test_registration_refuses_what_a_client_could_not_build():
    @dataclass
    class NoDefaults:
        a: int
        b: int

    reg = ReplicationRegistry()
    with pytest.raises(ValueError, match="needs a default"):
        reg.register(NoDefaults, {"a": SVarint()})
    with pytest.raises(ValueError, match="no field"):
        reg.register(NoDefaults, {"c": SVarint()})
    reg.register(Hull, {"hitpoints": SVarint()})
    with pytest.raises(ValueError, match="already"):
        reg.register(Hull, {"hitpoints": SVarint()})


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_hostile_snapshot_bodies_only_raise_protocol_errors(body):
    client = World(Role.CLIENT)
    try:
        decoder = SnapshotDecoder(registry())
        with contextlib.suppress(ProtocolError):
            decoder.apply(client, 1, 0, body)
    finally:
        client.close()


def test_a_wide_turn_blends_the_short_way_and_plain_positions_blend_straight():
    angle = Quantized(8, -720, 720, period=360)
    turn = sample([(1, (angle.key(300.0),)), (2, (angle.key(60.0),))], 1.5, (angle.blend,))
    assert angle.from_key(turn[0]) % 360 == pytest.approx(0.0)  # 120 degrees through north
    position = Quantized(8, -10000, 10000)
    halfway = sample(
        [(1, (position.key(0.0),)), (2, (position.key(100.0),))], 1.5, (position.blend,)
    )
    assert position.from_key(halfway[0]) == pytest.approx(50.0)
