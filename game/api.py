"""The game's public API for mods: what a mod may import from `game` and rely on.

Mods import `engine` freely and, from the game, only this module: the names
here stay stable when the game's insides move.
"""

from __future__ import annotations

from engine.world import World
from game.net.claims import LocalSeat
from game.rules.battlefield import Battlefield
from game.rules.campaign import Campaign
from game.rules.components import (
    Aircraft,
    Health,
    Pickup,
    Player,
    PlayerInput,
    Projectile,
    Side,
    Weapon,
)
from game.rules.content import GameContent, PickupSpec
from game.rules.difficulty import Difficulty
from game.rules.events import Damaged, Destroyed, PickupTaken
from game.rules.mission import (
    MissionEnded,
    MissionStarted,
    MissionState,
    Outcome,
    mission_running,
)
from game.rules.plugin import ShooterPlugin
from game.rules.sets import (
    Control,
    Damage,
    Deaths,
    Flight,
    MissionLifecycle,
    MissionStatus,
    Pickups,
    Scroll,
    Spawning,
    Weapons,
)
from game.rules.spawn import spawn_enemy, spawn_pickup
from game.rules.systems.combat import CombatSystem, DeathSystem
from game.rules.systems.pickups import PickupCollectSystem, PickupDropSystem

__all__ = [
    "Aircraft",
    "Battlefield",
    "Campaign",
    "CombatSystem",
    "Control",
    "Damage",
    "Damaged",
    "DeathSystem",
    "Deaths",
    "Destroyed",
    "Difficulty",
    "Flight",
    "GameContent",
    "Health",
    "LocalSeat",
    "MissionEnded",
    "MissionLifecycle",
    "MissionStarted",
    "MissionState",
    "MissionStatus",
    "Outcome",
    "Pickup",
    "PickupCollectSystem",
    "PickupDropSystem",
    "PickupTaken",
    "Pickups",
    "Player",
    "PlayerInput",
    "Projectile",
    "Scroll",
    "ShooterPlugin",
    "Side",
    "Spawning",
    "Weapon",
    "Weapons",
    "add_pickup_kind",
    "mission_running",
    "spawn_enemy",
    "spawn_pickup",
]


def add_pickup_kind(world: World, name: str, *, amount: int = 1) -> None:
    """Let enemies drop a new kind of pickup. Its effect is the mod's: react to PickupTaken.

    The game draws only its own pickups; a mod draws its kinds with a DrawHooks layer.
    """
    if not name or len(name.encode()) > 16:
        raise ValueError(
            f"a pickup kind is 1..16 bytes of UTF-8 (it travels as such), not {name!r}"
        )
    content = world.resource(GameContent)
    content.pickups[name] = PickupSpec(name, "none", amount)
