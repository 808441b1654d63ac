"""A server under hostile datagrams keeps serving: strangers get no answer at all, and a
ticket holder that breaks the protocol is dropped with a logged reason.

Real UDP on 127.0.0.1, one manual clock (see conftest.Harness)."""

from __future__ import annotations

import logging
import random
import select

import pytest

from engine.net.codec import Writer
from engine.net.datagrams import UdpSocket
from engine.net.messages import MAGIC, PROTOCOL_VERSION, Hello
from engine.net.netcode import ClientState, NetcodeClient
from engine.net.reliable import Channel, ChannelConnection
from engine.net.sync import ClientNet
from game.net.schema import shooter_schema
from tests.netgame.conftest import Harness

SCHEMA = shooter_schema()


@pytest.fixture
def harness():
    """Over UDP only: the intruders here speak raw datagrams."""
    made = Harness(transport="udp")
    yield made
    made.close()


def hello(name: str = "mallory") -> bytes:
    return SCHEMA.messages.to_server.encode(Hello(MAGIC, PROTOCOL_VERSION, name, SCHEMA.hash(), ()))


def huge_count_hello() -> bytes:
    w = Writer()
    w.u8(SCHEMA.messages.by_type[Hello].type_id)
    w.u32(MAGIC)
    w.u16(PROTOCOL_VERSION)
    w.string("m")
    w.u64(1)
    w.uvarint(10**9)  # mods: a billion strings, please
    return w.getvalue()


class Intruder:
    """A ticket holder with a real secure connection that sends whatever the test says,
    as messages on the reliable channel or as raw payloads under it."""

    def __init__(self, harness, name: str = "mallory") -> None:  # noqa: ANN001
        self.harness = harness
        now = harness.clock.now()
        self.sock = UdpSocket.bind("127.0.0.1", 0)
        self.link = NetcodeClient(harness.server.ticket(name), now=now)
        self.link.connect(now)
        self.channels = ChannelConnection(now=now)
        self.heard = 0  # bytes the server sent it

    def pump(self) -> None:
        now = self.harness.clock.now()
        for datagram, address in self.sock.receive(now):
            self.heard += len(datagram)
            self.link.receive(datagram, address, now)
        self.link.update(now)
        self.link.events()
        for datagram, address in self.link.datagrams():
            self.sock.send_to(datagram, address, now)

    def connect(self) -> None:
        for _ in range(60):
            self.harness.step()
            self.pump()
            if self.link.state == ClientState.CONNECTED:
                return
        raise AssertionError(f"the intruder never connected ({self.link.state.name})")

    def send(self, *messages: bytes) -> None:
        now = self.harness.clock.now()
        for message in messages:
            self.channels.send(Channel.RELIABLE_ORDERED, message)
        for payload in self.channels.write_packets(now):
            self.link.send_payload(payload, now)
        self.pump()

    def send_payload(self, payload: bytes) -> None:
        self.link.send_payload(payload, self.harness.clock.now())
        self.pump()

    def close(self) -> None:
        self.sock.close()


SESSION_ATTACKS = {
    "random payload": ("payload", random.Random(4).randbytes(300)),
    "not a hello first": ("messages", (b"\x25\x00\x00\x00",)),
    "huge count": ("messages", (huge_count_hello(),)),
    "garbage after hello": ("messages", (hello(), b"\x25" + b"\xff" * 10)),
    "unknown type after hello": ("messages", (hello("eve"), b"\x6f")),
    "truncated player inputs": ("messages", (hello("trudy"), b"\x25\x01\x03\x01")),
}


def keep_playing(harness, alice, bob) -> None:  # noqa: ANN001
    start = harness.server.world.time.step
    snapshots = bob.world.resource(ClientNet).snapshots
    alice.control(0, move_x=1.0)
    harness.step(12)
    assert alice.connected and bob.connected
    assert bob.world.resource(ClientNet).snapshots > snapshots + 2
    assert harness.server.world.time.step == start + 12


