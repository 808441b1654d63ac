"""The seven netcode packets: one value type each, a writer, and readers that follow the
standard's read order exactly and ignore (return None) rather than raise.

Every reader reports why it ignored a datagram through an optional `on_ignore(reason)`
callback, so servers can count and log the reasons without the codec knowing about either.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from engine.net.netcode import crypto
from engine.net.netcode.constants import (
    CHALLENGE_TOKEN_BYTES,
    CONNECT_TOKEN_NONCE_BYTES,
    CONNECT_TOKEN_PRIVATE_BYTES,
    CONNECTION_REQUEST_BYTES,
    MAC_BYTES,
    MAX_PAYLOAD_BYTES,
    MIN_ENCRYPTED_PACKET_BYTES,
    UINT64_MAX,
    VERSION_INFO,
)
from engine.net.netcode.replay import ReplayProtection
from engine.net.netcode.tokens import PrivateToken, TokenError, open_private_token

_U64 = struct.Struct("<Q")
_REQUEST_HEAD = struct.Struct(f"<B{len(VERSION_INFO)}sQQ{CONNECT_TOKEN_NONCE_BYTES}s")
_KEEP_ALIVE = struct.Struct("<II")
_CHALLENGE_BODY_BYTES = 8 + CHALLENGE_TOKEN_BYTES


class PacketType(IntEnum):
    REQUEST = 0
    DENIED = 1
    CHALLENGE = 2
    RESPONSE = 3
    KEEP_ALIVE = 4
    PAYLOAD = 5
    DISCONNECT = 6


REPLAY_PROTECTED = frozenset({PacketType.KEEP_ALIVE, PacketType.PAYLOAD, PacketType.DISCONNECT})
"""The standard applies replay protection to these only: the handshake packets are
idempotent, and challenge and denied packets come from the server's global sequence."""

SERVER_ACCEPTS = frozenset(
    {
        PacketType.REQUEST,
        PacketType.RESPONSE,
        PacketType.KEEP_ALIVE,
        PacketType.PAYLOAD,
        PacketType.DISCONNECT,
    }
)
CLIENT_ACCEPTS = frozenset(
    {
        PacketType.DENIED,
        PacketType.CHALLENGE,
        PacketType.KEEP_ALIVE,
        PacketType.PAYLOAD,
        PacketType.DISCONNECT,
    }
)


@dataclass(frozen=True, slots=True)
class ConnectionRequest:
    """Sent in the clear: the connect token's sealed part and what its AEAD data binds."""

    type: ClassVar[PacketType] = PacketType.REQUEST
    protocol_id: int
    expire_timestamp: int
    nonce: bytes
    private_data: bytes

    @property
    def token_mac(self) -> bytes:
        """The sealed token's MAC: what servers remember to refuse one token from two addresses."""
        return self.private_data[-MAC_BYTES:]


@dataclass(frozen=True, slots=True)
class Denied:
    type: ClassVar[PacketType] = PacketType.DENIED


@dataclass(frozen=True, slots=True)
class Challenge:
    type: ClassVar[PacketType] = PacketType.CHALLENGE
    token_sequence: int
    token_data: bytes


@dataclass(frozen=True, slots=True)
class Response:
    type: ClassVar[PacketType] = PacketType.RESPONSE
    token_sequence: int
    token_data: bytes


@dataclass(frozen=True, slots=True)
class KeepAlive:
    type: ClassVar[PacketType] = PacketType.KEEP_ALIVE
    client_index: int
    max_clients: int


@dataclass(frozen=True, slots=True)
class Payload:
    type: ClassVar[PacketType] = PacketType.PAYLOAD
    data: bytes


@dataclass(frozen=True, slots=True)
class Disconnect:
    type: ClassVar[PacketType] = PacketType.DISCONNECT


Packet = ConnectionRequest | Denied | Challenge | Response | KeepAlive | Payload | Disconnect
EncryptedPacket = Denied | Challenge | Response | KeepAlive | Payload | Disconnect
OnIgnore = Callable[[str], None]


def _ignore(on_ignore: OnIgnore | None, reason: str) -> None:
    if on_ignore is not None:
        on_ignore(reason)


