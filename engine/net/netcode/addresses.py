"""Server addresses as the standard writes them: type 1 (IPv4) or 2 (IPv6), then the port.

An `Address` is `(host, port)` with the host in canonical text (`ipaddress`' form), so the
same endpoint always compares equal however a socket or a user spelled it.
"""

from __future__ import annotations

import ipaddress
import struct
from functools import lru_cache

Address = tuple[str, int]

ADDRESS_IPV4 = 1
ADDRESS_IPV6 = 2

_IPV6_GROUPS = struct.Struct("<8H")


class AddressError(ValueError):
    """An address that cannot be written or read; `str(err)` is a one-line reason."""


@lru_cache(maxsize=4096)
def _canonical(host: str, port: int) -> Address:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise AddressError(f"not an IP address: {host!r}") from None
    if not 0 <= port <= 0xFFFF:
        raise AddressError(f"port out of range: {port}")
    return (str(ip), port)


def normalize(address: tuple) -> Address:
    """`(host, port)` in canonical form. Socket IPv6 tuples (host, port, flow, scope) are cut
    to two fields. Raises AddressError for anything that is not an IP address and port."""
    try:
        host, port = address[0], address[1]
    except (TypeError, IndexError):
        raise AddressError(f"not a (host, port) pair: {address!r}") from None
    if not isinstance(host, str) or not isinstance(port, int) or isinstance(port, bool):
        raise AddressError(f"not a (host, port) pair: {address!r}")
    return _canonical(host, port)


def write_address(address: Address) -> bytes:
    """Type byte, then 4 octets (IPv4) or 8 little-endian u16 groups (IPv6), then a LE u16 port.

    The IPv6 groups are little-endian like everything else in the standard: the reference
    writes each group with its u16 writer, so 2001:db8:: begins 01 20 b8 0d on the wire.
    """
    host, port = normalize(address)
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        return bytes([ADDRESS_IPV4]) + ip.packed + port.to_bytes(2, "little")
    groups = struct.unpack(">8H", ip.packed)
    return bytes([ADDRESS_IPV6]) + _IPV6_GROUPS.pack(*groups) + port.to_bytes(2, "little")


def read_address(data: bytes, offset: int) -> tuple[Address, int]:
    """One address at `offset`: (address, offset after it). Raises AddressError."""
    if offset >= len(data):
        raise AddressError("address truncated")
    kind = data[offset]
    if kind == ADDRESS_IPV4:
        end = offset + 1 + 4 + 2
        if end > len(data):
            raise AddressError("IPv4 address truncated")
        host = str(ipaddress.IPv4Address(data[offset + 1 : offset + 5]))
    elif kind == ADDRESS_IPV6:
        end = offset + 1 + 16 + 2
        if end > len(data):
            raise AddressError("IPv6 address truncated")
        groups = _IPV6_GROUPS.unpack_from(data, offset + 1)
        host = str(ipaddress.IPv6Address(struct.pack(">8H", *groups)))
    else:
        raise AddressError(f"address type {kind} is neither 1 (IPv4) nor 2 (IPv6)")
    port = int.from_bytes(data[end - 2 : end], "little")
    return (host, port), end
