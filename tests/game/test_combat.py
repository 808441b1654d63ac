"""Rules 7 and 8: contacts become damage (with physics); damage becomes destruction."""

import pytest

from engine import Phase
from engine.components import Transform
from engine.movement import MovementSystem
from engine.physics import Collider, CollisionStarted
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Category, Health, Side
from game.rules.events import Damaged, Destroyed
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_player
from game.rules.systems.combat import CombatSystem, DeathSystem
from game.rules.systems.culling import CullSystem


@pytest.fixture
def arena(make_world, content, record):
    """Physics (COLLIDE) + CombatSystem and DeathSystem (RESOLVE), and an event log."""
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield, physics=True)
    world.add_system(CombatSystem(), Phase.RESOLVE)
    world.add_system(DeathSystem(), Phase.RESOLVE)
    log = record(world, Damaged, Destroyed, CollisionStarted)
    return world, battlefield, log


def player_at(world, x, y):
    player = spawn_player(world, 1)
    world.flush()
    transform = world.component(player, Transform)
    transform.x, transform.y = x, y
    return player


def enemy_at(world, kind, x, y, hitpoints=None):
    enemy = spawn_enemy(world, kind, x, y)
    world.flush()
    if hitpoints is not None:
        world.component(enemy, Health).hitpoints = hitpoints
    return enemy


def bullet_at(world, content, side, x, y):
    kind = content.aircraft["eagle" if side is Side.ALLY else "avenger"].bullet
    bullet = spawn_bullet(world, kind, side, x, y, shooter=0)
    world.flush()
    return bullet


def test_an_allied_bullet_damages_an_enemy_and_is_used_up(arena, content):
    world, _, log = arena
    enemy = enemy_at(world, "avenger", 500.0, 500.0)
    bullet = bullet_at(world, content, Side.ALLY, 505.0, 510.0)
    damage = content.projectiles[content.aircraft["eagle"].bullet].damage
    world.step()
    assert (
        world.component(enemy, Health).hitpoints == content.aircraft["avenger"].hitpoints - damage
    )
    assert not world.is_alive(bullet)
    assert log.of(Damaged) == [Damaged(enemy, damage, bullet)]
    assert log.of(Destroyed) == []
    world.step()  # still overlapping (the bullet is gone): no more damage
    assert (
        world.component(enemy, Health).hitpoints == content.aircraft["avenger"].hitpoints - damage
    )


def test_an_enemy_bullet_damages_a_player(arena, content):
    world, _, log = arena
    player = player_at(world, 300.0, 4700.0)
    bullet = bullet_at(world, content, Side.ENEMY, 300.0, 4700.0)
    damage = content.projectiles[content.aircraft["avenger"].bullet].damage
    world.step()
    eagle = content.aircraft[content.player_aircraft]
    assert world.component(player, Health).hitpoints == eagle.hitpoints - damage
    assert not world.is_alive(bullet)
    assert log.of(Damaged) == [Damaged(player, damage, bullet)]


def test_allied_bullets_pass_through_players(arena, content):
    world, _, log = arena
    player = player_at(world, 300.0, 4700.0)
    bullet = bullet_at(world, content, Side.ALLY, 300.0, 4700.0)
    world.run(3)
    eagle = content.aircraft[content.player_aircraft]
    assert world.component(player, Health).hitpoints == eagle.hitpoints
    assert world.is_alive(bullet)
    assert log.of(CollisionStarted) == []  # filtered before any narrow phase
    assert log.of(Damaged) == []


def test_a_projectile_never_hurts_its_own_side_even_if_the_masks_let_it_touch(arena, content):
    """The category filter is one guard; CombatSystem checks the sides as well."""
    world, _, log = arena
    player = player_at(world, 300.0, 4700.0)
    world.component(player, Collider).mask |= int(Category.ALLY_SHOT)
    bullet = bullet_at(world, content, Side.ALLY, 300.0, 4700.0)
    world.component(bullet, Collider).mask |= int(Category.PLAYER)
    world.step()
    assert len(log.of(CollisionStarted)) == 1  # they did touch
    eagle = content.aircraft[content.player_aircraft]
    assert world.component(player, Health).hitpoints == eagle.hitpoints
    assert world.is_alive(bullet)
    assert log.of(Damaged) == []


def test_enemy_bullets_pass_through_enemies(arena, content):
    world, _, log = arena
    enemy = enemy_at(world, "raptor", 500.0, 500.0)
    bullet = bullet_at(world, content, Side.ENEMY, 500.0, 500.0)
    world.run(3)
    assert world.component(enemy, Health).hitpoints == content.aircraft["raptor"].hitpoints
    assert world.is_alive(bullet)
    assert log.of(CollisionStarted) == []


def test_two_bullets_on_a_ten_hp_target_in_one_step_consume_only_one(arena, content):
    world, _, log = arena
    damage = content.projectiles[content.aircraft["eagle"].bullet].damage
    enemy = enemy_at(world, "raptor", 500.0, 500.0, hitpoints=damage)
    first = bullet_at(world, content, Side.ALLY, 498.0, 500.0)
    second = bullet_at(world, content, Side.ALLY, 502.0, 500.0)
    world.step()
    alive = [world.is_alive(first), world.is_alive(second)]
    assert sorted(alive) == [False, True]
    assert len(log.of(Damaged)) == 1
    assert [(d.entity, d.kind, d.side) for d in log.of(Destroyed)] == [
        (enemy, "raptor", Side.ENEMY)
    ]
    assert not world.is_alive(enemy)


