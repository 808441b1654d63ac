"""The client's end of the network: connect without blocking, handshake, keep-alive, loss.

`NetClient.poll(now)` advances the connect, reads and decodes, answers the
handshake and pings, and returns the messages the game should handle. When
the connection ends for any reason, `closed` is true and `close_reason` is a
one-line sentence fit to show a player.
"""

from __future__ import annotations

import logging
from enum import Enum

from engine.net.connection import Connection, client_connection
from engine.net.errors import ProtocolError
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    Disconnect,
    Hello,
    Message,
    Ping,
    Pong,
    Quit,
    Reject,
    Welcome,
)
from engine.net.schema import NetSchema
from engine.net.transport import ByteStream, ConnectError, TcpConnector

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
SILENCE_TIMEOUT = 3.0
PING_INTERVAL = 1.0


class ClientState(Enum):
    CONNECTING = "connecting"
    HANDSHAKE = "handshake"
    CONNECTED = "connected"
    CLOSED = "closed"


class NetClient:
    """One connection to a server, driven by `poll(now)` and `flush()` each frame."""

    def __init__(
        self,
        *,
        name: str,
        schema: NetSchema,
        mods: tuple[str, ...] = (),
        now: float,
        silence_timeout: float = SILENCE_TIMEOUT,
        ping_interval: float = PING_INTERVAL,
    ) -> None:
        self.name = name
        self.schema = schema
        self.mods = mods
        self.silence_timeout = silence_timeout
        self.ping_interval = ping_interval
        self.state = ClientState.CONNECTING
        self.close_reason: str | None = None
        self.rejected: Reject | None = None
        self.welcome: Welcome | None = None
        self.stream: ByteStream | None = None
        self.connection: Connection = client_connection(schema.messages, now)
        self._connector: TcpConnector | None = None
        self._next_ping = now
        self._pings: dict[int, float] = {}
        self._nonce = 0
        self.rtt: float | None = None  # smoothed round-trip time, seconds

    @classmethod
    def tcp(
        cls,
        host: str,
        port: int,
        *,
        now: float,
        timeout: float = CONNECT_TIMEOUT,
        **options: object,
    ) -> NetClient:
        client = cls(now=now, **options)  # type: ignore[arg-type]
        client.target = f"{host}:{port}"
        try:
            client._connector = TcpConnector.start(host, port, timeout, now)
        except ConnectError as error:
            client._close(f"Could not connect: {error}")
        return client

    @classmethod
    def over(cls, stream: ByteStream, *, now: float, **options: object) -> NetClient:
        """A client on an already connected stream (the loopback of single-player)."""
        client = cls(now=now, **options)  # type: ignore[arg-type]
        client.target = stream.peer
        client._start(stream, now)
        return client

    target = ""

    @property
    def closed(self) -> bool:
        return self.state is ClientState.CLOSED

    @property
    def connected(self) -> bool:
        return self.state is ClientState.CONNECTED

    def _start(self, stream: ByteStream, now: float) -> None:
        self.stream = stream
        self.state = ClientState.HANDSHAKE
        self.connection = client_connection(self.schema.messages, now)
        self._hello_sent = False  # sent by the next poll: mods may still register in the schema

    _hello_sent = False

    def poll(self, now: float) -> list[Message]:
        """Progress the connection; return the messages for the game, in order."""
        if self.state is ClientState.CLOSED:
            return []
        if self.state is ClientState.CONNECTING:
            if self._connector is None:
                return []
            try:
                stream = self._connector.poll(now)
            except ConnectError as error:
                self._close(f"Could not connect: {error}")
                return []
            if stream is None:
                return []
            self._start(stream, now)
        assert self.stream is not None
        if not self._hello_sent:
            self._hello_sent = True
            hello = Hello(MAGIC, PROTOCOL_VERSION, self.name, self.schema.hash(), self.mods)
            self.connection.send(hello)
            self.flush()
        data = self.stream.receive()
        try:
            messages = self.connection.receive_data(data, now)
        except ProtocolError as error:
            self._close(f"Lost connection to server: it sent something invalid ({error})")
            return []
        out: list[Message] = []
        for message in messages:
            if isinstance(message, Welcome):
                self.welcome = message
                self.state = ClientState.CONNECTED
                out.append(message)
            elif isinstance(message, Reject):
                self.rejected = message
                self._close(f"The server refused to let you in: {message.detail}")
                return out + [message]
            elif isinstance(message, Disconnect):
                self._close(f"Disconnected by the server: {message.detail}")
                return out + [message]
            elif isinstance(message, Pong):
                self._on_pong(message, now)
            else:
                out.append(message)
        if self.stream.closed:
            self._close("Lost connection to server")
        elif self.connection.silent_for(now) > self.silence_timeout:
            self._close(f"Lost connection to server (no answer for {self.silence_timeout:g} s)")
        elif self.state is ClientState.CONNECTED and now >= self._next_ping:
            self._ping(now)
        return out

    def _ping(self, now: float) -> None:
        self._nonce = (self._nonce + 1) & 0xFFFFFFFF
        self._pings[self._nonce] = now
        if len(self._pings) > 16:
            self._pings.pop(next(iter(self._pings)))
        self.connection.send(Ping(self._nonce))
        self._next_ping = now + self.ping_interval

    def _on_pong(self, pong: Pong, now: float) -> None:
        sent = self._pings.pop(pong.nonce, None)
        if sent is None:
            return
        sample = now - sent
        self.rtt = sample if self.rtt is None else self.rtt * 0.8 + sample * 0.2

    def send(self, message: Message) -> None:
        if self.state in (ClientState.HANDSHAKE, ClientState.CONNECTED):
            self.connection.send(message)

    def flush(self) -> None:
        if self.stream is None or self.closed:
            return
        data = self.connection.data_to_send()
        if data:
            self.stream.send(data)
        self.stream.flush()
        if self.stream.closed:
            self._close("Lost connection to server")

    def close(self, *, quit: bool = True) -> None:
        """Leave: say Quit (so the server need not wait for a timeout), flush, close."""
        if self.closed:
            return
        if quit and self.stream is not None and self.state is ClientState.CONNECTED:
            self.connection.send(Quit())
            self.flush()
        self._close("You left the game")

    def fail(self, reason: str) -> None:
        """Give up on the connection (the game found the server's data unusable)."""
        self._close(reason)

    def _close(self, reason: str) -> None:
        if self.state is ClientState.CLOSED:
            return
        self.state = ClientState.CLOSED
        self.close_reason = reason
        log.info("connection to %s closed: %s", self.target or "server", reason)
        if self._connector is not None:
            self._connector.cancel()
        if self.stream is not None:
            self.stream.close(reason)

    @property
    def bytes_in(self) -> int:
        return self.connection.bytes_in

    @property
    def bytes_out(self) -> int:
        return self.connection.bytes_out
