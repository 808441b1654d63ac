"""tools/netsim_udp.py: the datagram relay over real UDP on 127.0.0.1, with bounded waits.

The faults themselves (DatagramLine) are tested exactly on a manual clock in
tests/net/test_datagrams.py; here the relay's plumbing: one upstream address
per client, delays both ways, loss, forgetting idle clients, and the command.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from engine.net.datagrams import Conditions, UdpSocket
from engine.time import ManualClock
from tools import netsim, netsim_udp
from tools.netsim_udp import UdpRelay

DEADLINE = 5.0


@pytest.fixture
def echo() -> Iterator[UdpSocket]:
    """A UDP socket the tests answer from by hand (echo, and remember who sent)."""
    sock = UdpSocket.bind("127.0.0.1", 0)
    yield sock
    sock.close()


def pump(relay: UdpRelay, echo: UdpSocket, until, seconds: float = DEADLINE) -> list:
    """Run relay and echo server until `until(seen)` holds; seen = what the echo got."""
    seen: list = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        relay.poll(0.005)
        for datagram, source in echo.receive(0.0):
            seen.append((datagram, source))
            echo.send_to(datagram, source, 0.0)
        if until(seen):
            return seen
    raise AssertionError(f"gave up after {seconds} s; the echo saw {len(seen)} datagrams")


def answer(sock: UdpSocket, relay: UdpRelay, echo: UdpSocket, seconds: float = DEADLINE):
    """Pump until `sock` has something; return it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        relay.poll(0.005)
        for datagram, source in echo.receive(0.0):
            echo.send_to(datagram, source, 0.0)
        ready, _, _ = select.select(sock.filenos(), [], [], 0)
        if ready:
            return sock.receive(0.0)
    raise AssertionError("no answer in time")


def test_a_round_trip_through_40_ms_each_way_takes_at_least_80_ms(echo):
    with UdpRelay(("127.0.0.1", 0), echo.address, Conditions(latency_ms=40), seed=1) as relay:
        client = UdpSocket.bind("127.0.0.1", 0)
        try:
            for index in range(3):
                started = time.monotonic()
                client.send_to(b"ping %d" % index, relay.address, 0.0)
                got = answer(client, relay, echo)
                elapsed = time.monotonic() - started
                assert got == [(b"ping %d" % index, relay.address)]
                assert 0.08 <= elapsed < 1.0
        finally:
            client.close()


def test_each_client_reaches_the_server_from_its_own_address(echo):
    with UdpRelay(("127.0.0.1", 0), echo.address, seed=1) as relay:
        a, b = UdpSocket.bind("127.0.0.1", 0), UdpSocket.bind("127.0.0.1", 0)
        try:
            a.send_to(b"from a", relay.address, 0.0)
            b.send_to(b"from b", relay.address, 0.0)
            seen = pump(relay, echo, lambda seen: len(seen) >= 2)
            sources = {datagram: source for datagram, source in seen}
            assert sources[b"from a"] != sources[b"from b"]
            assert relay.address not in sources.values()
            assert answer(a, relay, echo) == [(b"from a", relay.address)]
            assert answer(b, relay, echo) == [(b"from b", relay.address)]
            assert relay.active == 2
        finally:
            a.close()
            b.close()


def test_total_loss_lets_nothing_through_and_counts_it(echo):
    with UdpRelay(("127.0.0.1", 0), echo.address, Conditions(loss=1.0), seed=1) as relay:
        client = UdpSocket.bind("127.0.0.1", 0)
        try:
            for _ in range(20):
                client.send_to(b"lost", relay.address, 0.0)
            deadline = time.monotonic() + 0.3
            while time.monotonic() < deadline:
                relay.poll(0.01)
            assert echo.receive(0.0) == []
            summary = relay.summary()
            assert (summary.clients, summary.datagrams_up, summary.lost) == (1, 0, 20)
        finally:
            client.close()


def test_a_silent_client_is_forgotten_and_its_socket_closed(echo, monkeypatch):
    clock = ManualClock(100.0)
    monkeypatch.setattr(netsim_udp, "IDLE_SECONDS", 30.0)
    with UdpRelay(("127.0.0.1", 0), echo.address, seed=1, clock=clock) as relay:
        client = UdpSocket.bind("127.0.0.1", 0)
        try:
            client.send_to(b"hello", relay.address, 0.0)
            pump(relay, echo, lambda seen: len(seen) == 1)
            assert relay.active == 1
            clock.advance(29.0)
            relay.poll(0.0)
            assert relay.active == 1
            clock.advance(2.0)
            relay.poll(0.0)
            assert relay.active == 0
            assert relay.summary().datagrams_up == 1  # counted after it is forgotten
        finally:
            client.close()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--udp", "--stall-chance", "0.1"], "argument --stall-chance: stalls are TCP's"),
        (["--loss", "5"], "argument --loss: only with --udp"),
        (["--reorder", "1"], "argument --reorder: only with --udp"),
        (["--udp", "--duplicate", "101"], "argument --duplicate: must be between 0 and 100"),
    ],
)
def test_flags_for_the_other_transport_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        netsim.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith(f"python -m tools.netsim: error: {message}")


def test_a_udp_port_in_use_is_a_one_line_error(capsys, echo):
    port = echo.address[1]
    assert netsim.main(["--udp", "--listen", f"127.0.0.1:{port}"]) == 2
    assert capsys.readouterr().err == (
        f"error: cannot listen on UDP 127.0.0.1:{port}: already in use\n"
    )


@pytest.mark.process
def test_the_udp_command_relays_with_loss_and_stops_on_sigterm(echo):
    host, port = echo.address
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.netsim", "--udp", "--listen", "127.0.0.1:0"]
        + ["--to", f"{host}:{port}", "--latency", "20", "--loss", "50", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        line = process.stderr.readline()
        assert "relaying UDP 127.0.0.1:" in line, line
        assert line.rstrip().endswith(
            f"-> {host}:{port} (latency 20 ms, jitter 0 ms, loss 50%, bandwidth unlimited)"
        )
        relay_port = int(line.split("relaying UDP 127.0.0.1:", 1)[1].split(" ", 1)[0])
        client = UdpSocket.bind("127.0.0.1", 0)
        try:
            for index in range(40):
                client.send_to(b"%d" % index, ("127.0.0.1", relay_port), 0.0)
            got: list = []
            deadline = time.monotonic() + 1.0  # 20 ms of latency: all are through long before
            while time.monotonic() < deadline:
                ready, _, _ = select.select(echo.filenos(), [], [], 0.05)
                if ready:
                    got += echo.receive(0.0)
            assert 5 <= len(got) <= 35  # about half of 40 got through
        finally:
            client.close()
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=DEADLINE)
        assert out.startswith("relayed 1 client: ")
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
