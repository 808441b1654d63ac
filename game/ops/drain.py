"""Draining: how a server stops when told to (SIGTERM from Kubernetes, an operator's Ctrl-C).

It stops admitting at once: a new connection's handshake is refused ("The server refused to
let you in: the server is shutting down") and its ticket endpoint hands out no more tickets.
Its players are told ("The server is shutting down in N s", a broadcast line on their HUD)
and play on for up to `seconds`, or until the last has gone; then the server closes, which
sends each a Disconnect saying the server is shutting down, and the process exits 0. The
default of 5 s, with the close and the exit, stays well inside the 10 s the server promises
(Kubernetes' grace period is 30 s unless the pod says otherwise).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine.net.messages import BroadcastMessage

if TYPE_CHECKING:
    from game.server import GameServer

log = logging.getLogger(__name__)

DRAIN_SECONDS = 5.0
MAX_DRAIN_SECONDS = 8.0  # leaves time to close and exit within 10 s of the signal
REFUSING = "the server is shutting down"


class Drain:
    def __init__(self, server: GameServer, seconds: float = DRAIN_SECONDS) -> None:
        if not 0 <= seconds <= MAX_DRAIN_SECONDS:
            raise ValueError(f"a drain lasts 0..{MAX_DRAIN_SECONDS:g} s, not {seconds:g}")
        self.server = server
        self.seconds = seconds
        self.started_at: float | None = None

    @property
    def draining(self) -> bool:
        return self.started_at is not None

    def begin(self, now: float, why: str = "asked to stop") -> None:
        """Stop admitting and tell the players (once; later calls do nothing)."""
        if self.started_at is not None:
            return
        self.started_at = now
        net = self.server.net
        net.admitting = False
        net.refusing = REFUSING
        players = len(net.joined_peers())
        if players and self.seconds > 0:
            net.broadcast(BroadcastMessage(f"The server is shutting down in {self.seconds:g} s"))
        log.info(
            "draining (%s): admitting nobody; %d player(s) told, stopping in %g s at most",
            why,
            players,
            self.seconds,
            extra={"players": players, "drain_seconds": self.seconds},
        )

    def over(self, now: float) -> bool:
        """Time to close: the drain has run its time, or nobody is left to wait for."""
        if self.started_at is None:
            return False
        return now >= self.started_at + self.seconds or not self.server.net.joined_peers()
