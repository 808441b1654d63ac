"""The lobby's HTTP service: FastAPI (on Starlette), served by uvicorn.

    POST /v1/match      {"players": ["ada", "bob"]} -> a server for the whole party and one
                        connect token per player, valid for 30 s (TICKET_SECONDS)
    GET  /v1/servers    what the backend knows of its servers
    GET  /healthz       {"status": "ok"} (liveness and readiness)
    GET  /metrics       Prometheus metrics (game.lobby.metrics)
    GET  /openapi.json  the OpenAPI description of all of the above

Every answer is JSON; every error is `{"error": "<one line>"}` with its status: 400 a
request the lobby cannot take (what is wrong, where), 404/405 no such path or method, 413 a
body over 4 KiB, 429 too many requests from one address (with Retry-After), 503 no server
has room now (with Retry-After), 502 the allocation backend failed, 504 it did not answer
in time, 500 anything else (logged with its traceback; the lobby keeps serving).

Match requests are limited per client address (a moving window, `limits`): by default 5 a
second and 60 a minute. Behind a proxy or a load balancer, tell uvicorn which proxies to
believe (`--forwarded-allow-ips`) so the limit applies to players, not to the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.net.handshake import name_problem
from engine.net.netcode import Address
from engine.net.tickets import TICKET_SECONDS, TicketError, encode_token, issue_ticket
from game.lobby.backend import MAX_PARTY, Allocator, AllocatorError, NoRoom, Party
from game.lobby.metrics import LobbyMetrics
from game.net.protocol import GAME

log = logging.getLogger(__name__)

DEFAULT_RATE = "5/second;60/minute"
ALLOCATE_TIMEOUT = 10.0  # seconds the lobby waits for the backend
MAX_BODY = 4096
NO_ROOM_RETRY = 2  # seconds a player is told to wait before asking again


# -- what goes over the wire -----------------------------------------------------------------


class MatchRequest(BaseModel):
    """Players who want to play together, on one server."""

    model_config = ConfigDict(extra="forbid")
    players: list[str] = Field(
        min_length=1,
        max_length=MAX_PARTY,
        description=f"the party's player names, 1 to {MAX_PARTY}, each 1..32 bytes of UTF-8 "
        "without control characters or surrounding spaces, no name twice",
        examples=[["ada"], ["ada", "bob"]],
    )


class Ticket(BaseModel):
    player: str = Field(description="the name the ticket was issued to")
    token: str = Field(description="the 2,048-byte netcode connect token in base64 (PROTOCOL 2.1)")


class Match(BaseModel):
    server: str = Field(description="the server's id (for people and logs)")
    addresses: list[str] = Field(description="the addresses the tickets name, tried in order")
    expires_in: int = Field(description="seconds the tickets may wait before they are used")
    tickets: list[Ticket] = Field(description="one per player, in the order asked")


class ErrorAnswer(BaseModel):
    error: str = Field(description="what went wrong, in one line")


class Health(BaseModel):
    status: str
    backend: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorAnswer, "description": text}
    for code, text in (
        (400, "the request is malformed: the error says what and where"),
        (413, "the body is over 4 KiB"),
        (429, "too many requests from this address: wait Retry-After seconds"),
        (502, "the allocation backend failed"),
        (503, "no server has room for the party now: ask again after Retry-After seconds"),
        (504, "the allocation backend did not answer in time"),
    )
}


def _error(status: int, text: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status, headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if part in ("body", "query", "path"):
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "the body"


# -- rate limits --------------------------------------------------------------------------


class RateLimit:
    """Moving-window limits per client address (`limits`, in memory)."""

    def __init__(self, spec: str = DEFAULT_RATE) -> None:
        try:
            self.items: list[RateLimitItem] = parse_many(spec)
        except ValueError:
            raise ValueError(
                f"bad rate limit {spec!r} (expected e.g. '5/second;60/minute')"
            ) from None
        self.spec = spec
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, who: str) -> float | None:
        """Count a request from `who`: None if it may go on, else the seconds to wait."""
        for item in self.items:
            if not self._limiter.hit(item, who):
                reset = self._limiter.get_window_stats(item, who).reset_time
                return max(1.0, reset - time.time())
        return None


# -- the service ---------------------------------------------------------------------------


class _BodyLimit:
    """Refuse a request body over `limit` bytes (413) before anything reads it whole."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _error(413, f"the body is over {self.limit} bytes")(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _error(413, f"the body is over {self.limit} bytes")(scope, receive, send)