@pytest.mark.parametrize("attack", sorted(SESSION_ATTACKS))
def test_a_ticket_holder_that_breaks_the_protocol_is_dropped_and_others_play_on(
    harness, attack, caplog
):
    alice, bob = harness.join("alice"), harness.join("bob")
    intruder = Intruder(harness)
    try:
        intruder.connect()
        kind, what = SESSION_ATTACKS[attack]
        with caplog.at_level(logging.INFO):
            if kind == "payload":
                intruder.send_payload(what)
            else:
                intruder.send(*what)
            harness.run_until(
                lambda: harness.server.net.dropped >= 1,
                steps=60,
                what=f"the server to drop the peer sending {attack}",
            )
        dropped = [r.getMessage() for r in caplog.records if "dropping" in r.getMessage()]
        assert len(dropped) == 1 and "protocol error" in dropped[0]
        net = harness.server.net
        harness.run_until(  # it lingers a moment, to hear why, and is gone
            lambda: [p.name for p in net.peers] == ["alice", "bob"], steps=90, what="the cut"
        )
        keep_playing(harness, alice, bob)
    finally:
        intruder.close()


def stranger_datagrams(request: bytes) -> dict[str, list[bytes]]:
    rng = random.Random(7)
    forged = bytearray(request)
    forged[200] ^= 0xFF  # inside the sealed token: it no longer opens
    return {
        "random bytes": [rng.randbytes(n) for n in (1, 17, 18, 100, 1078, 1200)],
        "oversize": [b"\x05" + rng.randbytes(1400)],
        "forged request": [bytes(forged)],
        "replayed request": [request],  # someone else's, from another address
        "request of random bytes": [b"\x00" + rng.randbytes(1077)],
    }


@pytest.mark.parametrize(
    "attack",
    ["random bytes", "oversize", "forged request", "replayed request", "request of random bytes"],
)
def test_strangers_get_no_answer_and_change_nothing(harness, attack):
    alice, bob = harness.join("alice"), harness.join("bob")
    # A real connection request (the first datagram of a fresh client), to forge and replay.
    ticket_holder = NetcodeClient(harness.server.ticket("victim"), now=harness.clock.now())
    ticket_holder.connect(harness.clock.now())
    ticket_holder.update(harness.clock.now())
    ((request, _),) = ticket_holder.datagrams()
    victim, stranger = UdpSocket.bind("127.0.0.1", 0), UdpSocket.bind("127.0.0.1", 0)
    server_address = harness.server.address
    try:
        victim.send_to(request, server_address, 0.0)  # the ticket's first use, from its owner
        harness.step(2)
        pending = harness.server.net.link.num_pending
        peers_before = len(harness.server.net.peers)
        for datagram in stranger_datagrams(request)[attack]:
            stranger.send_to(datagram, server_address, 0.0)
        harness.step(6)
        ready, _, _ = select.select(stranger.filenos(), [], [], 0.05)
        assert not ready, "the server answered a stranger"
        assert len(harness.server.net.peers) == peers_before
        assert harness.server.net.link.num_pending == pending == 1  # only the owner's
        keep_playing(harness, alice, bob)
    finally:
        victim.close()
        stranger.close()


def test_a_flood_of_requests_keeps_pending_handshakes_bounded_and_lets_players_in(harness):
    alice = harness.join("alice")
    flood = UdpSocket.bind("127.0.0.1", 0)
    link = harness.server.net.link
    try:
        for index in range(300):  # valid tickets, each asking for a handshake
            asker = NetcodeClient(harness.server.ticket(f"f{index}"), now=harness.clock.now())
            asker.connect(harness.clock.now())
            asker.update(harness.clock.now())
            ((request, address),) = asker.datagrams()
            flood.send_to(request, address, 0.0)
        harness.step(3)
        assert 0 < link.num_pending <= link.max_clients * 4
        bob = harness.join("bob")  # still gets in
        keep_playing(harness, alice, bob)
    finally:
        flood.close()
