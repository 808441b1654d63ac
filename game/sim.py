"""Headless mission runner: autopilot players fly the mission as fast as the CPU allows.

    python -m game.sim --seconds 600 --players 2 --seed 7
    python -m game.sim --runs 40 --players 1 --style all --difficulty all

No window, no network, no sleeping: the simulation steps back to back. One run
prints a summary; the same seed gives the same summary, line for line, except
the wall time. With `--runs N` (or `--style all`, `--difficulty all`) it flies N
runs of each style at each difficulty, run i with seed SEED + i (so every style
and difficulty meets the same seeds), and prints a table: how often each style
won and the mean hit points its players had left (0 for a player shot down).
This is how the game is tuned (docs/TUNING.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from engine.data import DataError
from engine.mods import ModError, build_mods, load_mods
from engine.phases import Role
from engine.world import World
from game.rules.autopilot import STYLES, add_autopilot
from game.rules.components import Autopilot, Health, Player
from game.rules.difficulty import DEFAULT_DIFFICULTY, DIFFICULTIES
from game.rules.mission import MissionState, start_mission
from game.rules.plugin import shooter_world
from game.rules.spawn import spawn_player
from game.rules.systems.stats import MissionStats
from game.rules.systems.status import living_players


@dataclass(frozen=True, slots=True)
class Summary:
    simulated_seconds: float
    steps: int
    wall_seconds: float
    enemies_spawned: int
    enemies_destroyed: int
    pickups_taken: int
    shots_fired: int
    missiles_launched: int
    players_alive: int
    players: int
    outcome: str
    hitpoints_left: int = 0  # of every player together (a player shot down has none)

    def lines(self) -> list[str]:
        return [
            f"simulated seconds: {self.simulated_seconds:.2f}",
            f"steps: {self.steps}",
            f"wall time: {self.wall_seconds:.2f} s "
            f"({self.simulated_seconds / max(self.wall_seconds, 1e-9):.0f}x real time)",
            f"enemies spawned: {self.enemies_spawned}",
            f"enemies destroyed: {self.enemies_destroyed}",
            f"pickups taken: {self.pickups_taken}",
            f"shots fired: {self.shots_fired}",
            f"missiles launched: {self.missiles_launched}",
            f"players alive: {self.players_alive} of {self.players}",
            f"outcome: {self.outcome}",
        ]


def build(
    players: int,
    seed: int,
    *,
    style: str = "dodge",
    difficulty: str = DEFAULT_DIFFICULTY,
    mods: Sequence[str] = (),
) -> World:
    """A server world with `players` autopilot aircraft flying `style` on the start line,
    its mission started (nobody to wait for: it is never held). The edge style sends odd
    players to the left edge and even ones to the right (co-op: one on each edge). `mods`
    by module name (the installed ones too), built after the game."""
    world = shooter_world(Role.SERVER, seed=seed, difficulty=difficulty)
    try:
        build_mods(world, load_mods(mods))
    except ModError:
        world.close()
        raise
    add_autopilot(world)
    for player_id in range(1, players + 1):
        entity = spawn_player(world, player_id, name=f"autopilot-{player_id}")
        side = -1.0 if player_id % 2 else 1.0
        world.add_component(entity, Autopilot(style=style, side=side))
    world.flush()
    start_mission(world)
    return world


def run(
    seconds: float,
    players: int,
    seed: int,
    *,
    style: str = "dodge",
    difficulty: str = DEFAULT_DIFFICULTY,
    mods: Sequence[str] = (),
) -> Summary:
    """Step until the mission ends or `seconds` of simulated time have passed."""
    world = build(players, seed, style=style, difficulty=difficulty, mods=mods)
    try:
        mission = world.resource(MissionState)
        limit = round(seconds * world.time.step_hz)
        started = time.perf_counter()
        while world.time.step < limit and mission.running:
            world.step()
        wall = time.perf_counter() - started
        return _summary(world, players, wall)
    finally:
        world.close()


def _summary(world: World, players: int, wall: float) -> Summary:
    stats = world.resource(MissionStats)
    mission = world.resource(MissionState)
    alive = living_players(world)
    return Summary(
        simulated_seconds=world.time.seconds,
        steps=world.time.step,
        wall_seconds=wall,
        enemies_spawned=stats.enemies_spawned,
        enemies_destroyed=stats.enemies_destroyed,
        pickups_taken=stats.pickups_taken,
        shots_fired=stats.shots_fired,
        missiles_launched=stats.missiles_launched,
        players_alive=len(alive),
        players=players,
        outcome=mission.outcome.value if mission.outcome else "none (time limit reached)",
        hitpoints_left=sum(
            max(0, world.component(entity, Health).hitpoints)
            for entity, _ in alive
            if world.has_component(entity, Player)
        ),
    )


# -- many runs: the tuning table ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """Every run of one style at one difficulty."""

    difficulty: str
    style: str
    runs: int
    wins: int
    hitpoints_left: float  # per player, mean over the runs
    seconds: float  # simulated, mean over the runs

    @property
    def win_rate(self) -> float:
        return self.wins / self.runs if self.runs else 0.0


def _one(job: tuple[float, int, int, str, str, tuple[str, ...]]) -> tuple[bool, float, float]:
    seconds, players, seed, style, difficulty, mods = job
    summary = run(seconds, players, seed, style=style, difficulty=difficulty, mods=mods)
    won = summary.outcome == "success"
    return won, summary.hitpoints_left / players, summary.simulated_seconds


def table(
    runs: int,
    players: int,
    seed: int,
    *,
    styles: Sequence[str] = STYLES,
    difficulties: Sequence[str] = DIFFICULTIES,
    seconds: float = 600.0,
    jobs: int = 1,
    mods: Sequence[str] = (),
) -> list[Row]:
    """`runs` runs of each style at each difficulty; run i flies seed `seed + i`."""
    plan = [(d, s) for d in difficulties for s in styles]
    named = tuple(mods)
    work = [(seconds, players, seed + i, s, d, named) for d, s in plan for i in range(runs)]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_one, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        results = [_one(job) for job in work]
    rows = []
    for index, (difficulty, style) in enumerate(plan):
        mine = results[index * runs : (index + 1) * runs]
        rows.append(
            Row(
                difficulty=difficulty,
                style=style,
                runs=runs,
                wins=sum(won for won, _, _ in mine),
                hitpoints_left=sum(hp for _, hp, _ in mine) / runs,
                seconds=sum(s for _, _, s in mine) / runs,
            )
        )
    return rows


def table_lines(rows: Iterable[Row]) -> list[str]:
    lines = [
        f"{'difficulty':<10}  {'style':<6}  {'runs':>4}  {'wins':>4}  {'win rate':>8}  "
        f"{'hit points left':>15}  {'mission time':>12}"
    ]
    for row in rows:
        lines.append(
            f"{row.difficulty:<10}  {row.style:<6}  {row.runs:>4}  {row.wins:>4}  "
            f"{row.win_rate:>8.0%}  {row.hitpoints_left:>15.1f}  {row.seconds:>10.1f} s"
        )
    return lines


def _positive(kind: type, label: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label} must be a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{label} must be positive, got {text!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m game.sim",
        description="Fly the Cloudbreak mission headless with autopilot players.",
    )
    parser.add_argument(
        "--seconds",
        type=_positive(float, "--seconds"),
        default=600.0,
        help="simulated seconds at most (default 600)",
    )
    parser.add_argument(
        "--players",
        type=_positive(int, "--players"),
        default=2,
        help="autopilot players, 1..16 (default 2)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--runs",
        type=_positive(int, "--runs"),
        default=None,
        help="fly this many runs of each style at each difficulty (seeds SEED, SEED+1, ...) "
        "and print a table of wins and hit points left instead of one summary",
    )
    parser.add_argument(
        "--style",
        choices=[*STYLES, "all"],
        default="dodge",
        help="how the autopilot flies: edge (hugs a side), centre (holds mid-screen), "
        "dodge (chases, dodges, launches missiles) or all (a table) (default dodge)",
    )
    parser.add_argument(
        "--difficulty",
        choices=[*DIFFICULTIES, "all"],
        default=DEFAULT_DIFFICULTY,
        help=f"enemy difficulty, or all (a table) (default {DEFAULT_DIFFICULTY})",
    )
    parser.add_argument(
        "--jobs",
        type=_positive(int, "--jobs"),
        default=os.cpu_count() or 1,
        help="processes flying the runs of a table at once (default: one per CPU)",
    )
    parser.add_argument(
        "--mod", action="append", default=[], metavar="MODULE", help="load a mod (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.players > 16:
        parser.error(f"--players must be at most 16, got {args.players}")
    styles = STYLES if args.style == "all" else (args.style,)
    difficulties = DIFFICULTIES if args.difficulty == "all" else (args.difficulty,)
    tabulate = args.runs is not None or len(styles) > 1 or len(difficulties) > 1
    try:
        load_mods(args.mod)  # every mod imports, or one line says which did not
        if tabulate:
            rows = table(
                args.runs or 1,
                args.players,
                args.seed,
                styles=styles,
                difficulties=difficulties,
                seconds=args.seconds,
                jobs=args.jobs,
                mods=args.mod,
            )
            print("\n".join(table_lines(rows)))
            return 0
        summary = run(
            args.seconds,
            args.players,
            args.seed,
            style=args.style,
            difficulty=args.difficulty,
            mods=args.mod,
        )
    except (DataError, ModError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
