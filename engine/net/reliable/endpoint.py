"""One end of a sequenced, acknowledged packet stream over unreliable datagrams.

Sans-I/O: `send` numbers a payload and returns the datagram(s) to hand to
netcode, `receive` takes one datagram and returns a whole packet when one is
complete, `take_acks` names our packets the peer has newly acknowledged. Every
packet header acknowledges the peer's newest packet and the 31 before it, so
an ack lost with one packet travels again in the next ones. Nothing is resent
here: the layer above decides what a lost packet's contents deserve.

Errors: a datagram that breaks the wire format (see `header`) is counted
(`packets_invalid` or `fragments_invalid`) and `receive` raises ProtocolError,
with the endpoint left as it was. Netcode authenticates every payload, so
garbage can only come from a broken or hostile peer, and the session above
drops it. What the network does to good datagrams (loss, duplicates, reordering,
a fragment of a packet long gone) is normal: counted and ignored, never raised.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from engine.net.errors import ProtocolError
from engine.net.reliable.config import EndpointConfig
from engine.net.reliable.counters import EndpointCounters
from engine.net.reliable.estimates import LossEstimator, RateMeter, RttEstimator
from engine.net.reliable.fragments import Reassembler, split_packet
from engine.net.reliable.header import (
    FRAGMENT_HEADER_SIZE,
    read_fragment_header,
    read_packet_header,
    write_packet_header,
)
from engine.net.reliable.sequence import (
    ACK_BITS,
    HALF,
    SEQUENCE_MASK,
    SequenceBuffer,
    ack_bits,
    sequence_distance,
)

_SETTLED_BITS = 256
"""Sequences below the newest ack whose acknowledgement is remembered as a bit mask."""
_SETTLED_WINDOW = (1 << _SETTLED_BITS) - 1
_RECEIVED_BITS = 64
_RECEIVED_WINDOW = (1 << _RECEIVED_BITS) - 1
_ACK_FIELD = (1 << ACK_BITS) - 1


@dataclass(slots=True)
class _Sent:
    time: float
    size: int
    acked: bool = False


class ReliableEndpoint:
    """Numbers, acknowledges, fragments and measures packets; see the module docstring."""

    def __init__(self, config: EndpointConfig | None = None, now: float = 0.0) -> None:
        self.config = config = config or EndpointConfig()
        self.counters = EndpointCounters()
        self.last_send_time = now
        self._time = now
        self._sequence = 0
        self._sent: SequenceBuffer[_Sent] = SequenceBuffer(config.sent_packets)
        self._recv_top: int | None = None  # the newest sequence received
        self._recv_bits = 0  # bit i: sequence _recv_top - i was received
        self._ack_top: int | None = None  # the newest ack the peer sent
        self._ack_mask = 0  # bit i: sequence _ack_top - i is settled (acked, or never sent)
        self._received: SequenceBuffer[bool] = SequenceBuffer(config.received_packets)
        self._reassembler = Reassembler(config, self.counters)
        self._acks: list[int] = []
        # Received packets that asked for an ack (non-empty payload), and how many of our
        # headers have covered them so far: they leave at ack_redundancy; see _choose_ack.
        self._ack_backlog: dict[int, int] = {}
        self._awaiting_judgement: deque[_Sent] = deque()
        self._rtt = RttEstimator(config.rtt_smoothing)
        self._loss = LossEstimator(config.loss_window)
        self._sent_meter = RateMeter(config.bandwidth_window, now)
        self._received_meter = RateMeter(config.bandwidth_window, now)
        self._acked_meter = RateMeter(config.bandwidth_window, now)

    # -- sending ---------------------------------------------------------------------------

    @property
    def next_sequence(self) -> int:
        """The sequence the next `send` will use."""
        return self._sequence

    def send(self, payload: bytes, now: float) -> tuple[int, list[bytes]]:
        """Number `payload` and return its sequence and the datagram(s) that carry it.

        An empty payload is an ack-only packet: it carries acks and asks for none
        (so two quiet peers do not ack each other's acks forever) and is left out of
        the loss estimate. ValueError when the payload exceeds `max_packet_size`.
        """
        config = self.config
        if len(payload) > config.max_packet_size:
            raise ValueError(
                f"payload of {len(payload)} bytes exceeds max_packet_size {config.max_packet_size}"
            )
        self._advance(now)
        sequence = self._sequence
        self._sequence = (sequence + 1) & SEQUENCE_MASK
        ack, newest = self._choose_ack(ack_only=not payload)
        if ack == self._recv_top:  # the usual case: bits kept up to date as packets arrive
            bits = self._recv_bits & _ACK_FIELD
        else:
            _, bits = ack_bits(self._received, ack)
        packet = write_packet_header(sequence, ack, bits, newest) + payload
        record = _Sent(now, len(packet))
        self._sent.insert(sequence, record)
        if payload:
            self._awaiting_judgement.append(record)
        if len(payload) <= config.fragment_above:
            datagrams = [packet]
        else:
            datagrams = split_packet(sequence, packet, config.fragment_size)
            self.counters.fragments_sent += len(datagrams)
        self._sent_meter.add(now, len(packet) + FRAGMENT_HEADER_SIZE * (len(datagrams) - 1))
        self.counters.packets_sent += 1
        self.last_send_time = now
        return sequence, datagrams

    @property
    def ack_backlog(self) -> int:
        """Received packets not yet acknowledged in `ack_redundancy` of our headers."""
        return len(self._ack_backlog)

    @property
    def acks_behind(self) -> int:
        """Packets of the backlog more than 32 behind the newest received: only an ack-only
        packet (an empty `send`) can still acknowledge them, so send one soon."""
        newest = (self._received.sequence - 1) & SEQUENCE_MASK
        return sum(sequence_distance(newest, s) >= ACK_BITS for s in self._ack_backlog)

    def _choose_ack(self, ack_only: bool) -> tuple[int, bool]:
        """The ack field of the next header, and whether it is the newest sequence received.

        A packet with a payload acks the newest: its 32 bits cover everything recent,
        again in every packet, and its round trip is a fair RTT sample. After a burst
        (more than 32 packets between two of ours) older packets would drop out of
        every header unacknowledged, or acknowledged once in a packet that may be
        lost; so each received packet stays in a backlog until `ack_redundancy`
        headers have covered it, and an ack-only packet names the newest of those
        left behind instead.
        """
        received = self._received
        newest = (received.sequence - 1) & SEQUENCE_MASK
        backlog = self._ack_backlog
        if not backlog:
            return newest, True
        ack, is_newest = newest, True
        if ack_only:
            behind = [s for s in backlog if sequence_distance(newest, s) >= ACK_BITS]
            if behind:
                ack, is_newest = min(behind, key=lambda s: sequence_distance(newest, s)), False
        horizon, redundancy = received.size, self.config.ack_redundancy
        for sequence, covered in list(backlog.items()):
            if sequence_distance(newest, sequence) >= horizon:
                del backlog[sequence]
            elif sequence_distance(ack, sequence) < ACK_BITS:
                if covered + 1 >= redundancy:
                    del backlog[sequence]
                else:
                    backlog[sequence] = covered + 1
        return ack, is_newest

    # -- receiving -------------------------------------------------------------------------

    def receive(self, datagram: bytes, now: float) -> tuple[int, bytes] | None:
        """A whole packet's (sequence, payload) once `datagram` completes one, else None.

        None for a fragment of a packet still incomplete, a duplicate or a stale
        packet; ProtocolError for bytes that break the format (module docstring).
        """
        self._advance(now)
        counters = self.counters
        size = len(datagram)
        if not datagram or size > self.config.max_datagram:
            counters.packets_invalid += 1
            raise ProtocolError(f"datagram of {size} bytes (1..{self.config.max_datagram})")
        if not datagram[0] & 0x01:
            return self._process(datagram, size, None, now)
        try:
            header = read_fragment_header(datagram, self.config.max_fragments)
        except ProtocolError:
            counters.fragments_invalid += 1
            raise
        counters.fragments_received += 1
        received = self._received
        if received.exists(header.sequence):
            counters.fragments_duplicate += 1
            return None
        if received.is_stale(header.sequence):
            counters.fragments_stale += 1
            return None
        try:
            packet = self._reassembler.add(header, datagram[FRAGMENT_HEADER_SIZE:])
        except ProtocolError:
            counters.fragments_invalid += 1
            raise
        if packet is None:
            return None
        wire_size = len(packet) + FRAGMENT_HEADER_SIZE * header.count
        return self._process(packet, wire_size, header.sequence, now)

    def _process(
        self, packet: bytes, wire_size: int, fragment_of: int | None, now: float
    ) -> tuple[int, bytes] | None:
        counters = self.counters
        try:
            header = read_packet_header(packet)
            if fragment_of is not None and header.sequence != fragment_of:
                raise ProtocolError(
                    f"fragments of packet {fragment_of} rebuilt packet {header.sequence}"
                )
        except ProtocolError:
            counters.packets_invalid += 1
            raise
        sequence = header.sequence
        received = self._received
        if received.is_stale(sequence):
            counters.packets_stale += 1
            return None
        if received.exists(sequence):
            counters.packets_duplicate += 1
            return None
        received.insert(sequence, True)
        self._note_received(sequence)
        self._reassembler.advance(sequence)
        payload = packet[header.size :]
        if payload:
            self._ack_backlog[sequence] = 0
        counters.packets_received += 1
        self._received_meter.add(now, wire_size)
        self._take_ack_field(header.ack, header.ack_bits, header.ack_is_newest, now)
        return sequence, payload

    def _note_received(self, sequence: int) -> None:
        """Keep the ack bits of the newest sequence received (bit i: newest - i arrived)."""
        top = self._recv_top
        if top is None:
            self._recv_top, self._recv_bits = sequence, 1
            return
        ahead = (sequence - top) & SEQUENCE_MASK
        if ahead < HALF:  # newer
            self._recv_bits = ((self._recv_bits << ahead) | 1) & _RECEIVED_WINDOW
            self._recv_top = sequence
        elif (behind := (top - sequence) & SEQUENCE_MASK) < _RECEIVED_BITS:
            self._recv_bits |= 1 << behind

    def _take_ack_field(self, ack: int, bits: int, is_newest: bool, now: float) -> None:
        """Acknowledge our packets named by an ack field (`ack` and the 32 before it, by bit).

        Every packet repeats the field, so most of its bits were seen already: a mask of
        the sequences settled (acked, or never sent) below the newest ack seen skips
        them, and only new bits cost a lookup. A field far behind that newest ack (an
        ack-only packet for a backlog) is read bit by bit."""
        top = self._ack_top
        if top is None or (ack - top) & SEQUENCE_MASK < HALF:  # a newer (or the same) ack
            shift = 0 if top is None else (ack - top) & SEQUENCE_MASK
            self._ack_mask = (self._ack_mask << shift) & _SETTLED_WINDOW
            self._ack_top = top = ack
        behind = (top - ack) & SEQUENCE_MASK
        if behind + ACK_BITS > _SETTLED_BITS:  # too far behind for the mask: the slow way
            self._acknowledge(ack, bits, is_newest, now)
            return
        field = bits << behind  # bit i: sequence top - i
        fresh = field & ~self._ack_mask
        self._ack_mask |= field
        if fresh:
            self._acknowledge(top, fresh, is_newest and behind == 0, now)

    def _acknowledge(self, ack: int, bits: int, is_newest: bool, now: float) -> None:
        """Acknowledge sequence `ack - i` for every set bit i of `bits`."""
        sent, acks = self._sent, []
        while bits:
            low = bits & -bits
            bits ^= low
            offset = low.bit_length() - 1
            sequence = (ack - offset) & SEQUENCE_MASK
            record = sent.find(sequence)
            if record is None or record.acked:
                continue
            record.acked = True
            acks.append(sequence)
            self.counters.packets_acked += 1
            self._acked_meter.add(now, record.size)
            if offset == 0 and is_newest:
                self._rtt.sample(now - record.time)
        if acks:
            acks.reverse()  # oldest first, as they were sent
            self._acks += acks

    def take_acks(self) -> list[int]:
        """Sequences of our packets newly acknowledged since the last call, each once."""
        acks, self._acks = self._acks, []
        return acks

    # -- time and estimates ----------------------------------------------------------------

    def update(self, now: float) -> None:
        """Move time on with nothing sent or received (packet loss is judged by time)."""
        self._advance(now)

    def _advance(self, now: float) -> None:
        self._time = now
        waiting = self._awaiting_judgement
        if not waiting:
            return
        deadline = now - self.config.loss_timeout - 2 * self._rtt.rtt
        judge = self._loss.judge
        while waiting and waiting[0].time <= deadline:
            judge(not waiting.popleft().acked)

    @property
    def rtt(self) -> float:
        """Smoothed round-trip time in seconds (0.0 before the first sample)."""
        return self._rtt.rtt

    @property
    def rtt_jitter(self) -> float:
        """Smoothed mean deviation of the RTT samples, in seconds."""
        return self._rtt.jitter

    @property
    def rtt_min(self) -> float:
        return self._rtt.min_rtt

    @property
    def packet_loss(self) -> float:
        """Share (0..1) of our recent packets not acked within loss_timeout + 2 RTT."""
        return self._loss.loss

    @property
    def sent_kbps(self) -> float:
        return self._sent_meter.kbps(self._time)

    @property
    def received_kbps(self) -> float:
        return self._received_meter.kbps(self._time)

    @property
    def acked_kbps(self) -> float:
        return self._acked_meter.kbps(self._time)

    @property
    def reassembly_bytes(self) -> int:
        """Bytes of fragments held for packets not yet complete."""
        return self._reassembler.buffered_bytes
