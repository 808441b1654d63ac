"""Big worlds reach joiners, a silent server is noticed, and a real server process stops cleanly."""

import os
import signal
import subprocess
import sys
import time

import pytest

from engine.net.sync import ServerNet
from game.net.client import GameClient
from game.rules.components import Held, Pickup
from game.rules.spawn import spawn_pickup


def test_a_full_state_larger_than_a_frame_reaches_a_joiner(harness):
    world = harness.server.world
    for index in range(6000):  # ~14 bytes each: far over one 64 KiB frame
        spawn_pickup(world, "health", 50 + index % 900, 4300 + index % 500)
    harness.step(3)
    late = harness.join("zed")
    harness.step(1)
    assert len(late.world.query(Pickup)) == 6000
    assert len(world.resource(ServerNet).encoder.full_state(world)) > 64 * 1024


def test_a_client_tries_to_reconnect_to_a_silent_server_for_30_s_then_gives_up(harness):
    alice = harness.join("alice")
    (aircraft,) = alice.own_aircraft().values()
    silent_steps = 0
    while alice.connected and silent_steps < 600:  # the server stops stepping: no snapshots
        harness.clock.advance(1 / 60)
        alice.step()
        silent_steps += 1
    assert not alice.connected
    assert 4.9 <= silent_steps / 60 <= 5.2  # the ticket's timeout
    alice.step()
    assert alice.reconnecting and alice.close_reason is None
    assert alice.session.reconnecting and 29.9 < alice.session.gives_up_in <= 30.0
    assert alice.world.has_component(aircraft, Held)  # held here as on the server
    while not alice.net.closed and silent_steps < 60 * 60:
        harness.clock.advance(1 / 60)
        alice.step()
        silent_steps += 1
    assert 34.9 <= silent_steps / 60 <= 35.2  # 30 s of trying after the loss
    assert alice.close_reason == (
        "Lost connection to server (no answer for 5 s); could not reconnect in 30 s"
    )


@pytest.mark.process
def test_sigterm_tells_clients_closes_and_prints_a_summary(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "game.server", "--port", "0", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline()  # bounded: the server logs this first
        assert "listening on 127.0.0.1:" in line, line
        port = int(line.split("listening on 127.0.0.1:", 1)[1].split(" ", 1)[0])
        client = GameClient.connect("127.0.0.1", port, "alice")
        deadline = time.monotonic() + 10
        while not client.own_aircraft() and time.monotonic() < deadline:
            client.run_due_steps()
        assert client.own_aircraft(), client.close_reason
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while client.connected and time.monotonic() < deadline:
            client.run_due_steps()
        assert client.close_reason == "Disconnected by the server: server shutting down"
        output, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "players joined: 1" in output
        assert "step time: median" in output
        client.world.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
