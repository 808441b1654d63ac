"""Measure replication bytes and server step time with headless bot clients over real TCP.

    python -m tools.netreport --clients 4 16 --seconds 60

Each run starts a server on 127.0.0.1 (port 0) and K GameClients whose own
aircraft fly on the game's autopilot, all on one thread and one manual clock
advanced a fixed step at a time, so the figures are per simulated second and
the server's step time is measured alone (perf_counter around world.step()).
Reported per run:

- UpdateClientState bytes per second per client (frame header included), as
  received by the clients;
- the naive encoding of the same ticks: every replicated component of every
  entity every tick, 4 bytes per field, 4 bytes of entity id, 1 byte of type;
- all bytes in and out per client per second;
- server step time, median and p99.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from engine.mods import Mod, ModError, load_mods
from engine.net.messages import UpdateClientState
from engine.net.replication import Replicated
from engine.net.sync import ServerNet
from engine.phases import Phase
from engine.time import ManualClock
from engine.world import World
from game.net.claims import LocalSeat
from game.net.client import GameClient
from game.rules.autopilot import AutopilotSystem
from game.rules.components import Autopilot
from game.rules.mission import MissionState
from game.server import GameServer

STEP = 1 / 60
FRAME_HEADER = 4
MESSAGE_HEADER = 9  # type byte, tick u32, baseline u32


@dataclass
class RunFigures:
    clients: int
    seconds: float
    snapshot_bytes_per_client_s: float
    naive_bytes_per_client_s: float
    in_bytes_per_client_s: float
    out_bytes_per_client_s: float
    step_median_ms: float
    step_p99_ms: float
    entities_mean: float
    missions_started: int

    def row(self) -> str:
        ratio = self.snapshot_bytes_per_client_s / max(self.naive_bytes_per_client_s, 1)
        return (
            f"{self.clients:>7} {self.snapshot_bytes_per_client_s:>12.0f} "
            f"{self.naive_bytes_per_client_s:>12.0f} {ratio:>7.1%} "
            f"{self.in_bytes_per_client_s:>10.0f} {self.out_bytes_per_client_s:>10.0f} "
            f"{self.step_median_ms:>9.3f} {self.step_p99_ms:>9.3f} {self.entities_mean:>9.1f}"
            f" {self.missions_started:>8}"
        )


HEADER = (
    f"{'clients':>7} {'snap B/s':>12} {'naive B/s':>12} {'ratio':>7} "
    f"{'in B/s':>10} {'out B/s':>10} {'step med':>9} {'step p99':>9} {'entities':>9}"
    f" {'missions':>8}"
)


class _SnapshotMeter:
    """A system at the end of a step counting the UpdateClientState bytes a client received."""

    def __init__(self) -> None:
        self.bytes = 0

    def update(self, world: World, dt: float) -> None:
        for message in world.events.read(UpdateClientState):
            self.bytes += FRAME_HEADER + MESSAGE_HEADER + len(message.body)


class _AutopilotOwn:
    """Put the autopilot on this client's own aircraft as soon as they exist."""

    def update(self, world: World, dt: float) -> None:
        for entity, _ in world.query(LocalSeat):
            if not world.has_component(entity, Autopilot):
                world.add_component(entity, Autopilot())


def naive_tick_bytes(world: World, registry) -> int:
    """Every replicated component of every entity, 32-bit fields."""
    total = 0
    for entity, _ in world.query_one(Replicated):
        total += 4
        for component in world.components_of(entity):
            spec = registry.by_type.get(type(component))
            if spec is not None:
                total += 1 + 4 * len(spec.fields)
    return total


def run(clients: int, seconds: float, seed: int = 1, mods: Sequence[Mod] = ()) -> RunFigures:
    clock = ManualClock(1000.0)
    server = GameServer(port=0, seed=seed, clock=clock, max_players=max(clients, 1), mods=mods)
    bots: list[GameClient] = []
    meters: list[_SnapshotMeter] = []
    for index in range(clients):
        name = f"bot{index + 1}"
        bot = GameClient.with_ticket(
            server.ticket(name), name, clock=clock, smooth=False, mods=mods
        )
        meter = _SnapshotMeter()
        bot.world.add_system(_AutopilotOwn(), Phase.INPUT)
        bot.world.add_system(AutopilotSystem(), Phase.INPUT)
        bot.world.add_system(meter, Phase.NETWORK)
        bots.append(bot)
        meters.append(meter)
    net = server.world.resource(ServerNet)
    # Let everyone join before measuring.
    for _ in range(60):
        clock.advance(STEP)
        server.step()
        for bot in bots:
            bot.step()
    server.step_times.clear()
    base_in = [b.net.bytes_in for b in bots]
    base_out = [b.net.bytes_out for b in bots]
    base_snap = [m.bytes for m in meters]
    naive = 0
    entity_samples = []
    steps = round(seconds * 60)
    for _ in range(steps):
        clock.advance(STEP)
        server.step()
        if server.world.time.step % server.world.time.tick_every == 1:  # a tick just ran
            naive += naive_tick_bytes(server.world, net.registry)
            entity_samples.append(len(server.world.query_one(Replicated)))
        for bot in bots:
            bot.step()
    live = [i for i, b in enumerate(bots) if b.connected]
    if len(live) != clients:
        raise SystemExit(f"{clients - len(live)} bot(s) were dropped: {bots[0].close_reason}")
    per = 1 / (seconds * clients)

    def gained(now: list[int], before: list[int]) -> float:
        return sum(a - b for a, b in zip(now, before, strict=True)) * per

    times = sorted(server.step_times)
    figures = RunFigures(
        clients=clients,
        seconds=seconds,
        snapshot_bytes_per_client_s=gained([m.bytes for m in meters], base_snap),
        naive_bytes_per_client_s=naive / seconds,
        in_bytes_per_client_s=gained([b.net.bytes_in for b in bots], base_in),
        out_bytes_per_client_s=gained([b.net.bytes_out for b in bots], base_out),
        step_median_ms=statistics.median(times) * 1000,
        step_p99_ms=times[int(len(times) * 0.99)] * 1000,
        entities_mean=statistics.mean(entity_samples),
        missions_started=server.world.resource(MissionState).number,
    )
    for bot in bots:
        bot.close()
    server.close()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.netreport", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[4, 16])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mod", action="append", default=[], metavar="MODULE")
    args = parser.parse_args(argv)
    try:
        mods = load_mods(args.mod)
    except ModError as error:
        parser.error(str(error))
    print(HEADER)
    for count in args.clients:
        started = time.perf_counter()
        figures = run(count, args.seconds, args.seed, mods)
        print(figures.row(), f"  ({time.perf_counter() - started:.0f} s wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
