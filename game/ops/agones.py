"""The server's side of the Agones contract, over the SDK sidecar's HTTP (REST) API.

Followed: **Agones v1.56.0**, "REST Game Server Client API"
(site/content/en/docs/Guides/Client SDKs/rest.md and proto/sdk/sdk.proto, alpha/alpha.proto
of that release). The sidecar listens on localhost, port `AGONES_SDK_HTTP_PORT` (9358 when
unset). Every call is JSON over HTTP/1.1:

    POST /ready                    {}                      once listening (retried until it is)
    POST /health                   {}                      every 2 s, from the game loop
    GET  /gameserver                                        every 2 s until status.state is
                                                            "Allocated" (the allocation)
    PUT  /metadata/label           {"key", "value"}        "mission" and "players" (Agones
                                                            stores them as agones.dev/sdk-KEY)
    PUT  /alpha/player/capacity    {"count": N}            once: the server's connections
    POST /alpha/player/connect     {"playerID": NAME}      a player joined
    POST /alpha/player/disconnect  {"playerID": NAME}      a player left for good
    POST /v1beta1/lists/players:removeValue  {"value": NAME}
                                                            the same player leaves the
                                                            Fleet's `players` List, where
                                                            the lobby's allocation put them
    POST /v1beta1/lists/players:addValue     {"value": NAME}
                                                            (only to undo a removal that
                                                            crossed the player's return)
    POST /shutdown                 {}                      the allocated match is over

Two halves. `AgonesContract` is sans-I/O: it is told the time and the server's state
(`ServerState`) and returns the `Call`s due, and is told each `Answer`; a test drives it on
a manual clock. `SidecarClient` carries the calls on one worker thread with a bounded
queue, so a sidecar that is slow, refuses or never answers costs the loop nothing, and
`AgonesLink` joins the two, logging failures at most once per `LOG_EVERY` seconds per kind.

Health is a call the loop makes: `AgonesLink.tend` runs in the loop between steps, and only
there are health calls queued, so a loop that stalls stops them and Agones marks the server
Unhealthy (a fleet then replaces it). The allocation is read by polling GET /gameserver
(documented; the streaming /watch/gameserver would need a connection held open on the
worker for a fact that changes once). Player tracking is alpha in Agones (the
PlayerTracking feature gate): where it is off, the capacity call fails and is retried at
the longest backoff, logged as such, and players are still counted in the "players" label.

The `players` List (Counters and Lists, beta in 1.56.0) is another record: the lobby's
GameServerAllocation adds a party's names to it (`addValues`) and Agones allocates a server
only while the List has room for the party. The server takes a name out when that player
leaves for good, so a match that loses players takes new ones. A name the List does not
hold, or a List the Fleet does not declare, answers 404 NOT_FOUND: nothing to remove, so
that is done too. Any other failure is retried (1, 2, 4, 8, 16 s later), then given up and
logged: a Fleet where Lists are off must not collect retries for every player who left.

"The match has ended and every player has left": a mission restarts by itself, so a match
ends when its players go. Once allocated and played on (a player present while allocated),
the server asks for Shutdown when nobody is left, not even a player who may resume a lost
connection; one allocated that nobody joins in `UNCLAIMED_SECONDS` asks too (the tickets
the lobby handed out for it have long expired). It keeps serving until Agones sends
SIGTERM (the drain), as the SDK guide asks: exiting on its own after Shutdown could make
Kubernetes restart the container.
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

AGONES_VERSION = "1.56.0"
PORT_VARIABLE = "AGONES_SDK_HTTP_PORT"
DEFAULT_PORT = 9358
HEALTH_EVERY = 2.0  # seconds between health pings (Agones' default period is 5 s)
POLL_EVERY = 2.0  # seconds between GET /gameserver while waiting to be allocated
LABEL_EVERY = 1.0  # at most one update of a label a second (joins come in bursts)
RETRY_FIRST = 1.0  # a failed call is tried again after this, doubling up to RETRY_LONGEST
RETRY_LONGEST = 30.0
UNCLAIMED_SECONDS = 60.0  # allocated, and nobody came: the match is over before it began
LOG_EVERY = 30.0  # a kind of failure is logged at most this often
TIMEOUT = 2.0  # seconds the worker waits for the sidecar to answer one call
QUEUE_SIZE = 64

LABEL_MISSION = "mission"
LABEL_PLAYERS = "players"
PLAYERS_LIST = "players"  # the Fleet's List (deploy/fleet.yaml) the lobby allocates against
LIST_KINDS = ("unlist", "relist")  # calls on that List: given up after LIST_GIVE_UP
LIST_GIVE_UP = RETRY_LONGEST  # a List call whose retry would wait this long is dropped


def sidecar_port(environ: Mapping[str, str] = os.environ) -> int:
    """The SDK server's HTTP port: `AGONES_SDK_HTTP_PORT`, or 9358. ValueError, with a
    one-line reason, if the variable is not a port number."""
    text = environ.get(PORT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_PORT
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"{PORT_VARIABLE} must be a port number 1..65535, got {text!r}")
    return int(text)


@dataclass(frozen=True, slots=True)
class Call:
    """One request to the sidecar. `kind` names it for logs and answers ("ready",
    "health", "label", "connect", ...); `subject` is the label key or player it is about."""

    kind: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    subject: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """How a call went: an HTTP status and its JSON body, or no answer (`error` says why)."""

    call: Call
    status: int | None = None
    body: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def why(self) -> str:
        if self.status is None:
            return self.error or "no answer"
        body = self.body if isinstance(self.body, dict) else {}
        text = body.get("error") or body.get("message")
        return f"HTTP {self.status}" + (f": {text}" if text else "")


@dataclass(frozen=True, slots=True)
class ServerState:
    """What the contract needs to know of the server, read in the loop."""

    players: frozenset[str]  # connected (seated or watching) or away and able to resume
    mission: int  # missions begun (0 before the first)


@dataclass(slots=True)
class _Retry:
    """When a failing call may go again, doubling its wait each time."""

    wait: float = 0.0
    at: float = 0.0

    def failed(self, now: float, longest: float = RETRY_LONGEST) -> None:
        self.wait = min(longest, self.wait * 2 if self.wait else RETRY_FIRST)
        self.at = now + self.wait

    def due(self, now: float) -> bool:
        return now >= self.at


@dataclass
class AgonesContract:
    """Decides which sidecar calls are due (sans-I/O: no sockets, no clock of its own)."""

    capacity: int  # connections this server holds (seats and spectators)
    health_every: float = HEALTH_EVERY
    poll_every: float = POLL_EVERY
    label_every: float = LABEL_EVERY
    unclaimed_seconds: float = UNCLAIMED_SECONDS
    listening: bool = False  # Ready is wanted
    ready: bool = False  # the sidecar took Ready
    state: str = ""  # status.state the last GET /gameserver said
    allocated_at: float | None = None
    played: bool = False  # a player was here while allocated
    shutdown_sent: bool = False  # the sidecar took Shutdown
    capacity_set: bool = False
    players: set[str] = field(default_factory=set)  # the sidecar holds these as connected
    players_list: str = PLAYERS_LIST
    _unlist: set[str] = field(default_factory=set)  # left for good; still to leave the List
    _relist: set[str] = field(default_factory=set)  # came back while leaving it: put back
    _present: frozenset[str] = frozenset()  # the players at the last update
    labels: dict[str, str] = field(default_factory=dict)  # the sidecar holds these
    _in_flight: set[tuple[str, str]] = field(default_factory=set)
    _retries: dict[tuple[str, str], _Retry] = field(default_factory=dict)
    _next_health: float | None = None
    _next_poll: float = 0.0
    _label_sent: dict[str, float] = field(default_factory=dict)
    _want_shutdown: bool = False

    @property
    def allocated(self) -> bool:
        return self.allocated_at is not None

    def start(self, now: float) -> None:
        """The server listens: from now on, Ready until taken, and health."""
        self.listening = True
        if self._next_health is None:
            self._next_health = now

    def request_shutdown(self) -> None:
        """Ask for Shutdown whatever the match (the server is draining: the sidecar can
        stop waiting for one)."""
        self._want_shutdown = True

    def update(self, now: float, server: ServerState) -> list[Call]:
        """The calls due now. Call it from the game loop, often (each loop turn is fine)."""
        if not self.listening:
            return []
        calls: list[Call] = []
        if self._next_health is not None and now >= self._next_health:
            calls.append(Call("health", "POST", "/health", {}))
            # Keep the beat when a turn is a little late; after a stall, count from now.
            self._next_health += self.health_every
            if self._next_health <= now:
                self._next_health = now + self.health_every
        if not self.ready:
            self._due(calls, now, Call("ready", "POST", "/ready", {}))
        elif (
            not self.allocated
            and now >= self._next_poll
            and self._due(calls, now, Call("gameserver", "GET", "/gameserver"))
        ):
            self._next_poll = now + self.poll_every
        if not self.capacity_set:
            capacity = Call("capacity", "PUT", "/alpha/player/capacity", {"count": self.capacity})
            self._due(calls, now, capacity)
        else:
            self._track_players(calls, now, server.players)
        self._track_list(calls, now, server.players)
        self._label(calls, now, LABEL_MISSION, str(server.mission))
        self._label(calls, now, LABEL_PLAYERS, str(len(server.players)))
        if self.allocated and server.players:
            self.played = True
        if not self.shutdown_sent and self._match_over(now, server):
            self._due(calls, now, Call("shutdown", "POST", "/shutdown", {}))
        return calls

    def _match_over(self, now: float, server: ServerState) -> bool:
        if self._want_shutdown:
            return True
        if self.allocated_at is None or server.players:
            return False
        return self.played or now - self.allocated_at >= self.unclaimed_seconds

    def _track_players(self, calls: list[Call], now: float, present: frozenset[str]) -> None:
        for name in sorted(self.players - present):
            path = "/alpha/player/disconnect"
            self._due(calls, now, Call("disconnect", "POST", path, {"playerID": name}, name))
        for name in sorted(present - self.players):
            path = "/alpha/player/connect"
            self._due(calls, now, Call("connect", "POST", path, {"playerID": name}, name))

    def _track_list(self, calls: list[Call], now: float, present: frozenset[str]) -> None:
        """Whoever left for good leaves the `players` List (independent of the alpha player
        tracking above: Lists are beta, and on where PlayerTracking may be off)."""
        self._unlist |= self._present - present
        self._unlist -= present  # back before the removal went: still in the List
        self._relist &= present
        self._present = present
        base = f"/v1beta1/lists/{self.players_list}"
        for name in sorted(self._unlist):
            body = {"value": name}
            self._due(calls, now, Call("unlist", "POST", f"{base}:removeValue", body, name))
        for name in sorted(self._relist):
            body = {"value": name}
            self._due(calls, now, Call("relist", "POST", f"{base}:addValue", body, name))

    @staticmethod
    def settles(answer: Answer) -> bool:
        """The call did what it was for: a 2xx, or for the List a NOT_FOUND on removal (the
        name or the List is not there) or an ALREADY_EXISTS on adding it back."""
        if answer.ok:
            return True
        kind = answer.call.kind
        return (kind == "unlist" and answer.status == 404) or (
            kind == "relist" and answer.status in (404, 409)
        )

    def _label(self, calls: list[Call], now: float, key: str, value: str) -> None:
        sent = self._label_sent.get(key)
        if self.labels.get(key) == value or (sent is not None and now < sent + self.label_every):
            return
        call = Call("label", "PUT", "/metadata/label", {"key": key, "value": value}, key)
        if self._due(calls, now, call):
            self._label_sent[key] = now

    def _due(self, calls: list[Call], now: float, call: Call) -> bool:
        """Add `call` unless the same is on its way or waits to be retried."""
        slot = (call.kind, call.subject)
        if slot in self._in_flight:
            return False
        retry = self._retries.get(slot)
        if retry is not None and not retry.due(now):
            return False
        self._in_flight.add(slot)
        calls.append(call)
        return True

    def answered(self, answer: Answer, now: float) -> None:
        """Take in how a call went (in the loop, from `SidecarClient.answers`)."""
        call = answer.call
        slot = (call.kind, call.subject)
        self._in_flight.discard(slot)
        if call.kind == "health":
            return  # a beat, not a state: the next goes on time whatever this one did
        if not self.settles(answer):
            retry = self._retries.setdefault(slot, _Retry())
            if call.kind in LIST_KINDS and retry.wait * 2 >= LIST_GIVE_UP:
                self._retries.pop(slot, None)
                (self._unlist if call.kind == "unlist" else self._relist).discard(call.subject)
                log.warning(
                    "Agones sidecar: gave up taking %r %s the %r List: %s",
                    call.subject,
                    "out of" if call.kind == "unlist" else "back into",
                    self.players_list,
                    answer.why(),
                )
                return
            retry.failed(now)
            if call.kind == "gameserver":
                self._next_poll = now + self.poll_every
            return
        self._retries.pop(slot, None)
        if call.kind == "ready":
            self.ready = True
        elif call.kind == "capacity":
            self.capacity_set = True
        elif call.kind == "gameserver":
            status = answer.body.get("status") if isinstance(answer.body, dict) else None
            self.state = str(status.get("state", "")) if isinstance(status, dict) else ""
            if self.state == "Allocated" and self.allocated_at is None:
                self.allocated_at = now
                log.info("allocated (Agones GameServer state Allocated)")
        elif call.kind == "label":
            assert call.body is not None
            self.labels[call.subject] = str(call.body["value"])
        elif call.kind == "connect":
            self.players.add(call.subject)  # {"bool": false}: it was already there
        elif call.kind == "disconnect":
            self.players.discard(call.subject)
        elif call.kind == "unlist":
            self._unlist.discard(call.subject)
            if answer.ok and call.subject in self._present:  # came back while it went
                self._relist.add(call.subject)
        elif call.kind == "relist":
            self._relist.discard(call.subject)
        elif call.kind == "shutdown":
            self.shutdown_sent = True
            log.info("asked Agones to shut this server down")


# -- the HTTP half ------------------------------------------------------------------------------


class SidecarClient:
    """Carries calls to the sidecar on one daemon thread, so the loop never waits on it.

    `submit` never blocks (False when `QUEUE_SIZE` calls are already waiting); `answers`
    hands back what came of them, in order. One HTTP/1.1 connection is kept open and
    opened again after any failure.
    """

    def __init__(
        self,
        port: int,
        *,
        host: str = "localhost",
        timeout: float = TIMEOUT,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._calls: queue.Queue[Call | None] = queue.Queue(queue_size)
        self._answers: collections.deque[Answer] = collections.deque()
        self._connection: http.client.HTTPConnection | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._work, name="agones sidecar", daemon=True)
        self._thread.start()

    def submit(self, call: Call) -> bool:
        try:
            self._idle.clear()
            self._calls.put_nowait(call)
        except queue.Full:
            return False
        return True

    def answers(self) -> list[Answer]:
        got = []
        while self._answers:
            got.append(self._answers.popleft())
        return got

    def flush(self, timeout: float) -> bool:
        """Wait up to `timeout` s for every submitted call to be carried; True if all were."""
        deadline = time.monotonic() + timeout
        while not (self._calls.empty() and self._idle.is_set()):
            left = deadline - time.monotonic()
            if left <= 0 or not self._thread.is_alive():
                return False
            self._idle.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 0.0) -> None:
        """Stop the worker after the calls already queued (waiting at most `timeout` s)."""
        self.flush(timeout)
        with contextlib.suppress(queue.Full):  # else the daemon worker ends with the process
            self._calls.put_nowait(None)
        self._thread.join(max(0.0, timeout))

    def _work(self) -> None:
        while True:
            try:
                call = self._calls.get(timeout=0.5)
            except queue.Empty:
                self._idle.set()
                continue
            if call is None:
                break
            self._answers.append(self._carry(call))
            if self._calls.empty():
                self._idle.set()
        self._idle.set()
        if self._connection is not None:
            self._connection.close()

    def _carry(self, call: Call) -> Answer:
        body = None if call.body is None else json.dumps(call.body).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (1, 2):  # a kept-alive connection the sidecar closed: try a new one
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    self.host, self.port, timeout=self.timeout
                )
            try:
                self._connection.request(call.method, call.path, body=body, headers=headers)
                response = self._connection.getresponse()
                raw = response.read(1 << 20)
            except (OSError, http.client.HTTPException) as error:
                self._connection.close()
                self._connection = None
                stale = isinstance(
                    error, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                )
                if attempt == 1 and stale:
                    continue
                return Answer(call, error=_describe(error))
            try:
                parsed: Any = json.loads(raw) if raw.strip() else {}
            except ValueError:
                parsed = {"error": raw[:200].decode("utf-8", "replace")}
            if response.will_close:
                self._connection.close()
                self._connection = None
            return Answer(call, response.status, parsed)
        raise AssertionError("unreachable")


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return str(text)


class FailureLog:
    """Logs a kind of failure once, then at most once per `every` seconds with how many
    there were in between, and says when it works again."""

    def __init__(self, every: float = LOG_EVERY, logger: logging.Logger = log) -> None:
        self.every = every
        self.log = logger
        self._failing: dict[str, tuple[float, int]] = {}  # kind -> (last logged, unlogged)

    def failed(self, kind: str, what: str, now: float) -> None:
        last = self._failing.get(kind)
        if last is None:
            self.log.warning("Agones sidecar: %s failed: %s; the server carries on", kind, what)
            self._failing[kind] = (now, 0)
        elif now - last[0] >= self.every:
            self.log.warning(
                "Agones sidecar: %s failed %d more times in %.0f s (last: %s)",
                kind,
                last[1] + 1,
                now - last[0],
                what,
            )
            self._failing[kind] = (now, 0)
        else:
            self._failing[kind] = (last[0], last[1] + 1)

    def succeeded(self, kind: str) -> None:
        if self._failing.pop(kind, None) is not None:
            self.log.info("Agones sidecar: %s works again", kind)


@dataclass(frozen=True, slots=True)
class AgonesSettings:
    port: int = DEFAULT_PORT
    host: str = "localhost"
    timeout: float = TIMEOUT


class AgonesLink:
    """The contract and the client together, tended from the server's loop."""

    def __init__(
        self,
        contract: AgonesContract,
        client: SidecarClient,
        *,
        failures: FailureLog | None = None,
    ) -> None:
        self.contract = contract
        self.client = client
        self.failures = failures or FailureLog()
        self.dropped_calls = 0  # calls the full queue refused

    @classmethod
    def start(
        cls, capacity: int, now: float, settings: AgonesSettings = AgonesSettings()
    ) -> AgonesLink:
        client = SidecarClient(settings.port, host=settings.host, timeout=settings.timeout)
        link = cls(AgonesContract(capacity), client)
        link.contract.start(now)
        log.info(
            "Agones: talking to the SDK sidecar at http://%s:%d (REST API of Agones %s)",
            settings.host,
            settings.port,
            AGONES_VERSION,
        )
        return link

    def tend(self, now: float, state: Callable[[], ServerState]) -> None:
        """Take in answers and send what is due: once per loop turn, from the loop."""
        contract = self.contract
        for answer in self.client.answers():
            if contract.settles(answer):
                self.failures.succeeded(answer.call.kind)
            else:
                self.failures.failed(answer.call.kind, answer.why(), now)
            contract.answered(answer, now)
        for call in contract.update(now, state()):
            if not self.client.submit(call):
                self.dropped_calls += 1
                contract.answered(Answer(call, error="too many calls waiting"), now)
                self.failures.failed(call.kind, "too many calls waiting", now)

    def close(self, *, timeout: float = 1.0) -> None:
        """The server is stopping: ask for Shutdown (so the sidecar stops waiting for it),
        wait up to `timeout` s for the calls queued to go, stop the worker."""
        self.contract.request_shutdown()
        if not self.contract.shutdown_sent:
            self.client.submit(Call("shutdown", "POST", "/shutdown", {}))
        self.client.close(timeout)
