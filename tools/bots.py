"""Headless bot clients for load-testing a running server, in real time.

    python -m tools.bots --connect HOST:PORT --bots N --seconds S [--seed N]
        [--processes P] [--desync-bound PX] [--name-prefix bot]
    python -m tools.bots --lobby URL [--party N] --bots N --seconds S ...

With `--lobby URL` the bots ask a lobby (`python -m game.lobby`) for their tickets, in
parties of `--party N` (1..4, default 1): one request per party, every member a ticket for
the same server; a bot that rejoins after a planned leave asks alone. Desync is measured
only between bots the lobby put on the same server.

Each bot is a `GameClient` whose own aircraft fly on the game's autopilot (it
fires, launches missiles, dodges and so takes pickups). From a seeded plan,
some bots (1 in 4) ask for a co-op partner a few seconds after they join (both
seats then fly on the autopilot, the partner `PARTNER_OFFSET` px beside its
target), and some (1 in 3) leave once with a clean Quit somewhere in the middle
of the run and reconnect 1-3 s later; a planned leave is not a drop. A partner
is only asked for while the server (its aircraft seats: `ClientSession.seats`,
from the replicated `BattlefieldState`) has a seat to spare for it beyond one
per bot, so bots never take each other's seats. Bots beyond the server's
aircraft seats join as spectators: they watch (and are measured as viewers)
until a seat frees up, e.g. when a bot leaves to rejoin.
Bots draw nothing, so their clients do not interpolate (`smooth=False`).

All bots of one process run on one thread and one MonotonicClock: every bot
steps at 60 Hz (`GameClient.run_due_steps`) and the loop sleeps until the
earliest step deadline. `--processes P` splits the bots over P worker processes
so many bots keep up on a multi-core machine; their results are merged.

Measured per bot (over the time it was connected) and in total:

- snapshots received per second, bytes per second in and out (all traffic);
- seconds spent watching in line for a seat (the `watch` column);
- round-trip time: the client's smoothed ping (mean of one sample a second)
  and the largest value it took;
- desync, how far a bot's view of OTHER bots' aircraft is from where their
  owners flew them. Once a second, for every pair (viewer, owner) of connected
  bots in the same process, for every aircraft the owner flies: take the
  viewer's latest replicated position of it (its snapshot baseline, 1/8 px,
  not the interpolated drawing position) and the path the owner's own
  predicted aircraft followed during the last `HISTORY_SECONDS` (one point per
  client step, joined by straight segments). The sample is the distance from
  that position to the nearest point of that path, so the normal network delay
  (the viewer sees where the owner was a few ticks ago) counts as 0 while a
  wrong position (a server correction, a lost or misapplied update, a delay
  over a second) counts in full. Per bot: the mean and max of its samples as a
  viewer. Bots in different processes are not compared.

Progress goes to stderr once a second; a table per bot and a total line to
stdout at the end. Exit status: 0 if fine; 1 if any bot was dropped
unexpectedly (its connection ended without it leaving: refused, timed out and
not resumed within 30 s, disconnected by the server, protocol error, never
connected) or any desync
sample exceeded --desync-bound; 2 for bad arguments or a server that cannot be
reached at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
import multiprocessing
import queue
import random
import statistics
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence

from engine import cli
from engine.components import Transform
from engine.mods import ModError, load_mods
from engine.net.client import NetClient
from engine.net.keyfile import KeyFileError, read_key
from engine.net.netcode import ConnectToken
from engine.net.replication import Replicated
from engine.net.sync import ClientNet, NetSend
from engine.net.tickets import TicketError, issue_ticket
from engine.phases import Phase
from engine.time import Clock, MonotonicClock
from engine.world import World
from game.lobby.client import LobbyTicket, MatchRequest, parse_lobby_url
from game.net.claims import LocalSeat
from game.net.client import GameClient, client_schema
from game.net.protocol import GAME
from game.rules.autopilot import AutopilotSystem
from game.rules.components import Autopilot
from game.token import resolve

STEP_HZ = 60
PARTNER_OFFSET = 110.0  # px the co-op partner flies beside its target
HISTORY_SECONDS = 1.0  # how much of an owner's path a viewer's position is compared with
SAMPLE_EVERY = 1.0  # seconds between desync samples and progress lines
DEFAULT_DESYNC_BOUND = 16.0
EXACT_MATCH = 0.25  # px: a history segment this close ends the search (positions are 1/8 px)
MIN_WAIT = 0.0002  # seconds: the loop never spins without sleeping at all
EPSILON = 1e-9
MIN_LEAVE_AT = 0.5  # seconds into the run: no bot leaves before it has played a little

Sleep = Callable[[float], None]
Tick = Callable[[], object]


@dataclasses.dataclass(frozen=True, slots=True)
class BotOptions:
    """What the bots do besides flying; the defaults are the CLI's behaviour."""

    coop_fraction: float = 0.25  # share of bots that ask for a co-op partner
    coop_after: tuple[float, float] = (2.0, 5.0)  # seconds after joining, uniform
    rejoin_fraction: float = 1 / 3  # share of bots that leave once and come back
    leave_window: tuple[float, float] = (0.3, 0.7)  # when they leave, as fractions of the run
    rejoin_delay: tuple[float, float] = (1.0, 3.0)  # seconds away, uniform
    history_seconds: float = HISTORY_SECONDS
    key: bytes | None = None  # the servers' key: bots make their own tickets (else they ask)
    transport: str = "udp"  # or "tcp"
    lobby: str | None = None  # a lobby's URL: tickets come from it (POST /v1/match)
    party: int = 1  # the largest party asking the lobby together (1..4)
    party_mix: bool = False  # parties of a seeded size from 1 to `party`, not all `party`
    mods: tuple[str, ...] = ()  # mods by module name (--mod), as the server was given them


