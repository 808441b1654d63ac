"""The shooter as a plugin: its resources, and its systems in their phases.

Both roles share movement and control so a client can predict its own
aircraft with the exact rules the server applies; only the server spawns,
resolves damage and decides the mission.
"""

from __future__ import annotations

from engine.movement import Movement, MovementPlugin
from engine.phases import Phase, Role
from engine.physics import PhysicsPlugin
from engine.plugin import Plugin
from engine.world import World
from game.rules.battlefield import Battlefield, ScrollSystem
from game.rules.campaign import campaign_for
from game.rules.content import GameContent, load_content
from game.rules.difficulty import DEFAULT_DIFFICULTY
from game.rules.mission import (
    MissionRestartSystem,
    MissionState,
    mission_not_held,
    mission_running,
    reset_mission,
)
from game.rules.sets import (
    Control,
    Culling,
    Damage,
    Deaths,
    Flight,
    MissionLifecycle,
    MissionStatus,
    Pickups,
    Scroll,
    Spawning,
    Tallies,
    Weapons,
)
from game.rules.systems.combat import CombatSystem, DeathSystem
from game.rules.systems.control import ClampToViewSystem, HoldSystem, PlayerControlSystem
from game.rules.systems.culling import CullSystem
from game.rules.systems.enemies import FlightPatternSystem
from game.rules.systems.pickups import PickupCollectSystem, PickupDropSystem
from game.rules.systems.spawning import MissionScriptSystem, WaveSystem
from game.rules.systems.stats import ScoreSystem, StatsSystem
from game.rules.systems.status import MissionStatusSystem
from game.rules.systems.weapons import HomingSystem, WeaponSystem


class ShooterPlugin(Plugin):
    """Cloudbreak's rules. Give it content to test with other numbers than the shipped ones.

    `difficulty` is one of game.rules.difficulty.DIFFICULTIES (easy, normal, hard): it
    scales the enemies' fire, hit points and waves (data/difficulty.toml). `mission` is
    the campaign's mission to begin with (default: the first; ValueError listing the
    valid names for another).

    Its systems join the public sets of `game.rules.sets`; the sets carry the order
    (steering before movement, weapons after control, deaths after damage, the
    lifecycle after the verdict) and the mission's run conditions. The mission is
    neither held nor started here: the server holds it until a player is seated,
    the sim starts it at once (game.rules.mission).
    """

    name = "cloudbreak"
    requires = (MovementPlugin, PhysicsPlugin)

    def __init__(
        self,
        content: GameContent | None = None,
        *,
        difficulty: str = DEFAULT_DIFFICULTY,
        mission: str | None = None,
    ) -> None:
        self.content = content
        self.difficulty = difficulty
        self.mission = mission

    def build(self, world: World) -> None:
        insert_resources(world, self.content, self.difficulty, self.mission)
        configure_sets(world)
        world.add_system(ScrollSystem(), Phase.SIMULATE, in_set=Scroll)
        world.add_system(PlayerControlSystem(), Phase.SIMULATE, in_set=Control, before=Movement)
        world.add_system(ClampToViewSystem(), Phase.SIMULATE, in_set=Control, after=Movement)

    def build_server(self, world: World) -> None:
        reset_mission(world)  # the script, the waves and the tallies at the start
        world.add_system(
            HoldSystem(), Phase.SIMULATE, in_set=Control, after=Movement, before=ClampToViewSystem
        )
        world.add_system(FlightPatternSystem(), Phase.SIMULATE, in_set=Flight)
        world.add_system(HomingSystem(), Phase.SIMULATE, in_set=Flight)
        world.add_system(WeaponSystem(), Phase.SIMULATE, in_set=Weapons)
        world.add_system(CombatSystem(), Phase.RESOLVE, in_set=Damage)
        world.add_system(PickupCollectSystem(), Phase.RESOLVE, in_set=Pickups)
        world.add_system(DeathSystem(), Phase.RESOLVE, in_set=Deaths)
        world.add_system(PickupDropSystem(), Phase.SPAWN, in_set=Pickups)
        world.add_system(MissionScriptSystem(), Phase.SPAWN, in_set=Spawning)
        world.add_system(WaveSystem(), Phase.SPAWN, in_set=Spawning)
        world.add_system(CullSystem(), Phase.SPAWN, in_set=Culling)
        world.add_system(MissionStatusSystem(), Phase.SPAWN, in_set=MissionStatus)
        world.add_system(StatsSystem(), Phase.SPAWN, in_set=Tallies)
        world.add_system(ScoreSystem(), Phase.SPAWN, in_set=Tallies)
        world.add_system(MissionRestartSystem(), Phase.SPAWN, in_set=MissionLifecycle)


def insert_resources(
    world: World,
    content: GameContent | None = None,
    difficulty: str = DEFAULT_DIFFICULTY,
    mission: str | None = None,
) -> None:
    """The game's resources (content, difficulty, battlefield, mission, the campaign), in
    both roles. `mission`: the campaign's mission to begin with (ValueError if unknown)."""
    content = content or load_content()
    campaign = campaign_for(content, mission)
    if campaign is not None:
        world.insert_resource(campaign)
        if content.mission != campaign.current:  # (given content keeps its changes)
            content = content.for_mission(campaign.current)
    world.insert_resource(content)
    world.insert_resource(content.difficulty(difficulty))  # ValueError if unknown
    world.insert_resource(Battlefield.at_start(content.battlefield))
    world.insert_resource(MissionState())


def bare_world(
    *plugins: Plugin,
    role: Role = Role.SERVER,
    seed: int = 0,
    content: GameContent | None = None,
    difficulty: str = DEFAULT_DIFFICULTY,
) -> World:
    """A world with the game's resources (and, on a server, the mission at its start) but
    none of its systems, then `plugins`: add the one system under test yourself."""
    world = World(role, seed=seed)
    insert_resources(world, content, difficulty)
    if role is Role.SERVER:
        reset_mission(world)
    world.add_plugins(plugins)
    return world


def configure_sets(world: World) -> None:
    """The order and run conditions of the game's sets (game.rules.sets), in both roles."""
    world.configure_set(Scroll, before=(Control, Movement), run_if=mission_not_held)
    world.configure_set(Flight, before=Movement)
    world.configure_set(Weapons, after=(Movement, Control))
    world.configure_set(Deaths, after=Damage)
    world.configure_set(Spawning, run_if=mission_running)
    world.configure_set(MissionStatus, run_if=mission_running)
    world.configure_set(MissionLifecycle, after=MissionStatus)
    world.configure_set(Tallies, before=MissionLifecycle)


def core_plugins() -> list[Plugin]:
    """The engine plugins the shooter builds on."""
    return [MovementPlugin(), PhysicsPlugin()]


def shooter_world(
    role,
    *,
    seed: int = 0,
    content: GameContent | None = None,
    difficulty: str = DEFAULT_DIFFICULTY,
    mission: str | None = None,
) -> World:
    """A world with the engine core and the shooter's rules for `role`, at `difficulty`,
    beginning the campaign at `mission` (default: the first)."""
    world = World(role, seed=seed)
    world.add_plugins(
        [*core_plugins(), ShooterPlugin(content, difficulty=difficulty, mission=mission)]
    )
    return world
