"""The Agones contract, sans-I/O: which sidecar calls are due when, on a manual clock.

The calls follow the REST API of Agones v1.56.0 (see game/ops/agones.py); the answers
here are made by hand, as the sidecar would give them.
"""

from __future__ import annotations

import pytest

from game.ops.agones import (
    DEFAULT_PORT,
    RETRY_LONGEST,
    AgonesContract,
    Answer,
    Call,
    ServerState,
    sidecar_port,
)

NOBODY = ServerState(frozenset(), 0)


def state(*players: str, mission: int = 1) -> ServerState:
    return ServerState(frozenset(players), mission)


def ok(call: Call, body=None) -> Answer:  # noqa: ANN001
    return Answer(call, 200, {} if body is None else body)


def failed(call: Call) -> Answer:
    return Answer(call, 500, {"code": 13, "message": "boom"})


def paths(calls: list[Call]) -> list[str]:
    return [f"{c.method} {c.path}" for c in calls]


def answer_all(contract: AgonesContract, calls: list[Call], now: float, **bodies) -> None:
    for call in calls:
        contract.answered(ok(call, bodies.get(call.kind)), now)


def allocated(state_name: str = "Allocated") -> dict:
    return {"status": {"state": state_name, "address": "10.0.0.1", "ports": []}}


def started(capacity: int = 16) -> AgonesContract:
    contract = AgonesContract(capacity)
    contract.start(0.0)
    return contract


def test_nothing_is_said_before_the_server_listens():
    assert AgonesContract(16).update(0.0, NOBODY) == []


def test_once_listening_health_ready_capacity_and_labels_go_at_once():
    contract = started(capacity=12)
    calls = contract.update(0.0, NOBODY)
    assert paths(calls) == [
        "POST /health",
        "POST /ready",
        "PUT /alpha/player/capacity",
        "PUT /metadata/label",
        "PUT /metadata/label",
    ]
    assert [c.body for c in calls] == [
        {},
        {},
        {"count": 12},
        {"key": "mission", "value": "0"},
        {"key": "players", "value": "0"},
    ]


def test_health_beats_every_two_seconds_whatever_the_answers():
    contract = started()
    beats = []
    for step in range(0, 601):  # ten seconds of loop turns, 60 a second
        now = step / 60
        for call in contract.update(now, NOBODY):
            if call.kind == "health":
                beats.append(round(now, 3))
                contract.answered(failed(call), now)  # a failing beat changes nothing
            else:
                contract.answered(ok(call), now)
    assert beats == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]


def test_a_stalled_loop_sends_no_health_and_beats_once_when_it_comes_back():
    """Health goes only from update(), which the loop calls: a loop stuck for 9 s sends
    nothing in between, so Agones sees the silence; back, it beats once, then on time."""
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    # no update between 0 and 9 s: the loop was stuck
    calls = contract.update(9.0, NOBODY)
    assert [c.kind for c in calls].count("health") == 1
    assert [c.kind for c in contract.update(9.5, NOBODY)].count("health") == 0
    assert [c.kind for c in contract.update(11.0, NOBODY)].count("health") == 1


def test_ready_is_retried_with_a_growing_wait_until_taken():
    contract = started()
    tries = []
    for step in range(0, 40 * 10 + 1):
        now = step / 10
        for call in contract.update(now, NOBODY):
            if call.kind == "ready":
                tries.append(now)
                contract.answered(failed(call) if now < 10 else ok(call), now)
            else:
                contract.answered(ok(call), now)
    assert tries[:5] == [0.0, 1.0, 3.0, 7.0, 15.0]  # 1, 2, 4, 8 s apart
    assert contract.ready and len(tries) == 5


def test_a_call_on_its_way_is_not_sent_again():
    contract = started()
    first = contract.update(0.0, NOBODY)
    assert "POST /ready" in paths(first)
    assert "POST /ready" not in paths(contract.update(5.0, NOBODY))  # no answer yet


def test_allocation_is_read_from_get_gameserver_every_two_seconds_once_ready():
    contract = started()
    assert "GET /gameserver" not in paths(contract.update(0.0, NOBODY))  # not ready yet
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    polls = []
    for step in range(1, 121):
        now = step / 10
        for call in contract.update(now, NOBODY):
            if call.kind == "gameserver":
                polls.append(now)
                body = allocated("Allocated" if now >= 7 else "Ready")
                contract.answered(ok(call, body), now)
    assert polls == [0.1, 2.1, 4.1, 6.1, 8.1]  # stops once allocated
    assert contract.allocated and contract.allocated_at == pytest.approx(8.1)
    assert contract.state == "Allocated"