@dataclasses.dataclass(frozen=True, slots=True)
class BotPlan:
    """One bot's seeded script (seconds from the start of the run, or from its joins)."""

    index: int
    name: str
    coop_after: float | None  # seconds after each join, or None: never asks
    partner_rank: int  # among the bots that ask: only the first (seats - bots) do
    leave_at: float | None  # seconds into the run, or None: never leaves
    rejoin_delay: float
    party: int = 0  # bots with the same number ask a lobby together


def plan_bots(
    count: int, seconds: float, seed: int, prefix: str = "bot", options: BotOptions | None = None
) -> list[BotPlan]:
    """The same arguments always give the same plan, whichever process runs which bot."""
    options = options or BotOptions()
    parties = plan_parties(count, options.party, seed if options.party_mix else None)
    plans = []
    rank = 0
    for index in range(count):
        rng = random.Random(f"cloudbreak-bots:{seed}:{index}")
        asks = rng.random() < options.coop_fraction
        coop_after = rng.uniform(*options.coop_after)
        delay = rng.uniform(*options.rejoin_delay)
        leave_at = seconds * rng.uniform(*options.leave_window)
        # come back with a second to spare before the end; a run too short for that stays put
        leave_at = min(leave_at, seconds - delay - 1.0)
        leaves = rng.random() < options.rejoin_fraction and leave_at >= MIN_LEAVE_AT
        plans.append(
            BotPlan(
                index=index,
                name=f"{prefix}{index + 1}",
                coop_after=coop_after if asks else None,
                partner_rank=rank,
                leave_at=leave_at if leaves else None,
                rejoin_delay=delay,
                party=parties[index],
            )
        )
        rank += asks
    return plans


def plan_parties(count: int, largest: int, seed: int | None = None) -> list[int]:
    """The party number of each bot: consecutive bots in parties of `largest` (the last
    maybe smaller), or with a seed, of sizes drawn uniformly from 1..`largest`."""
    rng = random.Random(f"cloudbreak-parties:{seed}") if seed is not None else None
    numbers: list[int] = []
    party = 0
    while len(numbers) < count:
        size = rng.randint(1, largest) if rng is not None else largest
        numbers += [party] * min(size, count - len(numbers))
        party += 1
    return numbers


class LobbyParty:
    """The bots of one party: the first to start asks the lobby for all of them; each takes
    its own ticket from that answer. A member starting again (a rejoin) asks alone."""

    def __init__(self, url: str, names: Sequence[str]) -> None:
        self.url, self.names = url, tuple(names)
        self.request: MatchRequest | None = None
        self._waiting: set[str] = set()

    def ticket_for(self, name: str) -> LobbyTicket:
        if self.request is None:
            self.request = MatchRequest(self.url, self.names)
            self._waiting = set(self.names)
        if name in self._waiting:
            self._waiting.discard(name)
            return LobbyTicket(self.request, name)
        return LobbyTicket(MatchRequest(self.url, [name]), name)


class _FlyOwnSeats:
    """An INPUT system: every aircraft this client flies gets the autopilot once claimed."""

    def update(self, world: World, dt: float) -> None:
        for entity, (seat,) in world.query(LocalSeat):
            if not world.has_component(entity, Autopilot):
                world.add_component(entity, Autopilot(offset_x=PARTNER_OFFSET * seat.local_index))


class _RecordPath:
    """Last in a step: where the bot's own aircraft are (what it told the server)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def update(self, world: World, dt: float) -> None:
        self.bot._record(world)


def distance_to_path(x: float, y: float, path: Sequence[tuple[float, float, float]]) -> float:
    """Distance from (x, y) to a path of (time, x, y) points joined by segments.

    Searched newest first; a segment within EXACT_MATCH px ends the search.
    """
    if not path:
        return math.inf
    best = math.inf
    _, bx, by = path[-1]
    if len(path) == 1:
        return math.hypot(x - bx, y - by)
    for i in range(len(path) - 2, -1, -1):
        _, ax, ay = path[i]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / length2))
        best = min(best, math.hypot(x - (ax + t * dx), y - (ay + t * dy)))
        if best <= EXACT_MATCH:
            break
        bx, by = ax, ay
    return best


@dataclasses.dataclass(slots=True)
class BotStats:
    """One bot's figures at the end of a run (picklable, for worker processes)."""

    name: str
    index: int = 0  # 0-based, over all processes
    process: int = 0
    ever_connected: bool = False
    seconds_connected: float = 0.0
    snapshots: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    rtt_ms: float | None = None  # mean of the smoothed ping sampled once a second
    rtt_max_ms: float | None = None  # largest smoothed ping seen
    desync_mean: float | None = None  # px, as a viewer of other bots' aircraft
    desync_max: float | None = None
    desync_samples: int = 0
    partners_requested: int = 0
    partners_granted: int = 0
    partners_skipped: int = 0  # planned, but the server had no seat to spare
    leaves: int = 0
    rejoins_planned: int = 0
    rejoins: int = 0
    resumes: int = 0  # lost connections taken up again (the bot reconnected in time)
    corrections: int = 0  # PositionCorrection messages from the server
    steps_dropped: int = 0  # client steps skipped because the process fell behind
    seconds_watching: float = 0.0  # connected without an aircraft, in line for a seat
    dropped: str | None = None  # why the connection ended unexpectedly
    server: str = ""  # the lobby's id of the server it was sent to (first join)
    lobby_seconds: float | None = None  # asking the lobby, until its answer (first join)
    lobby_tries: int = 0  # requests it took (the lobby said "later" to the others)
    to_playing_seconds: float | None = None  # asking the lobby, until in the game

    def _per_second(self, value: float) -> float:
        return value / self.seconds_connected if self.seconds_connected > 0 else 0.0

    @property
    def snapshot_rate(self) -> float:
        return self._per_second(self.snapshots)

    @property
    def in_rate(self) -> float:
        return self._per_second(self.bytes_in)

    @property
    def out_rate(self) -> float:
        return self._per_second(self.bytes_out)


