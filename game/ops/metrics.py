"""Prometheus metrics of a dedicated server (`--metrics-port N`), with prometheus-client.

The loop publishes its figures (`ServerMetrics.sample`, a few times a second, on the loop's
thread) as one immutable record; the exporter's HTTP thread reads only that record, so a
scrape never touches the world while it steps. Step times are observed into a histogram
from the server's step-time ring at the same moment.

Names (all `cloudbreak_`; counters end in `_total`):

    players                 connections in the game (seated or watching)
    players_away            players whose connection was lost and who may resume it
    seats / seats_capacity  aircraft seats taken (co-op partners take one too) / there are
    spectators              connections watching, in line for a seat
    handshakes_in_flight    connections under way (challenge out, or no Welcome yet)
    draining                1 once the server stopped admitting (SIGTERM), else 0
    mission                 missions begun (the number of the current one)
    step_seconds            histogram of the time one 60 Hz step took
    snapshot_size_bytes     the snapshot message most players got last tick
    snapshots_total, snapshot_bytes_total      snapshot messages queued to players, and bytes
    received_bytes_total, sent_bytes_total     datagram bytes through the sockets
    received_datagrams_total, sent_datagrams_total
    drops_total{reason}     players dropped: timeout, protocol, handshake_timeout,
                            send_buffer_full, kicked
    refusals_total{reason}  connections refused: full, version, schema, bad_name, protocol,
                            draining (handshake); link_full (netcode Denied); token_expired,
                            token_invalid, token_wrong_server, token_replayed, wrong_version
    datagrams_ignored_total{reason}  other datagrams the secure layer ignored, by reason

plus prometheus-client's process_* (resident memory, CPU seconds, open files) and
python_* (garbage collections) of the server process.
"""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.net.sync import ServerNet
from game.net.seats import Roster
from game.rules.mission import MissionState

if TYPE_CHECKING:
    from game.server import GameServer

log = logging.getLogger(__name__)

PREFIX = "cloudbreak_"
SAMPLE_EVERY = 0.25  # seconds between the loop's publications
STEP_BUCKETS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.0167, 0.033, 0.1, 0.5)

# The secure layer's reasons for ignoring a connection request that are refusals of a ticket.
TOKEN_REFUSALS = {
    "request: connect token expired": "token_expired",
    "request: connect token does not decrypt": "token_invalid",
    "request: private connect token is malformed": "token_invalid",
    "request: token does not name this server": "token_wrong_server",
    "request: token already used from another address": "token_replayed",
    "request: wrong protocol id": "wrong_version",
    "request: version is not NETCODE 1.02": "wrong_version",
}


class MetricsError(Exception):
    """The metrics endpoint could not start (a one-line reason)."""


@dataclass(frozen=True, slots=True)
class Figures:
    """One publication of the server's figures (read by the exporter's thread)."""

    players: int = 0
    players_away: int = 0
    seats: int = 0
    seats_capacity: int = 0
    spectators: int = 0
    handshakes_in_flight: int = 0
    draining: bool = False
    mission: int = 0
    snapshot_bytes: int = 0
    snapshots: int = 0
    snapshot_bytes_total: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    datagrams_in: int = 0
    datagrams_out: int = 0
    drops: Mapping[str, int] = field(default_factory=dict)
    refusals: Mapping[str, int] = field(default_factory=dict)
    ignored: Mapping[str, int] = field(default_factory=dict)


def read_figures(server: GameServer) -> Figures:
    """The server's figures now (on the loop's thread)."""
    net = server.net
    world = server.world
    roster = world.try_resource(Roster)
    mission = world.try_resource(MissionState)
    server_net = world.try_resource(ServerNet)
    refusals = dict(net.refusals)
    ignored: dict[str, int] = {}
    for reason, count in net.link.stats.ignored.items():
        kind = TOKEN_REFUSALS.get(reason)
        if kind is not None:
            refusals[kind] = refusals.get(kind, 0) + count
        else:
            reason = reason.split(" (", 1)[0]  # no addresses or details: a fixed set of labels
            ignored[reason] = ignored.get(reason, 0) + count
    if net.link.denied:
        refusals["link_full"] = net.link.denied
    return Figures(
        players=len(net.joined_peers()),
        players_away=len(net.away_peers()),
        seats=len(roster.seats) if roster else 0,
        seats_capacity=roster.max_players if roster else 0,
        spectators=len(roster.waiting) if roster else 0,
        handshakes_in_flight=net.handshakes_in_flight,
        draining=not net.admitting,
        mission=mission.number if mission else 0,
        snapshot_bytes=server_net.snapshot_bytes if server_net else 0,
        snapshots=server_net.snapshots_sent if server_net else 0,
        snapshot_bytes_total=server_net.snapshot_bytes_sent if server_net else 0,
        bytes_in=net.bytes_in,
        bytes_out=net.bytes_out,
        datagrams_in=net.datagrams_in,
        datagrams_out=net.datagrams_out,
        drops=dict(net.drops),
        refusals=refusals,
        ignored=ignored,
    )


