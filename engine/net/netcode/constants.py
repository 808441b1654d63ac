"""Sizes and rates fixed by the netcode 1.02 standard (STANDARD.md), in one place."""

from __future__ import annotations

VERSION_INFO = b"NETCODE 1.02\x00"
"""13 bytes, null terminator included; part of every token and of every packet's AEAD data."""

KEY_BYTES = 32
MAC_BYTES = 16
USER_DATA_BYTES = 256
CONNECT_TOKEN_BYTES = 2048
CONNECT_TOKEN_NONCE_BYTES = 24
CONNECT_TOKEN_PRIVATE_BYTES = 1024
CHALLENGE_TOKEN_BYTES = 300
MAX_SERVERS_PER_CONNECT = 32
MAX_PAYLOAD_BYTES = 1200

CONNECTION_REQUEST_BYTES = 1 + len(VERSION_INFO) + 8 + 8 + CONNECT_TOKEN_NONCE_BYTES + 1024
"""1078: the only size a connection request may have."""

MIN_ENCRYPTED_PACKET_BYTES = 1 + 1 + MAC_BYTES
"""18: prefix, one sequence byte and the MAC; anything shorter is ignored unread."""

PACKET_SEND_RATE = 10.0
"""Hz at which requests, responses and idle keep-alives go out (the standard's 'like 10HZ')."""

NUM_DISCONNECT_PACKETS = 10
"""Redundant disconnect packets sent on a deliberate disconnect: UDP may lose some."""

REPLAY_BUFFER_SIZE = 256

UINT64_MAX = (1 << 64) - 1

SERVER_GLOBAL_SEQUENCE_START = 1 << 63
"""Challenge and denied packets share the per-token key with per-client packets (which count
from 0), so they count from the top half to keep AEAD nonces disjoint (IMPLEMENTERS.md #3)."""