class Bot:
    """One bot: its current GameClient (a new one after each rejoin) and its bookkeeping."""

    def __init__(
        self,
        plan: BotPlan,
        host: str,
        port: int,
        clock: Clock,
        *,
        run_start: float,
        total_bots: int,
        options: BotOptions | None = None,
        process: int = 0,
        party: LobbyParty | None = None,
    ) -> None:
        self.plan = plan
        self.party = party
        self._lobby_ticket: LobbyTicket | None = None
        self.host, self.port = host, port
        self.clock = clock
        self.run_start = run_start
        self.total_bots = total_bots
        self.options = options or BotOptions()
        self.client: GameClient | None = None
        self.away_until: float | None = None  # a planned leave: reconnect at this time
        self.finished = False
        self.left_once = False
        self.tally = BotStats(plan.name, index=plan.index, process=process)
        # net id -> (time, x, y) of the aircraft this bot flies, newest last
        self.history: dict[int, deque[tuple[float, float, float]]] = {}
        self._joined_at: float | None = None  # this connection's Welcome, for co-op timing
        self._connected_since: float | None = None
        self._asked = False  # this connection asked for (or skipped) a partner
        self._granted = False
        self._rtt_samples: list[float] = []
        self._desync: list[float] = []
        self._history_len = max(2, round(self.options.history_seconds * STEP_HZ) + 2)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Begin connecting (non-blocking)."""
        options, name = self.options, self.plan.name
        mods = load_mods(options.mods)  # imported once per process; the installed ones too
        if options.lobby is not None:  # the lobby chooses the server (for the whole party)
            assert self.party is not None
            url = options.lobby
            self._lobby_ticket = ticket = self.party.ticket_for(name)

            def rejoin() -> LobbyTicket:  # a lost connection: ask again, alone
                return LobbyTicket(MatchRequest(url, [name]), name)

            net = NetClient(
                name=name,
                schema=client_schema(mods),
                now=self.clock.now(),
                ticket=ticket,
                transport=options.transport,
                renew_ticket=rejoin,
            )
            self.client = GameClient(net, clock=self.clock, smooth=False, mods=mods)
        elif options.key is not None:  # a ticket of our own, for every address of the server
            key, servers = options.key, resolve(self.host, self.port)[:32]

            def ticket() -> ConnectToken:  # also after a lost connection, to resume it
                return issue_ticket(
                    key=key, game=GAME, servers=servers, name=name, now_unix=time.time()
                )

            self.client = GameClient.with_ticket(
                ticket(),
                name,
                clock=self.clock,
                transport=options.transport,
                smooth=False,
                renew_ticket=ticket,
                mods=mods,
            )
        else:  # ask the server's ticket endpoint (a server started with --open)
            self.client = GameClient.connect(
                self.host,
                self.port,
                name,
                clock=self.clock,
                transport=options.transport,
                smooth=False,  # nothing is drawn: remote entities jump to each snapshot
                mods=mods,
            )
        self.client.world.add_system(_FlyOwnSeats(), Phase.INPUT)
        self.client.world.add_system(AutopilotSystem(), Phase.INPUT)
        self.client.world.add_system(_RecordPath(self), Phase.NETWORK, after=NetSend)
        self._joined_at = self._connected_since = None
        self._asked = self._granted = False

    @property
    def active(self) -> bool:
        """Still has something to do (playing, connecting or away for a planned rejoin)."""
        return not self.finished and self.tally.dropped is None

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.connected

    def step(self) -> int:
        """Run due client steps, handle the plan, notice drops; return the steps run."""
        if not self.active:
            return 0
        now = self.clock.now()
        if self.client is None:
            if self.away_until is not None and now >= self.away_until - EPSILON:
                self.away_until = None
                self.start()
            return 0
        steps = self.client.run_due_steps()
        now = self.clock.now()
        net = self.client.net
        if net.closed:
            self._end_connection(now)
            self.tally.dropped = net.close_reason or "connection closed"
            self.client.world.close()
            self.client = None
            return steps
        if not net.connected:
            if net.reconnecting and self._connected_since is not None:  # lost: not counted
                self.tally.seconds_connected += now - self._connected_since
                self._connected_since = None
            return steps
        if self._connected_since is None and self._joined_at is not None:  # back in time
            self._connected_since = now
            self.tally.resumes += bool(net.welcome and net.welcome.resumed)
        if self._joined_at is None:
            self._joined_at = self._connected_since = now
            self.tally.ever_connected = True
            self._note_lobby()
            if self.left_once:
                self.tally.rejoins += 1
        if net.rtt is not None:
            rtt_ms = net.rtt * 1000
            self.tally.rtt_max_ms = max(self.tally.rtt_max_ms or 0.0, rtt_ms)
        if self.client.session.spectating:
            self.tally.seconds_watching += steps / STEP_HZ
        self._coop(now, len(self.client.own_aircraft()))
        plan = self.plan
        if (
            plan.leave_at is not None
            and not self.left_once
            and now - self.run_start >= plan.leave_at - EPSILON
        ):
            self.leave(now + plan.rejoin_delay)
        return steps

    def _note_lobby(self) -> None:
        """The first time in the game after the lobby sent it: where, and how long it took."""
        ticket, stats = self._lobby_ticket, self.tally
        if ticket is None or not ticket.taken or stats.server:
            return
        match = ticket.taken[0]
        stats.server = match.server
        stats.lobby_seconds = match.seconds
        stats.lobby_tries = match.tries
        stats.to_playing_seconds = time.monotonic() - match.asked_at

    @property
    def server(self) -> str:
        """The server it plays on as far as it knows ("" when it was told an address)."""
        ticket = self._lobby_ticket
        return ticket.taken[0].server if ticket is not None and ticket.taken else ""

    def _record(self, world: World) -> None:
        """Add this step's position of every aircraft this bot flies to its path."""
        now = self.clock.now()
        for _, (_seat, replicated, transform) in world.query(LocalSeat, Replicated, Transform):
            path = self.history.get(replicated.net_id)
            if path is None:
                path = self.history[replicated.net_id] = deque(maxlen=self._history_len)
            path.append((now, transform.x, transform.y))

    def _coop(self, now: float, own: int) -> None:
        assert self.client is not None and self._joined_at is not None
        plan = self.plan
        if plan.coop_after is None or not own:
            return
        if not self._asked and now - self._joined_at >= plan.coop_after - EPSILON:
            self._asked = True
            spare = self.client.session.seats - self.total_bots
            if plan.partner_rank < spare:
                self.client.request_partner()
                self.tally.partners_requested += 1
            else:
                self.tally.partners_skipped += 1
        if self._asked and not self._granted and own >= 2:
            self._granted = True
            self.tally.partners_granted += 1

    def leave(self, rejoin_at: float | None) -> None:
        """A planned leave: Quit cleanly, and reconnect at `rejoin_at` (None: never)."""
        if self.client is None:
            return
        self._quit()
        self.left_once = True
        self.tally.leaves += 1
        self.away_until = rejoin_at

    def finish(self) -> None:
        """The run is over: Quit politely if still here."""
        if self.client is not None:
            if not self.tally.ever_connected:
                self.tally.dropped = "never connected (still connecting at the end)"
            self._quit()
        self.away_until = None
        self.finished = True

    def _quit(self) -> None:
        assert self.client is not None
        self._end_connection(self.clock.now())
        self.client.close()
        self.client = None

    def _end_connection(self, now: float) -> None:
        """Fold this connection's counters into the totals before its world closes."""
        assert self.client is not None
        stats = self.tally
        if self._connected_since is not None:
            stats.seconds_connected += now - self._connected_since
            self._connected_since = None
        stats.snapshots += self.client.world.resource(ClientNet).snapshots
        stats.bytes_in += self.client.net.bytes_in
        stats.bytes_out += self.client.net.bytes_out
        stats.corrections += self.client.session.corrections
        stats.steps_dropped += self.client.loop.dropped_steps

    # -- measuring -------------------------------------------------------------------------

    def totals(self) -> tuple[float, int, int, int]:
        """Seconds connected, snapshots, bytes in and bytes out so far, this connection included."""
        stats = self.tally
        seconds, snapshots = stats.seconds_connected, stats.snapshots
        bytes_in, bytes_out = stats.bytes_in, stats.bytes_out
        if self.client is not None:
            if self._connected_since is not None:
                seconds += self.clock.now() - self._connected_since
            snapshots += self.client.world.resource(ClientNet).snapshots
            bytes_in += self.client.net.bytes_in
            bytes_out += self.client.net.bytes_out
        return seconds, snapshots, bytes_in, bytes_out

    def sample_rtt(self) -> float | None:
        """Record the smoothed ping (once a second); return it in ms."""
        if not self.connected or self.client is None or self.client.net.rtt is None:
            return None
        rtt_ms = self.client.net.rtt * 1000
        self._rtt_samples.append(rtt_ms)
        return rtt_ms

    def view_of(self, net_id: int) -> tuple[float, float] | None:
        """The latest replicated position of an entity as this bot's snapshots put it."""
        if not self.connected or self.client is None:
            return None
        net = self.client.world.resource(ClientNet)
        spec = net.registry.by_type[Transform]
        keys = net.decoder.state.get(net_id, {}).get(spec.type_id)
        if keys is None:
            return None
        (_, x_codec), (_, y_codec) = spec.fields[0], spec.fields[1]
        return x_codec.from_key(keys[0]), y_codec.from_key(keys[1])

    def add_desync(self, distance: float) -> None:
        self._desync.append(distance)

    def prune_history(self, now: float) -> None:
        horizon = now - self.options.history_seconds
        for net_id in list(self.history):
            path = self.history[net_id]
            while len(path) > 1 and path[1][0] <= horizon:
                path.popleft()
            if path and path[-1][0] < horizon:
                del self.history[net_id]  # flown no more (gone, or this bot left)

    def stats(self) -> BotStats:
        """The figures so far (the current connection included)."""
        stats = dataclasses.replace(self.tally)
        if self.client is not None:
            stats.seconds_connected, stats.snapshots, stats.bytes_in, stats.bytes_out = (
                self.totals()
            )
            stats.corrections += self.client.session.corrections
            stats.steps_dropped += self.client.loop.dropped_steps
        stats.rejoins_planned = int(self.plan.leave_at is not None)
        if self._rtt_samples:
            stats.rtt_ms = statistics.fmean(self._rtt_samples)
        if self._desync:
            stats.desync_mean = statistics.fmean(self._desync)
            stats.desync_max = max(self._desync)
            stats.desync_samples = len(self._desync)
        return stats


