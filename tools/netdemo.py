"""Watch a remote aircraft through a bad network, and see whether it freezes.

    python -m tools.netdemo --transport udp --latency 50 --jitter 20 --loss 5 --out shots/udp
    python -m tools.netdemo --transport tcp --latency 50 --jitter 20 --stall-chance 0.05

A server, a relay that makes the network bad (tools.netsim: UDP with loss, or TCP
with stalls) and two clients through it, all on real sockets and the real clock:
a pilot on the autopilot and a watcher. The watcher's view is drawn with the
game's renderer, and a burst of screenshots is saved. It prints how long the
watcher went without a new snapshot (the gaps that make a remote aircraft freeze,
then jump) and how often the pilot's aircraft stood still on the watcher's screen.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from engine import cli  # noqa: E402
from engine.components import Transform  # noqa: E402
from engine.mods import ModError, load_mods  # noqa: E402
from engine.net.datagrams import Conditions as DatagramConditions  # noqa: E402
from engine.net.netcode import new_key  # noqa: E402
from engine.net.replication import Replicated  # noqa: E402
from engine.net.sync import ClientNet  # noqa: E402
from engine.phases import Phase  # noqa: E402
from engine.time import MonotonicClock  # noqa: E402
from game.client.render import WorldRenderer  # noqa: E402
from game.net.claims import LocalSeat  # noqa: E402
from game.net.client import GameClient  # noqa: E402
from game.rules.autopilot import AutopilotSystem  # noqa: E402
from game.rules.components import Autopilot  # noqa: E402
from game.server import GameServer  # noqa: E402
from tools.netsim import Conditions as StreamConditions  # noqa: E402
from tools.netsim import Relay  # noqa: E402
from tools.netsim_udp import UdpRelay  # noqa: E402

SIZE = (1024, 768)


class _FlyOwn:
    """INPUT: the autopilot flies the pilot's aircraft."""

    def update(self, world, dt: float) -> None:  # noqa: ANN001
        for entity, _ in world.query(LocalSeat):
            if not world.has_component(entity, Autopilot):
                world.add_component(entity, Autopilot())


class _SnapshotTimes:
    """NETWORK: when the watcher's snapshot count grew (wall time)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._count = 0

    def update(self, world, dt: float) -> None:  # noqa: ANN001
        count = world.resource(ClientNet).snapshots
        if count != self._count:
            self._count = count
            self.times.append(time.monotonic())


def run(args: argparse.Namespace) -> dict[str, float]:
    clock = MonotonicClock()
    key = new_key()
    mods = load_mods(args.mod)
    server = GameServer(host="127.0.0.1", port=0, key=key, clock=clock, seed=args.seed, mods=mods)
    target = server.address
    if args.transport == "udp":
        conditions = DatagramConditions(
            latency_ms=args.latency, jitter_ms=args.jitter, loss=args.loss / 100
        )
        relay: UdpRelay | Relay = UdpRelay(("127.0.0.1", 0), target, conditions, seed=args.seed)
    else:
        stream = StreamConditions(
            latency_ms=args.latency,
            jitter_ms=args.jitter,
            stall_chance=args.stall_chance,
            stall_ms=args.stall_ms,
        )
        relay = Relay(("127.0.0.1", 0), target, stream, seed=args.seed)
    relay.start()
    server.add_public_address(relay.address)
    through = [relay.address]

    def join(name: str) -> GameClient:
        ticket = server.ticket(name, servers=through)
        return GameClient.with_ticket(
            ticket, name, clock=clock, transport=args.transport, mods=mods
        )

    pilot, watcher = join("pilot"), join("watcher")
    pilot.world.add_system(_FlyOwn(), Phase.INPUT)
    pilot.world.add_system(AutopilotSystem(), Phase.INPUT)
    times = _SnapshotTimes()
    watcher.world.add_system(times, Phase.NETWORK)
    pygame.display.init()
    surface = pygame.Surface(SIZE)
    renderer = WorldRenderer()
    args.out.mkdir(parents=True, exist_ok=True)
    shots, still, frames = 0, 0, 0
    last_seen: tuple[float, float] | None = None
    started = time.monotonic()
    next_shot = started + args.seconds - args.burst * args.burst_gap - 1.0
    try:
        # The whole burst is saved, however late a slow machine reaches its frames.
        while time.monotonic() - started < args.seconds or shots < args.burst:
            server.run_due_steps()
            relay.poll(0.0)
            pilot.run_due_steps()
            watcher.run_due_steps()
            plane = _pilots_plane(pilot, watcher)
            if plane is not None and time.monotonic() - started > 3.0:
                frames += 1
                at = (round(plane.x, 2), round(plane.y, 2))
                still += at == last_seen
                last_seen = at
            if time.monotonic() >= next_shot and shots < args.burst:
                renderer.draw(surface, watcher.world)
                pygame.image.save(surface, str(args.out / f"frame{shots:02d}.png"))
                shots += 1
                next_shot += args.burst_gap
            time.sleep(0.002)
    finally:
        pilot.close()
        watcher.close()
        relay.close()
        server.close()
    settled = [t for t in times.times if t - started > 3.0]
    gaps = [(b - a) * 1000 for a, b in zip(settled, settled[1:], strict=False)] or [0.0]
    gaps.sort()
    return {
        "snapshots": len(settled),
        "gap_median_ms": statistics.median(gaps),
        "gap_p99_ms": gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))],
        "gap_max_ms": gaps[-1],
        "still_frames": still,
        "frames": frames,
        "shots": shots,
    }


def _pilots_plane(pilot: GameClient, watcher: GameClient) -> Transform | None:
    """The pilot's aircraft as the watcher draws it (None until both know it)."""
    own = pilot.own_aircraft()
    if not own:
        return None
    net_id = pilot.world.component(own[0], Replicated).net_id
    entity = watcher.world.resource(ClientNet).decoder.entities.get(net_id)
    if entity is None or not watcher.world.is_alive(entity):
        return None
    return watcher.world.component(entity, Transform)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.netdemo", description=__doc__)
    parser.add_argument("--transport", choices=["udp", "tcp"], default="udp")
    parser.add_argument("--latency", type=cli.number(low=0), default=50.0, metavar="MS")
    parser.add_argument("--jitter", type=cli.number(low=0), default=20.0, metavar="MS")
    parser.add_argument("--loss", type=cli.number(low=0, high=100), default=5.0, metavar="PCT")
    parser.add_argument("--stall-chance", type=cli.number(low=0, high=1), default=0.05)
    parser.add_argument("--stall-ms", type=cli.number(low=0), default=200.0)
    parser.add_argument("--seconds", type=cli.number(above=3), default=15.0)
    parser.add_argument("--burst", type=cli.number(int, low=0), default=10, metavar="N")
    parser.add_argument("--burst-gap", type=cli.number(above=0), default=0.05, metavar="S")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("netdemo"))
    parser.add_argument("--mod", action="append", default=[], metavar="MODULE")
    args = parser.parse_args(argv)
    try:
        load_mods(args.mod)
    except ModError as error:
        parser.error(str(error))
    figures = run(args)
    print(
        f"{args.transport}: {figures['snapshots']} snapshots applied; gap between them "
        f"median {figures['gap_median_ms']:.0f} ms, p99 {figures['gap_p99_ms']:.0f} ms, "
        f"max {figures['gap_max_ms']:.0f} ms; the pilot's aircraft stood still on "
        f"{figures['still_frames']} of {figures['frames']} watcher frames; "
        f"{figures['shots']} screenshots in {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
