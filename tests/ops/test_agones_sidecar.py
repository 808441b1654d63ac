"""The server's Agones link against a STAND-IN sidecar (tools/agones_sidecar.py): a real HTTP
server on 127.0.0.1, port 0, that answers the REST API of Agones v1.56.0 and records each
call. It is not Agones. Waits are bounded (the stand-in's `wait_for`, 10 s at most)."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from engine.time import ManualClock
from game.ops.agones import (
    AgonesContract,
    AgonesLink,
    Answer,
    Call,
    FailureLog,
    ServerState,
    SidecarClient,
)
from tools.agones_sidecar import StandInSidecar, label_problem

NOBODY = ServerState(frozenset(), 0)


@pytest.fixture
def sidecar():
    with StandInSidecar() as standin:
        yield standin


def carried(client: SidecarClient, count: int = 1, seconds: float = 10.0) -> list[Answer]:
    """Wait (bounded) until `count` answers are back."""
    got: list[Answer] = []
    deadline = time.monotonic() + seconds
    while len(got) < count:
        assert time.monotonic() < deadline, f"only {got} came back"
        client.flush(0.1)
        got += client.answers()
    return got


def test_the_client_carries_each_documented_call_and_reads_the_answer(sidecar):
    client = SidecarClient(sidecar.port, host="127.0.0.1")
    try:
        calls = [
            Call("ready", "POST", "/ready", {}),
            Call("health", "POST", "/health", {}),
            Call("capacity", "PUT", "/alpha/player/capacity", {"count": 2}),
            Call("connect", "POST", "/alpha/player/connect", {"playerID": "ada"}, "ada"),
            Call("label", "PUT", "/metadata/label", {"key": "players", "value": "1"}, "players"),
            Call("gameserver", "GET", "/gameserver"),
        ]
        for call in calls:
            assert client.submit(call)
        answers = carried(client, len(calls))
        assert [a.call for a in answers] == calls
        assert all(a.ok for a in answers)
        assert answers[3].body == {"bool": True}
        status = answers[5].body["status"]
        assert status["state"] == "Ready"
        assert status["players"] == {"count": "1", "capacity": "2", "ids": ["ada"]}
        assert answers[5].body["object_meta"]["labels"] == {"agones.dev/sdk-players": "1"}
        assert [(c.method, c.path, c.body) for c in sidecar.calls] == [
            (c.method, c.path, c.body) for c in calls
        ]
    finally:
        client.close(1.0)


def test_an_error_answer_is_an_answer_with_its_status_and_message(sidecar):
    sidecar.fail_with = 500
    client = SidecarClient(sidecar.port, host="127.0.0.1")
    try:
        client.submit(Call("ready", "POST", "/ready", {}))
        (answer,) = carried(client)
        assert (answer.ok, answer.status) == (False, 500)
        assert answer.why() == "HTTP 500: stand-in told to fail"
    finally:
        client.close(1.0)


def test_a_sidecar_that_never_answers_times_out_without_holding_the_caller(sidecar):
    sidecar.hold()
    client = SidecarClient(sidecar.port, host="127.0.0.1", timeout=0.3)
    try:
        started = time.monotonic()
        assert client.submit(Call("health", "POST", "/health", {}))
        assert time.monotonic() - started < 0.1  # the loop never waits
        (answer,) = carried(client)
        assert (answer.ok, answer.status, answer.why()) == (False, None, "no answer in time")
    finally:
        sidecar.hold(False)
        client.close(1.0)


def test_nothing_listening_is_a_refused_connection():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed
    client = SidecarClient(port, host="127.0.0.1")
    try:
        client.submit(Call("ready", "POST", "/ready", {}))
        (answer,) = carried(client)
        assert (answer.ok, answer.why()) == (False, "connection refused")
    finally:
        client.close(1.0)


def test_a_full_queue_refuses_more_calls_instead_of_blocking(sidecar):
    sidecar.hold()
    client = SidecarClient(sidecar.port, host="127.0.0.1", timeout=5.0, queue_size=2)
    try:
        accepted = [client.submit(Call("health", "POST", "/health", {})) for _ in range(5)]
        assert accepted.count(False) >= 2  # one in the worker's hands, two waiting at most
    finally:
        sidecar.hold(False)
        client.close(1.0)


def test_labels_the_stand_in_refuses_are_those_kubernetes_refuses():
    assert label_problem("players", "12") is None
    assert label_problem("mission", "") is None
    assert label_problem("players", "a b") == "invalid label value 'a b'"
    assert label_problem("bad key", "1") == "invalid label key 'agones.dev/sdk-bad key'"
    assert label_problem("p", "x" * 64) is not None


# -- the link: contract + client, as the loop tends it ----------------------------------------


def make_link(sidecar: StandInSidecar, capacity: int = 4, **client_options) -> AgonesLink:
    client = SidecarClient(sidecar.port, host="127.0.0.1", **client_options)
    link = AgonesLink(AgonesContract(capacity), client)
    link.contract.start(0.0)
    return link


def tend_until(link: AgonesLink, clock: ManualClock, server, done, seconds: float = 10.0):  # noqa: ANN001
    """Tend the link each 1/60 s of the manual clock until `done()`; real time bounded."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "gave up"
        link.tend(clock.now(), lambda: server)
        link.client.flush(0.05)
        clock.advance(1 / 60)


