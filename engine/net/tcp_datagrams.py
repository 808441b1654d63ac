"""Datagrams over TCP: the fallback for networks that block UDP.

Each datagram travels as one frame (engine/net/framing.py: a 4-byte length,
then the bytes), so everything above (netcode, reliability, sessions) runs
unchanged and unaware. TCP delivers every datagram, in order, late rather than
never: that is exactly the stall the UDP transport exists to avoid, and what
a player behind a UDP-blocking firewall accepts.

`TcpDatagramServer` is a DatagramSocket whose "addresses" are its
connections' remote (host, port); `TcpDatagramClient` is one connection to a
server, reporting every datagram as coming from the address it dialled.

The server's port can also answer plain HTTP GET requests (a ticket endpoint,
for instance): a connection whose first bytes are "GET " cannot be a frame
(that length would be over a gigabyte), so it is handed to the `http` handler
and closed after the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from engine.net.datagrams import MAX_DATAGRAM, RECEIVE_LIMIT, Address, format_address
from engine.net.errors import ProtocolError
from engine.net.framing import FrameDecoder, encode_frame
from engine.net.transport import ConnectError, TcpConnector, TcpListener, TcpStream

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 1024
MAX_REQUEST = 4096
"""Bytes an HTTP request may take up to its blank line; a longer one is refused."""
MAX_OUTBOUND = 256 * 1024
"""Bytes a connection may queue unsent before it is closed (a peer that stopped reading)."""


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A GET request to the datagram port: its path, query and the local address it
    reached (which of this host's addresses the caller used)."""

    path: str
    query: dict[str, str]
    local: Address
    remote: Address
    host: str = ""  # the Host header: the name or address:port the caller dialled


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


HttpHandler = Callable[[HttpRequest], HttpResponse]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    503: "Service Unavailable",
}


