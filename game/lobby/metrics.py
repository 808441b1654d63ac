"""The lobby's Prometheus metrics (served at GET /metrics), with prometheus-client.

Names (all `cloudbreak_lobby_`; counters end in `_total`):

    requests_total{outcome}      match requests by how they ended: placed, invalid,
                                 rate_limited, no_room, backend_error
    placements_total             parties placed
    players_placed_total         players placed (tickets handed out)
    allocation_failures_total{reason}   no_room, backend_error, timeout
    request_seconds              histogram: a match request, received to answered
    allocation_seconds           histogram: the backend's part of it
    servers{state}               the local fleet's servers by state (Starting, Ready,
                                 Allocated, Shutdown; draining ones as "draining")
    server_players{server}       players on each of the local fleet's slots, as its
                                 sidecar reports them (slot numbers: a bounded set)
    servers_replaced_total       local servers started in place of one that exited

A lobby on the Agones backend has no `servers` or `server_players`: Agones' own metrics
count its GameServers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics
from prometheus_client import Counter as PromCounter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

PREFIX = "cloudbreak_lobby_"
OUTCOMES = ("placed", "invalid", "rate_limited", "no_room", "backend_error")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _FleetCollector(Collector):
    def __init__(self, servers: Callable[[], list[dict[str, Any]]], replaced: Callable[[], int]):
        self.servers = servers
        self.replaced = replaced

    def collect(self) -> Iterator[Any]:
        servers = self.servers()
        if not servers:
            return
        states = GaugeMetricFamily(
            PREFIX + "servers", "The local fleet's servers by state", labels=["state"]
        )
        counted = Counter("draining" if s["draining"] else s["state"] for s in servers)
        for state in ("Starting", "Ready", "Allocated", "Shutdown", "draining"):
            states.add_metric([state], counted.get(state, 0))
        yield states
        players = GaugeMetricFamily(
            PREFIX + "server_players",
            "Players on each slot of the local fleet, as its sidecar reports them",
            labels=["server"],
        )
        for server in servers:
            players.add_metric([f"server-{server['slot']}"], server["players"])
        yield players
        yield CounterMetricFamily(
            PREFIX + "servers_replaced",
            "Local servers started in place of one that exited",
            value=self.replaced(),
        )


class LobbyMetrics:
    def __init__(self) -> None:
        disable_created_metrics()  # no `_created` twin of every counter on the page
        self.registry = CollectorRegistry()
        self.requests = PromCounter(
            PREFIX + "requests",
            "Match requests by outcome",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.requests.labels(outcome)
        self.placements = PromCounter(
            PREFIX + "placements", "Parties placed on a server", registry=self.registry
        )
        self.players = PromCounter(
            PREFIX + "players_placed", "Players placed (tickets handed out)", registry=self.registry
        )
        self.failures = PromCounter(
            PREFIX + "allocation_failures",
            "Allocations that failed, by reason",
            ["reason"],
            registry=self.registry,
        )
        for reason in ("no_room", "backend_error", "timeout"):
            self.failures.labels(reason)
        self.request_seconds = Histogram(
            PREFIX + "request_seconds",
            "Time from a match request to its answer",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.allocation_seconds = Histogram(
            PREFIX + "allocation_seconds",
            "Time the allocation backend took",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch_fleet(
        self, servers: Callable[[], list[dict[str, Any]]], replaced: Callable[[], int]
    ) -> None:
        """Export a local fleet's servers at every scrape."""
        self.registry.register(_FleetCollector(servers, replaced))

    def page(self) -> bytes:
        return generate_latest(self.registry)
