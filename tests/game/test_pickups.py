"""Rule 9: pickups apply their effect within caps, go to one player, and drop at drop_chance."""

import dataclasses
import math

import pytest

from engine import Phase
from engine.components import Transform
from game.api import add_pickup_kind
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Pickup, Side, Weapon
from game.rules.events import Destroyed, PickupTaken
from game.rules.spawn import spawn_enemy, spawn_pickup, spawn_player
from game.rules.systems.pickups import PickupCollectSystem, PickupDropSystem, apply_pickup


def kind_with(content, effect):
    return next(name for name, spec in content.pickups.items() if spec.effect == effect)


# effect -> (read the stat, write the stat, its cap)
STATS = {
    "hitpoints": (
        lambda h, w: h.hitpoints,
        lambda h, w, v: setattr(h, "hitpoints", v),
        lambda c, h: h.max_hitpoints,
    ),
    "missiles": (
        lambda h, w: w.missiles,
        lambda h, w, v: setattr(w, "missiles", v),
        lambda c, h: c.firing.max_missiles,
    ),
    "spread": (
        lambda h, w: w.spread_level,
        lambda h, w, v: setattr(w, "spread_level", v),
        lambda c, h: c.firing.max_spread_level,
    ),
    "fire_rate": (
        lambda h, w: w.fire_rate_level,
        lambda h, w, v: setattr(w, "fire_rate_level", v),
        lambda c, h: c.firing.max_fire_rate_level,
    ),
}


def test_every_effect_in_the_data_is_covered(content):
    assert {spec.effect for spec in content.pickups.values()} == set(STATS)


@pytest.fixture
def collecting(make_world, content, record):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield, physics=True)
    world.add_system(PickupCollectSystem(), Phase.RESOLVE)
    log = record(world, PickupTaken)
    return world, log


def player_at(world, player_id, x, y):
    player = spawn_player(world, player_id)
    world.flush()
    transform = world.component(player, Transform)
    transform.x, transform.y = x, y
    return player


def pickup_at(world, kind, x, y):
    item = spawn_pickup(world, kind, x, y)
    world.flush()
    return item


@pytest.mark.parametrize("effect", sorted(STATS))
def test_a_pickup_adds_its_amount(collecting, content, effect):
    world, log = collecting
    read, write, cap = STATS[effect]
    kind = kind_with(content, effect)
    amount = content.pickups[kind].amount
    player = player_at(world, 1, 400.0, 4600.0)
    health, weapon = world.component(player, Health), world.component(player, Weapon)
    limit = cap(content, health)
    start = limit - amount - 1
    assert start >= 0
    write(health, weapon, start)
    item = pickup_at(world, kind, 400.0, 4600.0)
    world.step()
    assert read(health, weapon) == start + amount
    assert not world.is_alive(item)
    assert log.of(PickupTaken) == [PickupTaken(player, kind)]


@pytest.mark.parametrize("effect", sorted(STATS))
def test_a_pickup_never_goes_past_its_cap(collecting, content, effect):
    world, _ = collecting
    read, write, cap = STATS[effect]
    kind = kind_with(content, effect)
    player = player_at(world, 1, 400.0, 4600.0)
    health, weapon = world.component(player, Health), world.component(player, Weapon)
    limit = cap(content, health)
    write(health, weapon, limit - 1)
    for dx in (-300.0, 300.0):  # two in a row: just below the cap, then at it
        pickup_at(world, kind, 400.0 + dx, 4600.0)
    for dx in (-300.0, 300.0):
        world.component(player, Transform).x = 400.0 + dx
        world.step()
        assert read(health, weapon) == limit


def test_health_is_capped_at_this_aircrafts_own_maximum(content):
    kind = kind_with(content, "hitpoints")
    health = Health(hitpoints=3, max_hitpoints=5)
    apply_pickup(content, kind, health, Weapon("bullet_allied", 1.0, 1))
    assert health.hitpoints == 5


def test_the_first_of_two_players_touching_one_pickup_gets_it(collecting, content):
    world, log = collecting
    kind = kind_with(content, "missiles")
    first = player_at(world, 1, 390.0, 4600.0)
    second = player_at(world, 2, 410.0, 4600.0)
    item = pickup_at(world, kind, 400.0, 4600.0)
    before = {p: world.component(p, Weapon).missiles for p in (first, second)}
    world.step()
    gained = {p: world.component(p, Weapon).missiles - before[p] for p in (first, second)}
    assert sorted(gained.values()) == [0, content.pickups[kind].amount]
    assert len(log.of(PickupTaken)) == 1
    assert gained[log.of(PickupTaken)[0].player] == content.pickups[kind].amount
    assert not world.is_alive(item)


def test_a_dead_player_takes_nothing(collecting, content):
    world, log = collecting
    kind = kind_with(content, "spread")
    player = player_at(world, 1, 400.0, 4600.0)
    world.component(player, Health).hitpoints = 0
    before = world.component(player, Weapon).spread_level
    item = pickup_at(world, kind, 400.0, 4600.0)
    world.step()
    assert world.is_alive(item)
    assert log.of(PickupTaken) == []
    assert world.component(player, Weapon).spread_level == before