class _Framed:
    """One TCP connection carrying datagrams as frames (or, on a server, one HTTP GET)."""

    def __init__(self, stream: TcpStream, address: Address) -> None:
        self.stream = stream
        self.address = address
        self.decoder = FrameDecoder(MAX_DATAGRAM)
        self.http: bytearray | None = None  # an HTTP request being read
        self.first = True

    def send(self, datagram: bytes) -> None:
        if len(datagram) <= MAX_DATAGRAM:
            self.stream.send(encode_frame(datagram, MAX_DATAGRAM))
            self.stream.flush()

    def receive(self, http: HttpHandler | None = None) -> list[bytes]:
        data = self.stream.receive()
        if not data:
            return []
        if self.first:
            self.first = False
            if http is not None and data[:1] == b"G":  # a frame starts with a 0 byte
                self.http = bytearray()
        if self.http is not None:
            self._http(data, http)
            return []
        try:
            return self.decoder.feed(data)
        except ProtocolError as error:
            self.stream.close(f"bad frame: {error}")
            return []

    def _http(self, data: bytes, handler: HttpHandler | None) -> None:
        assert self.http is not None and handler is not None
        self.http += data
        end = self.http.find(b"\r\n\r\n", 0, MAX_REQUEST)
        if end < 0:
            if len(self.http) >= MAX_REQUEST:
                self._answer(HttpResponse(400, b'{"error": "request too long"}'))
            return
        if self.stream.closed:  # the asker hung up right after asking: nobody to answer
            return
        line = bytes(self.http[: self.http.find(b"\r\n")]).decode("latin-1")
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "GET":
            self._answer(HttpResponse(400, b'{"error": "only GET is served here"}'))
            return
        url = urlsplit(parts[1])
        query = {}
        for pair in url.query.split("&"):
            key, _, value = pair.partition("=")
            if key:
                query[unquote_plus(key)] = unquote_plus(value)
        local = self.stream.socket.getsockname()[:2]
        host = ""
        for header in bytes(self.http[:end]).decode("latin-1").split("\r\n")[1:]:
            name, _, value = header.partition(":")
            if name.strip().lower() == "host":
                host = value.strip()
        self._answer(handler(HttpRequest(url.path, query, local, self.address, host)))

    def _answer(self, response: HttpResponse) -> None:
        reason = _REASONS.get(response.status, "Error")
        head = (
            f"HTTP/1.1 {response.status} {reason}\r\n"
            f"Content-Type: {response.content_type}\r\n"
            f"Content-Length: {len(response.body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.stream.send(head.encode("latin-1") + response.body)
        self.stream.flush()
        self.stream.close("answered")


class TcpDatagramServer:
    """Accepts TCP connections on `host:port`; each is one datagram address (DatagramSocket).
    With an `http` handler, GET requests to the port are answered too."""

    def __init__(
        self, host: str = "0.0.0.0", port: int = 0, *, http: HttpHandler | None = None
    ) -> None:
        self._listener = TcpListener(host, port, backlog=128, max_outbound=MAX_OUTBOUND)
        self._connections: dict[Address, _Framed] = {}
        self.http = http

    @property
    def address(self) -> Address:
        return self._listener.address

    @property
    def connections(self) -> int:
        return len(self._connections)

    def send_to(self, datagram: bytes, address: Address, now: float) -> None:
        connection = self._connections.get(address)
        if connection is not None:
            connection.send(datagram)

    def receive(self, now: float) -> list[tuple[bytes, Address]]:
        for stream in self._listener.accept():
            address = _remote(stream)
            if address is None or len(self._connections) >= MAX_CONNECTIONS:
                stream.close("too many connections")
                continue
            self._connections[address] = _Framed(stream, address)
        got: list[tuple[bytes, Address]] = []
        for address, connection in list(self._connections.items()):
            if len(got) < RECEIVE_LIMIT:
                got += [(datagram, address) for datagram in connection.receive(self.http)]
            if connection.stream.closed:
                log.debug(
                    "TCP %s closed: %s", format_address(address), connection.stream.close_reason
                )
                del self._connections[address]
        return got

    def filenos(self) -> list[int]:
        fds = [self._listener.fileno()] + [c.stream.fileno() for c in self._connections.values()]
        return [fd for fd in fds if fd >= 0]

    def close(self) -> None:
        for connection in self._connections.values():
            connection.stream.close("server closing")
        self._connections.clear()
        self._listener.close()


class TcpDatagramClient:
    """One TCP connection to a server, as a DatagramSocket. Connecting does not block:
    datagrams sent before the connection is up wait (a few) and go when it is."""

    MAX_WAITING = 64

    def __init__(self, host: str, port: int, *, now: float, timeout: float = 5.0) -> None:
        self.server: Address = (host, port)
        self._connector: TcpConnector | None = TcpConnector.start(
            host, port, timeout, now, max_outbound=MAX_OUTBOUND
        )
        self._connection: _Framed | None = None
        self._waiting: list[bytes] = []
        self.error: str | None = None  # why the connection failed or ended, once it has

    @property
    def address(self) -> Address:
        if self._connection is None:
            return ("0.0.0.0", 0)
        return self._connection.stream.socket.getsockname()[:2]

    @property
    def closed(self) -> bool:
        return self.error is not None

    def _poll_connect(self, now: float) -> None:
        if self._connector is None:
            return
        try:
            stream = self._connector.poll(now)
        except ConnectError as error:
            self._connector = None
            self.error = str(error)
            return
        if stream is not None:
            self._connector = None
            self._connection = _Framed(stream, self.server)
            for datagram in self._waiting:
                self._connection.send(datagram)
            self._waiting.clear()

    def send_to(self, datagram: bytes, address: Address, now: float) -> None:
        if self.error is not None:
            return
        self._poll_connect(now)
        if self._connection is not None:
            self._connection.send(datagram)
        elif len(self._waiting) < self.MAX_WAITING:
            self._waiting.append(bytes(datagram))

    def receive(self, now: float) -> list[tuple[bytes, Address]]:
        self._poll_connect(now)
        if self._connection is None:
            return []
        got = [(datagram, self.server) for datagram in self._connection.receive()]
        if self._connection.stream.closed and self.error is None:
            self.error = self._connection.stream.close_reason or "connection closed"
        return got

    def filenos(self) -> list[int]:
        if self._connection is None:
            return []
        fd = self._connection.stream.fileno()
        return [fd] if fd >= 0 else []

    def close(self) -> None:
        if self._connector is not None:
            self._connector.cancel()
            self._connector = None
        if self._connection is not None:
            self._connection.stream.close("closed")
        if self.error is None:
            self.error = "closed"


def _remote(stream: TcpStream) -> Address | None:
    try:
        return stream.socket.getpeername()[:2]
    except OSError:
        return None