def measure_desync(bots: Sequence[Bot], now: float) -> float | None:
    """One desync sample per (viewer, owner, owner's aircraft) seen; return the largest."""
    for bot in bots:
        bot.prune_history(now)
    largest: float | None = None
    for viewer in bots:
        if not viewer.connected:
            continue
        for owner in bots:
            if owner is viewer or owner.server != viewer.server:  # net ids are per server
                continue
            for net_id, path in owner.history.items():
                seen = viewer.view_of(net_id)
                if seen is None:
                    continue
                distance = distance_to_path(seen[0], seen[1], path)
                viewer.add_desync(distance)
                largest = distance if largest is None else max(largest, distance)
    return largest


@dataclasses.dataclass(slots=True)
class Progress:
    """One second of a process's run, summed so that processes merge by addition."""

    t: int
    interval: float
    connected: int
    bots: int
    seconds_connected: float  # summed over the bots, within this interval
    snapshots: int
    bytes_in: int
    bytes_out: int
    rtt_sum_ms: float = 0.0
    rtt_count: int = 0
    desync_max: float | None = None
    dropped: int = 0
    busy: float = 0.0  # fraction of the wall time the loop spent working (max over processes)

    def merge(self, other: Progress) -> Progress:
        maxima = [d for d in (self.desync_max, other.desync_max) if d is not None]
        return Progress(
            t=max(self.t, other.t),
            interval=max(self.interval, other.interval),
            connected=self.connected + other.connected,
            bots=self.bots + other.bots,
            seconds_connected=self.seconds_connected + other.seconds_connected,
            snapshots=self.snapshots + other.snapshots,
            bytes_in=self.bytes_in + other.bytes_in,
            bytes_out=self.bytes_out + other.bytes_out,
            rtt_sum_ms=self.rtt_sum_ms + other.rtt_sum_ms,
            rtt_count=self.rtt_count + other.rtt_count,
            desync_max=max(maxima) if maxima else None,
            dropped=self.dropped + other.dropped,
            busy=max(self.busy, other.busy),
        )

    def line(self) -> str:
        per = 1 / self.seconds_connected if self.seconds_connected > 0 else 0.0
        rtt = f"{self.rtt_sum_ms / self.rtt_count:.0f} ms" if self.rtt_count else "-"
        desync = f"{self.desync_max:.1f} px" if self.desync_max is not None else "-"
        text = (
            f"t={self.t}s bots {self.connected}/{self.bots} connected, "
            f"{self.snapshots * per:.1f} snap/s, rtt {rtt}, "
            f"in {self.bytes_in * per / 1000:.1f} KB/s, "
            f"out {self.bytes_out * per / 1000:.1f} KB/s, "
            f"desync max {desync}, busy {self.busy:.0%}"
        )
        return text + (f", {self.dropped} dropped" if self.dropped else "")


