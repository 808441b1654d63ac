"""NetServer and NetClient over in-memory streams: handshakes, timeouts, pings, leaving.

Time is a number the test moves by hand; only the tests of real sockets wait, with a bound.
"""

from __future__ import annotations

import socket
import time

import pytest
from engine.net.connection import client_connection, server_connection

from engine.net.client import NetClient
from engine.net.framing import encode_frame
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    BroadcastMessage,
    Disconnect,
    DisconnectReason,
    Hello,
    Ping,
    Pong,
    Quit,
    Reject,
    RejectReason,
    Welcome,
)
from engine.net.schema import NetSchema
from engine.net.server import NetServer, PeerJoined, PeerLeft
from engine.net.transport import TcpListener, loopback_pair

DEADLINE = 5.0  # seconds a real socket may take on a loaded machine
SERVER_TICK = 42


def welcome(peer):
    return Welcome(peer.client_id, 60, 3, SERVER_TICK)


def server(**options) -> NetServer:
    return NetServer(schema=NetSchema(), welcome=welcome, **options)


def join(net: NetServer, name: str, now: float = 0.0, **options) -> NetClient:
    """A NetClient on a fresh loopback stream the server has adopted (not yet polled)."""
    server_end, client_end = loopback_pair()
    net.add_stream(server_end, now)
    return NetClient.over(client_end, now=now, name=name, schema=NetSchema(), **options)


def exchange(net: NetServer, clients, now: float):
    """Clients speak, the server answers, clients hear: (server events, messages per client)."""
    for client in clients:
        client.poll(now)
        client.flush()
    events = net.poll(now)
    net.flush()
    heard = [client.poll(now) for client in clients]
    for client in clients:
        client.flush()
    return events, heard


class RawPeer:
    """A client end that sends whatever the test asks, handshake rules or not."""

    def __init__(self, net: NetServer, now: float = 0.0) -> None:
        server_end, self.stream = loopback_pair()
        self.peer = net.add_stream(server_end, now)
        self.connection = client_connection(NetSchema().messages, now)

    def send(self, *messages) -> None:
        for message in messages:
            self.connection.send(message)
        self.stream.send(self.connection.data_to_send())
        self.stream.flush()

    def hear(self, now: float = 0.0) -> list:
        return self.connection.receive_data(self.stream.receive(), now)


def hello(name: str, schema: NetSchema | None = None) -> Hello:
    return Hello(MAGIC, PROTOCOL_VERSION, name, (schema or NetSchema()).hash(), ())


# -- the handshake ----------------------------------------------------------------------------


def test_a_client_is_welcomed_and_the_server_announces_it():
    net = server()
    ann = join(net, "ann")
    assert not ann.connected
    events, (heard,) = exchange(net, [ann], 0.0)
    (joined,) = events
    assert isinstance(joined, PeerJoined)
    assert joined.peer.name == "ann" and joined.hello.name == "ann"
    assert joined.peer.joined and net.joined_peers() == [joined.peer]
    assert heard == [Welcome(joined.peer.client_id, 60, 3, SERVER_TICK)]
    assert ann.connected and ann.welcome == heard[0]
    assert ann.target == "loopback"
    assert net.joined_total == 1


def test_peers_get_increasing_client_ids():
    net = server()
    clients = [join(net, name) for name in ("ann", "bob", "cid")]
    exchange(net, clients, 0.0)
    assert [client.welcome.client_id for client in clients] == [1, 2, 3]


def test_a_second_hello_on_one_connection_drops_that_peer():
    net = server()
    raw = RawPeer(net)
    raw.send(hello("ann"))
    (joined,) = net.poll(0.0)
    raw.send(hello("ann"))
    (left,) = net.poll(0.1)
    assert isinstance(left, PeerLeft) and left.peer is joined.peer
    assert (left.reason, left.clean) == ("protocol error: second Hello", False)
    heard = raw.hear()
    assert heard[-1] == Disconnect(DisconnectReason.PROTOCOL, "protocol error: second Hello")
    assert net.peers == [] and net.dropped == 1


def test_a_full_server_refuses_the_next_client_and_keeps_the_others():
    net = server(max_peers=1)
    ann, bob = join(net, "ann"), join(net, "bob")
    events, heard = exchange(net, [ann, bob], 0.0)
    assert [type(e) for e in events] == [PeerJoined]
    assert heard[1] == [Reject(RejectReason.FULL, "the server is full")]
    assert bob.closed and bob.rejected == heard[1][0]
    assert bob.close_reason == "The server refused to let you in: the server is full"
    assert ann.connected
    assert [p.name for p in net.peers] == ["ann"]
    assert net.dropped == 0  # a refusal is not a misbehaving peer


