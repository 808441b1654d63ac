"""The headless dedicated server: `python -m game.server --port 5000`.

One authoritative world stepped at 60 Hz, a snapshot to every client at 20 Hz,
sleeping until the next deadline or the next packet in between (an idle
server uses next to no CPU). SIGINT/SIGTERM tell the clients, close cleanly
and print a summary. pygame is never imported here.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from socket import SOCK_DGRAM

from engine.cli import address, number, parse_address
from engine.data import DataError
from engine.mods import Mod, ModError, build_mods, game_mode, load_mods
from engine.net.datagrams import (
    Address,
    DatagramSocket,
    MemoryNetwork,
    UdpSocket,
    host_addresses,
)
from engine.net.keyfile import KeyFileError, read_key
from engine.net.messages import Welcome
from engine.net.netcode import ConnectToken, new_key
from engine.net.netcode.addresses import normalize
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.sync import ServerNet, ServerNetPlugin, snapshot_tick
from engine.net.tcp_datagrams import HttpRequest, TcpDatagramServer
from engine.net.tickets import (
    TicketError,
    issue_ticket,
    no_tickets,
    protocol_id,
    ticket_endpoint,
)
from engine.net.transport import ListenError
from engine.net.views import MIN_BUDGET
from engine.phases import Role
from engine.plugin import Plugin
from engine.runtime import SampleRing, settle_garbage_collector
from engine.time import Clock, FixedStepLoop, MonotonicClock
from engine.world import World
from game.net.plugin import ShooterServerNetPlugin
from game.net.protocol import GAME
from game.net.schema import shooter_schema
from game.net.seats import Roster
from game.ops.logs import configure_logging
from game.ops.operations import OperationsError, add_operations_arguments, start_operations
from game.rules.content import GameContent
from game.rules.difficulty import DEFAULT_DIFFICULTY, DIFFICULTIES
from game.rules.mission import MissionState
from game.rules.plugin import shooter_world

log = logging.getLogger("game.server")

DEFAULT_PORT = 5000
DEFAULT_MAX_PLAYERS = 8
DEFAULT_SPECTATORS = 8
IDLE_WAKE = 0.5  # seconds an idle server blocks before checking for a stop request
TRANSPORTS = ("udp", "tcp")
PORT_TRIES = 20  # port 0: attempts at a free number for both UDP and TCP
MEMORY_ADDRESS = ("127.0.0.1", DEFAULT_PORT)  # a server with no socket (single-player)


def _public_addresses(
    host: str, sockets: Sequence[DatagramSocket], extra: Sequence[Address]
) -> list[Address]:
    """The addresses tickets may name for this server: where it listens (every address
    of this machine when that is all of them) and what the operator adds (an address a
    NAT or an orchestrator gives it)."""
    found = [normalize(a) for a in extra]
    if sockets:
        port = sockets[0].address[1]
        hosts: list[str] = []
        if host in ("", "0.0.0.0", "::"):
            hosts = host_addresses()
        else:
            with contextlib.suppress(OSError, UnicodeError):
                hosts = [str(i[4][0]) for i in socket.getaddrinfo(host, port, type=SOCK_DGRAM)]
        for ip in hosts:
            with contextlib.suppress(ValueError):
                found.append(normalize((ip, port)))
    return list(dict.fromkeys(found))[:32] or [MEMORY_ADDRESS]


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
    """The shooter's authoritative world plus its network endpoint.

    It lets in whoever holds a ticket made with its `key` for one of its addresses
    (`python -m game.token`, a lobby, or its own ticket endpoint with `open_tickets`,
    which is on unless a `key` was given: a server whose key nobody else has must hand
    out its tickets itself). Without `listen` it has no socket: single-player adds an
    in-memory one. `difficulty` is one of game.rules.difficulty.DIFFICULTIES (easy,
    normal, hard; ValueError otherwise): the shooter's enemies at that level (a game
    mode ignores it). `mission` is the campaign's mission to begin with (default: the
    first; ValueError listing the valid names otherwise). `snapshot_budget` caps every
    peer's snapshot body, bytes per network tick (None: each peer's measured link alone).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        transports: Sequence[str] = TRANSPORTS,
        key: bytes | None = None,
        public_addresses: Sequence[Address] = (),
        open_tickets: bool | None = None,
        max_players: int = DEFAULT_MAX_PLAYERS,
        spectators: int = DEFAULT_SPECTATORS,
        seed: int | None = None,
        clock: Clock | None = None,
        listen: bool = True,
        content: GameContent | None = None,
        difficulty: str = DEFAULT_DIFFICULTY,
        mission: str | None = None,
        mods: Sequence[Mod] = (),
        unix_time: Callable[[], float] = time.time,
        snapshot_budget: int | None = None,
    ) -> None:
        self.clock = clock or MonotonicClock()
        self.max_players = max_players
        if difficulty not in DIFFICULTIES:
            raise ValueError(
                f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}"
            )
        self.difficulty = difficulty
        if open_tickets is None:
            open_tickets = key is None
        self.key = key if key is not None else new_key()
        self.unix_time = unix_time
        mode = game_mode(mods)
        sockets = self._listen(host, port, transports, open_tickets) if listen else []
        seed = time.time_ns() if seed is None else seed
        self.public_addresses: list[Address] = _public_addresses(host, sockets, public_addresses)
        # Connections: a seat each, plus room to watch (the shooter's spectators wait in line
        # for a seat; a game mode seats whoever it accepts, so it gets no spectator room).
        # The schema is complete once the mods have registered their components and messages.
        try:
            self.net = NetServer(
                schema=shooter_schema() if mode is None else NetSchema(),
                key=self.key,
                protocol_id=protocol_id(GAME),
                public_addresses=self.public_addresses,
                max_peers=max_players + (spectators if mode is None else 0),
                welcome=self._welcome,
                now=self.clock.now(),
                sockets=sockets,
                unix_time=unix_time,
            )
        except ValueError:
            for sock in sockets:
                sock.close()
            raise
        if mode is None:
            try:
                self.world = shooter_world(
                    Role.SERVER, seed=seed, content=content, difficulty=difficulty, mission=mission
                )
            except ValueError:  # an unknown mission: nothing may stay listening
                self.net.close(self.clock.now())
                raise
            game_plugins: list[Plugin] = [ShooterServerNetPlugin(max_players)]
        else:  # a game mode brings its own rules: a bare world for it
            self.world = World(Role.SERVER, seed=seed)
            game_plugins = []
        try:
            if mode is None:
                cap = self.world.resource(GameContent).battlefield.max_players
                if not 1 <= max_players <= cap:
                    raise ValueError(f"max players must be 1..{cap} (aircraft on the battlefield)")
            serve = ServerNetPlugin(self.net, self.clock, snapshot_budget=snapshot_budget)
            self.world.add_plugins([serve, *game_plugins])
            build_mods(self.world, mods)
        except (ModError, ValueError):
            self.close()
            raise
        self.mods = tuple(mod.ident for mod in mods)
        self.net.mods = self.mods
        self.loop = FixedStepLoop(self.clock, step_hz=self.world.time.step_hz, max_catchup_steps=10)
        # Memory fixed at start: a deque of floats grew ~3 MB over the first half hour.
        self.step_times = SampleRing(100_000)
        self.started = self.clock.now()
        self.tend: Callable[[], None] | None = None  # once per loop turn (game.ops.operations)

    def _listen(
        self, host: str, port: int, transports: Sequence[str], open_tickets: bool
    ) -> list[DatagramSocket]:
        """UDP and/or TCP on one port number (TCP also when tickets are handed out: the
        ticket endpoint answers on it). ListenError with a one-line reason. With port 0 the
        UDP port is any free one, and TCP takes the same number: if that is taken for TCP,
        another pair is tried."""
        for _ in range(PORT_TRIES if port == 0 else 1):
            sockets: list[DatagramSocket] = []
            try:
                if "udp" in transports:
                    sockets.append(UdpSocket.bind(host, port))
                if "tcp" in transports or open_tickets:
                    http = ticket_endpoint(self._issue_for) if open_tickets else no_tickets
                    same = sockets[0].address[1] if sockets else port
                    sockets.append(TcpDatagramServer(host, same, http=http))
                return sockets
            except OSError as error:
                for sock in sockets:
                    sock.close()
                failure = ListenError(str(error.strerror or error))
        raise failure

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the first socket's address)."""
        if not self.net.sockets:
            raise RuntimeError("this server does not listen")
        return self.net.sockets[0].address

    def join_memory_network(self, network: MemoryNetwork) -> Address:
        """Listen on an in-memory network too (single-player, tests); tickets for the
        address it takes there work here. Returns that address."""
        sock = network.bind(MEMORY_ADDRESS)
        self.net.add_socket(sock)
        self.net.link.add_public_address(sock.address)
        return sock.address

    def ticket(self, name: str = "", *, servers: Sequence[Address] | None = None) -> ConnectToken:
        """A ticket into this server for `name` (single-player, hosting, tests)."""
        return issue_ticket(
            key=self.key,
            game=GAME,
            servers=servers or self.public_addresses,
            name=name,
            now_unix=self.unix_time(),
        )

    def add_public_address(self, address: Address) -> None:
        """Let tickets name `address` too (a relay's or a NAT's in front of this server)."""
        address = normalize(address)
        if address not in self.public_addresses:
            self.public_addresses.append(address)
        self.net.link.add_public_address(address)

    def _issue_for(self, name: str, request: HttpRequest) -> ConnectToken:
        """The ticket endpoint's ticket, for one address: the one the asker dialled (the
        Host header) when it is one of ours, else the one its request reached. Naming only
        our own addresses keeps an open server from minting tickets for another server
        that shares its key. A draining server hands out none."""
        if not self.net.admitting:
            raise TicketError(self.net.refusing)
        port = self.address[1]
        with contextlib.suppress(ValueError):
            dialled = normalize(parse_address(request.host))
            if dialled in self.public_addresses:
                return self.ticket(name, servers=[dialled])
        reached = normalize((request.local[0], port))
        self.add_public_address(reached)  # one of this host's: the request came in on it
        return self.ticket(name, servers=[reached])

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
        """Nobody connected or away (who may come back) and the mission held at the start:
        nothing to simulate."""
        net = self.net
        return not net.peers and not net.away_peers() and self.world.resource(MissionState).held

    def serve(self, should_stop: Callable[[], bool]) -> None:
        """Step on schedule until `should_stop()`; sleep to each deadline or packet.

        An idle server does not step at all: it blocks on its sockets (waking every
        IDLE_WAKE s to check `should_stop`), so it costs no CPU; a datagram wakes it
        for one step, which reads it. `tend` (if set) runs once per turn, asleep or not.
        """
        settle_garbage_collector()
        while not should_stop():
            if self.idle:
                woken = self.net.wait(IDLE_WAKE)
                self.loop.reset()
                if woken:  # someone is knocking: a step reads it (and answers)
                    self.step()
                if self.tend is not None:
                    self.tend()
                continue
            self.run_due_steps()
            if self.tend is not None:
                self.tend()
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
        self.net.close(self.clock.now(), detail)
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
        help="port, UDP and TCP alike (default 5000)",
    )
    parser.add_argument(
        "--transport",
        choices=["udp", "tcp", "both"],
        default="both",
        help="udp (the game's own), tcp (a fallback for networks that block UDP) or both (default)",
    )
    parser.add_argument(
        "--key-file",
        metavar="FILE",
        help="the key tickets are made with (python -m game.token --new-key FILE): only "
        "their holders get in; without it the server hands out tickets itself (--open)",
    )
    parser.add_argument(
        "--open",
        action="store_true",
        help="hand a ticket to anyone who asks on this port (players Join by address); "
        "the default without --key-file",
    )
    parser.add_argument(
        "--public-address",
        type=address(),
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="an address players reach this server at that it cannot see itself (behind "
        "a NAT); tickets may name it (repeatable)",
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
    parser.add_argument(
        "--snapshot-budget",
        type=number(int, low=MIN_BUDGET, high=1_000_000),
        default=None,
        metavar="BYTES",
        help="cap on each player's snapshot, bytes per network tick (at least "
        f"{MIN_BUDGET}); the most urgent entities go first and the rest wait their turn "
        "(default: what each player's link carries)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    parser.add_argument(
        "--difficulty",
        choices=DIFFICULTIES,
        default=DEFAULT_DIFFICULTY,
        help="how hard the enemies are: their fire, hit points and waves "
        f"(default {DEFAULT_DIFFICULTY})",
    )
    parser.add_argument(
        "--mission",
        default=None,
        metavar="NAME",
        help="the campaign's mission to begin with (sea, coast, storm; default: the first); "
        "won, it leads to the next",
    )
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
    add_operations_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    try:
        key = read_key(args.key_file) if args.key_file else None
        open_tickets = args.open or key is None  # without a key, only its own tickets work
        server = GameServer(
            host=args.host,
            port=args.port,
            transports=TRANSPORTS if args.transport == "both" else (args.transport,),
            key=key,
            public_addresses=args.public_address,
            open_tickets=open_tickets,
            max_players=args.max_players,
            spectators=args.spectators,
            seed=args.seed,
            difficulty=args.difficulty,
            mission=args.mission,
            mods=load_mods(args.mod),
            snapshot_budget=args.snapshot_budget,
        )
    except (ListenError, DataError, ModError, KeyFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    host, port = server.address
    kinds = "+".join(t.upper() for t in TRANSPORTS if args.transport in (t, "both"))
    who = "anyone who asks" if open_tickets else f"holders of tickets made with {args.key_file}"
    log.info("listening on %s:%d (%s); open to %s", host, port, kinds, who)
    log.info("difficulty: %s", args.difficulty)
    if server.mods:
        log.info("mods: %s", ", ".join(server.mods))
    try:
        ops = start_operations(server, args)
    except OperationsError as error:
        server.close()
        print(f"error: {error}", file=sys.stderr)
        return 2
    server.tend = ops.tend
    stop = {"requested": 0, "signal": ""}

    def request_stop(signum: int, frame: object) -> None:
        stop["requested"] += 1  # the first drains; a second stops at once
        stop["signal"] = signal.Signals(signum).name

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    parent = args.exit_with_parent

    def should_stop() -> bool:
        if parent is not None and os.getppid() != parent:
            log.info("the hosting game (pid %d) is gone", parent)
            return True
        if not stop["requested"]:
            return False
        now = server.clock.now()
        ops.drain.begin(now, f"{stop['signal']}; again to stop at once")
        return stop["requested"] > 1 or ops.drain.over(now)

    try:
        server.serve(should_stop)
    finally:
        summary = server.summary()
        server.close()
        ops.close()
        log.info("stopped", extra={"uptime": round(summary.uptime, 1)})
        print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
