"""The game's public API for mods: what a mod may import from `game` and rely on.

Mods import `engine` freely and, from the game, only this module: the names
here stay stable when the game's insides move.
"""

from __future__ import annotations

from engine.net.replication import ReplicationRegistry
from engine.world import World
from game.net.announce import Announced, announce
from game.net.claims import LocalSeat
from game.net.loopback import shooter_network
from game.net.schema import shooter_schema
from game.net.sets import Claims, Commands, Cues, MissionNews, Seating, Sending
from game.rules.battlefield import Battlefield
from game.rules.campaign import Campaign
from game.rules.components import (
    Aircraft,
    FlightPattern,
    Health,
    Pickup,
    Player,
    PlayerInput,
    Projectile,
    Side,
    Weapon,
)
from game.rules.content import GameContent
from game.rules.difficulty import Difficulty
from game.rules.events import Damaged, Destroyed, PickupTaken
from game.rules.kinds import (
    Look,
    Looks,
    add_enemy_kind,
    add_pickup_kind,
    add_projectile_kind,
    load_kinds,
)
from game.rules.mission import (
    MissionEnded,
    MissionEnding,
    MissionRestarted,
    MissionStarted,
    MissionState,
    Outcome,
    mission_running,
)
from game.rules.objectives import add_objective, complete_objective, objective_met
from game.rules.plugin import ShooterPlugin, bare_world
from game.rules.sets import (
    Autopilots,
    Control,
    Culling,
    Damage,
    Deaths,
    Effects,
    Flight,
    MissionLifecycle,
    MissionStatus,
    Pickups,
    Scroll,
    Spawning,
    Tallies,
    Weapons,
)
from game.rules.spawn import spawn_enemy, spawn_pickup
from game.rules.systems.combat import CombatSystem, DeathSystem
from game.rules.systems.pickups import PickupCollectSystem, PickupDropSystem

__all__ = [
    "Aircraft",
    "Announced",
    "Autopilots",
    "Battlefield",
    "Campaign",
    "Claims",
    "CombatSystem",
    "Commands",
    "Control",
    "Cues",
    "Culling",
    "Damage",
    "Damaged",
    "DeathSystem",
    "Deaths",
    "Destroyed",
    "Difficulty",
    "Effects",
    "Flight",
    "FlightPattern",
    "GameContent",
    "Health",
    "LocalSeat",
    "Look",
    "Looks",
    "MissionEnded",
    "MissionEnding",
    "MissionLifecycle",
    "MissionNews",
    "MissionRestarted",
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
    "Seating",
    "Sending",
    "ShooterPlugin",
    "Side",
    "Spawning",
    "Tallies",
    "Weapon",
    "Weapons",
    "add_enemy_kind",
    "add_objective",
    "add_pickup_kind",
    "add_projectile_kind",
    "announce",
    "bare_world",
    "complete_objective",
    "load_kinds",
    "mission_running",
    "objective_met",
    "replicates",
    "shooter_network",
    "shooter_schema",
    "spawn_enemy",
    "spawn_pickup",
]


def replicates(world: World, component_type: type) -> bool:
    """Is `component_type` replicated in this world? (False in a world without a network.)"""
    registry = world.try_resource(ReplicationRegistry)
    return registry is not None and component_type in registry
