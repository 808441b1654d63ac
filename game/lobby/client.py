"""Asking a lobby for a match, from a player's side (the window's Quick match, the bots).

Standard library only: a player's install needs nothing more. `ask_lobby` blocks;
`MatchRequest` asks on a worker thread and is polled from a game loop, and
`LobbyTicket` hands one player of a party its ticket from a shared request, in the shape
`NetClient` takes a ticket request in (`host`, `port`, `poll()`).

A lobby that has no room now (503) or finds this address asking too often (429) says when
to ask again (Retry-After); the request does, until `patience` runs out. Every failure is
a TicketError with one line saying what happened.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from engine.net.netcode import ConnectToken
from engine.net.tickets import TicketError, TicketRequest, decode_token

MATCH_PATH = "/v1/match"
TIMEOUT = 5.0  # seconds for one HTTP exchange
PATIENCE = 30.0  # seconds a request keeps asking while the lobby says "later"
LONGEST_WAIT = 5.0  # the longest pause between two tries, whatever Retry-After says


def parse_lobby_url(text: str) -> str:
    """A lobby's base URL from what a player typed ("lobby.example:8000" or a full
    http(s) URL); ValueError with a one-line reason."""
    text = text.strip()
    if not text:
        raise ValueError("the lobby address is empty (expected e.g. http://lobby.example:8000)")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"bad lobby address {text!r}: use http:// or https://")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad lobby address {text!r}: the port is not a number") from None
    if not parts.hostname:
        raise ValueError(f"bad lobby address {text!r}: no host")
    del port
    return text.rstrip("/")


@dataclass(frozen=True, slots=True)
class Match:
    """A lobby's answer: the server and one ticket per player, in the order asked."""

    server: str
    addresses: tuple[str, ...]
    tickets: dict[str, ConnectToken]
    asked_at: float  # time.monotonic() when the first try went out
    answered_at: float
    tries: int = 1
    expires_in: int = 30

    @property
    def seconds(self) -> float:
        return self.answered_at - self.asked_at


def ask_lobby(
    url: str,
    players: Sequence[str],
    *,
    timeout: float = TIMEOUT,
    patience: float = PATIENCE,
    sleep: Callable[[float], None] = time.sleep,
    cancelled: Callable[[], bool] = lambda: False,
) -> Match:
    """Ask the lobby at `url` for one server for all of `players` (blocking)."""
    try:
        base = parse_lobby_url(url)
    except ValueError as error:
        raise TicketError(str(error)) from None
    where = urlsplit(base).netloc
    body = json.dumps({"players": list(players)}).encode()
    asked = time.monotonic()
    deadline = asked + patience
    tries = 0
    while True:
        tries += 1
        request = urllib.request.Request(
            base + MATCH_PATH,
            data=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
                data = json.loads(answer.read(256 * 1024))
            return _match(data, players, asked, tries, where)
        except urllib.error.HTTPError as error:
            detail = _detail(error)
            retry = _retry_after(error)
            left = deadline - time.monotonic()
            if error.code in (429, 503) and retry is not None and left > 0 and not cancelled():
                sleep(min(retry, LONGEST_WAIT, left))
                continue
            raise TicketError(f"the lobby at {where} refused: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, ConnectionRefusedError):
                reason = "connection refused"
            raise TicketError(f"cannot reach the lobby at {where} ({reason})") from None
        except (ValueError, KeyError, TypeError):
            not_a_match = f"the lobby at {where} answered something that is not a match"
            raise TicketError(not_a_match) from None


def _match(data: object, players: Sequence[str], asked: float, tries: int, where: str) -> Match:
    if not isinstance(data, dict):
        raise ValueError("not an object")
    tickets: dict[str, ConnectToken] = {}
    for entry in data["tickets"]:
        tickets[str(entry["player"])] = decode_token(str(entry["token"]))
    missing = [p for p in players if p not in tickets]
    if missing:
        raise TicketError(f"the lobby at {where} sent no ticket for {', '.join(missing)}")
    return Match(
        server=str(data["server"]),
        addresses=tuple(str(a) for a in data.get("addresses", ())),
        tickets=tickets,
        asked_at=asked,
        answered_at=time.monotonic(),
        tries=tries,
        expires_in=int(data.get("expires_in", 30)),
    )


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read(4096))["error"])
    except (ValueError, KeyError, TypeError, OSError):
        return f"HTTP {error.code}"


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    text = error.headers.get("Retry-After") if error.headers else None
    try:
        return max(0.1, float(text)) if text is not None else None
    except ValueError:
        return None


class MatchRequest:
    """`ask_lobby` on a worker thread: `poll()` is None until it is done, then the Match
    (or raises its TicketError). `cancel()` stops it waiting to ask again."""

    def __init__(self, url: str, players: Sequence[str], *, patience: float = PATIENCE) -> None:
        self.url = parse_lobby_url(url)
        parts = urlsplit(self.url)
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.players = tuple(players)
        self._result: Match | TicketError | None = None
        self._stop = threading.Event()
        self._patience = patience
        self._thread = threading.Thread(target=self._ask, name="lobby request", daemon=True)
        self._thread.start()

    def _ask(self) -> None:
        try:
            self._result = ask_lobby(
                self.url,
                self.players,
                patience=self._patience,
                sleep=self._stop.wait,
                cancelled=self._stop.is_set,
            )
        except TicketError as error:
            self._result = error

    def cancel(self) -> None:
        self._stop.set()

    def poll(self) -> Match | None:
        result = self._result
        if isinstance(result, TicketError):
            raise result
        return result

    def wait(self, timeout: float) -> Match | None:
        """Block up to `timeout` s for the answer (tests, tools)."""
        self._thread.join(timeout)
        return self.poll()


class LobbyTicket(TicketRequest):
    """One player's ticket out of a (party's) MatchRequest, as NetClient polls a ticket
    request (it is one, to NetClient: also what `renew_ticket` may return): None until the
    lobby answered, then that player's token."""

    def __init__(self, request: MatchRequest, player: str) -> None:
        # No TicketRequest.__init__: the asking is the MatchRequest's.
        self.request, self.player = request, player
        self.taken: list[Match] = []  # the match, once the token was taken

    @property
    def host(self) -> str:
        return self.request.host

    @property
    def port(self) -> int:
        return self.request.port

    def poll(self) -> ConnectToken | None:
        match = self.request.poll()
        if match is None:
            return None
        if not self.taken:
            self.taken.append(match)
        return match.tickets[self.player]
