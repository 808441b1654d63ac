"""What `python -m game.server` runs beside the game: the Agones link (`--agones`), the
metrics endpoint (`--metrics-port`) and the drain, all tended from the server's loop
(`GameServer.tend`, called once per loop turn, asleep or stepping)."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from engine.cli import number
from game.ops.agones import AgonesLink, AgonesSettings, ServerState, sidecar_port
from game.ops.drain import DRAIN_SECONDS, MAX_DRAIN_SECONDS, Drain
from game.ops.logs import FORMATS
from game.rules.mission import MissionState

if TYPE_CHECKING:
    from game.ops.metrics import ServerMetrics
    from game.server import GameServer

log = logging.getLogger(__name__)


class OperationsError(Exception):
    """Operations could not start (a one-line reason)."""


def server_state(server: GameServer) -> ServerState:
    """What Agones is told: who is here (or away and able to come back) and the mission."""
    net = server.net
    names = [p.name for p in net.joined_peers()] + [p.name for p in net.away_peers()]
    mission = server.world.try_resource(MissionState)
    return ServerState(frozenset(names), mission.number if mission else 0)


class Operations:
    def __init__(
        self,
        server: GameServer,
        *,
        drain: Drain,
        agones: AgonesLink | None = None,
        metrics: ServerMetrics | None = None,
    ) -> None:
        self.server = server
        self.drain = drain
        self.agones = agones
        self.metrics = metrics

    @classmethod
    def start(
        cls,
        server: GameServer,
        *,
        agones: bool = False,
        metrics_port: int | None = None,
        metrics_host: str = "127.0.0.1",
        drain_seconds: float = DRAIN_SECONDS,
        environ: Mapping[str, str] = os.environ,
        sidecar_host: str = "localhost",
    ) -> Operations:
        """Start what was asked for; OperationsError (nothing left running) if it cannot."""
        try:
            drain = Drain(server, drain_seconds)
            port = sidecar_port(environ) if agones else 0
        except ValueError as error:
            raise OperationsError(str(error)) from None
        metrics = None
        if metrics_port is not None:
            try:  # the `server` extra: a player's install has no metrics to serve
                from game.ops.metrics import MetricsError, ServerMetrics
            except ImportError as error:
                raise OperationsError(
                    f"--metrics-port needs prometheus-client ({error.msg}); "
                    "install cloudbreak[server]"
                ) from None
            metrics = ServerMetrics(server)
            try:
                host, bound = metrics.serve(metrics_host, metrics_port)
            except MetricsError as error:
                raise OperationsError(str(error)) from None
            log.info("metrics on http://%s:%d/metrics", host, bound)
        link = None
        if agones:
            settings = AgonesSettings(port=port, host=sidecar_host)
            link = AgonesLink.start(server.net.max_peers, server.clock.now(), settings)
        ops = cls(server, drain=drain, agones=link, metrics=metrics)
        ops.tend()  # Ready and the first health ping go now, not after the first wait
        return ops

    def tend(self) -> None:
        """One loop turn's work: on the loop's thread."""
        now = self.server.clock.now()
        if self.agones is not None:
            self.agones.tend(now, lambda: server_state(self.server))
        if self.metrics is not None:
            self.metrics.sample(now)

    def close(self) -> None:
        """The server has closed: tell Agones (Shutdown, so its sidecar stops waiting), let
        the last scrape see the final figures, stop the endpoint."""
        if self.agones is not None:
            self.agones.close(timeout=1.0)
        if self.metrics is not None:
            self.metrics.close()


def add_operations_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's flags for running in production."""
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        default="text",
        help="text (default) or json: one JSON object per line with time, level, logger, "
        "message and the record's extra fields",
    )
    parser.add_argument(
        "--metrics-port",
        type=number(int, low=0, high=65535),
        default=None,
        metavar="PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics, HOST being --host "
        "(0: any free port; default: no metrics)",
    )
    parser.add_argument(
        "--agones",
        action="store_true",
        help="run under Agones: talk to its SDK sidecar on localhost:$AGONES_SDK_HTTP_PORT "
        "(default 9358): Ready, health every 2 s, labels, player tracking, Shutdown",
    )
    parser.add_argument(
        "--drain-seconds",
        type=number(float, low=0, high=MAX_DRAIN_SECONDS),
        default=DRAIN_SECONDS,
        metavar="S",
        help=f"on SIGTERM or Ctrl-C, admit nobody and let the players play on for up to S "
        f"seconds before closing, 0..{MAX_DRAIN_SECONDS:g} (default {DRAIN_SECONDS:g}); a "
        "second signal stops at once",
    )


def start_operations(server: GameServer, args: argparse.Namespace) -> Operations:
    """Operations as the server's flags ask (OperationsError: a one-line reason)."""
    return Operations.start(
        server,
        agones=args.agones,
        metrics_port=args.metrics_port,
        metrics_host=args.host,
        drain_seconds=args.drain_seconds,
    )