def test_a_server_comes_up_plays_and_asks_for_shutdown_through_the_stand_in(sidecar):
    clock = ManualClock(0.0)
    link = make_link(sidecar)
    try:
        tend_until(link, clock, NOBODY, lambda: link.contract.ready and link.contract.capacity_set)
        assert sidecar.gameserver.state == "Ready" and sidecar.gameserver.capacity == 4
        playing = ServerState(frozenset({"ada", "bob"}), 1)
        tend_until(link, clock, playing, lambda: len(sidecar.gameserver.players) == 2)
        tend_until(link, clock, playing, lambda: link.contract.labels.get("players") == "2")
        assert sidecar.gameserver.labels == {
            "agones.dev/sdk-mission": "1",
            "agones.dev/sdk-players": "2",
        }
        sidecar.allocate()
        tend_until(link, clock, playing, lambda: link.contract.allocated)
        assert "POST /shutdown" not in sidecar.paths()
        tend_until(link, clock, NOBODY, lambda: link.contract.shutdown_sent)
        assert sidecar.gameserver.state == "Shutdown"
        assert sidecar.gameserver.players == []
        assert sidecar.paths("POST").count("/shutdown") == 1
        health = [c.at for c in sidecar.calls_to("/health")]
        assert health  # and they went every 2 s of the loop's clock (the contract's tests)
    finally:
        link.client.close(1.0)


def test_a_failing_sidecar_is_logged_once_then_at_most_every_30_s_and_serving_goes_on(
    sidecar, caplog
):
    sidecar.fail_with = 500
    clock = ManualClock(0.0)
    link = make_link(sidecar)
    try:
        with caplog.at_level(logging.INFO, logger="game.ops.agones"):
            for _ in range(int(65 * 60)):  # 65 s of loop turns
                link.tend(clock.now(), lambda: NOBODY)
                if clock.now() % 2 < 1 / 60:
                    link.client.flush(1.0)
                clock.advance(1 / 60)
            link.client.flush(1.0)
            link.tend(clock.now(), lambda: NOBODY)
        health = [r.getMessage() for r in caplog.records if "health" in r.getMessage()]
        assert health[0] == (
            "Agones sidecar: health failed: HTTP 500: stand-in told to fail; the server carries on"
        )
        assert 2 <= len(health) <= 3  # at 0 s, then a summary each 30 s
        assert "failed" in health[1] and "more times in" in health[1]
        sidecar.fail_with = None
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="game.ops.agones"):
            for _ in range(3 * 60):
                link.tend(clock.now(), lambda: NOBODY)
                link.client.flush(1.0)
                clock.advance(1 / 60)
        assert "Agones sidecar: health works again" in [r.getMessage() for r in caplog.records]
    finally:
        link.client.close(1.0)


