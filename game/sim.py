"""Headless mission runner: autopilot players fly the mission as fast as the CPU allows.

    python -m game.sim --seconds 600 --players 2 --seed 7

No window, no network, no sleeping: the simulation steps back to back and a
summary is printed. The same seed gives the same summary, line for line,
except the wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from engine.data import DataError
from engine.phases import Role
from engine.world import World
from game.rules.autopilot import add_autopilot
from game.rules.components import Autopilot
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


def build(players: int, seed: int) -> World:
    """A server world with `players` autopilot aircraft on the start line, its mission
    started (nobody to wait for: it is never held)."""
    world = shooter_world(Role.SERVER, seed=seed)
    add_autopilot(world)
    for player_id in range(1, players + 1):
        entity = spawn_player(world, player_id, name=f"autopilot-{player_id}")
        world.add_component(entity, Autopilot())
    world.flush()
    start_mission(world)
    return world


def run(seconds: float, players: int, seed: int) -> Summary:
    """Step until the mission ends or `seconds` of simulated time have passed."""
    world = build(players, seed)
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
    return Summary(
        simulated_seconds=world.time.seconds,
        steps=world.time.step,
        wall_seconds=wall,
        enemies_spawned=stats.enemies_spawned,
        enemies_destroyed=stats.enemies_destroyed,
        pickups_taken=stats.pickups_taken,
        shots_fired=stats.shots_fired,
        missiles_launched=stats.missiles_launched,
        players_alive=len(living_players(world)),
        players=players,
        outcome=mission.outcome.value if mission.outcome else "none (time limit reached)",
    )


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
    args = parser.parse_args(argv)
    if args.players > 16:
        parser.error(f"--players must be at most 16, got {args.players}")
    try:
        summary = run(args.seconds, args.players, args.seed)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
