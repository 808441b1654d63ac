"""Instruction counts of replication's hot paths, for A/B comparisons on a noisy machine.

    python -m tools.bench_callgrind bits [--entities 1000] [--moving 0.1] [--ticks 10]
    python -m tools.bench_callgrind idle [--seconds 2]
    python -m tools.bench_callgrind game --entities 300 [--seconds 2]

Wall and CPU time on a shared virtual machine swing by 2x within minutes; the number of
instructions a piece of work executes does not. This runs the workload of
tools/bench_replication.py twice under `valgrind --tool=callgrind`: once up to the
measured part, once through it, and prints the difference per tick (bits: the workload's
writes + `capture` + `encode` from the previous tick, each tick; idle: a second of a
server's steps, 1,000 static entities, 4 clients; game: a second of the shooter's server
world stepping with N enemies, missiles and pickups in its view, flying their patterns,
with a capture and an encode every tick: what the systems' writes cost, hooks included).
The same command in a tree of another commit (with tools/bench*.py copied in) gives the
other side of an A/B comparison.
Valgrind runs Python about 50 times slower: a row takes minutes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys


def _run(kind: str, entities: int, moving: float, warm: int, measured: int) -> None:
    """The workload itself (run under valgrind by `measure`)."""
    if kind == "bits":
        from engine.net.replication import SnapshotEncoder
        from game.net.schema import shooter_schema
        from tools.bench_replication import workload

        load = workload(entities, moving, 1)
        encoder = SnapshotEncoder(shooter_schema().components)
        encoder.capture(load.world, 1)
        encoder.encode(0)
        for tick in range(2, 2 + warm + measured):
            load.step()
            encoder.capture(load.world, tick)
            encoder.encode(tick - 1)
        return
    if kind == "game":
        import random

        from engine.net.replication import SnapshotEncoder
        from engine.phases import Role
        from game.net.schema import shooter_schema
        from game.rules.battlefield import Battlefield
        from game.rules.mission import start_mission
        from game.rules.plugin import shooter_world
        from tools.bench import populate

        world = shooter_world(Role.SERVER, seed=1)
        start_mission(world)
        battlefield = world.resource(Battlefield)
        populate(
            world,
            entities,
            random.Random(1),
            top=battlefield.view_top,
            height=battlefield.spec.view_height,
        )
        encoder = SnapshotEncoder(shooter_schema().components)
        tick = 0
        for step in range(60 * (warm + measured)):
            world.step()
            if step % 3 == 0:
                tick += 1
                encoder.capture(world, tick)
                encoder.encode(tick - 1)
        return
    from engine.runtime import settle_garbage_collector
    from engine.testing import STEP, LoopbackNetwork
    from tools.bench_replication import Tag, idle_schema

    net = LoopbackNetwork(idle_schema, clients=4, seed=1)
    from engine.components import Transform
    from engine.net.replication import Replicated

    for index in range(entities):
        net.server.create(Replicated(), Transform(index, index), Tag(index % 7))
    net.step(60 * warm)
    settle_garbage_collector()
    for _ in range(60 * measured):
        net.clock.advance(STEP)
        net.server.step()
        for world in net.clients:
            world.step()


def instructions(args: list[str]) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "tools.bench_callgrind",
        "_run",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def measure(kind: str, entities: int, moving: float, warm: int, measured: int) -> float:
    """Instructions per measured tick (bits) or second (idle)."""
    base = [kind, str(entities), str(moving), str(warm)]
    before = instructions([*base, "0"])
    after = instructions([*base, str(measured)])
    return (after - before) / measured


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_run":
        kind, entities, moving, warm, measured = argv[1:6]
        _run(kind, int(entities), float(moving), int(warm), int(measured))
        return 0
    parser = argparse.ArgumentParser(prog="python -m tools.bench_callgrind")
    parser.add_argument("kind", choices=("bits", "idle", "game"))
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--moving", type=float, default=0.1)
    parser.add_argument("--ticks", type=int, default=10, help="bits: ticks measured")
    parser.add_argument("--seconds", type=int, default=2, help="idle: seconds measured")
    args = parser.parse_args(argv)
    if args.kind == "bits":
        per = measure("bits", args.entities, args.moving, 3, args.ticks)
        print(
            f"bits {args.entities} entities {args.moving:.0%} moving: "
            f"{per / 1e6:.2f} M instructions per tick (writes + capture + encode)"
        )
    elif args.kind == "idle":
        per = measure("idle", args.entities, 0.0, 2, args.seconds)
        print(f"idle {args.entities} entities, 4 clients: {per / 1e6:.2f} M instructions per s")
    else:
        per = measure("game", args.entities, 0.0, 1, args.seconds)
        print(
            f"game {args.entities} entities in the view: {per / 1e6:.2f} M instructions per s "
            "(the shooter's server steps, capture and encode every tick)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