def test_labels_follow_the_mission_and_the_player_count_at_most_once_a_second():
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    assert contract.labels == {"mission": "0", "players": "0"}
    assert [c for c in contract.update(0.5, NOBODY) if c.kind == "label"] == []
    labels = [c.body for c in contract.update(0.5, state("ada", mission=1)) if c.kind == "label"]
    assert labels == []  # sent 0.5 s ago: wait
    calls = [c for c in contract.update(1.0, state("ada", mission=1)) if c.kind == "label"]
    assert [c.body for c in calls] == [
        {"key": "mission", "value": "1"},
        {"key": "players", "value": "1"},
    ]
    answer_all(contract, calls, 1.0)
    calls = contract.update(2.5, state("ada", "bob", mission=1))
    assert [c.body for c in calls if c.kind == "label"] == [{"key": "players", "value": "2"}]


def test_players_are_connected_and_disconnected_once_capacity_is_set():
    contract = started()
    calls = contract.update(0.0, state("ada"))
    assert "POST /alpha/player/connect" not in paths(calls)  # capacity first
    answer_all(contract, calls, 0.0)
    calls = contract.update(0.1, state("ada", "bob"))
    connects = [c for c in calls if c.kind == "connect"]
    assert [c.body for c in connects] == [{"playerID": "ada"}, {"playerID": "bob"}]
    answer_all(contract, connects, 0.1, connect={"bool": True})
    assert contract.players == {"ada", "bob"}
    assert [c for c in contract.update(0.2, state("ada", "bob")) if c.kind == "connect"] == []
    calls = contract.update(0.3, state("bob", "cy"))
    tracked = [(c.kind, c.body) for c in calls if c.kind in ("connect", "disconnect")]
    assert tracked == [("disconnect", {"playerID": "ada"}), ("connect", {"playerID": "cy"})]


def test_a_failed_player_call_is_retried_later_and_a_false_answer_still_counts():
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    (connect,) = [c for c in contract.update(0.1, state("ada")) if c.kind == "connect"]
    contract.answered(failed(connect), 0.1)
    assert [c for c in contract.update(0.5, state("ada")) if c.kind == "connect"] == []
    (again,) = [c for c in contract.update(1.1, state("ada")) if c.kind == "connect"]
    contract.answered(ok(again, {"bool": False}), 1.1)  # it was there already
    assert contract.players == {"ada"}


