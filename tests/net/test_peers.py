"""NetServer and NetClient: tickets, handshakes, timeouts, leaving, link faults, and the
same games over real TCP and UDP sockets.

Most tests run on `Lan`: a seeded MemoryNetwork, a NetServer with one socket at a fixed
address, tickets from `issue_ticket`, and a ManualClock the test moves by hand, so every
run sees the same faults and nothing sleeps. Only the tests of real sockets (127.0.0.1,
port 0) wait, on select and for a bounded time.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

import pytest

from engine.net.client import ClientState, NetClient
from engine.net.codec import U32, clip_utf8
from engine.net.datagrams import PERFECT, Conditions, MemoryNetwork, UdpSocket
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    RESUME_SECONDS,
    BroadcastMessage,
    Disconnect,
    DisconnectReason,
    Hello,
    Message,
    Reject,
    RejectReason,
    Route,
    Welcome,
)
from engine.net.netcode import ClientState as LinkState
from engine.net.netcode import ConnectToken, NetcodeClient, new_key
from engine.net.netcode.client import PayloadReceived
from engine.net.reliable import ChannelConfig
from engine.net.schema import NetSchema
from engine.net.server import (
    FromPeer,
    NetServer,
    Peer,
    PeerJoined,
    PeerLeft,
    ResumeExpired,
    ServerEvent,
)
from engine.net.session import Session
from engine.net.tcp_datagrams import TcpDatagramServer
from engine.net.tickets import issue_ticket, protocol_id
from engine.net.transport import TcpListener
from engine.testing import Outage
from engine.time import ManualClock

GAME = "peers-test"
SERVER = ("10.0.0.1", 5000)
ELSEWHERE = ("10.0.0.2", 5000)  # another server of the same game
NOBODY = ("10.0.0.9", 5000)  # an address no socket holds
UNIX_START = 1_800_000_000.0  # the wall clock tickets are judged by, at manual time 0
STEP = 1 / 60
SERVER_TICK = 42
DEADLINE = 5.0  # seconds a real socket may take on a loaded machine


@dataclass(frozen=True, slots=True)
class Count(Message):
    """Client to server, reliable."""

    n: Annotated[int, U32()]


@dataclass(frozen=True, slots=True)
class Blip(Message):
    """Server to client, unreliable."""

    n: Annotated[int, U32()]


def schema() -> NetSchema:
    made = NetSchema()
    made.messages.register(Count, Route.TO_SERVER)
    made.messages.register(Blip, Route.TO_CLIENT, reliable=False)
    return made


def welcome(peer: Peer) -> Welcome:
    return Welcome(peer.client_id, 60, 3, SERVER_TICK)


def hello(name: str, resume: int = 0) -> Hello:
    return Hello(MAGIC, PROTOCOL_VERSION, name, schema().hash(), (), resume)


class Lan:
    """A NetServer at SERVER on a MemoryNetwork, its clients and raw peers, one manual clock.

    `conditions` apply to what every socket sends (so a round trip crosses them twice).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        conditions: Conditions = PERFECT,
        public_addresses: Iterable[tuple[str, int]] = (SERVER,),
        **options: object,
    ) -> None:
        self.clock = ManualClock(100.0)
        self.network = MemoryNetwork(seed)
        self.conditions = conditions
        self.key = new_key()
        self.server = NetServer(
            schema=schema(),
            key=self.key,
            protocol_id=protocol_id(GAME),
            public_addresses=list(public_addresses),
            welcome=welcome,
            now=self.now,
            sockets=[self.network.bind(SERVER, conditions)],
            unix_time=self.unix_time,
            **options,  # type: ignore[arg-type]
        )
        self.clients: list[NetClient] = []
        self.raws: list[RawPeer] = []
        self.heard: dict[NetClient, list[Message]] = {}
        self.paused: set[NetClient] = set()  # clients that stopped polling (a frozen game)

    @property
    def now(self) -> float:
        return self.clock.now()

    def unix_time(self) -> float:
        return UNIX_START + self.now

    def ticket(self, name: str = "", servers=(SERVER,), **options) -> ConnectToken:
        return issue_ticket(
            key=self.key,
            game=GAME,
            servers=list(servers),
            name=name,
            now_unix=self.unix_time(),
            **options,
        )

    def client(
        self, name: str, *, ticket: ConnectToken | None = None, socket=None, **options
    ) -> NetClient:
        made = NetClient(
            name=name,
            schema=schema(),
            token=ticket or self.ticket(),
            socket=socket or self.network.bind(conditions=self.conditions),
            now=self.now,
            **options,
        )
        self.clients.append(made)
        self.heard[made] = []
        return made

    def roaming(self, name: str, **options) -> tuple[NetClient, Outage]:
        """A client that reconnects after a lost connection (a fresh ticket, a fresh socket:
        a new address), and the Outage its every socket is behind."""
        outage = Outage(self.clock)

        def open_socket():
            return outage.wrap(self.network.bind(conditions=self.conditions))

        made = self.client(
            name, socket=open_socket(), renew_ticket=self.ticket, open_socket=open_socket, **options
        )
        return made, outage

    def raw(self, ticket: ConnectToken | None = None) -> RawPeer:
        made = RawPeer(self, ticket or self.ticket())
        self.raws.append(made)
        return made

    def peer(self, end: NetClient | RawPeer) -> Peer:
        """The server's Peer for a client or raw peer."""
        (found,) = [p for p in self.server.peers if p.address == end.socket.address]
        return found

    def step(self, seconds: float = STEP) -> list[ServerEvent]:
        """Move the clock on; every client polls and flushes, then the server does."""
        self.clock.advance(seconds)
        now = self.now
        for client in self.clients:
            if client not in self.paused:
                self.heard[client] += client.poll(now)
                client.flush(now)
        for raw in self.raws:
            raw.poll(now)
            raw.flush(now)
        events = self.server.poll(now)
        self.server.flush(now)
        return events

    def run(self, seconds: float, until: Callable[[], bool] | None = None) -> list[ServerEvent]:
        """Step for `seconds`, or until `until()` holds after a step; the server's events."""
        events: list[ServerEvent] = []
        end = self.now + seconds - STEP / 2
        while self.now < end:
            events += self.step()
            if until is not None and until():
                break
        return events

    def join(self, *names: str, **options) -> list[NetClient]:
        """Clients with these names, run until each is welcomed or refused."""
        made = [self.client(name, **options) for name in names]
        self.run(1.0, until=lambda: all(c.connected or c.closed for c in made))
        return made


