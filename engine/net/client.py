"""The client's end of the network: connect with a ticket, handshake, keep up, say why it ended.

Layers as on the server (engine/net/server.py): a DatagramSocket, a
NetcodeClient (the ticket's servers in turn, the challenge, keep-alives,
timeouts) and a Session (messages on channels). `poll(now)` reads, advances the
connection and returns the messages the game should handle; `flush(now)` sends.
When the connection ends for any reason, `closed` is true and `close_reason` is
a one-line sentence fit to show a player.

A connection that was up and is lost without anyone deciding it (no answer for
the ticket's timeout, its TCP connection gone) is not the end: the client goes
RECONNECTING, keeps its world, and tries again with a fresh ticket (`renew_ticket`;
a client that `join`ed asks the ticket endpoint again) over a fresh socket (a new
address, as after a Wi-Fi change: `open_socket`, else UDP or TCP as before), its
Hello carrying the lost connection's `Welcome.resume` secret so the server gives
back the player's place. It keeps trying for RESUME_SECONDS after the loss, then
closes with the reason it lost the connection. A Reject, a Disconnect, the server's
goodbye or the player leaving end it at once, as before. Reusing the first ticket
is not tried: a ticket opens from one address only, expires within seconds of its
issue, and its keys would encrypt a second connection under the same nonces.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum

from engine.net.datagrams import DatagramSocket, UdpSocket, format_address
from engine.net.errors import ProtocolError
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    RESUME_SECONDS,
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
    RECONNECTING = "reconnecting"  # lost without a goodbye: connecting again to resume
    CLOSED = "closed"


RETRY_SECONDS = 1.0
"""Pause between two reconnection attempts."""

TicketSource = Callable[[], "ConnectToken | TicketRequest"]


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
        renew_ticket: TicketSource | None = None,
        open_socket: Callable[[], DatagramSocket] | None = None,
        resume_seconds: float = RESUME_SECONDS,
    ) -> None:
        """`renew_ticket` and `open_socket` make what each reconnection needs: a fresh ticket
        (a token, or a TicketRequest under way) and a socket. A client that `join`ed asks
        the same ticket endpoint again by default; one given a socket reconnects only with
        `open_socket`. Without a way to a ticket, a lost connection is closed at once."""
        self.name = name
        self.schema = schema
        self.mods = mods
        self.transport = transport
        self.channels = channels
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
        if renew_ticket is None and ticket is not None:
            host, port = ticket.host, ticket.port
            renew_ticket = lambda: TicketRequest(host, port, name)  # noqa: E731
        self.renew_ticket = renew_ticket
        self.open_socket = open_socket
        self.resume_seconds = resume_seconds
        self._sockets_given = socket is not None  # then only open_socket makes the next one
        self.lost_reason: str | None = None  # why the connection went (while RECONNECTING)
        self.gives_up_at: float | None = None  # when RECONNECTING ends in CLOSED
        self._next_attempt = 0.0
        self.resumes = 0  # connections taken up again with the server's consent
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
        """Open a socket (unless given one) and begin the secure connection. While
        reconnecting, a socket that cannot be opened (no network yet) is a failed attempt."""
        try:
            self._open(token, now)
        except OSError as error:
            if not self.reconnecting:
                raise
            self._lost(f"Could not connect: {error.strerror or error}")
            return
        self.link = NetcodeClient(token, now=now)
        self.timeout = token.timeout_seconds
        self.target = ", ".join(format_address(a) for a in token.server_addresses)
        self.link.connect(now)

    def _open(self, token: ConnectToken, now: float) -> None:
        host, port = token.server_addresses[0]
        if self.socket is None and self.open_socket is not None:
            self.socket = self.open_socket()
        elif self.socket is None:
            if self.transport == "tcp":
                timeout = max(1, token.timeout_seconds)
                self.socket = TcpDatagramClient(host, port, now=now, timeout=timeout)
            else:
                self.socket = UdpSocket.bind("::" if ":" in host else "0.0.0.0", 0)

    @property
    def closed(self) -> bool:
        return self.state is ClientState.CLOSED

    @property
    def connected(self) -> bool:
        return self.state is ClientState.CONNECTED

    @property
    def reconnecting(self) -> bool:
        return self.state is ClientState.RECONNECTING

    @property
    def can_reconnect(self) -> bool:
        """A lost connection would be tried again (else it closes at once)."""
        has_socket = self.open_socket is not None or not self._sockets_given
        return self.resume_seconds > 0 and self.renew_ticket is not None and has_socket

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
        if self.reconnecting:
            assert self.gives_up_at is not None
            if now >= self.gives_up_at:
                seconds = f"{self.resume_seconds:g} s"
                self._close(f"{self.lost_reason}; could not reconnect in {seconds}")
                return []
            if self.link is None and self._ticket is None and now >= self._next_attempt:
                self._attempt(now)
        if self.link is None:
            if self._ticket is not None:
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
                if not self.reconnecting:
                    self.state = ClientState.HANDSHAKE
                resume = self.welcome.resume if self.welcome is not None else 0
                hello = Hello(
                    MAGIC, PROTOCOL_VERSION, self.name, self.schema.hash(), self.mods, resume
                )
                self.session.send(hello)
            elif isinstance(event, Disconnected):
                reason = self._why(event.state)
                if event.state == LinkState.CONNECTION_TIMED_OUT or self.reconnecting:
                    self._lost(reason)
                else:
                    self._close(reason)
            if self.closed or self.link is not link:
                break
        socket_error = getattr(sock, "error", None)  # a TCP connection's end
        if socket_error and not self.closed and self.link is link:
            if self.state is ClientState.CONNECTING:
                self._close(f"Could not connect: {socket_error}")
            else:
                self._lost(f"Lost connection to server ({socket_error})")
        if self.link is link:
            self._send_link_datagrams(now)
        return out

    def _wait_for_ticket(self, now: float) -> None:
        assert self._ticket is not None
        try:
            token = self._ticket.poll()
        except TicketError as error:
            self._ticket = None
            if self.reconnecting:
                self._lost(f"Could not connect: {error}")
            else:
                self._close(f"Could not connect: {error}")
            return
        if token is not None:
            self._ticket = None
            self._start(token, now)

    # -- reconnecting ----------------------------------------------------------------------

    def _lost(self, reason: str) -> None:
        """The link ended without anyone deciding it. A connection that was up is tried
        again (until RESUME_SECONDS after the loss); a failed attempt waits for the next;
        anything else closes."""
        if self.reconnecting:
            log.debug("reconnection attempt failed: %s", reason)
            self._drop_link()
            self._next_attempt = self._now + RETRY_SECONDS
            return
        if self.state is not ClientState.CONNECTED or not self.can_reconnect:
            self._close(reason)
            return
        log.info("connection to %s lost (%s); reconnecting", self.target, reason)
        self.state = ClientState.RECONNECTING
        self.lost_reason = reason
        self.gives_up_at = self._now + self.resume_seconds
        self._drop_link()
        self._next_attempt = self._now

    def _drop_link(self) -> None:
        """Forget the link and its socket (closed: the next attempt gets a new address)."""
        self.link = None
        self._ticket = None
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def _attempt(self, now: float) -> None:
        """One reconnection: a fresh session, and a fresh ticket (or a request for one)."""
        assert self.renew_ticket is not None
        self.session = client_session(self.schema.messages, now, config=self.channels)
        try:
            source = self.renew_ticket()
        except TicketError as error:
            self._lost(f"Could not connect: {error}")
            return
        if isinstance(source, TicketRequest):
            self._ticket = source
        else:
            self._start(source, now)

    def _read(self, payload: bytes, now: float) -> list[Message]:
        try:
            messages = self.session.receive(payload, now)
        except ProtocolError as error:
            self._close(f"Lost connection to server: it sent something invalid ({error})")
            return []
        out: list[Message] = []
        for message in messages:
            if isinstance(message, Welcome):
                if self.reconnecting:
                    log.info(
                        "reconnected to %s (%s)",
                        self.target,
                        "resumed" if message.resumed else "joined afresh",
                    )
                    self.resumes += message.resumed
                    self.lost_reason = self.gives_up_at = None
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
