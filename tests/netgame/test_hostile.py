"""A server under hostile bytes drops the offender with a logged reason and keeps serving."""

import contextlib
import logging
import random
import socket

import pytest

from engine.net.codec import Writer
from engine.net.framing import encode_frame
from engine.net.messages import MAGIC, PROTOCOL_VERSION, Hello
from engine.net.sync import ClientNet
from game.net.schema import shooter_schema
from game.rules.spawn import spawn_pickup

SCHEMA = shooter_schema()


def hello_frame(name="mallory"):
    hello = Hello(MAGIC, PROTOCOL_VERSION, name, SCHEMA.hash(), ())
    return encode_frame(SCHEMA.messages.to_server.encode(hello))


def huge_count_hello():
    w = Writer()
    w.u8(SCHEMA.messages.by_type[Hello].type_id)
    w.u32(MAGIC)
    w.u16(PROTOCOL_VERSION)
    w.string("m")
    w.u64(1)
    w.uvarint(10**9)  # mods: a billion strings, please
    return encode_frame(w.getvalue())


ATTACKS = {
    "random bytes": random.Random(4).randbytes(300),
    "oversize length": (10**7).to_bytes(4, "big") + b"x" * 20,
    "zero length": b"\x00\x00\x00\x00",
    "unknown type": encode_frame(b"\x7e\x01\x02"),
    "not a hello first": encode_frame(b"\x23\x00\x00"),
    "huge count": huge_count_hello(),
    "garbage after hello": hello_frame() + encode_frame(b"\x23" + b"\xff" * 10),
    "unknown type after hello": hello_frame("eve") + encode_frame(b"\x6f"),
    "truncated position update": hello_frame("trudy") + encode_frame(b"\x23\x01\x02\x01"),
    "lying fragment": hello_frame("oscar") + encode_frame(b"\x7f\x00\x01\x00\x05\x00\x02abc"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_hostile_peer_is_dropped_and_good_clients_keep_playing(harness, attack, caplog):
    alice, bob = harness.join("alice"), harness.join("bob")
    host, port = harness.address
    evil = socket.create_connection((host, port), timeout=2)
    try:
        evil.sendall(ATTACKS[attack])
        with caplog.at_level(logging.INFO):
            harness.run_until(
                lambda: (
                    harness.server.net.dropped >= 1
                    or any("rejected" in r.getMessage() for r in caplog.records)
                ),
                steps=60,
                what=f"the server to drop the peer sending {attack}",
            )
        assert any(
            "protocol error" in r.getMessage() or "rejected" in r.getMessage()
            for r in caplog.records
        )
        evil.settimeout(2)
        leftover = b""
        with contextlib.suppress(OSError):  # a reset is a fine way to be shown the door
            while chunk := evil.recv(4096):
                leftover += chunk
    finally:
        evil.close()
    start = harness.server.world.time.step
    alice.control(0, move_x=1.0)
    harness.step(12)
    assert alice.connected and bob.connected
    assert bob.world.resource(ClientNet).snapshots > 2
    assert harness.server.world.time.step == start + 12


def test_a_peer_that_never_finishes_its_frame_is_timed_out(harness):
    alice = harness.join("alice")
    host, port = harness.address
    evil = socket.create_connection((host, port), timeout=2)
    try:
        evil.sendall((100).to_bytes(4, "big") + b"only ten b")  # a frame that never completes
        harness.run_until(
            lambda: harness.server.net.dropped >= 1, steps=6 * 60, what="the handshake timeout"
        )
        assert alice.connected
    finally:
        evil.close()


def test_a_peer_that_stops_reading_is_dropped_when_its_buffer_fills(harness, caplog):
    alice = harness.join("alice")
    harness.server.net.max_outbound = 32 * 1024
    host, port = harness.address
    evil = socket.socket()
    evil.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # and then never read
    evil.settimeout(2)
    evil.connect((host, port))
    try:
        evil.sendall(hello_frame("sloth"))
        net = harness.server.net
        harness.run_until(lambda: any(p.name == "sloth" for p in net.peers), what="sloth")
        sloth = next(p for p in net.peers if p.name == "sloth")
        sloth.stream.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        world = harness.server.world
        for index in range(6000):  # a full state of ~120 KiB for the newcomer
            spawn_pickup(world, "health", 50 + index % 900, 4300 + index % 500)
        with caplog.at_level(logging.INFO):
            harness.run_until(
                lambda: any("send buffer full" in r.getMessage() for r in caplog.records),
                steps=120,
                what="the slow reader to be dropped",
            )
        harness.step(6)
        assert alice.connected
        assert "sloth" not in {name for name, _, _ in alice.players().values()}
    finally:
        evil.close()
