"""The lobby in a background thread on 127.0.0.1 (port 0), with a backend a test controls."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.net.netcode import new_key
from game.lobby.api import Lobby, RateLimit, bind, serve
from game.lobby.backend import NoRoom, Party, Placement
from game.lobby.metrics import LobbyMetrics

WAIT = 10.0  # seconds any wait in these tests may take at most


class FakeBackend:
    """A backend a test drives: servers with room (id -> (address, room)); `answer` can be
    replaced to fail, hang or crash."""

    name = "fake"

    def __init__(self, servers: dict[str, tuple[tuple[str, int], int]] | None = None) -> None:
        self.rooms = dict(servers or {"s1": (("127.0.0.1", 5000), 16)})
        self.parties: list[tuple[str, Party]] = []
        self.answer: Callable[[Party], Any] | None = None
        self.started = self.closed = False

    async def start(self) -> None:
        self.started = True

    async def allocate(self, party: Party) -> Placement:
        if self.answer is not None:
            result = self.answer(party)
            if asyncio.iscoroutine(result):
                result = await result
            return result
        for server, (address, room) in self.rooms.items():
            if room >= party.size:
                self.rooms[server] = (address, room - party.size)
                self.parties.append((server, party))
                return Placement(server, (address,))
        raise NoRoom(f"no server has room for a party of {party.size}")

    def servers(self) -> list[dict[str, Any]]:
        return [{"id": s, "room": room} for s, (_, room) in self.rooms.items()]

    async def close(self) -> None:
        self.closed = True


class LobbyThread:
    """`serve` on its own event loop in a daemon thread; `url` once it listens."""

    def __init__(self, lobby: Lobby) -> None:
        self.lobby = lobby
        self.sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._server: Any = None
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="lobby", daemon=True)

    def _run(self) -> None:
        def ready(server: Any) -> None:
            self._server = server
            self._ready.set()

        try:
            asyncio.run(serve(self.lobby, self.sock, ready=ready))
        except BaseException as error:  # noqa: BLE001 - reported to the test
            self.error = error
            self._ready.set()

    def start(self) -> LobbyThread:
        self.thread.start()
        assert self._ready.wait(WAIT), "the lobby did not start"
        if self.error is not None:
            raise self.error
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self.thread.join(WAIT)
        self.sock.close()
        assert not self.thread.is_alive(), "the lobby did not stop"


def request(
    url: str, method: str = "GET", body: Any = None, raw: bytes | None = None, **headers: str
) -> tuple[int, dict[str, str], Any]:
    """(status, headers, JSON or text) of one HTTP exchange, errors included."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as answer:
            status, head, text = answer.status, _lower(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        status, head, text = error.code, _lower(error.headers), error.read()
    try:
        return status, head, json.loads(text)
    except ValueError:
        return status, head, text.decode()


def match(url: str, *players: str, **headers: str) -> tuple[int, dict[str, str], Any]:
    return request(url + "/v1/match", "POST", {"players": list(players)}, **headers)


@pytest.fixture
def key() -> bytes:
    return new_key()


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def make_lobby(key: bytes) -> Iterator[Callable[..., LobbyThread]]:
    running: list[LobbyThread] = []

    def make(backend: Any, *, rate: str = "100/second", **options: Any) -> LobbyThread:
        lobby = Lobby(
            allocator=backend, key=key, rate=RateLimit(rate), metrics=LobbyMetrics(), **options
        )
        thread = LobbyThread(lobby).start()
        running.append(thread)
        return thread

    yield make
    for thread in running:
        thread.stop()


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