class RawPeer:
    """A client end that sends whatever the test asks: a netcode connection and a Session
    without the handshake-order rule, so it may skip the Hello, send two, or send bytes no
    encoder checked. Unlike a NetClient it goes on listening after a Reject or Disconnect."""

    def __init__(self, lan: Lan, ticket: ConnectToken) -> None:
        now = lan.now
        messages = schema().messages
        self.socket = lan.network.bind(conditions=lan.conditions)
        self.link = NetcodeClient(ticket, now=now)
        self.session = Session(messages.to_client, messages.to_server, now=now)
        self.heard: list[Message] = []
        self.now = now
        self.link.connect(now)

    @property
    def connected(self) -> bool:
        return self.link.state == LinkState.CONNECTED

    def send(self, *messages: Message) -> None:
        for message in messages:
            self.session.send(message)

    def send_payload(self, data: bytes) -> None:
        """Bytes straight into the secure link: authenticated, but no channel's format."""
        assert self.link.send_payload(data, self.now)

    def poll(self, now: float) -> None:
        self.now = now
        for datagram, address in self.socket.receive(now):
            self.link.receive(datagram, address, now)
        self.link.update(now)
        for event in self.link.events():
            if isinstance(event, PayloadReceived):
                self.heard += self.session.receive(event.data, now)
        self._send(now)

    def flush(self, now: float) -> None:
        if self.connected:
            for payload in self.session.payloads(now):
                self.link.send_payload(payload, now)
        self._send(now)

    def disconnect(self) -> None:
        """Leave the way a client does: redundant netcode disconnect packets."""
        self.link.disconnect(self.now)
        self._send(self.now)

    def _send(self, now: float) -> None:
        for datagram, address in self.link.datagrams():
            self.socket.send_to(datagram, address, now)


def of_type(events: Iterable[object], kind: type) -> list:
    return [event for event in events if isinstance(event, kind)]


def joined_raw(lan: Lan, name: str = "ann") -> tuple[RawPeer, Peer]:
    """A raw peer that has said Hello and been welcomed."""
    raw = lan.raw()
    lan.run(1.0, until=lambda: raw.connected)
    raw.send(hello(name))
    lan.run(1.0, until=lambda: bool(raw.heard))
    assert [type(m) for m in raw.heard] == [Welcome]
    return raw, lan.peer(raw)


# -- the handshake ----------------------------------------------------------------------------


def test_a_client_is_welcomed_and_the_server_announces_it():
    lan = Lan()
    start = lan.now
    ann = lan.client("ann")
    assert ann.state is ClientState.CONNECTING and not ann.connected
    assert ann.target == "10.0.0.1:5000"
    events = lan.run(1.0, until=lambda: ann.connected)
    (joined,) = events
    assert isinstance(joined, PeerJoined)
    assert joined.peer.name == "ann" and joined.hello == hello("ann")
    assert joined.peer.joined and lan.server.joined_peers() == [joined.peer]
    assert joined.peer.address == ann.socket.address
    secret = joined.peer.resume  # a random secret, to resume this connection should it drop
    assert secret != 0
    assert lan.heard[ann] == [Welcome(joined.peer.client_id, 60, 3, SERVER_TICK, secret)]
    assert ann.welcome == lan.heard[ann][0]
    assert lan.server.joined_total == 1 and lan.server.dropped == 0
    assert lan.now - start < 0.1  # a few steps: request, challenge, response, Hello, Welcome


def test_peers_get_distinct_client_ids_that_their_welcome_carries():
    lan = Lan()
    clients = lan.join("ann", "bob", "cid")
    ids = [client.welcome.client_id for client in clients]
    assert sorted(ids) == [1, 2, 3]
    for client in clients:
        assert lan.peer(client).client_id == client.welcome.client_id
    bob = clients[1]
    bob.close(lan.now)
    (dan,) = lan.join("dan")
    assert dan.welcome.client_id == bob.welcome.client_id  # an id is a seat: it is reused


def test_a_second_hello_on_one_connection_drops_that_peer():
    lan = Lan()
    raw, peer = joined_raw(lan)
    raw.send(hello("ann"))
    (left,) = lan.run(0.5, until=lambda: len(raw.heard) > 1)
    assert isinstance(left, PeerLeft) and left.peer is peer
    assert (left.reason, left.clean) == ("protocol error: second Hello", False)
    assert raw.heard[1:] == [Disconnect(DisconnectReason.PROTOCOL, "protocol error: second Hello")]
    assert lan.server.dropped == 1 and lan.server.joined_peers() == []
    lan.run(1.5)
    assert lan.server.peers == []


