"""A GameServer under `--agones`, against a STAND-IN for the Agones SDK sidecar
(tools/agones_sidecar.py: a real HTTP server on 127.0.0.1, port 0, answering the REST API of
Agones v1.56.0 and recording the calls; it is not Agones). Bounded waits throughout."""

from __future__ import annotations

import json
import signal
import threading
import time
from functools import partial

import pytest

from engine.time import MonotonicClock
from game.net.client import GameClient
from game.ops.agones import HEALTH_EVERY
from game.ops.operations import Operations, OperationsError
from game.server import GameServer, main
from tests.netgame.conftest import Harness
from tests.ops.test_drain import rest_of_output, start_server, step_until
from tools.agones_sidecar import StandInSidecar


@pytest.fixture
def sidecar():
    with StandInSidecar() as standin:
        yield standin


def operations(server: GameServer, sidecar: StandInSidecar) -> Operations:
    ops = Operations.start(
        server,
        agones=True,
        environ={"AGONES_SDK_HTTP_PORT": str(sidecar.port)},
        sidecar_host="127.0.0.1",
    )
    server.tend = ops.tend
    return ops


def _run_until(harness, ops, sidecar, condition, what: str) -> None:  # noqa: ANN001
    """Step the server and its Agones link until `condition` holds (at most 10 s)."""
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}: {sidecar.calls}"
        harness.step()
        harness.server.tend()
        ops.agones.client.flush(0.02)


def test_players_joining_and_leaving_are_tracked_and_labelled(sidecar):
    harness = Harness(max_players=2, spectators=1)
    ops = operations(harness.server, sidecar)
    gameserver = sidecar.gameserver

    run_until = partial(_run_until, harness, ops, sidecar)

    try:
        run_until(lambda: gameserver.state == "Ready" and gameserver.capacity == 3, "Ready")
        ada = harness.join("ada")
        harness.join("bob")
        run_until(lambda: sorted(gameserver.players) == ["ada", "bob"], "two players")
        run_until(lambda: gameserver.labels.get("agones.dev/sdk-players") == "2", "a label")
        assert gameserver.labels["agones.dev/sdk-mission"] == "1"
        ada.close()
        harness.clients.remove(ada)
        run_until(lambda: gameserver.players == ["bob"], "ada to be gone")
        run_until(lambda: gameserver.labels.get("agones.dev/sdk-players") == "1", "a label")
        connects = [c.body for c in sidecar.calls_to("/alpha/player/connect")]
        assert connects == [{"playerID": "ada"}, {"playerID": "bob"}]
        assert [c.body for c in sidecar.calls_to("/alpha/player/disconnect")] == [
            {"playerID": "ada"}
        ]
    finally:
        ops.close()
        harness.close()


def test_a_player_who_leaves_gets_out_of_the_players_list_so_the_room_comes_back():
    """A server of 2 seats + 1 spectator, allocated for ada and bob by the lobby (their
    names in the Fleet's `players` List, capacity 3). Ada quits: she leaves the alpha
    tracking (PlayerDisconnect) and the List, which has room for two again."""
    harness = Harness(max_players=2, spectators=1)
    with StandInSidecar(lists={"players": 3}) as sidecar:
        ops = operations(harness.server, sidecar)
        gameserver = sidecar.gameserver

        run_until = partial(_run_until, harness, ops, sidecar)

        try:
            run_until(lambda: gameserver.state == "Ready", "Ready")
            sidecar.allocate(lists={"players": ["ada", "bob"]})
            ada = harness.join("ada")
            harness.join("bob")
            run_until(lambda: sorted(gameserver.players) == ["ada", "bob"], "two players")
            ada.close()
            harness.clients.remove(ada)
            run_until(lambda: gameserver.players == ["bob"], "ada to leave the tracking")
            run_until(lambda: gameserver.lists["players"].values == ["bob"], "ada off the List")
            removed = [c.body for c in sidecar.calls_to("/v1beta1/lists/players:removeValue")]
            assert removed == [{"value": "ada"}]
        finally:
            ops.close()
            harness.close()