class _FiguresCollector(Collector):
    def __init__(self, metrics: ServerMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        f = self.metrics.figures

        def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
            return GaugeMetricFamily(PREFIX + name, text, value=value)

        def counter(name: str, text: str, value: float) -> CounterMetricFamily:
            return CounterMetricFamily(PREFIX + name, text, value=value)

        def by_reason(name: str, text: str, counts: Mapping[str, int]) -> CounterMetricFamily:
            family = CounterMetricFamily(PREFIX + name, text, labels=["reason"])
            for reason in sorted(counts):
                family.add_metric([reason], counts[reason])
            return family

        yield gauge("players", "Connections in the game (seated or watching).", f.players)
        yield gauge(
            "players_away", "Players who lost their connection and may resume it.", f.players_away
        )
        yield gauge("seats", "Aircraft seats taken.", f.seats)
        yield gauge("seats_capacity", "Aircraft seats there are.", f.seats_capacity)
        yield gauge("spectators", "Connections watching, in line for a seat.", f.spectators)
        yield gauge("handshakes_in_flight", "Connections under way.", f.handshakes_in_flight)
        yield gauge("draining", "1 once the server stopped admitting players.", int(f.draining))
        yield gauge("mission", "Missions begun (the current one's number).", f.mission)
        yield gauge(
            "snapshot_size_bytes", "The snapshot most players got last tick.", f.snapshot_bytes
        )
        yield counter("snapshots", "Snapshot messages queued to players.", f.snapshots)
        yield counter(
            "snapshot_bytes",
            "Bytes of snapshot messages queued to players.",
            f.snapshot_bytes_total,
        )
        yield counter("received_bytes", "Datagram bytes received.", f.bytes_in)
        yield counter("sent_bytes", "Datagram bytes sent.", f.bytes_out)
        yield counter("received_datagrams", "Datagrams received.", f.datagrams_in)
        yield counter("sent_datagrams", "Datagrams sent.", f.datagrams_out)
        yield by_reason("drops", "Players dropped, by reason.", f.drops)
        yield by_reason("refusals", "Connections refused, by reason.", f.refusals)
        yield by_reason(
            "datagrams_ignored", "Datagrams the secure layer ignored, by reason.", f.ignored
        )


class ServerMetrics:
    """A server's metrics in their own registry (so several servers in one process, as in
    tests, never share or clash)."""

    def __init__(self, server: GameServer, *, process_metrics: bool = True) -> None:
        self.server = server
        self.registry = CollectorRegistry()
        self.figures = Figures()
        self.step_seconds = Histogram(
            PREFIX + "step_seconds",
            "Time one simulation step took.",
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_FiguresCollector(self))
        if process_metrics:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self._seen_steps = server.step_times.total
        self._next = 0.0
        self._http: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def sample(self, now: float, *, force: bool = False) -> None:
        """Publish the figures (at most every SAMPLE_EVERY s unless `force`): on the loop."""
        if now < self._next and not force:
            return
        self._next = now + SAMPLE_EVERY
        ring = self.server.step_times
        for seconds in ring.since(self._seen_steps):
            self.step_seconds.observe(seconds)
        self._seen_steps = ring.total
        self.figures = read_figures(self.server)

    def serve(self, host: str, port: int) -> tuple[str, int]:
        """Answer GET /metrics on host:port (0: any free port) from a daemon thread; the
        address it took. MetricsError with a one-line reason if it cannot listen."""
        try:
            self._http, self._thread = start_http_server(port, addr=host, registry=self.registry)
        except OSError as error:
            reason = (
                "already in use"
                if error.errno == errno.EADDRINUSE
                else (error.strerror or str(error))
            )
            raise MetricsError(f"cannot serve metrics on {host}:{port}: {reason}") from None
        address = self._http.server_address
        return str(address[0]), int(address[1])

    @property
    def address(self) -> tuple[str, int] | None:
        if self._http is None:
            return None
        return str(self._http.server_address[0]), int(self._http.server_address[1])

    def close(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
