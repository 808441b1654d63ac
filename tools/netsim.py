"""A relay that makes a good network bad, for playing and testing under lag: TCP (here)
or UDP (`--udp`, tools/netsim_udp.py: loss, duplication and reordering too).

    python -m tools.netsim --listen 127.0.0.1:6000 --to 127.0.0.1:5000 \\
        --latency 100 --jitter 20 --bandwidth 50 --stall-chance 0.01 --stall-ms 200
    python -m tools.netsim --udp --listen 127.0.0.1:6000 --to 127.0.0.1:5000 \\
        --latency 50 --jitter 20 --loss 5

Clients connect to --listen; for every connection the relay opens one to --to
and forwards bytes both ways. Each direction is its own `DelayLine`:

- latency: a chunk is delivered `latency` ms after it arrived at the relay;
- jitter: plus a random extra delay, uniform in [0, jitter] ms per chunk, but
  like TCP it never reorders: a chunk is never delivered before the previous
  one (delivery = max(arrival + latency + jitter sample, previous delivery));
- bandwidth: at most KBPS kilobytes (1000 bytes) per second, token-bucket style
  (0 = unlimited); chunks are cut into pieces of about 10 ms of traffic, so the
  flow is smooth rather than bursty;
- stall: with probability P per chunk the direction stalls for stall-ms (TCP
  recovering a lost segment): the chunk is held that much longer and every
  later chunk queues behind it.

`DelayLine` is sans-I/O (explicit `now`, an injected `random.Random`), so its
timing is tested exactly with a manual clock. `Relay` does the sockets: non-
blocking, one selector, sleeping until the next delivery or the next readable
socket. When one side closes, what it sent is still delivered to the other
side, which is then closed. Ctrl+C or SIGTERM stops it with a summary line.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import selectors
import signal
import sys
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from engine.cli import address, number
from engine.net.datagrams import Conditions as DatagramConditions
from engine.net.transport import (
    CLOSED_BY_PEER,
    ConnectError,
    TcpConnector,
    TcpListener,
    TcpStream,
)
from engine.time import Clock, MonotonicClock
from tools.netsim_udp import PollingRelay, UdpRelay

log = logging.getLogger("tools.netsim")

DEFAULT_LISTEN = ("127.0.0.1", 6000)
DEFAULT_TARGET = ("127.0.0.1", 5000)
DEFAULT_STALL_MS = 200.0

PIECE_SECONDS = 0.01
"""A throttled chunk is cut into pieces of about this much traffic (the bucket's depth)."""
MAX_PIECE = 64 * 1024
READ_LIMIT = 256 * 1024
"""Bytes a direction may hold (queued in the line plus unsent to its peer) before the relay
stops reading its source, so a fast sender meets TCP flow control instead of filling memory."""
STREAM_MAX_OUTBOUND = 64 * 1024 * 1024  # the relay bounds its queues itself (READ_LIMIT)
CONNECT_CHECK = 0.005  # seconds between checks of a pending upstream connect
CONNECT_TIMEOUT = 5.0
LINGER = 10.0
"""Seconds a closing side's queued bytes may take to reach a slow reader before it is cut off."""
IDLE_WAKE = 0.5  # the longest `serve` sleeps before checking for a stop request


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _number(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Conditions:
    """The network one direction simulates. Times in milliseconds, bandwidth in KB/s."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    bandwidth_kbps: float = 0.0  # 0 = unlimited
    stall_chance: float = 0.0  # per chunk, 0..1
    stall_ms: float = DEFAULT_STALL_MS

    def __post_init__(self) -> None:
        for name in ("latency_ms", "jitter_ms", "bandwidth_kbps", "stall_ms"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if not 0.0 <= self.stall_chance <= 1.0:
            raise ValueError(f"stall_chance must be between 0 and 1, got {self.stall_chance!r}")

    def describe(self) -> str:
        bandwidth = (
            f"bandwidth {_number(self.bandwidth_kbps)} KB/s"
            if self.bandwidth_kbps
            else "bandwidth unlimited"
        )
        stalls = (
            f"stall chance {_number(self.stall_chance)} for {_number(self.stall_ms)} ms"
            if self.stall_chance
            else "no stalls"
        )
        return (
            f"latency {_number(self.latency_ms)} ms, jitter {_number(self.jitter_ms)} ms, "
            f"{bandwidth}, {stalls}"
        )


class DelayLine:
    """One direction of a simulated link: bytes in with `push`, out on time with `pop_due`.

    Sans-I/O: time only comes from the `now` arguments (seconds, any monotonic
    origin) and randomness only from `rng`. Every delivery time is fixed when a
    chunk is pushed, so `push` returns when the chunk's last byte is due.
    """

    def __init__(self, conditions: Conditions | None = None, rng: random.Random | None = None):
        self.conditions = conditions or Conditions()
        self._rng = rng if rng is not None else random.Random()
        self._latency = self.conditions.latency_ms / 1000
        self._jitter = self.conditions.jitter_ms / 1000
        self._stall = self.conditions.stall_ms / 1000
        self._stall_chance = self.conditions.stall_chance
        self._rate = self.conditions.bandwidth_kbps * 1000  # bytes per second; 0 = unlimited
        self._piece = max(1, min(MAX_PIECE, int(self._rate * PIECE_SECONDS)))
        self._tokens = float(self._piece)  # the bucket starts full; its depth is one piece
        self._tokens_at: float | None = None
        self._queue: deque[tuple[float, bytes]] = deque()
        self._last_due = -math.inf
        self._pending = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.chunks = 0
        self.stalls = 0

    @property
    def pending_bytes(self) -> int:
        return self._pending

    @property
    def empty(self) -> bool:
        return not self._queue

    @property
    def last_due(self) -> float | None:
        """When the last byte pushed so far is due (None before the first push)."""
        return None if self._last_due == -math.inf else self._last_due

    def push(self, data: bytes, now: float) -> float:
        """Queue a chunk that arrived at `now`; return when its last byte is due."""
        if not data:
            return max(now, self._last_due)
        self.chunks += 1
        self.bytes_in += len(data)
        self._pending += len(data)
        due = now + self._latency
        if self._jitter > 0:
            due += self._rng.uniform(0.0, self._jitter)
        due = max(due, self._last_due)  # TCP never reorders
        if self._stall_chance > 0 and self._rng.random() < self._stall_chance:
            due += self._stall
            self.stalls += 1
        if not self._rate:
            self._queue.append((due, bytes(data)))
        else:
            for offset in range(0, len(data), self._piece):
                piece = bytes(data[offset : offset + self._piece])
                due = self._throttle(due, len(piece))
                self._queue.append((due, piece))
        self._last_due = due
        return due

    def _tokens_at_time(self, when: float) -> float:
        if self._tokens_at is None:
            return float(self._piece)
        return min(float(self._piece), self._tokens + (when - self._tokens_at) * self._rate)

    def _throttle(self, earliest: float, size: int) -> float:
        """When a piece of `size` bytes ready at `earliest` may go; spends its tokens."""
        tokens = self._tokens_at_time(earliest)
        when = earliest if tokens >= size - 1e-9 else earliest + (size - tokens) / self._rate
        self._tokens = self._tokens_at_time(when) - size
        self._tokens_at = when
        return when

    def pop_due(self, now: float) -> bytes:
        """Every byte due at or before `now`, in order (b"" if none)."""
        parts: list[bytes] = []
        queue = self._queue
        while queue and queue[0][0] <= now:
            parts.append(queue.popleft()[1])
        if not parts:
            return b""
        data = b"".join(parts)
        self._pending -= len(data)
        self.bytes_out += len(data)
        return data

    def next_due(self, now: float) -> float | None:
        """When the next bytes are due (never earlier than `now`); None when nothing waits."""
        if not self._queue:
            return None
        return max(now, self._queue[0][0])

    def clear(self) -> None:
        """Drop everything queued (its destination is gone)."""
        self._queue.clear()
        self._pending = 0


@dataclass(frozen=True, slots=True)
class RelaySummary:
    connections: int
    bytes_up: int  # client -> server, delivered
    bytes_down: int  # server -> client, delivered

    def line(self) -> str:
        return (
            f"relayed {self.connections} connection{'s' if self.connections != 1 else ''}: "
            f"{self.bytes_up:,} bytes client->server, {self.bytes_down:,} bytes server->client"
        )


class _Link:
    """One relayed connection: the accepted client stream, the upstream stream, two lines."""

    def __init__(
        self,
        number: int,
        client: TcpStream,
        target: tuple[str, int],
        conditions: Conditions,
        rng: random.Random,
        now: float,
        connect_timeout: float,
    ) -> None:
        self.number = number
        self.client = client
        self.server: TcpStream | None = None
        self.connector: TcpConnector | None = TcpConnector.start(
            target[0], target[1], connect_timeout, now, max_outbound=STREAM_MAX_OUTBOUND
        )
        self.up = DelayLine(conditions, random.Random(rng.getrandbits(64)))
        self.down = DelayLine(conditions, random.Random(rng.getrandbits(64)))
        self.bytes_up = 0
        self.bytes_down = 0
        self.reason: str | None = None  # why the connection ended: the side that closed first
        self.deadline: float | None = None  # when a closing side's queue is given up on

    @property
    def done(self) -> bool:
        return (
            self.client.closed
            and self.connector is None
            and (self.server is None or self.server.closed)
        )

    def interest(self) -> Iterator[tuple[TcpStream, int]]:
        """The selector events each live stream needs: read unless its direction is full,
        write while it has unsent bytes."""
        server_pending = self.server.pending_bytes if self.server is not None else 0
        for stream, line, peer_pending in (
            (self.client, self.up, server_pending),
            (self.server, self.down, self.client.pending_bytes),
        ):
            if stream is None or stream.closed:
                continue
            events = 0
            if line.pending_bytes + peer_pending < READ_LIMIT:
                events |= selectors.EVENT_READ
            if stream.pending_bytes:
                events |= selectors.EVENT_WRITE
            yield stream, events

    def read(self, stream: TcpStream, now: float) -> None:
        data = stream.receive()
        if not data:
            return
        if stream is self.client:
            if self.server is None or not self.server.closed:
                self.up.push(data, now)
        elif not self.client.closed:
            self.down.push(data, now)

    def next_wake(self, now: float) -> float | None:
        times: list[float] = []
        if self.connector is not None:
            times.append(now + CONNECT_CHECK)
        if self.server is not None and not self.server.closed:
            due = self.up.next_due(now)
            if due is not None:
                times.append(due)
        if not self.client.closed:
            due = self.down.next_due(now)
            if due is not None:
                times.append(due)
        if self.deadline is not None:
            times.append(self.deadline)
        return min(times, default=None)

    def service(self, now: float) -> None:
        """Finish connecting, deliver what is due, flush, and close what has to close."""
        if self.connector is not None:
            try:
                stream = self.connector.poll(now)
            except ConnectError as error:
                self.connector = None
                self.reason = self.reason or f"cannot reach upstream: {error}"
                self.up.clear()
                self.down.clear()
                self.client.close("upstream unreachable")
                return
            if stream is not None:
                self.server, self.connector = stream, None
        if self.server is not None and not self.server.closed:
            data = self.up.pop_due(now)
            if data:
                self.server.send(data)
                self.bytes_up += len(data)
            self.server.flush()
        if not self.client.closed:
            data = self.down.pop_due(now)
            if data:
                self.client.send(data)
                self.bytes_down += len(data)
            self.client.flush()
        self._close_after_drain(now)

    def _close_after_drain(self, now: float) -> None:
        client_gone = self.client.closed
        server_gone = self.server is not None and self.server.closed
        if not (client_gone or server_gone):
            return
        if self.reason is None:
            side, stream = ("client", self.client) if client_gone else ("server", self.server)
            assert stream is not None
            self.reason = f"{side} {stream.close_reason or CLOSED_BY_PEER}"
        if client_gone:
            self.down.clear()
        if server_gone:
            self.up.clear()
        if client_gone and server_gone:
            return
        line, other = (self.up, self.server) if client_gone else (self.down, self.client)
        if self.deadline is None:
            self.deadline = max(now, line.last_due or now) + LINGER
        drained = line.empty and (other is None or other.pending_bytes == 0)
        if not drained and now < self.deadline:
            return
        if other is None:  # the client left before the upstream connect finished
            if self.connector is not None:
                self.connector.cancel()
                self.connector = None
            return
        other.close("the other side closed" if drained else "gave up delivering queued bytes")

    def close(self, reason: str) -> None:
        if self.connector is not None:
            self.connector.cancel()
            self.connector = None
        self.client.close(reason)
        if self.server is not None:
            self.server.close(reason)
        self.reason = self.reason or reason


class Relay(PollingRelay):
    """Accepts clients on `listen` and relays each to `target` through two DelayLines.

    Single-threaded and non-blocking: call `start()`, then `poll(timeout)` in a
    loop (or `run_for(seconds)` / `serve(should_stop)`), and `close()` at the end.
    """

    def __init__(
        self,
        listen: tuple[str, int] = DEFAULT_LISTEN,
        target: tuple[str, int] = DEFAULT_TARGET,
        conditions: Conditions | None = None,
        *,
        seed: int | None = None,
        clock: Clock | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.listen = listen
        self.target = target
        self.conditions = conditions or Conditions()
        self.clock = clock or MonotonicClock()
        self.connect_timeout = connect_timeout
        self._rng = random.Random(seed)
        self._listener: TcpListener | None = None
        self._selector: selectors.BaseSelector | None = None
        self._registered: dict[TcpStream, tuple[int, int]] = {}  # stream -> (fd, events)
        self._links: list[_Link] = []
        self.connections = 0
        self._bytes_up_closed = 0
        self._bytes_down_closed = 0
        self._chunks_closed = 0
        self._stalls_closed = 0

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Relay:
        """Listen (raises ListenError with a one-line message). Returns self."""
        if self._listener is not None:
            return self
        self._listener = TcpListener(
            self.listen[0], self.listen[1], backlog=128, max_outbound=STREAM_MAX_OUTBOUND
        )
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener.fileno(), selectors.EVENT_READ, None)
        return self

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> tuple[str, int]:
        """The listening (host, port); the real port when 0 was asked for."""
        if self._listener is None:
            raise RuntimeError("the relay is not started")
        return self._listener.address

    @property
    def active(self) -> int:
        """Connections open now."""
        return len(self._links)

    @property
    def bytes_up(self) -> int:
        """Bytes delivered client -> server so far."""
        return self._bytes_up_closed + sum(link.bytes_up for link in self._links)

    @property
    def bytes_down(self) -> int:
        """Bytes delivered server -> client so far."""
        return self._bytes_down_closed + sum(link.bytes_down for link in self._links)

    @property
    def chunks(self) -> int:
        """Chunks pushed into the delay lines so far, both directions (each may stall)."""
        return self._chunks_closed + sum(link.up.chunks + link.down.chunks for link in self._links)

    @property
    def stalls(self) -> int:
        """Stalls so far, both directions."""
        return self._stalls_closed + sum(link.up.stalls + link.down.stalls for link in self._links)

    @property
    def queued_bytes(self) -> int:
        """Bytes the relay holds now: in its delay lines plus accepted by no peer yet."""
        total = 0
        for link in self._links:
            total += link.up.pending_bytes + link.down.pending_bytes + link.client.pending_bytes
            if link.server is not None:
                total += link.server.pending_bytes
        return total

    def summary(self) -> RelaySummary:
        return RelaySummary(self.connections, self.bytes_up, self.bytes_down)

    def close(self) -> None:
        """Close every connection and the listener (queued bytes are dropped)."""
        for link in self._links:
            link.close("relay stopping")
            self._retire(link)
        self._links.clear()
        self._registered.clear()
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if self._listener is not None:
            self._listener.close()

    # -- running ----------------------------------------------------------------------------

    def poll(self, timeout: float) -> None:
        """Sleep until a socket is ready, the next bytes are due or `timeout` s pass; then
        accept, read, deliver what is due and close what has finished."""
        if self._listener is None or self._selector is None or self._listener.closed:
            raise RuntimeError("the relay is not started")
        now = self.clock.now()
        wake = now + max(0.0, timeout)
        for link in self._links:
            due = link.next_wake(now)
            if due is not None and due < wake:
                wake = due
        self._sync_selector()
        ready = self._selector.select(max(0.0, wake - now))
        now = self.clock.now()
        for key, events in ready:
            if key.data is None:
                self._accept(now)
            elif events & selectors.EVENT_READ:
                link, stream = key.data
                link.read(stream, now)
        for link in list(self._links):
            link.service(now)
            if link.done:
                self._links.remove(link)
                self._retire(link)

    def _accept(self, now: float) -> None:
        assert self._listener is not None
        for client in self._listener.accept():
            self.connections += 1
            link = _Link(
                self.connections,
                client,
                self.target,
                self.conditions,
                self._rng,
                now,
                self.connect_timeout,
            )
            self._links.append(link)
            log.info("connection %d from %s", link.number, client.peer)

    def _retire(self, link: _Link) -> None:
        self._bytes_up_closed += link.bytes_up
        self._bytes_down_closed += link.bytes_down
        self._chunks_closed += link.up.chunks + link.down.chunks
        self._stalls_closed += link.up.stalls + link.down.stalls
        log.info(
            "connection %d closed (%s): %d bytes up, %d bytes down",
            link.number,
            link.reason or "relay stopping",
            link.bytes_up,
            link.bytes_down,
        )

    def _sync_selector(self) -> None:
        """Register what every live stream waits for; forget closed streams first, so a
        descriptor number the OS reuses for a new socket is never registered twice."""
        assert self._selector is not None
        wanted: dict[TcpStream, tuple[int, _Link]] = {}
        for link in self._links:
            for stream, events in link.interest():
                if events:
                    wanted[stream] = (events, link)
        for stream, (fd, _) in list(self._registered.items()):
            if stream not in wanted:
                self._selector.unregister(fd)
                del self._registered[stream]
        for stream, (events, link) in wanted.items():
            current = self._registered.get(stream)
            if current is None:
                fd = stream.fileno()
                self._selector.register(fd, events, (link, stream))
                self._registered[stream] = (fd, events)
            elif current[1] != events:
                self._selector.modify(current[0], events, (link, stream))
                self._registered[stream] = (current[0], events)


# -- command line ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.netsim",
        description="Relay TCP connections (or, with --udp, datagrams) with added latency, "
        "jitter and a bandwidth cap, each direction on its own; TCP adds stalls, UDP adds "
        "loss, duplication and reordering.",
    )
    parser.add_argument(
        "--udp", action="store_true", help="relay UDP datagrams instead of TCP connections"
    )
    parser.add_argument(
        "--listen",
        type=address(lowest_port=0),
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help="where clients connect (default 127.0.0.1:6000; port 0 picks a free one)",
    )
    parser.add_argument(
        "--to",
        type=address(),
        default=DEFAULT_TARGET,
        metavar="HOST:PORT",
        help="the server to relay to (default 127.0.0.1:5000)",
    )
    parser.add_argument(
        "--latency", type=number(low=0), default=0.0, metavar="MS", help="delay each way (ms)"
    )
    parser.add_argument(
        "--jitter",
        type=number(low=0),
        default=0.0,
        metavar="MS",
        help="random extra delay per chunk, 0..MS (never reorders)",
    )
    parser.add_argument(
        "--bandwidth",
        type=number(low=0),
        default=0.0,
        metavar="KBPS",
        help="kilobytes (1000 bytes) per second each way; 0 = unlimited (default)",
    )
    parser.add_argument(
        "--stall-chance",
        type=number(low=0, high=1),
        default=0.0,
        metavar="P",
        help="probability per chunk that the direction stalls (0..1, default 0)",
    )
    parser.add_argument(
        "--stall-ms",
        type=number(low=0),
        default=DEFAULT_STALL_MS,
        metavar="MS",
        help="how long a stall lasts (default 200)",
    )
    for flag, what in (
        ("--loss", "datagrams lost"),
        ("--duplicate", "datagrams delivered twice"),
        ("--reorder", "datagrams held back behind later ones"),
    ):
        parser.add_argument(
            flag,
            type=number(low=0, high=100),
            default=0.0,
            metavar="PERCENT",
            help=f"with --udp: {what}, each way (0..100, default 0)",
        )
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(message)s")
    if args.udp:
        if args.stall_chance:
            parser.error("argument --stall-chance: stalls are TCP's; UDP loses datagrams instead")
        return _main_udp(args)
    for flag in ("loss", "duplicate", "reorder"):
        if getattr(args, flag):
            parser.error(f"argument --{flag}: only with --udp (TCP never loses or reorders)")
    conditions = Conditions(
        latency_ms=args.latency,
        jitter_ms=args.jitter,
        bandwidth_kbps=args.bandwidth,
        stall_chance=args.stall_chance,
        stall_ms=args.stall_ms,
    )
    return _start_and_serve(Relay(args.listen, args.to, conditions, seed=args.seed), "")


def _main_udp(args: argparse.Namespace) -> int:
    conditions = DatagramConditions(
        latency_ms=args.latency,
        jitter_ms=args.jitter,
        loss=args.loss / 100,
        duplicate=args.duplicate / 100,
        reorder=args.reorder / 100,
        bandwidth_kbps=args.bandwidth,
    )
    return _start_and_serve(UdpRelay(args.listen, args.to, conditions, seed=args.seed), "UDP ")


def _start_and_serve(relay: Relay | UdpRelay, kind: str) -> int:
    """Listen (a one-line error if it cannot), say what is relayed, serve until a signal."""
    try:
        relay.start()
    except OSError as error:  # ListenError too
        print(f"error: {error.strerror or error}", file=sys.stderr)
        return 2
    log.info(
        "relaying %s%s -> %s (%s)",
        kind,
        format_address(*relay.address),
        format_address(*relay.target),
        relay.conditions.describe(),
    )
    return _serve_until_signal(relay)


def _serve_until_signal(relay: Relay | UdpRelay) -> int:
    """Serve until SIGINT or SIGTERM, then close and print the summary line."""
    stop = {"requested": False}

    def request_stop(signum: int, frame: object) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        relay.serve(lambda: stop["requested"])
    finally:
        summary = relay.summary()
        relay.close()
        log.info("stopped")
        print(summary.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
