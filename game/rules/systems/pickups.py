"""Pickups: enemies drop them; players collect them for their effect, within caps."""

from __future__ import annotations

from engine.physics import contacts
from engine.world import World
from game.rules.components import Health, Held, Pickup, Player, Side, Weapon
from game.rules.content import GameContent
from game.rules.events import Destroyed, PickupTaken
from game.rules.spawn import spawn_pickup


def apply_pickup(content: GameContent, kind: str, health: Health, weapon: Weapon) -> None:
    """Apply one pickup's effect to a player, respecting every cap."""
    spec = content.pickups[kind]
    firing = content.firing
    if spec.effect == "hitpoints":
        health.hitpoints = min(health.max_hitpoints, health.hitpoints + spec.amount)
    elif spec.effect == "missiles":
        weapon.missiles = min(firing.max_missiles, weapon.missiles + spec.amount)
    elif spec.effect == "spread":
        weapon.spread_level = min(firing.max_spread_level, weapon.spread_level + spec.amount)
    elif spec.effect == "fire_rate":
        weapon.fire_rate_level = min(
            firing.max_fire_rate_level, weapon.fire_rate_level + spec.amount
        )
    elif spec.effect == "none":
        pass  # a mod's pickup: the mod reacts to PickupTaken
    else:  # content validation makes this unreachable
        raise ValueError(f"unknown pickup effect {spec.effect!r}")


class PickupCollectSystem:
    """A living player touching a pickup takes it; the first one to touch it wins (a Held
    one takes nothing)."""

    def update(self, world: World, dt: float) -> None:
        content = world.resource(GameContent)
        for player, _, item, pickup in contacts(world, Player, Pickup):
            if not world.is_alive(item) or not world.is_alive(player):
                continue
            if world.has_component(player, Held):
                continue
            health = world.component(player, Health)
            if health.hitpoints <= 0:
                continue
            apply_pickup(content, pickup.kind, health, world.component(player, Weapon))
            world.despawn(item)
            world.events.emit(PickupTaken(player, pickup.kind))


class PickupDropSystem:
    """Each destroyed enemy drops a random pickup with probability drop_chance."""

    def update(self, world: World, dt: float) -> None:
        content = world.resource(GameContent)
        kinds = sorted(content.pickups)
        for destroyed in world.events.read(Destroyed):
            if destroyed.side is not Side.ENEMY:
                continue
            if world.rng.random() < content.drop_chance:
                spawn_pickup(world, world.rng.choice(kinds), destroyed.x, destroyed.y)