def test_a_full_server_refuses_the_next_client_and_keeps_the_others():
    lan = Lan(max_peers=1)
    (ann,) = lan.join("ann")
    bob = lan.client("bob")
    events = lan.run(1.0, until=lambda: bob.closed)
    assert events == []  # a refused client was never in the game
    assert lan.heard[bob] == [Reject(RejectReason.FULL, "the server is full")]
    assert bob.rejected == lan.heard[bob][0]
    assert bob.close_reason == "The server refused to let you in: the server is full"
    assert ann.connected
    lan.run(1.5)
    assert [p.name for p in lan.server.peers] == ["ann"]
    assert lan.server.dropped == 0  # a refusal is not a misbehaving peer


def test_when_every_netcode_slot_is_taken_the_client_hears_the_server_is_full():
    lan = Lan(max_peers=1)  # and 4 spare slots, to tell the next ones why they cannot join
    raws = [lan.raw() for _ in range(5)]  # connected, never saying Hello
    lan.run(1.0, until=lambda: all(raw.connected for raw in raws))
    assert len(lan.server.peers) == 5
    carl = lan.client("carl")
    assert lan.run(1.0, until=lambda: carl.closed) == []
    assert carl.close_reason == "Could not connect: the server is full"
    assert carl.rejected is None and lan.heard[carl] == []
    assert len(lan.server.peers) == 5


def test_a_name_already_playing_whatever_its_case_gets_in_with_a_number():
    lan = Lan()
    ann, other = lan.join("Ann", "aNN")
    assert ann.connected and other.connected
    assert [p.name for p in lan.server.joined_peers()] == ["Ann", "aNN 2"]
    (welcome,) = lan.heard[other]
    assert isinstance(welcome, Welcome)


def test_a_rejected_name_frees_nothing_and_a_new_name_gets_in():
    lan = Lan(max_peers=2)
    ann, blank = lan.join("ann", " ")
    assert blank.rejected.reason is RejectReason.BAD_NAME
    assert ann.connected and lan.server.joined_total == 1
    (bob,) = lan.join("bob")
    assert bob.connected
    assert [p.name for p in lan.server.joined_peers()] == ["ann", "bob"]
    (cid,) = lan.join("cid")
    assert cid.rejected.reason is RejectReason.FULL  # the blank name took no seat either


def test_a_peer_that_never_says_hello_is_refused_after_the_handshake_timeout():
    lan = Lan(handshake_timeout=2.0)
    raw = lan.raw()
    lan.run(1.0, until=lambda: raw.connected)
    since = lan.peer(raw).connected_at
    assert lan.run(since + 2.0 - lan.now - STEP / 2) == []
    assert raw.heard == [] and lan.server.dropped == 0  # at the limit: still waiting
    assert lan.run(2 * STEP) == []  # never joined: nothing to announce
    assert raw.heard == [Reject(RejectReason.PROTOCOL, "no handshake in time")]
    assert lan.server.dropped == 1
    lan.run(1.5)
    assert lan.server.peers == []


def test_a_silent_peer_times_out_after_its_tickets_timeout():
    lan = Lan()
    (ann,) = lan.join("ann", ticket=lan.ticket(timeout_seconds=2))
    lan.run(0.5)
    ann.socket.close()  # unplugged: no goodbye, nothing more from it
    gone = lan.now  # its last keep-alive left at most 0.1 s before
    assert lan.run(1.8) == []
    (left,) = lan.run(0.3, until=lambda: bool(lan.server.dropped))
    assert left.peer.name == "ann" and (left.reason, left.clean) == ("timed out", False)
    assert 2.0 - 0.1 - STEP <= lan.now - gone <= 2.0 + STEP
    assert lan.server.peers == [] and lan.server.dropped == 1


def test_an_idle_client_is_never_timed_out_even_at_10_percent_loss():
    lan = Lan(conditions=Conditions(latency_ms=30, loss=0.1))
    (ann,) = lan.join("ann", ticket=lan.ticket(timeout_seconds=1))
    assert ann.connected
    assert lan.run(30.0) == []  # only keep-alives travel
    assert ann.connected and len(lan.server.joined_peers()) == 1


def test_a_connected_client_gives_up_on_a_server_gone_silent():
    lan = Lan()
    (ann,) = lan.join("ann", ticket=lan.ticket(timeout_seconds=2))
    lan.server.sockets[0].close()  # the server's machine is gone
    lan.run(2.0 - 2 * STEP)
    assert ann.connected
    lan.run(3 * STEP)
    assert ann.close_reason == "Lost connection to server (no answer for 2 s)"


@pytest.mark.parametrize("latency_ms", [20, 50, 150])
def test_the_round_trip_time_comes_from_acks_and_matches_the_link(latency_ms):
    lan = Lan(conditions=Conditions(latency_ms=latency_ms))  # each way
    ann = lan.client("ann")
    assert ann.rtt is None  # nothing measured before the welcome
    lan.run(2.0, until=lambda: ann.connected)
    peer = lan.peer(ann)
    for n in range(120):  # both ends send something every step, as a game does
        ann.send(Count(n))
        lan.server.send(peer, Blip(n))
        lan.step()
    # each way, a datagram waits up to a step for the other end's next poll
    round_trip = 2 * latency_ms / 1000
    assert round_trip - 1e-6 <= ann.rtt <= round_trip + 2 * STEP + 1e-6
    assert round_trip - 1e-6 <= peer.session.rtt <= round_trip + 2 * STEP + 1e-6


# -- leaving ----------------------------------------------------------------------------------


def test_a_goodbye_arrives_from_a_bare_memory_socket():
    lan = Lan()
    (ann,) = lan.join("ann", socket=lan.network.bind())
    ann.close(lan.now)
    (left,) = lan.step()
    assert (left.reason, left.clean) == ("quit", True)