def test_a_name_already_playing_is_refused_whatever_its_case():
    net = server()
    ann, other = join(net, "Ann"), join(net, "aNN")
    _, heard = exchange(net, [ann, other], 0.0)
    assert heard[1] == [Reject(RejectReason.BAD_NAME, "the name 'aNN' is already playing")]


def test_a_rejected_name_frees_nothing_and_a_new_name_gets_in():
    net = server(max_peers=2)
    ann, blank = join(net, "ann"), join(net, " ")
    exchange(net, [ann, blank], 0.0)
    assert blank.rejected.reason is RejectReason.BAD_NAME
    bob = join(net, "bob", 1.0)
    exchange(net, [bob], 1.0)
    assert bob.connected
    assert [p.name for p in net.joined_peers()] == ["ann", "bob"]


def test_a_peer_that_never_says_hello_is_refused_after_the_handshake_timeout():
    net = server(handshake_timeout=5.0)
    raw = RawPeer(net, now=10.0)
    assert net.poll(15.0) == []  # exactly at the limit: still waiting
    assert net.peers == [raw.peer]
    assert net.poll(15.01) == []  # never joined: nothing to announce
    assert net.peers == []
    assert raw.hear() == [Reject(RejectReason.PROTOCOL, "no handshake in time")]
    assert net.dropped == 1


def test_a_silent_peer_is_dropped_after_the_silence_timeout():
    net = server(silence_timeout=2.0)
    ann = join(net, "ann", 100.0)
    exchange(net, [ann], 100.0)
    net.poll(100.0)  # the client's first ping, sent on its welcome: last heard at 100 s
    assert net.poll(102.0) == []  # exactly at the limit: still in
    (left,) = net.poll(102.5)
    assert (left.reason, left.clean) == ("timed out after 2 s of silence", False)
    net.flush()
    heard = ann.poll(102.5)
    assert heard == [Disconnect(DisconnectReason.TIMEOUT, "timed out after 2 s of silence")]
    assert ann.close_reason == "Disconnected by the server: timed out after 2 s of silence"
    assert net.dropped == 1


def test_a_peer_that_keeps_talking_is_never_timed_out():
    net = server(silence_timeout=2.0)
    ann = join(net, "ann", 0.0, ping_interval=1.0, silence_timeout=10.0)
    exchange(net, [ann], 0.0)
    for second in range(1, 30):
        events, _ = exchange(net, [ann], float(second))
        assert events == []
    assert ann.connected and len(net.joined_peers()) == 1


# -- pings ------------------------------------------------------------------------------------


def test_a_ping_is_answered_with_its_nonce_and_the_servers_tick():
    net = server()
    raw = RawPeer(net)
    raw.send(hello("ann"))
    net.poll(0.0)
    raw.send(Ping(77))
    assert net.poll(0.0) == []  # pings are the server's business, not the game's
    net.flush()
    assert raw.hear()[-1] == Pong(77, SERVER_TICK)


def test_a_client_pings_once_connected_and_smooths_the_round_trip():
    net = server()
    ann = join(net, "ann", 0.0, ping_interval=1.0)
    exchange(net, [ann], 0.0)  # welcomed: the first ping goes out now
    assert ann.rtt is None
    ann.poll(0.0)
    ann.flush()
    net.poll(0.2)
    net.flush()
    ann.poll(0.2)  # the pong of a ping sent at 0.0
    assert ann.rtt == pytest.approx(0.2)
    ann.poll(1.0)  # the next ping, one interval later
    ann.flush()
    net.poll(1.0)
    net.flush()
    ann.poll(1.7)
    assert ann.rtt == pytest.approx(0.2 * 0.8 + 0.7 * 0.2)


def test_a_pong_for_no_ping_of_ours_is_ignored():
    a, b = loopback_pair()
    client = NetClient.over(b, now=0.0, name="ann", schema=NetSchema())
    client.poll(0.0)
    conn = server_connection(NetSchema().messages, 0.0)
    conn.receive_data(a.receive(), 0.0)
    conn.send(Welcome(1, 60, 3, 0))
    conn.send(Pong(999, 5))
    a.send(conn.data_to_send())
    a.flush()
    assert client.poll(0.1) == [Welcome(1, 60, 3, 0)]
    assert client.rtt is None and client.connected


