"""The reliable-ordered channel's two halves: what to (re)send, and what to deliver.

The sender gives every part (a message, or a chunk of a big one) a 16-bit id and
keeps it until a packet carrying it is acknowledged, offering it again each
resend interval. At most `send_window` ids are in flight; parts beyond wait in
a queue without an id. The receiver buffers parts that arrive early, within
that same window past the next id it expects, and delivers in id order, gluing
chunks back into their message. So each message arrives exactly once, in order.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from engine.net.errors import ProtocolError
from engine.net.reliable.config import ChannelConfig
from engine.net.reliable.payload import FIRST, LAST, Entry, reliable_overhead
from engine.net.reliable.sequence import HALF, SEQUENCE_MASK, SequenceBuffer, sequence_distance


@dataclass(slots=True, eq=False)
class Part:
    """A part waiting for its ack: one whole message, or one chunk of a big one."""

    data: bytes
    flags: int
    total: int
    message_id: int = -1
    last_sent: float = -math.inf
    acked: bool = False
    handle: int = -1  # the message's handle (ChannelConnection.send), shared by its chunks


def part_size(config: ChannelConfig) -> int:
    """Bytes of message per part, so a part with its header always fits an empty packet."""
    room = config.endpoint.fragment_above
    return room - reliable_overhead(config.max_message_size, room)


def split_message(message: bytes, size: int) -> list[Part]:
    """`message` as parts of at most `size` bytes (one FIRST|LAST part when it fits)."""
    if len(message) <= size:
        return [Part(message, FIRST | LAST, len(message))]
    chunks = [message[i : i + size] for i in range(0, len(message), size)]
    parts = [Part(chunk, 0, len(message)) for chunk in chunks]
    parts[0].flags = FIRST
    parts[-1].flags = LAST
    return parts


class OrderedSender:
    """Parts in flight (an id each, until acked) and parts waiting for the window."""

    __slots__ = (
        "window",
        "_unacked",
        "_waiting",
        "_next_id",
        "_oldest",
        "queued_bytes",
    )

    def __init__(self, window: int) -> None:
        self.window = window
        self._unacked: dict[int, Part] = {}  # id -> part in flight, oldest first
        self._waiting: deque[Part] = deque()
        self._next_id = 0
        self._oldest = 0  # the oldest id not yet acked (== _next_id when none is in flight)
        self.queued_bytes = 0

    @property
    def in_flight(self) -> int:
        return sequence_distance(self._next_id, self._oldest)

    @property
    def pending(self) -> bool:
        return self._next_id != self._oldest or bool(self._waiting)

    def queue(self, parts: list[Part]) -> None:
        self._waiting.extend(parts)
        self.queued_bytes += sum(len(part.data) for part in parts)
        self._admit()

    def _admit(self) -> None:
        waiting, unacked = self._waiting, self._unacked
        while waiting and sequence_distance(self._next_id, self._oldest) < self.window:
            part = waiting.popleft()
            part.message_id = self._next_id
            unacked[self._next_id] = part
            self._next_id = (self._next_id + 1) & SEQUENCE_MASK

    def due(self, now: float, interval: float) -> list[Part]:
        """Parts in flight never sent, or last sent at least `interval` ago, oldest first."""
        cutoff = now - interval
        return [part for part in self._unacked.values() if part.last_sent <= cutoff]

    def acked(self, part: Part) -> None:
        """A packet carrying `part` was acknowledged (any of them: the first ack counts)."""
        if part.acked:
            return
        part.acked = True
        self.queued_bytes -= len(part.data)
        unacked = self._unacked
        del unacked[part.message_id]
        if part.message_id != self._oldest:
            return
        while self._oldest != self._next_id and self._oldest not in unacked:
            self._oldest = (self._oldest + 1) & SEQUENCE_MASK
        self._admit()


class OrderedReceiver:
    """Parts received early, and the message being glued back from chunks."""

    __slots__ = ("window", "_early", "_expected", "_chunks", "_size", "_total")

    def __init__(self, window: int) -> None:
        self.window = window
        self._early: SequenceBuffer[Entry] = SequenceBuffer(window)
        self._expected = 0
        self._chunks: list[bytes] | None = None  # the message being glued, if any
        self._size = 0
        self._total = 0

    @property
    def buffered(self) -> int:
        """Parts held because an earlier one is missing."""
        return len(self._early)

    def accept(self, entry: Entry) -> bool:
        """Keep a reliable part until its turn; False when it was a duplicate.

        ProtocolError for an id beyond the window: a correct peer never sends one,
        since it keeps at most `window` ids in flight from one we have not delivered.
        """
        ahead = sequence_distance(entry.message_id, self._expected)
        if ahead >= HALF:
            return False  # older than the next expected: already delivered
        if ahead >= self.window:
            raise ProtocolError(
                f"message id {entry.message_id} is {ahead} ahead of {self._expected}, "
                f"past the window of {self.window}"
            )
        if self._early.exists(entry.message_id):
            return False
        self._early.insert(entry.message_id, entry)
        return True

    def deliver(self) -> list[bytes]:
        """Every message now complete and in order, each once."""
        early, delivered = self._early, []
        while (entry := early.find(self._expected)) is not None:
            early.remove(self._expected)
            self._expected = (self._expected + 1) & SEQUENCE_MASK
            message = self._glue(entry)
            if message is not None:
                delivered.append(message)
        return delivered

    def _glue(self, entry: Entry) -> bytes | None:
        if entry.first:
            if self._chunks is not None:
                raise ProtocolError(f"message {entry.message_id} starts inside another message")
            if entry.last:
                return entry.data
            self._chunks, self._size = [entry.data], len(entry.data)
            self._total = entry.total
            return None
        if self._chunks is None:
            raise ProtocolError(f"message {entry.message_id} continues no message")
        self._chunks.append(entry.data)
        self._size += len(entry.data)
        if self._size > self._total or (entry.last and self._size != self._total):
            raise ProtocolError(f"chunks of {self._size} bytes for a {self._total}-byte message")
        if not entry.last:
            return None
        message = b"".join(self._chunks)
        self._chunks = None
        return message
