"""Networking: sans-I/O protocol (codecs, framing, messages, connection), transports, replication,
and the per-game schema (components and messages) the handshake compares.

Nothing here but `transport` touches a socket: framing, handshake and peer
state take bytes in and give events out, so TCP, the in-memory loopback and
tests all drive the same code path.
"""

from engine.net.errors import ProtocolError

__all__ = ["ProtocolError"]
