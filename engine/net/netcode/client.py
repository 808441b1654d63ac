"""A netcode 1.02 client, sans-I/O: the standard's state machine over datagrams and a clock.

Per tick the caller feeds datagrams from the server to `receive(data, address, now)`,
calls `update(now)`, drains `events()` and sends each `(bytes, address)` of `datagrams()`.
Nothing a peer sends raises out of this object; ignored datagrams are counted in
`stats.ignored` by reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import IntEnum

from engine.net.netcode.addresses import Address, AddressError, normalize
from engine.net.netcode.constants import (
    MAX_PAYLOAD_BYTES,
    NUM_DISCONNECT_PACKETS,
    PACKET_SEND_RATE,
)
from engine.net.netcode.packets import (
    CLIENT_ACCEPTS,
    Challenge,
    ConnectionRequest,
    Denied,
    Disconnect,
    KeepAlive,
    Packet,
    Payload,
    Response,
    read_packet,
    write_connection_request,
    write_packet,
)
from engine.net.netcode.replay import ReplayProtection
from engine.net.netcode.stats import IgnoredCounter
from engine.net.netcode.tokens import ConnectToken, TokenError

log = logging.getLogger(__name__)

SEND_INTERVAL = 1.0 / PACKET_SEND_RATE


class ClientState(IntEnum):
    """The standard's values: negative are errors, 0 the start, 3 the goal."""

    CONNECT_TOKEN_EXPIRED = -6
    INVALID_CONNECT_TOKEN = -5
    CONNECTION_TIMED_OUT = -4
    CONNECTION_RESPONSE_TIMED_OUT = -3
    CONNECTION_REQUEST_TIMED_OUT = -2
    CONNECTION_DENIED = -1
    DISCONNECTED = 0
    SENDING_CONNECTION_REQUEST = 1
    SENDING_CONNECTION_RESPONSE = 2
    CONNECTED = 3


@dataclass(frozen=True, slots=True)
class Connected:
    client_index: int
    max_clients: int