def test_health_comes_from_the_loop_so_a_stalled_loop_stops_it(sidecar):
    """The loop (here idle: nobody connected) tends the link every turn. One turn hangs
    for 5 s: no health reaches the sidecar meanwhile, though its worker thread is free;
    once the loop turns again, so does health."""
    server = GameServer(host="127.0.0.1", port=0, seed=1)
    ops = operations(server, sidecar)
    stall = {"from": 0.0, "to": 0.0}
    try:

        def should_stop() -> bool:
            beats = sidecar.calls_to("/health")
            if not stall["from"] and len(beats) >= 2:
                stall["from"] = time.monotonic()
                time.sleep(5.0)  # the loop hangs in this turn
                stall["to"] = time.monotonic()
            after = [b for b in beats if b.at > stall["to"]] if stall["to"] else []
            return len(after) >= 2

        deadline = threading.Timer(30, lambda: signal.raise_signal(signal.SIGINT))
        deadline.start()
        try:
            server.serve(should_stop)
        finally:
            deadline.cancel()
        beats = [b.at for b in sidecar.calls_to("/health")]
        during = [at for at in beats if stall["from"] + 0.5 < at < stall["to"]]
        assert during == []
        before = [at for at in beats if at <= stall["from"]]
        assert len(before) >= 2 and before[1] - before[0] == pytest.approx(HEALTH_EVERY, abs=0.6)
        assert len([at for at in beats if at > stall["to"]]) >= 2
    finally:
        ops.close()
        server.close()


def test_a_sidecar_answering_500_is_logged_and_the_server_serves_on(sidecar, caplog):
    sidecar.fail_with = 500
    harness = Harness()
    ops = operations(harness.server, sidecar)
    try:
        deadline = time.monotonic() + 10
        while len(sidecar.calls) < 3:
            assert time.monotonic() < deadline
            harness.server.tend()
            ops.agones.client.flush(0.05)
        harness.server.tend()
        ada = harness.join("ada")  # the game goes on
        assert ada.own_aircraft()
        assert not ops.agones.contract.ready
        warnings = [r.getMessage() for r in caplog.records if r.name == "game.ops.agones"]
        assert any("failed: HTTP 500" in w and "the server carries on" in w for w in warnings)
    finally:
        ops.close()
        harness.close()


def test_a_bad_sidecar_port_in_the_environment_is_a_one_line_error():
    harness = Harness()
    try:
        with pytest.raises(OperationsError, match=r"^AGONES_SDK_HTTP_PORT must be a port"):
            Operations.start(harness.server, agones=True, environ={"AGONES_SDK_HTTP_PORT": "x"})
    finally:
        harness.close()


def test_main_exits_2_with_one_line_for_a_bad_sidecar_port(monkeypatch, capsys):
    monkeypatch.setenv("AGONES_SDK_HTTP_PORT", "99999")
    assert main(["--port", "0", "--agones"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "error: AGONES_SDK_HTTP_PORT must be a port number 1..65535, got '99999'"
    ]


@pytest.mark.process
def test_a_server_process_under_agones_readies_beats_and_asks_for_shutdown_on_sigterm(sidecar):
    child, port = start_server("--agones", env={"AGONES_SDK_HTTP_PORT": str(sidecar.port)})
    try:
        sidecar.wait_for(lambda s: "/ready" in s.paths() and len(s.calls_to("/health")) >= 2)
        ada = GameClient.connect("127.0.0.1", port, "ada", clock=MonotonicClock())
        step_until([ada], lambda: bool(ada.own_aircraft()))
        sidecar.wait_for(lambda s: s.gameserver.players == ["ada"])
        child.send_signal(signal.SIGTERM)
        step_until([ada], lambda: ada.close_reason is not None, seconds=10)
        assert child.wait(timeout=10) == 0
        assert sidecar.paths("POST")[-1] == "/shutdown"  # so the sidecar stops waiting
        _, err = rest_of_output(child)
        messages = [json.loads(line)["message"] for line in err.splitlines()]
        assert any("REST API of Agones 1.56.0" in m for m in messages)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=10)