# -- leaving ----------------------------------------------------------------------------------


def test_a_client_that_quits_leaves_cleanly():
    net = server()
    ann, bob = join(net, "ann"), join(net, "bob")
    exchange(net, [ann, bob], 0.0)
    ann.close()
    assert ann.close_reason == "You left the game"
    (left,) = net.poll(0.5)
    assert (left.peer.name, left.reason, left.clean) == ("ann", "quit", True)
    assert [p.name for p in net.peers] == ["bob"]
    assert net.dropped == 0


def test_a_closed_connection_is_an_unclean_leave():
    net = server()
    raw = RawPeer(net)
    raw.send(hello("ann"))
    net.poll(0.0)
    raw.stream.close("gone")
    (left,) = net.poll(0.1)
    assert (left.reason, left.clean) == ("closed by peer", False)
    assert net.peers == []


def test_a_peer_that_leaves_before_its_handshake_is_not_announced():
    net = server()
    raw = RawPeer(net)
    raw.stream.close("gone")
    assert net.poll(0.1) == []
    assert net.peers == []


def test_dropping_a_peer_tells_it_why_once():
    net = server()
    ann = join(net, "ann")
    exchange(net, [ann], 0.0)
    (peer,) = net.peers
    net.drop(peer, "cheating " + "é" * 200)
    net.drop(peer, "again")
    assert net.dropped == 1
    heard = ann.poll(0.1)
    (goodbye,) = heard
    assert goodbye.reason is DisconnectReason.KICKED
    assert goodbye.detail.startswith("cheating é") and len(goodbye.detail.encode()) <= 255
    (left,) = net.poll(0.1)
    assert left.reason.startswith("cheating ") and not left.clean


def test_a_protocol_error_drops_the_peer_with_the_reason():
    net = server()
    raw = RawPeer(net)
    raw.send(hello("ann"))
    net.poll(0.0)
    raw.stream.send(encode_frame(b"\xee"))  # a message type nobody registered
    raw.stream.flush()
    (left,) = net.poll(0.1)
    assert left.reason == "protocol error: unknown client-to-server message type 0xee"
    assert raw.hear()[-1] == Disconnect(DisconnectReason.PROTOCOL, left.reason)


def test_nothing_is_sent_to_a_peer_that_is_leaving():
    net = server()
    ann = join(net, "ann")
    exchange(net, [ann], 0.0)
    (peer,) = net.peers
    net.drop(peer, "bye")
    net.send(peer, BroadcastMessage("late"))
    net.send_encoded(peer, net.sends.encode(BroadcastMessage("later")))
    assert [type(m) for m in ann.poll(0.1)] == [Disconnect]


def test_a_broadcast_reaches_every_joined_peer_but_the_one_excluded():
    net = server()
    clients = [join(net, name) for name in ("ann", "bob", "cid")]
    exchange(net, clients, 0.0)
    waiting = RawPeer(net)  # connected, not joined: hears nothing
    ann_peer = net.peers[0]
    net.broadcast(BroadcastMessage("hi"), exclude=ann_peer)
    net.flush()
    assert [c.poll(0.1) for c in clients] == [[], [BroadcastMessage("hi")]] + [
        [BroadcastMessage("hi")]
    ]
    assert waiting.hear() == []


def test_a_peer_that_stops_reading_is_dropped_at_flush_and_reported_at_the_next_poll():
    net = server(max_outbound=1000)
    server_end, client_end = loopback_pair(chunk_limit=64)  # a slow reader: 64 bytes a flush
    net.add_stream(server_end, 0.0)
    ann = NetClient.over(client_end, now=0.0, name="ann", schema=NetSchema())
    exchange(net, [ann], 0.0)
    assert ann.connected
    flushes = 0
    while net.peers and flushes < 50:
        net.broadcast(BroadcastMessage("x" * 200))
        net.flush()
        flushes += 1
    assert net.peers == [] and net.dropped == 1
    assert flushes > 5  # the backlog grew past the cap first
    (left,) = net.poll(0.1)
    assert left.reason == "send buffer full (peer not reading)" and not left.clean


def test_closing_the_server_tells_joined_peers_it_is_shutting_down():
    net = server()
    ann = join(net, "ann")
    exchange(net, [ann], 0.0)
    waiting = RawPeer(net)
    net.close("maintenance")
    assert net.peers == []
    assert ann.poll(0.1) == [Disconnect(DisconnectReason.SHUTDOWN, "maintenance")]
    assert ann.close_reason == "Disconnected by the server: maintenance"
    assert waiting.hear() == []


