"""Datagram sockets: UDP, and an in-memory network with the faults of a real one.

Everything above this module (netcode, reliability, sessions) speaks datagrams
to addresses, through one small interface, `DatagramSocket`:

    send_to(datagram, address, now)      queue one datagram (never blocks, never raises)
    receive(now) -> [(datagram, from)]   every datagram that has arrived by `now`
    address                              where this socket is bound
    filenos() / close()                  what to wait on (none for memory); let go

`UdpSocket` is the real thing. `MemoryNetwork` binds `MemorySocket`s to made-up
addresses in one process (single-player, and every test), and puts each datagram
through a `DatagramLine` first: latency, jitter, loss, duplication, reordering
and a bandwidth cap, all on the `now` the caller passes and a seeded
`random.Random`, so a test on a manual clock sees exactly the same faults every run.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import itertools
import logging
import math
import random
import socket
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

Address = tuple[str, int]
"""(host, port): a dotted IPv4 or a textual IPv6 host, as socket.getsockname gives it."""

MAX_DATAGRAM = 1500
"""The largest datagram read from a socket; anything above the netcode 1.2 KB payloads plus
headers fits, and a bigger one is cut off by the kernel (and then fails its checks)."""

RECEIVE_LIMIT = 4096
"""Most datagrams one `receive()` returns, so a flood cannot stall a server step."""

QUEUE_SECONDS = 0.25
"""A bandwidth-capped line queues at most this much traffic; beyond it, it drops (a router's
tail drop), so a sender that outruns the link loses datagrams instead of growing a backlog."""


class DatagramSocket(Protocol):
    """What a protocol endpoint needs from a socket (see the module docstring)."""

    @property
    def address(self) -> Address: ...

    def send_to(self, datagram: bytes, address: Address, now: float) -> None: ...

    def receive(self, now: float) -> list[tuple[bytes, Address]]: ...

    def filenos(self) -> list[int]: ...

    def close(self) -> None: ...


def format_address(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


# -- link conditions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conditions:
    """What one direction of a link does to datagrams. Times in ms, bandwidth in KB/s,
    chances as fractions (0.05 = 5%)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0  # uniform extra delay in [0, jitter] per datagram
    loss: float = 0.0
    duplicate: float = 0.0  # chance a datagram arrives twice (the copy a little later)
    reorder: float = 0.0  # chance a datagram is held back behind the ones sent after it
    bandwidth_kbps: float = 0.0  # 0 = unlimited

    def __post_init__(self) -> None:
        for name in ("latency_ms", "jitter_ms", "bandwidth_kbps"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        for name in ("loss", "duplicate", "reorder"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")

    @property
    def perfect(self) -> bool:
        return self == PERFECT

    def describe(self) -> str:
        parts = [f"latency {self.latency_ms:g} ms", f"jitter {self.jitter_ms:g} ms"]
        parts.append(f"loss {self.loss:.0%}")
        if self.duplicate:
            parts.append(f"duplicate {self.duplicate:.0%}")
        if self.reorder:
            parts.append(f"reorder {self.reorder:.0%}")
        rate = self.bandwidth_kbps
        parts.append(f"bandwidth {rate:g} KB/s" if rate else "bandwidth unlimited")
        return ", ".join(parts)


PERFECT = Conditions()

REORDER_HOLD = 0.05
"""Seconds a reordered datagram is held back beyond its normal delay."""
DUPLICATE_GAP = 0.002
"""Seconds after the original that a duplicate arrives."""


class DatagramLine:
    """One direction of a simulated link: datagrams in with `push`, out on time with `pop_due`.

    Sans-I/O: time comes only from `now` and chance only from `rng`. Unlike a TCP
    line, datagrams are independent: each is lost, delayed, duplicated or held back
    on its own, so they may arrive out of order.
    """

    def __init__(self, conditions: Conditions = PERFECT, rng: random.Random | None = None):
        self.conditions = conditions
        self._rng = rng if rng is not None else random.Random()
        self._queue: list[tuple[float, int, bytes, Address | None]] = []  # a heap by due time
        self._order = itertools.count()
        self._rate = conditions.bandwidth_kbps * 1000  # bytes per second; 0 = unlimited
        self._free_at = -math.inf  # when the capped line finishes what it already carries
        self.sent = 0
        self.delivered = 0
        self.lost = 0
        self.duplicated = 0
        self.reordered = 0
        self.overflowed = 0  # dropped because the capped line was full

    def push(self, datagram: bytes, now: float, to: Address | None = None) -> None:
        """A datagram enters the line at `now`, bound for `to` (which travels with it)."""
        self.sent += 1
        conditions, rng = self.conditions, self._rng
        if conditions.loss and rng.random() < conditions.loss:
            self.lost += 1
            return
        due = now
        if self._rate:
            start = max(now, self._free_at)
            if start - now > QUEUE_SECONDS:
                self.overflowed += 1
                return
            self._free_at = start + len(datagram) / self._rate
            due = self._free_at
        due += conditions.latency_ms / 1000
        if conditions.jitter_ms:
            due += rng.uniform(0.0, conditions.jitter_ms / 1000)
        if conditions.reorder and rng.random() < conditions.reorder:
            due += REORDER_HOLD
            self.reordered += 1
        heapq.heappush(self._queue, (due, next(self._order), datagram, to))
        if conditions.duplicate and rng.random() < conditions.duplicate:
            self.duplicated += 1
            heapq.heappush(self._queue, (due + DUPLICATE_GAP, next(self._order), datagram, to))

    def pop_due(self, now: float) -> list[tuple[bytes, Address | None]]:
        """Every (datagram, destination) due at or before `now`, in arrival order."""
        out: list[tuple[bytes, Address | None]] = []
        queue = self._queue
        while queue and queue[0][0] <= now:
            _, _, datagram, to = heapq.heappop(queue)
            out.append((datagram, to))
        self.delivered += len(out)
        return out

    def next_due(self) -> float | None:
        """When the next datagram arrives (None when the line is empty)."""
        return self._queue[0][0] if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)


# -- the in-memory network ---------------------------------------------------------------


class MemoryNetwork:
    """Sockets in one process, addressed like UDP ones, with per-socket link conditions.

    A datagram from socket A to address B goes through A's outbound `DatagramLine`
    (A's `conditions`), then waits in B's inbox until B receives at or after its
    due time. Datagrams to an address nobody holds vanish, as on the Internet.
    """

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._sockets: dict[Address, MemorySocket] = {}
        self._closed: list[MemorySocket] = []  # closed, with datagrams still on the wire
        self._ports = itertools.count(40000)

    def bind(
        self, address: Address | None = None, conditions: Conditions = PERFECT
    ) -> MemorySocket:
        """A socket at `address` (or a fresh 127.0.0.1 port); OSError if it is taken."""
        if address is None:
            address = ("127.0.0.1", next(self._ports))
            while address in self._sockets:
                address = ("127.0.0.1", next(self._ports))
        if address in self._sockets:
            raise OSError(errno.EADDRINUSE, f"{format_address(address)} is already in use")
        line = DatagramLine(conditions, random.Random(self._rng.getrandbits(64)))
        sock = MemorySocket(self, address, line)
        self._sockets[address] = sock
        return sock

    def _deliver(self, now: float) -> None:
        """Move every due datagram from the lines into their destination's inbox."""
        self._closed = [sock for sock in self._closed if len(sock.line)]
        for sock in [*self._sockets.values(), *self._closed]:
            for datagram, destination in sock.line.pop_due(now):
                target = self._sockets.get(destination)  # type: ignore[arg-type]
                if target is not None and not target.closed:
                    target.inbox.append((datagram, sock.address))

    def _release(self, sock: MemorySocket) -> None:
        """Free the address; what the socket sent is still delivered (it left already)."""
        if self._sockets.get(sock.address) is sock:
            del self._sockets[sock.address]
        if len(sock.line):
            self._closed.append(sock)

    def next_due(self) -> float | None:
        """When the next datagram in flight anywhere arrives (None: nothing in flight)."""
        lines = [s.line for s in (*self._sockets.values(), *self._closed)]
        dues = [due for line in lines if (due := line.next_due()) is not None]
        return min(dues, default=None)


class MemorySocket:
    """A socket on a MemoryNetwork (see DatagramSocket)."""

    def __init__(self, network: MemoryNetwork, address: Address, line: DatagramLine) -> None:
        self.network = network
        self._address = address
        self.line = line
        self.inbox: list[tuple[bytes, Address]] = []
        self.closed = False

    @property
    def address(self) -> Address:
        return self._address

    @property
    def conditions(self) -> Conditions:
        return self.line.conditions

    def send_to(self, datagram: bytes, address: Address, now: float) -> None:
        if self.closed:
            return
        self.line.push(bytes(datagram), now, (address[0], address[1]))

    def receive(self, now: float) -> list[tuple[bytes, Address]]:
        if self.closed:
            return []
        self.network._deliver(now)
        got, self.inbox = self.inbox[:RECEIVE_LIMIT], self.inbox[RECEIVE_LIMIT:]
        return got

    def filenos(self) -> list[int]:
        return []

    def close(self) -> None:
        self.closed = True
        self.inbox.clear()
        self.network._release(self)


# -- UDP ---------------------------------------------------------------------------------


class UdpSocket:
    """A non-blocking UDP socket (see DatagramSocket). Send errors are counted and logged
    once, never raised: to a game a datagram that cannot leave is a lost one."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self._address: Address = sock.getsockname()[:2]
        self.send_errors = 0
        self.closed = False

    @classmethod
    def bind(cls, host: str = "0.0.0.0", port: int = 0) -> UdpSocket:
        """Bind to host:port (port 0: any free one). OSError, with a readable message, if the
        port is taken or the host is not this machine's."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
        except OSError as error:
            sock.close()
            reason = "already in use" if error.errno == errno.EADDRINUSE else error.strerror
            raise OSError(error.errno, f"cannot listen on UDP {host}:{port}: {reason}") from None
        with contextlib.suppress(OSError):  # bigger buffers ride out a burst of snapshots
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        return cls(sock)

    @property
    def address(self) -> Address:
        return self._address

    def send_to(self, datagram: bytes, address: Address, now: float) -> None:
        if self.closed:
            return
        try:
            self._sock.sendto(datagram, address)
        except OSError as error:  # a full buffer, an unreachable host, a closed port
            self.send_errors += 1
            if self.send_errors == 1:
                log.warning("UDP send to %s failed: %s", format_address(address), error)

    def receive(self, now: float) -> list[tuple[bytes, Address]]:
        got: list[tuple[bytes, Address]] = []
        if self.closed:
            return got
        recv = self._sock.recvfrom
        while len(got) < RECEIVE_LIMIT:
            try:
                datagram, source = recv(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionError:  # an ICMP "port unreachable" for an earlier send
                continue
            got.append((datagram, source[:2]))
        return got

    def filenos(self) -> list[int]:
        return [] if self.closed else [self._sock.fileno()]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._sock.close()


def host_addresses() -> list[str]:
    """This machine's IP addresses as far as the standard library can tell (loopbacks,
    the host name's addresses, the one that routes outward), loopbacks first."""
    found = ["127.0.0.1", "::1"]
    with contextlib.suppress(OSError, UnicodeError):
        for info in socket.getaddrinfo(socket.gethostname(), None, type=socket.SOCK_DGRAM):
            found.append(str(info[4][0]))
    for family, probe in (
        (socket.AF_INET, ("192.0.2.1", 9)),
        (socket.AF_INET6, ("2001:db8::1", 9)),
    ):
        with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(probe)  # no packet leaves: this only asks the routing table
            found.append(sock.getsockname()[0])
    return list(dict.fromkeys(ip.split("%")[0] for ip in found))
