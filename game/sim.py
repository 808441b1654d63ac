"""Headless mission runner: autopilot players fly the mission as fast as the CPU allows.

    python -m game.sim --seconds 600 --players 2 --seed 7
    python -m game.sim --runs 40 --players 1 --style all --difficulty all
    python -m game.sim --runs 40 --players 1 --mission all
    python -m game.sim --mission coast
    python -m game.sim --campaign --players 2

No window, no network, no sleeping: the simulation steps back to back. One run
prints a summary; the same seed gives the same summary, line for line, except
the wall time. With `--runs N` (or `--style all`, `--difficulty all`) it flies N
runs of each style at each difficulty, run i with seed SEED + i (so every style
and difficulty meets the same seeds), and prints a table: how often each style
won and the mean hit points its players had left (0 for a player shot down).
`--mission NAME` flies that mission of the campaign (default: the first); `all`
makes a table of every mission. `--campaign` flies the whole campaign in one
world as the game does: a mission won leads to the next, one lost is flown
again, until the last is won (or the time is up), a line per mission flown.
This is how the game is tuned (docs/TUNING.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from copy import copy
from dataclasses import dataclass

from engine.data import DataError
from engine.mods import ModError, build_mods, load_mods
from engine.phases import Phase, Role
from engine.world import World
from game.rules.autopilot import STYLES, add_autopilot
from game.rules.campaign import Campaign
from game.rules.components import Autopilot, Health, Player, Score
from game.rules.content import GameContent, load_content
from game.rules.difficulty import DEFAULT_DIFFICULTY, DIFFICULTIES
from game.rules.mission import MissionEnded, MissionStarted, MissionState, start_mission
from game.rules.plugin import shooter_world
from game.rules.sets import MissionLifecycle
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
    scores: tuple[Score, ...] = ()  # each player's tallies, by player id

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
            *(
                f"score of {s.name}: {s.points} ({s.kills} kills, {s.accuracy:.0%} of "
                f"{s.shots} shots hit, {s.damage_taken} damage taken)"
                for s in self.scores
            ),
        ]


def build(
    players: int,
    seed: int,
    *,
    style: str = "dodge",
    difficulty: str = DEFAULT_DIFFICULTY,
    mission: str | None = None,
    mods: Sequence[str] = (),
) -> World:
    """A server world with `players` autopilot aircraft flying `style` on the start line,
    its mission (the campaign's `mission`, default the first; ValueError listing the valid
    names for another) started: nobody to wait for, it is never held. The edge style sends
    odd players to the left edge and even ones to the right (co-op: one on each edge).
    `mods` by module name (the installed ones too), built after the game."""
    world = shooter_world(Role.SERVER, seed=seed, difficulty=difficulty, mission=mission)
    try:
        build_mods(world, load_mods(mods))
    except ModError:
        world.close()
        raise
    add_autopilot(world)
    _spawn_pilots(world, players, style)
    world.flush()
    start_mission(world)
    return world


def _spawn_pilots(world: World, players: int, style: str) -> None:
    for player_id in range(1, players + 1):
        entity = spawn_player(world, player_id, name=f"autopilot-{player_id}")
        side = -1.0 if player_id % 2 else 1.0
        world.add_component(entity, Autopilot(style=style, side=side))


def mission_names() -> tuple[str, ...]:
    """The campaign's missions, in order (what --mission takes)."""
    return tuple(load_content().missions)


def run(
    seconds: float,
    players: int,
    seed: int,
    *,
    style: str = "dodge",
    difficulty: str = DEFAULT_DIFFICULTY,
    mission: str | None = None,
    mods: Sequence[str] = (),
) -> Summary:
    """Step until the mission ends or `seconds` of simulated time have passed."""
    world = build(players, seed, style=style, difficulty=difficulty, mission=mission, mods=mods)
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
        scores=tuple(
            sorted((copy(score) for _, score in world.query_one(Score)), key=lambda s: s.player_id)
        ),
    )


# -- the campaign in one world ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Flown:
    """One mission flown in a campaign run."""

    number: int  # its place in the campaign (1, 2, 3)
    name: str
    outcome: str
    seconds: float  # simulated, from its start to its end


class _Campaigner:
    """The sim's stand-in for the server's seats, and its log of the campaign: every mission
    the campaign restarts gets the autopilot players again (a restart removes every
    aircraft); every mission that ends is noted."""

    def __init__(self, players: int, style: str) -> None:
        self.players, self.style = players, style
        self.flown: list[Flown] = []
        self.began = 0.0

    def update(self, world: World, dt: float) -> None:
        for ended in world.events.read(MissionEnded):
            name = world.resource(GameContent).mission
            number = world.resource(Campaign).number
            took = world.time.seconds - self.began
            self.flown.append(Flown(number, name, ended.outcome.value, took))
        for started in world.events.read(MissionStarted):
            self.began = world.time.seconds
            if started.number > 1:
                _spawn_pilots(world, self.players, self.style)


