"""The courier: an enemy airship that must be shot down before the mission can succeed.

It crosses the top of the view from side to side. Hurt, it evades (faster, and it fires
aimed shots); badly hurt, it flees (faster still, and it stops firing). Each change is
announced to every player, every HUD shows its hit points and phase, and the finish
line does not count until it is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from engine import Phase, Plugin, World
from engine.components import Transform, Velocity
from engine.data import load_toml
from engine.hooks import DrawHooks, HudRegions
from engine.movement import Movement
from engine.net.codec import Enum8
from engine.net.replication import ReplicationRegistry
from game.api import (
    Battlefield,
    Deaths,
    Destroyed,
    Flight,
    FlightPattern,
    GameContent,
    Health,
    Look,
    Looks,
    MissionEnding,
    MissionLifecycle,
    MissionStarted,
    MissionStatus,
    ShooterPlugin,
    Weapon,
    add_objective,
    announce,
    complete_objective,
    load_kinds,
    spawn_enemy,
)

__version__ = "1.0"

DATA = Path(__file__).with_name("courier.toml")
KIND = "courier"
OBJECTIVE = "down the courier"


class Stage(IntEnum):
    CRUISE = 0
    EVADE = 1
    FLEE = 2


@dataclass(slots=True)
class Courier:
    """Marks the courier and says which stage of its flight it is in."""

    stage: Stage = Stage.CRUISE


@dataclass(frozen=True, slots=True)
class CourierSettings:
    evade_below: float
    flee_below: float
    evade_speed: float
    evade_fire_interval: float
    flee_speed: float


def load_settings(path: Path = DATA) -> CourierSettings:
    table = load_toml(path).table("courier")
    settings = CourierSettings(
        evade_below=table.number("evade_below", above=0.0, max=1.0),
        flee_below=table.number("flee_below", above=0.0, max=1.0),
        evade_speed=table.number("evade_speed", above=0.0),
        evade_fire_interval=table.number("evade_fire_interval", above=0.0),
        flee_speed=table.number("flee_speed", above=0.0),
    )
    table.finish()
    return settings


class LaunchSystem:
    """Every mission starts with a courier ahead, at the centre of the view's top."""

    def update(self, world: World, dt: float) -> None:
        for _ in world.events.read(MissionStarted):
            battlefield = world.resource(Battlefield)
            entity = spawn_enemy(world, KIND, battlefield.width / 2, battlefield.view_top + 90)
            world.add_component(entity, Courier())


class StageSystem:
    """Hurt, the courier evades (faster, and firing); badly hurt, it flees (not firing)."""

    def update(self, world: World, dt: float) -> None:
        settings = world.resource(CourierSettings)
        for entity, (courier, health, pattern) in world.query(Courier, Health, FlightPattern):
            if not world.is_alive(entity):
                continue  # shot down this step
            share = health.hitpoints / health.max_hitpoints
            if share <= settings.flee_below:
                stage = Stage.FLEE
            elif share <= settings.evade_below:
                stage = Stage.EVADE
            else:
                stage = Stage.CRUISE
            if stage <= courier.stage:
                continue  # it never calms down
            courier.stage = stage
            if stage is Stage.EVADE:
                pattern.speed = settings.evade_speed
                shot = world.resource(GameContent).aircraft[KIND].bullet
                world.add_component(entity, Weapon(shot, settings.evade_fire_interval))
                announce(world, "The courier is hit: it evades and shoots back!")
            else:
                pattern.speed = settings.flee_speed
                world.remove_component(entity, Weapon)
                announce(world, "The courier is fleeing: bring it down!")


class AnchorSystem:
    """Keep the courier in the top part of the view: it rides the scroll, whatever its
    pattern says. Runs after the flight patterns set its velocity, before movement."""

    def update(self, world: World, dt: float) -> None:
        battlefield = world.resource(Battlefield)
        for _, (_, transform, velocity) in world.query(Courier, Transform, Velocity):
            velocity.y = battlefield.scroll_velocity
            low = battlefield.view_top + 60
            high = battlefield.view_top + 200
            transform.y = min(max(transform.y, low), high)


class ObjectiveSystem:
    """The mission succeeds only once the courier is down; say so to everyone. (It runs
    after this step's verdict: the mission ends at the next step's.)"""

    def update(self, world: World, dt: float) -> None:
        for destroyed in world.events.read(Destroyed):
            if destroyed.kind == KIND:
                complete_objective(world, OBJECTIVE)
                announce(world, "Courier down! The way home is open.")
        for ending in world.events.read(MissionEnding):
            if OBJECTIVE in ending.held_by:
                announce(world, "Not yet: the courier still flies!")


def draw_courier(surface, world: World, entity: int, x: float, y: float) -> None:  # noqa: ANN001
    """The courier: a grey airship with a red gondola."""
    import pygame

    body = pygame.Rect(0, 0, 90, 40)
    body.center = (round(x), round(y))
    pygame.draw.ellipse(surface, (150, 156, 170), body)
    pygame.draw.ellipse(surface, (60, 64, 80), body, 2)
    gondola = pygame.Rect(0, 0, 30, 12)
    gondola.midtop = (body.centerx, body.bottom - 4)
    pygame.draw.rect(surface, (200, 60, 50), gondola, border_radius=3)


def draw_hud(surface, world: World) -> None:  # noqa: ANN001
    """The courier's hit points and stage, in a free region of the HUD."""
    import pygame

    from engine.client.ui import draw_text

    for _, (courier, health) in world.query(Courier, Health):
        area = HudRegions.of(world).take("left", 44)
        if area is None:
            return  # no room left: other mods took it
        x, y, width, _ = area
        draw_text(surface, f"Courier: {courier.stage.name.lower()}", (x, y), 20, (255, 220, 120),
                  anchor="topleft")  # fmt: skip
        bar = pygame.Rect(x, y + 22, width, 12)
        pygame.draw.rect(surface, (30, 30, 40), bar, border_radius=4)
        bar.width = round(width * max(0.0, health.hitpoints / health.max_hitpoints))
        if bar.width:
            pygame.draw.rect(surface, (230, 120, 60), bar, border_radius=4)


class CourierPlugin(Plugin):
    name = "courier"
    requires = (ShooterPlugin,)

    def build(self, world: World) -> None:
        world.insert_resource(load_settings())
        load_kinds(world, DATA)
        Looks.of(world).enemies[KIND] = Look(draw=draw_courier)
        registry = world.try_resource(ReplicationRegistry)
        if registry is not None:  # a networked world: every HUD shows the courier's stage
            registry.register(Courier, {"stage": Enum8(Stage)})

    def build_server(self, world: World) -> None:
        add_objective(world, OBJECTIVE)
        world.add_system(LaunchSystem(), Phase.SPAWN, after=MissionLifecycle)
        world.add_system(StageSystem(), Phase.RESOLVE, after=Deaths)
        world.add_system(AnchorSystem(), Phase.SIMULATE, after=Flight, before=Movement)
        world.add_system(
            ObjectiveSystem(), Phase.SPAWN, after=MissionStatus, before=MissionLifecycle
        )

    def build_client(self, world: World) -> None:
        DrawHooks.of(world).hud.append(draw_hud)


def plugin() -> Plugin:
    """The mod's entry: a fresh plugin for each world."""
    return CourierPlugin()