def test_two_bullets_on_a_tougher_target_both_hit(arena, content):
    world, _, log = arena
    damage = content.projectiles[content.aircraft["eagle"].bullet].damage
    enemy = enemy_at(world, "raptor", 500.0, 500.0, hitpoints=2 * damage + 1)
    shots = [bullet_at(world, content, Side.ALLY, 500.0 + dx, 500.0) for dx in (-2.0, 2.0)]
    world.step()
    assert not any(world.is_alive(shot) for shot in shots)
    assert world.component(enemy, Health).hitpoints == 1
    assert log.of(Destroyed) == []


@pytest.mark.parametrize("remaining", [None, 7])
def test_a_player_ramming_an_enemy_takes_its_hit_points_and_destroys_it(arena, content, remaining):
    world, _, log = arena
    player = player_at(world, 500.0, 4500.0)
    enemy = enemy_at(world, "raptor", 510.0, 4490.0, hitpoints=remaining)
    rammed = remaining if remaining is not None else content.aircraft["raptor"].hitpoints
    world.step()
    eagle = content.aircraft[content.player_aircraft]
    assert world.component(player, Health).hitpoints == eagle.hitpoints - rammed
    assert not world.is_alive(enemy)
    assert sorted(log.of(Damaged), key=lambda d: d.entity) == sorted(
        [Damaged(player, rammed, enemy, enemy), Damaged(enemy, rammed, player, player)],
        key=lambda d: d.entity,
    )
    assert [(d.entity, d.kind, d.side) for d in log.of(Destroyed)] == [
        (enemy, "raptor", Side.ENEMY)
    ]


def test_a_weak_player_ramming_a_strong_enemy_goes_down_with_it(arena, content):
    world, _, log = arena
    player = player_at(world, 500.0, 4500.0)
    world.component(player, Health).hitpoints = 5
    enemy = enemy_at(world, "avenger", 500.0, 4500.0)
    world.step()
    destroyed = {(d.entity, d.side) for d in log.of(Destroyed)}
    assert destroyed == {(player, Side.ALLY), (enemy, Side.ENEMY)}
    assert not world.is_alive(player) and not world.is_alive(enemy)


def test_a_bullet_flying_into_an_enemy_hits_it(arena, content):
    world, _, log = arena
    world.add_system(MovementSystem(), Phase.SIMULATE)
    enemy = enemy_at(world, "raptor", 500.0, 400.0)
    bullet = bullet_at(world, content, Side.ALLY, 500.0, 600.0)
    world.run(30)
    assert world.is_alive(bullet)
    world.run(30)
    assert not world.is_alive(bullet)
    assert log.of(Damaged) == [
        Damaged(enemy, content.projectiles[content.aircraft["eagle"].bullet].damage, bullet)
    ]


# -- rule 8: death -------------------------------------------------------------------------


@pytest.fixture
def morgue(make_world, content, record, emitter):
    """DeathSystem alone, fed by Damaged events emitted in COLLIDE."""
    world = make_world(content, Battlefield.at_start(content.battlefield))
    damaged = emitter(world, Phase.COLLIDE)
    world.add_system(DeathSystem(), Phase.RESOLVE)
    log = record(world, Destroyed)
    return world, damaged, log


@pytest.mark.parametrize("hitpoints", [0, -35])
def test_an_aircraft_at_or_below_zero_is_destroyed_once_and_removed(morgue, hitpoints):
    world, damaged, log = morgue
    enemy = enemy_at(world, "avenger", 321.0, 654.0, hitpoints=hitpoints)
    damaged.extend([Damaged(enemy, 10, 0), Damaged(enemy, 10, 0)])
    world.step()
    assert log.of(Destroyed) == [Destroyed(enemy, "avenger", Side.ENEMY, 321.0, 654.0)]
    assert not world.is_alive(enemy)
    world.run(5)
    assert len(log.of(Destroyed)) == 1


def test_a_destroyed_player_reports_its_side(morgue):
    world, damaged, log = morgue
    player = player_at(world, 111.0, 4444.0)
    world.component(player, Health).hitpoints = 0
    damaged.append(Damaged(player, 100, 0))
    world.step()
    assert log.of(Destroyed) == [Destroyed(player, "eagle", Side.ALLY, 111.0, 4444.0)]


def test_damage_that_leaves_hit_points_destroys_nothing(morgue):
    world, damaged, log = morgue
    enemy = enemy_at(world, "raptor", 300.0, 300.0, hitpoints=1)
    damaged.append(Damaged(enemy, 19, 0))
    world.step()
    assert log.of(Destroyed) == []
    assert world.is_alive(enemy)


def test_culled_aircraft_emit_no_destroyed(make_world, content, record):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    world.add_system(DeathSystem(), Phase.RESOLVE)
    world.add_system(CullSystem(), Phase.SPAWN)
    log = record(world, Destroyed)
    margin = content.battlefield.cull_margin
    enemy = enemy_at(world, "raptor", 500.0, battlefield.view_bottom + margin + 1.0)
    world.step()
    assert not world.is_alive(enemy)
    assert log.of(Destroyed) == []
    assert world.query_one(Aircraft) == []
