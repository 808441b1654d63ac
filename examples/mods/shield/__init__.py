"""A shield pickup for Cloudbreak: the example mod of docs/MODDING.md.

Enemies may drop a shield; the player who takes it gets a Shield that soaks
up damage before their hit points do. The Shield is replicated, so every
client sees it: a bubble around shielded aircraft, and a bar in the HUD.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import Phase, Plugin, World
from engine.data import load_toml
from engine.hooks import DrawHooks
from engine.net.codec import UVarint
from engine.net.replication import ReplicationRegistry
from game.api import (
    Damage,
    Damaged,
    Deaths,
    Health,
    LocalSeat,
    Pickups,
    PickupTaken,
    ShooterPlugin,
    add_pickup_kind,
)

__version__ = "1.0"

DATA = Path(__file__).with_name("shield.toml")


# Step 1: the component ------------------------------------------------------------------


@dataclass(slots=True)
class Shield:
    """Damage this aircraft's shield can still absorb, out of `capacity`."""

    points: int = 0
    capacity: int = 50


@dataclass(frozen=True, slots=True)
class ShieldSettings:
    capacity: int
    charge: int


def load_settings(path: Path = DATA) -> ShieldSettings:
    table = load_toml(path).table("shield")
    settings = ShieldSettings(
        capacity=table.integer("capacity", min=1, max=1000),
        charge=table.integer("charge", min=1, max=1000),
    )
    table.finish()
    return settings


# Step 2: the systems ----------------------------------------------------------------------


class ShieldChargeSystem:
    """A player who takes a shield pickup gets (more) shield, up to its capacity."""

    def update(self, world: World, dt: float) -> None:
        settings = world.resource(ShieldSettings)
        for taken in world.events.read(PickupTaken):
            if taken.kind != "shield" or not world.is_alive(taken.player):
                continue
            shield = world.try_component(taken.player, Shield)
            if shield is None:
                shield = Shield(0, settings.capacity)
                world.add_component(taken.player, shield)
            shield.points = min(shield.capacity, shield.points + settings.charge)


class ShieldAbsorbSystem:
    """Give back the hit points a shield soaks up, before anyone checks for death."""

    def update(self, world: World, dt: float) -> None:
        for damaged in world.events.read(Damaged):
            shield = world.try_component(damaged.entity, Shield)
            if shield is None or shield.points <= 0:
                continue
            absorbed = min(shield.points, damaged.amount)
            shield.points -= absorbed
            world.component(damaged.entity, Health).hitpoints += absorbed


# Step 3: what clients see -----------------------------------------------------------------


def draw_bubbles(surface, world: World, camera) -> None:  # noqa: ANN001
    """A translucent bubble around every shielded aircraft, and the shield pickups."""
    import pygame

    from engine.components import Transform
    from engine.movement import DrawnTransform
    from game.api import Pickup

    for entity, (shield, transform) in world.query(Shield, Transform):
        if shield.points <= 0:
            continue
        at = world.try_component(entity, DrawnTransform) or transform  # where it is drawn
        x, y = camera.to_screen(at.x, at.y)
        strength = shield.points / shield.capacity
        bubble = pygame.Surface((84, 84), pygame.SRCALPHA)
        pygame.draw.circle(bubble, (90, 200, 255, int(40 + 60 * strength)), (42, 42), 40)
        pygame.draw.circle(bubble, (170, 235, 255, 200), (42, 42), 40, 2)
        surface.blit(bubble, (round(x - 42), round(y - 42)))
    for _, (pickup, transform) in world.query(Pickup, Transform):
        if pickup.kind == "shield":
            x, y = camera.to_screen(transform.x, transform.y)
            pygame.draw.circle(surface, (20, 60, 110), (round(x), round(y)), 15)
            pygame.draw.circle(surface, (120, 220, 255), (round(x), round(y)), 15, 3)
            pygame.draw.circle(surface, (200, 245, 255), (round(x), round(y)), 6)


def draw_hud(surface, world: World) -> None:  # noqa: ANN001
    """A shield bar above each local player's panel."""
    import pygame

    width, height = surface.get_size()
    for _, (seat, shield) in world.query(LocalSeat, Shield):
        bar = pygame.Rect(0, 0, 180, 8)
        if seat.local_index == 0:
            bar.bottomleft = (70, height - 84)
        else:
            bar.bottomright = (width - 28, height - 84)
        pygame.draw.rect(surface, (20, 30, 50), bar, border_radius=3)
        filled = bar.copy()
        filled.width = round(bar.width * shield.points / shield.capacity)
        if filled.width:
            pygame.draw.rect(surface, (110, 210, 255), filled, border_radius=3)


# Step 4: the plugin that puts it together ------------------------------------------------


class ShieldPlugin(Plugin):
    name = "shield"
    requires = (ShooterPlugin,)

    def build(self, world: World) -> None:
        world.insert_resource(load_settings())
        add_pickup_kind(world, "shield")
        registry = world.try_resource(ReplicationRegistry)
        if registry is not None:  # a networked world: clients must learn of shields
            registry.register(Shield, {"points": UVarint(1000), "capacity": UVarint(1000)})

    def build_server(self, world: World) -> None:
        world.add_system(ShieldChargeSystem(), Phase.RESOLVE, after=Pickups, before=Deaths)
        world.add_system(ShieldAbsorbSystem(), Phase.RESOLVE, after=Damage, before=Deaths)

    def build_client(self, world: World) -> None:
        hooks = DrawHooks.of(world)
        hooks.world.append(draw_bubbles)
        hooks.hud.append(draw_hud)


def plugin() -> Plugin:
    """The mod's entry: a fresh plugin for each world."""
    return ShieldPlugin()
