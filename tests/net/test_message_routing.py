"""Messages between worlds: a mod's messages take the engine's path; the server hands each
message on as a FromPeer event of its own type; a peer that sends a type the server does not
take is dropped, alone, with a logged reason."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated

import pytest

from engine import Phase, Plugin, World
from engine.events import EventQueue
from engine.net.codec import U8, Str
from engine.net.datagrams import Conditions
from engine.net.messages import BroadcastMessage, Message, MessageRegistry, Route
from engine.net.schema import NetSchema
from engine.net.server import FromPeer, Peer, PeerLeft
from engine.net.sync import IDLE_EVERY, ServerNet
from engine.testing import LoopbackNetwork


@dataclass(frozen=True, slots=True)
class Knock(Message):
    """Client to server."""

    times: Annotated[int, U8()]


@dataclass(frozen=True, slots=True)
class Echo(Message):
    """Server to client."""

    text: Annotated[str, Str(32)]


@dataclass
class Log:
    knocks: list[tuple[int, int]] = field(default_factory=list)  # (client id, times)
    echoes: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


class AnswerKnocks:
    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        log = world.resource(Log)
        for event in world.events.read(FromPeer[Knock]):
            log.knocks.append((event.peer.client_id, event.message.times))
            net.server.send(event.peer, Echo("knock " * event.message.times))
        log.left.extend(left.reason for left in world.events.read(PeerLeft))


def note_echoes(world: World, dt: float) -> None:
    world.resource(Log).echoes.extend(echo.text for echo in world.events.read(Echo))


class KnockPlugin(Plugin):
    name = "knock"

    def build(self, world: World) -> None:
        world.insert_resource(Log())
        messages = world.resource(MessageRegistry)
        messages.register(Knock, Route.TO_SERVER)
        messages.register(Echo, Route.TO_CLIENT)

    def build_server(self, world: World) -> None:
        world.add_system(AnswerKnocks(), Phase.SIMULATE)

    def build_client(self, world: World) -> None:
        world.add_system(note_echoes, Phase.SIMULATE)


@pytest.fixture
def net():
    made = LoopbackNetwork(
        NetSchema, server_plugins=lambda: [KnockPlugin()], client_plugins=lambda: [KnockPlugin()]
    )
    made.step(6)
    assert all(made.client_net(i).client.connected for i in range(2))
    yield made
    made.close()


def test_a_mod_message_travels_the_engine_path_both_ways(net):
    server_messages = net.server.resource(MessageRegistry)
    assert server_messages is net.server.resource(NetSchema).messages
    assert server_messages.by_type[Knock].type_id == 0xC0  # the first automatic type byte
    assert server_messages.by_type[Echo].type_id == 0xC1
    net.client_net(1).client.send(Knock(2))
    net.step(4)
    assert net.server.resource(Log).knocks == [(2, 2)]  # client ids count from 1
    assert net.clients[1].resource(Log).echoes == ["knock knock "]
    assert net.clients[0].resource(Log).echoes == []


def test_mod_messages_keep_their_order_over_a_lossy_link():
    rough = Conditions(latency_ms=30, jitter_ms=20, loss=0.1, reorder=0.1)
    made = LoopbackNetwork(
        NetSchema,
        server_plugins=lambda: [KnockPlugin()],
        client_plugins=lambda: [KnockPlugin()],
        clients=1,
        conditions=rough,
        seed=3,
    )
    try:
        made.step(60)
        client = made.client_net(0).client
        assert client.connected
        sent = [n % 5 + 1 for n in range(30)]  # an Echo holds five knocks at most
        for times in sent:
            client.send(Knock(times))
            made.step()
        made.step(180)
        assert made.server.resource(Log).knocks == [(1, t) for t in sent]
        assert made.clients[0].resource(Log).echoes == ["knock " * t for t in sent]
    finally:
        made.close()


def send_raw(net: LoopbackNetwork, index: int, payload: bytes) -> None:
    """What a hostile or mismatched client could send: bytes no encoder checked."""
    net.client_net(index).client.session.send_encoded(payload)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (bytes([0xC2]), "unknown client-to-server message type 0xc2"),
        (bytes([0xC1, 0x00]), "Echo (0xc1) is not a client-to-server message"),
        (bytes([0x85, 0x00]), "BroadcastMessage (0x85) is not a client-to-server message"),
    ],
)
def test_a_type_the_server_does_not_take_drops_that_peer_alone(net, caplog, payload, reason):
    with caplog.at_level(logging.WARNING):
        send_raw(net, 0, payload)
        net.step(3)
    assert net.server_net.server.dropped == 1
    assert any(reason in r.getMessage() and "dropping" in r.getMessage() for r in caplog.records)
    assert net.server.resource(Log).left == [f"protocol error: {reason}"]
    first, second = net.client_net(0), net.client_net(1)
    assert first.client.close_reason == f"Disconnected by the server: protocol error: {reason}"
    assert [p.name for p in net.server_net.server.joined_peers()] == ["player2"]
    snapshots = second.snapshots
    second.client.send(Knock(1))
    net.step(3 * IDLE_EVERY)  # an idle world: a snapshot at least every IDLE_EVERY ticks
    assert second.client.connected and second.snapshots > snapshots
    assert net.clients[1].resource(Log).echoes == ["knock "]


def test_a_client_cannot_send_a_message_the_wrong_way(net):
    with pytest.raises(TypeError, match="Echo is not a client-to-server message"):
        net.client_net(0).client.send(Echo("hi"))
    with pytest.raises(TypeError, match="Knock is not a server-to-client message"):
        net.server_net.server.broadcast(Knock(1))


def test_a_client_refuses_a_message_it_may_not_receive(net):
    knock = net.server.resource(MessageRegistry).to_server.encode(Knock(1))
    peer = net.server_net.server.joined_peers()[0]
    net.server_net.server.send_encoded(peer, knock)
    net.step(2)
    client = net.client_net(0).client
    assert client.close_reason == (
        "Lost connection to server: it sent something invalid "
        "(Knock (0xc0) is not a server-to-client message)"
    )


def test_client_messages_are_emitted_as_themselves(net):
    net.server_net.server.broadcast(BroadcastMessage("hello"))
    seen: list = []
    net.clients[0].add_system(
        lambda w, dt: seen.extend(w.events.read(BroadcastMessage)), Phase.PRESENT
    )
    net.step(2)
    assert seen == [BroadcastMessage("hello")]


# -- FromPeer ---------------------------------------------------------------------------------


def peer(client_id: int = 1) -> Peer:
    """A peer in netcode slot client_id - 1 (no session: these events never reach one)."""
    return Peer(client_id - 1, ("10.0.0.2", 4000), session=None, connected_at=0.0)  # type: ignore[arg-type]


def test_from_peer_of_a_type_is_one_cached_class_per_message_type():
    assert FromPeer[Knock] is FromPeer[Knock]
    assert FromPeer[Knock] is not FromPeer[Echo]
    assert issubclass(FromPeer[Knock], FromPeer)
    assert FromPeer[Knock].message_type is Knock
    assert FromPeer[Knock].__name__ == "FromPeer[Knock]"
    event = FromPeer[Knock](peer(3), Knock(1))
    assert (event.peer.client_id, event.message) == (3, Knock(1))


def test_readers_of_one_from_peer_type_never_see_another():
    queue = EventQueue()
    sender = peer()
    queue.emit(FromPeer[Knock](sender, Knock(1)))
    queue.emit(FromPeer[Echo](sender, Echo("a")))
    queue.emit(FromPeer[Knock](sender, Knock(2)))
    assert [e.message for e in queue.read(FromPeer[Knock])] == [Knock(1), Knock(2)]
    assert [e.message for e in queue.read(FromPeer[Echo])] == [Echo("a")]
    assert queue.read(FromPeer) == ()
    assert queue.read(FromPeer[BroadcastMessage]) == ()


def test_from_peer_refuses_what_it_cannot_name():
    with pytest.raises(TypeError, match="cannot carry a Echo"):
        FromPeer[Knock](peer(), Echo("a"))
    with pytest.raises(TypeError, match="cannot carry"):
        FromPeer(peer(), Knock(1))  # no message type named
    with pytest.raises(TypeError, match="takes a Message type"):
        FromPeer[int]  # noqa: B018
    with pytest.raises(TypeError, match="already names its message type"):
        FromPeer[Knock][Echo]  # noqa: B018


def test_the_server_emits_each_message_as_from_peer_of_its_type(net):
    seen: list = []

    def record(world: World, dt: float) -> None:
        events = (*world.events.read(FromPeer[Knock]), *world.events.read(FromPeer[Echo]))
        seen.extend((type(e).__name__, e.peer.client_id, e.message) for e in events)

    net.server.add_system(record, Phase.SIMULATE)
    net.client_net(0).client.send(Knock(1))
    net.client_net(1).client.send(Knock(3))
    net.step(3)
    assert seen == [("FromPeer[Knock]", 1, Knock(1)), ("FromPeer[Knock]", 2, Knock(3))]
