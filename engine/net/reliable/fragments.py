"""Cutting a packet too big for one datagram into fragments, and gluing them back.

A fragmented packet is the whole packet (header and payload) cut into slices of
`fragment_size`, each behind a fragment header (see `header`). The receiver
keeps partial packets in a small ring keyed by sequence: a newer packet pushes
out partial ones too old to matter, and a byte cap drops the oldest first, so a
peer cannot make us hold more than `reassembly_bytes`. A fragment arriving twice,
or for a packet already pushed out, is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.net.errors import ProtocolError
from engine.net.reliable.config import EndpointConfig
from engine.net.reliable.counters import EndpointCounters
from engine.net.reliable.header import (
    PACKET_HEADER_MAX,
    FragmentHeader,
    write_fragment_header,
)
from engine.net.reliable.sequence import SequenceBuffer, sequence_distance


def split_packet(sequence: int, packet: bytes, fragment_size: int) -> list[bytes]:
    """The fragments of `packet`, each a datagram ready for netcode."""
    count = -(-len(packet) // fragment_size)
    if count < 2 or count > 256:
        raise ValueError(f"a packet of {len(packet)} bytes cannot be {count} fragments")
    return [
        write_fragment_header(sequence, index, count)
        + packet[index * fragment_size : (index + 1) * fragment_size]
        for index in range(count)
    ]


@dataclass(slots=True)
class _Partial:
    count: int
    slices: list[bytes | None]
    received: int = 0
    size: int = 0


class Reassembler:
    """Partial fragmented packets, bounded in number and bytes."""

    __slots__ = ("config", "counters", "_partials", "buffered_bytes")

    def __init__(self, config: EndpointConfig, counters: EndpointCounters) -> None:
        self.config = config
        self.counters = counters
        self._partials: SequenceBuffer[_Partial] = SequenceBuffer(config.reassembly_packets)
        self.buffered_bytes = 0

    @property
    def pending(self) -> int:
        """Packets partly received."""
        return len(self._partials)

    def advance(self, sequence: int) -> None:
        """A packet `sequence` arrived: partial packets too far behind it are given up."""
        for partial in self._partials.advance(sequence):
            self._forget(partial)

    def _forget(self, partial: _Partial) -> None:
        self.buffered_bytes -= partial.size
        self.counters.reassemblies_dropped += 1

    def add(self, header: FragmentHeader, data: bytes) -> bytes | None:
        """Keep one fragment's slice; the whole packet when this was its last missing slice."""
        config = self.config
        size = len(data)
        last = header.index == header.count - 1
        if size > config.fragment_size or (not last and size != config.fragment_size):
            raise ProtocolError(f"fragment slice of {size} bytes, expected {config.fragment_size}")
        if (header.count - 1) * config.fragment_size >= config.max_packet_size + PACKET_HEADER_MAX:
            raise ProtocolError(f"a packet of {header.count} fragments exceeds max_packet_size")
        partials = self._partials
        partial = partials.find(header.sequence)
        if partial is None:
            if partials.is_stale(header.sequence):
                self.counters.fragments_stale += 1
                return None
            partial = _Partial(header.count, [None] * header.count)
            self.advance(header.sequence)
            partials.insert(header.sequence, partial)
        elif partial.count != header.count:
            raise ProtocolError(f"fragment count changed from {partial.count} to {header.count}")
        if partial.slices[header.index] is not None:
            self.counters.fragments_duplicate += 1
            return None
        partial.slices[header.index] = data
        partial.received += 1
        partial.size += size
        self.buffered_bytes += size
        if partial.received == partial.count:
            partials.remove(header.sequence)
            self.buffered_bytes -= partial.size
            return b"".join(partial.slices)  # type: ignore[arg-type]
        if self.buffered_bytes > config.reassembly_bytes:
            self._shed(header.sequence)
        return None

    def _shed(self, keep: int) -> None:
        """Drop the oldest partial packets until the bytes fit again, `keep` last of all."""
        newest = (self._partials.sequence - 1) & 0xFFFF
        held = self._partials.items()
        by_age = sorted(held, key=lambda item: -sequence_distance(newest, item[0]))
        for sequence, partial in by_age:
            if self.buffered_bytes <= self.config.reassembly_bytes:
                return
            if sequence == keep:
                continue
            self._partials.remove(sequence)
            self._forget(partial)
