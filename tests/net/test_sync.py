"""The network systems' schedule: snapshots on ticks, flushes every step, messages received
before the game reads them, and a drawing client's frames (interpolation, spawn-only entities
drawn between steps)."""

from __future__ import annotations

import pytest

from engine import Phase
from engine.components import Transform, Velocity
from engine.movement import DrawnTransform, MovementPlugin, PreviousTransform
from engine.net.codec import Quantized
from engine.net.messages import BroadcastMessage
from engine.net.replication import Replicated, ReplicationRegistry
from engine.net.schema import NetSchema
from engine.net.sync import (
    ClientNet,
    NetReceive,
    NetSend,
    ServerNet,
    client_connected,
    snapshot_tick,
)
from engine.testing import LoopbackNetwork

POS = Quantized(8, -10000, 10000)


def schema() -> NetSchema:
    components = ReplicationRegistry()
    components.register(Transform, {"x": POS, "y": POS, "angle": POS}, interpolate=True)
    components.register(Velocity, {"x": POS, "y": POS}, initial_only=True)
    return NetSchema(components)


@pytest.fixture
def net():
    made = LoopbackNetwork(
        schema,
        server_plugins=lambda: [MovementPlugin()],
        client_plugins=lambda: [MovementPlugin()],
        clients=1,
    )
    made.server_net.idle_every = 1  # a snapshot every tick, changes or not
    made.step(6)  # handshake and the first snapshots
    yield made
    made.close()


def test_snapshots_go_out_on_ticks_and_messages_every_step(net):
    client = net.clients[0]
    before = client.resource(ClientNet).snapshots
    net.step(9)
    assert client.resource(ClientNet).snapshots - before == 3  # one per tick, 20 Hz

    seen = []
    client.add_system(
        lambda w, dt: seen.extend(m.text for m in w.events.read(BroadcastMessage)),
        Phase.INPUT,
        after=NetReceive,
    )
    sent = []

    def send(w, dt):
        w.resource(ServerNet).server.broadcast(BroadcastMessage("hi"))
        sent.append(w.time.step)

    net.server.add_system(send, Phase.SPAWN, run_if=lambda w: not sent and not w.time.is_tick)
    while not sent:
        net.step()  # the server sends on a step without a snapshot; the client steps next
    assert seen == ["hi"]  # flushed in that very step, not held for the next tick


def test_game_systems_read_messages_after_net_receive_and_send_before_net_send(net):
    server = net.server
    order = []
    server.add_system(lambda w, dt: order.append("game send"), Phase.NETWORK, before=NetSend)
    server.add_system(lambda w, dt: order.append("game read"), Phase.INPUT, after=NetReceive)
    names = [type(s).__name__ for s in server.systems(Phase.NETWORK)]
    assert names[-2:] == ["ServerSnapshotSystem", "ServerFlushSystem"]
    names = [type(s).__name__ for s in server.systems(Phase.INPUT)]
    assert names[0] == "ServerReceiveSystem"
    net.step()
    assert order == ["game read", "game send"]


def test_client_connected_holds_once_welcomed():
    made = LoopbackNetwork(schema, clients=1)
    try:
        client = made.clients[0]
        assert not client_connected(client)
        made.step(6)
        assert client_connected(client)
    finally:
        made.close()


def test_a_spawn_only_entity_is_drawn_between_steps_on_a_drawing_client(net):
    bullet = net.server.create(
        Transform(100.0, 400.0), Velocity(0.0, -300.0), Replicated(spawn_only=True)
    )
    plane = net.server.create(Transform(300.0, 400.0), Replicated())
    net.step(4)  # a tick has sent both
    client = net.clients[0]
    decoder = client.resource(ClientNet).decoder
    mine = decoder.entities[net.server.component(bullet, Replicated).net_id]
    remote = decoder.entities[net.server.component(plane, Replicated).net_id]
    assert client.try_component(remote, DrawnTransform) is None  # interpolated instead
    previous = client.component(mine, PreviousTransform)
    assert (previous.x, previous.y) != (0.0, 0.0)
    client.step()
    now = client.component(mine, Transform)
    assert now.y == pytest.approx(previous.y - 5.0)  # 300 px/s for one step
    client.present(1 / 120, 0.5)
    drawn = client.component(mine, DrawnTransform)
    assert drawn.y == pytest.approx(now.y + 2.5)
    assert drawn.x == pytest.approx(now.x)


