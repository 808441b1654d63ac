"""A seeded bad network in memory, and two ChannelConnections talking over it by a manual clock.

`Link` is one direction: each datagram is lost with probability `loss`, else
delivered after `latency` plus a uniform extra delay up to `jitter` (so datagrams
overtake each other), and with probability `duplicate` delivered twice (each copy
with its own delay). Same seed, same fate for the same sequence of datagrams.

`Simulation` ticks two connections: deliver what is due, then each side writes
its packets. No sleeps; time moves only in `step`.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.net.reliable import Channel, ChannelConfig, ChannelConnection


@dataclass(frozen=True, slots=True)
class Conditions:
    latency: float = 0.05
    jitter: float = 0.0
    loss: float = 0.0
    duplicate: float = 0.0


class Link:
    """One direction of a lossy, reordering, duplicating network."""

    def __init__(self, conditions: Conditions, rng: random.Random) -> None:
        self.conditions = conditions
        self.rng = rng
        self._in_flight: list[tuple[float, int, bytes]] = []
        self._count = 0
        self.sent = 0
        self.dropped = 0
        self.delivered = 0
        self.bytes_sent = 0

    def send(self, datagram: bytes, now: float) -> None:
        c, rng = self.conditions, self.rng
        self.sent += 1
        self.bytes_sent += len(datagram)
        if rng.random() < c.loss:
            self.dropped += 1
            return
        copies = 2 if rng.random() < c.duplicate else 1
        for _ in range(copies):
            at = now + c.latency + (rng.uniform(0.0, c.jitter) if c.jitter else 0.0)
            self._count += 1
            heapq.heappush(self._in_flight, (at, self._count, datagram))

    def deliver(self, now: float) -> list[bytes]:
        """Every datagram whose time has come, in arrival order."""
        due = []
        while self._in_flight and self._in_flight[0][0] <= now:
            due.append(heapq.heappop(self._in_flight)[2])
        self.delivered += len(due)
        return due

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)


@dataclass
class Side:
    """One connection, what it received, and its link towards the other side."""

    connection: ChannelConnection
    link: Link
    reliable: list[bytes] = field(default_factory=list)
    unreliable: list[bytes] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    budget: int | None = None

    def take(self, messages: list[tuple[Channel, bytes]]) -> None:
        for channel, message in messages:
            (self.reliable if channel == Channel.RELIABLE_ORDERED else self.unreliable).append(
                message
            )


class Simulation:
    """Two ChannelConnections over two Links, stepped by a manual clock."""

    def __init__(
        self,
        seed: int,
        conditions: Conditions,
        back: Conditions | None = None,
        *,
        config: ChannelConfig | None = None,
        tick: float = 1 / 60,
        budget: int | None = None,
    ) -> None:
        self.now = 0.0
        self.tick = tick
        rng = random.Random(seed)
        self.a = Side(ChannelConnection(config, 0.0), Link(conditions, random.Random(rng.random())))
        self.b = Side(
            ChannelConnection(config, 0.0),
            Link(back or conditions, random.Random(rng.random())),
            budget=budget,
        )
        self.a.budget = budget
        self.before_write: Callable[[Simulation], None] | None = None

    def step(self) -> None:
        self.now += self.tick
        now, a, b = self.now, self.a, self.b
        for datagram in a.link.deliver(now):
            b.take(b.connection.receive(datagram, now))
        for datagram in b.link.deliver(now):
            a.take(a.connection.receive(datagram, now))
        if self.before_write is not None:
            self.before_write(self)
        for side in (a, b):
            for datagram in side.connection.write_packets(now, side.budget):
                side.link.send(datagram, now)
            side.acked += side.connection.take_acked()

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / self.tick)):
            self.step()

    def run_until(self, done: Callable[[], bool], limit: float) -> bool:
        """Step until `done()` (True) or `limit` seconds have passed (False)."""
        end = self.now + limit
        while self.now < end:
            if done():
                return True
            self.step()
        return done()
