"""Tickets: netcode connect tokens as this engine issues, stores and reads them.

A ticket is a netcode 1.02 connect token (engine/net/netcode) whose 256 bytes
of user data say who it was issued to, so a server can trust the name an
issuer (a lobby, the token command, a host) vouched for:

    [layout] u8 = 1    [name length] u8    [name] UTF-8, at most MAX_NAME_BYTES

A token file holds one token as base64 text on one line (2,732 characters), so
it survives copy and paste, e-mail and JSON; a raw 2,048-byte file is read too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlencode

from engine.net.handshake import name_problem
from engine.net.messages import MAX_NAME_BYTES, PROTOCOL_VERSION
from engine.net.netcode import Address, ConnectToken, TokenError, generate_connect_token
from engine.net.netcode.constants import CONNECT_TOKEN_BYTES
from engine.net.tcp_datagrams import HttpHandler, HttpRequest, HttpResponse

USER_DATA_LAYOUT = 1
TICKET_SECONDS = 30
"""How long a ticket may wait before its first use: enough to be fetched and used at once."""
TIMEOUT_SECONDS = 5
"""Silence after which either end of a connection gives up on the other."""


class TicketError(Exception):
    """A ticket or token file that cannot be used; the message is one line."""


def protocol_id(game: str, version: int = PROTOCOL_VERSION) -> int:
    """The 64-bit netcode protocol id of `game` at protocol `version`: tokens for another
    game, or another version of this one, never open on its servers."""
    digest = hashlib.blake2b(f"{game}/{version}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def user_data(name: str) -> bytes:
    raw = name.encode()
    if len(raw) > MAX_NAME_BYTES:
        raise TicketError(f"the name is longer than {MAX_NAME_BYTES} bytes")
    return bytes([USER_DATA_LAYOUT, len(raw)]) + raw


def ticket_name(data: bytes) -> str | None:
    """The name a ticket was issued to (None: the issuer named nobody, or wrote another
    layout: the player's own Hello then names them)."""
    if len(data) < 2 or data[0] != USER_DATA_LAYOUT or data[1] > MAX_NAME_BYTES:
        return None
    try:
        return bytes(data[2 : 2 + data[1]]).decode() or None
    except UnicodeDecodeError:
        return None


def issue_ticket(
    *,
    key: bytes,
    game: str,
    servers: Sequence[Address],
    name: str = "",
    now_unix: float,
    expire_seconds: int = TICKET_SECONDS,
    timeout_seconds: int = TIMEOUT_SECONDS,
    client_id: int | None = None,
) -> ConnectToken:
    """A ticket for `servers` (tried in order), issued to `name`. TicketError on a bad name
    or address."""
    try:
        return generate_connect_token(
            private_key=key,
            protocol_id=protocol_id(game),
            client_id=secrets.randbits(64) if client_id is None else client_id,
            server_addresses=servers,
            expire_seconds=expire_seconds,
            timeout_seconds=timeout_seconds,
            now_unix=int(now_unix),
            user_data=user_data(name) if name else b"",
        )
    except TokenError as error:
        raise TicketError(str(error)) from None


def encode_token(token: ConnectToken) -> str:
    return base64.b64encode(token.to_bytes()).decode("ascii")


def decode_token(text: str | bytes) -> ConnectToken:
    """A token from its base64 text (or its raw 2,048 bytes). TicketError if it is neither."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)
    if len(raw) != CONNECT_TOKEN_BYTES:
        try:
            raw = base64.b64decode(raw.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise TicketError("not a connect token (expected base64 text)") from None
    try:
        return ConnectToken.from_bytes(raw)
    except TokenError as error:
        raise TicketError(f"not a connect token ({error})") from None


def write_token_file(path: str | Path, token: ConnectToken) -> None:
    try:
        Path(path).write_text(encode_token(token) + "\n", encoding="ascii")
    except OSError as error:
        raise TicketError(f"cannot write {path}: {error.strerror}") from None


def read_token_file(path: str | Path) -> ConnectToken:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TicketError(f"{path}: no such token file") from None
    except OSError as error:
        raise TicketError(f"cannot read {path}: {error.strerror}") from None
    try:
        return decode_token(data)
    except TicketError as error:
        raise TicketError(f"{path}: {error}") from None


# -- a server's ticket endpoint, and asking one ---------------------------------------------

TICKET_PATH = "/ticket"


def ticket_endpoint(
    issue: Callable[[str, HttpRequest], ConnectToken], *, expire_seconds: int = TICKET_SECONDS
) -> HttpHandler:
    """An HTTP handler (for TcpDatagramServer) that hands a ticket to whoever asks:
    `GET /ticket?name=NAME` -> {"token": BASE64, "expires_in": SECONDS}. For LAN play and
    hosting; a public server leaves this off and lets a lobby issue tickets.

    `issue(name, request)` makes the ticket; which server address to name is its choice
    (the address the request reached, or the Host header when that is one of its own)."""

    def handle(request: HttpRequest) -> HttpResponse:
        if request.path != TICKET_PATH:
            return _json(404, {"error": f"no such path {request.path!r}; ask {TICKET_PATH}"})
        name = request.query.get("name", "")
        problem = name_problem(name)
        if problem:
            return _json(400, {"error": problem})
        try:
            token = issue(name, request)
        except TicketError as error:
            return _json(400, {"error": str(error)})
        return _json(200, {"token": encode_token(token), "expires_in": expire_seconds})

    return handle


def no_tickets(request: HttpRequest) -> HttpResponse:
    """The endpoint of a server that hands out no tickets: asking is answered, with why,
    rather than left to look like a broken connection."""
    return _json(403, {"error": "this server hands out no tickets; ask its operator for one"})


def _json(status: int, body: dict[str, object]) -> HttpResponse:
    return HttpResponse(status, json.dumps(body).encode())


class TicketRequest:
    """Asks a server's ticket endpoint for a ticket without blocking the caller: the HTTP
    request runs on a worker thread; `poll()` says when it is done."""

    def __init__(self, host: str, port: int, name: str, *, timeout: float = 5.0) -> None:
        self.host, self.port = host, port
        netloc = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.url = f"http://{netloc}{TICKET_PATH}?{urlencode({'name': name})}"
        self._timeout = timeout
        self._result: ConnectToken | TicketError | None = None
        self._thread = threading.Thread(target=self._fetch, name="ticket request", daemon=True)
        self._thread.start()

    def _fetch(self) -> None:
        where = f"{self.host}:{self.port}"
        try:
            with urllib.request.urlopen(self.url, timeout=self._timeout) as answer:  # noqa: S310
                body = json.loads(answer.read(64 * 1024))
            self._result = decode_token(str(body["token"]))
        except urllib.error.HTTPError as error:
            try:
                detail = json.loads(error.read(4096))["error"]
            except (ValueError, KeyError, TypeError, OSError):
                detail = f"HTTP {error.code}"
            self._result = TicketError(f"{where} refused a ticket: {detail}")
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, ConnectionRefusedError):
                reason = "connection refused"
            self._result = TicketError(f"cannot reach {where} for a ticket ({reason})")
        except (ValueError, KeyError, TypeError, TicketError):
            self._result = TicketError(f"{where} answered something that is not a ticket")

    def poll(self) -> ConnectToken | None:
        """The ticket once it has come (None until then); TicketError if it will not."""
        result = self._result
        if isinstance(result, TicketError):
            raise result
        return result