def test_failure_log_counts_what_it_did_not_log(caplog):
    failures = FailureLog(every=30.0, logger=logging.getLogger("test.failures"))
    with caplog.at_level(logging.INFO, logger="test.failures"):
        failures.failed("ready", "connection refused", 0.0)
        for second in range(1, 30):
            failures.failed("ready", "connection refused", float(second))
        failures.failed("ready", "no answer in time", 30.0)
        failures.succeeded("ready")
        failures.succeeded("ready")
    assert [r.getMessage() for r in caplog.records] == [
        "Agones sidecar: ready failed: connection refused; the server carries on",
        "Agones sidecar: ready failed 30 more times in 30 s (last: no answer in time)",
        "Agones sidecar: ready works again",
    ]


def test_closing_asks_for_shutdown_and_waits_for_it_to_go(sidecar):
    link = make_link(sidecar)
    link.close(timeout=5.0)
    assert "/shutdown" in sidecar.paths("POST")


def test_the_stand_in_keeps_lists_as_the_beta_api_describes():
    """GET /v1beta1/lists/{name}, POST ...:addValue / :removeValue (Agones 1.56.0's
    proto/sdk/beta/beta.proto over grpc-gateway): the List back, or NOT_FOUND (404),
    ALREADY_EXISTS (409), OUT_OF_RANGE (400)."""
    with StandInSidecar(lists={"players": 2}) as standin:
        standin.allocate(lists={"players": ["ada", "ada"]})  # duplicates ignored
        client = SidecarClient(standin.port, host="127.0.0.1")
        base = "/v1beta1/lists/players"
        calls = [
            Call("list", "GET", base),
            Call("add", "POST", f"{base}:addValue", {"value": "bob"}),
            Call("add", "POST", f"{base}:addValue", {"value": "bob"}),
            Call("add", "POST", f"{base}:addValue", {"value": "cy"}),
            Call("remove", "POST", f"{base}:removeValue", {"value": "ada"}),
            Call("remove", "POST", f"{base}:removeValue", {"value": "ada"}),
            Call("list", "GET", "/v1beta1/lists/teams"),
            Call("gameserver", "GET", "/gameserver"),
        ]
        try:
            for call in calls:
                assert client.submit(call)
            answers = carried(client, len(calls))
        finally:
            client.close(1.0)
    assert [a.status for a in answers] == [200, 200, 409, 400, 200, 404, 404, 200]
    assert answers[0].body == {"name": "players", "capacity": "2", "values": ["ada"]}
    assert answers[1].body["values"] == ["ada", "bob"]
    assert answers[4].body == {"name": "players", "capacity": "2", "values": ["bob"]}
    lists = answers[7].body["status"]["lists"]
    assert lists == {"players": {"capacity": "2", "values": ["bob"]}}


def test_players_who_leave_are_taken_out_of_the_list_the_allocation_filled():
    """The allocation put a party of three in the `players` List; two leave for good and
    the List keeps only the one still here, so the lobby can place others there."""
    clock = ManualClock(0.0)
    with StandInSidecar(lists={"players": 4}) as standin:
        link = make_link(standin)
        try:
            tend_until(link, clock, NOBODY, lambda: link.contract.ready)
            standin.allocate(lists={"players": ["ada", "bob", "cy"]})
            party = ServerState(frozenset({"ada", "bob", "cy"}), 1)
            tend_until(link, clock, party, lambda: link.contract.allocated)
            left = ServerState(frozenset({"bob"}), 1)
            listed = standin.gameserver.lists["players"]
            tend_until(link, clock, left, lambda: listed.values == ["bob"])
            removed = [c.body for c in standin.calls_to("/v1beta1/lists/players:removeValue")]
            assert removed == [{"value": "ada"}, {"value": "cy"}]
        finally:
            link.client.close(1.0)
