"""What the lobby asks of an allocation backend, and what it gets back.

A backend finds a game server with room for a whole party and holds that room for it
(`Allocator.allocate`); the lobby then makes one connect token per player for the
addresses the backend names. Two backends: `local` (servers on this machine) and
`agones` (a GameServerAllocation on Kubernetes). Errors are one line each, said to the
player as the lobby's JSON error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.net.netcode import Address

MAX_PARTY = 4


class NoRoom(Exception):
    """No server has room for the party now (the lobby answers 503: try again shortly)."""


class AllocatorError(Exception):
    """The backend could not be asked, or answered something unusable (the lobby answers
    502); the message is one line and names what failed."""


@dataclass(frozen=True, slots=True)
class Party:
    """Players who want to land on one server together (1..MAX_PARTY names, unique)."""

    players: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.players) <= MAX_PARTY:
            raise ValueError(f"a party has 1 to {MAX_PARTY} players, not {len(self.players)}")

    @property
    def size(self) -> int:
        return len(self.players)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a party goes: a server's id (for people and metrics) and the addresses its
    tickets name, in the order a client tries them."""

    server: str
    addresses: tuple[Address, ...]
    details: dict[str, Any] = field(default_factory=dict, compare=False)


class Allocator(Protocol):
    """An allocation backend. Its methods run on the lobby's event loop."""

    name: str

    async def start(self) -> None:
        """Begin (start servers, check the API can be reached); AllocatorError if it cannot."""

    async def allocate(self, party: Party) -> Placement:
        """Room for the whole party on one server, held for it; NoRoom or AllocatorError."""

    def servers(self) -> list[dict[str, Any]]:
        """What the backend knows of its servers, for GET /v1/servers (JSON-ready)."""

    async def close(self) -> None:
        """Stop (a local fleet stops its servers)."""