class _TooLarge(Exception):
    pass


@dataclass
class Lobby:
    """The lobby: an allocation backend, the key tickets are made with, limits, metrics."""

    allocator: Allocator
    key: bytes
    rate: RateLimit
    metrics: LobbyMetrics
    expire_seconds: int = TICKET_SECONDS
    allocate_timeout: float = ALLOCATE_TIMEOUT
    unix_time: Callable[[], float] = time.time

    def app(self) -> FastAPI:
        app = FastAPI(
            title="Cloudbreak lobby",
            version="1",
            summary="Places players, alone or in parties, on a game server with room and "
            "hands each a connect token for it.",
            docs_url=None,  # the description is at /openapi.json; no pages that load scripts
            redoc_url=None,
        )
        app.add_middleware(_BodyLimit)
        self._routes(app)
        self._handlers(app)
        return app

    def _routes(self, app: FastAPI) -> None:
        @app.post(
            "/v1/match",
            response_model=Match,
            responses=ERRORS,
            summary="A server and tickets for a party",
        )
        async def match(body: MatchRequest, request: Request) -> Any:
            """Find a server with room for the whole party and hand each player a connect
            token for it (valid `expires_in` seconds: connect at once)."""
            return await self.match(body, request)

        @app.get("/v1/servers", summary="The backend's servers")
        async def servers(request: Request) -> Any:
            limited = self._limited(request)
            if limited is not None:
                return limited
            answer: dict[str, Any] = {
                "backend": self.allocator.name,
                "servers": self.allocator.servers(),
            }
            retired = getattr(self.allocator, "retired_servers", None)
            if retired is not None:
                answer["retired"] = retired()
                answer["replaced"] = getattr(self.allocator, "replaced", 0)
            return answer

        @app.get("/healthz", summary="Liveness and readiness")
        async def health() -> Health:
            return Health(status="ok", backend=self.allocator.name)

        @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
        async def metrics() -> Response:
            return Response(self.metrics.page(), media_type="text/plain; version=0.0.4")

    def _handlers(self, app: FastAPI) -> None:
        @app.exception_handler(RequestValidationError)
        async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
            self.metrics.requests.labels("invalid").inc()
            problems = error.errors()
            first = problems[0] if problems else {}
            if first.get("type") == "json_invalid":
                return _error(400, "the body is not JSON")
            if tuple(first.get("loc", ())) == ("body",):
                return _error(
                    400,
                    'the body must be a JSON object such as {"players": ["ada"]}, sent with '
                    "Content-Type: application/json",
                )
            where = _where(tuple(first.get("loc", ())))
            text = str(first.get("msg", "invalid")).removeprefix("Value error, ")
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            return _error(400, f"{where}: {text}{more}")

        @app.exception_handler(StarletteHTTPException)
        async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
            if error.status_code == 404:
                return _error(404, f"no such path {request.url.path!r}; see /openapi.json")
            if error.status_code == 405:
                return _error(405, f"{request.method} is not served at {request.url.path}")
            return _error(error.status_code, str(error.detail))

        @app.exception_handler(Exception)
        async def crashed(request: Request, error: Exception) -> JSONResponse:
            log.exception("%s %s failed", request.method, request.url.path)
            return _error(500, "the lobby failed answering this request; it has been logged")

    def _limited(self, request: Request) -> JSONResponse | None:
        who = request.client.host if request.client else "unknown"
        wait = self.rate.hit(who)
        if wait is None:
            return None
        self.metrics.requests.labels("rate_limited").inc()
        seconds = int(wait + 0.999)
        return _error(
            429,
            f"too many requests from {who} (limit {self.rate.spec}); try again in {seconds} s",
            {"Retry-After": str(seconds)},
        )

    async def match(self, body: MatchRequest, request: Request) -> Match | JSONResponse:
        started = time.perf_counter()
        try:
            return await self._match(body, request)
        finally:
            self.metrics.request_seconds.observe(time.perf_counter() - started)

    async def _match(self, body: MatchRequest, request: Request) -> Match | JSONResponse:
        limited = self._limited(request)
        if limited is not None:
            return limited
        for index, name in enumerate(body.players):
            problem = name_problem(name)
            if problem:
                self.metrics.requests.labels("invalid").inc()
                return _error(400, f"players[{index}]: {problem}")
        folded = [name.casefold() for name in body.players]
        if len(set(folded)) != len(folded):
            self.metrics.requests.labels("invalid").inc()
            return _error(400, "players: a party names each player once")
        party = Party(tuple(body.players))
        started = time.perf_counter()
        try:
            placement = await asyncio.wait_for(
                self.allocator.allocate(party), self.allocate_timeout
            )
        except NoRoom as error:
            return self._failed("no_room", 503, str(error), retry=NO_ROOM_RETRY)
        except AllocatorError as error:
            return self._failed("backend_error", 502, str(error))
        except TimeoutError:
            seconds = f"{self.allocate_timeout:g} s"
            text = f"the {self.allocator.name} backend did not answer in {seconds}"
            return self._failed("timeout", 504, text)
        finally:
            self.metrics.allocation_seconds.observe(time.perf_counter() - started)
        try:
            tickets = self.tickets(party, placement.addresses)
        except TicketError as error:  # an address a token cannot hold
            log.error("cannot make tickets for %s: %s", placement.server, error)
            return self._failed("backend_error", 502, f"cannot make tickets: {error}")
        self.metrics.requests.labels("placed").inc()
        self.metrics.placements.inc()
        self.metrics.players.inc(party.size)
        log.info(
            "placed %s on %s",
            ", ".join(party.players),
            placement.server,
            extra={"server": placement.server, "party": list(party.players)},
        )
        return Match(
            server=placement.server,
            addresses=[_show(a) for a in placement.addresses],
            expires_in=self.expire_seconds,
            tickets=tickets,
        )

    def _failed(self, reason: str, status: int, text: str, retry: int = 0) -> JSONResponse:
        outcome = "no_room" if reason == "no_room" else "backend_error"
        self.metrics.requests.labels(outcome).inc()
        self.metrics.failures.labels(reason).inc()
        if reason != "no_room":
            log.warning("allocation failed: %s", text)
        return _error(status, text, {"Retry-After": str(retry)} if retry else None)

    def tickets(self, party: Party, addresses: tuple[Address, ...]) -> list[Ticket]:
        """One connect token per player for `addresses` (TicketError if one cannot be made)."""
        now = self.unix_time()
        return [
            Ticket(
                player=name,
                token=encode_token(
                    issue_ticket(
                        key=self.key,
                        game=GAME,
                        servers=addresses[:32],
                        name=name,
                        now_unix=now,
                        expire_seconds=self.expire_seconds,
                    )
                ),
            )
            for name in party.players
        ]


def _show(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- serving -------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn's server, but a signal only asks it to stop: it is not raised again once it
    has (uvicorn's default), so the lobby closes its backend and exits 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        import signal

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self.handle_exit, signum, None)
        try:
            yield
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)


def bind(host: str, port: int) -> socket.socket:
    """The lobby's listening socket (OSError if it cannot be had)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def serve(
    lobby: Lobby,
    sock: socket.socket,
    *,
    forwarded_allow_ips: str | None = None,
    max_connections: int | None = 1000,
    ready: Callable[[uvicorn.Server], Awaitable[None] | None] | None = None,
) -> None:
    """Start the backend, serve on `sock` until told to stop (a signal, or
    `server.should_exit`), close the backend. AllocatorError if the backend cannot start."""
    await lobby.allocator.start()
    config = uvicorn.Config(
        lobby.app(),
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        limit_concurrency=max_connections,
        timeout_keep_alive=5,
        server_header=False,
    )
    server = _Server(config)
    try:
        if ready is not None:
            result = ready(server)
            if result is not None:
                await result
        await server.serve(sockets=[sock])
    finally:
        await lobby.allocator.close()