@dataclasses.dataclass(slots=True)
class Report:
    """A whole run's figures: one BotStats per bot, merged over processes."""

    seconds: float
    elapsed: float
    bots: list[BotStats]
    desync_bound: float = DEFAULT_DESYNC_BOUND
    processes: int = 1
    busy: list[float] = dataclasses.field(default_factory=list)  # loop busy fraction per process
    unreachable: str | None = None  # no bot ever connected: why the first could not
    interrupted: bool = False

    @property
    def dropped(self) -> list[BotStats]:
        return [bot for bot in self.bots if bot.dropped is not None]

    @property
    def desync_max(self) -> float | None:
        maxima = [bot.desync_max for bot in self.bots if bot.desync_max is not None]
        return max(maxima) if maxima else None

    def notes(self) -> list[str]:
        """Things worth knowing that are not failures."""
        total = self.total()
        lines = []
        placed = [b for b in self.bots if b.to_playing_seconds is not None]
        if placed:
            waits = sorted(b.to_playing_seconds or 0.0 for b in placed)
            servers = len({b.server for b in placed})
            lines.append(
                f"lobby: {len(placed)} bot(s) placed on {servers} server(s); asking to playing "
                f"p50 {percentile(waits, 0.5):.2f} s, p99 {percentile(waits, 0.99):.2f} s"
            )
        if total.partners_skipped:
            lines.append(
                f"{total.partners_skipped} co-op partner request(s) not made: the server has no"
                " seat to spare beyond one per bot"
            )
        watchers = [b for b in self.bots if b.seconds_watching > 0]
        if watchers:
            lines.append(
                f"{len(watchers)} bot(s) watched for {total.seconds_watching:.0f} s in all,"
                " in line for an aircraft seat (every seat was taken)"
            )
        if total.steps_dropped:
            lines.append(
                f"{total.steps_dropped} client steps skipped: a bot process fell behind real time"
            )
        return lines

    def failures(self) -> list[str]:
        """One line per reason for exit status 1."""
        reasons: dict[str, list[str]] = {}
        for bot in self.dropped:
            reasons.setdefault(bot.dropped or "", []).append(bot.name)
        lines = [f"{', '.join(names)} dropped: {reason}" for reason, names in reasons.items()]
        for bot in self.bots:
            if bot.desync_max is not None and bot.desync_max > self.desync_bound:
                lines.append(
                    f"{bot.name} desync {bot.desync_max:.1f} px > bound {self.desync_bound:g} px"
                )
        return lines

    @property
    def exit_status(self) -> int:
        if self.unreachable is not None:
            return 2
        return 1 if self.failures() else 0

    def table(self) -> str:
        """A row per bot, then a total row; rates are per second of each bot's connected time."""
        header = (
            f"{'bot':<12} {'snap/s':>6} {'in B/s':>8} {'out B/s':>8} {'rtt ms':>6} {'max':>5} "
            f"{'desync':>6} {'max':>6} {'partner':>7} {'rejoin':>6} {'corr':>4} {'late':>4} "
            f"{'watch':>5}  status"
        )
        rows = [header]
        for bot in self.bots:
            status = "ok" if bot.dropped is None else f"DROPPED: {bot.dropped}"
            if bot.resumes:
                status += f" (reconnected {bot.resumes}x)"
            if bot.server:
                status += f" on {bot.server}"
            if bot.dropped is None and (bot.desync_max or 0.0) > self.desync_bound:
                status = "DESYNC"
            rows.append(_row(bot.name, bot, status))
        rows.append(
            _row(
                f"all {sum(b.ever_connected for b in self.bots)}/{len(self.bots)}",
                self.total(),
                self._total_status(),
            )
        )
        return "\n".join(rows)

    def total(self) -> BotStats:
        """The bots' figures as one: sums, and means weighted by connected time or samples."""
        bots = self.bots
        seconds = sum(b.seconds_connected for b in bots)
        rtts = [b.rtt_ms for b in bots if b.rtt_ms is not None]
        rtt_max = [b.rtt_max_ms for b in bots if b.rtt_max_ms is not None]
        samples = sum(b.desync_samples for b in bots)
        return BotStats(
            name="all",
            ever_connected=any(b.ever_connected for b in bots),
            seconds_connected=seconds,
            snapshots=sum(b.snapshots for b in bots),
            bytes_in=sum(b.bytes_in for b in bots),
            bytes_out=sum(b.bytes_out for b in bots),
            rtt_ms=statistics.fmean(rtts) if rtts else None,
            rtt_max_ms=max(rtt_max) if rtt_max else None,
            desync_mean=(
                sum((b.desync_mean or 0.0) * b.desync_samples for b in bots) / samples
                if samples
                else None
            ),
            desync_max=self.desync_max,
            desync_samples=samples,
            partners_requested=sum(b.partners_requested for b in bots),
            partners_granted=sum(b.partners_granted for b in bots),
            partners_skipped=sum(b.partners_skipped for b in bots),
            leaves=sum(b.leaves for b in bots),
            rejoins_planned=sum(b.rejoins_planned for b in bots),
            rejoins=sum(b.rejoins for b in bots),
            resumes=sum(b.resumes for b in bots),
            corrections=sum(b.corrections for b in bots),
            steps_dropped=sum(b.steps_dropped for b in bots),
            seconds_watching=sum(b.seconds_watching for b in bots),
        )

    def _total_status(self) -> str:
        desynced = sum(
            (b.desync_max or 0.0) > self.desync_bound for b in self.bots if b.dropped is None
        )
        problems = [f"{len(self.dropped)} dropped"] if self.dropped else []
        problems += [f"{desynced} over the desync bound"] if desynced else []
        status = ", ".join(problems) or "ok"
        connected = [b for b in self.bots if b.seconds_connected > 0]
        server_in = sum(b.out_rate for b in connected)
        server_out = sum(b.in_rate for b in connected)
        busy = ", ".join(f"{b:.0%}" for b in self.busy) or "-"
        return (
            f"{status}; server in {server_in / 1000:.1f} KB/s, out {server_out / 1000:.1f} KB/s;"
            f" loop busy {busy}"
        )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the sorted `values` lie (nearest rank)."""
    if not values:
        return math.nan
    rank = min(len(values) - 1, max(0, math.ceil(fraction * len(values)) - 1))
    return values[rank]


def _row(name: str, bot: BotStats, status: str) -> str:
    def num(value: float | None, spec: str, width: int) -> str:
        return f"{value:{width}{spec}}" if value is not None else f"{'-':>{width}}"

    partner = f"{bot.partners_granted}/{bot.partners_requested}"
    rejoin = f"{bot.rejoins}/{bot.rejoins_planned}"
    return (
        f"{name:<12} {bot.snapshot_rate:6.1f} {bot.in_rate:8.0f} {bot.out_rate:8.0f} "
        f"{num(bot.rtt_ms, '.1f', 6)} {num(bot.rtt_max_ms, '.0f', 5)} "
        f"{num(bot.desync_mean, '.1f', 6)} {num(bot.desync_max, '.1f', 6)} "
        f"{partner:>7} {rejoin:>6} {bot.corrections:4d} {bot.steps_dropped:4d} "
        f"{bot.seconds_watching:5.0f}  {status}"
    )


def _real_sleep(seconds: float) -> None:
    time.sleep(seconds)


def _sample(
    bots: Sequence[Bot],
    now: float,
    start: float,
    last: tuple[float, float, float, list[tuple[float, int, int, int]]],
    busy: float,
) -> Progress:
    """Desync and rtt samples for every bot, and the last interval's progress line."""
    last_now, last_wall, last_busy, last_totals = last
    desync = measure_desync(bots, now)
    rtts = [rtt for rtt in (bot.sample_rtt() for bot in bots) if rtt is not None]
    totals = [bot.totals() for bot in bots]
    gained = [
        sum(now_[k] - before[k] for now_, before in zip(totals, last_totals, strict=True))
        for k in range(4)
    ]
    wall = time.perf_counter() - last_wall
    return Progress(
        t=round(now - start),
        interval=now - last_now,
        connected=sum(bot.connected for bot in bots),
        bots=len(bots),
        seconds_connected=gained[0],
        snapshots=gained[1],
        bytes_in=gained[2],
        bytes_out=gained[3],
        rtt_sum_ms=sum(rtts),
        rtt_count=len(rtts),
        desync_max=desync,
        dropped=sum(bot.tally.dropped is not None for bot in bots),
        busy=(busy - last_busy) / wall if wall > 0 else 0.0,
    )


