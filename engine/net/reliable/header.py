"""The two datagram headers of the reliable layer: a whole packet's and a fragment's.

Every datagram handed to netcode starts with a prefix byte; its bit 0 says which.

Whole packet, 4 to 8 bytes, then the payload::

    byte 0     prefix
                 bit 0     0: a whole packet
                 bits 1-4  ack-bits byte k (bits 8k..8k+7) follows; omitted when it is 0xFF
                 bit 5     the ack is one byte, sequence - ack (0..255); else a u16
                 bit 6     the ack is the newest sequence the sender has received, so its
                           round trip is a fair RTT sample (clear on a backlog ack)
                 bit 7     0 (reserved)
    bytes 1-2  sequence, u16 big-endian
    byte 3     sequence - ack mod 65536 (bit 5 set) | bytes 3-4: ack, u16 (bit 5 clear)
    then       the ack-bits bytes bit 1-4 announce, lowest first

With no loss every ack-bits byte is 0xFF and the peer acks our latest packets, so
the usual header is 4 bytes: prefix, sequence, ack delta.

Fragment, 5 bytes, then a slice of the whole packet (header included)::

    byte 0     0x01
    bytes 1-2  sequence of the packet it belongs to, u16 big-endian
    byte 3     fragment index (0..count-1)
    byte 4     fragment count - 1 (a packet has 2..256 fragments)

Decoders raise ProtocolError, and only that, on anything malformed.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from engine.net.errors import ProtocolError

PACKET_HEADER_MIN = 4
PACKET_HEADER_MAX = 8
FRAGMENT_HEADER_SIZE = 5
FRAGMENT_PREFIX = 0x01

_NEWEST = 0x40
_SHORT_ACK = 0x20
_RESERVED = 0x80
_U16 = struct.Struct(">H")
_FRAGMENT = struct.Struct(">BHBB")


@dataclass(frozen=True, slots=True)
class PacketHeader:
    sequence: int
    ack: int
    ack_bits: int
    ack_is_newest: bool
    size: int
    """Bytes the header took on the wire (the payload starts there)."""


@dataclass(frozen=True, slots=True)
class FragmentHeader:
    sequence: int
    index: int
    count: int


def write_packet_header(sequence: int, ack: int, ack_bits: int, ack_is_newest: bool) -> bytes:
    """The header of a whole packet, as short as its ack and ack bits allow."""
    prefix = _NEWEST if ack_is_newest else 0
    tail = bytearray()
    for k in range(4):
        byte = (ack_bits >> (8 * k)) & 0xFF
        if byte != 0xFF:
            prefix |= 2 << k
            tail.append(byte)
    delta = (sequence - ack) & 0xFFFF
    if delta <= 0xFF:
        prefix |= _SHORT_ACK
        head = bytes((prefix, sequence >> 8, sequence & 0xFF, delta))
    else:
        head = bytes((prefix, sequence >> 8, sequence & 0xFF, ack >> 8, ack & 0xFF))
    return head + tail


def read_packet_header(data: bytes) -> PacketHeader:
    """The header at the start of a whole packet."""
    size = len(data)
    if size < PACKET_HEADER_MIN:
        raise ProtocolError(f"packet of {size} bytes is shorter than a header")
    prefix = data[0]
    if prefix & 0x01:
        raise ProtocolError("a fragment where a whole packet was expected")
    if prefix & _RESERVED:
        raise ProtocolError(f"packet prefix {prefix:#04x} sets a reserved bit")
    sequence = _U16.unpack_from(data, 1)[0]
    if prefix & _SHORT_ACK:
        ack = (sequence - data[3]) & 0xFFFF
        pos = 4
    else:
        if size < 5:
            raise ProtocolError("packet header truncated in its ack")
        ack = _U16.unpack_from(data, 3)[0]
        pos = 5
    bits = 0
    for k in range(4):
        if prefix & (2 << k):
            if pos >= size:
                raise ProtocolError("packet header truncated in its ack bits")
            bits |= data[pos] << (8 * k)
            pos += 1
        else:
            bits |= 0xFF << (8 * k)
    return PacketHeader(sequence, ack, bits, bool(prefix & _NEWEST), pos)


def write_fragment_header(sequence: int, index: int, count: int) -> bytes:
    return _FRAGMENT.pack(FRAGMENT_PREFIX, sequence, index, count - 1)


def read_fragment_header(data: bytes, max_fragments: int) -> FragmentHeader:
    """The header of a fragment; the slice it carries is `data[FRAGMENT_HEADER_SIZE:]`."""
    if len(data) <= FRAGMENT_HEADER_SIZE:
        raise ProtocolError(f"fragment of {len(data)} bytes carries no data")
    prefix, sequence, index, last = _FRAGMENT.unpack_from(data)
    if prefix != FRAGMENT_PREFIX:
        raise ProtocolError(f"fragment prefix {prefix:#04x} is not {FRAGMENT_PREFIX:#04x}")
    count = last + 1
    if count < 2:
        raise ProtocolError("a packet of one fragment should travel whole")
    if count > max_fragments:
        raise ProtocolError(f"packet of {count} fragments exceeds the limit of {max_fragments}")
    if index >= count:
        raise ProtocolError(f"fragment {index} of a packet of {count}")
    return FragmentHeader(sequence, index, count)