@pytest.mark.parametrize("conditions", [PERFECT, Conditions(loss=0.2)], ids=["perfect", "loss"])
def test_a_client_that_closes_leaves_cleanly_at_once(conditions):
    lan = Lan(conditions=conditions)
    ann, bob = lan.join("ann", "bob")
    ann.close(lan.now)
    assert ann.closed and ann.close_reason == "You left the game"
    (left,) = lan.step()  # ten redundant goodbyes: one gets through
    assert (left.peer.name, left.reason, left.clean) == ("ann", "quit", True)
    assert [p.name for p in lan.server.peers] == ["bob"]
    assert lan.server.dropped == 0
    assert ann.poll(lan.now) == [] and bob.connected


def test_a_peer_that_leaves_before_its_hello_is_not_announced():
    lan = Lan()
    raw = lan.raw()
    lan.run(1.0, until=lambda: raw.connected)
    assert len(lan.server.peers) == 1
    raw.disconnect()
    assert lan.run(1.0) == []
    assert lan.server.peers == [] and lan.server.dropped == 0


def test_a_client_that_gives_up_while_connecting_leaves_no_trace():
    lan = Lan()
    ann = lan.client("ann")
    lan.step()  # its connection request is out; no answer heard yet
    assert ann.state is ClientState.CONNECTING
    ann.close(lan.now)
    assert ann.close_reason == "You left the game"
    assert lan.run(10.0) == []
    assert lan.server.peers == [] and lan.server.link.num_connected_clients == 0


def test_a_client_that_leaves_before_it_is_welcomed_joins_and_leaves_cleanly():
    lan = Lan()
    ann = lan.client("ann")
    events = lan.run(1.0, until=lambda: ann.state is ClientState.HANDSHAKE)
    assert lan.heard[ann] == []  # its Hello is out, the Welcome on its way
    ann.close(lan.now)
    assert ann.close_reason == "You left the game"
    events += lan.run(0.5)
    joined, left = events  # the Hello counted; then it said goodbye
    assert isinstance(joined, PeerJoined) and left.peer is joined.peer
    assert (left.reason, left.clean) == ("quit", True)
    assert lan.server.peers == []


@pytest.mark.parametrize("seed", range(10))
def test_dropping_a_peer_tells_it_why_once_even_at_20_percent_loss(seed):
    lan = Lan(seed=seed, conditions=Conditions(latency_ms=20, loss=0.2))
    (ann,) = lan.join("ann")
    lan.run(3.0)  # an idle player: the server has not heard a message from it for a while
    peer = lan.peer(ann)
    reason = "cheating " + "é" * 200
    lan.server.drop(peer, reason)  # as a game system does: no time given
    lan.server.drop(peer, "again")
    assert lan.server.dropped == 1
    events = lan.run(2.0, until=lambda: ann.closed)
    (left,) = events
    assert left.peer is peer and (left.reason, left.clean) == (reason, False)
    detail = clip_utf8(reason, 255)
    assert len(detail.encode()) == 255 and detail.startswith("cheating é")
    assert lan.heard[ann][1:] == [Disconnect(DisconnectReason.KICKED, detail)]
    assert ann.close_reason == f"Disconnected by the server: {detail}"
    assert lan.run(2.0) == []
    assert lan.server.peers == []


@pytest.mark.parametrize(
    ("send", "reason"),
    [
        (
            lambda raw: raw.send_payload(b"garbage!"),  # 'g' = 0x67: a fragment, wrongly
            "protocol error: fragment prefix 0x67 is not 0x01",
        ),
        (
            lambda raw: raw.session.send_encoded(b"\xee"),
            "protocol error: unknown client-to-server message type 0xee",
        ),
    ],
    ids=["bad-packet", "unknown-message"],
)
def test_a_protocol_error_drops_the_peer_with_the_reason(send, reason):
    lan = Lan()
    raw, peer = joined_raw(lan)
    (bob,) = lan.join("bob")
    send(raw)
    (left,) = lan.run(0.5, until=lambda: len(raw.heard) > 1)
    assert left.peer is peer and (left.reason, left.clean) == (reason, False)
    assert raw.heard[1:] == [Disconnect(DisconnectReason.PROTOCOL, reason)]
    assert lan.server.dropped == 1
    assert bob.connected and [p.name for p in lan.server.joined_peers()] == ["bob"]


def test_nothing_is_sent_to_a_peer_that_is_leaving():
    lan = Lan()
    raw, peer = joined_raw(lan)
    server = lan.server
    server.drop(peer, "bye")
    assert server.send(peer, BroadcastMessage("late")) is None
    assert server.send_encoded(peer, server.sends.encode(BroadcastMessage("later"))) is None
    server.broadcast(BroadcastMessage("everyone"))
    lan.run(1.5)  # the raw peer goes on listening through the server's linger
    assert raw.heard[1:] == [Disconnect(DisconnectReason.KICKED, "bye")]


def test_a_broadcast_reaches_every_joined_peer_but_the_one_excluded():
    lan = Lan()
    clients = lan.join("ann", "bob", "cid")
    waiting = lan.raw()  # connected, not joined: hears nothing
    lan.run(1.0, until=lambda: waiting.connected)
    lan.server.broadcast(BroadcastMessage("hi"), exclude=lan.peer(clients[0]))
    lan.server.broadcast(Blip(7))
    lan.run(0.2)
    assert [lan.heard[c][1:] for c in clients] == [
        [Blip(7)],
        [Blip(7), BroadcastMessage("hi")],  # the unreliable channel goes first in a packet
        [Blip(7), BroadcastMessage("hi")],
    ]
    assert waiting.heard == []