# -- the client's side ------------------------------------------------------------------------


def test_a_client_gives_up_on_a_silent_server():
    net = server()
    ann = join(net, "ann", 0.0, silence_timeout=4.0)
    exchange(net, [ann], 0.0)
    ann.poll(4.0)
    assert ann.connected  # exactly at the limit
    ann.poll(4.5)
    assert ann.closed
    assert ann.close_reason == "Lost connection to server (no answer for 4 s)"


def test_a_client_reports_a_server_that_sends_garbage():
    a, b = loopback_pair()
    client = NetClient.over(b, now=0.0, name="ann", schema=NetSchema())
    client.poll(0.0)
    a.send(encode_frame(b"\x80\x00"))  # a truncated Welcome
    a.flush()
    assert client.poll(0.1) == []
    assert client.closed
    assert client.close_reason.startswith(
        "Lost connection to server: it sent something invalid (truncated u32"
    )


def test_a_client_whose_stream_closes_has_lost_the_server():
    net = server()
    ann = join(net, "ann")
    exchange(net, [ann], 0.0)
    net.peers[0].stream.close("pulled the plug")
    assert ann.poll(0.1) == []
    assert ann.close_reason == "Lost connection to server"


def test_a_client_that_fails_keeps_the_games_reason_and_stops_talking():
    net = server()
    ann = join(net, "ann")
    exchange(net, [ann], 0.0)
    ann.fail("The server's data is unusable")
    assert ann.closed and ann.close_reason == "The server's data is unusable"
    ann.send(Quit())
    ann.close()
    assert ann.close_reason == "The server's data is unusable"
    assert ann.poll(0.2) == []
    (left,) = net.poll(0.2)
    assert left.clean is False


def test_a_client_that_leaves_before_it_is_welcomed_says_no_quit():
    net = server()
    ann = join(net, "ann")
    ann.poll(0.0)  # Hello sent
    ann.close()
    assert ann.close_reason == "You left the game"
    joined, left = net.poll(0.1)  # the Hello still counts; then the connection is gone
    assert isinstance(joined, PeerJoined)
    assert (left.reason, left.clean) == ("closed by peer", False)


def test_a_refused_tcp_connect_is_a_reason_the_player_can_read():
    closed = TcpListener("127.0.0.1", 0)
    port = closed.address[1]
    closed.close()  # nothing listens there now
    client = NetClient.tcp("127.0.0.1", port, now=0.0, name="ann", schema=NetSchema())
    assert client.target == f"127.0.0.1:{port}"
    deadline = time.monotonic() + DEADLINE
    while not client.closed and time.monotonic() < deadline:
        assert client.poll(0.0) == []
    assert client.close_reason == f"Could not connect: connection refused by 127.0.0.1:{port}"


# -- waiting for sockets ----------------------------------------------------------------------


def test_an_idle_server_wakes_for_a_new_connection():
    listener = TcpListener("127.0.0.1", 0)
    net = server(listener=listener)
    sock = socket.create_connection(listener.address, timeout=DEADLINE)
    try:
        start = time.monotonic()
        net.wait(DEADLINE)
        assert time.monotonic() - start < DEADLINE / 2
        net.poll(0.0)
        assert len(net.peers) == 1
    finally:
        sock.close()
        net.close()
    assert listener.closed


def test_an_idle_server_wakes_for_a_peer_that_speaks():
    listener = TcpListener("127.0.0.1", 0)
    net = server(listener=listener)
    sock = socket.create_connection(listener.address, timeout=DEADLINE)
    try:
        deadline = time.monotonic() + DEADLINE
        while not net.peers and time.monotonic() < deadline:
            net.wait(0.05)
            net.poll(0.0)
        listener.close()  # only the peer's socket is left to wake the server
        sock.sendall(b"\x00")
        start = time.monotonic()
        net.wait(DEADLINE)
        assert time.monotonic() - start < DEADLINE / 2
    finally:
        sock.close()
        net.close()


def test_a_server_with_no_time_to_wait_does_not_wait():
    listener = TcpListener("127.0.0.1", 0)
    net = server(listener=listener)
    try:
        start = time.monotonic()
        net.wait(0.0)
        net.wait(-1.0)
        assert time.monotonic() - start < DEADLINE / 2
    finally:
        net.close()
