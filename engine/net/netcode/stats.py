"""Counts of datagrams ignored, by reason: peer input never raises, so this is where it shows."""

from __future__ import annotations

import logging
from collections import Counter


class IgnoredCounter:
    """`ignored[reason]` counts datagrams dropped for that one-line reason; each is also
    logged at debug level, so a test or an operator can see what a peer got wrong."""

    __slots__ = ("ignored", "_log")

    def __init__(self, log: logging.Logger) -> None:
        self.ignored: Counter[str] = Counter()
        self._log = log

    @property
    def total(self) -> int:
        return sum(self.ignored.values())

    def ignore(self, reason: str, address: object = None) -> None:
        self.ignored[reason] += 1
        self._log.debug("ignored datagram from %s: %s", address, reason)