def test_a_peer_that_stops_acknowledging_is_dropped_when_its_reliable_queue_overflows():
    lan = Lan(channels=ChannelConfig(max_queued_bytes=4096, max_message_size=1024))
    ann, bob = lan.join("ann", "bob")
    lan.paused.add(ann)  # its game froze: it neither reads nor acknowledges
    started = lan.now
    events: list[ServerEvent] = []
    sent = 0
    while not events and lan.now - started < 2.0:
        lan.server.broadcast(BroadcastMessage(f"{sent:03} " + "x" * 200))
        sent += 1
        events = lan.step()
    (left,) = events
    assert left.peer.name == "ann" and not left.clean
    assert left.reason == "send buffer full (peer not reading)"
    size = len(lan.server.sends.encode(BroadcastMessage("000 " + "x" * 200)))
    assert (sent - 1) * size <= 4096 < sent * size  # it overflowed as the queue filled
    assert lan.now - started < 0.5  # long before any timeout
    assert lan.server.dropped == 1 and [p.name for p in lan.server.peers] == ["bob"]
    lan.run(0.5)
    assert [m.text[:3] for m in lan.heard[bob][1:]] == [f"{n:03}" for n in range(sent)]
    lan.paused.clear()  # ann wakes up to a connection that was cut
    lan.run(0.5, until=lambda: ann.closed)
    assert ann.close_reason == "Disconnected by the server"


@pytest.mark.parametrize("detail", [None, "maintenance"])
def test_closing_the_server_tells_joined_peers_it_is_shutting_down(detail):
    lan = Lan()
    ann, bob = lan.join("ann", "bob")
    waiting = lan.raw()
    lan.run(1.0, until=lambda: waiting.connected)
    if detail is None:
        lan.server.close(lan.now)
        detail = "server shutting down"
    else:
        lan.server.close(lan.now, detail)
    assert lan.server.peers == [] and lan.server.sockets[0].closed
    lan.clock.advance(STEP)
    for client in (ann, bob):
        assert client.poll(lan.now) == [Disconnect(DisconnectReason.SHUTDOWN, detail)]
        assert client.close_reason == f"Disconnected by the server: {detail}"
    waiting.poll(lan.now)
    assert waiting.heard == [] and waiting.link.state == LinkState.DISCONNECTED


# -- tickets and the client's side ------------------------------------------------------------


def test_a_client_gives_up_on_a_server_nobody_holds():
    lan = Lan()
    ann = lan.client("ann", ticket=lan.ticket(servers=[NOBODY]))
    assert ann.target == "10.0.0.9:5000"
    lan.run(5.0 - STEP)
    assert ann.state is ClientState.CONNECTING
    lan.run(2 * STEP)
    assert ann.close_reason == "Could not connect: no answer from 10.0.0.9:5000 after 5 s"


def test_an_expired_ticket_is_refused():
    lan = Lan()
    ticket = lan.ticket(expire_seconds=3)
    lan.run(4.0)  # it waited too long to be used
    ann = lan.client("ann", ticket=ticket)
    assert lan.run(5.0, until=lambda: ann.closed) == []
    assert ann.close_reason == "Could not connect: the ticket expired"
    assert lan.server.link.stats.ignored["request: connect token expired"] > 0
    assert lan.server.peers == []


def test_a_ticket_for_another_servers_address_gets_no_answer():
    lan = Lan(public_addresses=[ELSEWHERE])  # its datagrams reach a server it does not name
    ann = lan.client("ann")
    assert lan.run(6.0, until=lambda: ann.closed) == []
    assert ann.close_reason == "Could not connect: no answer from 10.0.0.1:5000 after 5 s"
    assert lan.server.link.stats.ignored["request: token does not name this server"] > 0
    assert lan.server.peers == []


def test_a_tickets_name_wins_over_the_hellos():
    lan = Lan()
    (ann,) = lan.join("mallory", ticket=lan.ticket(name="Ann"))
    (joined,) = [p for p in lan.server.joined_peers()]
    assert ann.connected and joined.name == "Ann" and joined.ticket_name == "Ann"
    (namesake,) = lan.join("zed", ticket=lan.ticket(name="ann"))
    assert namesake.connected
    assert [p.name for p in lan.server.joined_peers()] == ["Ann", "ann 2"]


def test_a_tickets_name_is_in_the_announced_hello():
    lan = Lan()
    ann = lan.client("mallory", ticket=lan.ticket(name="Ann"))
    (joined,) = lan.run(1.0, until=lambda: ann.connected)
    assert joined.hello.name == "Ann" and joined.peer.name == "Ann"


def test_a_client_that_fails_keeps_the_games_reason_and_frees_its_seat_at_once():
    lan = Lan(max_peers=1)
    (ann,) = lan.join("ann")
    ann.fail("The server's data is unusable")
    assert ann.closed and ann.close_reason == "The server's data is unusable"
    ann.send(Count(1))
    ann.close(lan.now)
    assert ann.close_reason == "The server's data is unusable"
    assert ann.poll(lan.now) == []
    (left,) = lan.step()  # told at once, not after a timeout
    assert left.peer.name == "ann" and left.reason == "quit"
    (again,) = lan.join("ann")  # its seat and its name are free
    assert again.connected


def test_a_client_that_is_refused_frees_its_connection_at_once():
    lan = Lan(max_peers=1)
    lan.join("ann")
    (bob,) = lan.join("bob")
    assert bob.rejected is not None
    lan.step()
    assert [p.name for p in lan.server.peers] == ["ann"]  # no linger left to wait out
    assert lan.server.link.num_connected_clients == 1