def test_player_tracking_turned_off_retries_capacity_at_the_longest_wait_only():
    contract = started()
    tries = []
    for step in range(0, 200 * 10):
        now = step / 10
        for call in contract.update(now, state("ada")):
            assert call.kind != "connect"
            if call.kind == "capacity":
                tries.append(now)
                contract.answered(failed(call), now)
            else:
                contract.answered(ok(call), now)
    gaps = [round(b - a, 1) for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert set(gaps[5:]) == {RETRY_LONGEST}


def removals(calls: list[Call]) -> list[tuple[str, str, object]]:
    return [(c.kind, c.path, c.body) for c in calls if c.kind in ("unlist", "relist")]


REMOVE = "/v1beta1/lists/players:removeValue"
ADD = "/v1beta1/lists/players:addValue"


def test_a_player_who_leaves_for_good_leaves_the_players_list_once():
    """The lobby's allocation put the party in the Fleet's `players` List; whoever leaves is
    taken out (POST /v1beta1/lists/players:removeValue), whether or not the alpha player
    tracking is on (capacity never answered here)."""
    contract = started()
    assert removals(contract.update(0.0, state("ada", "bob"))) == []
    calls = contract.update(0.1, state("bob"))
    assert removals(calls) == [("unlist", REMOVE, {"value": "ada"})]
    assert removals(contract.update(0.2, state("bob"))) == []  # on its way: not again
    (unlist,) = [c for c in calls if c.kind == "unlist"]
    contract.answered(ok(unlist, {"name": "players", "capacity": "16", "values": ["bob"]}), 0.3)
    assert removals(contract.update(5.0, state("bob"))) == []
    assert removals(contract.update(5.1, NOBODY)) == [("unlist", REMOVE, {"value": "bob"})]


def test_not_found_means_nothing_to_remove_and_is_not_retried():
    """404 NOT_FOUND: the name is not in the List (a ticket made without the lobby) or the
    Fleet declares no such List. Done, not a failure."""
    contract = started()
    contract.update(0.0, state("ada"))
    (unlist,) = [c for c in contract.update(0.1, NOBODY) if c.kind == "unlist"]
    answer = Answer(unlist, 404, {"code": 5, "message": "Value: ada not found in List: players"})
    assert AgonesContract.settles(answer)
    contract.answered(answer, 0.1)
    assert [removals(contract.update(t, NOBODY)) for t in (1.2, 5.0, 40.0)] == [[], [], []]


def test_a_player_back_before_the_removal_went_stays_listed():
    contract = started()
    contract.update(0.0, state("ada"))
    contract.update(0.1, NOBODY)  # queued but, say, the queue was full: answered as failed
    assert removals(contract.update(0.2, state("ada"))) == []


def test_a_removal_that_crosses_the_players_return_is_undone():
    contract = started()
    contract.update(0.0, state("ada"))
    (unlist,) = [c for c in contract.update(0.1, NOBODY) if c.kind == "unlist"]
    contract.update(0.2, state("ada"))  # back (a new ticket) while the removal is on its way
    contract.answered(ok(unlist), 0.3)
    calls = contract.update(0.4, state("ada"))
    assert removals(calls) == [("relist", ADD, {"value": "ada"})]
    (relist,) = [c for c in calls if c.kind == "relist"]
    contract.answered(Answer(relist, 409, {"code": 6, "message": "already there"}), 0.5)
    assert removals(contract.update(5.0, state("ada"))) == []


def test_a_failing_removal_is_retried_then_given_up(caplog):
    """Lists off (or a broken sidecar): retried 1, 2, 4, 8, 16 s later, then dropped with
    one line, so a long-lived server does not collect retries for everyone who left."""
    contract = started()
    contract.update(0.0, state("ada"))
    tries = []
    for step in range(1, 120 * 10):
        now = step / 10
        for call in contract.update(now, NOBODY):
            if call.kind == "unlist":
                tries.append(now)
                contract.answered(failed(call), now)
    gaps = [round(b - a, 1) for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert "gave up taking 'ada' out of the 'players' List: HTTP 500: boom" in caplog.text


def allocated_contract() -> AgonesContract:
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    for call in contract.update(1.0, NOBODY):
        contract.answered(ok(call, allocated() if call.kind == "gameserver" else None), 1.0)
    assert contract.allocated
    return contract


def shutdowns(contract: AgonesContract, now: float, server: ServerState) -> list[Call]:
    calls = contract.update(now, server)
    for call in calls:
        if call.kind != "shutdown":
            contract.answered(ok(call), now)
    return [c for c in calls if c.kind == "shutdown"]


def test_shutdown_once_the_allocated_match_was_played_and_everyone_left():
    contract = allocated_contract()
    assert shutdowns(contract, 2.0, NOBODY) == []  # nobody came yet
    assert shutdowns(contract, 3.0, state("ada", "bob")) == []
    assert shutdowns(contract, 50.0, state("bob")) == []  # one still plays
    (shutdown,) = shutdowns(contract, 60.0, NOBODY)
    assert (shutdown.method, shutdown.path, shutdown.body) == ("POST", "/shutdown", {})
    assert shutdowns(contract, 60.1, NOBODY) == []  # on its way
    contract.answered(ok(shutdown), 60.2)
    assert contract.shutdown_sent
    assert shutdowns(contract, 100.0, NOBODY) == []  # once


def test_a_ready_server_that_empties_is_not_shut_down():
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    for now, server in ((1.0, state("ada")), (2.0, NOBODY), (200.0, NOBODY)):
        calls = contract.update(now, server)
        assert "POST /shutdown" not in paths(calls)
        for call in calls:
            body = allocated("Ready") if call.kind == "gameserver" else None
            contract.answered(ok(call, body), now)


def test_an_allocation_nobody_comes_to_ends_after_the_unclaimed_time():
    contract = allocated_contract()
    assert shutdowns(contract, 1.0 + 59.0, NOBODY) == []
    assert len(shutdowns(contract, 1.0 + 60.0, NOBODY)) == 1


def test_a_failed_shutdown_is_retried():
    contract = allocated_contract()
    shutdowns(contract, 2.0, state("ada"))
    (first,) = shutdowns(contract, 3.0, NOBODY)
    contract.answered(failed(first), 3.0)
    assert shutdowns(contract, 3.5, NOBODY) == []
    assert len(shutdowns(contract, 4.0, NOBODY)) == 1


def test_a_draining_server_asks_for_shutdown_whatever_the_match():
    contract = started()
    answer_all(contract, contract.update(0.0, NOBODY), 0.0)
    contract.request_shutdown()
    assert "POST /shutdown" in paths(contract.update(0.1, state("ada")))


@pytest.mark.parametrize(
    ("environ", "port"),
    [
        ({}, DEFAULT_PORT),
        ({"AGONES_SDK_HTTP_PORT": "59358"}, 59358),
        ({"AGONES_SDK_HTTP_PORT": " "}, 9358),
    ],
)
def test_the_sidecar_port_comes_from_the_environment(environ, port):
    assert DEFAULT_PORT == 9358
    assert sidecar_port(environ) == port


@pytest.mark.parametrize("text", ["http", "0", "65536", "-1", "9358.5"])
def test_a_bad_sidecar_port_is_a_one_line_error(text):
    with pytest.raises(
        ValueError, match=rf"^AGONES_SDK_HTTP_PORT must be a port number 1\.\.65535, got '{text}'$"
    ):
        sidecar_port({"AGONES_SDK_HTTP_PORT": text})
