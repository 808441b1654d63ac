"""Framing: cut a byte stream into payloads, and split big messages into fragments.

Pure functions and small state machines, no sockets (sans-I/O): the connection
feeds whatever bytes a transport received and gets whole payloads back.

Wire format of a frame: a 4-byte big-endian unsigned length N (1..max_frame),
then N bytes of payload. Frames are capped so a peer can never make us buffer
more than one frame's worth before we can judge it; messages bigger than a
frame travel as fragments (see `split_message` / `Reassembler`).
"""

from __future__ import annotations

from engine.net.errors import ProtocolError

MAX_FRAME = 64 * 1024
"""Largest frame payload, in bytes (the 4-byte header is not counted)."""

HEADER_SIZE = 4

FRAGMENT_TYPE = 0x7F
"""First byte of a fragment payload; no normal message type ever uses it."""

FRAGMENT_HEADER_SIZE = 7
"""FRAGMENT_TYPE (u8) + message_id (u16) + index (u16) + count (u16)."""

MAX_FRAGMENTS = 0xFFFF

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


def split_message(message: bytes, max_frame: int = MAX_FRAME, *, message_id: int) -> list[bytes]:
    """Cut `message` into payloads that each fit in a frame.

    A message that fits is returned alone and unchanged; a bigger one becomes
    fragments: FRAGMENT_TYPE, message_id, index, count (u16 big-endian each),
    then a chunk. ValueError for caller mistakes: an id outside 0..65535, a
    message that starts with FRAGMENT_TYPE (the receiver could not tell it from
    a fragment), a max_frame too small to carry data, or more than 65535 fragments.
    """
    if message[:1] == bytes([FRAGMENT_TYPE]):
        raise ValueError(f"a message cannot start with the fragment type byte {FRAGMENT_TYPE:#x}")
    if len(message) <= max_frame:
        return [message]
    if not 0 <= message_id <= 0xFFFF:
        raise ValueError(f"message_id {message_id} is outside 0..65535")
    chunk = max_frame - FRAGMENT_HEADER_SIZE
    if chunk < 1:
        raise ValueError(f"max_frame {max_frame} leaves no room for fragment data")
    count = -(-len(message) // chunk)
    if count > MAX_FRAGMENTS:
        raise ValueError(
            f"message of {len(message)} bytes needs {count} fragments (at most {MAX_FRAGMENTS})"
        )
    head = bytes([FRAGMENT_TYPE]) + message_id.to_bytes(2, "big")
    tail = count.to_bytes(2, "big")
    return [
        head + index.to_bytes(2, "big") + tail + message[index * chunk : (index + 1) * chunk]
        for index in range(count)
    ]


class Reassembler:
    """Rebuilds messages from the payloads `split_message` made.

    Fragments of one message arrive in order (TCP), one message at a time;
    whole messages may be interleaved between fragments and pass straight
    through. Any deviation is a ProtocolError, after which the partial message
    is dropped (the connection is expected to close).
    """

    def __init__(self, max_message: int = 16 * 1024 * 1024) -> None:
        self.max_message = max_message
        self._reset()

    def _reset(self) -> None:
        self._id: int | None = None
        self._count = 0
        self._parts: list[bytes] = []
        self._size = 0

    @property
    def in_progress(self) -> bool:
        """True while a fragmented message is partly received."""
        return self._id is not None

    def _fail(self, message: str) -> ProtocolError:
        self._reset()
        return ProtocolError(message)

    def accept(self, payload: bytes) -> bytes | None:
        """Take one frame payload; return a whole message when one is complete, else None."""
        if not payload:
            raise self._fail("empty payload")
        if payload[0] != FRAGMENT_TYPE:
            return payload
        if len(payload) < FRAGMENT_HEADER_SIZE:
            raise self._fail(f"truncated fragment header ({len(payload)} bytes)")
        message_id = int.from_bytes(payload[1:3], "big")
        index = int.from_bytes(payload[3:5], "big")
        count = int.from_bytes(payload[5:7], "big")
        chunk = payload[FRAGMENT_HEADER_SIZE:]
        if count < 2:
            raise self._fail(f"fragment count {count} (a fragmented message has at least 2)")
        if self._id is None:
            if index != 0:
                raise self._fail(f"fragment {index} of message {message_id} arrived first")
            self._id, self._count = message_id, count
        elif message_id != self._id:
            raise self._fail(
                f"fragment of message {message_id} while message {self._id} is incomplete"
            )
        elif count != self._count:
            raise self._fail(f"fragment count changed from {self._count} to {count}")
        elif index != len(self._parts):
            raise self._fail(f"fragment {index} arrived, expected {len(self._parts)}")
        if not chunk:
            raise self._fail("empty fragment")
        self._size += len(chunk)
        if self._size > self.max_message:
            raise self._fail(f"fragmented message exceeds the {self.max_message}-byte limit")
        self._parts.append(chunk)
        if len(self._parts) < self._count:
            return None
        message = b"".join(self._parts)
        self._reset()
        return message