def test_a_client_that_hears_garbage_from_the_server_says_so():
    lan = Lan()
    (ann,) = lan.join("ann")
    lan.server.link.send_payload(lan.peer(ann).client_index, b"garbage!", lan.now)
    lan.server.flush(lan.now)
    (left,) = lan.step()  # it gave up, and said so to the server
    assert ann.close_reason == (
        "Lost connection to server: it sent something invalid (fragment prefix 0x67 is not 0x01)"
    )
    assert left.peer.name == "ann" and left.reason == "quit"


# -- resuming a lost connection ---------------------------------------------------------------


def test_a_client_cut_off_for_10_s_resumes_from_a_new_address_as_the_same_player():
    lan = Lan()
    ann, outage = lan.roaming("ann")
    (bob,) = lan.join("bob")
    lan.run(1.0, until=lambda: ann.connected)
    before = lan.peer(ann)
    secret, address = ann.welcome.resume, ann.socket.address
    outage.cut(10.0)  # its Wi-Fi is gone
    events = lan.run(5.0 + 0.2)
    (left,) = events  # silent for the ticket's 5 s: a timeout, not a goodbye
    assert left.peer is before and (left.reason, left.clean, left.resumable) == (
        "timed out",
        False,
        True,
    )
    assert lan.server.away_peers() == [before] and lan.server.joined_peers() == [lan.peer(bob)]
    assert ann.state is ClientState.RECONNECTING and not ann.closed
    assert ann.lost_reason == "Lost connection to server (no answer for 5 s)"
    gone = lan.now
    events = lan.run(10.0, until=lambda: ann.connected)
    assert not outage.down and lan.now - gone < 5.0 + 2.0  # back within a try of the cut's end
    (joined,) = events
    assert isinstance(joined, PeerJoined) and joined.resumed_from is before
    after = joined.peer
    assert after.name == "ann" and after is not before
    assert ann.socket.address != address and after.address == ann.socket.address
    assert ann.welcome.resumed and ann.resumes == 1
    assert ann.welcome.resume not in (0, secret)  # a new secret for the new connection
    assert lan.server.away_peers() == [] and lan.server.resumed_total == 1
    assert lan.run(RESUME_SECONDS + 1) == []  # nothing lapses: it is back
    ann.send(Count(3))
    assert lan.step() == [FromPeer[Count](after, Count(3))]


def test_a_client_that_cannot_get_back_gives_up_after_30_s_with_the_reason_it_lost():
    lan = Lan()
    ann, outage = lan.roaming("ann")
    lan.run(1.0, until=lambda: ann.connected)
    outage.cut(3600.0)
    cut = lan.now
    events = lan.run(5.0 + 0.2)
    assert ann.reconnecting
    lost = ann.gives_up_at - RESUME_SECONDS
    assert 5.0 - 0.1 <= lost - cut <= 5.0 + STEP  # the ticket's timeout after its last packet
    events += lan.run(ann.gives_up_at - lan.now - STEP)
    assert ann.reconnecting
    events += lan.run(2 * STEP)
    assert ann.closed and ann.close_reason == (
        "Lost connection to server (no answer for 5 s); could not reconnect in 30 s"
    )
    events += lan.run(1.0)
    left, expired = events  # the server kept its place as long, then gave up on it too
    assert left.resumable and expired == ResumeExpired(left.peer)
    assert lan.server.away_peers() == []


def test_a_place_not_taken_up_in_30_s_lapses_and_its_secret_then_joins_afresh():
    lan = Lan()
    raw, peer = joined_raw(lan)
    secret = peer.resume
    raw.socket.close()  # gone without a goodbye
    (left,) = lan.run(5.2)
    assert left.resumable
    events = lan.run(RESUME_SECONDS - 0.2 - STEP)
    assert events == [] and lan.server.away_peers() == [peer]
    (expired,) = lan.run(2 * STEP)
    assert expired == ResumeExpired(peer)
    late = lan.raw()
    lan.run(1.0, until=lambda: late.connected)
    late.send(hello("ann", resume=secret))
    (joined,) = lan.run(1.0, until=lambda: bool(late.heard))
    assert joined.resumed_from is None and joined.peer.name == "ann"
    assert not late.heard[0].resumed


def test_a_clean_quit_is_not_resumable():
    lan = Lan()
    ann, _ = lan.roaming("ann")
    lan.run(1.0, until=lambda: ann.connected)
    secret = ann.welcome.resume
    ann.close(lan.now)
    (left,) = lan.step()
    assert (left.clean, left.resumable) == (True, False)
    assert lan.server.away_peers() == []
    again = lan.raw()
    lan.run(1.0, until=lambda: again.connected)
    again.send(hello("ann", resume=secret))
    (joined,) = lan.run(1.0, until=lambda: bool(again.heard))
    assert joined.resumed_from is None and not again.heard[0].resumed


def test_a_wrong_or_used_secret_is_a_fresh_join_and_an_away_players_name_stays_its_own():
    lan = Lan()
    raw, peer = joined_raw(lan, "ann")
    secret = peer.resume
    raw.socket.close()
    lan.run(5.2)
    assert lan.server.away_peers() == [peer]
    guess = lan.raw()
    lan.run(1.0, until=lambda: guess.connected)
    guess.send(hello("eve", resume=secret ^ 1))
    (joined,) = lan.run(1.0, until=lambda: bool(guess.heard))
    assert joined.resumed_from is None and joined.peer.name == "eve"
    impostor = lan.raw()
    lan.run(1.0, until=lambda: impostor.connected)
    impostor.send(hello("ANN", resume=secret ^ 2))  # the name of a player who may come back
    (namesake,) = lan.run(1.0, until=lambda: bool(impostor.heard))
    assert namesake.resumed_from is None and namesake.peer.name == "ANN 2"
    back = lan.raw()
    lan.run(1.0, until=lambda: back.connected)
    back.send(hello("whoever", resume=secret))
    (resumed,) = lan.run(1.0, until=lambda: bool(back.heard))
    assert resumed.resumed_from is peer and resumed.peer.name == "ann"  # the name it had
    replay = lan.raw()
    lan.run(1.0, until=lambda: replay.connected)
    replay.send(hello("mallory", resume=secret))  # used once already
    (fresh,) = lan.run(1.0, until=lambda: bool(replay.heard))
    assert fresh.resumed_from is None and fresh.peer.name == "mallory"


