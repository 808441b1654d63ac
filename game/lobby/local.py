"""The local backend: a fleet of `game.server` processes on this machine, for one-box
deployments and for tests.

Each of the fleet's `size` slots runs one server at a time, beside a stand-in for the Agones
SDK sidecar (`python -m tools.agones_sidecar`, the REST API of Agones 1.56.0), so the server
runs exactly as it would under Agones (`--agones`) and the lobby plays the part of Agones'
controller: it reads each server's state from its sidecar (GET /gameserver: Ready,
Allocated, Shutdown; the players it tracks) and whether it is draining from its metrics
(`cloudbreak_draining`), allocates a Ready server by the SDK's own POST /allocate when it
first sends players there, stops a server that asked for Shutdown (its match ended and
everyone left) with SIGTERM, as Kubernetes would, and starts a fresh one in its slot
whenever a server exits, for whatever reason (after a crash, with a growing pause).

Room: a server holds `seats + spectators` connections. The lobby counts the players its
sidecar reports plus the players it has sent there whose arrival it has not seen yet (held
for a ticket's life and its connection timeout, then given up). It prefers, in order: an
allocated server where the whole party gets aircraft seats (the fullest first, so matches
fill up), a fresh Ready server, an allocated server where the party fits as spectators.

Every command can be prefixed (`launcher`, e.g. `ip netns exec NS`) to run the servers in
another network namespace: tickets then name the address the server listens on there.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import signal
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from engine.net.netcode import Address
from engine.net.netcode.addresses import normalize
from engine.net.tickets import TICKET_SECONDS, TIMEOUT_SECONDS
from game.lobby.backend import AllocatorError, NoRoom, Party, Placement

log = logging.getLogger(__name__)

SIDECAR_MODULE = "tools.agones_sidecar"
POLL_EVERY = 0.5  # seconds between looks at each server's sidecar and metrics
START_TIMEOUT = 30.0  # seconds a server (or its sidecar) has to say where it listens
STOP_TIMEOUT = 10.0  # seconds a server has to exit after SIGTERM (its drain promise)
HTTP_TIMEOUT = 1.0
RESERVATION_SECONDS = float(TICKET_SECONDS + TIMEOUT_SECONDS)
LIVED_LONG = 30.0  # a server that ran this long before exiting did not crash at start
BACKOFF_LONGEST = 30.0
RETIRED_KEPT = 64

_LISTENING = re.compile(r"listening on (\S+):(\d+)")
_METRICS = re.compile(r"metrics on http://(\S+)/metrics")


class StartError(Exception):
    """A server or its sidecar did not start (one line)."""


@dataclass(frozen=True, slots=True)
class FleetSettings:
    size: int
    key_file: str
    host: str = "127.0.0.1"  # where servers listen; what tickets name
    seats: int = 8
    spectators: int = 8
    server_args: tuple[str, ...] = ()  # more flags for every server
    launcher: tuple[str, ...] = ()  # a prefix for every command (ip netns exec NS)
    python: str = sys.executable
    poll_every: float = POLL_EVERY
    reservation_seconds: float = RESERVATION_SECONDS
    start_timeout: float = START_TIMEOUT
    stop_timeout: float = STOP_TIMEOUT

    @property
    def capacity(self) -> int:
        return self.seats + self.spectators

    @property
    def sidecar_host(self) -> str:
        """Where a sidecar listens: the server reaches it on localhost, the lobby on the
        server's host, so beyond the loopback it listens everywhere."""
        return self.host if self.host.startswith("127.") or self.host == "::1" else "0.0.0.0"


