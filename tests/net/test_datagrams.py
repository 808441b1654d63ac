"""Datagram sockets and the faults of a simulated link, on a manual clock."""

from __future__ import annotations

import random
import select

import pytest

from engine.net.datagrams import (
    DUPLICATE_GAP,
    QUEUE_SECONDS,
    REORDER_HOLD,
    Conditions,
    DatagramLine,
    MemoryNetwork,
    UdpSocket,
    format_address,
)


def line(seed: int = 1, **conditions: float) -> DatagramLine:
    return DatagramLine(Conditions(**conditions), random.Random(seed))


def arrivals(line: DatagramLine, until: float, step: float = 0.001) -> list[tuple[float, bytes]]:
    """(time, datagram) for everything the line delivers, checked every `step` seconds."""
    got, now = [], 0.0
    while now <= until + 1e-9:
        got += [(round(now, 3), d) for d, _ in line.pop_due(now)]
        now += step
    return got


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("latency_ms", -1.0, "latency_ms must be a non-negative number"),
        ("jitter_ms", float("nan"), "jitter_ms must be a non-negative number"),
        ("bandwidth_kbps", float("inf"), "bandwidth_kbps must be a non-negative number"),
        ("loss", 1.5, "loss must be between 0 and 1"),
        ("duplicate", -0.1, "duplicate must be between 0 and 1"),
        ("reorder", 2.0, "reorder must be between 0 and 1"),
    ],
)
def test_impossible_conditions_are_refused_with_the_field_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        Conditions(**{field: value})


def test_conditions_describe_themselves_for_a_log_line():
    described = Conditions(100, 20, 0.05, 0.01, 0.02, 50).describe()
    assert described == (
        "latency 100 ms, jitter 20 ms, loss 5%, duplicate 1%, reorder 2%, bandwidth 50 KB/s"
    )
    assert Conditions().describe() == "latency 0 ms, jitter 0 ms, loss 0%, bandwidth unlimited"


def test_a_perfect_line_delivers_at_once_in_order_with_the_destination():
    perfect = line()
    for i in range(5):
        perfect.push(bytes([i]), 1.0, ("10.0.0.1", 9))
    assert perfect.pop_due(1.0) == [(bytes([i]), ("10.0.0.1", 9)) for i in range(5)]
    assert perfect.pop_due(2.0) == []
    assert (perfect.sent, perfect.delivered) == (5, 5)


def test_latency_holds_every_datagram_exactly_that_long():
    slow = line(latency_ms=100)
    slow.push(b"a", 0.0)
    slow.push(b"b", 0.025)
    assert slow.pop_due(0.0999) == []
    assert slow.next_due() == pytest.approx(0.1)
    assert [d for d, _ in slow.pop_due(0.1)] == [b"a"]
    assert [d for d, _ in slow.pop_due(0.124)] == []
    assert [d for d, _ in slow.pop_due(0.125)] == [b"b"]
    assert slow.next_due() is None


def test_jitter_adds_at_most_its_bound_and_reorders_close_datagrams():
    shaky = line(latency_ms=50, jitter_ms=20)
    for i in range(200):
        shaky.push(i.to_bytes(2, "big"), i * 0.001)  # one a millisecond, closer than the jitter
    got = arrivals(shaky, 1.0)
    sent_at = {i.to_bytes(2, "big"): i * 0.001 for i in range(200)}
    delays = [when - sent_at[d] for when, d in got]
    assert len(got) == 200
    assert min(delays) >= 0.05 - 1e-6 and max(delays) <= 0.071 + 1e-6
    order = [int.from_bytes(d, "big") for _, d in got]
    assert order != sorted(order)  # unlike TCP, a later datagram can arrive first


