"""What a game's peers must agree on: its replicated components and its message types.

One `NetSchema` per game instance: the server's NetServer and each client's
NetClient hold one, their connections encode and decode with its messages,
the world's network plugin hands its registries to plugins and mods as
resources, and the handshake compares the hash of both. So a mod's components
and messages change only the games that load it, and two builds that would
misread each other never start talking.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from engine.net.messages import PROTOCOL_VERSION, MessageRegistry
from engine.net.replication import ReplicationRegistry


@dataclass(eq=False)
class NetSchema:
    """A game's replicated components and messages (the engine's messages are always in)."""

    components: ReplicationRegistry = field(default_factory=ReplicationRegistry)
    messages: MessageRegistry = field(default_factory=MessageRegistry)

    def describe(self) -> list[str]:
        """The lines the schema hash covers: protocol version, components, messages."""
        return [
            f"protocol {PROTOCOL_VERSION}",
            *self.components.describe(),
            *self.messages.describe(),
        ]

    def hash(self) -> int:
        """64-bit hash a client's Hello must match: the first 8 bytes of SHA-256 of the lines."""
        digest = hashlib.sha256("\n".join(self.describe()).encode()).digest()
        return int.from_bytes(digest[:8], "big")