def sequence_bytes(sequence: int) -> int:
    """Bytes needed for `sequence` with its high zero bytes left out (1..8; zero takes one)."""
    return max(1, (sequence.bit_length() + 7) // 8)


def _body(packet: EncryptedPacket) -> bytes:
    match packet:
        case Denied() | Disconnect():
            return b""
        case (
            Challenge(token_sequence=seq, token_data=data)
            | Response(token_sequence=seq, token_data=data)
        ):
            if len(data) != CHALLENGE_TOKEN_BYTES:
                raise ValueError(f"challenge token data must be {CHALLENGE_TOKEN_BYTES} bytes")
            return _U64.pack(seq) + bytes(data)
        case KeepAlive(client_index=index, max_clients=most):
            return _KEEP_ALIVE.pack(index, most)
        case Payload(data=data):
            if not 1 <= len(data) <= MAX_PAYLOAD_BYTES:
                raise ValueError(f"payload is {len(data)} bytes, not 1..{MAX_PAYLOAD_BYTES}")
            return bytes(data)
    raise TypeError(f"not a netcode packet: {packet!r}")


def _packet_aad(protocol_id: int, prefix: int) -> bytes:
    return VERSION_INFO + _U64.pack(protocol_id) + bytes([prefix])


def write_connection_request(packet: ConnectionRequest) -> bytes:
    """The 1078-byte unencrypted request."""
    if len(packet.private_data) != CONNECT_TOKEN_PRIVATE_BYTES:
        raise ValueError(f"private data must be {CONNECT_TOKEN_PRIVATE_BYTES} bytes")
    head = _REQUEST_HEAD.pack(
        PacketType.REQUEST, VERSION_INFO, packet.protocol_id, packet.expire_timestamp, packet.nonce
    )
    return head + bytes(packet.private_data)


def write_packet(packet: Packet, sequence: int, key: bytes, protocol_id: int) -> bytes:
    """The datagram for `packet`: prefix ((sequence bytes << 4) | type), the sequence low byte
    first with high zero bytes left out, then the body sealed under `key` with the nonce from
    `sequence`. A ConnectionRequest ignores `sequence` and `key` (it is not encrypted).

    Raises ValueError/TypeError for values the caller built wrong (never for peer input).
    """
    if isinstance(packet, ConnectionRequest):
        return write_connection_request(packet)
    if not 0 <= sequence <= UINT64_MAX:
        raise ValueError(f"sequence {sequence} outside u64")
    count = sequence_bytes(sequence)
    prefix = (count << 4) | packet.type
    header = bytes([prefix]) + sequence.to_bytes(count, "little")
    sealed = crypto.encrypt(
        _body(packet), _packet_aad(protocol_id, prefix), crypto.sequence_nonce(sequence), key
    )
    return header + sealed


def peek_sequence(data: bytes) -> int | None:
    """The sequence in an encrypted packet's header (unauthenticated), or None if unreadable."""
    if len(data) < 2 or data[0] == 0:
        return None
    count = data[0] >> 4
    if not 1 <= count <= 8 or len(data) < 1 + count:
        return None
    return int.from_bytes(data[1 : 1 + count], "little")


def read_connection_request(
    data: bytes,
    *,
    protocol_id: int,
    private_key: bytes,
    now_unix: int,
    on_ignore: OnIgnore | None = None,
) -> tuple[ConnectionRequest, PrivateToken] | None:
    """The request and its opened private token, or None; checks in the standard's order:
    size 1078, version, protocol id, expiry (ignored when expire <= now), decrypt, read."""
    if len(data) != CONNECTION_REQUEST_BYTES:
        return _ignore(on_ignore, "request: size is not 1078")
    prefix, version, packet_protocol, expire, nonce = _REQUEST_HEAD.unpack_from(data, 0)
    if prefix != PacketType.REQUEST:
        return _ignore(on_ignore, "request: prefix byte is not zero")
    if version != VERSION_INFO:
        return _ignore(on_ignore, "request: version is not NETCODE 1.02")
    if packet_protocol != protocol_id:
        return _ignore(on_ignore, "request: wrong protocol id")
    if expire <= now_unix:
        return _ignore(on_ignore, "request: connect token expired")
    private_data = bytes(data[_REQUEST_HEAD.size :])
    plaintext = open_private_token(
        private_data,
        private_key=private_key,
        protocol_id=protocol_id,
        expire_timestamp=expire,
        nonce=nonce,
    )
    if plaintext is None:
        return _ignore(on_ignore, "request: connect token does not decrypt")
    try:
        token = PrivateToken.from_bytes(plaintext)
    except TokenError:
        return _ignore(on_ignore, "request: private connect token is malformed")
    return ConnectionRequest(protocol_id, expire, nonce, private_data), token


def read_packet(
    data: bytes,
    *,
    protocol_id: int,
    key_for: Callable[[PacketType], bytes | None],
    replay: ReplayProtection | None,
    allowed: Collection[PacketType],
    now_unix: int = 0,
    on_ignore: OnIgnore | None = None,
) -> Packet | None:
    """Read one datagram, or ignore it (None) at the first failed check of the standard.

    `key_for(type)` gives the key to open it with: the private key for a request, else the
    peer's receive key (None: no key for this peer, ignore). `replay` (if any) guards
    keep-alive, payload and disconnect packets, and advances only after a packet decrypted.
    """
    if not data:
        return _ignore(on_ignore, "empty datagram")
    prefix = data[0]
    if prefix == PacketType.REQUEST:
        if PacketType.REQUEST not in allowed:
            return _ignore(on_ignore, "request: not accepted here")
        private_key = key_for(PacketType.REQUEST)
        if private_key is None:
            return _ignore(on_ignore, "request: no private key")
        result = read_connection_request(
            data,
            protocol_id=protocol_id,
            private_key=private_key,
            now_unix=now_unix,
            on_ignore=on_ignore,
        )
        return None if result is None else result[0]

    size = len(data)
    if size < MIN_ENCRYPTED_PACKET_BYTES:
        return _ignore(on_ignore, "encrypted: smaller than 18 bytes")
    kind = prefix & 0x0F
    if kind >= len(PacketType) or kind == PacketType.REQUEST:
        return _ignore(on_ignore, "encrypted: invalid packet type")
    packet_type = PacketType(kind)
    if packet_type not in allowed:
        return _ignore(on_ignore, f"encrypted: {packet_type.name} not accepted here")
    count = prefix >> 4
    if not 1 <= count <= 8:
        return _ignore(on_ignore, "encrypted: sequence bytes outside 1..8")
    if size < 1 + count + MAC_BYTES:
        return _ignore(on_ignore, "encrypted: too small for its sequence and MAC")
    key = key_for(packet_type)
    if key is None:
        return _ignore(on_ignore, "encrypted: no key for this address")
    sequence = int.from_bytes(data[1 : 1 + count], "little")
    guarded = replay is not None and packet_type in REPLAY_PROTECTED
    if guarded and replay.already_received(sequence):
        return _ignore(on_ignore, "encrypted: replayed or too old")
    body = crypto.decrypt(
        bytes(data[1 + count :]),
        _packet_aad(protocol_id, prefix),
        crypto.sequence_nonce(sequence),
        key,
    )
    if body is None:
        return _ignore(on_ignore, "encrypted: does not decrypt")
    if guarded:
        replay.advance(sequence)
    return _decode_body(packet_type, body, on_ignore)


def _decode_body(packet_type: PacketType, body: bytes, on_ignore: OnIgnore | None) -> Packet | None:
    size = len(body)
    if packet_type in (PacketType.DENIED, PacketType.DISCONNECT):
        if size != 0:
            return _ignore(on_ignore, f"{packet_type.name}: body is not empty")
        return Denied() if packet_type == PacketType.DENIED else Disconnect()
    if packet_type in (PacketType.CHALLENGE, PacketType.RESPONSE):
        if size != _CHALLENGE_BODY_BYTES:
            return _ignore(on_ignore, f"{packet_type.name}: body is not 308 bytes")
        (token_sequence,) = _U64.unpack_from(body, 0)
        cls = Challenge if packet_type == PacketType.CHALLENGE else Response
        return cls(token_sequence, body[8:])
    if packet_type == PacketType.KEEP_ALIVE:
        if size != _KEEP_ALIVE.size:
            return _ignore(on_ignore, "KEEP_ALIVE: body is not 8 bytes")
        return KeepAlive(*_KEEP_ALIVE.unpack(body))
    if not 1 <= size <= MAX_PAYLOAD_BYTES:
        return _ignore(on_ignore, "PAYLOAD: body is not 1..1200 bytes")
    return Payload(body)
