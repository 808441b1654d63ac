"""The server's end of the network: peers, handshakes, timeouts, and what they said.

`NetServer` owns the listening socket (if any) and one `Peer` per connection.
`poll(now)` moves bytes in and turns them into `ServerEvent`s (PeerJoined, a
`FromPeer[MessageType]` for every message a peer sent, PeerLeft); `flush()`
moves bytes out. It never blocks and never raises because of what a peer sent: a
peer that breaks the protocol, stays silent, or stops reading is dropped with
a logged reason and a `PeerLeft` event, and everyone else carries on.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from engine.net.codec import clip_utf8
from engine.net.connection import Connection, server_connection
from engine.net.errors import ProtocolError
from engine.net.handshake import check_hello
from engine.net.messages import (
    Disconnect,
    DisconnectReason,
    Hello,
    Message,
    MessageTable,
    Ping,
    Pong,
    Quit,
    Reject,
    RejectReason,
    Welcome,
)
from engine.net.schema import NetSchema
from engine.net.transport import ByteStream, TcpListener, wait_readable

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 5.0
SILENCE_TIMEOUT = 3.0


@dataclass(eq=False)
class Peer:
    """One connected client, from accept to goodbye."""

    client_id: int
    stream: ByteStream
    connection: Connection
    connected_at: float
    name: str = ""
    joined: bool = False  # handshake accepted
    # The last snapshot tick the peer is known to hold (0: none): the baseline of its next
    # snapshot. Moved forward by ServerNet.acknowledge.
    acked_tick: int = 0
    # The transport delivers snapshots in order and reliably (TCP, the loopback), so one
    # sent counts as acknowledged at once. A transport that can lose them sets this False
    # and acknowledges what the client reports.
    in_order: bool = True
    leaving: str | None = None  # reason, once the server decided to drop it
    data: dict[str, object] = field(default_factory=dict)  # the game's per-peer state

    @property
    def address(self) -> str:
        return self.stream.peer


@dataclass(frozen=True)
class PeerJoined:
    peer: Peer
    hello: Hello


M = TypeVar("M", bound=Message)


class FromPeer(Generic[M]):
    """A message a peer sent, as a world event keyed by the message's type.

    `FromPeer[PlayerEvent]` is a class of its own (made once, then cached), so
    `world.events.read(FromPeer[PlayerEvent])` gets exactly the PlayerEvents
    peers sent this step, in arrival order, each with `.peer` and `.message`.
    """

    __slots__ = ("peer", "message")
    message_type: ClassVar[type[Message] | None] = None
    _classes: ClassVar[dict[type[Message], type[FromPeer[Any]]]] = {}

    def __init__(self, peer: Peer, message: M) -> None:
        if type(message) is not self.message_type:
            raise TypeError(
                f"{type(self).__name__} cannot carry a {type(message).__name__}; "
                "use FromPeer[type(message)]"
            )
        self.peer = peer
        self.message = message

    def __class_getitem__(cls, message_type: type[Message]) -> type[FromPeer[Any]]:
        if cls is not FromPeer:
            raise TypeError(f"{cls.__name__} already names its message type")
        event_type = FromPeer._classes.get(message_type)
        if event_type is not None:
            return event_type
        if not (isinstance(message_type, type) and issubclass(message_type, Message)):
            raise TypeError(f"FromPeer[...] takes a Message type, not {message_type!r}")
        name = f"FromPeer[{message_type.__name__}]"
        event_type = type(
            name,
            (FromPeer,),
            {"__slots__": (), "message_type": message_type, "__qualname__": name},
        )
        FromPeer._classes[message_type] = event_type
        return event_type

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.peer is other.peer and self.message == other.message  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(peer={self.peer.client_id}, message={self.message!r})"


@dataclass(frozen=True)
class PeerLeft:
    peer: Peer
    reason: str
    clean: bool  # the peer said Quit


ServerEvent = PeerJoined | FromPeer | PeerLeft


class NetServer:
    """Accepts peers, runs the handshake, detects silence, queues and flushes messages."""

    def __init__(
        self,
        *,
        schema: NetSchema,
        mods: tuple[str, ...] = (),
        max_peers: int = 8,
        welcome: Callable[[Peer], Welcome],
        listener: TcpListener | None = None,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        silence_timeout: float = SILENCE_TIMEOUT,
        max_outbound: int | None = None,
    ) -> None:
        self.schema = schema
        self.mods = mods
        self.max_peers = max_peers
        self.welcome = welcome
        self.listener = listener
        self.handshake_timeout = handshake_timeout
        self.silence_timeout = silence_timeout
        self.max_outbound = max_outbound
        self.peers: list[Peer] = []
        self._ids = itertools.count(1)
        self._events: list[ServerEvent] = []
        self.dropped = 0  # peers dropped for misbehaving or timing out
        self.joined_total = 0  # handshakes accepted over the server's life

    # -- connections -----------------------------------------------------------------------

    def add_stream(self, stream: ByteStream, now: float) -> Peer:
        """Adopt a connected stream (an accepted socket, or one end of a loopback pair)."""
        if self.max_outbound is not None and hasattr(stream, "max_outbound"):
            stream.max_outbound = self.max_outbound  # type: ignore[attr-defined]
        peer = Peer(next(self._ids), stream, server_connection(self.schema.messages, now), now)
        self.peers.append(peer)
        log.debug("peer %d connected from %s", peer.client_id, peer.address)
        return peer

    def joined_peers(self) -> list[Peer]:
        return [p for p in self.peers if p.joined and not p.leaving]

    # -- inbound ---------------------------------------------------------------------------

    def poll_connections(self, now: float) -> None:
        """Adopt every connection waiting on the listener."""
        if self.listener is not None:
            for stream in self.listener.accept():
                self.add_stream(stream, now)

    def poll(self, now: float) -> list[ServerEvent]:
        """Accept, read, decode; run handshakes and timeouts. Returns what happened."""
        self.poll_connections(now)
        for peer in list(self.peers):
            if not peer.leaving:
                self._read(peer, now)
            if not peer.leaving:
                self._check_timeouts(peer, now)
        self._reap()
        events, self._events = self._events, []
        return events

    def _read(self, peer: Peer, now: float) -> None:
        data = peer.stream.receive()
        try:
            messages = peer.connection.receive_data(data, now)
        except ProtocolError as error:
            self.drop(peer, f"protocol error: {error}", DisconnectReason.PROTOCOL)
            return
        for message in messages:
            if peer.leaving:
                return
            self._handle(peer, message)
        if peer.stream.closed and not peer.leaving:
            self._leave(peer, peer.stream.close_reason or "connection closed", clean=False)

    def _handle(self, peer: Peer, message: Message) -> None:
        if isinstance(message, Hello):
            if peer.joined:
                self.drop(peer, "protocol error: second Hello", DisconnectReason.PROTOCOL)
                return
            self._handshake(peer, message)
        elif isinstance(message, Ping):
            peer.connection.send(Pong(message.nonce, self.welcome(peer).server_tick))
        elif isinstance(message, Quit):
            self._leave(peer, "quit", clean=True)
        else:
            self._events.append(FromPeer[type(message)](peer, message))

    def _handshake(self, peer: Peer, hello: Hello) -> None:
        full = len(self.joined_peers()) >= self.max_peers
        names = [p.name for p in self.joined_peers()]
        reject = check_hello(
            hello, schema=self.schema.hash(), mods=self.mods, full=full, taken_names=names
        )
        if reject is not None:
            self._reject(peer, reject)
            return
        peer.name = hello.name
        peer.joined = True
        self.joined_total += 1
        peer.connection.send(self.welcome(peer))
        log.info("%s joined from %s as client %d", peer.name, peer.address, peer.client_id)
        self._events.append(PeerJoined(peer, hello))

    def _reject(self, peer: Peer, reject: Reject) -> None:
        log.info("rejected %s: %s (%s)", peer.address, reject.reason.name.lower(), reject.detail)
        peer.connection.send(reject)
        peer.leaving = f"rejected: {reject.detail}"
        self._flush_peer(peer)
        peer.stream.close(peer.leaving)

    def _check_timeouts(self, peer: Peer, now: float) -> None:
        if not peer.joined and now - peer.connected_at > self.handshake_timeout:
            self._reject(peer, Reject(RejectReason.PROTOCOL, "no handshake in time"))
            self.dropped += 1
        elif peer.joined and peer.connection.silent_for(now) > self.silence_timeout:
            self.drop(
                peer,
                f"timed out after {self.silence_timeout:g} s of silence",
                DisconnectReason.TIMEOUT,
            )

    # -- leaving ---------------------------------------------------------------------------

    def drop(
        self, peer: Peer, reason: str, code: DisconnectReason = DisconnectReason.KICKED
    ) -> None:
        """Remove a peer now, telling it why if it can still hear."""
        if peer.leaving:
            return
        log.warning("dropping %s (%s): %s", peer.name or "peer", peer.address, reason)
        self.dropped += 1
        if not peer.stream.closed:
            peer.connection.send(Disconnect(code, clip_utf8(reason, 255)))
            self._flush_peer(peer)
        self._leave(peer, reason, clean=False)

    def _leave(self, peer: Peer, reason: str, *, clean: bool) -> None:
        peer.leaving = reason
        peer.stream.close(reason)
        if peer.joined:
            log.info("%s left: %s", peer.name, reason)
            self._events.append(PeerLeft(peer, reason, clean))

    def _reap(self) -> None:
        self.peers = [p for p in self.peers if not p.leaving]

    # -- outbound --------------------------------------------------------------------------

    def send(self, peer: Peer, message: Message) -> None:
        if not peer.leaving:
            peer.connection.send(message)

    def send_encoded(self, peer: Peer, payload: bytes) -> None:
        if not peer.leaving:
            peer.connection.send_encoded(payload)

    def broadcast(self, message: Message, *, exclude: Peer | None = None) -> None:
        """Send to every joined peer (but `exclude`), encoded once."""
        payload = None
        for peer in self.joined_peers():
            if peer is exclude:
                continue
            if payload is None:
                payload = self.sends.encode(message)
            peer.connection.send_encoded(payload)

    @property
    def sends(self) -> MessageTable:
        """What the server may send (to encode a message once for many peers)."""
        return self.schema.messages.to_client

    def _flush_peer(self, peer: Peer) -> None:
        data = peer.connection.data_to_send()
        if data:
            peer.stream.send(data)
        peer.stream.flush()

    def flush(self) -> None:
        """Push queued bytes to every peer. A peer whose buffer overflowed is dropped; its
        PeerLeft comes out of the next `poll`, with everything else that happened."""
        for peer in self.peers:
            if peer.leaving:
                continue
            self._flush_peer(peer)
            if peer.stream.closed:
                self._leave(peer, peer.stream.close_reason or "connection closed", clean=False)
                self.dropped += 1
        self._reap()

    def wait(self, timeout: float) -> None:
        """Sleep until a socket is readable or `timeout` passes (the server's idle)."""
        entries: Iterable[object] = [p.stream for p in self.peers]
        if self.listener is not None:
            entries = [self.listener, *entries]
        if timeout > 0:
            ready = wait_readable(entries, timeout)
            del ready

    def close(self, detail: str = "server shutting down") -> None:
        for peer in list(self.peers):
            if peer.joined and not peer.stream.closed:
                peer.connection.send(Disconnect(DisconnectReason.SHUTDOWN, detail))
                self._flush_peer(peer)
            peer.leaving = detail
            peer.stream.close(detail)
        self.peers.clear()
        if self.listener is not None:
            self.listener.close()
