"""A netcode 1.02 server, sans-I/O: datagrams and the time in, events and datagrams out.

The caller owns the socket and the clocks. Per tick it feeds every datagram to
`receive(data, address, now)`, calls `update(now)`, then drains `events()` and sends
everything in `datagrams()`. Nothing a peer sends can raise out of this object: bad
datagrams are ignored, counted in `stats.ignored` by reason and logged at debug.

Amplification: a server must never answer an address that has not proved it receives
there with more bytes than it sent. The only packets sent to such an address are the
challenge (333 bytes) and denied (18 bytes), each in reply to a verified connect token in
a 1078-byte request, or denied in reply to a >= 326-byte response; `_send_global` checks
the reply is no larger than the datagram it answers and drops it otherwise. A full server
answers Denied only after the token opened, so random bytes get no answer at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from engine.net.netcode import crypto
from engine.net.netcode.addresses import Address, AddressError, normalize
from engine.net.netcode.constants import (
    KEY_BYTES,
    MAX_PAYLOAD_BYTES,
    NUM_DISCONNECT_PACKETS,
    PACKET_SEND_RATE,
    SERVER_GLOBAL_SEQUENCE_START,
)
from engine.net.netcode.mappings import EncryptionMapping, EncryptionMappings, TokenHistory
from engine.net.netcode.packets import (
    SERVER_ACCEPTS,
    Challenge,
    Denied,
    Disconnect,
    KeepAlive,
    Packet,
    PacketType,
    Payload,
    Response,
    read_connection_request,
    read_packet,
    write_packet,
)
from engine.net.netcode.replay import ReplayProtection
from engine.net.netcode.stats import IgnoredCounter
from engine.net.netcode.tokens import ChallengeToken, TokenError

log = logging.getLogger(__name__)

SEND_INTERVAL = 1.0 / PACKET_SEND_RATE


class DisconnectReason(StrEnum):
    TIMED_OUT = "timed out"
    CLIENT_DISCONNECTED = "client disconnected"
    SERVER_DISCONNECTED = "server disconnected"


@dataclass(frozen=True, slots=True)
class ClientConnected:
    client_index: int
    client_id: int
    address: Address
    user_data: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class PayloadReceived:
    client_index: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ClientDisconnected:
    client_index: int
    reason: str


ServerEvent = ClientConnected | PayloadReceived | ClientDisconnected


@dataclass(slots=True)
class _Slot:
    """One connected client: its keys, its outgoing sequence and what it has proved."""

    client_id: int
    address: Address
    user_data: bytes
    send_key: bytes
    receive_key: bytes
    timeout: int
    last_send: float
    last_receive: float
    sequence: int = 0
    confirmed: bool = False
    replay: ReplayProtection = field(default_factory=ReplayProtection)


class NetcodeServer:
    """Client slots 0..max_clients-1 behind the standard's connection process.

    `public_addresses` are the addresses this server answers to (a token must name one).
    `unix_time()` is the wall clock, read only to check connect token expiry; `now` in
    every call is a monotonic clock in seconds for timeouts and send rates.
    """

    def __init__(
        self,
        *,
        protocol_id: int,
        private_key: bytes,
        public_addresses: Sequence[Address],
        max_clients: int,
        now: float,
        unix_time: Callable[[], float],
        max_pending: int | None = None,
        token_history: int | None = None,
    ) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        if len(private_key) != KEY_BYTES:
            raise ValueError(f"private key must be {KEY_BYTES} bytes")
        if not public_addresses:
            raise ValueError("a server needs at least one public address")
        self.protocol_id = protocol_id
        self.max_clients = max_clients
        self.public_addresses = tuple(normalize(a) for a in public_addresses)
        self.stats = IgnoredCounter(log)
        self.denied = 0  # connection requests and responses answered Denied (server full)
        self._private_key = bytes(private_key)
        self._unix_time = unix_time
        self._now = now
        # a fresh challenge key per server start: challenge tokens from an earlier run (or
        # another server) never open here
        self._challenge_key = crypto.new_key()
        self._challenge_sequence = 0
        self._global_sequence = SERVER_GLOBAL_SEQUENCE_START
        self._slots: list[_Slot | None] = [None] * max_clients
        self._by_address: dict[Address, int] = {}
        self._by_id: dict[int, int] = {}
        self._pending = EncryptionMappings(max_pending or max_clients * 4)
        self._history = TokenHistory(token_history or max(256, max_clients * 8))
        self._events: list[ServerEvent] = []
        self._datagrams: list[tuple[bytes, Address]] = []

    # -- what the caller drains -------------------------------------------------------

    def add_public_address(self, address: Address) -> None:
        """Answer tokens naming `address` too (one of this host's, learned later: the
        address a ticket endpoint was reached at)."""
        address = normalize(address)
        if address not in self.public_addresses:
            self.public_addresses += (address,)

    def events(self) -> list[ServerEvent]:
        events, self._events = self._events, []
        return events

    def datagrams(self) -> list[tuple[bytes, Address]]:
        datagrams, self._datagrams = self._datagrams, []
        return datagrams

    # -- queries ----------------------------------------------------------------------

    @property
    def num_connected_clients(self) -> int:
        return len(self._by_address)

    @property
    def num_pending(self) -> int:
        """Handshakes under way (encryption mappings held), for tests and monitoring."""
        return len(self._pending)

    def knows(self, address: Address) -> bool:
        """Whether `address` is connected or mid-handshake (a caller's routes to it matter)."""
        try:
            address = normalize(address)
        except AddressError:
            return False
        return address in self._by_address or self._pending.find(address, self._now) is not None

    def connected_clients(self) -> tuple[int, ...]:
        return tuple(i for i, slot in enumerate(self._slots) if slot is not None)

    def is_connected(self, client_index: int) -> bool:
        return self._slot(client_index) is not None

    def client_address(self, client_index: int) -> Address | None:
        slot = self._slot(client_index)
        return None if slot is None else slot.address

    def client_id(self, client_index: int) -> int | None:
        slot = self._slot(client_index)
        return None if slot is None else slot.client_id

    def client_user_data(self, client_index: int) -> bytes | None:
        slot = self._slot(client_index)
        return None if slot is None else slot.user_data

    def _slot(self, client_index: int) -> _Slot | None:
        if not 0 <= client_index < self.max_clients:
            return None
        return self._slots[client_index]

    # -- input ------------------------------------------------------------------------

    def receive(self, datagram: bytes, address: Address, now: float) -> None:
        """Process one datagram from `address`. Never raises for anything in `datagram`."""
        self._now = now
        try:
            address = normalize(address)
        except AddressError as err:
            self.stats.ignore(f"bad source address ({err})", address)
            return
        data = bytes(datagram)
        if not data:
            self.stats.ignore("empty datagram", address)
            return
        if data[0] == PacketType.REQUEST:
            self._on_request(data, address)
            return

        index = self._by_address.get(address)
        slot = None if index is None else self._slots[index]
        mapping = self._pending.find(address, now) if slot is None else None
        if slot is not None:
            key, replay = slot.receive_key, slot.replay
        else:
            key, replay = (None if mapping is None else mapping.receive_key), None
        packet = read_packet(
            data,
            protocol_id=self.protocol_id,
            key_for=lambda _type: key,
            replay=replay,
            allowed=SERVER_ACCEPTS,
            on_ignore=lambda reason: self.stats.ignore(reason, address),
        )
        if packet is None:
            return
        if mapping is not None:
            mapping.last_access = now
        self._dispatch(packet, address, index, mapping, len(data))

    def _dispatch(
        self,
        packet: Packet,
        address: Address,
        index: int | None,
        mapping: EncryptionMapping | None,
        size: int,
    ) -> None:
        if isinstance(packet, Response):
            self._on_response(packet, address, mapping, size)
            return
        if index is None:
            self.stats.ignore(f"{packet.type.name} from an address not connected", address)
            return
        slot = self._slots[index]
        assert slot is not None
        if isinstance(packet, KeepAlive):
            slot.last_receive = self._now
            slot.confirmed = True
        elif isinstance(packet, Payload):
            slot.last_receive = self._now
            slot.confirmed = True
            self._events.append(PayloadReceived(index, packet.data))
        elif isinstance(packet, Disconnect):
            self._drop(index, DisconnectReason.CLIENT_DISCONNECTED, send=False)

    def _on_request(self, data: bytes, address: Address) -> None:
        def ignore(reason: str) -> None:
            self.stats.ignore(reason, address)

        result = read_connection_request(
            data,
            protocol_id=self.protocol_id,
            private_key=self._private_key,
            now_unix=int(self._unix_time()),
            on_ignore=ignore,
        )
        if result is None:
            return
        request, token = result
        if not any(a in self.public_addresses for a in token.server_addresses):
            return ignore("request: token does not name this server")
        if address in self._by_address:
            return ignore("request: address already connected")
        if token.client_id in self._by_id:
            return ignore("request: client id already connected")
        if not self._history.use(request.token_mac, address):
            return ignore("request: token already used from another address")
        if self.num_connected_clients >= self.max_clients:
            self.denied += 1
            self._send_global(Denied(), address, token.server_to_client_key, len(data))
            return
        self._pending.add(
            address,
            send_key=token.server_to_client_key,
            receive_key=token.client_to_server_key,
            timeout=token.timeout_seconds,
            now=self._now,
        )
        sealed = ChallengeToken(token.client_id, token.user_data).encrypt(
            sequence=self._challenge_sequence, key=self._challenge_key
        )
        challenge = Challenge(self._challenge_sequence, sealed)
        self._challenge_sequence += 1
        self._send_global(challenge, address, token.server_to_client_key, len(data))

    def _on_response(
        self, packet: Response, address: Address, mapping: EncryptionMapping | None, size: int
    ) -> None:
        try:
            challenge = ChallengeToken.decrypt(
                packet.token_data, sequence=packet.token_sequence, key=self._challenge_key
            )
        except TokenError:
            self.stats.ignore("response: challenge token does not decrypt", address)
            return
        if address in self._by_address:
            self.stats.ignore("response: address already connected", address)
            return
        if mapping is None:  # unreachable: without a mapping the packet had no key to open
            self.stats.ignore("response: no handshake under way", address)
            return
        if challenge.client_id in self._by_id:
            self.stats.ignore("response: client id already connected", address)
            return
        if self.num_connected_clients >= self.max_clients:
            self.denied += 1
            self._send_global(Denied(), address, mapping.send_key, size)
            return
        index = self._slots.index(None)
        self._slots[index] = _Slot(
            client_id=challenge.client_id,
            address=address,
            user_data=challenge.user_data,
            send_key=mapping.send_key,
            receive_key=mapping.receive_key,
            timeout=mapping.timeout,
            last_send=self._now,
            last_receive=self._now,
        )
        self._by_address[address] = index
        self._by_id[challenge.client_id] = index
        self._pending.remove(address)
        log.debug("client %d (id %x) connected from %s", index, challenge.client_id, address)
        connected = ClientConnected(index, challenge.client_id, address, challenge.user_data)
        self._events.append(connected)
        self._send_client(index, KeepAlive(index, self.max_clients))

    # -- output -----------------------------------------------------------------------

    def _send_global(self, packet: Packet, address: Address, key: bytes, reply_to: int) -> None:
        """Send to an address not yet verified, from the global sequence, never larger than
        the datagram it answers (no amplification)."""
        data = write_packet(packet, self._global_sequence, key, self.protocol_id)
        self._global_sequence += 1
        if len(data) > reply_to:
            log.warning("not sending %d bytes in reply to %d from %s", len(data), reply_to, address)
            return
        self._datagrams.append((data, address))

    def _send_client(self, index: int, packet: Packet) -> None:
        slot = self._slots[index]
        assert slot is not None
        data = write_packet(packet, slot.sequence, slot.send_key, self.protocol_id)
        slot.sequence += 1
        slot.last_send = self._now
        self._datagrams.append((data, slot.address))

    def send_payload(self, client_index: int, payload: bytes, now: float) -> bool:
        """Queue `payload` (1..1200 bytes) for a connected client; False if none is there.

        Until the client has confirmed (sent a keep-alive or payload), each payload follows
        a keep-alive, which carries the client index a client needs to finish connecting.
        """
        if not 1 <= len(payload) <= MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is {len(payload)} bytes, not 1..{MAX_PAYLOAD_BYTES}")
        slot = self._slot(client_index)
        if slot is None:
            return False
        self._now = now
        if not slot.confirmed:
            self._send_client(client_index, KeepAlive(client_index, self.max_clients))
        self._send_client(client_index, Payload(bytes(payload)))
        return True

    def update(self, now: float) -> None:
        """Time out silent clients, send keep-alives to idle ones, forget stale handshakes."""
        self._now = now
        for index, slot in enumerate(self._slots):
            if slot is None:
                continue
            if slot.timeout > 0 and slot.last_receive + slot.timeout <= now:
                self._drop(index, DisconnectReason.TIMED_OUT, send=False)
            elif slot.last_send + SEND_INTERVAL <= now:
                self._send_client(index, KeepAlive(index, self.max_clients))
        self._pending.purge(now)

    def disconnect(self, client_index: int, now: float) -> None:
        """Send the client redundant disconnect packets and free its slot (no-op if empty)."""
        self._now = now
        if self._slot(client_index) is not None:
            self._drop(client_index, DisconnectReason.SERVER_DISCONNECTED, send=True)

    def disconnect_all(self, now: float) -> None:
        for index in self.connected_clients():
            self.disconnect(index, now)

    def _drop(self, index: int, reason: DisconnectReason, *, send: bool) -> None:
        slot = self._slots[index]
        assert slot is not None
        if send:
            for _ in range(NUM_DISCONNECT_PACKETS):
                self._send_client(index, Disconnect())
        self._slots[index] = None
        del self._by_address[slot.address]
        del self._by_id[slot.client_id]
        self._pending.remove(slot.address)
        log.debug("client %d (id %x) disconnected: %s", index, slot.client_id, reason)
        self._events.append(ClientDisconnected(index, str(reason)))
