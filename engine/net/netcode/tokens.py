"""Connect tokens (public and private parts) and challenge tokens: their byte layouts and seals.

The web backend calls `generate_connect_token`; a client gets the 2048 bytes of
`ConnectToken.to_bytes()`; a server opens the private part with `decrypt_private_token`
and later checks a client's `ChallengeToken`. Readers raise `TokenError` (a ValueError)
with a one-line reason and nothing else.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from engine.net.netcode import crypto
from engine.net.netcode.addresses import Address, AddressError, normalize, read_address
from engine.net.netcode.addresses import write_address as _write_address
from engine.net.netcode.constants import (
    CHALLENGE_TOKEN_BYTES,
    CONNECT_TOKEN_BYTES,
    CONNECT_TOKEN_NONCE_BYTES,
    CONNECT_TOKEN_PRIVATE_BYTES,
    KEY_BYTES,
    MAC_BYTES,
    MAX_SERVERS_PER_CONNECT,
    UINT64_MAX,
    USER_DATA_BYTES,
    VERSION_INFO,
)

_U64 = struct.Struct("<Q")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_PUBLIC_HEAD = struct.Struct(f"<{len(VERSION_INFO)}sQQQ{CONNECT_TOKEN_NONCE_BYTES}s")

PRIVATE_PLAINTEXT_BYTES = CONNECT_TOKEN_PRIVATE_BYTES - MAC_BYTES
"""1008: the private token is written here, zero padded, and sealed to 1024 with its MAC."""

CHALLENGE_PLAINTEXT_BYTES = CHALLENGE_TOKEN_BYTES - MAC_BYTES


class TokenError(ValueError):
    """A token that cannot be read, opened or written; `str(err)` is a one-line reason."""


def _check_u64(name: str, value: int) -> None:
    if not isinstance(value, int) or not 0 <= value <= UINT64_MAX:
        raise TokenError(f"{name} {value!r} is not a u64")


def _check_timeout(value: int) -> None:
    if not isinstance(value, int) or not -(1 << 31) <= value < (1 << 31):
        raise TokenError(f"timeout_seconds {value!r} is not an int32")


def _check_bytes(name: str, value: bytes, size: int) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != size:
        raise TokenError(f"{name} must be {size} bytes")


def _write_addresses(addresses: Sequence[Address]) -> bytes:
    if not 1 <= len(addresses) <= MAX_SERVERS_PER_CONNECT:
        raise TokenError(f"{len(addresses)} server addresses, not 1..{MAX_SERVERS_PER_CONNECT}")
    try:
        return _U32.pack(len(addresses)) + b"".join(_write_address(a) for a in addresses)
    except AddressError as err:
        raise TokenError(str(err)) from None


def _read_addresses(data: bytes, offset: int) -> tuple[tuple[Address, ...], int]:
    (count,) = _U32.unpack_from(data, offset)
    if not 1 <= count <= MAX_SERVERS_PER_CONNECT:
        raise TokenError(f"{count} server addresses, not 1..{MAX_SERVERS_PER_CONNECT}")
    offset += 4
    addresses = []
    try:
        for _ in range(count):
            address, offset = read_address(data, offset)
            addresses.append(address)
    except AddressError as err:
        raise TokenError(str(err)) from None
    return tuple(addresses), offset


def _private_aad(protocol_id: int, expire_timestamp: int) -> bytes:
    return VERSION_INFO + _U64.pack(protocol_id) + _U64.pack(expire_timestamp)


@dataclass(frozen=True, slots=True)
class PrivateToken:
    """What only the backend and the servers can read: who the client is and its keys."""

    client_id: int
    timeout_seconds: int
    server_addresses: tuple[Address, ...]
    client_to_server_key: bytes
    server_to_client_key: bytes
    user_data: bytes = bytes(USER_DATA_BYTES)

    def to_bytes(self) -> bytes:
        """The 1008-byte plaintext (zero padded) that `encrypt` seals."""
        _check_u64("client_id", self.client_id)
        _check_timeout(self.timeout_seconds)
        _check_bytes("client_to_server_key", self.client_to_server_key, KEY_BYTES)
        _check_bytes("server_to_client_key", self.server_to_client_key, KEY_BYTES)
        _check_bytes("user_data", self.user_data, USER_DATA_BYTES)
        body = b"".join(
            (
                _U64.pack(self.client_id),
                _I32.pack(self.timeout_seconds),
                _write_addresses(self.server_addresses),
                bytes(self.client_to_server_key),
                bytes(self.server_to_client_key),
                bytes(self.user_data),
            )
        )
        return body.ljust(PRIVATE_PLAINTEXT_BYTES, b"\x00")

    @classmethod
    def from_bytes(cls, plaintext: bytes) -> PrivateToken:
        """Read a decrypted private token (at least the 1008 plaintext bytes). Raises TokenError."""
        plaintext = bytes(plaintext)
        if len(plaintext) < PRIVATE_PLAINTEXT_BYTES:
            raise TokenError(f"private token is {len(plaintext)} bytes, too short")
        (client_id,) = _U64.unpack_from(plaintext, 0)
        (timeout,) = _I32.unpack_from(plaintext, 8)
        addresses, offset = _read_addresses(plaintext, 12)
        keys_end = offset + 2 * KEY_BYTES + USER_DATA_BYTES
        if keys_end > PRIVATE_PLAINTEXT_BYTES:  # cannot happen with <= 32 addresses; kept honest
            raise TokenError("private token overruns its buffer")
        return cls(
            client_id=client_id,
            timeout_seconds=timeout,
            server_addresses=addresses,
            client_to_server_key=plaintext[offset : offset + KEY_BYTES],
            server_to_client_key=plaintext[offset + KEY_BYTES : offset + 2 * KEY_BYTES],
            user_data=plaintext[offset + 2 * KEY_BYTES : keys_end],
        )

    def encrypt(
        self, *, private_key: bytes, protocol_id: int, expire_timestamp: int, nonce: bytes
    ) -> bytes:
        """The 1024 sealed bytes; version, protocol id and expiry are bound in as associated
        data, so none of them can be edited in a connection request without failing to open."""
        _check_u64("protocol_id", protocol_id)
        _check_u64("expire_timestamp", expire_timestamp)
        _check_bytes("nonce", nonce, CONNECT_TOKEN_NONCE_BYTES)
        _check_bytes("private_key", private_key, KEY_BYTES)
        aad = _private_aad(protocol_id, expire_timestamp)
        return crypto.encrypt_x(self.to_bytes(), aad, bytes(nonce), bytes(private_key))


def open_private_token(
    private_data: bytes,
    *,
    private_key: bytes,
    protocol_id: int,
    expire_timestamp: int,
    nonce: bytes,
) -> bytes | None:
    """The 1008 plaintext bytes of a sealed private token, or None if it does not open."""
    if len(private_data) != CONNECT_TOKEN_PRIVATE_BYTES or len(nonce) != CONNECT_TOKEN_NONCE_BYTES:
        return None
    if not 0 <= protocol_id <= UINT64_MAX or not 0 <= expire_timestamp <= UINT64_MAX:
        return None
    aad = _private_aad(protocol_id, expire_timestamp)
    return crypto.decrypt_x(bytes(private_data), aad, bytes(nonce), bytes(private_key))


def decrypt_private_token(
    private_data: bytes,
    *,
    private_key: bytes,
    protocol_id: int,
    expire_timestamp: int,
    nonce: bytes,
) -> PrivateToken:
    """Open and read a sealed private token. Raises TokenError (does not open, or malformed)."""
    plaintext = open_private_token(
        private_data,
        private_key=private_key,
        protocol_id=protocol_id,
        expire_timestamp=expire_timestamp,
        nonce=nonce,
    )
    if plaintext is None:
        raise TokenError("private connect token does not decrypt with this key")
    return PrivateToken.from_bytes(plaintext)


@dataclass(frozen=True, slots=True)
class ConnectToken:
    """The 2048-byte token a client holds: public copies of what it needs, plus the sealed part."""

    protocol_id: int
    create_timestamp: int
    expire_timestamp: int
    nonce: bytes
    private_data: bytes
    timeout_seconds: int
    server_addresses: tuple[Address, ...]
    client_to_server_key: bytes
    server_to_client_key: bytes

    def validate(self) -> None:
        """Raise TokenError if a client must refuse this token (the standard's checks, plus
        field sizes for tokens built by hand rather than read)."""
        _check_u64("protocol_id", self.protocol_id)
        _check_u64("create_timestamp", self.create_timestamp)
        _check_u64("expire_timestamp", self.expire_timestamp)
        if self.create_timestamp > self.expire_timestamp:
            raise TokenError("create timestamp is after the expire timestamp")
        _check_timeout(self.timeout_seconds)
        _check_bytes("nonce", self.nonce, CONNECT_TOKEN_NONCE_BYTES)
        _check_bytes("private_data", self.private_data, CONNECT_TOKEN_PRIVATE_BYTES)
        _check_bytes("client_to_server_key", self.client_to_server_key, KEY_BYTES)
        _check_bytes("server_to_client_key", self.server_to_client_key, KEY_BYTES)
        _write_addresses(self.server_addresses)

    def to_bytes(self) -> bytes:
        self.validate()
        head = _PUBLIC_HEAD.pack(
            VERSION_INFO,
            self.protocol_id,
            self.create_timestamp,
            self.expire_timestamp,
            bytes(self.nonce),
        )
        body = b"".join(
            (
                head,
                bytes(self.private_data),
                _I32.pack(self.timeout_seconds),
                _write_addresses(self.server_addresses),
                bytes(self.client_to_server_key),
                bytes(self.server_to_client_key),
            )
        )
        return body.ljust(CONNECT_TOKEN_BYTES, b"\x00")

    @classmethod
    def from_bytes(cls, data: bytes) -> ConnectToken:
        """Read the 2048-byte public form. Raises TokenError with a one-line reason.

        The zero padding is not checked (the reference does not either): nothing reads it.
        """
        try:
            data = bytes(data)
        except TypeError:
            raise TokenError("connect token is not bytes") from None
        if len(data) != CONNECT_TOKEN_BYTES:
            raise TokenError(f"connect token is {len(data)} bytes, not {CONNECT_TOKEN_BYTES}")
        version, protocol_id, create, expire, nonce = _PUBLIC_HEAD.unpack_from(data, 0)
        if version != VERSION_INFO:
            raise TokenError("connect token version is not 'NETCODE 1.02'")
        if create > expire:
            raise TokenError("create timestamp is after the expire timestamp")
        offset = _PUBLIC_HEAD.size
        private_data = data[offset : offset + CONNECT_TOKEN_PRIVATE_BYTES]
        offset += CONNECT_TOKEN_PRIVATE_BYTES
        (timeout,) = _I32.unpack_from(data, offset)
        addresses, offset = _read_addresses(data, offset + 4)
        return cls(
            protocol_id=protocol_id,
            create_timestamp=create,
            expire_timestamp=expire,
            nonce=nonce,
            private_data=private_data,
            timeout_seconds=timeout,
            server_addresses=addresses,
            client_to_server_key=data[offset : offset + KEY_BYTES],
            server_to_client_key=data[offset + KEY_BYTES : offset + 2 * KEY_BYTES],
        )


def generate_connect_token(
    *,
    private_key: bytes,
    protocol_id: int,
    client_id: int,
    server_addresses: Sequence[Address],
    expire_seconds: int,
    timeout_seconds: int,
    now_unix: int,
    user_data: bytes = b"",
    nonce: bytes | None = None,
    internal_server_addresses: Sequence[Address] | None = None,
) -> ConnectToken:
    """What a web backend hands an authenticated client. Fresh random keys every call.

    `expire_seconds` < 0 means "never" (expire timestamp 2**64-1), as in the reference.
    `internal_server_addresses` (default: the public ones) go in the private part, which
    servers match against their own address: for servers that sit behind a NAT.
    `user_data` (at most 256 bytes) is zero padded. Raises TokenError on bad arguments.
    """
    if len(user_data) > USER_DATA_BYTES:
        raise TokenError(f"user_data is {len(user_data)} bytes, more than {USER_DATA_BYTES}")
    try:
        public = tuple(normalize(a) for a in server_addresses)
        internal = (
            public
            if internal_server_addresses is None
            else tuple(normalize(a) for a in internal_server_addresses)
        )
    except AddressError as err:
        raise TokenError(str(err)) from None
    if len(internal) != len(public):
        raise TokenError("internal and public server address lists differ in length")
    create = int(now_unix)
    expire = UINT64_MAX if expire_seconds < 0 else create + expire_seconds
    _check_u64("expire_timestamp", expire)
    nonce = os.urandom(CONNECT_TOKEN_NONCE_BYTES) if nonce is None else bytes(nonce)
    private = PrivateToken(
        client_id=client_id,
        timeout_seconds=timeout_seconds,
        server_addresses=internal,
        client_to_server_key=crypto.new_key(),
        server_to_client_key=crypto.new_key(),
        user_data=bytes(user_data).ljust(USER_DATA_BYTES, b"\x00"),
    )
    sealed = private.encrypt(
        private_key=private_key, protocol_id=protocol_id, expire_timestamp=expire, nonce=nonce
    )
    token = ConnectToken(
        protocol_id=protocol_id,
        create_timestamp=create,
        expire_timestamp=expire,
        nonce=nonce,
        private_data=sealed,
        timeout_seconds=timeout_seconds,
        server_addresses=public,
        client_to_server_key=private.client_to_server_key,
        server_to_client_key=private.server_to_client_key,
    )
    token.validate()
    return token


@dataclass(frozen=True, slots=True)
class ChallengeToken:
    """Sealed by the server with its own key; a client echoing it back proves it can receive
    at its claimed address (stops spoofed source addresses from connecting)."""

    client_id: int
    user_data: bytes = bytes(USER_DATA_BYTES)

    def to_bytes(self) -> bytes:
        """The 284-byte plaintext: client id, user data, zero pad."""
        _check_u64("client_id", self.client_id)
        _check_bytes("user_data", self.user_data, USER_DATA_BYTES)
        body = _U64.pack(self.client_id) + bytes(self.user_data)
        return body.ljust(CHALLENGE_PLAINTEXT_BYTES, b"\x00")

    def encrypt(self, *, sequence: int, key: bytes) -> bytes:
        """300 bytes: no associated data; the nonce is built from `sequence`."""
        return crypto.encrypt(self.to_bytes(), None, crypto.sequence_nonce(sequence), key)

    @classmethod
    def decrypt(cls, data: bytes, *, sequence: int, key: bytes) -> ChallengeToken:
        """Open 300 sealed bytes. Raises TokenError if they are not exactly a token we sealed."""
        if len(data) != CHALLENGE_TOKEN_BYTES:
            raise TokenError(f"challenge token is {len(data)} bytes, not {CHALLENGE_TOKEN_BYTES}")
        if not isinstance(sequence, int) or not 0 <= sequence <= UINT64_MAX:
            raise TokenError(f"challenge sequence {sequence!r} is not a u64")
        plain = crypto.decrypt(bytes(data), None, crypto.sequence_nonce(sequence), bytes(key))
        if plain is None:
            raise TokenError("challenge token does not decrypt with this key")
        (client_id,) = _U64.unpack_from(plain, 0)
        return cls(client_id=client_id, user_data=plain[8 : 8 + USER_DATA_BYTES])
