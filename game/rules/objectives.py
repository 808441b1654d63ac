"""Mission objectives: a mod holds the mission's success (or failure) until its goal is met.

    add_objective(world, "catch the courier")              # in build_server
    complete_objective(world, "catch the courier")         # when it is done

An objective belongs to the world and is met per mission: meeting it counts for the
mission running now, so every new mission starts with it unmet and a mod never
resets it. While an objective that holds an outcome is unmet, the rules' verdict
(a player past the finish line: SUCCESS; nobody left: FAILURE) does not end the
mission; `MissionEnding(outcome, held_by)` says so, once each time what holds it
changes, and the verdict is taken again every step, so the mission ends in the
step the objective is met (if the verdict still stands then).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.world import World
from game.rules.mission import MissionEnding, MissionState, Outcome


@dataclass(slots=True)
class Objective:
    name: str
    holds: frozenset[Outcome]  # the verdicts it holds back while unmet
    met_in: int = -1  # the mission (MissionState.number) it was met in


@dataclass
class Objectives:
    """Every objective mods added, by name, and the verdict they held last."""

    by_name: dict[str, Objective] = field(default_factory=dict)
    held: tuple[int, Outcome, tuple[str, ...]] | None = None  # (mission, verdict, held by)

    @classmethod
    def of(cls, world: World) -> Objectives:
        objectives = world.try_resource(cls)
        if objectives is None:
            objectives = cls()
            world.insert_resource(objectives)
        return objectives


def add_objective(
    world: World, name: str, *, holds: Iterable[Outcome] = (Outcome.SUCCESS,)
) -> None:
    """An objective every mission has: until it is met, the verdicts in `holds` wait."""
    objectives = Objectives.of(world)
    if name in objectives.by_name:
        raise ValueError(f"there is already an objective called {name!r}")
    objectives.by_name[name] = Objective(name, frozenset(holds))


def complete_objective(world: World, name: str) -> None:
    """The objective is met in the mission running now (KeyError if there is none such)."""
    objective = Objectives.of(world).by_name[name]
    objective.met_in = world.resource(MissionState).number


def objective_met(world: World, name: str) -> bool:
    """Met in the mission running now."""
    objective = Objectives.of(world).by_name[name]
    return objective.met_in == world.resource(MissionState).number


def holding(world: World, outcome: Outcome) -> tuple[str, ...]:
    """The unmet objectives that hold `outcome` back, by name; emits MissionEnding when
    that differs from the last step's answer in this mission."""
    objectives = world.try_resource(Objectives)
    if objectives is None:
        return ()
    number = world.resource(MissionState).number
    names = tuple(
        sorted(
            o.name for o in objectives.by_name.values() if outcome in o.holds and o.met_in != number
        )
    )
    now = (number, outcome, names) if names else None
    if names and now != objectives.held:
        world.events.emit(MissionEnding(outcome, names))
    objectives.held = now
    return names
