"""ChannelConnection: exact reliable delivery, unreliable acks, resends, budgets, ack-only."""

import random

import pytest

from engine.net.errors import ProtocolError
from engine.net.reliable import (
    Channel,
    ChannelConfig,
    ChannelConnection,
    EndpointConfig,
    SendQueueFull,
)
from engine.net.reliable.payload import FIRST, LAST, PayloadWriter
from tests.net.reliable.simulation import Conditions, Simulation

R, U = Channel.RELIABLE_ORDERED, Channel.UNRELIABLE


def exchange(a, b, now, budget=None):
    """Everything a writes now, received by b; what b got."""
    got = []
    for datagram in a.write_packets(now, budget):
        got += b.receive(datagram, now)
    return got


def test_messages_of_both_channels_arrive():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    a.send(R, b"one")
    a.send(U, b"snap")
    a.send(R, b"")
    a.send(R, b"two")
    assert exchange(a, b, 0.0) == [(U, b"snap"), (R, b"one"), (R, b""), (R, b"two")]


def test_a_big_reliable_message_is_cut_into_packet_sized_parts():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    message = random.Random(1).randbytes(150_000)
    a.send(R, message)
    datagrams = a.write_packets(0.0)
    assert len(datagrams) == 148 and all(len(d) <= 1024 + 8 for d in datagrams)
    got = []
    for datagram in reversed(datagrams):  # all out of order: held until the first arrives
        got += b.receive(datagram, 0.0)
    assert got == [(R, message)]
    assert b.receive_buffered == 0


def test_a_big_unreliable_message_travels_alone_as_fragments():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    a.send(U, b"small")
    a.send(U, bytes(5000))
    a.send(U, b"after")
    datagrams = a.write_packets(0.0)
    assert len(datagrams) == 1 + 5 + 1
    assert [d[0] & 1 for d in datagrams] == [0, 1, 1, 1, 1, 1, 0]
    got = []
    for datagram in datagrams:
        got += b.receive(datagram, 0.0)
    assert got == [(U, b"small"), (U, bytes(5000)), (U, b"after")]


def test_acked_handles_are_those_of_arrived_packets_each_once():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    lost = a.send(U, b"lost")
    a.write_packets(0.0)  # dropped
    first, second = a.send(U, b"first"), a.send(U, b"second")
    assert exchange(a, b, 0.01) == [(U, b"first"), (U, b"second")]
    assert lost < first < second
    exchange(b, a, 0.1)  # b has nothing to say but owes an ack
    assert a.take_acked() == [first, second]
    assert a.take_acked() == []
    third = a.send(U, b"third")
    exchange(a, b, 0.11)
    exchange(b, a, 0.2)  # acks 1 and 2 again, and 3
    assert a.take_acked() == [third]


def test_an_end_that_never_asks_keeps_no_acked_handles():
    """A client never asks which of its messages arrived: its connection must not keep the
    answers, or they pile up (a handle per message) for as long as it is connected."""
    a = ChannelConnection(now=0.0, report_acks=False)
    b = ChannelConnection(now=0.0)
    now = 0.0
    for i in range(300):
        now += 0.05
        a.send(U, b"input %d" % i)
        a.send(R, b"event %d" % i)
        exchange(a, b, now)
        exchange(b, a, now + 0.01)
    assert a.take_acked() == []
    assert len(a._acked_handles) == 0 and len(a._unreported) == 0
    assert a.packet_loss == 0.0


def test_a_reliable_message_is_reported_acked_only_once_every_one_before_it_is():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    lost = a.send(R, b"welcome")
    a.write_packets(0.0)  # dropped
    full = a.send(R, bytes(3000))  # a full state, in parts, all of which arrive
    assert exchange(a, b, 0.01) == []  # held back behind the missing message
    exchange(b, a, 0.1)  # b acks every part of it
    assert a.take_acked() == []  # b has not delivered it: a delta on it would be useless
    assert exchange(a, b, 0.11) == [(R, b"welcome"), (R, bytes(3000))]  # the resend
    exchange(b, a, 0.2)
    assert a.take_acked() == [lost, full]
    assert a.take_acked() == []


