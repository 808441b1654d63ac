"""Framing: cut a byte stream into payloads (datagrams over TCP: tcp_datagrams.py).

A pure function and a small state machine, no sockets (sans-I/O): the caller
feeds whatever bytes a stream received and gets whole payloads back.

Wire format of a frame: a 4-byte big-endian unsigned length N (1..max_frame),
then N bytes of payload. Frames are capped so a peer can never make us buffer
more than one frame's worth before we can judge it.
"""

from __future__ import annotations

from engine.net.errors import ProtocolError

MAX_FRAME = 64 * 1024
"""Largest frame payload, in bytes (the 4-byte header is not counted)."""

HEADER_SIZE = 4

# Compact the decoder buffer once this many consumed bytes sit at its front
# (or whenever it is fully consumed), so feeding stays linear in the input.
_COMPACT_AT = 64 * 1024


def encode_frame(payload: bytes, max_frame: int = MAX_FRAME) -> bytes:
    """Prefix `payload` with its length.

    ValueError if empty or too long: that is our bug, not the peer's.
    """
    size = len(payload)
    if size == 0:
        raise ValueError("cannot frame an empty payload")
    if size > max_frame:
        raise ValueError(f"payload of {size} bytes exceeds the {max_frame}-byte frame limit")
    return size.to_bytes(HEADER_SIZE, "big") + payload


class FrameDecoder:
    """Turns a stream of bytes, arriving in chunks of any size, into frame payloads.

    A bad length is rejected as soon as its 4 header bytes are in, so a hostile
    peer cannot make us buffer a body we would refuse anyway. After a
    ProtocolError the stream is out of sync: every later `feed` raises again.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        if max_frame < 1:
            raise ValueError("max_frame must be at least 1")
        self.max_frame = max_frame
        self._buf = bytearray()
        self._pos = 0  # start of the unconsumed bytes in _buf
        self._error: str | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as a payload (a partial header or frame)."""
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> list[bytes]:
        """Add `data`; return every payload now complete, in order (possibly none)."""
        if self._error is not None:
            raise ProtocolError(self._error)
        self._buf += data
        buf = self._buf
        end = len(buf)
        pos = self._pos
        payloads: list[bytes] = []
        while end - pos >= HEADER_SIZE:
            size = int.from_bytes(buf[pos : pos + HEADER_SIZE], "big")
            if size == 0 or size > self.max_frame:
                self._error = (
                    "frame with zero length"
                    if size == 0
                    else f"frame of {size} bytes exceeds the {self.max_frame}-byte limit"
                )
                self._buf = bytearray()
                self._pos = 0
                raise ProtocolError(self._error)
            start = pos + HEADER_SIZE
            if end - start < size:
                break
            payloads.append(bytes(buf[start : start + size]))
            pos = start + size
        if pos == end:
            buf.clear()
            pos = 0
        elif pos >= _COMPACT_AT:
            del buf[:pos]
            pos = 0
        self._pos = pos
        return payloads