def run_plans(
    host: str,
    port: int,
    plans: Sequence[BotPlan],
    seconds: float,
    *,
    total_bots: int | None = None,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    tick: Tick | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    options: BotOptions | None = None,
    desync_bound: float = DEFAULT_DESYNC_BOUND,
    process: int = 0,
) -> Report:
    """Run these bots on this thread for `seconds`; see `run_bots`."""
    clock = clock or MonotonicClock()
    sleep = sleep or _real_sleep
    options = options or BotOptions()
    total = len(plans) if total_bots is None else total_bots
    start = clock.now()
    parties: dict[int, LobbyParty] = {}
    if options.lobby is not None:
        for plan in plans:
            members = [p.name for p in plans if p.party == plan.party]
            parties.setdefault(plan.party, LobbyParty(options.lobby, members))
    bots = [
        Bot(
            plan,
            host,
            port,
            clock,
            run_start=start,
            total_bots=total,
            options=options,
            process=process,
            party=parties.get(plan.party),
        )
        for plan in plans
    ]
    for bot in bots:
        bot.start()
    end = start + seconds
    next_sample = start + SAMPLE_EVERY
    wall_start = time.perf_counter()
    busy = 0.0  # seconds of wall time spent working (not sleeping)
    last = (start, wall_start, busy, [bot.totals() for bot in bots])
    interrupted = False
    try:
        while True:
            work_start = time.perf_counter()
            if tick is not None:
                tick()
            for bot in bots:
                bot.step()
            now = clock.now()
            if now >= next_sample - EPSILON:
                progress = _sample(bots, now, start, last, busy + time.perf_counter() - work_start)
                if on_progress is not None:
                    on_progress(progress)
                last = (
                    now,
                    time.perf_counter(),
                    busy + time.perf_counter() - work_start,
                    [bot.totals() for bot in bots],
                )
                while next_sample <= now + EPSILON:
                    next_sample += SAMPLE_EVERY
            busy += time.perf_counter() - work_start
            if now >= end - EPSILON or not any(bot.active for bot in bots):
                break
            deadlines = [end, next_sample]
            for bot in bots:
                if bot.client is not None:
                    deadlines.append(now + bot.client.loop.seconds_until_next_step())
                elif bot.active and bot.away_until is not None:
                    deadlines.append(bot.away_until)
            sleep(max(min(deadlines) - clock.now(), MIN_WAIT))
    except KeyboardInterrupt:
        interrupted = True
    for bot in bots:
        bot.finish()
    elapsed = clock.now() - start
    wall = time.perf_counter() - wall_start
    stats = [bot.stats() for bot in bots]
    unreachable = None
    if stats and not any(s.ever_connected for s in stats):
        reasons = [s.dropped for s in stats if s.dropped and s.dropped.startswith("Could not")]
        if len(reasons) == len(stats):
            unreachable = reasons[0]
    return Report(
        seconds=seconds,
        elapsed=elapsed,
        bots=stats,
        desync_bound=desync_bound,
        busy=[busy / wall if wall else 0.0],
        unreachable=unreachable,
        interrupted=interrupted,
    )