@dataclass(slots=True)
class LocalServer:
    """One server process (one generation of a slot) and what the lobby knows of it."""

    slot: int
    generation: int
    capacity: int
    seats: int
    address: Address | None = None
    sidecar_url: str = ""
    metrics_url: str = ""
    state: str = "Starting"  # then the sidecar's GameServer state: Ready, Allocated, Shutdown
    draining: bool = False  # its metrics say it stopped admitting (SIGTERM)
    stopping: str = ""  # why the fleet is stopping it ("" while it runs)
    players: list[str] = field(default_factory=list)  # what its sidecar tracks
    pending: list[tuple[str, float]] = field(default_factory=list)  # (name, until): sent
    placed: int = 0  # players the lobby sent here
    allocate_wanted: bool = False  # POST /allocate still to be taken by the sidecar
    pid: int | None = None
    exit_code: int | None = None
    ended: str = ""  # why it is gone
    figures: dict[str, float] = field(default_factory=dict)  # from its metrics
    lines: deque[str] = field(default_factory=lambda: deque(maxlen=20))  # its last log lines
    _procs: list[asyncio.subprocess.Process] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"server-{self.slot}.{self.generation}"

    @property
    def admitting(self) -> bool:
        return (
            self.address is not None
            and self.state in ("Ready", "Allocated")
            and not self.draining
            and not self.stopping
            and self.exit_code is None
        )

    def expire(self, now: float) -> None:
        self.pending = [(name, until) for name, until in self.pending if until > now]

    def occupied(self, now: float) -> int:
        self.expire(now)
        return len(self.players) + len(self.pending)

    def room(self, now: float) -> int:
        return max(0, self.capacity - self.occupied(now))

    def free_seats(self, now: float) -> int:
        return max(0, self.seats - self.occupied(now))

    def arrived(self, players: Sequence[str]) -> None:
        """The sidecar's players now: each newcomer takes up one pending place (its own
        name's, else the oldest: the server may have numbered a name taken twice)."""
        new = [p for p in players if p not in self.players]
        self.players = list(players)
        for player in new:
            if not self.pending:
                break
            names = [name for name, _ in self.pending]
            base = player.rsplit(" ", 1)[0] if player.rsplit(" ", 1)[-1].isdigit() else player
            index = names.index(player) if player in names else None
            if index is None and base in names:
                index = names.index(base)
            self.pending.pop(0 if index is None else index)

    def to_json(self, now: float) -> dict[str, Any]:
        host, port = self.address if self.address else ("", 0)
        return {
            "id": self.id,
            "slot": self.slot,
            "generation": self.generation,
            "state": self.state,
            "draining": self.draining,
            "stopping": self.stopping,
            "address": f"{host}:{port}" if self.address else None,
            "players": len(self.players),
            "pending": len(self.pending),
            "capacity": self.capacity,
            "room": self.room(now) if self.admitting else 0,
            "placed": self.placed,
            "pid": self.pid,
            "metrics_url": self.metrics_url,
            "sidecar_url": self.sidecar_url,
            "figures": dict(self.figures),
            "exit_code": self.exit_code,
            "ended": self.ended,
        }