def test_an_away_player_keeps_its_room_on_a_full_server():
    lan = Lan(max_peers=1)
    ann, outage = lan.roaming("ann")
    lan.run(1.0, until=lambda: ann.connected)
    outage.cut(8.0)
    lan.run(5.2)
    assert lan.server.away_peers()
    (bob,) = lan.join("bob")
    assert bob.rejected == Reject(RejectReason.FULL, "the server is full")
    (joined,) = lan.run(10.0, until=lambda: ann.connected)
    assert joined.resumed_from is not None and ann.welcome.resumed


def test_a_resume_before_the_server_noticed_the_silence_takes_over_the_old_connection():
    lan = Lan()
    raw, peer = joined_raw(lan, "ann")
    again = lan.raw()  # its client, from a new address, while the old one still looks alive
    lan.run(1.0, until=lambda: again.connected)
    again.send(hello("ann", resume=peer.resume))
    left, joined = lan.run(1.0, until=lambda: bool(again.heard))
    assert left.peer is peer and (left.clean, left.resumable) == (False, True)
    assert joined.resumed_from is peer and again.heard[0].resumed
    assert lan.server.away_peers() == [] and lan.server.joined_peers() == [joined.peer]
    assert lan.run(RESUME_SECONDS + 1) == []


@pytest.mark.parametrize("how", ["kicked", "cut", "shutdown", "rejected"])
def test_a_client_the_server_sent_away_does_not_reconnect(how):
    lan = Lan(max_peers=1)
    ann, _ = lan.roaming("ann")
    lan.run(1.0, until=lambda: ann.connected)
    if how == "kicked":
        lan.server.drop(lan.peer(ann), "no cheating")
        expected = "Disconnected by the server: no cheating"
    elif how == "cut":  # the secure connection's own goodbye, with no message before it
        lan.server.link.disconnect(lan.peer(ann).client_index, lan.now)
        lan.server.flush(lan.now)
        expected = "Disconnected by the server"
    elif how == "shutdown":
        lan.server.close(lan.now)
        expected = "Disconnected by the server: server shutting down"
    else:
        ann, _ = lan.roaming("bob")
        expected = "The server refused to let you in: the server is full"
    lan.run(2.0, until=lambda: ann.closed)
    assert ann.closed and ann.close_reason == expected and not ann.reconnecting
    if how != "shutdown":
        assert of_type(lan.run(RESUME_SECONDS), PeerJoined) == []


def test_a_client_keeps_trying_while_it_cannot_even_open_a_socket():
    lan = Lan()
    outage = Outage(lan.clock)
    failures = []

    def open_socket():
        if outage.down:  # no network at all: the OS refuses
            failures.append(lan.now)
            raise OSError(101, "Network is unreachable")
        return lan.network.bind()

    ann = lan.client("ann", renew_ticket=lan.ticket, open_socket=open_socket)
    lan.run(1.0, until=lambda: ann.connected)
    ann.socket.close()  # the interface went down with its address
    outage.cut(9.0)
    (joined,) = of_type(lan.run(12.0, until=lambda: ann.resumes > 0), PeerJoined)
    assert joined.resumed_from is not None and ann.resumes == 1
    assert len(failures) >= 3 and failures[1] - failures[0] == pytest.approx(1.0, abs=STEP)


def test_a_client_without_a_way_to_a_new_ticket_closes_when_the_connection_is_lost():
    lan = Lan()
    (ann,) = lan.join("ann", ticket=lan.ticket(timeout_seconds=2))
    assert not ann.can_reconnect  # a ticket and a socket given, nothing to renew them
    ann.socket.close()
    lan.run(2.2)
    assert ann.close_reason == "Lost connection to server (no answer for 2 s)"


# -- every reliable message, in order ---------------------------------------------------------


def test_reliable_messages_arrive_in_order_under_loss_jitter_and_reordering():
    rough = Conditions(latency_ms=30, jitter_ms=20, loss=0.1, duplicate=0.05, reorder=0.1)
    lan = Lan(conditions=rough, seed=7)
    (ann,) = lan.join("ann")
    assert ann.connected
    peer = lan.peer(ann)
    events: list[ServerEvent] = []
    for n in range(300):
        ann.send(Count(n))
        lan.server.send(peer, BroadcastMessage(str(n)))
        lan.server.send(peer, Blip(n))
        events += lan.step()
    events += lan.run(3.0)
    assert [e.message.n for e in of_type(events, FromPeer[Count])] == list(range(300))
    heard = lan.heard[ann][1:]
    assert [m.text for m in of_type(heard, BroadcastMessage)] == [str(n) for n in range(300)]
    blips = [m.n for m in of_type(heard, Blip)]
    assert len(set(blips)) == len(blips) and set(blips) <= set(range(300))
    assert 200 < len(blips) < 300  # some lost for good: never resent
    assert ann.connected and lan.server.dropped == 0


# -- over real sockets ------------------------------------------------------------------------


