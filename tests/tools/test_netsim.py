"""tools/netsim.py: the delay line's timing on a manual clock, and the relay over real TCP.

The pure DelayLine is checked exactly with explicit times. The relay runs on
this thread over 127.0.0.1 (port 0); upstream servers are small blocking
threads. Waits are bounded by wall-clock deadlines, never plain sleeps.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from engine.net.transport import RECEIVE_CAP
from engine.time import MonotonicClock
from game.net.client import GameClient
from game.server import GameServer
from tools import netsim
from tools.netsim import Conditions, DelayLine, Relay

DEADLINE = 10.0


def line(seed: int = 1, **conditions: float) -> DelayLine:
    return DelayLine(Conditions(**conditions), random.Random(seed))


class ScriptedRandom(random.Random):
    """random() answers from a script (to choose which chunks stall)."""

    def __init__(self, values: list[float]) -> None:
        super().__init__(0)
        self.values = list(values)

    def random(self) -> float:
        return self.values.pop(0)


class ScriptedUniform(random.Random):
    """uniform() answers from a script (to choose each chunk's jitter)."""

    def __init__(self, samples: list[float]) -> None:
        super().__init__(0)
        self.samples = list(samples)

    def uniform(self, a: float, b: float) -> float:
        return self.samples.pop(0)


# -- DelayLine: exact timing on a manual clock --------------------------------------------------


def test_with_no_conditions_bytes_are_due_at_once():
    delay = line()
    assert delay.push(b"abc", 5.0) == 5.0
    assert delay.next_due(5.0) == 5.0
    assert delay.pop_due(5.0) == b"abc"
    assert delay.next_due(5.0) is None and delay.empty


def test_latency_delays_every_chunk_by_exactly_the_latency():
    delay = line(latency_ms=125)  # binary fractions throughout: the sums are exact
    for index in range(10):
        now = 1.0 + index / 16
        assert delay.push(bytes([index]), now) == now + 0.125
    assert delay.next_due(1.0) == 1.125
    assert delay.pop_due(1.124) == b""
    assert delay.pop_due(1.125) == b"\x00"
    assert delay.pop_due(1.25) == b"\x01\x02"  # arrived at 1.0625 and 1.125
    assert delay.next_due(1.25) == 1.3125
    assert delay.pending_bytes == 7
    assert delay.pop_due(10.0) == bytes(range(3, 10))
    assert delay.bytes_in == delay.bytes_out == 10


def test_jitter_stays_within_latency_and_latency_plus_jitter_and_never_reorders():
    delay = line(seed=4, latency_ms=100, jitter_ms=50)
    arrivals = [index * 0.004 for index in range(300)]  # faster than the jitter: clamps happen
    dues = [delay.push(index.to_bytes(2, "big"), now) for index, now in enumerate(arrivals)]
    delays = [due - now for due, now in zip(dues, arrivals, strict=True)]
    assert all(0.1 <= d <= 0.15 + 1e-12 for d in delays)
    assert max(delays) - min(delays) > 0.03  # the jitter really varies
    assert dues == sorted(dues)
    received = bytearray()
    now = 0.0
    while not delay.empty:
        now += 0.001
        received += delay.pop_due(now)
    assert bytes(received) == b"".join(index.to_bytes(2, "big") for index in range(300))


def test_a_chunk_is_never_delivered_before_the_one_pushed_before_it():
    delay = DelayLine(Conditions(latency_ms=10, jitter_ms=100), ScriptedUniform([0.1, 0.0]))
    first = delay.push(b"first", 0.0)  # 10 + 100 ms
    second = delay.push(b"second", 0.001)  # would be due at 11 ms
    assert first == pytest.approx(0.11)
    assert second == first
    assert delay.pop_due(0.1) == b""
    assert delay.pop_due(0.11) == b"firstsecond"


def test_bandwidth_spreads_ten_kilobytes_at_five_kbps_over_two_seconds():
    delay = line(bandwidth_kbps=5)
    last = delay.push(bytes(10_000), 0.0)
    assert 1.95 <= last <= 2.0
    delivered = 0
    for tenth in range(1, 21):
        now = tenth / 10
        delivered += len(delay.pop_due(now))
        # Smooth: never more than the rate allows plus the bucket's depth (one 50-byte piece).
        assert delivered <= 5000 * now + 50 + 1e-6
        assert delivered >= 5000 * now - 50
    assert delivered == 10_000 and delay.empty


def test_bandwidth_counts_each_chunk_from_when_it_is_ready_and_idle_time_is_not_banked():
    delay = line(latency_ms=100, bandwidth_kbps=1)  # 10-byte pieces every 10 ms
    assert delay.push(bytes(100), 0.0) == pytest.approx(0.1 + 0.09)
    # Ten seconds later the bucket holds one piece again, not ten seconds of traffic.
    assert delay.push(bytes(100), 10.0) == pytest.approx(10.1 + 0.09)


def test_a_stall_holds_a_chunk_stall_ms_longer():
    delay = line(latency_ms=125, stall_chance=1, stall_ms=250)
    assert delay.push(b"lost", 2.0) == 2.0 + 0.125 + 0.25
    assert delay.pop_due(2.37) == b""
    assert delay.pop_due(2.375) == b"lost"
    assert delay.stalls == 1


def test_later_chunks_queue_behind_a_stall():
    delay = DelayLine(
        Conditions(latency_ms=125, stall_chance=0.5, stall_ms=250), ScriptedRandom([0.1, 0.9])
    )
    stalled = delay.push(b"a", 0.0)
    behind = delay.push(b"b", 0.0625)  # no stall of its own: due at 0.1875, but it waits
    assert stalled == 0.375
    assert behind == stalled
    assert delay.pop_due(0.37) == b""
    assert delay.pop_due(0.375) == b"ab"
    assert delay.stalls == 1


def test_stalls_happen_at_the_asked_rate():
    delay = line(seed=9, stall_chance=0.25, stall_ms=1)
    for index in range(2000):
        delay.push(b"x", index * 1.0)
    assert 400 <= delay.stalls <= 600


def test_seeded_randomness_is_repeatable():
    conditions = {"latency_ms": 50, "jitter_ms": 30, "stall_chance": 0.1, "bandwidth_kbps": 20}

    def schedule(seed: int) -> list[float]:
        delay = line(seed, **conditions)
        return [delay.push(bytes(300), index * 0.02) for index in range(100)]

    assert schedule(3) == schedule(3)
    assert schedule(3) != schedule(4)


def test_conditions_reject_bad_values_and_describe_themselves():
    with pytest.raises(ValueError):
        Conditions(latency_ms=-1)
    with pytest.raises(ValueError):
        Conditions(stall_chance=1.5)
    assert Conditions().describe() == ("latency 0 ms, jitter 0 ms, bandwidth unlimited, no stalls")
    assert Conditions(100, 20, 5, 0.01, 250).describe() == (
        "latency 100 ms, jitter 20 ms, bandwidth 5 KB/s, stall chance 0.01 for 250 ms"
    )


# -- the relay over real sockets ------------------------------------------------------------------


class Upstream:
    """A blocking TCP server on 127.0.0.1:0 with one thread per connection.

    `handler(conn)` serves a connection; when it returns the connection is
    closed and counted in `ended`.
    """

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.handler = handler
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = self.sock.getsockname()[:2]
        self.accepted = 0
        self.ended = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(DEADLINE)
        with conn, contextlib.suppress(OSError):
            self.handler(conn)
        with self._lock:
            self.ended += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


@pytest.fixture
def echo_server() -> Iterator[Upstream]:
    server = Upstream(echo)
    yield server
    server.close()


def relay_to(upstream: tuple[str, int], seed: int = 1, **conditions: float) -> Relay:
    return Relay(("127.0.0.1", 0), upstream, Conditions(**conditions), seed=seed).start()


def client_of(relay: Relay) -> socket.socket:
    sock = socket.create_connection(relay.address, timeout=DEADLINE)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def pump(relay: Relay, until: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll the relay until `until()` holds; fail after `timeout` wall seconds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        relay.poll(0.02)


def receive_into(sock: socket.socket, buffer: bytearray) -> bool:
    """Read what is available into buffer; True once the peer has closed."""
    while True:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return False
        if not data:
            return True
        buffer += data


def round_trip(relay: Relay, sock: socket.socket, message: bytes) -> float:
    received = bytearray()
    started = time.monotonic()
    sock.sendall(message)
    pump(relay, lambda: receive_into(sock, received) or len(received) >= len(message), "echo")
    elapsed = time.monotonic() - started
    assert bytes(received) == message
    return elapsed


def test_an_echo_round_trip_through_100_ms_each_way_takes_at_least_200_ms(echo_server):
    with relay_to(echo_server.address, latency_ms=100) as relay:
        sock = client_of(relay)
        try:
            for index in range(3):
                elapsed = round_trip(relay, sock, b"ping %d" % index)
                assert 0.2 <= elapsed < 1.5
        finally:
            sock.close()


def test_without_conditions_the_relay_passes_bytes_straight_through(echo_server):
    with relay_to(echo_server.address) as relay:
        sock = client_of(relay)
        try:
            assert round_trip(relay, sock, b"hello") < 0.5
        finally:
            sock.close()


def test_200_kb_of_random_bytes_arrive_intact_and_in_order(echo_server):
    payload = random.Random(5).randbytes(200_000)
    with relay_to(echo_server.address, latency_ms=10, jitter_ms=10, stall_chance=0.05) as relay:
        sock = client_of(relay)
        try:
            sent = 0
            received = bytearray()

            def progress() -> bool:
                nonlocal sent
                if sent < len(payload):
                    with contextlib.suppress(BlockingIOError):
                        sent += sock.send(payload[sent : sent + 16384])
                assert not receive_into(sock, received), "closed early"
                return len(received) >= len(payload)

            pump(relay, progress, "200 KB to come back")
            assert bytes(received) == payload
            assert relay.bytes_up == relay.bytes_down == len(payload)
        finally:
            sock.close()


def test_closing_the_client_closes_the_upstream_connection(echo_server):
    with relay_to(echo_server.address, latency_ms=20) as relay:
        sock = client_of(relay)
        round_trip(relay, sock, b"hi")
        assert echo_server.ended == 0 and relay.active == 1
        sock.close()
        pump(relay, lambda: echo_server.ended == 1, "the upstream to see the close")
        pump(relay, lambda: relay.active == 0, "the relay to forget the connection")


def test_a_server_that_closes_still_delivers_what_it_sent_first():
    def greet_and_leave(conn: socket.socket) -> None:
        conn.sendall(b"welcome, and goodbye")

    upstream = Upstream(greet_and_leave)
    try:
        with relay_to(upstream.address, latency_ms=100) as relay:
            sock = client_of(relay)
            received = bytearray()
            started = time.monotonic()
            pump(relay, lambda: receive_into(sock, received), "the client to see the close")
            assert time.monotonic() - started >= 0.1
            assert bytes(received) == b"welcome, and goodbye"
            sock.close()
    finally:
        upstream.close()


def test_an_unreachable_upstream_closes_the_client():
    spare = socket.create_server(("127.0.0.1", 0))
    address = spare.getsockname()[:2]
    spare.close()  # nothing listens there now: connections are refused
    with relay_to(address) as relay:
        sock = client_of(relay)
        received = bytearray()
        pump(relay, lambda: receive_into(sock, received), "the client to be closed")
        assert received == b""
        pump(relay, lambda: relay.active == 0, "the relay to forget the connection")
        sock.close()


def test_many_connections_are_relayed_at_once(echo_server):
    with relay_to(echo_server.address, latency_ms=30, jitter_ms=20) as relay:
        socks = [client_of(relay) for _ in range(25)]
        try:
            for index, sock in enumerate(socks):
                sock.sendall(b"client %02d" % index)
            replies = [bytearray() for _ in socks]

            def all_answered() -> bool:
                for sock, reply in zip(socks, replies, strict=True):
                    receive_into(sock, reply)
                return all(len(reply) == 9 for reply in replies)

            pump(relay, all_answered, "every client's echo")
            assert [bytes(reply) for reply in replies] == [b"client %02d" % i for i in range(25)]
            assert relay.connections == 25 and echo_server.accepted == 25
        finally:
            for sock in socks:
                sock.close()
        pump(relay, lambda: relay.active == 0, "every connection to close")


def test_a_fast_sender_meets_flow_control_instead_of_filling_the_relay(echo_server):
    with relay_to(echo_server.address, bandwidth_kbps=10) as relay:
        sock = client_of(relay)
        try:
            chunk = bytes(256 * 1024)
            sent = 0

            def sender_blocked() -> bool:
                nonlocal sent
                try:
                    sent += sock.send(chunk)
                except BlockingIOError:
                    return relay.queued_bytes >= netsim.READ_LIMIT
                return False

            pump(relay, sender_blocked, "the sender to be held back")
            for _ in range(20):
                relay.poll(0.01)
            assert relay.queued_bytes <= netsim.READ_LIMIT + RECEIVE_CAP
            assert sent < 64 * 1024 * 1024
        finally:
            sock.close()


def test_run_for_sleeps_instead_of_spinning(echo_server):
    with relay_to(echo_server.address) as relay:
        started_cpu, started = time.process_time(), time.monotonic()
        relay.run_for(0.3)
        assert time.monotonic() - started >= 0.3
        assert time.process_time() - started_cpu < 0.1


def test_a_game_client_joins_through_a_50_ms_relay_and_measures_the_added_ping():
    clock = MonotonicClock()
    server = GameServer(port=0, seed=1, clock=clock)
    relay = relay_to(server.address, latency_ms=50)
    server.add_public_address(relay.address)  # players reach it through the relay
    client = GameClient.connect(*relay.address, "lagged", clock=clock, transport="tcp")
    try:
        deadline = time.monotonic() + DEADLINE

        def run_until(condition: Callable[[], bool], what: str) -> None:
            while not condition():
                assert time.monotonic() < deadline, f"waited for {what}"
                assert client.close_reason is None, client.close_reason
                server.run_due_steps()
                client.run_due_steps()
                wait = min(
                    server.loop.seconds_until_next_step(), client.loop.seconds_until_next_step()
                )
                relay.poll(wait)

        started = time.monotonic()
        run_until(lambda: bool(client.own_aircraft()), "the client to get its aircraft")
        assert time.monotonic() - started >= 0.1  # the handshake alone is a round trip
        assert client.net.link.server_address == relay.address  # the ticket named the relay
        run_until(lambda: client.net.rtt is not None, "an ack to come back")
        assert 0.1 <= client.net.rtt < 1.0
    finally:
        client.close()
        relay.close()
        server.close()


# -- command line ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--latency", "-5"], "argument --latency: must not be negative"),
        (["--jitter", "soon"], "argument --jitter: must be a number"),
        (["--stall-chance", "1.5"], "argument --stall-chance: must be between 0 and 1"),
        (["--to", "localhost"], "argument --to: bad address 'localhost': must be HOST:PORT"),
        (
            ["--to", "127.0.0.1:0"],
            "argument --to: bad address '127.0.0.1:0': the port must be between 1 and 65535",
        ),
        (
            ["--listen", "127.0.0.1:http"],
            "argument --listen: bad address '127.0.0.1:http': the port must be a number",
        ),
    ],
)
def test_bad_values_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        netsim.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith(f"python -m tools.netsim: error: {message}")
    assert "Traceback" not in err


