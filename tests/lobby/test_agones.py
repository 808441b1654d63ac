"""The Agones backend against a stand-in of the Kubernetes API endpoint it calls
(tests/lobby/kube_standin.py: allocation.agones.dev/v1 as Agones 1.56.0 documents it), on a
real socket: what it asks for, where parties land, and every failure as one JSON line."""

from __future__ import annotations

import socket

import pytest

from engine.net.netcode import decrypt_private_token
from engine.net.tickets import decode_token
from game.lobby.agones import AgonesAllocator, allocation_body, kube_client, ticket_addresses
from game.lobby.backend import AllocatorError, Party
from tests.lobby.conftest import match
from tests.lobby.kube_standin import KubeStandIn


@pytest.fixture
def kube():
    with KubeStandIn() as standin:
        yield standin


def agones(url, **options):
    return AgonesAllocator(api=kube_client(url), fleet="cloudbreak", **options)


def test_the_allocation_asked_for_follows_the_documented_api(kube, make_lobby):
    kube.add("gs-1")
    lobby = make_lobby(agones(kube.url, namespace="games"))
    assert match(lobby.url, "ada", "bob")[0] == 200
    ((method, path, body),) = kube.requests
    assert (method, path) == (
        "POST",
        "/apis/allocation.agones.dev/v1/namespaces/games/gameserverallocations",
    )
    assert body == allocation_body("cloudbreak", Party(("ada", "bob")))
    spec = body["spec"]
    assert body["apiVersion"] == "allocation.agones.dev/v1"
    assert [s["gameServerState"] for s in spec["selectors"]] == ["Allocated", "Ready"]
    for selector in spec["selectors"]:
        assert selector["matchLabels"] == {"agones.dev/fleet": "cloudbreak"}
        assert selector["lists"] == {"players": {"minAvailable": 2}}
    assert spec["lists"] == {"players": {"addValues": ["ada", "bob"]}}
    assert spec["priorities"] == [{"type": "List", "key": "players", "order": "Ascending"}]


def test_parties_fill_a_running_match_before_a_fresh_server(kube, make_lobby, key):
    a = kube.add("gs-a", capacity=4, port=7001, pod_ip="10.4.0.7")
    b = kube.add("gs-b", capacity=4, port=7002, pod_ip="10.4.0.8")
    kube.add("other", fleet="someone-else")
    lobby = make_lobby(agones(kube.url, container_port=7654))
    status, _, first = match(lobby.url, "ada", "bob")
    assert status == 200 and first["server"] == "gs-a"
    assert first["addresses"] == ["203.0.113.10:7001", "10.4.0.7:7654"]
    token = decode_token(first["tickets"][0]["token"])
    assert token.server_addresses == (("203.0.113.10", 7001), ("10.4.0.7", 7654))
    private = decrypt_private_token(
        token.private_data,
        private_key=key,
        protocol_id=token.protocol_id,
        expire_timestamp=token.expire_timestamp,
        nonce=token.nonce,
    )
    assert ("10.4.0.7", 7654) in private.server_addresses  # how the server knows it is for it
    assert match(lobby.url, "cy")[2]["server"] == "gs-a"  # the match under way, with room
    assert match(lobby.url, "dee", "eve")[2]["server"] == "gs-b"  # gs-a has room for one
    assert match(lobby.url, "fay")[2]["server"] == "gs-a"  # the fullest with room first
    assert (a.players, b.players) == (["ada", "bob", "cy", "fay"], ["dee", "eve"])
    status, headers, answer = match(lobby.url, "gus", "hal", "ivy")
    assert (status, answer) == (
        503,
        {"error": "no game server of fleet cloudbreak has room for a party of 3"},
    )
    assert headers["retry-after"] == "2"


def test_an_api_that_refuses_hangs_or_babbles_is_a_502_line_and_the_lobby_goes_on(kube, make_lobby):
    kube.add("gs-1")
    lobby = make_lobby(agones(kube.url, timeout=(0.5, 0.5)))
    kube.fail_with = (
        403,
        {"kind": "Status", "code": 403, "reason": "Forbidden", "message": "no create for you"},
    )
    assert match(lobby.url, "ada")[::2] == (
        502,
        {"error": "the Kubernetes API answered 403 Forbidden: no create for you"},
    )
    kube.fail_with = (500, {"message": "etcdserver: request timed out"})
    assert match(lobby.url, "ada")[::2] == (
        502,
        {
            "error": "the Kubernetes API answered 500 Internal Server Error: "
            "etcdserver: request timed out"
        },
    )
    kube.fail_with = None
    kube.garbage = True
    status, _, answer = match(lobby.url, "ada")
    assert status == 502 and answer["error"].startswith("the Kubernetes API answered something")
    kube.garbage = False
    kube.hang()
    assert match(lobby.url, "ada")[::2] == (
        502,
        {"error": f"the Kubernetes API at {kube.url} did not answer in 0.5 s"},
    )
    kube.hang(False)
    assert match(lobby.url, "ada")[0] == 200


def test_an_api_nobody_listens_on_is_a_502_line(make_lobby):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lobby = make_lobby(agones(f"http://127.0.0.1:{port}", timeout=(0.5, 0.5)))
    assert match(lobby.url, "ada")[::2] == (
        502,
        {
            "error": f"cannot reach the Kubernetes API at http://127.0.0.1:{port} "
            "(connection refused)"
        },
    )


def test_without_an_api_to_talk_to_the_backend_says_so_in_one_line(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(AllocatorError) as error:
        kube_client(None)
    assert str(error.value).startswith("no Kubernetes API to talk to: no --kube-api, not in a pod")
    assert "\n" not in str(error.value)


def test_ticket_addresses_take_the_udp_port_and_skip_what_is_not_an_ip():
    status = {
        "address": "game.example.com",
        "ports": [{"name": "default-tcp", "port": 7100}, {"name": "default-udp", "port": 7101}],
        "addresses": [
            {"type": "Hostname", "address": "node-a"},
            {"type": "ExternalIP", "address": "198.51.100.4"},
            {"type": "PodIP", "address": "fd00::7"},
        ],
    }
    assert ticket_addresses(status, 7654) == (("198.51.100.4", 7101), ("fd00::7", 7654))
    with pytest.raises(AllocatorError, match="no usable port"):
        ticket_addresses({"address": "198.51.100.4", "ports": []}, 7654)
    with pytest.raises(AllocatorError, match="no IP address"):
        ticket_addresses({"address": "x.example", "ports": [{"name": "default", "port": 1}]}, 1)
