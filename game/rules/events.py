"""Events the shooter's systems emit for each other (and for the network and the screen).

The mission's own events, MissionStarted and MissionEnded, are in game.rules.mission."""

from __future__ import annotations

from dataclasses import dataclass

from game.rules.components import Side


@dataclass(frozen=True, slots=True)
class Damaged:
    entity: int
    amount: int
    source: int  # the projectile or aircraft that did it
    by: int = 0  # the aircraft behind it: a projectile's shooter, or the rammer (0: unknown)


@dataclass(frozen=True, slots=True)
class Destroyed:
    """An aircraft was shot down or rammed (not culled): the cue for an explosion."""

    entity: int
    kind: str
    side: Side
    x: float
    y: float
    by: int = 0  # the aircraft whose hit (or ram) brought it down (0: unknown)


@dataclass(frozen=True, slots=True)
class EnemySpawned:
    entity: int
    kind: str


@dataclass(frozen=True, slots=True)
class ShotFired:
    shooter: int
    side: Side
    bullets: int


@dataclass(frozen=True, slots=True)
class MissileLaunched:
    shooter: int
    missile: int


@dataclass(frozen=True, slots=True)
class PickupTaken:
    player: int
    kind: str
