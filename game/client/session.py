"""A play session: the client, and the server it plays on when this process provides one.

- single-player: an in-process server world on an in-memory network: the very
  code path of multiplayer (tickets, netcode, channels), with no socket;
- host: `python -m game.server --open` as a child process on a chosen port,
  reachable from the LAN, which this client joins like any other player; the
  child ends with the host (it watches its parent);
- join: a client of someone else's server, by address (asking that server for
  a ticket) or with a ticket file;
- quick match: a lobby chooses the server and hands out the ticket.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence

from engine.mods import Mod
from engine.net.client import NetClient
from engine.net.datagrams import MemoryNetwork
from engine.net.sync import ClientNet
from engine.net.tickets import read_token_file
from engine.time import Clock, FixedStepLoop, MonotonicClock
from game.lobby.client import LobbyTicket, MatchRequest
from game.net.client import GameClient, client_schema
from game.rules.difficulty import DEFAULT_DIFFICULTY
from game.server import GameServer

log = logging.getLogger(__name__)

HOST_START_TIMEOUT = 15.0  # a loaded 2-core machine took over 5 s to boot the server; a child that
# fails (a port in use) is reported as soon as it exits, so only a hung start waits this long
RETRY_SECONDS = 0.2


class PausableClock:
    """A clock that stands still while paused.

    Single-player's in-process server and its client both tell the time by one of these,
    so a pause stops every timer of the game at once (timeouts, keep-alives, the steps
    owed): on resume neither side finds the other silent for the length of the pause.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lost = 0.0  # seconds spent paused, which this clock never shows
        self._paused_at: float | None = None

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def now(self) -> float:
        at = self._paused_at if self._paused_at is not None else self.clock.now()
        return at - self._lost

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self.clock.now()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._lost += self.clock.now() - self._paused_at
            self._paused_at = None