def test_a_listen_port_in_use_is_a_one_line_error(capsys):
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        port = taken.getsockname()[1]
        assert netsim.main(["--listen", f"127.0.0.1:{port}"]) == 2
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert err == f"error: port {port} on 127.0.0.1 is already in use\n"


@pytest.mark.process
def test_the_command_relays_and_stops_on_sigterm_with_a_summary(echo_server):
    host, port = echo_server.address
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.netsim",
            "--listen",
            "127.0.0.1:0",
            "--to",
            f"{host}:{port}",
            "--latency",
            "30",
            "--jitter",
            "10",
            "--seed",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        line = process.stderr.readline()  # bounded: the relay logs this first
        expected = f"-> {host}:{port} (latency 30 ms, jitter 10 ms, bandwidth unlimited, no stalls)"
        assert "relaying 127.0.0.1:" in line and line.rstrip().endswith(expected), line
        relay_port = int(line.split("relaying 127.0.0.1:", 1)[1].split(" ", 1)[0])
        with socket.create_connection(("127.0.0.1", relay_port), timeout=DEADLINE) as sock:
            started = time.monotonic()
            sock.sendall(b"x" * 1000)
            received = b""
            while len(received) < 1000:
                data = sock.recv(65536)
                assert data, "closed early"
                received += data
            assert time.monotonic() - started >= 0.06
        process.send_signal(signal.SIGTERM)
        output, errors = process.communicate(timeout=DEADLINE)
        assert process.returncode == 0, errors
        assert output == (
            "relayed 1 connection: 1,000 bytes client->server, 1,000 bytes server->client\n"
        )
        assert "Traceback" not in errors
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
