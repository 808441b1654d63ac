"""The knobs of the reliable layer, checked once when a config is made.

Sizes are bytes, times seconds. Defaults suit a 60 Hz game over netcode 1.02,
whose payloads are 1..1200 bytes: every datagram this layer emits, header
included, stays within `max_datagram`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.net.reliable.header import FRAGMENT_HEADER_SIZE, PACKET_HEADER_MAX
from engine.net.reliable.sequence import HALF, SEQUENCE_MODULO


def _power_of_two(name: str, value: int) -> None:
    if not 1 <= value <= HALF or SEQUENCE_MODULO % value:
        raise ValueError(f"{name} must be a power of two up to {HALF}, not {value}")


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    """Packets, acks, fragments and the estimates of one `ReliableEndpoint`."""

    max_datagram: int = 1200
    """Largest datagram handed to netcode (its payload limit)."""
    fragment_above: int = 1024
    """A payload longer than this is sent as fragments; shorter travels whole."""
    fragment_size: int = 1024
    """Bytes of packet per fragment; at most fragment_above, so a fragmented packet has 2+."""
    max_fragments: int = 256
    max_packet_size: int = 255 * 1024
    """Largest payload `send` accepts and `receive` reassembles (256 fragments, header too)."""
    sent_packets: int = 1024
    """Sent packets remembered for acks: a packet pushed out unacked counts as lost."""
    received_packets: int = 1024
    """Received packets remembered for ack bits and duplicate detection."""
    ack_redundancy: int = 3
    """Headers that must acknowledge a received packet before it leaves the ack backlog."""
    reassembly_packets: int = 64
    """Fragmented packets reassembled at once; an older partial one is dropped."""
    reassembly_bytes: int = 1024 * 1024
    """Bytes of fragments buffered at most; past it the oldest partial packets go."""
    rtt_smoothing: float = 0.1
    """Weight of a new RTT sample in the smoothed RTT (and of its deviation in the jitter)."""
    loss_window: int = 256
    """Packet loss is the share of unacked packets among the last this many judged."""
    loss_timeout: float = 0.25
    """A packet unacked this long past its send (plus twice the RTT) is judged lost."""
    bandwidth_window: float = 1.0
    """Bandwidth is the bytes of the last this many seconds."""

    def __post_init__(self) -> None:
        if self.fragment_above + PACKET_HEADER_MAX > self.max_datagram:
            raise ValueError("fragment_above plus a packet header exceeds max_datagram")
        if not 1 <= self.fragment_size <= self.max_datagram - FRAGMENT_HEADER_SIZE:
            raise ValueError("fragment_size plus a fragment header exceeds max_datagram")
        if self.fragment_size > self.fragment_above:
            raise ValueError("fragment_size above fragment_above could make one-fragment packets")
        if not 2 <= self.max_fragments <= 256:
            raise ValueError("max_fragments must be 2..256 (it travels in a byte)")
        if self.max_packet_size + PACKET_HEADER_MAX > self.max_fragments * self.fragment_size:
            raise ValueError("max_packet_size does not fit in max_fragments fragments")
        if self.reassembly_bytes < self.max_packet_size + PACKET_HEADER_MAX:
            raise ValueError("reassembly_bytes cannot hold one packet of max_packet_size")
        for name in ("sent_packets", "received_packets", "reassembly_packets"):
            _power_of_two(name, getattr(self, name))
        if self.ack_redundancy < 1:
            raise ValueError("ack_redundancy must be at least 1")
        if not 0.0 < self.rtt_smoothing <= 1.0:
            raise ValueError("rtt_smoothing must be in (0, 1]")
        if self.loss_window < 1 or self.loss_timeout <= 0 or self.bandwidth_window <= 0:
            raise ValueError("loss_window, loss_timeout and bandwidth_window must be positive")


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """Message channels over an endpoint (`ChannelConnection`)."""

    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    send_window: int = 1024
    """Reliable messages (and chunks) in flight; the receiver buffers as many out of order."""
    max_message_size: int = 4 * 1024 * 1024
    """Largest reliable message, sent as chunks of about a packet each."""
    max_queued_bytes: int = 64 * 1024 * 1024
    """Reliable bytes waiting or in flight before `send` refuses more (a stuck peer)."""
    resend_min: float = 0.1
    """A reliable message is resent at most this often (or every RTT + 4 jitters if longer)."""
    ack_interval: float = 0.05
    """With nothing to send, acks still go out this often while packets arrive."""
    max_ack_packets: int = 8
    """Ack-only packets one `write_packets` may send to clear a backlog of received packets."""

    def __post_init__(self) -> None:
        _power_of_two("send_window", self.send_window)
        if self.send_window > HALF // 2:
            raise ValueError(f"send_window must be at most {HALF // 2}")
        if self.max_message_size < 1 or self.max_queued_bytes < self.max_message_size:
            raise ValueError("max_queued_bytes must hold at least one max_message_size message")
        if self.resend_min <= 0 or self.ack_interval <= 0 or self.max_ack_packets < 1:
            raise ValueError("resend_min, ack_interval and max_ack_packets must be positive")
