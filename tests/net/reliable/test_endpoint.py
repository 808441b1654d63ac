"""ReliableEndpoint: acks, estimates, fragments, and what it does with bad or stale datagrams."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.net.errors import ProtocolError
from engine.net.reliable import EndpointConfig, ReliableEndpoint
from engine.net.reliable.header import (
    read_packet_header,
    write_fragment_header,
    write_packet_header,
)
from tests.net.reliable.simulation import Conditions, Link


class Pair:
    """Two endpoints over two links; each step both send one packet of `size` bytes."""

    def __init__(self, seed, there: Conditions, back: Conditions, tick=1 / 60, size=200):
        self.a, self.b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
        self.ab = Link(there, random.Random(seed))
        self.ba = Link(back, random.Random(seed + 1))
        self.now, self.tick, self.size = 0.0, tick, size

    def step(self):
        self.now += self.tick
        for datagram in self.ab.deliver(self.now):
            self.b.receive(datagram, self.now)
        for datagram in self.ba.deliver(self.now):
            self.a.receive(datagram, self.now)
        for endpoint, link in ((self.a, self.ab), (self.b, self.ba)):
            for datagram in endpoint.send(bytes(self.size), self.now)[1]:
                link.send(datagram, self.now)

    def run(self, seconds):
        for _ in range(round(seconds / self.tick)):
            self.step()


def deliver(datagrams, endpoint, now=0.0):
    return [endpoint.receive(d, now) for d in datagrams]


# -- acks ------------------------------------------------------------------------------------


def test_acks_name_exactly_the_packets_that_arrived_each_once():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    lost = {2, 5, 6}
    for i in range(10):
        sequence, datagrams = a.send(b"p%d" % i, 0.0)
        assert sequence == i
        if i not in lost:
            assert deliver(datagrams, b) == [(i, b"p%d" % i)]
    assert a.take_acks() == []
    for datagram in b.send(b"reply", 0.1)[1]:
        a.receive(datagram, 0.1)
    assert sorted(a.take_acks()) == [i for i in range(10) if i not in lost]
    assert a.take_acks() == []
    for datagram in b.send(b"again", 0.2)[1]:  # carries the same acks: none is new
        a.receive(datagram, 0.2)
    assert a.take_acks() == []
    assert a.counters.packets_acked == 7


def test_a_lost_ack_is_carried_again_by_the_next_packet():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    deliver(a.send(b"x", 0.0)[1], b)
    b.send(b"lost", 0.0)  # never delivered
    deliver(b.send(b"next", 0.0)[1], a)
    assert a.take_acks() == [0]


def test_a_burst_of_packets_is_acked_in_full_through_older_acks():
    """Past 32 packets between two replies, the newest ack alone would leave most unacked."""
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    for _ in range(100):
        deliver(a.send(b"burst", 0.0)[1], b)
    assert (b.ack_backlog, b.acks_behind) == (100, 68)
    deliver(b.send(b"reply", 0.0)[1], a)  # acks the newest 32, 68..99
    assert sorted(a.take_acks()) == list(range(68, 100))
    assert (b.ack_backlog, b.acks_behind) == (100, 68)  # once is not enough (one may be lost)
    sends = 0
    while b.acks_behind:
        deliver(b.send(b"", 0.0)[1], a)  # 36..67, 3 times; 4..35, 3 times; 0..3, 3 times
        sends += 1
    assert sends == 9
    assert sorted(a.take_acks()) == list(range(68))
    assert b.ack_backlog == 32  # the newest, acked once so far
    for _ in range(2):
        b.send(b"more", 0.0)
    assert b.ack_backlog == 0


def test_a_lost_packet_leaves_no_ack_owed():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    for i in range(40):
        datagrams = a.send(b"x", 0.0)[1]
        if i != 5:
            deliver(datagrams, b)
    deliver(b.send(b"reply", 0.0)[1], a)
    while b.acks_behind:
        deliver(b.send(b"", 0.0)[1], a)
    assert b.acks_behind == 0
    assert sorted(a.take_acks()) == [i for i in range(40) if i != 5]


def test_ack_only_packets_ask_for_no_ack_and_are_not_judged_lost():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    assert deliver(a.send(b"", 0.0)[1], b) == [(0, b"")]
    assert b.ack_backlog == 0
    a.send(b"", 0.0)  # lost, but asked for nothing
    a.update(10.0)
    assert a.packet_loss == 0.0


# -- estimates -------------------------------------------------------------------------------


def test_rtt_converges_to_the_link_delay_and_follows_a_change():
    pair = Pair(1, Conditions(latency=0.05), Conditions(latency=0.05), tick=0.01)
    pair.run(2.0)
    assert pair.a.rtt == pytest.approx(0.1, abs=0.011)  # each side answers within a tick
    assert pair.a.rtt_jitter < 0.003
    assert pair.a.rtt_min == pytest.approx(0.1, abs=0.011)
    pair.ab.conditions = pair.ba.conditions = Conditions(latency=0.15)
    pair.run(1.0)
    assert pair.a.rtt == pytest.approx(0.3, abs=0.02)
    assert pair.a.rtt_min < 0.12  # the smallest sample is remembered


def test_jitter_grows_with_a_jittery_link():
    pair = Pair(2, Conditions(latency=0.05, jitter=0.08), Conditions(latency=0.05), tick=0.01)
    pair.run(3.0)
    assert 0.1 < pair.a.rtt < 0.2
    assert pair.a.rtt_jitter > 0.01


def test_rtt_smoothing_is_configurable():
    slow = ReliableEndpoint(EndpointConfig(rtt_smoothing=0.01), 0.0)
    fast = ReliableEndpoint(EndpointConfig(rtt_smoothing=0.5), 0.0)
    for endpoint in (slow, fast):
        peer = ReliableEndpoint(now=0.0)
        for step, delay in enumerate([0.1, 0.3]):
            now = step * 1.0
            deliver(endpoint.send(b"ping", now)[1], peer, now)
            deliver(peer.send(b"pong", now + delay)[1], endpoint, now + delay)
    assert slow.rtt == pytest.approx(0.1 + 0.2 * 0.01)
    assert fast.rtt == pytest.approx(0.1 + 0.2 * 0.5)


@pytest.mark.parametrize(("there", "back"), [(0.2, 0.05), (0.05, 0.2), (0.1, 0.1)])
def test_packet_loss_matches_the_link_it_crosses(there, back):
    pair = Pair(3, Conditions(loss=there), Conditions(loss=back))
    pair.run(30.0)
    assert pair.a.packet_loss == pytest.approx(there, abs=0.05)
    assert pair.b.packet_loss == pytest.approx(back, abs=0.05)


def test_a_packet_is_judged_lost_only_after_the_timeout():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    a.send(b"lost", 0.0)
    a.update(0.24)
    assert a.packet_loss == 0.0  # not judged yet
    deliver(a.send(b"kept", 0.1)[1], b, 0.1)
    deliver(b.send(b"ack", 0.1)[1], a, 0.2)
    a.update(10.0)
    assert a.packet_loss == pytest.approx(0.5)


def test_bandwidth_counts_the_bytes_of_the_last_second():
    pair = Pair(4, Conditions(), Conditions(), size=200)
    pair.run(3.0)
    per_second = (200 + 4) * 60 * 8 / 1000  # payload + a 4-byte header at 60 Hz
    assert pair.a.sent_kbps == pytest.approx(per_second, rel=0.04)  # 60 packets, give or take
    assert pair.b.received_kbps == pytest.approx(per_second, rel=0.04)  # one at the edges
    assert pair.a.acked_kbps == pytest.approx(per_second, rel=0.08)
    pair.a.update(pair.now + 2.0)
    assert pair.a.sent_kbps == 0.0


# -- fragments -------------------------------------------------------------------------------


def test_a_payload_above_fragment_above_travels_as_fragments():
    a = ReliableEndpoint(now=0.0)
    assert len(a.send(bytes(1024), 0.0)[1]) == 1
    _, datagrams = a.send(bytes(1025), 0.0)
    assert len(datagrams) == 2
    _, datagrams = a.send(bytes(100_000), 0.0)
    assert len(datagrams) == 98 and max(map(len, datagrams)) == 5 + 1024  # 100,008 / 1024
    assert a.counters.fragments_sent == 100


def test_fragments_reassemble_shuffled_and_duplicated():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    payload = random.Random(5).randbytes(50_000)
    _, datagrams = a.send(payload, 0.0)
    mixed = datagrams + datagrams[:10]
    random.Random(6).shuffle(mixed)
    results = [r for r in deliver(mixed, b) if r is not None]
    assert results == [(0, payload)]
    assert b.counters.fragments_duplicate == 10
    assert b.reassembly_bytes == 0


def test_a_packet_missing_a_fragment_never_completes_and_is_given_up():
    config = EndpointConfig(reassembly_packets=4)
    a, b = ReliableEndpoint(config, 0.0), ReliableEndpoint(config, 0.0)
    _, datagrams = a.send(bytes(5000), 0.0)
    assert deliver(datagrams[1:], b) == [None] * (len(datagrams) - 1)
    assert b.reassembly_bytes > 0
    for _ in range(5):
        deliver(a.send(b"small", 0.0)[1], b)
    assert b.reassembly_bytes == 0 and b.counters.reassemblies_dropped == 1
    assert deliver(datagrams[:1], b) == [None]  # its last fragment, too late
    assert b.counters.fragments_stale == 1


def test_reassembly_holds_at_most_its_byte_cap():
    config = EndpointConfig(max_packet_size=16 * 1024, reassembly_bytes=32 * 1024)
    a, b = ReliableEndpoint(config, 0.0), ReliableEndpoint(config, 0.0)
    for _ in range(10):  # ten packets of 15 KiB, each missing its last fragment
        _, datagrams = a.send(bytes(15 * 1024), 0.0)
        deliver(datagrams[:-1], b)
        assert b.reassembly_bytes <= 32 * 1024
    assert b.counters.reassemblies_dropped >= 7


def test_fragments_of_a_packet_already_received_are_ignored():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    _, datagrams = a.send(bytes(3000), 0.0)
    deliver(datagrams, b)
    assert deliver(datagrams, b) == [None] * len(datagrams)
    assert b.counters.packets_received == 1 and b.counters.fragments_duplicate == len(datagrams)


# -- stale, duplicate, invalid ---------------------------------------------------------------


def test_duplicate_and_stale_packets_are_ignored_and_counted():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    first = a.send(b"first", 0.0)[1]
    for _ in range(1100):
        a.send(b"x", 0.0)
    latest = a.send(b"latest", 0.0)[1]
    assert deliver(latest, b) == [(1101, b"latest")]
    assert deliver(latest, b) == [None]
    assert deliver(first, b) == [None]  # 1101 behind: older than the 1024 remembered
    assert (b.counters.packets_duplicate, b.counters.packets_stale) == (1, 1)


def test_sequences_wrap_without_a_hiccup():
    a, b = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    start = 65536 - 300
    # As if 65,236 packets had gone from a to b already (both ends agree): the wrap comes
    # after 300 more, without running the 65,236 first.
    a._sequence = b._received.sequence = start
    acked = 0
    for step in range(600):
        now = step / 60
        sequence = (start + step) & 0xFFFF
        assert deliver(a.send(b"d", now)[1], b, now) == [(sequence, b"d")]
        if step % 16 == 0:
            deliver(b.send(b"a", now)[1], a, now)
        acks = a.take_acks()
        assert len(acks) <= 32
        assert all((sequence - ack) & 0xFFFF < 32 for ack in acks)  # only recent packets
        acked += len(acks)
    assert acked >= 600 - 16  # every packet but those sent after b's last ack
    assert a.counters.packets_acked == acked


@pytest.mark.parametrize(
    ("datagram", "counter"),
    [
        (b"", "packets_invalid"),
        (bytes(1201), "packets_invalid"),
        (b"\x80\x00\x00\x00", "packets_invalid"),
        (write_fragment_header(0, 0, 2), "fragments_invalid"),
        (write_fragment_header(0, 0, 2) + bytes(1000), "fragments_invalid"),  # short slice
        (write_fragment_header(0, 0, 2) + bytes(1025), "fragments_invalid"),  # long slice
    ],
)
def test_garbage_raises_protocol_error_counts_it_and_changes_nothing(datagram, counter):
    b = ReliableEndpoint(now=0.0)
    with pytest.raises(ProtocolError):
        b.receive(datagram, 0.0)
    assert getattr(b.counters, counter) == 1
    assert b.reassembly_bytes == 0 and b.ack_backlog == 0
    a = ReliableEndpoint(now=0.0)
    assert deliver(a.send(b"fine", 0.0)[1], b) == [(0, b"fine")]


@pytest.mark.parametrize(
    ("count", "reason"), [(9, None), (10, "exceeds max_packet_size"), (17, "limit of 16")]
)
def test_fragment_counts_are_bounded_by_the_packet_size_and_max_fragments(count, reason):
    b = ReliableEndpoint(EndpointConfig(max_packet_size=8 * 1024, max_fragments=16), 0.0)
    datagram = write_fragment_header(0, 1, count) + bytes(1024)
    if reason is None:
        assert b.receive(datagram, 0.0) is None and b.reassembly_bytes == 1024
    else:
        with pytest.raises(ProtocolError, match=reason):
            b.receive(datagram, 0.0)
        assert b.reassembly_bytes == 0


def test_a_fragment_count_that_changes_is_a_protocol_error():
    b = ReliableEndpoint(now=0.0)
    b.receive(write_fragment_header(3, 0, 4) + bytes(1024), 0.0)
    with pytest.raises(ProtocolError, match="count changed"):
        b.receive(write_fragment_header(3, 1, 5) + bytes(1024), 0.0)


def test_fragments_that_rebuild_another_sequence_are_a_protocol_error():
    packet = write_packet_header(9, 0, 0, True) + bytes(2000)
    b = ReliableEndpoint(now=0.0)
    b.receive(write_fragment_header(8, 0, 2) + packet[:1024], 0.0)
    with pytest.raises(ProtocolError, match="rebuilt packet 9"):
        b.receive(write_fragment_header(8, 1, 2) + packet[1024:], 0.0)


def test_sending_more_than_max_packet_size_is_a_caller_error():
    a = ReliableEndpoint(now=0.0)
    with pytest.raises(ValueError):
        a.send(bytes(255 * 1024 + 1), 0.0)
    assert a.next_sequence == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"fragment_above": 1193},
        {"fragment_size": 1196},
        {"fragment_size": 1025},
        {"max_fragments": 257},
        {"max_packet_size": 300 * 1024},
        {"sent_packets": 1000},
        {"rtt_smoothing": 0.0},
        {"reassembly_bytes": 1000},
    ],
)
def test_a_config_that_breaks_the_datagram_limit_is_refused(changes):
    with pytest.raises(ValueError):
        EndpointConfig(**changes)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=120))
def test_the_ack_field_sent_names_exactly_the_packets_received(order):
    """Whatever order (and duplicates) packets arrive in, the next header's ack bits say
    which of the 32 before its ack arrived: the same as reading the receive buffer."""
    sender, receiver = ReliableEndpoint(now=0.0), ReliableEndpoint(now=0.0)
    packets = [sender.send(b"x", 0.0)[1][0] for _ in range(201)]
    for index in order:
        receiver.receive(packets[index], 0.0)
    _, datagrams = receiver.send(b"y", 0.0)
    header = read_packet_header(datagrams[0])
    arrived = set(order)
    newest = max(arrived)
    assert header.ack == newest
    expected = sum(1 << i for i in range(32) if newest - i in arrived)
    assert header.ack_bits == expected
