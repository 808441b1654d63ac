"""The lobby's HTTP service on a real socket, with a backend the test drives: what a match
request gets, and that every refusal is one JSON line with its status."""

from __future__ import annotations

import asyncio
import time

from engine.net.netcode import decrypt_private_token
from engine.net.tickets import decode_token, ticket_name
from game.lobby.backend import AllocatorError, Placement
from tests.lobby.conftest import FakeBackend, match, request


def opened(token, key):
    return decrypt_private_token(
        token.private_data,
        private_key=key,
        protocol_id=token.protocol_id,
        expire_timestamp=token.expire_timestamp,
        nonce=token.nonce,
    )


def test_a_party_gets_a_ticket_each_for_one_server_valid_30_s(make_lobby, backend, key):
    lobby = make_lobby(backend)
    status, _, answer = match(lobby.url, "ada", "bob", "cy")
    assert status == 200
    assert answer["server"] == "s1" and answer["addresses"] == ["127.0.0.1:5000"]
    assert answer["expires_in"] == 30
    assert [t["player"] for t in answer["tickets"]] == ["ada", "bob", "cy"]
    ids = set()
    for ticket in answer["tickets"]:
        token = decode_token(ticket["token"])
        assert token.expire_timestamp - token.create_timestamp == 30
        assert abs(token.create_timestamp - time.time()) < 5
        assert token.server_addresses == (("127.0.0.1", 5000),)
        private = opened(token, key)
        assert ticket_name(private.user_data) == ticket["player"]
        assert private.server_addresses == (("127.0.0.1", 5000),)
        ids.add(private.client_id)
    assert len(ids) == 3  # every player its own client id
    assert backend.parties[0][1].players == ("ada", "bob", "cy")


def test_a_party_lands_together_or_not_at_all(make_lobby):
    backend = FakeBackend({"a": (("127.0.0.1", 5001), 1), "b": (("127.0.0.1", 5002), 2)})
    lobby = make_lobby(backend)
    assert match(lobby.url, "ada", "bob")[2]["server"] == "b"  # "a" has room for one only
    status, headers, answer = match(lobby.url, "cy", "dee")
    assert status == 503 and headers["retry-after"] == "2"
    assert answer == {"error": "no server has room for a party of 2"}
    assert match(lobby.url, "cy")[2]["server"] == "a"


def test_bad_requests_are_one_json_line_each(make_lobby, backend):
    url = make_lobby(backend).url
    cases = [
        ({"players": []}, "players: List should have at least 1 item after validation, not 0"),
        (
            {"players": ["a", "b", "c", "d", "e"]},
            "players: List should have at most 4 items after validation, not 5",
        ),
        ({"players": ["ada", "ADA"]}, "players: a party names each player once"),
        ({"players": ["ok", " lead"]}, "players[1]: the player name starts or ends with spaces"),
        ({"players": ["x" * 33]}, "players[0]: the player name is longer than 32 bytes"),
        ({"players": ["tab\there"]}, "players[0]: the player name contains the character '\\t'"),
        ({"players": [7]}, "players[0]: Input should be a valid string"),
        ({"players": ["ada"], "extra": 1}, "extra: Extra inputs are not permitted"),
        ({}, "players: Field required"),
        (
            [1, 2],
            'the body must be a JSON object such as {"players": ["ada"]}, sent with '
            "Content-Type: application/json",
        ),
    ]
    for body, error in cases:
        assert request(url + "/v1/match", "POST", body)[::2] == (400, {"error": error}), body
    assert request(url + "/v1/match", "POST", raw=b"{nope")[::2] == (
        400,
        {"error": "the body is not JSON"},
    )
    assert backend.parties == []


def test_an_oversized_body_unknown_paths_and_methods_get_json_errors(make_lobby, backend):
    url = make_lobby(backend).url
    assert request(url + "/v1/match", "POST", raw=b"[" + b" " * 5000 + b"]")[::2] == (
        413,
        {"error": "the body is over 4096 bytes"},
    )
    assert request(url + "/v2/match", "POST", {"players": ["a"]})[::2] == (
        404,
        {"error": "no such path '/v2/match'; see /openapi.json"},
    )
    assert request(url + "/v1/match")[::2] == (405, {"error": "GET is not served at /v1/match"})


