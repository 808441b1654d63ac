"""The client's end of the network: connect with a ticket, handshake, keep up, say why it ended.

Layers as on the server (engine/net/server.py): a DatagramSocket, a
NetcodeClient (the ticket's servers in turn, the challenge, keep-alives,
timeouts) and a Session (messages on channels). `poll(now)` reads, advances the
connection and returns the messages the game should handle; `flush(now)` sends.
When the connection ends for any reason, `closed` is true and `close_reason` is
a one-line sentence fit to show a player.
"""

from __future__ import annotations

import logging
from enum import Enum

from engine.net.datagrams import DatagramSocket, UdpSocket, format_address
from engine.net.errors import ProtocolError
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    Disconnect,
    Hello,
    Message,
    Reject,
    Welcome,
)
from engine.net.netcode import ClientState as LinkState
from engine.net.netcode import ConnectToken, NetcodeClient
from engine.net.netcode.client import Connected, Disconnected, PayloadReceived
from engine.net.reliable import ChannelConfig
from engine.net.schema import NetSchema
from engine.net.session import SendQueueFull, Session, client_session
from engine.net.tcp_datagrams import TcpDatagramClient
from engine.net.tickets import TicketError, TicketRequest

log = logging.getLogger(__name__)


class ClientState(Enum):
    CONNECTING = "connecting"  # the secure connection is being set up
    HANDSHAKE = "handshake"  # connected; Hello sent, waiting for Welcome
    CONNECTED = "connected"
    CLOSED = "closed"