class LocalFleet:
    """The local backend (an `Allocator`): `size` servers kept running on this machine."""

    name = "local"

    def __init__(self, settings: FleetSettings) -> None:
        if settings.size < 1:
            raise ValueError("a local fleet needs at least one server")
        self.settings = settings
        self.current: dict[int, LocalServer] = {}
        self.retired: deque[LocalServer] = deque(maxlen=RETIRED_KEPT)
        self.replaced = 0  # servers started in place of one that exited
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = asyncio.Event()
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- the Allocator interface -------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        if not os.path.isfile(self.settings.key_file):
            raise AllocatorError(f"{self.settings.key_file}: no such key file")
        for slot in range(1, self.settings.size + 1):
            self._tasks.append(asyncio.create_task(self._run_slot(slot), name=f"slot {slot}"))
        log.info(
            "local fleet: %d server(s) on %s, %d seats + %d spectators each",
            self.settings.size,
            self.settings.host,
            self.settings.seats,
            self.settings.spectators,
        )

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def allocate(self, party: Party) -> Placement:
        now = self.now()
        server = self.choose(party.size, now)
        if server is None:
            starting = sum(1 for s in self.current.values() if s.state == "Starting")
            more = f" ({starting} starting)" if starting else ""
            raise NoRoom(f"no server has room for a party of {party.size} now{more}")
        until = now + self.settings.reservation_seconds
        server.pending += [(name, until) for name in party.players]
        server.placed += party.size
        if server.state == "Ready":
            server.state = "Allocated"  # as Agones does at once; its sidecar is told next
            server.allocate_wanted = True
            asyncio.create_task(self._allocate_in_sidecar(server))
        assert server.address is not None
        return Placement(server.id, (server.address,), {"slot": server.slot})

    def choose(self, size: int, now: float) -> LocalServer | None:
        """The server a party of `size` goes to, or None (no lock needed: nothing awaits
        between this choice and the room being taken)."""
        open_ = [s for s in self.current.values() if s.admitting and s.room(now) >= size]
        seated = [s for s in open_ if s.state == "Allocated" and s.free_seats(now) >= size]
        if seated:
            return min(seated, key=lambda s: (s.free_seats(now), s.slot))
        ready = [s for s in open_ if s.state == "Ready"]
        if ready:
            return min(ready, key=lambda s: s.slot)
        if open_:
            return min(open_, key=lambda s: (s.room(now), s.slot))
        return None

    def servers(self) -> list[dict[str, Any]]:
        now = self.now()
        return [self.current[slot].to_json(now) for slot in sorted(self.current)]

    def retired_servers(self) -> list[dict[str, Any]]:
        now = self.now()
        return [server.to_json(now) for server in self.retired]

    async def close(self) -> None:
        self._closing.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, self.settings.stop_timeout + 2)
        for task in self._tasks:
            task.cancel()
        if self._http is not None:
            await self._http.aclose()

    # -- one slot -------------------------------------------------------------------------

    async def _run_slot(self, slot: int) -> None:
        generation, failures = 0, 0
        while not self._closing.is_set():
            generation += 1
            s = self.settings
            server = LocalServer(slot, generation, capacity=s.capacity, seats=s.seats)
            if slot in self.current:
                self.replaced += 1
            self.current[slot] = server
            started = self.now()
            try:
                await self._start(server)
                await self._watch(server)
            except StartError as error:
                server.ended = str(error)
                log.warning("%s did not start: %s", server.id, error)
            except Exception as error:  # a slot must outlive any surprise
                server.ended = f"the fleet failed watching it: {error}"
                log.exception("%s: watching it failed", server.id)
            finally:
                await self._stop(server, "the fleet is stopping")
            self.retired.append(server)
            if self._closing.is_set():
                break
            lived = self.now() - started
            failures = 0 if lived >= LIVED_LONG or server.stopping else failures + 1
            pause = min(BACKOFF_LONGEST, 0.5 * 2 ** (failures - 1)) if failures else 0.0
            log.info("%s ended (%s); starting its replacement", server.id, server.ended)
            if pause:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), pause)

    async def _start(self, server: LocalServer) -> None:
        s = self.settings
        sidecar = await self._spawn(
            server,
            [*s.launcher, s.python, "-m", SIDECAR_MODULE, "--host", s.sidecar_host, "--port", "0"],
            env={},
        )
        assert sidecar.stdout is not None
        found = await self._first_line(sidecar.stdout, _LISTENING, "its Agones sidecar stand-in")
        sidecar_port = int(found.group(2))
        server.sidecar_url = f"http://{_netloc(s.host, sidecar_port)}"
        asyncio.create_task(self._drain(sidecar.stdout, server, echo=False))
        command = [
            *s.launcher,
            s.python,
            "-m",
            "game.server",
            "--host",
            s.host,
            "--port",
            "0",
            "--key-file",
            s.key_file,
            "--max-players",
            str(s.seats),
            "--spectators",
            str(s.spectators),
            "--agones",
            "--metrics-port",
            "0",
            "--log-format",
            "json",
            *s.server_args,
        ]
        env = {"AGONES_SDK_HTTP_PORT": str(sidecar_port)}
        process = await self._spawn(server, command, env=env)
        server.pid = process.pid
        assert process.stderr is not None and process.stdout is not None
        asyncio.create_task(self._drain(process.stdout, server, echo=False))
        found = await self._first_line(process.stderr, _LISTENING, "the server", server)
        host, port = found.group(1), int(found.group(2))
        server.address = normalize((host if host not in ("0.0.0.0", "::") else s.host, port))
        metrics = await self._first_line(process.stderr, _METRICS, "the server's metrics", server)
        mhost, _, mport = metrics.group(1).rpartition(":")
        server.metrics_url = f"http://{_netloc(mhost.strip('[]'), int(mport))}/metrics"
        asyncio.create_task(self._drain(process.stderr, server, echo=True))
        log.info("%s listening on %s (pid %d)", server.id, _show(server.address), process.pid)

    async def _spawn(
        self, server: LocalServer, command: list[str], env: dict[str, str]
    ) -> asyncio.subprocess.Process:
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE if "game.server" in command else None,
                env={**os.environ, **env},
                start_new_session=True,  # the lobby stops it; a terminal's Ctrl-C does not
            )
        except OSError as error:
            raise StartError(f"cannot run {command[0]}: {error.strerror or error}") from None
        server._procs.append(process)
        return process

    async def _first_line(
        self,
        stream: asyncio.StreamReader,
        pattern: re.Pattern[str],
        what: str,
        server: LocalServer | None = None,
    ) -> re.Match[str]:
        """Read `stream` until a line matches `pattern` (bounded by the start timeout)."""
        try:
            async with asyncio.timeout(self.settings.start_timeout):
                while True:
                    raw = await stream.readline()
                    if not raw:
                        last = f": {server.lines[-1]}" if server and server.lines else ""
                        raise StartError(f"{what} exited before saying where it listens{last}")
                    text = _message(raw)
                    if server is not None:
                        server.lines.append(text)
                    found = pattern.search(text)
                    if found:
                        return found
        except TimeoutError:
            raise StartError(
                f"{what} did not say where it listens in {self.settings.start_timeout:g} s"
            ) from None

    async def _drain(self, stream: asyncio.StreamReader, server: LocalServer, echo: bool) -> None:
        """Keep reading a child's output (a full pipe would stop it); warnings and errors
        go to the lobby's log, naming the server."""
        with contextlib.suppress(Exception):
            while raw := await stream.readline():
                if not echo:
                    continue
                text = _message(raw)
                server.lines.append(text)
                level = _level(raw)
                if level >= logging.WARNING:
                    log.log(level, "%s: %s", server.id, text)

    async def _watch(self, server: LocalServer) -> None:
        """Until the server exits: its state, every `poll_every` seconds."""
        process = server._procs[-1]
        exited = asyncio.create_task(process.wait())
        while True:
            done, _ = await asyncio.wait({exited}, timeout=self.settings.poll_every)
            if done:
                server.exit_code = process.returncode
                if not server.ended:
                    why = server.stopping or f"exited with status {process.returncode}"
                    server.ended = why
                return
            if self._closing.is_set():
                return
            await self._poll(server)
            if server.state == "Shutdown" and not server.stopping:
                server.stopping = "its match ended and everyone left (Shutdown)"
                log.info("%s asked for Shutdown: stopping it", server.id)
                _signal(process, signal.SIGTERM)
                asyncio.create_task(self._kill_later(process, server))

    async def _poll(self, server: LocalServer) -> None:
        assert self._http is not None
        gameserver, metrics = await asyncio.gather(
            self._get(server.sidecar_url + "/gameserver"),
            self._get(server.metrics_url),
        )
        if isinstance(gameserver, httpx.Response) and gameserver.status_code == 200:
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                status = gameserver.json()["status"]
                state = str(status["state"])
                if not (server.allocate_wanted and state == "Ready"):
                    server.state = state
                server.arrived([str(p) for p in status.get("players", {}).get("ids", [])])
        if isinstance(metrics, httpx.Response) and metrics.status_code == 200:
            figures = _figures(metrics.text)
            server.figures = figures
            server.draining = figures.get("cloudbreak_draining", 0.0) >= 1
        if server.allocate_wanted:
            await self._allocate_in_sidecar(server)

    async def _get(self, url: str) -> httpx.Response | None:
        assert self._http is not None
        try:
            return await self._http.get(url)
        except httpx.HTTPError:
            return None

    async def _allocate_in_sidecar(self, server: LocalServer) -> None:
        """Tell the sidecar the server is allocated (the SDK's POST /allocate), as
        Agones' allocation would; tried again at every poll until it is taken."""
        if not server.allocate_wanted or self._http is None:
            return
        try:
            answer = await self._http.post(server.sidecar_url + "/allocate", json={})
        except httpx.HTTPError:
            return
        if answer.status_code == 200:
            server.allocate_wanted = False

    async def _kill_later(self, process: asyncio.subprocess.Process, server: LocalServer) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), self.settings.stop_timeout)
            return
        log.warning("%s still running %g s after SIGTERM: killing it", server.id, STOP_TIMEOUT)
        _signal(process, signal.SIGKILL)

    async def _stop(self, server: LocalServer, why: str) -> None:
        """Stop what is left of this generation: the server with SIGTERM (its drain), then
        SIGKILL after the stop timeout; the sidecar last."""
        for process in reversed(server._procs):  # the server first, then its sidecar
            if process.returncode is not None:
                continue
            if not server.stopping:
                server.stopping = why
            _signal(process, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), self.settings.stop_timeout)
            except TimeoutError:
                _signal(process, signal.SIGKILL)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 2.0)
        if server.exit_code is None and server._procs:
            server.exit_code = server._procs[-1].returncode
        server.ended = server.ended or server.stopping or "stopped"


def _signal(process: asyncio.subprocess.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signum)


def _message(raw: bytes) -> str:
    """A child's log line as text: a JSON line's message, else the line."""
    text = raw.decode("utf-8", "replace").rstrip()
    if text.startswith("{"):
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            return str(json.loads(text)["message"])
    return text


def _level(raw: bytes) -> int:
    text = raw.decode("utf-8", "replace")
    if text.startswith("{"):
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            return int(logging.getLevelName(str(json.loads(text)["level"])))
    for name in ("CRITICAL", "ERROR", "WARNING"):
        if f" {name} " in text:
            return int(logging.getLevelName(name))
    return logging.INFO


def _figures(text: str) -> dict[str, float]:
    """The unlabelled gauges of a server's metrics page (players, seats, draining, ...)."""
    found: dict[str, float] = {}
    with contextlib.suppress(ValueError):
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                name = sample.name
                if name.endswith(("_created", "_sum", "_count")) or sample.labels:
                    continue
                if name.startswith("cloudbreak_"):
                    found[name] = float(sample.value)
    return found


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _show(address: Address | None) -> str:
    return _netloc(*address) if address else "-"
