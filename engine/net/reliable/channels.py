"""Message channels over a reliable endpoint: what the session layer talks to.

Two channels:

- RELIABLE_ORDERED: every message (up to `max_message_size`) arrives exactly once
  and in order. A message bigger than a packet is cut into parts here, each its own
  reliable message, rather than sent as one fragmented packet: at 5% loss a packet
  of 100 fragments almost never arrives whole, while a lost part costs one resend.
- UNRELIABLE: sent once, in the next packet written; it may arrive or not. A
  message bigger than a packet travels alone in a fragmented packet. `send` returns
  a handle, and `take_acked` names the handles whose packet the peer acknowledged
  (how replication learns which snapshot a client holds). Reliable messages are
  reported too, once every part of one and of every reliable message before it is
  acknowledged: only then has the peer delivered it (parts that arrive early wait).

Sans-I/O: `send` queues, `write_packets(now)` returns the datagrams for netcode,
`receive(datagram, now)` returns the messages it completes. Wire format: the
endpoint's headers (see `header`), then message entries (see `payload`).

Errors: bytes that break the format raise ProtocolError out of `receive`
(netcode authenticated them, so the peer is broken or hostile: drop it). After
one the connection is unusable.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import IntEnum

from engine.net.reliable.config import ChannelConfig
from engine.net.reliable.endpoint import ReliableEndpoint
from engine.net.reliable.ordered import (
    OrderedReceiver,
    OrderedSender,
    Part,
    part_size,
    split_message,
)
from engine.net.reliable.payload import (
    UNRELIABLE,
    PayloadWriter,
    decode_payload,
    unreliable_overhead,
)
from engine.net.reliable.sequence import SequenceBuffer

_EPSILON = 1e-9  # times are float seconds: 3 ticks of 1/60 s are 50 ms, not a hair less


class Channel(IntEnum):
    RELIABLE_ORDERED = 0
    UNRELIABLE = 1


class SendQueueFull(Exception):
    """More reliable bytes queued than `max_queued_bytes`: the peer is not keeping up."""


@dataclass(frozen=True, slots=True)
class _PacketContents:
    parts: tuple[Part, ...]
    handles: tuple[int, ...]


class ChannelConnection:
    """Reliable-ordered and unreliable messages over one `ReliableEndpoint`."""

    def __init__(
        self, config: ChannelConfig | None = None, now: float = 0.0, *, report_acks: bool = True
    ) -> None:
        self.config = config = config or ChannelConfig()
        # Whether acknowledged handles are kept for `take_acked`: an end that never asks
        # (a client) must not keep them, or they pile up for as long as it is connected.
        self.report_acks = report_acks
        self.endpoint = ReliableEndpoint(config.endpoint, now)
        self._sender = OrderedSender(config.send_window)
        self._receiver = OrderedReceiver(config.send_window)
        self._part_size = part_size(config)
        self._room = config.endpoint.fragment_above
        max_packet = config.endpoint.max_packet_size
        self.max_unreliable_size = max_packet - unreliable_overhead(max_packet)
        self._unreliable: deque[tuple[int, bytes]] = deque()
        self._parts_left: dict[int, int] = {}  # reliable message handle -> parts not acked
        self._unreported: deque[int] = deque()  # reliable handles not reported, in send order
        self._contents: SequenceBuffer[_PacketContents] = SequenceBuffer(
            config.endpoint.sent_packets
        )
        self._acked_handles: list[int] = []
        self._next_handle = 0
        self.messages_sent = 0
        self.messages_received = 0
        self.parts_resent = 0
        self.parts_duplicate = 0

    # -- sending ---------------------------------------------------------------------------

    def send(self, channel: Channel, message: bytes) -> int:
        """Queue `message`; its handle (unique in this connection, increasing).

        ValueError for a message over its channel's limit; SendQueueFull when the
        reliable queue would exceed `max_queued_bytes`.
        """
        size = len(message)
        if channel == Channel.UNRELIABLE:
            if size > self.max_unreliable_size:
                limit = self.max_unreliable_size
                raise ValueError(f"unreliable message of {size} bytes exceeds {limit}")
        elif channel == Channel.RELIABLE_ORDERED:
            if size > self.config.max_message_size:
                raise ValueError(f"message of {size} bytes exceeds {self.config.max_message_size}")
            if self._sender.queued_bytes + size > self.config.max_queued_bytes:
                raise SendQueueFull(f"{self._sender.queued_bytes} bytes already queued")
        else:
            raise ValueError(f"unknown channel {channel!r}")
        handle = self._next_handle
        self._next_handle += 1
        self.messages_sent += 1
        if channel == Channel.UNRELIABLE:
            self._unreliable.append((handle, message))
        else:
            parts = split_message(message, self._part_size)
            for part in parts:
                part.handle = handle
            self._parts_left[handle] = len(parts)
            self._unreported.append(handle)
            self._sender.queue(parts)
        return handle

    def resend_interval(self) -> float:
        endpoint = self.endpoint
        return max(self.config.resend_min, endpoint.rtt + 4 * endpoint.rtt_jitter)

    def write_packets(self, now: float, budget_bytes: int | None = None) -> list[bytes]:
        """The datagrams to send now: queued unreliable messages, then reliable parts due.

        Packets are filled up to `fragment_above` bytes of payload, as many as needed,
        until the bytes written reach `budget_bytes` (the last packet may pass it):
        what is left waits for the next call. Then ack-only packets, when packets
        arrived and none of ours has carried their acks for `ack_interval`.
        """
        datagrams: list[bytes] = []
        if not self._unreliable and not self._sender.pending:  # the common case: acks only
            if self.endpoint.ack_backlog:  # else nothing to write (loss is judged at the next)
                self.endpoint.update(now)
                self._write_acks(now, datagrams)
            return datagrams
        self.endpoint.update(now)
        due = self._sender.due(now, self.resend_interval())
        spent = 0
        next_due = 0
        unreliable, room = self._unreliable, self._room
        while unreliable or next_due < len(due):
            if budget_bytes is not None and spent >= budget_bytes:
                break
            writer = PayloadWriter()
            handles: list[int] = []
            while unreliable:
                handle, data = unreliable[0]
                need = unreliable_overhead(len(data)) + len(data)
                if len(writer) + need > room and len(writer):
                    break
                writer.add_unreliable(data)
                handles.append(handle)
                unreliable.popleft()
            parts: list[Part] = []
            while next_due < len(due):
                part = due[next_due]
                need = writer.reliable_size(part.message_id, len(part.data), part.flags, part.total)
                if len(writer) + need > room:
                    break
                writer.add_reliable(part.message_id, part.data, part.flags, part.total)
                if math.isfinite(part.last_sent):
                    self.parts_resent += 1
                part.last_sent = now
                parts.append(part)
                next_due += 1
            sequence, packet = self.endpoint.send(writer.getvalue(), now)
            self._contents.insert(sequence, _PacketContents(tuple(parts), tuple(handles)))
            datagrams += packet
            spent += sum(len(datagram) for datagram in packet)
        self._write_acks(now, datagrams)
        return datagrams

    def _write_acks(self, now: float, datagrams: list[bytes]) -> None:
        """Ack-only packets: at once for packets a burst pushed behind the newest 32, else
        one per `ack_interval` while received packets are owed acks."""
        endpoint = self.endpoint
        if not endpoint.ack_backlog:
            return
        interval = self.config.ack_interval - _EPSILON
        for _ in range(self.config.max_ack_packets):
            if not endpoint.ack_backlog:
                return
            if not endpoint.acks_behind and now - endpoint.last_send_time < interval:
                return
            datagrams += endpoint.send(b"", now)[1]

    # -- receiving -------------------------------------------------------------------------

    def receive(self, datagram: bytes, now: float) -> list[tuple[Channel, bytes]]:
        """The messages `datagram` completes, in order (unreliable ones as they come)."""
        result = self.endpoint.receive(datagram, now)
        self._take_packet_acks()
        if result is None or not result[1]:
            return []
        entries = decode_payload(result[1], self.config.max_message_size)
        delivered: list[tuple[Channel, bytes]] = []
        receiver = self._receiver
        for entry in entries:
            if entry.kind == UNRELIABLE:
                delivered.append((Channel.UNRELIABLE, entry.data))
            elif not receiver.accept(entry):
                self.parts_duplicate += 1
        delivered += [(Channel.RELIABLE_ORDERED, message) for message in receiver.deliver()]
        self.messages_received += len(delivered)
        return delivered

    def _take_packet_acks(self) -> None:
        contents, sender = self._contents, self._sender
        for sequence in self.endpoint.take_acks():
            packet = contents.find(sequence)
            if packet is None:
                continue
            contents.remove(sequence)
            parts_left = self._parts_left
            for part in packet.parts:
                if part.acked:
                    continue  # an earlier packet carrying it was acked first
                sender.acked(part)
                parts_left[part.handle] -= 1
                if not parts_left[part.handle]:
                    del parts_left[part.handle]
            if self.report_acks:
                self._acked_handles += packet.handles
        # A reliable message is delivered once it and every one before it arrived whole:
        # report it then, not when its own parts are acked while an earlier one is missing
        # (a full state acked but not delivered would make every delta based on it useless).
        unreported = self._unreported
        while unreported and unreported[0] not in self._parts_left:
            handle = unreported.popleft()
            if self.report_acks:
                self._acked_handles.append(handle)

    def take_acked(self) -> list[int]:
        """Handles of messages the peer newly acknowledged, each once: an unreliable one when
        its packet was, a reliable one when every chunk of it and of every reliable message
        before it was (the peer has delivered it)."""
        acked, self._acked_handles = self._acked_handles, []
        return acked

    def update(self, now: float) -> None:
        """Move time on between packets (for the loss estimate); resends need no call."""
        self.endpoint.update(now)

    # -- state and estimates ---------------------------------------------------------------

    @property
    def reliable_pending(self) -> bool:
        """Reliable messages queued or not yet acknowledged."""
        return self._sender.pending

    @property
    def reliable_in_flight(self) -> int:
        return self._sender.in_flight

    @property
    def queued_bytes(self) -> int:
        """Reliable bytes waiting or in flight."""
        return self._sender.queued_bytes

    @property
    def receive_buffered(self) -> int:
        """Reliable parts held until an earlier one arrives."""
        return self._receiver.buffered

    @property
    def rtt(self) -> float:
        return self.endpoint.rtt

    @property
    def rtt_jitter(self) -> float:
        return self.endpoint.rtt_jitter

    @property
    def packet_loss(self) -> float:
        return self.endpoint.packet_loss

    @property
    def sent_kbps(self) -> float:
        return self.endpoint.sent_kbps

    @property
    def received_kbps(self) -> float:
        return self.endpoint.received_kbps

    @property
    def acked_kbps(self) -> float:
        return self.endpoint.acked_kbps
