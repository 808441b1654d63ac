"""The payload of a packet: message entries, back to back, and nothing else.

An empty payload is an ack-only packet. Otherwise each entry starts with a tag
byte::

    bits 0-1  kind: 0 an unreliable message, 1 a part of a reliable-ordered message
    bit 2     FIRST: the part starts its message         (reliable only)
    bit 3     LAST: the part ends its message            (reliable only)
    bit 4     DELTA: the message id is a uvarint, the difference from the id of the
              previous reliable entry in this packet (1..32767); else a u16 big-endian
    bits 5-7  0 (reserved)

Unreliable message: tag 0x00, length (uvarint), the bytes: 2 bytes of overhead
up to 127 bytes, 3 up to 16 KiB.

Reliable part: tag, message id (u16, or DELTA uvarint), then for a FIRST part that
is not also LAST the whole message's length (uvarint), then the part's length
(uvarint) and bytes. A message that fits in a packet is one part, FIRST|LAST:
3 bytes of overhead (tag, id delta, length) after the first in a packet, which
pays 4 (a u16 id). A bigger message is cut into parts of about a packet, each a
reliable message of its own with consecutive ids, glued back before delivery:
about 5 bytes per part, 3 or 4 more on the first.

Varints are LEB128 (engine.net.codec). `decode_payload` raises ProtocolError,
and only that, on anything malformed: a reserved bit or kind, flags on an
unreliable entry, a delta with no previous id or out of range, a length past
the end, a whole length out of bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.net.codec import Reader, Writer
from engine.net.errors import ProtocolError
from engine.net.reliable.sequence import HALF, SEQUENCE_MASK

UNRELIABLE = 0
RELIABLE = 1
FIRST = 0x04
LAST = 0x08
DELTA = 0x10
_KIND = 0x03
_RESERVED = 0xE0


@dataclass(frozen=True, slots=True)
class Entry:
    """One decoded entry: an unreliable message, or a part of a reliable one."""

    kind: int
    data: bytes
    message_id: int = 0
    first: bool = True
    last: bool = True
    total: int = 0
    """A FIRST, not LAST part: the length of the whole message."""


def uvarint_size(value: int) -> int:
    return max(1, -(-value.bit_length() // 7))


def reliable_overhead(max_message_size: int, part_size: int) -> int:
    """The most bytes a reliable part's header can take (for sizing parts)."""
    return 1 + 3 + uvarint_size(max_message_size) + uvarint_size(part_size)


def unreliable_overhead(size: int) -> int:
    return 1 + uvarint_size(size)


class PayloadWriter:
    """Builds one payload, tracking the previous reliable id for delta encoding."""

    __slots__ = ("_writer", "_previous_id")

    def __init__(self) -> None:
        self._writer = Writer()
        self._previous_id: int | None = None

    def __len__(self) -> int:
        return len(self._writer.buf)

    def reliable_size(self, message_id: int, data_size: int, flags: int, total: int) -> int:
        """The bytes `add_reliable` would append."""
        previous = self._previous_id
        id_size = 2 if previous is None else uvarint_size((message_id - previous) & SEQUENCE_MASK)
        whole = uvarint_size(total) if flags & FIRST and not flags & LAST else 0
        return 1 + id_size + whole + uvarint_size(data_size) + data_size

    def add_reliable(self, message_id: int, data: bytes, flags: int, total: int) -> None:
        w = self._writer
        previous = self._previous_id
        if previous is None:
            w.u8(RELIABLE | flags)
            w.u16(message_id)
        else:
            delta = (message_id - previous) & SEQUENCE_MASK
            if not 0 < delta < HALF:
                raise ValueError(f"message id {message_id} does not follow {previous}")
            w.u8(RELIABLE | flags | DELTA)
            w.uvarint(delta)
        self._previous_id = message_id
        if flags & FIRST and not flags & LAST:
            w.uvarint(total)
        w.uvarint(len(data))
        w.raw(data)

    def add_unreliable(self, data: bytes) -> None:
        w = self._writer
        w.u8(UNRELIABLE)
        w.uvarint(len(data))
        w.raw(data)

    def getvalue(self) -> bytes:
        return self._writer.getvalue()


def decode_payload(payload: bytes, max_message_size: int) -> list[Entry]:
    """Every entry of a packet's payload, in order."""
    r = Reader(payload)
    entries: list[Entry] = []
    previous: int | None = None
    while r.remaining:
        tag = r.u8()
        kind = tag & _KIND
        if tag & _RESERVED or kind > RELIABLE:
            raise ProtocolError(f"entry tag {tag:#04x} is not a known kind")
        if kind == UNRELIABLE:
            if tag != UNRELIABLE:
                raise ProtocolError(f"unreliable entry with flags {tag:#04x}")
            entries.append(Entry(UNRELIABLE, r.raw(r.count(max_message_size, "message length"))))
            continue
        if tag & DELTA:
            if previous is None:
                raise ProtocolError("message id delta with no previous id in the packet")
            delta = r.uvarint()
            if not 0 < delta < HALF:
                raise ProtocolError(f"message id delta {delta} out of range")
            message_id = (previous + delta) & SEQUENCE_MASK
        else:
            message_id = r.u16()
        previous = message_id
        first, last = bool(tag & FIRST), bool(tag & LAST)
        total = 0
        if first and not last:
            total = r.count(max_message_size, "message length")
        data = r.raw(r.count(max_message_size, "part length"))
        if first and not last and total <= len(data):
            raise ProtocolError(f"first part of {len(data)} bytes of a {total}-byte message")
        entries.append(Entry(RELIABLE, data, message_id, first, last, total))
    return entries
