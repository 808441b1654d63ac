"""Draining on SIGTERM: nobody new gets in, the players are told, the server goes.

In-process on a manual clock over loopback UDP (tests/netgame's Harness), then for real:
`python -m game.server` as a child process sent SIGTERM, with bounded waits."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.time import MonotonicClock
from game.net.client import GameClient
from game.ops.drain import MAX_DRAIN_SECONDS, Drain
from tests.netgame.conftest import Harness

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def harness():
    made = Harness(max_players=2, spectators=2)
    yield made
    made.close()


def test_a_draining_server_refuses_newcomers_and_tells_its_players(harness):
    ada = harness.join("ada")
    drain = Drain(harness.server, 5.0)
    drain.begin(harness.clock.now(), "SIGTERM")
    late = harness.connect("bob")
    harness.run_until(lambda: late.close_reason is not None, what="bob to be refused")
    assert late.close_reason == "The server refused to let you in: the server is shutting down"
    harness.step(10)
    assert ada.session.broadcasts[-1] == "The server is shutting down in 5 s"
    assert ada.connected  # the players stay while it drains
    assert harness.server.net.refusals["draining"] == 1


def test_a_drain_ends_after_its_time_or_when_the_last_player_has_gone(harness):
    ada = harness.join("ada")
    drain = Drain(harness.server, 5.0)
    assert not drain.over(harness.clock.now())  # not begun
    start = harness.clock.now()
    drain.begin(start)
    drain.begin(start + 1.0)  # once
    assert drain.started_at == start
    harness.step(60)
    assert not drain.over(harness.clock.now())
    assert drain.over(start + 5.0)
    ada.close()
    harness.clients.remove(ada)
    harness.run_until(lambda: not harness.server.net.joined_peers(), what="ada's goodbye")
    assert drain.over(harness.clock.now())


def test_an_empty_server_drains_at_once_and_tells_nobody(harness):
    drain = Drain(harness.server, 5.0)
    drain.begin(harness.clock.now())
    assert drain.over(harness.clock.now())


def test_the_ticket_endpoint_hands_out_none_while_draining():
    from game.server import GameServer

    server = GameServer(host="127.0.0.1", port=0, seed=1)  # open: it hands out tickets
    try:
        Drain(server).begin(server.clock.now())
        host, port = server.address
        client = GameClient.connect(host, port, "ada")
        deadline = time.monotonic() + 10
        while client.close_reason is None and time.monotonic() < deadline:
            server.run_due_steps()
            client.run_due_steps()
            server.net.wait(0.01)
        assert client.close_reason == (
            f"Could not connect: {host}:{port} refused a ticket: the server is shutting down"
        )
        client.world.close()
    finally:
        server.close()


@pytest.mark.parametrize("seconds", [-1, MAX_DRAIN_SECONDS + 0.5])
def test_a_drain_lasts_zero_to_eight_seconds(harness, seconds):
    with pytest.raises(ValueError, match="a drain lasts 0..8 s"):
        Drain(harness.server, seconds)


# -- for real: a child process and SIGTERM ------------------------------------------------------


def start_server(*flags: str, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """`python -m game.server --port 0 ...` with JSON logs; its game port, from its log."""
    child = subprocess.Popen(
        [sys.executable, "-m", "game.server", "--port", "0", "--log-format", "json", *flags],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = child.stderr.readline()  # blocks until the first log line (or EOF: a failure)
    if not line:
        child.kill()
        raise AssertionError(f"the server did not start: {child.communicate(timeout=10)}")
    message = json.loads(line)["message"]
    assert message.startswith("listening on 127.0.0.1:"), message
    return child, int(message.split(":", 1)[1].split(" ", 1)[0])


def rest_of_output(child: subprocess.Popen) -> tuple[str, str]:
    """What an ended child wrote: its stdout, and its stderr after the line `start_server`
    read (read from the same buffered files: `communicate` would skip what they hold)."""
    assert child.poll() is not None
    return child.stdout.read(), child.stderr.read()


def step_until(clients: list[GameClient], condition, seconds: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        for client in clients:
            if not client.world.closed:
                client.run_due_steps()
        # Until a datagram arrives or the next step is due (at most 5 ms): no blind sleep.
        sockets = [c.net.socket for c in clients if not c.world.closed and c.net.socket]
        fds = [fd for sock in sockets for fd in sock.filenos()]
        if fds:
            select.select(fds, [], [], 0.005)


@pytest.mark.process
def test_sigterm_tells_the_players_refuses_newcomers_and_exits_0_within_10_s():
    child, port = start_server("--drain-seconds", "3")
    ada = GameClient.connect("127.0.0.1", port, "ada", clock=MonotonicClock())
    try:
        step_until([ada], lambda: bool(ada.own_aircraft()))
        signalled = time.monotonic()
        child.send_signal(signal.SIGTERM)
        step_until([ada], lambda: "The server is shutting down in 3 s" in ada.session.broadcasts)
        late = GameClient.connect("127.0.0.1", port, "bob", clock=MonotonicClock())
        step_until([ada, late], lambda: late.close_reason is not None)
        assert late.close_reason.endswith("the server is shutting down")  # by ticket or Hello
        step_until([ada], lambda: ada.close_reason is not None, seconds=10)
        assert ada.close_reason == "Disconnected by the server: server shutting down"
        code = child.wait(timeout=max(0.1, 10 - (time.monotonic() - signalled)))
        took = time.monotonic() - signalled
        assert code == 0
        assert 2.5 <= took < 10  # the players had their 3 s (less what it took to hear)
        out, err = rest_of_output(child)
        lines = [json.loads(line) for line in err.splitlines()]
        messages = [line["message"] for line in lines]
        assert any(m.startswith("draining (SIGTERM; again to stop at once)") for m in messages)
        assert messages[-1] == "stopped"
        assert out.splitlines()[1] == "players joined: 1, dropped for errors or timeouts: 0"
    finally:
        for client in (ada,):
            if not client.world.closed:
                client.close()
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=10)


@pytest.mark.process
def test_a_second_sigterm_stops_at_once():
    child, port = start_server("--drain-seconds", "8")
    ada = GameClient.connect("127.0.0.1", port, "ada", clock=MonotonicClock())
    try:
        step_until([ada], lambda: bool(ada.own_aircraft()))
        child.send_signal(signal.SIGTERM)
        step_until([ada], lambda: "The server is shutting down in 8 s" in ada.session.broadcasts)
        second = time.monotonic()
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=5) == 0
        assert time.monotonic() - second < 5
        step_until([ada], lambda: ada.close_reason is not None, seconds=10)
        assert ada.close_reason == "Disconnected by the server: server shutting down"
    finally:
        if not ada.world.closed:
            ada.close()
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)