class NetClient:
    """One connection to a server, driven by `poll(now)` and `flush(now)` each frame.

    Made with a ticket and a socket, or with `join` (a ticket asked from the server's
    ticket endpoint first: the client starts connecting when it comes).
    """

    def __init__(
        self,
        *,
        name: str,
        schema: NetSchema,
        now: float,
        token: ConnectToken | None = None,
        socket: DatagramSocket | None = None,
        ticket: TicketRequest | None = None,
        transport: str = "udp",
        mods: tuple[str, ...] = (),
        channels: ChannelConfig | None = None,
    ) -> None:
        self.name = name
        self.schema = schema
        self.mods = mods
        self.transport = transport
        self.session: Session = client_session(schema.messages, now, config=channels)
        self.state = ClientState.CONNECTING
        self.close_reason: str | None = None
        self.rejected: Reject | None = None
        self.welcome: Welcome | None = None
        self.socket: DatagramSocket | None = socket
        self.link: NetcodeClient | None = None
        self._ticket = ticket
        self.timeout = 0
        self.target = f"{ticket.host}:{ticket.port}" if ticket is not None else ""
        self._now = now  # the latest time poll, flush or close was given
        if token is not None:
            self._start(token, now)

    @classmethod
    def udp(cls, token: ConnectToken, *, now: float, **options: object) -> NetClient:
        """Over UDP to the ticket's servers."""
        return cls(token=token, now=now, transport="udp", **options)  # type: ignore[arg-type]

    @classmethod
    def tcp(cls, token: ConnectToken, *, now: float, **options: object) -> NetClient:
        """Over TCP to the ticket's first server (for networks that block UDP)."""
        return cls(token=token, now=now, transport="tcp", **options)  # type: ignore[arg-type]

    @classmethod
    def join(cls, host: str, port: int, *, name: str, now: float, **options: object) -> NetClient:
        """Ask host:port's ticket endpoint for a ticket, then connect with it."""
        ticket = TicketRequest(host, port, name)
        return cls(name=name, ticket=ticket, now=now, **options)  # type: ignore[arg-type]

    def _start(self, token: ConnectToken, now: float) -> None:
        """Open a socket (unless given one) and begin the secure connection."""
        host, port = token.server_addresses[0]
        if self.socket is None:
            if self.transport == "tcp":
                timeout = max(1, token.timeout_seconds)
                self.socket = TcpDatagramClient(host, port, now=now, timeout=timeout)
            else:
                self.socket = UdpSocket.bind("::" if ":" in host else "0.0.0.0", 0)
        self.link = NetcodeClient(token, now=now)
        self.timeout = token.timeout_seconds
        self.target = ", ".join(format_address(a) for a in token.server_addresses)
        self.link.connect(now)

    @property
    def closed(self) -> bool:
        return self.state is ClientState.CLOSED

    @property
    def connected(self) -> bool:
        return self.state is ClientState.CONNECTED

    @property
    def rtt(self) -> float | None:
        """Smoothed round-trip time in seconds, from acks (None before the first)."""
        rtt = self.session.rtt
        return rtt if self.connected and rtt > 0 else None

    def poll(self, now: float) -> list[Message]:
        """Progress the connection; return the messages for the game, in order."""
        if self.closed:
            return []
        self._now = now
        if self.link is None:
            self._wait_for_ticket(now)
            if self.link is None:
                return []
        link, sock = self.link, self.socket
        assert sock is not None
        for datagram, address in sock.receive(now):
            link.receive(datagram, address, now)
        link.update(now)
        out: list[Message] = []
        for event in link.events():
            if isinstance(event, PayloadReceived):
                out += self._read(event.data, now)
            elif isinstance(event, Connected):
                self.state = ClientState.HANDSHAKE
                hello = Hello(MAGIC, PROTOCOL_VERSION, self.name, self.schema.hash(), self.mods)
                self.session.send(hello)
            elif isinstance(event, Disconnected):
                self._close(self._why(event.state))
            if self.closed:
                break
        socket_error = getattr(sock, "error", None)  # a TCP connection's end
        if socket_error and not self.closed:
            if self.state is ClientState.CONNECTING:
                self._close(f"Could not connect: {socket_error}")
            else:
                self._close(f"Lost connection to server ({socket_error})")
        self._send_link_datagrams(now)
        return out

    def _wait_for_ticket(self, now: float) -> None:
        assert self._ticket is not None
        try:
            token = self._ticket.poll()
        except TicketError as error:
            self._close(f"Could not connect: {error}")
            return
        if token is not None:
            self._start(token, now)

    def _read(self, payload: bytes, now: float) -> list[Message]:
        try:
            messages = self.session.receive(payload, now)
        except ProtocolError as error:
            self._close(f"Lost connection to server: it sent something invalid ({error})")
            return []
        out: list[Message] = []
        for message in messages:
            if isinstance(message, Welcome):
                self.welcome = message
                self.state = ClientState.CONNECTED
            elif isinstance(message, Reject):
                self.rejected = message
                self._close(f"The server refused to let you in: {message.detail}")
            elif isinstance(message, Disconnect):
                self._close(f"Disconnected by the server: {message.detail}")
            out.append(message)
            if self.closed:
                break
        return out

    def _why(self, state: LinkState) -> str:
        """A player's sentence for how the secure connection ended."""
        where, seconds = self.target, f"{self.timeout:g} s"
        return {
            LinkState.CONNECT_TOKEN_EXPIRED: "Could not connect: the ticket expired",
            LinkState.INVALID_CONNECT_TOKEN: "Could not connect: the ticket is not valid",
            LinkState.CONNECTION_TIMED_OUT: f"Lost connection to server (no answer for {seconds})",
            LinkState.CONNECTION_RESPONSE_TIMED_OUT: f"Could not connect: {where} stopped "
            f"answering after {seconds}",
            LinkState.CONNECTION_REQUEST_TIMED_OUT: f"Could not connect: no answer from {where} "
            f"after {seconds}",
            LinkState.CONNECTION_DENIED: "Could not connect: the server is full",
        }.get(state, "Disconnected by the server")

    def send(self, message: Message) -> None:
        if self.state in (ClientState.HANDSHAKE, ClientState.CONNECTED):
            try:
                self.session.send(message)
            except SendQueueFull:
                self._close("Lost connection to server (it stopped acknowledging)")

    def flush(self, now: float) -> None:
        if self.closed or self.link is None:
            return
        self._now = now
        if self.link.state == LinkState.CONNECTED:
            for payload in self.session.payloads(now):
                self.link.send_payload(payload, now)
        self._send_link_datagrams(now)

    def _send_link_datagrams(self, now: float) -> None:
        if self.link is None or self.socket is None:
            return
        for datagram, address in self.link.datagrams():
            self.socket.send_to(datagram, address, now)

    def close(self, now: float) -> None:
        """Leave: flush what is queued, tell the server (redundant disconnect packets), close."""
        if self.closed:
            return
        self.flush(now)
        self._close("You left the game")

    def fail(self, reason: str) -> None:
        """Give up on the connection (the game found the server's data unusable)."""
        self._close(reason)

    def _close(self, reason: str) -> None:
        """End the connection for `reason`. Unless the link itself ended, tell the server
        (redundant disconnect packets), so it frees the player's seat and name at once rather
        than after a timeout."""
        if self.closed:
            return
        self.state = ClientState.CLOSED
        self.close_reason = reason
        log.info("connection to %s closed: %s", self.target, reason)
        if self.link is not None:
            self.link.disconnect(self._now)  # a no-op once the link has ended
            self._send_link_datagrams(self._now)
        if self.socket is not None:
            self.socket.close()

    @property
    def bytes_in(self) -> int:
        return self.session.bytes_in

    @property
    def bytes_out(self) -> int:
        return self.session.bytes_out