def test_requests_over_the_rate_limit_get_429_with_retry_after(make_lobby, backend):
    url = make_lobby(backend, rate="3/minute").url
    assert [match(url, f"p{i}")[0] for i in range(3)] == [200, 200, 200]
    status, headers, answer = match(url, "p4")
    assert status == 429 and 1 <= int(headers["retry-after"]) <= 60
    assert answer["error"].startswith(
        "too many requests from 127.0.0.1 (limit 3/minute); try again in"
    )
    assert len(backend.parties) == 3
    assert request(url + "/healthz")[0] == 200  # probes are not limited


def test_a_flood_is_refused_cheaply_and_the_lobby_still_answers(make_lobby, backend):
    """Hundreds of requests from one address: a few placed, the rest 429, no 5xx."""
    url = make_lobby(backend, rate="10/second").url
    statuses = [match(url, f"f{i}")[0] for i in range(200)]
    assert set(statuses) <= {200, 429, 503}
    assert statuses.count(429) >= 150
    assert request(url + "/healthz")[2] == {"status": "ok", "backend": "fake"}


def test_backend_failures_become_502_504_and_500_and_the_lobby_goes_on(make_lobby, backend):
    lobby = make_lobby(backend, allocate_timeout=0.3)

    def broken(party):
        raise AllocatorError("the Kubernetes API answered 403 Forbidden: no")

    backend.answer = broken
    assert match(lobby.url, "ada")[::2] == (
        502,
        {"error": "the Kubernetes API answered 403 Forbidden: no"},
    )

    async def hangs(party):
        await asyncio.sleep(30)

    backend.answer = hangs
    assert match(lobby.url, "ada")[::2] == (
        504,
        {"error": "the fake backend did not answer in 0.3 s"},
    )

    def crashes(party):
        raise RuntimeError("surprise")

    backend.answer = crashes
    assert match(lobby.url, "ada")[::2] == (
        500,
        {"error": "the lobby failed answering this request; it has been logged"},
    )

    def bad_address(party):
        return Placement("odd", (("not an ip", 5000),))

    backend.answer = bad_address
    status, _, answer = match(lobby.url, "ada")
    assert status == 502 and answer["error"].startswith("cannot make tickets: ")
    backend.answer = None
    assert match(lobby.url, "ada")[0] == 200


def test_the_openapi_description_documents_the_match_request(make_lobby, backend):
    status, _, spec = request(make_lobby(backend).url + "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    post = spec["paths"]["/v1/match"]["post"]
    assert {"200", "400", "429", "502", "503", "504"} <= set(post["responses"])
    schemas = spec["components"]["schemas"]
    assert schemas["MatchRequest"]["properties"]["players"]["maxItems"] == 4
    assert set(schemas["Match"]["required"]) == {"server", "addresses", "expires_in", "tickets"}
    assert {"/healthz", "/metrics", "/v1/servers"} <= set(spec["paths"])


def test_metrics_count_outcomes_and_placed_players(make_lobby, backend):
    url = make_lobby(backend, rate="4/minute").url
    match(url, "a", "b")
    match(url, "a", "a")
    backend.rooms["s1"] = (("127.0.0.1", 5000), 0)
    match(url, "c")
    match(url, "d")
    match(url, "e")  # over the limit
    status, headers, page = request(url + "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    lines = set(page.splitlines())
    for line in (
        'cloudbreak_lobby_requests_total{outcome="placed"} 1.0',
        'cloudbreak_lobby_requests_total{outcome="invalid"} 1.0',
        'cloudbreak_lobby_requests_total{outcome="no_room"} 2.0',
        'cloudbreak_lobby_requests_total{outcome="rate_limited"} 1.0',
        "cloudbreak_lobby_players_placed_total 2.0",
        "cloudbreak_lobby_placements_total 1.0",
        'cloudbreak_lobby_allocation_failures_total{reason="no_room"} 2.0',
        "cloudbreak_lobby_request_seconds_count 5.0",
    ):
        assert line in lines, line


def test_the_backend_is_started_and_closed_with_the_lobby(make_lobby, backend):
    lobby = make_lobby(backend)
    assert backend.started and not backend.closed
    status, _, answer = request(lobby.url + "/v1/servers")
    assert status == 200 and answer == {"backend": "fake", "servers": [{"id": "s1", "room": 16}]}
    lobby.stop()
    assert backend.closed