def fds(*ends: object) -> list[int]:
    out: list[int] = []
    for end in ends:
        sockets = end.sockets if isinstance(end, NetServer) else [end.socket]  # type: ignore[attr-defined]
        out += [fd for sock in sockets for fd in sock.filenos()]
    return out


class RealGame:
    """A NetServer and one NetClient on real sockets, polled on the monotonic clock."""

    def __init__(self, server: NetServer, client: NetClient) -> None:
        self.server = server
        self.client = client
        self.events: list[ServerEvent] = []
        self.heard: list[Message] = []

    def pump(self, until: Callable[[], bool]) -> None:
        """Poll both, waiting on their sockets between rounds, until `until()` holds;
        fail after DEADLINE seconds."""
        server, client = self.server, self.client
        deadline = time.monotonic() + DEADLINE
        while not until():
            assert time.monotonic() < deadline, "no progress within the deadline"
            now = time.monotonic()
            self.heard += client.poll(now)
            client.flush(now)
            self.events += server.poll(now)
            server.flush(now)
            select.select(fds(server, client), [], [], 0.01)

    def play(self) -> None:
        """Join, a message each way, and a clean goodbye."""
        client, server = self.client, self.server
        self.pump(lambda: client.connected or client.closed)
        assert client.connected, client.close_reason
        assert self.heard == [Welcome(1, 60, 3, SERVER_TICK, client.welcome.resume)]
        client.send(Count(7))
        self.pump(lambda: len(self.events) == 2)
        joined, counted = self.events
        assert isinstance(joined, PeerJoined) and joined.peer.name == "ann"
        assert counted == FromPeer[Count](joined.peer, Count(7))
        server.broadcast(BroadcastMessage("hi"))
        self.pump(lambda: len(self.heard) == 2)
        assert self.heard[1] == BroadcastMessage("hi")
        client.close(time.monotonic())
        self.pump(lambda: len(self.events) == 3)
        left = self.events[2]
        assert (left.peer, left.reason, left.clean) == (joined.peer, "quit", True)


def real_server(sock) -> tuple[NetServer, bytes]:
    key = new_key()
    server = NetServer(
        schema=schema(),
        key=key,
        protocol_id=protocol_id(GAME),
        public_addresses=[sock.address],
        welcome=welcome,
        now=time.monotonic(),
        sockets=[sock],
    )
    return server, key


def real_ticket(key: bytes, address: tuple[str, int]) -> ConnectToken:
    return issue_ticket(key=key, game=GAME, servers=[address], now_unix=time.time())


def test_a_game_over_udp_on_the_loopback():
    server, key = real_server(UdpSocket.bind("127.0.0.1", 0))
    client = NetClient.udp(
        real_ticket(key, server.sockets[0].address),
        now=time.monotonic(),
        name="ann",
        schema=schema(),
    )
    try:
        RealGame(server, client).play()
    finally:
        client.fail("test over")
        server.close(time.monotonic())


def test_a_game_over_tcp_datagrams():
    tcp = TcpDatagramServer("127.0.0.1", 0)
    server, key = real_server(tcp)
    client = NetClient.tcp(
        real_ticket(key, tcp.address), now=time.monotonic(), name="ann", schema=schema()
    )
    try:
        RealGame(server, client).play()
    finally:
        client.fail("test over")
        server.close(time.monotonic())
    assert tcp.connections == 0


def test_a_refused_tcp_connect_is_a_reason_the_player_can_read():
    closed = TcpListener("127.0.0.1", 0)
    port = closed.address[1]
    closed.close()  # nothing listens there now
    ticket = issue_ticket(
        key=new_key(), game=GAME, servers=[("127.0.0.1", port)], now_unix=time.time()
    )
    client = NetClient.tcp(ticket, now=time.monotonic(), name="ann", schema=schema())
    assert client.target == f"127.0.0.1:{port}"
    deadline = time.monotonic() + DEADLINE
    while not client.closed and time.monotonic() < deadline:
        assert client.poll(time.monotonic()) == []
        select.select([], [], [], 0.01)
    assert client.close_reason == f"Could not connect: connection refused by 127.0.0.1:{port}"


def test_an_idle_server_wakes_for_a_datagram():
    server, _ = real_server(UdpSocket.bind("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(b"\x00", server.sockets[0].address)
        start = time.monotonic()
        server.wait(DEADLINE)
        assert time.monotonic() - start < DEADLINE / 2
        assert server.poll(time.monotonic()) == []  # read, and ignored: not netcode
        assert server.link.stats.total == 1
    finally:
        sender.close()
        server.close(time.monotonic())


def test_a_server_with_no_time_to_wait_does_not_wait():
    server, _ = real_server(UdpSocket.bind("127.0.0.1", 0))
    try:
        start = time.monotonic()
        server.wait(0.0)
        server.wait(-1.0)
        assert time.monotonic() - start < DEADLINE / 2
    finally:
        server.close(time.monotonic())


def test_the_routes_of_addresses_gone_or_never_connected_are_forgotten():
    """The server remembers which socket each address was heard on. A server that runs for
    days hears from many addresses (scanners, clients that come and go): every 10 s the
    routes of those neither connected nor mid-handshake go, so its memory stays flat."""
    lan = Lan()
    (ann,) = lan.join("ann")
    junk = [lan.network.bind() for _ in range(50)]
    for sock in junk:
        sock.send_to(b"\x00not netcode", SERVER, lan.now)
    (bob,) = lan.join("bob")
    assert len(lan.server._route) == 2 + 50
    bob.close(lan.now)
    lan.run(0.5)
    lan.run(10.5)
    assert set(lan.server._route) == {ann.socket.address}
    assert ann.connected
    lan.run(1.0)
    assert ann.connected and not ann.closed  # its route kept: it still hears the server