def test_enemies_do_not_take_pickups(collecting, content):
    world, log = collecting
    spawn_enemy(world, "raptor", 400.0, 600.0)
    item = pickup_at(world, kind_with(content, "hitpoints"), 400.0, 600.0)
    world.run(3)
    assert world.is_alive(item)
    assert log.of(PickupTaken) == []


# -- drops ---------------------------------------------------------------------------------


@pytest.fixture
def dropping(make_world, content, emitter):
    """PickupDropSystem alone, fed with Destroyed events emitted in RESOLVE."""
    world = make_world(content, seed=12345)
    destroyed = emitter(world, Phase.RESOLVE)
    world.add_system(PickupDropSystem(), Phase.SPAWN)
    return world, destroyed


def dropped(world):
    return [(pickup.kind, t.x, t.y) for _, (pickup, t) in world.query(Pickup, Transform)]


def test_destroyed_enemies_drop_at_about_drop_chance(dropping, content):
    world, destroyed = dropping
    n = 3000
    kinds = ("raptor", "avenger")
    destroyed.extend(
        Destroyed(10_000 + i, kinds[i % 2], Side.ENEMY, float(i), float(2 * i)) for i in range(n)
    )
    world.step()
    drops = dropped(world)
    p = content.drop_chance
    sigma = math.sqrt(n * p * (1 - p))
    assert abs(len(drops) - n * p) < 4 * sigma
    assert all(y == 2 * x and x == int(x) for _, x, y in drops)  # where the enemy went down
    assert len({x for _, x, _ in drops}) == len(drops)  # at most one drop per enemy
    assert {kind for kind, _, _ in drops} == set(content.pickups)  # every kind can drop


def test_allied_deaths_never_drop(dropping):
    world, destroyed = dropping
    destroyed.extend(Destroyed(10_000 + i, "eagle", Side.ALLY, float(i), 0.0) for i in range(3000))
    world.step()
    assert dropped(world) == []


def test_with_drop_chance_zero_nothing_drops_and_one_always_drops(make_world, content, emitter):
    for chance, expected in ((0.0, 0), (1.0, 200)):
        world = make_world(dataclasses.replace(content, drop_chance=chance), seed=3)
        destroyed = emitter(world, Phase.RESOLVE)
        world.add_system(PickupDropSystem(), Phase.SPAWN)
        destroyed.extend(
            Destroyed(10_000 + i, "raptor", Side.ENEMY, float(i), 0.0) for i in range(200)
        )
        world.step()
        assert len(dropped(world)) == expected


# -- a mod's pickup kind (game.api.add_pickup_kind) -------------------------------------------


@pytest.fixture
def modded(make_world, content):
    """A world with its own copy of the content (a mod adds kinds to it)."""
    own = dataclasses.replace(content, pickups=dict(content.pickups))
    world = make_world(own, Battlefield.at_start(own.battlefield), physics=True)
    world.add_system(PickupCollectSystem(), Phase.RESOLVE)
    return world, own


def test_a_mods_pickup_kind_is_taken_without_changing_any_stat(modded, record):
    world, own = modded
    add_pickup_kind(world, "shield")
    assert own.pickups["shield"].effect == "none" and own.pickups["shield"].amount == 1
    add_pickup_kind(world, "bomb", amount=4)
    assert own.pickups["bomb"].amount == 4
    log = record(world, PickupTaken)
    player = spawn_player(world, 1)
    world.flush()
    where = world.component(player, Transform)
    before = (
        dataclasses.replace(world.component(player, Health)),
        dataclasses.replace(world.component(player, Weapon)),
    )
    spawn_pickup(world, "shield", where.x, where.y)
    world.step()
    assert [(e.player, e.kind) for e in log.of(PickupTaken)] == [(player, "shield")]
    assert (world.component(player, Health), world.component(player, Weapon)) == before


@pytest.mark.parametrize("name", ["s", "x" * 16, "é" * 8])
def test_a_pickup_kind_name_of_1_to_16_bytes_is_accepted(modded, name):
    world, own = modded
    add_pickup_kind(world, name)
    assert own.pickups[name].name == name


@pytest.mark.parametrize("name", ["", "x" * 17, "é" * 9])
def test_a_pickup_kind_name_must_fit_16_bytes(modded, name):
    world, own = modded
    with pytest.raises(ValueError, match="1..16 bytes of UTF-8") as error:
        add_pickup_kind(world, name)
    assert repr(name) in str(error.value)
    assert name not in own.pickups


def test_enemies_drop_a_mods_pickup_kind_too(make_world, content, emitter):
    own = dataclasses.replace(content, pickups=dict(content.pickups), drop_chance=1.0)
    world = make_world(own, Battlefield.at_start(own.battlefield), seed=4)
    add_pickup_kind(world, "shield")
    world.add_system(PickupDropSystem(), Phase.SPAWN)
    emit = emitter(world, Phase.RESOLVE)
    for index in range(60):
        emit.append(Destroyed(0, "raptor", Side.ENEMY, 100.0 + index, 200.0))
        world.step()
    kinds = {pickup.kind for _, (pickup,) in world.query(Pickup)}
    assert "shield" in kinds and kinds <= set(own.pickups)
