"""What an endpoint counts: for stats screens, logs and tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class EndpointCounters:
    """Running totals (live: the endpoint updates this object in place)."""

    packets_sent: int = 0
    packets_received: int = 0
    packets_acked: int = 0
    packets_stale: int = 0
    packets_duplicate: int = 0
    packets_invalid: int = 0
    fragments_sent: int = 0
    fragments_received: int = 0
    fragments_duplicate: int = 0
    fragments_stale: int = 0
    fragments_invalid: int = 0
    reassemblies_dropped: int = 0