def test_loss_drops_about_its_share_and_the_rest_arrive_once():
    lossy = line(seed=7, loss=0.05)
    for i in range(10_000):
        lossy.push(i.to_bytes(2, "big"), 0.0)
    got = [d for d, _ in lossy.pop_due(0.0)]
    assert lossy.lost == 10_000 - len(got)
    assert 400 <= lossy.lost <= 600
    assert len(set(got)) == len(got)


def test_duplicates_arrive_a_little_after_the_original():
    doubled = line(seed=3, duplicate=0.5, latency_ms=10)
    for i in range(100):
        doubled.push(bytes([i]), 0.0)
    first = [d for d, _ in doubled.pop_due(0.01)]
    copies = [d for d, _ in doubled.pop_due(0.01 + DUPLICATE_GAP)]
    assert len(first) == 100
    assert len(copies) == doubled.duplicated and 30 <= len(copies) <= 70
    assert set(copies) <= set(first)


def test_a_reordered_datagram_is_held_behind_those_sent_after_it():
    held = line(seed=5, reorder=0.1, latency_ms=10)
    for i in range(100):
        held.push(bytes([i]), i * 0.01)
    got = arrivals(held, 2.0)
    order = [d[0] for _, d in got]
    assert held.reordered > 0 and len(got) == 100
    late = [i for i in range(1, 100) if order[i] < order[i - 1]]
    assert 0 < len(late) <= held.reordered  # held ones land behind later datagrams
    delays = sorted(when - order_i * 0.01 for when, (order_i,) in got)
    held_for = [0.01 + REORDER_HOLD] * held.reordered
    assert delays[-held.reordered :] == pytest.approx(held_for, abs=0.0011)
    assert delays[-held.reordered - 1] == pytest.approx(0.01, abs=0.0011)


def test_a_bandwidth_cap_spaces_datagrams_and_drops_past_a_full_queue():
    capped = line(bandwidth_kbps=10)  # 10,000 bytes a second
    datagram = bytes(500)  # 0.05 s of the link each
    for _ in range(5):
        capped.push(datagram, 0.0)
    times = [when for when, _ in arrivals(capped, 1.0)]
    assert times == pytest.approx([0.05, 0.1, 0.15, 0.2, 0.25], abs=0.0011)
    burst = line(bandwidth_kbps=10)
    for _ in range(10):
        burst.push(datagram, 0.0)
    queued = int(QUEUE_SECONDS / 0.05) + 1  # what fits in the queue, the first one included
    assert (len(burst), burst.overflowed) == (queued, 10 - queued)


def test_the_same_seed_gives_the_same_faults():
    def run(seed: int) -> list[tuple[float, bytes]]:
        faulty = line(seed, latency_ms=30, jitter_ms=30, loss=0.1, duplicate=0.1, reorder=0.1)
        for i in range(300):
            faulty.push(i.to_bytes(2, "big"), i * 0.005)
        return arrivals(faulty, 3.0)

    assert run(11) == run(11)
    assert run(11) != run(12)


# -- the in-memory network -----------------------------------------------------------------


def test_memory_sockets_exchange_datagrams_and_see_where_they_came_from():
    net = MemoryNetwork()
    server = net.bind(("10.0.0.1", 5000))
    client = net.bind()
    client.send_to(b"hello", server.address, 0.0)
    assert server.receive(0.0) == [(b"hello", client.address)]
    server.send_to(b"welcome", client.address, 0.0)
    assert client.receive(0.0) == [(b"welcome", ("10.0.0.1", 5000))]
    assert server.receive(0.0) == []


def test_memory_addresses_are_unique_and_a_taken_one_is_refused():
    net = MemoryNetwork()
    a, b = net.bind(), net.bind()
    assert a.address != b.address
    with pytest.raises(OSError, match=r"10\.0\.0\.1:5000 is already in use"):
        net.bind(("10.0.0.1", 5000))
        net.bind(("10.0.0.1", 5000))
    a.close()
    assert net.bind(a.address).address == a.address  # a closed socket frees its address


