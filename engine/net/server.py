"""The server's end of the network: secure connections, handshakes, and what peers said.

Layers, each its own sans-I/O object, driven from here once per step:

    DatagramSocket(s)   UDP, TCP (datagrams as frames) or the in-memory network
    NetcodeServer       tickets, challenge, encryption, keep-alives, timeouts
    Session per peer    messages on reliable-ordered and unreliable channels, acks

`poll(now)` reads every socket and turns what arrived into `ServerEvent`s
(PeerJoined after a good Hello, a `FromPeer[MessageType]` for every message a
joined peer sent, PeerLeft); `flush(now)` writes what the game queued. Nothing a
peer sends raises out of here: a peer that breaks the protocol or stops reading is
dropped with a logged reason and a `PeerLeft`, and everyone else carries on.

Resuming: each Welcome carries a random 64-bit secret (`Welcome.resume`). A joined
peer whose connection times out (no goodbye: its Wi-Fi went, its address changed)
leaves with `PeerLeft(resumable=True)`, and for `resume_seconds` its name and its
room stay reserved. A new connection whose Hello says that secret takes its place:
`PeerJoined(resumed_from=<the old Peer>)`, same name. If none
does in time, `ResumeExpired(peer)` says it is gone for good. A game that ignores
`resumable`, `resumed_from` and ResumeExpired sees a leave and a fresh join, as
before; one that wants to keep the player's place holds it from the PeerLeft until
either comes. A peer that quit (netcode disconnect packets) or that the server
dropped is never resumable, and a secret is usable once: a wrong or replayed one
makes a fresh join.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import secrets
import select
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from engine.net.codec import clip_utf8
from engine.net.datagrams import Address, DatagramSocket, format_address
from engine.net.errors import ProtocolError
from engine.net.handshake import check_hello, unique_name
from engine.net.messages import (
    RESUME_SECONDS,
    Disconnect,
    DisconnectReason,
    Hello,
    Message,
    MessageTable,
    Reject,
    RejectReason,
    Welcome,
)
from engine.net.netcode import NetcodeServer
from engine.net.netcode.server import ClientConnected, ClientDisconnected, PayloadReceived
from engine.net.netcode.server import DisconnectReason as LinkReason
from engine.net.reliable import ChannelConfig
from engine.net.schema import NetSchema
from engine.net.session import SendQueueFull, Session, server_session
from engine.net.tickets import ticket_name

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 5.0
LINGER = 1.0
"""Seconds a leaving peer keeps its connection so a last Reject or Disconnect can arrive."""
SPARE_SLOTS = 4
"""Connections beyond max_peers, so a client of a full server hears why (a Reject)."""
ROUTE_PRUNE_EVERY = 10.0
"""Seconds between prunings of the socket each address was heard on: the routes of addresses
neither connected nor mid-handshake go (each datagram from a new address adds one, and a
server that runs for days hears from many)."""


@dataclass(eq=False)
class Peer:
    """One connected client, from its first packet to goodbye."""

    client_index: int  # its netcode slot
    address: Address
    session: Session
    connected_at: float
    ticket_name: str | None = None  # the name its ticket was issued to, if any
    name: str = ""
    joined: bool = False  # handshake accepted
    # The last snapshot tick the peer is known to hold (0: none): the baseline of its next
    # snapshot. Moved forward by ServerNet.acknowledge as the peer's acks come in.
    acked_tick: int = 0
    snapshots: dict[int, int] = field(default_factory=dict)  # unacked handle -> its tick
    full_state_handle: int | None = None  # a full state on its way (nothing newer until then)
    leaving: str | None = None  # reason, once the server decided to drop it
    left: bool = False  # PeerLeft was said
    resume: int = field(default=0, repr=False)  # the secret its Welcome gave (0 before)
    data: dict[str, object] = field(default_factory=dict)  # the game's per-peer state

    @property
    def client_id(self) -> int:
        """The id the Welcome gave it (its slot, counted from 1)."""
        return self.client_index + 1

    @property
    def where(self) -> str:
        return format_address(self.address)


@dataclass(frozen=True)
class PeerJoined:
    peer: Peer
    hello: Hello
    # The peer whose lost connection this one takes up (its Hello had its resume secret):
    # the same player, back within RESUME_SECONDS. None for a fresh join.
    resumed_from: Peer | None = None


M = TypeVar("M", bound=Message)


class FromPeer(Generic[M]):
    """A message a peer sent, as a world event keyed by the message's type.

    `FromPeer[PlayerEvent]` is a class of its own (made once, then cached), so
    `world.events.read(FromPeer[PlayerEvent])` yields only that message type's
    events: each command reaches exactly the systems that asked for it.
    """

    __slots__ = ("message", "peer")
    message_type: ClassVar[type[Message] | None] = None  # set on each FromPeer[T]
    _classes: ClassVar[dict[type, type]] = {}

    def __init__(self, peer: Peer, message: M) -> None:
        if type(message) is not self.message_type:
            raise TypeError(
                f"{type(self).__name__} cannot carry a {type(message).__name__}; "
                "use FromPeer[type(message)]"
            )
        self.peer = peer
        self.message = message

    def __class_getitem__(cls, message_type: Any) -> Any:
        if isinstance(message_type, TypeVar):  # FromPeer[M], in annotations
            return super().__class_getitem__(message_type)  # type: ignore[misc]
        if cls is not FromPeer:
            raise TypeError(f"{cls.__name__} already names its message type")
        made = FromPeer._classes.get(message_type)
        if made is None:
            if not (isinstance(message_type, type) and issubclass(message_type, Message)):
                raise TypeError(f"FromPeer[...] takes a Message type, not {message_type!r}")
            name = f"FromPeer[{message_type.__name__}]"
            made = type(
                name,
                (FromPeer,),
                {"__slots__": (), "message_type": message_type, "__qualname__": name},
            )
            FromPeer._classes[message_type] = made
        return made

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and other.peer is self.peer  # type: ignore[attr-defined]
            and other.message == self.message  # type: ignore[attr-defined]
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.peer.name or self.peer.where}, {self.message!r})"


@dataclass(frozen=True)
class PeerLeft:
    peer: Peer
    reason: str
    clean: bool  # the peer said goodbye itself
    # Its connection timed out: it may come back within RESUME_SECONDS (a PeerJoined with
    # `resumed_from` this peer), or ResumeExpired says it did not.
    resumable: bool = False


@dataclass(frozen=True)
class ResumeExpired:
    """A peer that left resumably did not come back in time: it is gone for good."""

    peer: Peer


ServerEvent = PeerJoined | FromPeer | PeerLeft | ResumeExpired


class NetServer:
    """Admits ticket holders, runs the handshake, queues and flushes messages."""

    def __init__(
        self,
        *,
        schema: NetSchema,
        key: bytes,
        protocol_id: int,
        public_addresses: Sequence[Address],
        welcome: Callable[[Peer], Welcome],
        now: float,
        sockets: Sequence[DatagramSocket] = (),
        mods: tuple[str, ...] = (),
        max_peers: int = 8,
        unix_time: Callable[[], float] = time.time,
        handshake_timeout: float = HANDSHAKE_TIMEOUT,
        channels: ChannelConfig | None = None,
        resume_seconds: float = RESUME_SECONDS,
    ) -> None:
        self.schema = schema
        self.channels = channels  # each peer's channel settings (None: the defaults)
        self.mods = mods
        self.max_peers = max_peers
        self.welcome = welcome
        self.handshake_timeout = handshake_timeout
        self.resume_seconds = resume_seconds  # 0: a lost connection is never taken up again
        self.link = NetcodeServer(
            protocol_id=protocol_id,
            private_key=key,
            public_addresses=public_addresses,
            max_clients=max_peers + SPARE_SLOTS,
            now=now,
            unix_time=unix_time,
        )
        self.sockets: list[DatagramSocket] = list(sockets)
        self.peers: list[Peer] = []
        self._by_index: dict[int, Peer] = {}
        self._route: dict[Address, DatagramSocket] = {}  # where each address was last heard
        self._route_pruned = now
        self._closing: dict[Peer, float] = {}  # leaving peers -> when their link is cut
        self._away: dict[Peer, float] = {}  # resumable peers -> when their place lapses
        self._now = now  # the latest time poll or flush was given
        self._events: list[ServerEvent] = []
        self.dropped = 0  # peers dropped for misbehaving or timing out
        self.joined_total = 0  # handshakes accepted over the server's life
        self.resumed_total = 0  # of which took up a lost connection
        # For monitoring, over the server's life: drops by kind ("timeout", "protocol",
        # "handshake_timeout", "send_buffer_full", "kicked"), handshakes refused by kind (a
        # RejectReason's name in lower case, or "draining"), datagrams and bytes through the
        # sockets. Kinds are a short fixed set, never a peer's words.
        self.drops: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()
        self.datagrams_in = self.datagrams_out = 0
        self.bytes_in = self.bytes_out = 0
        # False while draining: handshakes are refused (Reject FULL with `refusing`), so
        # nobody new gets in; everyone already in stays.
        self.admitting = True
        self.refusing = "the server is shutting down"

    def add_socket(self, sock: DatagramSocket) -> None:
        self.sockets.append(sock)

    def joined_peers(self) -> list[Peer]:
        return [p for p in self.peers if p.joined and not p.leaving]

    @property
    def handshakes_in_flight(self) -> int:
        """Connections under way: challenges out (netcode), and connected peers that have not
        finished the Hello/Welcome handshake."""
        waiting = sum(1 for p in self.peers if not p.joined and not p.leaving)
        return self.link.num_pending + waiting

    def away_peers(self) -> list[Peer]:
        """Peers whose connection timed out and who may still resume it."""
        return list(self._away)

    # -- inbound ---------------------------------------------------------------------------

    def poll(self, now: float) -> list[ServerEvent]:
        """Read every socket, run handshakes and timeouts. Returns what happened."""
        self._now = now
        link = self.link
        if now - self._route_pruned >= ROUTE_PRUNE_EVERY:  # before this poll's arrivals
            self._route_pruned = now
            self._route = {a: s for a, s in self._route.items() if link.knows(a)}
        for sock in self.sockets:
            for datagram, address in sock.receive(now):
                self._route[address] = sock
                self.datagrams_in += 1
                self.bytes_in += len(datagram)
                link.receive(datagram, address, now)
        link.update(now)
        for event in link.events():
            if isinstance(event, PayloadReceived):
                peer = self._by_index.get(event.client_index)
                if peer is not None and not peer.leaving:
                    self._read(peer, event.data, now)
            elif isinstance(event, ClientConnected):
                self._connected(event, now)
            elif isinstance(event, ClientDisconnected):
                peer = self._by_index.pop(event.client_index, None)
                if peer is not None:
                    self._closing.pop(peer, None)
                    clean = event.reason == LinkReason.CLIENT_DISCONNECTED
                    # Silence, not a goodbye nor the server's decision: its player may be back.
                    resumable = event.reason == LinkReason.TIMED_OUT and not peer.leaving
                    reason = "quit" if clean else str(event.reason)
                    self._leave(peer, reason, clean=clean, resumable=resumable)
                    if not clean:
                        self._dropped("timeout")
        for peer, lapses in list(self._away.items()):
            if now >= lapses:
                del self._away[peer]
                log.info("%s did not come back in %g s", peer.name, self.resume_seconds)
                self._events.append(ResumeExpired(peer))
        late = now - self.handshake_timeout
        for peer in self.peers:
            if not peer.joined and not peer.leaving and peer.connected_at < late:
                reject = Reject(RejectReason.PROTOCOL, "no handshake in time")
                self._reject(peer, reject, now, refusal=None)
                self._dropped("handshake_timeout")
        self._send_link_datagrams(now)
        self._reap()
        events, self._events = self._events, []
        return events

    def _connected(self, event: ClientConnected, now: float) -> None:
        peer = Peer(
            event.client_index,
            event.address,
            server_session(self.schema.messages, now, config=self.channels),
            now,
            ticket_name(event.user_data),
        )
        self._by_index[event.client_index] = peer
        self.peers.append(peer)
        log.debug("client %d connected from %s", peer.client_id, peer.where)

    def _read(self, peer: Peer, payload: bytes, now: float) -> None:
        try:
            messages = peer.session.receive(payload, now)
        except ProtocolError as error:
            self.drop(peer, f"protocol error: {error}", DisconnectReason.PROTOCOL, now=now)
            return
        for message in messages:
            if peer.leaving:
                return
            if isinstance(message, Hello):
                if peer.joined:
                    self.drop(
                        peer, "protocol error: second Hello", DisconnectReason.PROTOCOL, now=now
                    )
                    return
                self._handshake(peer, message, now)
            else:
                self._events.append(FromPeer[type(message)](peer, message))

    def _handshake(self, peer: Peer, hello: Hello, now: float) -> None:
        if peer.ticket_name:  # the ticket's issuer vouched for this name: it wins
            hello = dataclasses.replace(hello, name=peer.ticket_name)
        old = self._resumes(hello.resume)
        if old is not None:  # the secret proves who this is: the name it had is kept
            hello = dataclasses.replace(hello, name=old.name)
        # Away peers keep their room and their name until they come back or lapse.
        if not self.admitting:
            self._reject(peer, Reject(RejectReason.FULL, self.refusing), now, refusal="draining")
            return
        present = [p for p in (*self.joined_peers(), *self._away) if p is not old]
        reject = check_hello(
            hello,
            schema=self.schema.hash(),
            mods=self.mods,
            full=len(present) >= self.max_peers,
        )
        if reject is not None:
            self._reject(peer, reject, now)
            return
        if old is not None:
            if self._away.pop(old, None) is None:
                # It still looked connected here (its silence not yet timed out): that
                # connection is dead, its client is this one. It leaves as a timeout would.
                self._close(old, "resumed from another connection", now)
                self._leave(old, "resumed from another connection", clean=False, resumable=True)
                self._away.pop(old, None)
            self.resumed_total += 1
        # A name another player goes by gets a number; a comeback's is still its own.
        peer.name = unique_name(hello.name, [p.name for p in present])
        peer.joined = True
        peer.resume = secrets.randbits(64) or 1
        self.joined_total += 1
        welcome = self.welcome(peer)
        self.send(peer, dataclasses.replace(welcome, resume=peer.resume, resumed=old is not None))
        if old is None:
            log.info("%s joined from %s as client %d", peer.name, peer.where, peer.client_id)
            if peer.name != hello.name:
                log.info("%r was taken: the newcomer plays as %r", hello.name, peer.name)
        else:
            log.info("%s resumed from %s as client %d", peer.name, peer.where, peer.client_id)
        self._events.append(PeerJoined(peer, hello, resumed_from=old))

    def _resumes(self, secret: int) -> Peer | None:
        """The away (or still connected) peer whose secret this is, if any. Every candidate
        is compared, each in constant time: how long it takes tells nothing of the secrets."""
        if not secret or not 0 < secret < 2**64:
            return None
        wanted = secret.to_bytes(8, "little")
        found = None
        for candidate in (*self._away, *self.joined_peers()):
            mine = candidate.resume.to_bytes(8, "little")
            if hmac.compare_digest(mine, wanted) and candidate.resume:
                found = candidate
        return found

    def _reject(self, peer: Peer, reject: Reject, now: float, *, refusal: str | None = "") -> None:
        """Refuse the peer's handshake, counted in `refusals` under `refusal` (by default
        the reason's name; None: not a refusal but a drop, counted by the caller)."""
        kind = reject.reason.name.lower()
        log.info("rejected %s: %s (%s)", peer.where, kind, reject.detail)
        if refusal is not None:
            self.refusals[refusal or kind] += 1
        self.send(peer, reject)
        self._close(peer, f"rejected: {reject.detail}", now)

    # -- leaving ---------------------------------------------------------------------------

    def drop(
        self,
        peer: Peer,
        reason: str,
        code: DisconnectReason = DisconnectReason.KICKED,
        *,
        now: float | None = None,
    ) -> None:
        """Remove a peer now, telling it why (it has LINGER seconds to hear it, counted from
        `now`, or from the server's latest poll or flush)."""
        if peer.leaving:
            return
        log.warning("dropping %s (%s): %s", peer.name or "peer", peer.where, reason)
        self._dropped(code.name.lower())
        self.send(peer, Disconnect(code, clip_utf8(reason, 255)))
        self._close(peer, reason, self._now if now is None else now)
        self._leave(peer, reason, clean=False)

    def _dropped(self, kind: str) -> None:
        self.dropped += 1
        self.drops[kind] += 1

    def _close(self, peer: Peer, reason: str, now: float) -> None:
        """Stop reading the peer; cut its link once its last messages are through."""
        peer.leaving = peer.leaving or reason
        self._closing[peer] = now + LINGER

    def _leave(self, peer: Peer, reason: str, *, clean: bool, resumable: bool = False) -> None:
        peer.leaving = peer.leaving or reason
        if peer.joined and not peer.left:
            peer.left = True
            resumable = resumable and self.resume_seconds > 0
            if resumable:
                self._away[peer] = self._now + self.resume_seconds
                log.info("%s left: %s (resumable)", peer.name, reason)
            else:
                log.info("%s left: %s", peer.name, reason)
            self._events.append(PeerLeft(peer, reason, clean, resumable))

    def _reap(self) -> None:
        self.peers = [p for p in self.peers if not p.leaving or p in self._closing]

    # -- outbound --------------------------------------------------------------------------

    def send(self, peer: Peer, message: Message) -> int | None:
        """Queue `message` for `peer`; its handle (for acks of unreliable messages). None,
        and nothing sent, once the peer is leaving: its last message was its Reject or
        Disconnect."""
        if peer.leaving:
            return None
        try:
            return peer.session.send(message)
        except SendQueueFull:
            self._overflowed(peer)
            return None

    def send_encoded(self, peer: Peer, payload: bytes, *, reliable: bool = True) -> int | None:
        if peer.leaving:
            return None
        try:
            return peer.session.send_encoded(payload, reliable=reliable)
        except SendQueueFull:
            self._overflowed(peer)
            return None

    def _overflowed(self, peer: Peer) -> None:
        reason = "send buffer full (peer not reading)"
        log.warning("dropping %s (%s): %s", peer.name or "peer", peer.where, reason)
        self._dropped("send_buffer_full")
        self._closing[peer] = -1.0  # nothing more can reach it: cut at the next flush
        self._leave(peer, reason, clean=False)

    def broadcast(self, message: Message, *, exclude: Peer | None = None) -> None:
        """Send to every joined peer (but `exclude`), encoded once."""
        payload = None
        spec = self.sends.by_type.get(type(message))
        reliable = spec.reliable if spec is not None else True
        for peer in self.joined_peers():
            if peer is exclude:
                continue
            if payload is None:
                payload = self.sends.encode(message)
            self.send_encoded(peer, payload, reliable=reliable)

    @property
    def sends(self) -> MessageTable:
        """What the server may send (to encode a message once for many peers)."""
        return self.schema.messages.to_client

    def flush(self, now: float) -> None:
        """Packets of every peer's queued messages (and resends and acks) onto the wire."""
        self._now = now
        link = self.link
        for peer in self.peers:
            if peer.leaving and peer not in self._closing:
                continue
            for payload in peer.session.payloads(now):
                link.send_payload(peer.client_index, payload, now)
        for peer, deadline in list(self._closing.items()):
            if now >= deadline or not peer.session.channels.reliable_pending:
                del self._closing[peer]
                self._by_index.pop(peer.client_index, None)
                link.disconnect(peer.client_index, now)
        self._send_link_datagrams(now)
        self._reap()

    def _send_link_datagrams(self, now: float) -> None:
        route = self._route
        fallback = self.sockets[0] if self.sockets else None
        for datagram, address in self.link.datagrams():
            sock = route.get(address, fallback)
            if sock is not None:
                self.datagrams_out += 1
                self.bytes_out += len(datagram)
                sock.send_to(datagram, address, now)

    def wait(self, timeout: float) -> bool:
        """Sleep until a socket is readable or `timeout` passes (the server's idle); True if
        something arrived."""
        fds = [fd for sock in self.sockets for fd in sock.filenos()]
        if not fds or timeout <= 0:
            return False
        readable, _, _ = select.select(fds, [], [], timeout)
        return bool(readable)

    def close(self, now: float, detail: str = "server shutting down") -> None:
        for peer in self.joined_peers():
            self.send(peer, Disconnect(DisconnectReason.SHUTDOWN, detail))
        for peer in self.peers:
            for payload in peer.session.payloads(now):
                self.link.send_payload(peer.client_index, payload, now)
            peer.leaving = peer.leaving or detail
        self.link.disconnect_all(now)
        self._send_link_datagrams(now)
        self.peers.clear()
        self._by_index.clear()
        self._closing.clear()
        self._away.clear()
        for sock in self.sockets:
            sock.close()
