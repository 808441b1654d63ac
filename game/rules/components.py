"""The shooter's components: plain data, one concern each."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag


class Side(IntEnum):
    ALLY = 0
    ENEMY = 1


class Category(IntFlag):
    """Collision categories; see game.rules.spawn (MASKS) for who touches whom."""

    PLAYER = 1
    ENEMY = 2
    ALLY_SHOT = 4
    ENEMY_SHOT = 8
    PICKUP = 16


@dataclass(slots=True)
class Aircraft:
    """An aircraft of a kind from aircraft.toml (eagle, raptor, avenger)."""

    kind: str
    side: Side


@dataclass(slots=True)
class Health:
    hitpoints: int
    max_hitpoints: int


@dataclass(slots=True)
class Player:
    """A player aircraft: which player, which connection owns it, which local seat."""

    player_id: int
    owner: int  # connection id on a server; 0 for the local process
    local_index: int = 0  # 0 = first player at a keyboard, 1 = second
    name: str = ""


@dataclass(slots=True)
class Held:
    """An aircraft held where it is while its pilot is away: it keeps its place in the view
    (riding the scroll, as with hands off the controls), does not steer or fire, and nothing
    hits it, rams it or is picked up by it. Its hit points and missiles wait for its pilot.
    Whoever decides the pilot is away adds and removes it."""

    since: float = 0.0  # simulation seconds it was held at
    view_y: float | None = None  # px below the view's top it is held at (set when first held)


@dataclass(slots=True)
class PlayerInput:
    """What the player (or an autopilot) wants this step; systems turn it into motion and fire."""

    move_x: float = 0.0  # -1 .. 1
    move_y: float = 0.0  # -1 .. 1 (negative is up the screen)
    fire: bool = False
    missile_requests: int = 0  # presses not yet served; each launches one missile


@dataclass(slots=True)
class Weapon:
    """Guns and missiles of one aircraft."""

    bullet: str = ""
    fire_interval: float = 0.0  # seconds; 0 means it cannot fire
    fire_rate_level: int = 1
    spread_level: int = 1
    missiles: int = 0
    gun_cooldown: float = 0.0
    missile_cooldown: float = 0.0


@dataclass(slots=True)
class FlightPattern:
    """Legs (angle degrees, distance px) flown in a loop; angle 0 points down the screen."""

    legs: tuple[tuple[float, float], ...]
    speed: float
    leg: int = 0
    travelled: float = 0.0
    pursuit: float = 0.0  # px/s it drifts sideways towards the player below it (0: none)


@dataclass(slots=True)
class Projectile:
    kind: str
    side: Side
    damage: int = 0
    shooter: int = 0  # entity that fired it (0 if unknown)


@dataclass(slots=True)
class Homing:
    """Steers towards the nearest living enemy."""

    speed: float
    turn_rate: float
    target: int = 0  # 0: none yet


@dataclass(slots=True)
class Pickup:
    kind: str


@dataclass(slots=True)
class Autopilot:
    """Marks an aircraft flown by the built-in autopilot (headless runs, bots), and how it
    flies (game.rules.autopilot): `style` is dodge, edge or centre."""

    missile_cooldown: float = 0.0
    offset_x: float = 0.0  # flies this far beside its target (a wingman keeps formation)
    style: str = "dodge"
    side: float = -1.0  # the edge style's edge: -1 left, 1 right
    flown: float = 0.0  # seconds it has flown this aircraft
    decide_in: float = 0.0  # seconds until the dodge style looks again


@dataclass(slots=True)
class Score:
    """One player's tallies this mission, on an entity of its own (it outlives the player's
    aircraft, shot down or away): the server counts them (game.rules.systems.stats), every
    client sees them. Accuracy is hits over shots (bullets and missiles)."""

    player_id: int
    name: str = ""
    points: int = 0
    kills: int = 0
    shots: int = 0
    hits: int = 0
    damage_taken: int = 0

    @property
    def accuracy(self) -> float:
        """Hits over shots, 0..1 (0 before the first shot)."""
        return min(1.0, self.hits / self.shots) if self.shots else 0.0
