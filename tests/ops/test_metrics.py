"""The metrics endpoint, scraped for real: prometheus-client's HTTP server on 127.0.0.1,
port 0, read with its own text parser, while a server and clients run over loopback UDP
on a manual clock (tests/netgame's Harness)."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.net.tickets import issue_ticket
from game.net.client import GameClient
from game.net.protocol import GAME
from game.ops.drain import Drain
from game.ops.metrics import MetricsError, ServerMetrics
from tests.netgame.conftest import Harness


def scrape(metrics: ServerMetrics) -> dict[tuple[str, tuple], float]:
    """Every sample of GET /metrics: (name, sorted labels) -> value."""
    host, port = metrics.address
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=10) as answer:
        assert answer.status == 200
        text = answer.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def game():
    harness = Harness(max_players=1, spectators=1)
    metrics = ServerMetrics(harness.server)
    metrics.serve("127.0.0.1", 0)
    yield harness, metrics
    metrics.close()
    harness.close()


def test_a_fresh_server_scrapes_zeros_and_its_process_figures(game):
    harness, metrics = game
    metrics.sample(harness.clock.now(), force=True)
    samples = scrape(metrics)
    for name in (
        "cloudbreak_players",
        "cloudbreak_players_away",
        "cloudbreak_seats",
        "cloudbreak_spectators",
        "cloudbreak_handshakes_in_flight",
        "cloudbreak_draining",
        "cloudbreak_mission",
        "cloudbreak_snapshot_size_bytes",
        "cloudbreak_snapshots_total",
        "cloudbreak_snapshot_bytes_total",
        "cloudbreak_received_bytes_total",
        "cloudbreak_sent_bytes_total",
        "cloudbreak_step_seconds_count",
    ):
        assert value(samples, name) == 0, name
    assert value(samples, "cloudbreak_seats_capacity") == 1
    assert value(samples, "process_resident_memory_bytes") > 1_000_000


def test_players_seats_spectators_steps_bytes_and_snapshots_are_what_the_server_says(game):
    harness, metrics = game
    harness.join("ada")
    bob = harness.connect("bob")
    harness.run_until(lambda: bob.session.spectating, what="bob to watch")
    harness.step(30)
    metrics.sample(harness.clock.now(), force=True)
    samples = scrape(metrics)
    net = harness.server.net
    assert value(samples, "cloudbreak_players") == 2
    assert value(samples, "cloudbreak_seats") == 1
    assert value(samples, "cloudbreak_spectators") == 1
    assert value(samples, "cloudbreak_mission") == 1
    assert value(samples, "cloudbreak_received_bytes_total") == net.bytes_in > 0
    assert value(samples, "cloudbreak_sent_bytes_total") == net.bytes_out > 0
    assert value(samples, "cloudbreak_received_datagrams_total") == net.datagrams_in > 0
    assert value(samples, "cloudbreak_sent_datagrams_total") == net.datagrams_out > 0
    steps = harness.server.world.time.step
    assert value(samples, "cloudbreak_step_seconds_count") == steps
    assert value(samples, "cloudbreak_step_seconds_bucket", le="+Inf") == steps
    assert (
        0
        < value(samples, "cloudbreak_step_seconds_sum")
        == pytest.approx(sum(harness.server.step_times))
    )
    assert value(samples, "cloudbreak_snapshots_total") >= 2 * 10
    assert (
        value(samples, "cloudbreak_snapshot_bytes_total")
        > value(samples, "cloudbreak_snapshot_size_bytes")
        > 0
    )
    # each step is observed once, however often the loop publishes
    metrics.sample(harness.clock.now(), force=True)
    assert value(scrape(metrics), "cloudbreak_step_seconds_count") == steps


def test_refusals_and_drops_are_counted_by_reason(game):
    harness, metrics = game
    harness.join("ada")
    bob = harness.connect("bob")
    harness.run_until(lambda: bob.session.spectating, what="bob to watch")
    full = harness.connect("cy")  # a seat and a spectator's place: no room for a third
    harness.run_until(lambda: full.close_reason is not None, what="cy to be refused")
    server = harness.server
    expired = issue_ticket(
        key=server.key, game=GAME, servers=server.public_addresses, name="old", now_unix=1e9
    )
    late = GameClient.with_ticket(expired, "old", clock=harness.clock)
    harness.clients.append(late)
    harness.step(30)
    harness.paused.add(id(bob))  # silent: timed out
    harness.run_until(lambda: len(server.net.joined_peers()) == 1, steps=900, what="a timeout")
    metrics.sample(harness.clock.now(), force=True)
    samples = scrape(metrics)
    assert value(samples, "cloudbreak_refusals_total", reason="full") == 1
    assert value(samples, "cloudbreak_refusals_total", reason="token_expired") >= 1
    assert value(samples, "cloudbreak_drops_total", reason="timeout") == 1
    assert value(samples, "cloudbreak_players_away") == 1  # bob may come back


def test_handshakes_in_flight_count_connections_under_way(game):
    harness, metrics = game
    client = harness.connect("ada")
    for _ in range(20):  # until the secure layer has answered, not yet the Hello
        harness.clock.advance(1 / 60)
        client.step()
        harness.server.step()
        if harness.server.net.handshakes_in_flight:
            break
    metrics.sample(harness.clock.now(), force=True)
    assert value(scrape(metrics), "cloudbreak_handshakes_in_flight") == 1
    harness.run_until(lambda: bool(client.own_aircraft()))
    metrics.sample(harness.clock.now(), force=True)
    assert value(scrape(metrics), "cloudbreak_handshakes_in_flight") == 0


def test_a_draining_server_says_so(game):
    harness, metrics = game
    Drain(harness.server).begin(harness.clock.now())
    metrics.sample(harness.clock.now(), force=True)
    assert value(scrape(metrics), "cloudbreak_draining") == 1


def test_the_loop_publishes_at_most_four_times_a_second(game):
    harness, metrics = game
    metrics.sample(harness.clock.now())
    harness.join("ada")
    metrics.sample(harness.clock.now() - 10.0 + 0.1)  # too soon after the last
    assert metrics.figures.players == 0
    metrics.sample(harness.clock.now() + 0.25)
    assert metrics.figures.players == 1


def test_a_port_in_use_is_a_one_line_error():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    harness = Harness()
    try:
        metrics = ServerMetrics(harness.server)
        with pytest.raises(MetricsError) as raised:
            metrics.serve("127.0.0.1", port)
        assert str(raised.value) == f"cannot serve metrics on 127.0.0.1:{port}: already in use"
    finally:
        taken.close()
        harness.close()
