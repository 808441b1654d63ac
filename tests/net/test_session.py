"""Sessions: messages over channels, sans-I/O, with payloads passed by hand on a manual clock."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.net.codec import U16
from engine.net.errors import ProtocolError
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    BroadcastMessage,
    Hello,
    Message,
    MessageRegistry,
    Route,
    UpdateClientState,
    Welcome,
)
from engine.net.session import client_session, server_session


@dataclass(frozen=True, slots=True)
class Aim(Message):
    """An unreliable input for these tests."""

    angle: Annotated[int, U16()]


@dataclass(frozen=True, slots=True)
class Note(Message):
    """A reliable message for these tests."""

    value: Annotated[int, U16()]


MESSAGES = MessageRegistry()
MESSAGES.register(Aim, Route.TO_SERVER, type_id=0x40, reliable=False)
MESSAGES.register(Note, Route.TO_SERVER, type_id=0x41)


def hello(name: str = "ann") -> Hello:
    return Hello(MAGIC, PROTOCOL_VERSION, name, 1, ())


def carry(sender, receiver, now: float, lose=lambda: False) -> list:
    """Every payload `sender` writes now goes to `receiver` unless `lose()`; what arrived."""
    got = []
    for payload in sender.payloads(now):
        if not lose():
            got += receiver.receive(payload, now)
    return got


def test_messages_cross_and_are_counted():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    client.send(hello())
    carry(client, server, 0.5)
    client.send(hello("again"))
    client.send(Aim(90))
    assert sorted(map(repr, carry(client, server, 1.0))) == [repr(Aim(90)), repr(hello("again"))]
    assert server.last_heard == 1.0 and server.messages_in == 3 == client.messages_out
    assert server.bytes_in == client.bytes_out > 0


def test_unreliable_messages_before_the_handshake_are_dropped_not_fatal():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    client.send(Aim(1))  # overtakes the Hello
    client.send(hello())
    client.send(Aim(2))
    assert carry(client, server, 0.0) == [hello()]  # both Aims came before the Hello
    client.send(Aim(3))
    assert carry(client, server, 0.1) == [Aim(3)]
    assert not server.failed


def test_a_message_bigger_than_a_packet_arrives_whole():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    client.send(hello())
    carry(client, server, 0.0)
    server.send(Welcome(1, 60, 3, 0))
    big = BroadcastMessage("x" * 255)
    state = UpdateClientState(9, 0, bytes(range(256)) * 400)  # 100 KiB, reliably
    server.send_encoded(server.sends.encode(state))
    server.send(big)
    assert carry(server, client, 0.1) == [Welcome(1, 60, 3, 0), state, big]


def test_reliable_messages_survive_loss_and_unreliable_ones_may_not():
    rng = random.Random(3)
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    client.send(hello())
    got, now = [], 0.0
    for step in range(60):
        client.send(Aim(step))
        if step % 10 == 0:
            client.send(hello(f"n{step}"))  # reliable: must all come, in order
        now += 0.05
        got += carry(client, server, now, lambda: rng.random() < 0.3)
        carry(server, client, now, lambda: rng.random() < 0.3)  # acks back, also lossy
    for _ in range(40):  # let resends finish
        now += 0.05
        got += carry(client, server, now, lambda: rng.random() < 0.3)
        carry(server, client, now, lambda: rng.random() < 0.3)
    hellos = [m.name for m in got if isinstance(m, Hello)]
    aims = [m.angle for m in got if isinstance(m, Aim)]
    assert hellos == ["ann"] + [f"n{s}" for s in range(0, 60, 10)]
    assert 10 < len(aims) < 60  # some lost (or too early), none twice
    assert len(set(aims)) == len(aims)


def test_the_acknowledged_handles_are_those_of_messages_that_arrived():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    client.send(hello())
    carry(client, server, 0.0)
    welcome = server.send(Welcome(1, 60, 3, 0))
    carry(server, client, 0.0)
    carry(client, server, 0.05)  # the client's acks
    assert server.take_acked() == [welcome]  # a reliable message, once it arrived
    arrived = server.send(UpdateClientState(2, 0, b"a"))
    carry(server, client, 0.1)
    lost = server.send(UpdateClientState(3, 2, b"b"))
    server.payloads(0.2)  # dropped on the floor
    carry(client, server, 0.3)  # the client's acks (an ack-only packet)
    assert server.take_acked() == [arrived]
    assert lost != arrived and server.take_acked() == []


def test_the_first_message_must_be_the_handshake():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    client.send(Note(1))
    with pytest.raises(ProtocolError, match="expected Hello, got Note"):
        carry(client, server, 0.0)
    assert server.failed
    with pytest.raises(ProtocolError):  # and it stays failed
        server.receive(b"\x00", 0.0)
    other_server, other_client = server_session(MESSAGES, 0.0), client_session(MESSAGES, 0.0)
    other_server.send(BroadcastMessage("hi"))
    with pytest.raises(ProtocolError, match="expected Welcome or Reject or Disconnect"):
        carry(other_server, other_client, 0.0)


def test_each_end_decodes_only_what_its_side_may_receive():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    with pytest.raises(TypeError, match="Welcome is not a client-to-server message"):
        client.send(Welcome(1, 60, 3, 0))
    client.send(hello())
    carry(client, server, 0.0)
    client.send_encoded(MESSAGES.to_client.encode(Welcome(1, 60, 3, 0)))  # forced through
    with pytest.raises(ProtocolError, match=r"Welcome \(0x80\) is not a client-to-server"):
        carry(client, server, 0.1)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_payloads_only_ever_raise_protocol_error(data):
    server = server_session(MESSAGES, 0.0)
    try:
        server.receive(data, 0.0)
    except ProtocolError:
        assert server.failed


def test_an_unreliable_registration_changes_the_schema_line():
    spec = MESSAGES.by_type[Aim]
    assert not spec.reliable
    assert spec.describe() == "message 0x40 to-server unreliable Aim angle:U16"
    assert "unreliable" not in MESSAGES.by_type[Hello].describe()


def test_a_client_session_keeps_no_acked_handles_and_a_server_session_does():
    client, server = client_session(MESSAGES, 0.0), server_session(MESSAGES, 0.0)
    assert (client.channels.report_acks, server.channels.report_acks) == (False, True)
    assert client_session(MESSAGES, 0.0, report_acks=True).channels.report_acks