@dataclass(frozen=True, slots=True)
class PayloadReceived:
    data: bytes


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The client stopped: `state` is DISCONNECTED or the error state that ended it."""

    state: ClientState


ClientEvent = Connected | PayloadReceived | Disconnected

_CONNECTING = (ClientState.SENDING_CONNECTION_REQUEST, ClientState.SENDING_CONNECTION_RESPONSE)


class NetcodeClient:
    """Connects with one connect token, trying its server addresses in order.

    `token` may be the 2048 token bytes: unreadable bytes end in INVALID_CONNECT_TOKEN at
    `connect()`, as the standard asks, rather than raising.
    """

    def __init__(self, token: ConnectToken | bytes, *, now: float) -> None:
        self._token_input = token
        self._token: ConnectToken | None = None
        self.state = ClientState.DISCONNECTED
        self.client_index = 0
        self.max_clients = 0
        self.stats = IgnoredCounter(log)
        self._now = now
        self._sequence = 0  # never reset: every server in a token shares its keys (nonces)
        self._server_index = 0
        self._server_address: Address | None = None
        self._connect_start = now
        self._last_send = float("-inf")
        self._last_receive = now
        self._request: bytes = b""
        self._challenge: Challenge | None = None
        self._replay = ReplayProtection()
        self._events: list[ClientEvent] = []
        self._datagrams: list[tuple[bytes, Address]] = []

    # -- what the caller drains -------------------------------------------------------

    def events(self) -> list[ClientEvent]:
        events, self._events = self._events, []
        return events

    def datagrams(self) -> list[tuple[bytes, Address]]:
        datagrams, self._datagrams = self._datagrams, []
        return datagrams

    @property
    def server_address(self) -> Address | None:
        """The server being tried or connected to (None when not connecting)."""
        return self._server_address

    # -- control ----------------------------------------------------------------------

    def connect(self, now: float) -> None:
        """Start connecting to the token's first server (restarts a running connection)."""
        self.disconnect(now)
        try:
            token = self._token_input
            if not isinstance(token, ConnectToken):
                token = ConnectToken.from_bytes(token)
            token.validate()
        except TokenError as err:
            log.info("connect token refused: %s", err)
            self._finish(ClientState.INVALID_CONNECT_TOKEN)
            return
        self._token = token
        self._request = write_connection_request(
            ConnectionRequest(
                token.protocol_id, token.expire_timestamp, token.nonce, token.private_data
            )
        )
        self._connect_start = now
        self._server_index = 0
        self._try_server(now)

    def disconnect(self, now: float) -> None:
        """Send redundant disconnect packets and stop (no-op unless connecting or connected)."""
        self._now = now
        if self.state <= ClientState.DISCONNECTED:
            return
        for _ in range(NUM_DISCONNECT_PACKETS):
            self._send(Disconnect())
        self._finish(ClientState.DISCONNECTED)

    def send_payload(self, data: bytes, now: float) -> bool:
        """Send 1..1200 bytes to the server; False (nothing sent) unless connected."""
        if not 1 <= len(data) <= MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload is {len(data)} bytes, not 1..{MAX_PAYLOAD_BYTES}")
        if self.state != ClientState.CONNECTED:
            return False
        self._now = now
        self._send(Payload(bytes(data)))
        return True

    def update(self, now: float) -> None:
        """Expire the token, time out, fall back to the next server, and resend at 10 Hz."""
        self._now = now
        token = self._token
        if token is None or self.state <= ClientState.DISCONNECTED:
            return
        # the whole attempt, across every server, gets the token's lifetime
        lifetime = token.expire_timestamp - token.create_timestamp
        if self.state in _CONNECTING and now - self._connect_start >= lifetime:
            self._finish(ClientState.CONNECT_TOKEN_EXPIRED)
            return
        timeout = token.timeout_seconds
        if timeout > 0 and self._last_receive + timeout < now:
            if self.state == ClientState.SENDING_CONNECTION_REQUEST:
                self._fail(ClientState.CONNECTION_REQUEST_TIMED_OUT)
            elif self.state == ClientState.SENDING_CONNECTION_RESPONSE:
                self._fail(ClientState.CONNECTION_RESPONSE_TIMED_OUT)
            else:
                self._finish(ClientState.CONNECTION_TIMED_OUT)
            return
        self._send_due(now)

    # -- input ------------------------------------------------------------------------

    def receive(self, datagram: bytes, address: Address, now: float) -> None:
        """Process one datagram. Never raises for anything in `datagram`."""
        self._now = now
        token = self._token
        if token is None or self.state <= ClientState.DISCONNECTED:
            self.stats.ignore("not connecting", address)
            return
        try:
            source = normalize(address)
        except AddressError as err:
            self.stats.ignore(f"bad source address ({err})", address)
            return
        if source != self._server_address:
            self.stats.ignore("not from the server", address)
            return
        packet = read_packet(
            bytes(datagram),
            protocol_id=token.protocol_id,
            key_for=lambda _type: token.server_to_client_key,
            replay=self._replay,
            allowed=CLIENT_ACCEPTS,
            on_ignore=lambda reason: self.stats.ignore(reason, address),
        )
        if packet is not None:
            self._dispatch(packet, now)

    def _dispatch(self, packet: Packet, now: float) -> None:
        state = self.state
        if isinstance(packet, Denied) and state in _CONNECTING:
            self._last_receive = now
            self._fail(ClientState.CONNECTION_DENIED)
        elif isinstance(packet, Challenge) and state == ClientState.SENDING_CONNECTION_REQUEST:
            self._last_receive = now
            self._challenge = packet
            self.state = ClientState.SENDING_CONNECTION_RESPONSE
            self._last_send = float("-inf")
            self._send_due(now)  # answer at once rather than at the next tick
        elif isinstance(packet, KeepAlive) and state == ClientState.CONNECTED:
            self._last_receive = now
        elif isinstance(packet, KeepAlive) and state == ClientState.SENDING_CONNECTION_RESPONSE:
            self._last_receive = now
            self.client_index, self.max_clients = packet.client_index, packet.max_clients
            self.state = ClientState.CONNECTED
            log.debug("connected to %s as client %d", self._server_address, self.client_index)
            self._events.append(Connected(self.client_index, self.max_clients))
        elif isinstance(packet, Payload) and state == ClientState.CONNECTED:
            self._last_receive = now
            self._events.append(PayloadReceived(packet.data))
        elif isinstance(packet, Disconnect) and state == ClientState.CONNECTED:
            self._finish(ClientState.DISCONNECTED)
        else:
            self.stats.ignore(f"{packet.type.name} while {state.name}", self._server_address)

    # -- internals --------------------------------------------------------------------

    def _try_server(self, now: float) -> None:
        assert self._token is not None
        self._server_address = self._token.server_addresses[self._server_index]
        self._last_receive = now
        self._last_send = float("-inf")
        self._challenge = None
        self._replay.reset()
        self.state = ClientState.SENDING_CONNECTION_REQUEST
        log.debug(
            "connecting to %s [%d/%d]",
            self._server_address,
            self._server_index + 1,
            len(self._token.server_addresses),
        )
        self._send_due(now)

    def _fail(self, error: ClientState) -> None:
        """A failed attempt: the next server in the token if there is one, else `error`."""
        assert self._token is not None
        if self._server_index + 1 < len(self._token.server_addresses):
            log.info("%s from %s; trying the next server", error.name, self._server_address)
            self._server_index += 1
            self._try_server(self._now)
        else:
            self._finish(error)

    def _finish(self, state: ClientState) -> None:
        log.debug("client stopped: %s", state.name)
        self.state = state
        self.client_index = 0
        self.max_clients = 0
        self._server_address = None
        self._challenge = None
        self._events.append(Disconnected(state))

    def _send_due(self, now: float) -> None:
        if self._last_send + SEND_INTERVAL > now:
            return
        if self.state == ClientState.SENDING_CONNECTION_REQUEST:
            assert self._server_address is not None
            self._datagrams.append((self._request, self._server_address))
            self._last_send = now
        elif self.state == ClientState.SENDING_CONNECTION_RESPONSE:
            assert self._challenge is not None
            self._send(Response(self._challenge.token_sequence, self._challenge.token_data))
        elif self.state == ClientState.CONNECTED:
            self._send(KeepAlive(0, 0))

    def _send(self, packet: Packet) -> None:
        assert self._token is not None and self._server_address is not None
        data = write_packet(
            packet, self._sequence, self._token.client_to_server_key, self._token.protocol_id
        )
        self._sequence += 1
        self._last_send = self._now
        self._datagrams.append((data, self._server_address))