def run_bots(
    host: str,
    port: int,
    bots: int,
    seconds: float,
    seed: int = 1,
    clock: Clock | None = None,
    *,
    sleep: Sleep | None = None,
    tick: Tick | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    options: BotOptions | None = None,
    desync_bound: float = DEFAULT_DESYNC_BOUND,
    name_prefix: str = "bot",
) -> Report:
    """Run `bots` bots against host:port for `seconds`, in this thread, and report.

    `clock` (default: a MonotonicClock) is what every bot steps on and `sleep(s)`
    (default: time.sleep) waits until the next step deadline; a test can pass a
    ManualClock and `clock.advance`. `tick()` is called once per loop pass,
    before the bots step (e.g. an in-process `server.run_due_steps`).
    `on_progress` gets one Progress a second.
    """
    plans = plan_bots(bots, seconds, seed, name_prefix, options)
    return run_plans(
        host,
        port,
        plans,
        seconds,
        clock=clock,
        sleep=sleep,
        tick=tick,
        on_progress=on_progress,
        options=options,
        desync_bound=desync_bound,
    )


# -- several processes -----------------------------------------------------------------------


def _worker(
    process: int,
    host: str,
    port: int,
    plans: list[BotPlan],
    seconds: float,
    total_bots: int,
    options: BotOptions,
    desync_bound: float,
    out: multiprocessing.Queue,
) -> None:
    try:
        report = run_plans(
            host,
            port,
            plans,
            seconds,
            total_bots=total_bots,
            options=options,
            desync_bound=desync_bound,
            process=process,
            on_progress=lambda progress: out.put(("progress", process, progress)),
        )
        out.put(("report", process, report))
    except BaseException:  # the parent must hear about it, whatever it was
        out.put(("error", process, traceback.format_exc()))


def merge_reports(reports: Sequence[Report]) -> Report:
    unreachable = [r.unreachable for r in reports]
    return Report(
        seconds=max(r.seconds for r in reports),
        elapsed=max(r.elapsed for r in reports),
        bots=sorted((bot for r in reports for bot in r.bots), key=lambda bot: bot.index),
        desync_bound=reports[0].desync_bound,
        processes=len(reports),
        busy=[b for r in reports for b in r.busy],
        unreachable=unreachable[0] if all(u is not None for u in unreachable) else None,
        interrupted=any(r.interrupted for r in reports),
    )


