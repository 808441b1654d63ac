"""Combat: projectiles and rams turn into damage; damage turns into destruction."""

from __future__ import annotations

from engine.components import Transform
from engine.physics import contacts
from engine.world import World
from game.rules.components import Aircraft, Health, Held, Player, Projectile, Side
from game.rules.events import Damaged, Destroyed


class CombatSystem:
    """Resolve this step's contacts: a projectile hits an aircraft of the other side once;
    a player who rams an enemy takes the enemy's remaining hit points and destroys it. A Held
    aircraft is out of it: shots fly through it, enemies through it."""

    def update(self, world: World, dt: float) -> None:
        for shot, projectile, target, aircraft in contacts(world, Projectile, Aircraft):
            if aircraft.side == projectile.side or not world.is_alive(shot):
                continue
            if world.has_component(target, Held):
                continue
            health = world.try_component(target, Health)
            if health is None or health.hitpoints <= 0:
                continue  # already going down this step: the shot flies on
            health.hitpoints -= projectile.damage
            world.despawn(shot)
            world.events.emit(Damaged(target, projectile.damage, shot, projectile.shooter))
        for player, _, enemy, aircraft in contacts(world, Player, Aircraft):
            if aircraft.side is not Side.ENEMY or world.has_component(player, Held):
                continue
            player_health = world.try_component(player, Health)
            enemy_health = world.try_component(enemy, Health)
            if player_health is None or enemy_health is None:
                continue
            if player_health.hitpoints <= 0 or enemy_health.hitpoints <= 0:
                continue
            rammed = enemy_health.hitpoints
            player_health.hitpoints -= rammed
            enemy_health.hitpoints = 0
            world.events.emit(Damaged(player, rammed, enemy, enemy))
            world.events.emit(Damaged(enemy, rammed, player, player))


class DeathSystem:
    """An aircraft whose hit points reach zero is destroyed: one Destroyed event, then gone.
    It is credited (Destroyed.by) to the last hit of the step, the one that brought it down
    (no hit lands on an aircraft already at zero)."""

    def update(self, world: World, dt: float) -> None:
        last: dict[int, Damaged] = {}  # in the order first hit, each with its last hit
        for damaged in world.events.read(Damaged):
            last[damaged.entity] = damaged
        for entity, damaged in last.items():
            if not world.is_alive(entity):
                continue
            health = world.try_component(entity, Health)
            if health is None or health.hitpoints > 0:
                continue
            aircraft = world.component(entity, Aircraft)
            transform = world.component(entity, Transform)
            world.events.emit(
                Destroyed(
                    entity, aircraft.kind, aircraft.side, transform.x, transform.y, damaged.by
                )
            )
            world.despawn(entity)