def campaign(
    seconds: float,
    players: int,
    seed: int,
    *,
    style: str = "dodge",
    difficulty: str = DEFAULT_DIFFICULTY,
    mission: str | None = None,
    mods: Sequence[str] = (),
) -> list[Flown]:
    """Fly the campaign from `mission` (default the first) as the game does, with the real
    lifecycle and its pauses: until its last mission is won or `seconds` have passed."""
    world = build(players, seed, style=style, difficulty=difficulty, mission=mission, mods=mods)
    log = _Campaigner(players, style)
    world.add_system(log, Phase.SPAWN, after=MissionLifecycle)
    try:
        last = world.resource(Campaign).order[-1]
        limit = round(seconds * world.time.step_hz)
        while world.time.step < limit:
            world.step()
            if log.flown and log.flown[-1].name == last and log.flown[-1].outcome == "success":
                break
        return log.flown
    finally:
        world.close()


def campaign_lines(flown: Iterable[Flown]) -> list[str]:
    flown = list(flown)
    lines = []
    for mission in flown:
        lines.append(
            f"mission {mission.number} ({mission.name}): {mission.outcome} "
            f"in {mission.seconds:.1f} s"
        )
    done = bool(flown) and flown[-1].outcome == "success"
    done = done and flown[-1].number == len(mission_names())
    lines.append("campaign complete" if done else "campaign not complete (time limit reached)")
    return lines


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
    mission: str = ""  # the campaign's mission flown

    @property
    def win_rate(self) -> float:
        return self.wins / self.runs if self.runs else 0.0


def _one(
    job: tuple[float, int, int, str, str, str | None, tuple[str, ...]],
) -> tuple[bool, float, float]:
    seconds, players, seed, style, difficulty, mission, mods = job
    summary = run(
        seconds, players, seed, style=style, difficulty=difficulty, mission=mission, mods=mods
    )
    won = summary.outcome == "success"
    return won, summary.hitpoints_left / players, summary.simulated_seconds


def table(
    runs: int,
    players: int,
    seed: int,
    *,
    styles: Sequence[str] = STYLES,
    difficulties: Sequence[str] = DIFFICULTIES,
    missions: Sequence[str | None] = (None,),
    seconds: float = 600.0,
    jobs: int = 1,
    mods: Sequence[str] = (),
) -> list[Row]:
    """`runs` runs of each style at each difficulty on each mission (None: the first);
    run i flies seed `seed + i`."""
    plan = [(m, d, s) for m in missions for d in difficulties for s in styles]
    named = tuple(mods)
    work = [(seconds, players, seed + i, s, d, m, named) for m, d, s in plan for i in range(runs)]
    if jobs > 1 and len(work) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_one, work, chunksize=max(1, len(work) // (jobs * 8))))
    else:
        results = [_one(job) for job in work]
    rows = []
    first = mission_names()[0]
    for index, (mission, difficulty, style) in enumerate(plan):
        mine = results[index * runs : (index + 1) * runs]
        rows.append(
            Row(
                mission=mission or first,
                difficulty=difficulty,
                style=style,
                runs=runs,
                wins=sum(won for won, _, _ in mine),
                hitpoints_left=sum(hp for _, hp, _ in mine) / runs,
                seconds=sum(s for _, _, s in mine) / runs,
            )
        )
    return rows


def table_lines(rows: Iterable[Row], *, missions: bool = False) -> list[str]:
    """The table; with `missions`, a first column names each row's mission."""
    rows = list(rows)
    head = f"{'mission':<8}  " if missions else ""
    lines = [
        f"{head}{'difficulty':<10}  {'style':<6}  {'runs':>4}  {'wins':>4}  {'win rate':>8}  "
        f"{'hit points left':>15}  {'mission time':>12}"
    ]
    for row in rows:
        first = f"{row.mission:<8}  " if missions else ""
        lines.append(
            f"{first}{row.difficulty:<10}  {row.style:<6}  {row.runs:>4}  {row.wins:>4}  "
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
        "--mission",
        default=None,
        metavar="NAME",
        help="the campaign's mission to fly (sea, coast, storm; default: the first), or all "
        "(a table of every mission)",
    )
    parser.add_argument(
        "--campaign",
        action="store_true",
        help="fly the whole campaign in one world, from --mission (default: the first): a "
        "mission won leads to the next, one lost is flown again, until the last is won",
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
    try:
        load_mods(args.mod)  # every mod imports, or one line says which did not
        known = mission_names()
        if args.mission not in (None, "all", *known):
            raise ValueError(
                f"mission must be one of {', '.join(known)} (or all), got {args.mission!r}"
            )
        if args.campaign and (args.runs is not None or "all" in (args.mission, args.style)):
            raise ValueError("--campaign flies one run of one style: no --runs, no all")
        missions = known if args.mission == "all" else (args.mission,)
        tabulate = args.runs is not None or len(styles) * len(difficulties) * len(missions) > 1
        if args.campaign:
            difficulty = difficulties[0]
            flown = campaign(
                args.seconds,
                args.players,
                args.seed,
                style=args.style,
                difficulty=difficulty,
                mission=args.mission,
                mods=args.mod,
            )
            print("\n".join(campaign_lines(flown)))
            return 0
        if tabulate:
            rows = table(
                args.runs or 1,
                args.players,
                args.seed,
                styles=styles,
                difficulties=difficulties,
                missions=missions,
                seconds=args.seconds,
                jobs=args.jobs,
                mods=args.mod,
            )
            print("\n".join(table_lines(rows, missions=args.mission is not None)))
            return 0
        summary = run(
            args.seconds,
            args.players,
            args.seed,
            style=args.style,
            difficulty=args.difficulty,
            mission=args.mission,
            mods=args.mod,
        )
    except (DataError, ModError, ValueError) as error:  # bad data, a mod, a mission name
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