def run_processes(
    host: str,
    port: int,
    bots: int,
    seconds: float,
    seed: int = 1,
    processes: int = 2,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    options: BotOptions | None = None,
    desync_bound: float = DEFAULT_DESYNC_BOUND,
    name_prefix: str = "bot",
) -> Report:
    """Split the bots round-robin over `processes` worker processes; merge their reports."""
    options = options or BotOptions()
    plans = plan_bots(bots, seconds, seed, name_prefix, options)
    processes = max(1, min(processes, bots))
    numbers = sorted({plan.party for plan in plans})  # a party stays in one process
    shares = [[p for p in plans if p.party in set(numbers[i::processes])] for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    workers = [
        context.Process(
            target=_worker,
            args=(i, host, port, shares[i], seconds, bots, options, desync_bound, out),
            name=f"bots-{i}",
            daemon=True,
        )
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    reports: dict[int, Report] = {}
    finished: dict[int, Progress] = {}  # what a process that is done adds to later lines
    errors: list[str] = []
    pending: dict[int, dict[int, Progress]] = {}  # second -> process -> progress
    deadline = time.monotonic() + seconds + 60.0
    try:
        while len(reports) + len(errors) < processes and time.monotonic() < deadline:
            try:
                kind, process, payload = out.get(timeout=0.5)
            except queue.Empty:
                if not any(w.is_alive() for w in workers) and out.empty():
                    break
                continue
            except KeyboardInterrupt:
                continue  # the workers got the Ctrl+C too: wait for their reports
            if kind == "progress":
                pending.setdefault(payload.t, {})[process] = payload
                running = {i for i in range(processes) if i not in reports}
                for second in sorted(pending):
                    if running <= pending[second].keys():
                        samples = [*pending.pop(second).values(), *finished.values()]
                        merged = samples[0]
                        for sample in samples[1:]:
                            merged = merged.merge(sample)
                        if on_progress is not None:
                            on_progress(merged)
            elif kind == "report":
                reports[process] = payload
                for samples in pending.values():
                    samples.pop(process, None)
                if payload.elapsed >= seconds - SAMPLE_EVERY:
                    on_progress = None  # the run is ending: no half-merged last line
                finished[process] = Progress(
                    t=0,
                    interval=0.0,
                    connected=0,
                    bots=len(payload.bots),
                    seconds_connected=0.0,
                    snapshots=0,
                    bytes_in=0,
                    bytes_out=0,
                    dropped=len(payload.dropped),
                )
            else:
                errors.append(payload)
    finally:
        for worker in workers:
            worker.join(timeout=5.0)
            if worker.is_alive():
                worker.terminate()
                worker.join()
    if errors:
        raise RuntimeError("a bot process failed:\n" + "\n".join(errors))
    if len(reports) < processes:
        raise RuntimeError(f"only {len(reports)} of {processes} bot processes reported")
    return merge_reports([reports[i] for i in range(processes)])


# -- command line ----------------------------------------------------------------------------


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) -> (host, port); ValueError with a one-line reason."""
    return cli.parse_address(text)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m tools.bots", description=(__doc__ or "").split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--connect", metavar="HOST:PORT", help="a server")
    where.add_argument(
        "--lobby", metavar="URL", help="a lobby (python -m game.lobby): it chooses the servers"
    )
    parser.add_argument(
        "--party",
        type=cli.number(int, low=1, high=4),
        default=1,
        metavar="N",
        help="with --lobby: bots ask in parties of N and land together (default 1)",
    )
    parser.add_argument("--bots", type=cli.number(int, low=1), required=True, metavar="N")
    parser.add_argument("--seconds", type=cli.number(above=0), required=True, metavar="S")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=cli.number(int, low=1), default=1, metavar="P")
    parser.add_argument(
        "--desync-bound", type=cli.number(above=0), default=DEFAULT_DESYNC_BOUND, metavar="PX"
    )
    parser.add_argument("--name-prefix", default="bot")
    parser.add_argument(
        "--key-file",
        metavar="FILE",
        help="the server's key: bots make their own tickets (default: ask the server, which "
        "must run with --open)",
    )
    parser.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    parser.add_argument(
        "--mod",
        action="append",
        default=[],
        metavar="MODULE",
        help="load this mod (repeatable), as the server does: a modded server refuses bots "
        "without its mods",
    )
    try:
        args = parser.parse_args(argv)
        lobby = parse_lobby_url(args.lobby) if args.lobby else None
        host, port = parse_address(args.connect) if lobby is None else ("", 0)
        if not args.name_prefix.strip():
            raise ValueError("--name-prefix must not be empty")
        if lobby is not None and args.key_file:
            raise ValueError("--key-file goes with --connect: a lobby makes the tickets")
        key = read_key(args.key_file) if args.key_file else None
        if key is not None:
            resolve(host, port)  # an unknown host is a usage error, said once
        load_mods(args.mod)  # a mod that cannot load is a usage error, said once
        options = BotOptions(
            key=key,
            transport=args.transport,
            lobby=lobby,
            party=args.party,
            mods=tuple(args.mod),
        )
    except (_ArgumentError, ValueError, KeyFileError, TicketError, ModError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as done:  # --help
        return int(done.code or 0)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def show(progress: Progress) -> None:
        print(progress.line(), file=sys.stderr, flush=True)

    if args.processes > 1 and args.bots > 1:
        try:
            report = run_processes(
                host,
                port,
                args.bots,
                args.seconds,
                args.seed,
                args.processes,
                on_progress=show,
                desync_bound=args.desync_bound,
                name_prefix=args.name_prefix,
                options=options,
            )
        except RuntimeError as error:  # a worker process crashed
            print(f"error: {error}", file=sys.stderr)
            return 1
    else:
        report = run_bots(
            host,
            port,
            args.bots,
            args.seconds,
            args.seed,
            on_progress=show,
            desync_bound=args.desync_bound,
            name_prefix=args.name_prefix,
            options=options,
        )
    if report.unreachable is not None:
        print(report.unreachable, file=sys.stderr)
        return 2
    print(report.table())
    for line in report.notes() + report.failures():
        print(line)
    if report.interrupted:
        print(f"interrupted after {report.elapsed:.1f} s")
    return report.exit_status


if __name__ == "__main__":
    raise SystemExit(main())
