"""The shooter as a plugin: its resources, and its systems in their phases.

Both roles share movement and control so a client can predict its own
aircraft with the exact rules the server applies; only the server spawns,
resolves damage and decides the mission.
"""

from __future__ import annotations

from engine.movement import MovementPlugin, MovementSystem
from engine.phases import Phase
from engine.physics import PhysicsPlugin
from engine.plugin import Plugin
from engine.world import World
from game.battlefield import Battlefield, MissionState, MissionStats, ScrollSystem, WaveClock
from game.content import GameContent, load_content
from game.systems.combat import CombatSystem, DeathSystem
from game.systems.control import ClampToViewSystem, PlayerControlSystem
from game.systems.culling import CullSystem
from game.systems.enemies import FlightPatternSystem
from game.systems.mission import MissionStatusSystem, StatsSystem
from game.systems.pickups import PickupCollectSystem, PickupDropSystem
from game.systems.spawning import MissionScriptSystem, WaveSystem, script_for
from game.systems.weapons import HomingSystem, WeaponSystem


class ShooterPlugin(Plugin):
    """Cloudbreak's rules. Give it content to test with other numbers than the shipped ones."""

    name = "cloudbreak"
    requires = ("movement", "physics")

    def __init__(self, content: GameContent | None = None) -> None:
        self.content = content

    def build(self, world: World) -> None:
        content = self.content or load_content()
        world.insert_resource(content)
        world.insert_resource(Battlefield.at_start(content.battlefield))
        world.insert_resource(MissionState())
        world.add_system(ScrollSystem(), Phase.SIMULATE, before=MovementSystem)
        world.add_system(PlayerControlSystem(), Phase.SIMULATE, before=MovementSystem)
        world.add_system(ClampToViewSystem(), Phase.SIMULATE, after=MovementSystem)

    def build_server(self, world: World) -> None:
        content = world.resource(GameContent)
        world.insert_resource(script_for(content))
        world.insert_resource(
            WaveClock(world.rng.uniform(content.waves.interval_min, content.waves.interval_max))
        )
        world.insert_resource(MissionStats())
        world.add_system(FlightPatternSystem(), Phase.SIMULATE, before=MovementSystem)
        world.add_system(HomingSystem(), Phase.SIMULATE, before=MovementSystem)
        world.add_system(WeaponSystem(), Phase.SIMULATE, after=ClampToViewSystem)
        world.add_system(CombatSystem(), Phase.RESOLVE)
        world.add_system(PickupCollectSystem(), Phase.RESOLVE)
        world.add_system(DeathSystem(), Phase.RESOLVE)
        world.add_system(PickupDropSystem(), Phase.SPAWN)
        world.add_system(MissionScriptSystem(), Phase.SPAWN)
        world.add_system(WaveSystem(), Phase.SPAWN)
        world.add_system(CullSystem(), Phase.SPAWN)
        world.add_system(MissionStatusSystem(), Phase.SPAWN)
        world.add_system(StatsSystem(), Phase.SPAWN)


def core_plugins() -> list[Plugin]:
    """The engine plugins the shooter builds on."""
    return [MovementPlugin(), PhysicsPlugin()]


def shooter_world(role, *, seed: int = 0, content: GameContent | None = None) -> World:
    """A world with the engine core and the shooter's rules for `role`."""
    world = World(role, seed=seed)
    world.add_plugins([*core_plugins(), ShooterPlugin(content)])
    return world
