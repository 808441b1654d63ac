"""The server and client net plugins over a loopback network: the resources they add, the
events a server world gets from its peers, the snapshots each client receives (a full state
first, then deltas on the previous tick), and a client that gives up on a bad snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest

from engine import Phase, Role, World
from engine.components import Transform, Velocity
from engine.movement import (
    DrawBetweenStepsSystem,
    DrawnTransform,
    KeepPreviousSystem,
    PreviousTransform,
)
from engine.net.codec import Quantized, Str
from engine.net.interpolation import InterpolationSystem, NetClock
from engine.net.messages import (
    BroadcastMessage,
    Message,
    MessageRegistry,
    Route,
    UpdateClientState,
)
from engine.net.replication import CHAIN_TICKS, Predicted, Replicated, ReplicationRegistry
from engine.net.schema import NetSchema
from engine.net.server import FromPeer, PeerJoined
from engine.net.sync import (
    IDLE_EVERY,
    ClientNet,
    ClientNetPlugin,
    NetReceive,
    NetSend,
    ServerNet,
    smooth_predicted,
    snapshot_tick,
)
from engine.testing import LoopbackNetwork
from tests.net.snapshot_wire import write_body

POS = Quantized(8, -10000, 10000)


@dataclass(frozen=True, slots=True)
class Shout(Message):
    text: Annotated[str, Str(32)]


def schema() -> NetSchema:
    made = NetSchema()
    made.components.register(Transform, {"x": POS, "y": POS, "angle": POS}, interpolate=True)
    made.components.register(Velocity, {"x": POS, "y": POS}, initial_only=True)
    made.messages.register(Shout, Route.TO_SERVER)
    return made


def received(world, kind):
    """Collect the events of type `kind` each step, once net messages are in."""
    seen: list = []
    world.add_system(lambda w, dt: seen.extend(w.events.read(kind)), Phase.INPUT, after=NetReceive)
    return seen


@pytest.fixture
def world():
    made = World(Role.CLIENT)
    yield made
    made.close()


@pytest.fixture
def net():
    made = LoopbackNetwork(schema, clients=1)
    made.server_net.idle_every = 1  # a snapshot every tick, changes or not: these count them
    yield made
    made.close()


def test_each_world_gets_its_net_resources_and_schema(net):
    server_net = net.server.resource(ServerNet)
    assert server_net.schema is net.net_server.schema
    assert server_net.registry is net.net_server.schema.components
    assert server_net.ids is server_net.encoder.ids
    assert net.server.resource(NetSchema) is server_net.schema
    assert net.server.resource(ReplicationRegistry) is server_net.registry
    assert net.server.resource(MessageRegistry) is server_net.schema.messages
    client = net.clients[0]
    client_net = client.resource(ClientNet)
    assert client_net.registry is client_net.client.schema.components
    assert client.resource(NetSchema) is client_net.schema is client_net.client.schema
    assert client.resource(ReplicationRegistry) is client_net.registry
    assert client.resource(MessageRegistry) is client_net.schema.messages
    assert client.resource(NetClock).latest_tick == -1
    assert set(net.server.plugins) == {"net-server"} and set(client.plugins) == {"net-client"}


def test_a_peer_joins_and_its_messages_become_from_peer_events(net):
    joined = received(net.server, PeerJoined)
    shouts = received(net.server, FromPeer[Shout])
    net.step(3)  # the secure connection is up; the Hello is on its way
    assert joined == []
    net.step(1)
    assert [event.peer.name for event in joined] == ["player1"]
    net.client_net(0).client.send(Shout("hey"))
    net.clients[0].step()  # flushed in its NETWORK phase
    net.step()
    assert [(e.peer.name, e.message) for e in shouts] == [("player1", Shout("hey"))]


def test_a_client_gets_a_full_state_first_then_deltas_on_the_previous_tick(net):
    snapshots = received(net.clients[0], UpdateClientState)
    net.server.create(Replicated(), Transform(1, 2))
    net.step(12)
    server_net = net.server.resource(ServerNet)
    ticks = [(s.tick, s.baseline) for s in snapshots]
    assert ticks[0][1] == 0
    assert all(b == a[0] for a, (_, b) in zip(ticks, ticks[1:], strict=False))
    assert [t for t, _ in ticks] == list(range(ticks[0][0], ticks[0][0] + len(ticks)))
    assert server_net.last_tick == ticks[-1][0] == snapshot_tick(net.server) - 1
    client_net = net.client_net(0)
    assert client_net.snapshots == len(ticks)
    assert net.clients[0].resource(NetClock).latest_tick == ticks[-1][0]
    assert len(client_net.decoder.entities) == 1
    idle = write_body(net.server_net.registry)  # an idle delta: no records
    idle_message = net.net_server.sends.encode(UpdateClientState(1, 1, idle))
    assert server_net.snapshot_bytes == len(idle_message)


def test_a_late_joiner_gets_the_full_state_while_others_follow_deltas():
    made = LoopbackNetwork(schema, clients=2)
    made.server_net.idle_every = 1
    try:
        late = made.clients.pop()  # not stepped for now: it joins later
        made.server.create(Replicated(), Transform(5, 5))
        made.step(9)
        first = received(made.clients[0], UpdateClientState)
        second = received(late, UpdateClientState)
        for _ in range(9):
            made.step()
            late.step()
        assert first and all(s.baseline for s in first)
        assert second[0].baseline == 0 and all(s.baseline for s in second[1:])
        assert second[-1].tick == first[-1].tick
        assert len(late.resource(ClientNet).decoder.entities) == 1
        made.clients.append(late)
    finally:
        made.close()


def test_a_bad_snapshot_closes_the_client_and_nothing_after_it_reaches_the_world(net):
    snapshots = received(net.clients[0], UpdateClientState)
    notices = received(net.clients[0], BroadcastMessage)
    net.step(6)
    peer = net.net_server.joined_peers()[0]
    client_net = net.client_net(0)
    count = client_net.snapshots
    last = client_net.decoder.last_tick
    assert count and last > 0
    now = net.clock.now()
    net.net_server.send(peer, BroadcastMessage("before"))
    net.net_server.flush(now)  # a packet of its own: channels do not order one another
    net.net_server.send(peer, UpdateClientState(last + 3, last + 5, bytes(4)))
    net.net_server.send(peer, BroadcastMessage("after"))
    net.net_server.flush(now)
    snapshots.clear()
    net.clients[0].step()
    assert client_net.client.closed
    assert client_net.client.close_reason == (
        "Lost connection to server: bad snapshot "
        f"(snapshot {last + 3} is based on {last + 5}, not an earlier tick)"
    )
    assert [n.text for n in notices] == ["before"]
    assert snapshots == [] and client_net.snapshots == count
    assert net.clients[0].resource(NetClock).latest_tick == last


def test_a_snapshot_from_a_baseline_the_client_lacks_is_skipped_and_the_next_one_applies(net):
    # On a lossy link a delta from a tick the client never got is normal: not an error.
    net.server.create(Replicated(), Transform(5, 5))
    net.step(6)
    peer = net.net_server.joined_peers()[0]
    client_net = net.client_net(0)
    count, last = client_net.snapshots, client_net.decoder.last_tick
    net.net_server.send(peer, UpdateClientState(last + 50, last + 40, bytes(4)))
    net.net_server.flush(net.clock.now())
    net.clients[0].step()
    assert not client_net.client.closed
    assert client_net.skipped == 1 and client_net.snapshots == count
    assert client_net.decoder.last_tick == last
    net.step(6)
    assert client_net.snapshots > count and len(client_net.decoder.entities) == 1


def test_the_server_sends_each_peer_a_delta_from_the_tick_it_acknowledged(net):
    server_net = net.server.resource(ServerNet)
    snapshots = received(net.clients[0], UpdateClientState)
    ship = net.server.create(Replicated(), Transform(5, 5))
    net.step(6)
    peer = net.net_server.joined_peers()[0]
    for _ in range(12):
        if peer.full_state_handle is None:  # its full state arrived: deltas follow
            break
        net.step()
    assert peer.full_state_handle is None
    peer.session.take_acked = list  # its acks stop: only explicit acknowledgements count
    acked = peer.acked_tick
    server_net.acknowledge(peer, acked - 1)  # older: the baseline stays
    server_net.acknowledge(peer, server_net.last_tick + 1)  # not sent yet: ignored
    assert peer.acked_tick == acked
    snapshots.clear()
    net.server.component(ship, Transform).x = 40
    net.step(3 * (CHAIN_TICKS + 1))
    # Up to CHAIN_TICKS behind it gets the one-tick deltas it lacks, shared with every peer;
    # further behind, one delta folded from the tick it acknowledged.
    sent = [(s.tick, s.baseline) for s in snapshots]
    expected = []
    for tick in range(sent[-1][0] - CHAIN_TICKS, sent[-1][0] + 1):
        if tick - acked <= CHAIN_TICKS:
            expected += [(t, t - 1) for t in range(acked + 1, tick + 1)]
        else:
            expected.append((tick, acked))
    assert sent == expected and sent[-1][1] == acked
    assert any(baseline == at - 1 != acked for at, baseline in sent)  # a chain was sent
    # A link arrived whose base it is not known to hold (the link before it lost): it may
    # not have decoded, so the baseline stays.
    server_net.acknowledge(peer, acked + 2, acked + 1)
    assert peer.acked_tick == acked
    snapshots[:] = snapshots[-1:]
    server_net.acknowledge(peer, snapshots[0].tick, snapshots[0].baseline)
    snapshots.clear()
    net.step(3)
    assert [s.baseline for s in snapshots] == [peer.acked_tick] != [acked]
    local = net.client_net(0).decoder.entities[1]
    assert net.client_net(0).decoder.state[1][1][0] == 40 * 8
    assert net.clients[0].has_component(local, Transform)


def test_a_client_that_does_not_draw_has_no_frame_systems_and_snaps_every_component():
    made = LoopbackNetwork(schema, clients=0)
    try:
        plain = World(Role.CLIENT)
        client = made.connect("bot", schema())
        plain.add_plugin(ClientNetPlugin(client, made.clock, smooth=False))
        assert plain.systems(Phase.PRESENT) == []
        assert [type(s).__name__ for s in plain.systems(Phase.INPUT)] == ["ClientReceiveSystem"]
        assert not plain.resource(ClientNet).decoder.smooth
        ship = made.server.create(Replicated(), Transform(1, 1))
        for _ in range(6):
            made.step()
            plain.step()
        made.server.component(ship, Transform).x = 40
        for _ in range(3):
            made.step()
            plain.step()
        local = plain.resource(ClientNet).decoder.entities[1]
        assert plain.component(local, Transform).x == 40
        plain.close()
    finally:
        made.close()


def test_a_drawing_client_smooths_in_its_frames_and_keeps_positions_before_receiving(net):
    client = net.clients[0]
    present = client.systems(Phase.PRESENT)
    assert [type(s) for s in present] == [InterpolationSystem, DrawBetweenStepsSystem]
    names = [getattr(s, "__name__", type(s).__name__) for s in client.systems(Phase.INPUT)]
    assert names == ["smooth_predicted", "KeepPreviousSystem", "ClientReceiveSystem"]
    assert isinstance(client.systems(Phase.INPUT)[1], KeepPreviousSystem)


def test_a_predicted_entity_is_drawn_between_its_steps_from_the_next_step_on(world):
    mine = world.create(Transform(3, 4, 5), Predicted())
    ghost = world.create(Predicted())  # nothing to draw
    kept = world.create(Transform(1, 1), Predicted(), PreviousTransform(9, 9))
    smooth_predicted(world, 1 / 60)
    assert world.component(mine, PreviousTransform) == PreviousTransform(3, 4, 5)
    assert world.component(mine, DrawnTransform) == DrawnTransform(3, 4, 5)
    assert not world.has_component(ghost, PreviousTransform)
    assert world.component(kept, PreviousTransform) == PreviousTransform(9, 9)
    assert not world.has_component(kept, DrawnTransform)


def test_only_spawn_only_entities_with_a_transform_are_drawn_between_steps(net):
    bullet = net.server.create(Replicated(spawn_only=True), Transform(1, 1), Velocity(0, 60))
    dot = net.server.create(Replicated(spawn_only=True), Velocity(0, 60))
    plane = net.server.create(Replicated(), Transform(2, 2))
    net.step(9)
    client = net.clients[0]
    entities = client.resource(ClientNet).decoder.entities
    ids = [net.server.component(e, Replicated).net_id for e in (bullet, dot, plane)]
    local_bullet, local_dot, local_plane = (entities[i] for i in ids)
    assert client.has_component(local_bullet, DrawnTransform)
    assert not client.has_component(local_dot, PreviousTransform)
    assert not client.has_component(local_plane, PreviousTransform)


def test_holding_net_send_holds_every_queued_message_and_snapshot(net):
    notices = received(net.clients[0], BroadcastMessage)
    snapshots = received(net.clients[0], UpdateClientState)
    net.step(6)
    sending = {"on": False}
    net.server.configure_set(NetSend, run_if=lambda w: sending["on"])
    net.server.resource(ServerNet).server.broadcast(BroadcastMessage("held"))
    snapshots.clear()
    net.step(6)
    assert notices == [] and snapshots == []
    sending["on"] = True
    net.step(4)
    assert [n.text for n in notices] == ["held"]


def test_holding_net_receive_on_a_client_holds_its_snapshots(net):
    net.step(6)
    client_net = net.client_net(0)
    count = client_net.snapshots
    net.clients[0].configure_set(NetReceive, run_if=lambda w: False)
    net.step(6)
    assert client_net.snapshots == count


def test_while_nothing_changes_a_peer_gets_a_snapshot_every_few_ticks_and_a_change_at_once():
    made = LoopbackNetwork(schema, clients=1)
    try:
        snapshots = received(made.clients[0], UpdateClientState)
        ship = made.server.create(Replicated(), Transform(1, 2))
        made.step(30)
        snapshots.clear()
        made.step(3 * 4 * IDLE_EVERY)  # idle: one in IDLE_EVERY ticks
        ticks = [s.tick for s in snapshots]
        steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        assert len(ticks) == 4 and steps == [IDLE_EVERY] * 3
        assert all(s.baseline == s.tick - IDLE_EVERY for s in snapshots)  # the baseline moves on
        made.server.component(ship, Transform).x = 9
        snapshots.clear()
        made.step(3)
        assert [s.tick for s in snapshots] == [made.server_net.last_tick]  # at once
        assert made.client_net(0).decoder.state[1][1][0] == 9 * 8
    finally:
        made.close()