def test_a_lost_reliable_message_is_resent_after_the_resend_interval_and_not_before():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    a.send(R, b"important")
    assert len(a.write_packets(0.0)) == 1  # lost
    assert a.write_packets(0.05) == []
    assert a.write_packets(0.099) == []
    assert exchange(a, b, 0.1) == [(R, b"important")]
    assert a.parts_resent == 1
    assert exchange(a, b, 0.15) == []
    assert exchange(a, b, 0.2) == []  # resent, a duplicate the receiver ignores
    assert b.parts_duplicate == 1
    exchange(b, a, 0.25)  # the ack
    assert not a.reliable_pending and a.queued_bytes == 0
    assert a.write_packets(0.5) == []


def test_the_resend_interval_follows_the_rtt():
    a = ChannelConnection(ChannelConfig(resend_min=0.05), now=0.0)
    assert a.resend_interval() == 0.05
    a.endpoint._rtt.sample(0.3)
    assert a.resend_interval() == pytest.approx(0.3)


def test_a_budget_spreads_a_big_message_over_several_calls():
    a, b = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    message = bytes(150_000)
    a.send(R, message)
    a.send(U, b"snapshot")
    calls, got = 0, []
    while len(got) < 2:
        datagrams = a.write_packets(calls / 60, budget_bytes=16_000)
        assert sum(map(len, datagrams)) < 16_000 + 1032
        got += [m for d in datagrams for m in b.receive(d, calls / 60)]
        exchange(b, a, calls / 60)  # the acks, else parts would be resent before new ones
        calls += 1
    assert calls == 10
    assert got == [(U, b"snapshot"), (R, message)]


def test_a_receiver_with_nothing_to_say_still_acks_every_ack_interval():
    server, spectator = ChannelConnection(now=0.0), ChannelConnection(now=0.0)
    sent, ack_packets = [], 0
    for tick in range(1, 61):
        now = tick / 60
        sent.append(server.send(U, b"snapshot %d" % tick))
        exchange(server, spectator, now)
        replies = spectator.write_packets(now)
        ack_packets += len(replies)
        for datagram in replies:
            assert server.receive(datagram, now) == []
    assert ack_packets == 20  # one per 50 ms
    assert server.take_acked() == sent
    for now in (2.0, 2.1):  # each arrival is acked 3 times (ack_redundancy), then quiet
        assert len(spectator.write_packets(now)) == 1
    assert spectator.write_packets(2.2) == []
    assert server.write_packets(3.0) == []


def test_the_send_window_bounds_messages_in_flight():
    config = ChannelConfig(send_window=64)
    a, b = ChannelConnection(config, 0.0), ChannelConnection(config, 0.0)
    for i in range(200):
        a.send(R, b"m%d" % i)
    got = exchange(a, b, 0.0)
    assert a.reliable_in_flight == 64 and len(got) == 64
    exchange(b, a, 0.1)  # acks free the window for the rest
    got += exchange(a, b, 0.1)
    exchange(b, a, 0.2)
    got += exchange(a, b, 0.2)
    exchange(b, a, 0.3)
    got += exchange(a, b, 0.3)
    assert got == [(R, b"m%d" % i) for i in range(200)]


def test_callers_mistakes_are_value_errors_and_a_stuck_peer_fills_the_queue():
    config = ChannelConfig(max_message_size=10_000, max_queued_bytes=25_000)
    a = ChannelConnection(config, 0.0)
    with pytest.raises(ValueError):
        a.send(R, bytes(10_001))
    with pytest.raises(ValueError):
        a.send(U, bytes(a.max_unreliable_size + 1))
    with pytest.raises(ValueError):
        a.send(7, b"x")
    a.send(R, bytes(10_000))
    a.send(R, bytes(10_000))
    with pytest.raises(SendQueueFull):
        a.send(R, bytes(10_000))
    assert a.queued_bytes == 20_000


def packet_with(payload: bytes) -> bytes:
    """A well-formed packet from a fresh peer carrying `payload`."""
    return ChannelConnection(now=0.0).endpoint.send(payload, 0.0)[1][0]


@pytest.mark.parametrize(
    "payload",
    [
        b"\x03",  # unknown kind
        bytes([1 | FIRST | LAST, 0x04, 0x00, 0]),  # id 1024: past the window of 1024
        bytes([1 | LAST, 0, 0, 1, 9]),  # a last part with no first
        bytes([1 | FIRST, 0, 0, 5, 1, 9, 1 | FIRST | 0x10, 1, 5, 1, 9]),  # a first inside one
        bytes([1 | FIRST, 0, 0, 3, 2, 9, 9, 1 | LAST | 0x10, 1, 2, 9, 9]),  # 4 bytes of 3
    ],
)
def test_a_broken_payload_in_a_good_packet_raises_protocol_error(payload):
    b = ChannelConnection(now=0.0)
    with pytest.raises(ProtocolError):
        b.receive(packet_with(payload), 0.0)


