"""A Held aircraft (its pilot is away): it keeps its place in the view, does not steer or
fire, and nothing hits it, rams it or is picked up by it; released, it is an aircraft again."""

from __future__ import annotations

import pytest

from engine import Role
from engine.components import Transform
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Held, PlayerInput, Projectile, Side, Weapon
from game.rules.mission import start_mission
from game.rules.plugin import shooter_world
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_pickup, spawn_player


@pytest.fixture
def world():
    made = shooter_world(Role.SERVER, seed=5)
    start_mission(made)
    made.step()
    yield made
    made.close()


def aircraft(world, *, held: bool, remote: bool = False, slot: int = 0) -> int:
    entity = spawn_player(world, slot + 1, slot=slot, remote=remote)
    if held:
        world.add_component(entity, Held(world.time.seconds))
    world.flush()
    return entity


def screen_y(world, entity) -> float:
    return world.component(entity, Transform).y - world.resource(Battlefield).view_top


def test_an_enemy_bullet_goes_through_a_held_aircraft_and_hits_one_that_is_not(world):
    held, flying = aircraft(world, held=True), aircraft(world, held=False, slot=1)
    full = world.component(held, Health).hitpoints
    shots = []
    for target in (held, flying):
        at = world.component(target, Transform)
        shots.append(spawn_bullet(world, "bullet_enemy", Side.ENEMY, at.x, at.y, shooter=0))
    world.step()
    assert world.component(held, Health).hitpoints == full and world.is_alive(shots[0])
    assert world.component(flying, Health).hitpoints < full and not world.is_alive(shots[1])


def test_an_enemy_does_not_ram_a_held_aircraft(world):
    held = aircraft(world, held=True)
    at = world.component(held, Transform)
    enemy = spawn_enemy(world, "raptor", at.x, at.y)
    full = world.component(held, Health).hitpoints
    world.step()
    assert world.component(held, Health).hitpoints == full
    assert world.component(enemy, Health).hitpoints > 0


def test_a_held_aircraft_takes_no_pickup(world):
    held = aircraft(world, held=True)
    at = world.component(held, Transform)
    pickup = spawn_pickup(world, "missiles", at.x, at.y)
    missiles = world.component(held, Weapon).missiles
    world.step()
    assert world.is_alive(pickup) and world.component(held, Weapon).missiles == missiles


def test_a_held_aircraft_neither_fires_nor_launches_and_keeps_its_missiles(world):
    held = aircraft(world, held=True)
    intent = world.component(held, PlayerInput)
    intent.fire, intent.missile_requests = True, 1
    missiles = world.component(held, Weapon).missiles
    world.run(30)
    assert world.query(Projectile) == []
    assert world.component(held, Weapon).missiles == missiles
    world.remove_component(held, Held)  # its pilot is back: the trigger still held
    world.run(2)
    assert world.query(Projectile)


@pytest.mark.parametrize("remote", [False, True], ids=["predicted", "flown-by-a-client"])
def test_a_held_aircraft_keeps_its_place_in_the_view_whatever_its_input(world, remote):
    held = aircraft(world, held=True, remote=remote)
    world.component(held, PlayerInput).move_x = 1.0
    world.step()  # its place in the view is taken in its first held step
    x, y = world.component(held, Transform).x, screen_y(world, held)
    top = world.resource(Battlefield).view_top
    world.run(120)
    assert world.resource(Battlefield).view_top < top - 50  # the view climbed on
    assert world.component(held, Transform).x == x
    assert screen_y(world, held) == pytest.approx(y, abs=1e-6)
