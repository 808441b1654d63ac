"""Reliability over unreliable datagrams, sans-I/O: acks, fragments, message channels.

The layer between netcode (encrypted datagrams of 1..1200 bytes) and the session:
`ReliableEndpoint` numbers and acknowledges packets and fragments big ones;
`ChannelConnection` carries reliable-ordered and unreliable messages over it.
Nothing here reads a clock or touches a socket: callers pass `now` in seconds.
"""

from engine.net.reliable.channels import Channel, ChannelConnection, SendQueueFull
from engine.net.reliable.config import ChannelConfig, EndpointConfig
from engine.net.reliable.counters import EndpointCounters
from engine.net.reliable.endpoint import ReliableEndpoint

__all__ = [
    "Channel",
    "ChannelConfig",
    "ChannelConnection",
    "EndpointConfig",
    "EndpointCounters",
    "ReliableEndpoint",
    "SendQueueFull",
]