def test_parts_already_delivered_or_buffered_are_ignored():
    w = PayloadWriter()
    w.add_reliable(0, b"zero", FIRST | LAST, 4)
    w.add_reliable(2, b"two", FIRST | LAST, 3)
    b = ChannelConnection(now=0.0)
    assert b.receive(packet_with(w.getvalue()), 0.0) == [(R, b"zero")]
    peer = ChannelConnection(now=0.0).endpoint
    peer.send(b"", 0.0)
    w = PayloadWriter()
    w.add_reliable(0, b"zero", FIRST | LAST, 4)  # delivered already
    w.add_reliable(1, b"one", FIRST | LAST, 3)
    w.add_reliable(2, b"two", FIRST | LAST, 3)  # held already
    assert b.receive(peer.send(w.getvalue(), 0.0)[1][0], 0.0) == [(R, b"one"), (R, b"two")]
    assert b.parts_duplicate == 2


# -- over a bad network -----------------------------------------------------------------------


def run_traffic(seed: int, loss: float, *, seconds: float = 6.0, big: int = 150_000):
    """Both sides send reliable messages every tick (a big one now and then) and a snapshot
    the other way; then the network stops losing and the rest drains."""
    bad = Conditions(latency=0.04, jitter=0.03, loss=loss, duplicate=0.02)
    sim = Simulation(seed, bad, budget=24_000)
    rng = random.Random(seed)
    sent = {"a": [], "b": []}
    snapshots: dict[int, bytes] = {}
    peaks = {"in_flight": 0, "buffered": 0, "reassembly": 0}
    for tick in range(round(seconds * 60)):
        for name, side in (("a", sim.a), ("b", sim.b)):
            size = big if rng.random() < 0.01 else rng.randrange(0, 300)
            message = (b"%s%d:" % (name.encode(), tick)) + rng.randbytes(size)
            side.connection.send(R, message)
            sent[name].append(message)
        snapshot = b"snapshot %d" % tick + bytes(rng.randrange(0, 2000))
        snapshots[sim.a.connection.send(U, snapshot)] = snapshot
        sim.step()
        for side in (sim.a, sim.b):
            c = side.connection
            peaks["in_flight"] = max(peaks["in_flight"], c.reliable_in_flight)
            peaks["buffered"] = max(peaks["buffered"], c.receive_buffered)
            peaks["reassembly"] = max(peaks["reassembly"], c.endpoint.reassembly_bytes)
    sim.a.link.conditions = sim.b.link.conditions = Conditions(latency=0.04)
    done = sim.run_until(
        lambda: len(sim.b.reliable) == len(sent["a"]) and len(sim.a.reliable) == len(sent["b"]),
        limit=30.0,
    )
    sim.run(1.0)  # the last acks
    return sim, sent, snapshots, peaks, done


@pytest.mark.parametrize(("seed", "loss"), [(11, 0.05), (12, 0.20)])
def test_over_a_lossy_reordering_duplicating_link_delivery_is_exact(seed, loss):
    sim, sent, snapshots, peaks, done = run_traffic(seed, loss)
    assert done
    assert sim.b.reliable == sent["a"] and sim.a.reliable == sent["b"]
    assert sum(len(m) > 100_000 for m in sent["a"] + sent["b"]) >= 4  # multi-part ones too
    # unreliable: at most once each, only what was sent
    arrived = sim.b.unreliable
    assert len(set(arrived)) == len(arrived) and set(arrived) <= set(snapshots.values())
    assert len(arrived) < len(snapshots)  # the loss is real
    # acked handles: each once; of the snapshots, exactly those that arrived (acks being
    # redundant); and every reliable message, once all its parts were acknowledged
    acked = sim.a.acked
    assert len(set(acked)) == len(acked)
    assert {snapshots[h] for h in acked if h in snapshots} == set(arrived)
    assert len([h for h in acked if h not in snapshots]) == len(sent["a"])
    # memory stays bounded, and everything is released once delivered
    assert peaks["in_flight"] <= 1024 and peaks["buffered"] <= 1024
    assert peaks["reassembly"] <= EndpointConfig().reassembly_bytes
    for side in (sim.a, sim.b):
        c = side.connection
        assert not c.reliable_pending and c.queued_bytes == 0 and c.receive_buffered == 0
    assert sim.a.connection.packet_loss < loss + 0.1