class Session:
    """Steps the client (and an in-process server) on the fixed-step clock; presents the
    client once per frame."""

    def __init__(
        self,
        mode: str,
        client: GameClient | None,
        *,
        clock: Clock,
        server: GameServer | None = None,
        child: subprocess.Popen[bytes] | None = None,
        connect: Callable[[], GameClient] | None = None,
    ) -> None:
        self.mode = mode
        self.client = client
        self.clock = clock
        self.server = server
        self.child = child
        self._connect = connect
        self._started = clock.now()
        self._next_try = self._started
        self.error: str | None = None
        self.loop = FixedStepLoop(clock, step_hz=60, max_catchup_steps=5)
        self.alpha = 1.0  # the last frame's fraction of a step, for present()
        self._paused = False

    # -- the three ways to play -----------------------------------------------------------

    @classmethod
    def single_player(
        cls,
        name: str,
        *,
        clock: Clock | None = None,
        seed: int | None = None,
        mods: Sequence[Mod] = (),
        difficulty: str = DEFAULT_DIFFICULTY,
        mission: str | None = None,
    ) -> Session:
        clock = PausableClock(clock or MonotonicClock())  # a pause stops the whole game
        server = GameServer(
            listen=False,
            clock=clock,
            seed=seed,
            mods=mods,
            difficulty=difficulty,
            mission=mission,
        )
        network = MemoryNetwork()
        server.join_memory_network(network)
        client = GameClient.with_ticket(
            server.ticket(name), name, clock=clock, socket=network.bind(), mods=mods
        )
        return cls("single", client, clock=clock, server=server)

    @classmethod
    def join(
        cls,
        host: str,
        port: int,
        name: str,
        *,
        clock: Clock | None = None,
        mods: Sequence[Mod] = (),
        transport: str = "udp",
    ) -> Session:
        clock = clock or MonotonicClock()
        client = GameClient.connect(host, port, name, clock=clock, mods=mods, transport=transport)
        return cls("join", client, clock=clock)

    @classmethod
    def quick_match(
        cls,
        url: str,
        name: str,
        *,
        clock: Clock | None = None,
        mods: Sequence[Mod] = (),
        transport: str = "udp",
    ) -> Session:
        """Ask the lobby at `url` for a server with room, and join it with the ticket it
        hands out (a lost connection asks the lobby again)."""
        clock = clock or MonotonicClock()
        ticket = LobbyTicket(MatchRequest(url, [name]), name)

        def again() -> LobbyTicket:
            return LobbyTicket(MatchRequest(url, [name]), name)

        net = NetClient(
            name=name,
            schema=client_schema(mods),
            now=clock.now(),
            ticket=ticket,
            transport=transport,
            renew_ticket=again,
        )
        return cls("join", GameClient(net, clock=clock, mods=mods), clock=clock)

    @classmethod
    def join_with_ticket(
        cls,
        path: str,
        name: str,
        *,
        clock: Clock | None = None,
        mods: Sequence[Mod] = (),
        transport: str = "udp",
    ) -> Session:
        """Join the server a ticket file names (TicketError, one line, if it is unusable)."""
        clock = clock or MonotonicClock()
        ticket = read_token_file(path)
        client = GameClient.with_ticket(ticket, name, clock=clock, mods=mods, transport=transport)
        return cls("join", client, clock=clock)

    @classmethod
    def host(
        cls,
        port: int,
        name: str,
        *,
        clock: Clock | None = None,
        mods: Sequence[Mod] = (),
        difficulty: str = DEFAULT_DIFFICULTY,
        mission: str | None = None,
    ) -> Session:
        """Start a dedicated server as a child process, open to the LAN, and keep trying to
        join it (its campaign begins at `mission`, default the first)."""
        clock = clock or MonotonicClock()
        command = [
            sys.executable,
            "-m",
            "game.server",
            "--host",
            "0.0.0.0",
            "--open",
            "--port",
            str(port),
            "--exit-with-parent",
            str(os.getpid()),
            "--drain-seconds",  # the host left: its friends are told at once, not in 5 s
            "0",
            "--log-level",
            "WARNING",
            "--difficulty",
            difficulty,
            "--drain-seconds",  # the host leaving ends the game for everyone, at once
            "0",
        ]
        if mission:
            command += ["--mission", mission]
        for mod in mods:
            command += ["--mod", mod.name]
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        log.info("started server pid %d on port %d", child.pid, port)
        return cls(
            "host",
            None,
            clock=clock,
            child=child,
            connect=lambda: GameClient.connect("127.0.0.1", port, name, clock=clock, mods=mods),
        )

    # -- running --------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    @paused.setter
    def paused(self, paused: bool) -> None:
        """Pause single-player: the in-process server and client stop together (their clock
        stands still). A multiplayer session is never paused: its network must go on."""
        self._paused = paused
        if isinstance(self.clock, PausableClock):
            if paused:
                self.clock.pause()
            else:
                self.clock.resume()

    @property
    def multiplayer(self) -> bool:
        return self.mode != "single"

    @property
    def ready(self) -> bool:
        """Connected and flying, or watching in line for a seat (a game mode: has a snapshot)."""
        client = self.client
        if client is None or not client.connected:
            return False
        if client.mode:
            return client.world.resource(ClientNet).snapshots > 0
        return bool(client.own_aircraft()) or client.session.spectating > 0

    @property
    def failed(self) -> str | None:
        """Why the session cannot (or can no longer) go on, or None."""
        if self.error:
            return self.error
        if self.client is not None and self.client.close_reason and self._connect is None:
            return self.client.close_reason
        return None

    def step_due(self) -> int:
        """Run the steps the clock owes (none while paused); returns how many ran."""
        if self.child is not None:
            self._watch_child()
        if self.client is None or (self._connect is not None and self.client.net.closed):
            self._retry_connect()
            return 0
        if self.paused:
            self.loop.reset()
            return 0
        frame = self.loop.advance()
        self.alpha = frame.alpha
        for _ in range(frame.steps):
            if self.server is not None:
                self.server.step()
            self.client.step()
        if self._connect is not None and self.client.connected:
            self._connect = None  # joined: from now on a loss is a loss, not a retry
        return frame.steps

    def present(self, dt: float) -> None:
        """Once per frame, after `step_due`: the client's presentation for `dt` of wall time,
        drawn `alpha` of a step past the last step (nothing while paused)."""
        client = self.client
        if client is None or self.paused or client.world.closed:
            return
        client.present(dt, self.alpha)

    def _retry_connect(self) -> None:
        now = self.clock.now()
        if now - self._started > HOST_START_TIMEOUT:
            self.error = "Could not connect: the server did not start in time"
            return
        if now < self._next_try:
            return
        self._next_try = now + RETRY_SECONDS
        if self.client is not None:
            self.client.world.close()
        assert self._connect is not None
        self.client = self._connect()

    def _watch_child(self) -> None:
        assert self.child is not None
        code = self.child.poll()
        if code is None or self.error:
            return
        detail = self.child.stderr.read().decode(errors="replace") if self.child.stderr else ""
        lines = [line for line in detail.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {code}"
        self.error = f"The server stopped: {reason.removeprefix('error: ')}"

    def close(self) -> None:
        """Leave, and stop whatever server this session started."""
        if self.client is not None and not self.client.world.closed:
            self.client.close()
        if self.server is not None:
            self.server.close()
            self.server = None
        if self.child is not None and self.child.poll() is None:
            self.child.terminate()
            try:
                self.child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