def test_datagrams_to_nobody_or_to_a_closed_socket_vanish():
    net = MemoryNetwork()
    sender, gone = net.bind(), net.bind()
    gone.close()
    sender.send_to(b"x", ("10.9.9.9", 1), 0.0)
    sender.send_to(b"y", gone.address, 0.0)
    assert sender.receive(1.0) == [] and gone.receive(1.0) == []
    gone.send_to(b"z", sender.address, 1.0)  # a closed socket sends nothing
    assert sender.receive(2.0) == []


def test_what_a_socket_sent_before_closing_still_arrives():
    net = MemoryNetwork()
    receiver = net.bind()
    sender = net.bind(conditions=Conditions(latency_ms=10))
    sender.send_to(b"last words", receiver.address, 0.0)
    sender.close()
    assert net.next_due() == pytest.approx(0.01)
    assert receiver.receive(0.01) == [(b"last words", sender.address)]
    assert net.next_due() is None


def test_each_socket_applies_its_own_conditions_to_what_it_sends():
    net = MemoryNetwork()
    server = net.bind(conditions=Conditions(latency_ms=50))
    client = net.bind(conditions=Conditions(latency_ms=20))
    client.send_to(b"up", server.address, 0.0)
    server.send_to(b"down", client.address, 0.0)
    assert server.receive(0.019) == [] and client.receive(0.019) == []
    assert server.receive(0.02) == [(b"up", client.address)]
    assert client.receive(0.049) == []
    assert client.receive(0.05) == [(b"down", server.address)]
    assert net.next_due() is None


def test_next_due_tells_when_the_next_datagram_lands():
    net = MemoryNetwork()
    a = net.bind(conditions=Conditions(latency_ms=30))
    b = net.bind()
    a.send_to(b"x", b.address, 1.0)
    assert net.next_due() == pytest.approx(1.03)


# -- UDP -----------------------------------------------------------------------------------


def receive_within(sock: UdpSocket, seconds: float = 2.0) -> list[tuple[bytes, tuple]]:
    """Wait (bounded) until the socket has something, then take it."""
    ready, _, _ = select.select(sock.filenos(), [], [], seconds)
    assert ready, "nothing arrived in time"
    return sock.receive(0.0)


def test_udp_sockets_exchange_datagrams_on_loopback():
    server, client = UdpSocket.bind("127.0.0.1", 0), UdpSocket.bind("127.0.0.1", 0)
    try:
        assert server.address[1] != 0
        client.send_to(b"ping", server.address, 0.0)
        assert receive_within(server) == [(b"ping", client.address)]
        server.send_to(b"pong" * 300, client.address, 0.0)
        assert receive_within(client) == [(b"pong" * 300, server.address)]
        assert client.receive(0.0) == []  # nothing more: never blocks
    finally:
        server.close()
        client.close()
    assert server.filenos() == [] and server.receive(0.0) == []


def test_a_udp_port_in_use_is_one_readable_error():
    taken = UdpSocket.bind("127.0.0.1", 0)
    try:
        with pytest.raises(OSError, match=rf"cannot listen on UDP 127\.0\.0\.1:{taken.address[1]}"):
            UdpSocket.bind("127.0.0.1", taken.address[1])
    finally:
        taken.close()


def test_sending_to_a_closed_port_is_not_an_error():
    sock = UdpSocket.bind("127.0.0.1", 0)
    closed = UdpSocket.bind("127.0.0.1", 0)
    port = closed.address[1]
    closed.close()
    try:
        for _ in range(3):  # Linux reports the ICMP "unreachable" on a later call
            sock.send_to(b"anyone?", ("127.0.0.1", port), 0.0)
            assert sock.receive(0.0) == []
    finally:
        sock.close()


def test_addresses_are_written_the_usual_way():
    assert format_address(("127.0.0.1", 5000)) == "127.0.0.1:5000"
    assert format_address(("::1", 5000)) == "[::1]:5000"