def test_the_loopback_network_presents_each_client_after_its_step(net):
    plane = net.server.create(Transform(300.0, 400.0), Replicated())
    net.step(4)
    net.server.component(plane, Transform).x = 360.0
    net.step(12)  # a few ticks: the client draws remote entities two ticks behind
    client = net.clients[0]
    remote = client.resource(ClientNet).decoder.entities[
        net.server.component(plane, Replicated).net_id
    ]
    assert client.component(remote, Transform).x == pytest.approx(360.0)  # interpolated
    assert client.time.alpha == 1.0


# -- the loopback harness itself --------------------------------------------------------------


def step_until_connected(made, index=0, limit=100):
    steps = 0
    while not made.client_net(index).client.connected:
        made.step()
        steps += 1
        assert steps < limit
    return steps


def test_the_loopback_network_joins_its_clients_as_numbered_players():
    made = LoopbackNetwork(NetSchema)  # two clients unless told
    try:
        step_until_connected(made, 0)
        step_until_connected(made, 1)
        names = sorted(peer.name for peer in made.net_server.joined_peers())
        assert names == ["player1", "player2"]
        assert made.net_server.max_peers == 2
    finally:
        made.close()


def test_every_world_of_a_seeded_network_draws_its_own_reproducible_numbers():
    def draws(seed):
        made = LoopbackNetwork(NetSchema, clients=2, seed=seed)
        try:
            return [[w.rng.random() for _ in range(3)] for w in (made.server, *made.clients)]
        finally:
            made.close()

    first = draws(7)
    assert first == draws(7)
    assert len({tuple(d) for d in first}) == 3  # server and clients do not share a stream
    assert draws(8) != first


def test_latency_holds_bytes_for_the_given_number_of_steps_each_way():
    def steps_to_connect(latency):
        made = LoopbackNetwork(NetSchema, clients=1, latency_steps=latency)
        try:
            return step_until_connected(made)
        finally:
            made.close()

    one, two, three = (steps_to_connect(n) for n in (1, 2, 3))
    # Joining is three round trips (request/challenge, response/keep-alive, Hello/Welcome):
    # a step more of latency each way costs six steps.
    assert two - one == three - two == 6


def test_a_welcome_carries_the_servers_rates_and_next_snapshot_number():
    made = LoopbackNetwork(NetSchema, clients=1)
    try:
        made.server.run(9)  # the server is ahead when the client joins
        step_until_connected(made)
        welcome = made.client_net(0).client.welcome
        assert (welcome.step_hz, welcome.tick_every) == (60, 3)
        assert welcome.client_id == made.net_server.joined_peers()[0].client_id
        # Tick 3 after nine steps: the snapshot numbers it may follow start past it.
        assert 4 <= welcome.server_tick <= snapshot_tick(made.server)
    finally:
        made.close()


def test_a_client_cut_off_for_10_s_resumes_and_keeps_its_world(net):
    server_world, client = net.server, net.clients[0]
    mover = server_world.create(Replicated(), Transform(10.0, 20.0), Velocity(30.0, 0.0))
    net.step(6)
    net_id = server_world.component(mover, Replicated).net_id
    seen = net.client_entity(0, net_id)
    assert seen is not None
    client_net = client.resource(ClientNet).client
    net.cut(0, 10.0)
    net.step(round(5.2 / (1 / 60)))
    assert client_net.reconnecting and net.server_net.server.away_peers()
    for _ in range(round(7.0 / (1 / 60))):
        net.step()
        if client_net.connected:
            break
    assert client_net.connected and client_net.welcome.resumed
    net.step(6)
    assert net.client_entity(0, net_id) == seen  # the same entity, moved on to where it is now
    here = server_world.component(mover, Transform).x
    assert client.component(seen, Transform).x == pytest.approx(here, abs=30.0 * 0.2)
