"""The netcode 1.02 standard (mas-bandwidth/netcode, STANDARD.md) as a sans-I/O package.

Secure client/server connections over UDP: a web backend issues connect tokens
(`generate_connect_token`), clients (`NetcodeClient`) present them to dedicated servers
(`NetcodeServer`), and both then exchange encrypted, replay-protected packets. Nothing
here opens a socket or reads a clock: callers pass datagrams and times in and send the
datagrams that come out. Wire compatible with the reference C implementation (see
tools/netcode_conformance/ and tests/net/netcode/).
"""

from engine.net.netcode.addresses import Address, AddressError
from engine.net.netcode.client import ClientState, NetcodeClient
from engine.net.netcode.crypto import new_key
from engine.net.netcode.packets import (
    PacketType,
    read_connection_request,
    read_packet,
    write_packet,
)
from engine.net.netcode.replay import ReplayProtection
from engine.net.netcode.server import DisconnectReason, NetcodeServer
from engine.net.netcode.tokens import (
    ChallengeToken,
    ConnectToken,
    PrivateToken,
    TokenError,
    decrypt_private_token,
    generate_connect_token,
)

__all__ = [
    "Address",
    "AddressError",
    "ChallengeToken",
    "ClientState",
    "ConnectToken",
    "DisconnectReason",
    "NetcodeClient",
    "NetcodeServer",
    "PacketType",
    "PrivateToken",
    "ReplayProtection",
    "TokenError",
    "decrypt_private_token",
    "generate_connect_token",
    "new_key",
    "read_connection_request",
    "read_packet",
    "write_packet",
]
