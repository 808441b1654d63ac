"""The headless dedicated server: `python -m game.server --port 5000`.

One authoritative world stepped at 60 Hz, a snapshot to every client at 20 Hz,
sleeping until the next deadline or the next packet in between (an idle
server uses next to no CPU). SIGINT/SIGTERM tell the clients, close cleanly
and print a summary. pygame is never imported here.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.cli import number
from engine.data import DataError
from engine.mods import Mod, ModError, build_mods, game_mode, load_mods
from engine.net.messages import Welcome
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.sync import ServerNet, ServerNetPlugin, snapshot_tick
from engine.net.transport import ListenError, TcpListener
from engine.phases import Role
from engine.plugin import Plugin
from engine.runtime import settle_garbage_collector
from engine.time import Clock, FixedStepLoop, MonotonicClock
from engine.world import World
from game.net.plugin import ShooterServerNetPlugin
from game.net.schema import shooter_schema
from game.net.seats import Roster
from game.rules.content import GameContent
from game.rules.mission import MissionState
from game.rules.plugin import shooter_world

log = logging.getLogger("game.server")

DEFAULT_PORT = 5000
DEFAULT_MAX_PLAYERS = 8
DEFAULT_SPECTATORS = 8
IDLE_WAKE = 0.5  # seconds an idle server blocks before checking for a stop request


@dataclass(frozen=True, slots=True)
class ServerSummary:
    uptime: float
    steps: int
    peers_joined: int
    peers_dropped: int
    missions_started: int
    step_median_ms: float
    step_p99_ms: float

    def lines(self) -> list[str]:
        return [
            f"uptime: {self.uptime:.1f} s, {self.steps} steps",
            f"players joined: {self.peers_joined}, dropped for errors or timeouts: "
            f"{self.peers_dropped}",
            f"missions started: {self.missions_started}",
            f"step time: median {self.step_median_ms:.3f} ms, p99 {self.step_p99_ms:.3f} ms",
        ]


class GameServer:
    """The shooter's authoritative world plus its network endpoint."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        max_players: int = DEFAULT_MAX_PLAYERS,
        spectators: int = DEFAULT_SPECTATORS,
        seed: int | None = None,
        clock: Clock | None = None,
        listen: bool = True,
        content: GameContent | None = None,
        mods: Sequence[Mod] = (),
    ) -> None:
        self.clock = clock or MonotonicClock()
        self.max_players = max_players
        mode = game_mode(mods)
        listener = TcpListener(host, port) if listen else None
        seed = time.time_ns() if seed is None else seed
        # Connections: a seat each, plus room to watch (the shooter's spectators wait in line
        # for a seat; a game mode seats whoever it accepts, so it gets no spectator room).
        # The schema is complete once the mods have registered their components and messages.
        self.net = NetServer(
            schema=shooter_schema() if mode is None else NetSchema(),
            max_peers=max_players + (spectators if mode is None else 0),
            welcome=self._welcome,
            listener=listener,
        )
        if mode is None:
            self.world = shooter_world(Role.SERVER, seed=seed, content=content)
            game_plugins: list[Plugin] = [ShooterServerNetPlugin(max_players)]
        else:  # a game mode brings its own rules: a bare world for it
            self.world = World(Role.SERVER, seed=seed)
            game_plugins = []
        try:
            if mode is None:
                cap = self.world.resource(GameContent).battlefield.max_players
                if not 1 <= max_players <= cap:
                    raise ValueError(f"max players must be 1..{cap} (aircraft on the battlefield)")
            self.world.add_plugins([ServerNetPlugin(self.net, self.clock), *game_plugins])
            build_mods(self.world, mods)
        except (ModError, ValueError):
            self.close()
            raise
        self.mods = tuple(mod.ident for mod in mods)
        self.net.mods = self.mods
        self.loop = FixedStepLoop(self.clock, step_hz=self.world.time.step_hz, max_catchup_steps=10)
        self.step_times: deque[float] = deque(maxlen=100_000)
        self.started = self.clock.now()

    @property
    def address(self) -> tuple[str, int]:
        if self.net.listener is None:
            raise RuntimeError("this server does not listen")
        return self.net.listener.address

    def _welcome(self, peer: Peer) -> Welcome:
        return Welcome(
            peer.client_id,
            self.world.time.step_hz,
            self.world.time.tick_every,
            snapshot_tick(self.world),
        )

    def step(self) -> None:
        """One fixed step, timed (for the summary and the tools)."""
        started = time.perf_counter()
        self.world.step()
        self.step_times.append(time.perf_counter() - started)

    def run_due_steps(self) -> int:
        """Run the steps the clock says are due; return how many ran."""
        frame = self.loop.advance()
        for _ in range(frame.steps):
            self.step()
        return frame.steps

    @property
    def idle(self) -> bool:
        """Nobody connected and the mission held at the start: nothing to simulate."""
        return not self.net.peers and self.world.resource(MissionState).held

    def serve(self, should_stop: Callable[[], bool]) -> None:
        """Step on schedule until `should_stop()`; sleep to each deadline or packet.

        An idle server does not step at all: it blocks on the listening socket
        (waking every IDLE_WAKE s to check `should_stop`), so it costs no CPU.
        """
        settle_garbage_collector()
        while not should_stop():
            if self.idle:
                self.net.wait(IDLE_WAKE)
                self.net.poll_connections(self.clock.now())
                self.loop.reset()
                continue
            self.run_due_steps()
            # Peers are read inside steps, so waking early for their data would only spin:
            # sleep to the next step's deadline.
            time.sleep(self.loop.seconds_until_next_step())

    @property
    def roster(self) -> Roster:
        return self.world.resource(Roster)

    def summary(self) -> ServerSummary:
        times = sorted(self.step_times) or [0.0]
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        return ServerSummary(
            uptime=self.clock.now() - self.started,
            steps=self.world.time.step,
            peers_joined=self.net.joined_total,
            peers_dropped=self.net.dropped,
            missions_started=getattr(self.world.try_resource(MissionState), "number", 0),
            step_median_ms=statistics.median(times) * 1000,
            step_p99_ms=p99 * 1000,
        )

    def close(self, detail: str = "server shutting down") -> None:
        self.net.close(detail)
        self.world.close()

    @property
    def snapshot_bytes(self) -> int:
        return self.world.resource(ServerNet).snapshot_bytes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m game.server", description="Run a headless Cloudbreak server."
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
    )
    parser.add_argument(
        "--port",
        type=number(int, low=0, high=65535),
        default=DEFAULT_PORT,
        help="TCP port (default 5000)",
    )
    parser.add_argument(
        "--max-players",
        type=number(int, low=1, high=16),
        default=DEFAULT_MAX_PLAYERS,
        help="aircraft seats, 1..16; a co-op partner takes one too (default 8)",
    )
    parser.add_argument(
        "--spectators",
        type=number(int, low=0, high=64),
        default=DEFAULT_SPECTATORS,
        help="connections that may watch while every seat is taken, waiting in line "
        "for the next free one, 0..64 (default 8)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    parser.add_argument(
        "--mod",
        action="append",
        default=[],
        metavar="MODULE",
        help="load a mod (repeatable); installed cloudbreak.mods are loaded too",
    )
    parser.add_argument(
        "--exit-with-parent",
        type=int,
        default=None,
        metavar="PID",
        help="stop when process PID (the hosting game) is gone",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    try:
        server = GameServer(
            host=args.host,
            port=args.port,
            max_players=args.max_players,
            spectators=args.spectators,
            seed=args.seed,
            mods=load_mods(args.mod),
        )
    except (ListenError, DataError, ModError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    host, port = server.address
    log.info("listening on %s:%d", host, port)
    if server.mods:
        log.info("mods: %s", ", ".join(server.mods))
    stop = {"requested": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    parent = args.exit_with_parent

    def should_stop() -> bool:
        if parent is not None and os.getppid() != parent:
            log.info("the hosting game (pid %d) is gone", parent)
            return True
        return stop["requested"]

    try:
        server.serve(should_stop)
    finally:
        summary = server.summary()
        server.close()
        log.info("stopped")
        print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
