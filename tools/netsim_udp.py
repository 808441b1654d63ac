"""The UDP half of tools.netsim: a datagram relay with loss, duplication and reordering.

    python -m tools.netsim --udp --listen 127.0.0.1:6000 --to 127.0.0.1:5000 \\
        --latency 50 --jitter 20 --loss 5 --duplicate 1 --reorder 1 --bandwidth 100

Every client address that sends to --listen gets its own upstream socket, so
the server sees one address per client, as it would across the Internet. Each
direction of each client passes a `DatagramLine` (engine/net/datagrams.py):
latency, jitter, loss, duplication, reordering and a bandwidth cap. A client
silent for IDLE_SECONDS is forgotten (its upstream socket closed).
"""

from __future__ import annotations

import logging
import random
import selectors
from collections.abc import Callable
from dataclasses import dataclass

from engine.net.datagrams import (
    Address,
    Conditions,
    DatagramLine,
    UdpSocket,
    format_address,
)
from engine.time import Clock, MonotonicClock

log = logging.getLogger("tools.netsim")

IDLE_SECONDS = 30.0
MAX_CLIENTS = 1024
IDLE_WAKE = 0.5


class PollingRelay:
    """What both relays (TCP here in netsim, UDP below) do around their `poll`."""

    clock: Clock

    def poll(self, timeout: float) -> None:
        raise NotImplementedError

    def run_for(self, seconds: float) -> None:
        """Poll until `seconds` have passed on the relay's clock."""
        deadline = self.clock.now() + seconds
        while (left := deadline - self.clock.now()) > 0:
            self.poll(left)

    def serve(self, should_stop: Callable[[], bool]) -> None:
        """Poll until `should_stop()` (checked at least every IDLE_WAKE seconds)."""
        while not should_stop():
            self.poll(IDLE_WAKE)


@dataclass(eq=False)
class _Client:
    """One client address: its upstream socket and a line each way."""

    number: int
    address: Address
    upstream: UdpSocket
    up: DatagramLine
    down: DatagramLine
    last_heard: float


@dataclass(frozen=True, slots=True)
class UdpRelaySummary:
    clients: int
    datagrams_up: int
    datagrams_down: int
    lost: int
    duplicated: int

    def line(self) -> str:
        return (
            f"relayed {self.clients} client{'' if self.clients == 1 else 's'}: "
            f"{self.datagrams_up} datagrams up, "
            f"{self.datagrams_down} down, {self.lost} lost, {self.duplicated} duplicated"
        )


class UdpRelay(PollingRelay):
    """Relays datagrams between clients on `listen` and the server at `target`."""

    def __init__(
        self,
        listen: Address,
        target: Address,
        conditions: Conditions | None = None,
        *,
        seed: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.listen = listen
        self.target = target
        self.conditions = conditions or Conditions()
        self.clock = clock or MonotonicClock()
        self._rng = random.Random(seed)
        self._socket: UdpSocket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._clients: dict[Address, _Client] = {}
        self._retired = UdpRelaySummary(0, 0, 0, 0, 0)
        self.clients_seen = 0

    def start(self) -> UdpRelay:
        """Bind --listen (OSError with a one-line message if it cannot). Returns self."""
        if self._socket is None:
            self._socket = UdpSocket.bind(*self.listen)
            self._selector = selectors.DefaultSelector()
            self._selector.register(self._socket.filenos()[0], selectors.EVENT_READ, None)
        return self

    def __enter__(self) -> UdpRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> Address:
        if self._socket is None:
            raise RuntimeError("the relay is not started")
        return self._socket.address

    @property
    def active(self) -> int:
        return len(self._clients)

    def summary(self) -> UdpRelaySummary:
        done = self._retired
        lines = [(c.up, c.down) for c in self._clients.values()]
        return UdpRelaySummary(
            self.clients_seen,
            done.datagrams_up + sum(up.delivered for up, _ in lines),
            done.datagrams_down + sum(down.delivered for _, down in lines),
            done.lost + sum(up.lost + down.lost for up, down in lines),
            done.duplicated + sum(up.duplicated + down.duplicated for up, down in lines),
        )

    def close(self) -> None:
        for client in list(self._clients.values()):
            self._forget(client, "relay stopping")
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    # -- running ----------------------------------------------------------------------------

    def poll(self, timeout: float) -> None:
        """Sleep until a datagram arrives, one is due or `timeout` passes; then relay."""
        if self._socket is None or self._selector is None:
            raise RuntimeError("the relay is not started")
        now = self.clock.now()
        wake = now + max(0.0, timeout)
        for client in self._clients.values():
            for line in (client.up, client.down):
                due = line.next_due()
                if due is not None and due < wake:
                    wake = due
        ready = self._selector.select(max(0.0, wake - now))
        now = self.clock.now()
        for key, _ in ready:
            if key.data is None:
                self._from_clients(now)
            else:
                self._from_server(key.data, now)
        self._deliver(now)
        for client in list(self._clients.values()):
            if now - client.last_heard > IDLE_SECONDS and not len(client.up) + len(client.down):
                self._forget(client, f"silent for {IDLE_SECONDS:g} s")

    def _from_clients(self, now: float) -> None:
        assert self._socket is not None
        for datagram, source in self._socket.receive(now):
            client = self._clients.get(source) or self._adopt(source, now)
            if client is not None:
                client.last_heard = now
                client.up.push(datagram, now, self.target)

    def _from_server(self, client: _Client, now: float) -> None:
        for datagram, source in client.upstream.receive(now):
            if source == self.target:
                client.down.push(datagram, now, client.address)

    def _deliver(self, now: float) -> None:
        assert self._socket is not None
        for client in self._clients.values():
            for datagram, to in client.up.pop_due(now):
                client.upstream.send_to(datagram, to, now)  # type: ignore[arg-type]
            for datagram, to in client.down.pop_due(now):
                self._socket.send_to(datagram, to, now)  # type: ignore[arg-type]

    def _adopt(self, source: Address, now: float) -> _Client | None:
        if len(self._clients) >= MAX_CLIENTS:
            return None
        assert self._selector is not None
        host = "::" if ":" in self.target[0] else "0.0.0.0"
        upstream = UdpSocket.bind(host, 0)
        self.clients_seen += 1
        client = _Client(
            self.clients_seen,
            source,
            upstream,
            DatagramLine(self.conditions, random.Random(self._rng.getrandbits(64))),
            DatagramLine(self.conditions, random.Random(self._rng.getrandbits(64))),
            now,
        )
        self._clients[source] = client
        self._selector.register(upstream.filenos()[0], selectors.EVENT_READ, client)
        log.info("client %d from %s", client.number, format_address(source))
        return client

    def _forget(self, client: _Client, reason: str) -> None:
        assert self._selector is not None
        self._selector.unregister(client.upstream.filenos()[0])
        client.upstream.close()
        del self._clients[client.address]
        done = self._retired
        self._retired = UdpRelaySummary(
            done.clients,
            done.datagrams_up + client.up.delivered,
            done.datagrams_down + client.down.delivered,
            done.lost + client.up.lost + client.down.lost,
            done.duplicated + client.up.duplicated + client.down.duplicated,
        )
        log.info("client %d forgotten: %s", client.number, reason)
