"""Rules 5 and 6: guns, spread, missiles, and homing."""

import math

import pytest

from engine import Phase
from engine.components import Transform, Velocity
from engine.movement import MovementSystem
from game.rules.battlefield import Battlefield
from game.rules.components import Homing, PlayerInput, Projectile, Side, Weapon
from game.rules.events import MissileLaunched, ShotFired
from game.rules.spawn import spawn_enemy, spawn_missile, spawn_player
from game.rules.systems.weapons import HomingSystem, WeaponSystem, shot_interval


@pytest.fixture
def armed(make_world, content):
    """A world with only the WeaponSystem, and the view where it starts."""
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield)
    world.add_system(WeaponSystem(), Phase.SIMULATE)
    return world, battlefield


def add_player(world, **weapon):
    player = spawn_player(world, 1)
    world.flush()
    for name, value in weapon.items():
        setattr(world.component(player, Weapon), name, value)
    return player


def bullets(world, side=None):
    """(entity, Transform, Velocity, Projectile) of every non-missile projectile."""
    found = [
        (entity, transform, velocity, projectile)
        for entity, (projectile, transform, velocity) in world.query(
            Projectile, Transform, Velocity
        )
        if projectile.kind != "missile"
    ]
    return [b for b in found if side is None or b[3].side is side]


def missiles(world):
    return [
        (entity, transform, velocity)
        for entity, (_, transform, velocity) in world.query(Homing, Transform, Velocity)
    ]


def expected_shots(steps, dt, interval):
    """Shots in `steps` steps, trigger held from step 0: at t = 0, interval, 2 * interval."""
    return math.floor((steps - 1) * dt / interval + 1e-9) + 1


def shots_over(world, player, steps):
    world.component(player, PlayerInput).fire = True
    world.run(steps)
    return len(bullets(world))


def shot_steps(world, player, steps):
    """The step indices on which the player fired, with the trigger held."""
    log = []
    world.add_system(
        lambda w, dt: log.extend(w.time.step for _ in w.events.read(ShotFired)), Phase.NETWORK
    )
    world.component(player, PlayerInput).fire = True
    world.run(steps)
    return log


# -- guns ----------------------------------------------------------------------------------


def test_shot_interval_is_fire_interval_over_level_plus_one():
    weapon = Weapon("bullet_allied", fire_interval=1.2, fire_rate_level=0)
    assert shot_interval(weapon) == pytest.approx(1.2)
    weapon.fire_rate_level = 3
    assert shot_interval(weapon) == pytest.approx(0.3)


def test_holding_fire_shoots_at_the_formula_rate_at_the_start_level(armed, content):
    world, _ = armed
    player = add_player(world)
    eagle = content.aircraft[content.player_aircraft]
    level = content.firing.start_fire_rate_level
    interval = eagle.fire_interval / (level + 1)
    steps = 10 * world.time.step_hz
    count = shots_over(world, player, steps)
    assert abs(count - expected_shots(steps, world.time.dt, interval)) <= 1
    # and it is not the bare fire_interval (the level must count)
    assert count > expected_shots(steps, world.time.dt, eagle.fire_interval) + 1


def test_the_first_shot_is_immediate(armed):
    world, _ = armed
    player = add_player(world)
    assert shot_steps(world, player, 1) == [0]


def test_no_trigger_no_shots(armed):
    world, _ = armed
    add_player(world)
    world.run(120)
    assert bullets(world) == []


def test_holding_fire_shoots_at_the_formula_rate_at_every_level(make_world, content):
    """Also when an interval is not a whole number of steps (1/7, 1/9, 1/11 s): the cooldown
    keeps its remainder, so the average rate is the formula's (regression: cooldown drift)."""
    eagle = content.aircraft[content.player_aircraft]
    wrong = {}
    for level in range(content.firing.max_fire_rate_level + 1):
        world = make_world(content, Battlefield.at_start(content.battlefield))
        world.add_system(WeaponSystem(), Phase.SIMULATE)
        player = add_player(world, fire_rate_level=level)
        steps = 10 * world.time.step_hz
        count = shots_over(world, player, steps)
        expected = expected_shots(steps, world.time.dt, eagle.fire_interval / (level + 1))
        if abs(count - expected) > 1:
            wrong[level] = (count, expected)
    assert wrong == {}


def test_shots_are_exactly_one_interval_apart(armed, content):
    """0.5 s is 30 steps: not 31 (float drift) and not 29 (the first shot borrowing a step)."""
    world, _ = armed
    player = add_player(world)
    eagle = content.aircraft[content.player_aircraft]
    interval = eagle.fire_interval / (content.firing.start_fire_rate_level + 1)
    gap = round(interval * world.time.step_hz)
    steps = shot_steps(world, player, 5 * gap + 1)
    assert steps == [i * gap for i in range(6)]


def test_shots_are_never_closer_than_one_interval(armed, content):
    world, _ = armed
    player = add_player(world)
    eagle = content.aircraft[content.player_aircraft]
    interval = eagle.fire_interval / (content.firing.start_fire_rate_level + 1)
    steps = shot_steps(world, player, 600)
    gaps = {b - a for a, b in zip(steps, steps[1:], strict=False)}
    assert gaps and min(gaps) * world.time.dt >= interval - 1e-9


def test_releasing_the_trigger_stores_no_burst(armed, content):
    world, _ = armed
    player = add_player(world)
    eagle = content.aircraft[content.player_aircraft]
    interval = eagle.fire_interval / (content.firing.start_fire_rate_level + 1)
    gap = round(interval * world.time.step_hz)
    intent = world.component(player, PlayerInput)
    log = []
    world.add_system(
        lambda w, dt: log.extend(w.time.step for _ in w.events.read(ShotFired)), Phase.NETWORK
    )
    intent.fire = True
    world.run(gap + 5)
    intent.fire = False
    world.run(10 * gap)
    pressed = world.time.step
    del log[:]
    intent.fire = True
    world.run(2 * gap + 1)
    assert log == [pressed, pressed + gap, pressed + 2 * gap]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_spread_level_gives_one_bullet_per_offset_across_the_width(armed, content, level):
    world, _ = armed
    assert level <= content.firing.max_spread_level
    player = add_player(world, spread_level=level)
    log = []
    world.add_system(lambda w, dt: log.extend(w.events.read(ShotFired)), Phase.NETWORK)
    world.component(player, PlayerInput).fire = True
    world.step()
    eagle = content.aircraft[content.player_aircraft]
    me = world.component(player, Transform)
    offsets = content.firing.spread[level - 1]
    assert len(offsets) == level
    xs = sorted(transform.x for _, transform, _, _ in bullets(world))
    assert xs == pytest.approx(sorted(me.x + offset * eagle.width for offset in offsets))
    assert {transform.y for _, transform, _, _ in bullets(world)} == {me.y - eagle.radius}
    assert log == [ShotFired(player, Side.ALLY, level)]


@pytest.mark.parametrize("level", [0, 99])
def test_spread_level_outside_the_range_is_clamped(armed, content, level):
    world, _ = armed
    player = add_player(world, spread_level=level)
    world.component(player, PlayerInput).fire = True
    world.step()
    expected = 1 if level < 1 else content.firing.max_spread_level
    assert len(bullets(world)) == expected


def test_allied_bullets_fly_up_at_projectile_speed(armed, content):
    world, _ = armed
    player = add_player(world)
    world.component(player, PlayerInput).fire = True
    world.step()
    eagle = content.aircraft[content.player_aircraft]
    spec = content.projectiles[eagle.bullet]
    [(_, _, velocity, projectile)] = bullets(world)
    assert (velocity.x, velocity.y) == (0.0, -spec.speed)
    assert projectile == Projectile(eagle.bullet, Side.ALLY, spec.damage, player)


def test_an_avenger_in_view_fires_bullets_down_at_projectile_speed(armed, content):
    world, battlefield = armed
    avenger = content.aircraft["avenger"]
    y = battlefield.view_top + 200.0
    enemy = spawn_enemy(world, "avenger", 400.0, y)
    world.flush()
    world.step()
    spec = content.projectiles[avenger.bullet]
    shots = bullets(world, Side.ENEMY)
    assert len(shots) == 1
    _, transform, velocity, projectile = shots[0]
    assert (velocity.x, velocity.y) == (0.0, spec.speed)
    assert (transform.x, transform.y) == (400.0, y + avenger.radius)
    assert projectile == Projectile(avenger.bullet, Side.ENEMY, spec.damage, enemy)


def test_an_avenger_fires_only_while_in_view(armed, content):
    world, battlefield = armed
    above = spawn_enemy(world, "avenger", 400.0, battlefield.view_top - 1.0)
    spawn_enemy(world, "avenger", 600.0, battlefield.view_bottom + 1.0)  # below
    spawn_enemy(world, "avenger", -1.0, battlefield.view_top + 300.0)  # beside
    world.flush()
    world.run(5 * world.time.step_hz)
    assert bullets(world) == []
    world.component(above, Transform).y = battlefield.view_top + 1.0
    world.step()
    assert [projectile.shooter for *_, projectile in bullets(world)] == [above]


def test_a_raptor_never_fires(armed, content):
    world, battlefield = armed
    assert content.aircraft["raptor"].fire_interval == 0
    raptor = spawn_enemy(world, "raptor", 400.0, battlefield.view_top + 200.0)
    world.flush()
    world.run(10 * world.time.step_hz)
    assert bullets(world) == []
    assert world.try_component(raptor, Weapon) is None


def test_a_weapon_with_zero_fire_interval_never_fires_even_with_the_trigger_held(armed):
    world, _ = armed
    player = add_player(world, fire_interval=0.0)
    world.component(player, PlayerInput).fire = True
    world.run(300)
    assert bullets(world) == []


# -- missiles ------------------------------------------------------------------------------


def test_a_missile_request_launches_one_missile_and_uses_one_up(armed, content):
    world, _ = armed
    player = add_player(world)
    log = []
    world.add_system(lambda w, dt: log.extend(w.events.read(MissileLaunched)), Phase.NETWORK)
    weapon = world.component(player, Weapon)
    before = weapon.missiles
    assert before > 0
    world.component(player, PlayerInput).missile_requests = 1
    world.step()
    [(missile, transform, velocity)] = missiles(world)
    eagle = content.aircraft[content.player_aircraft]
    spec = content.projectiles["missile"]
    me = world.component(player, Transform)
    assert weapon.missiles == before - 1
    assert world.component(player, PlayerInput).missile_requests == 0
    assert (transform.x, transform.y) == (me.x, me.y - eagle.radius)
    assert (velocity.x, velocity.y) == (0.0, -spec.speed)
    assert world.component(missile, Projectile) == Projectile(
        "missile", Side.ALLY, spec.damage, player
    )
    assert log == [MissileLaunched(player, missile)]
    world.run(60)
    assert len(missiles(world)) == 1  # one request, one missile
    assert bullets(world) == []  # and no gunfire without the trigger


def test_with_no_missiles_nothing_launches_and_the_request_is_dropped(armed):
    world, _ = armed
    player = add_player(world, missiles=0)
    intent = world.component(player, PlayerInput)
    intent.missile_requests = 3
    world.step()
    assert missiles(world) == []
    assert intent.missile_requests == 0
    assert world.component(player, Weapon).missiles == 0
    world.component(player, Weapon).missiles = 5  # picking some up later does not replay it
    world.run(60)
    assert missiles(world) == []


def launch_steps(world, player, requests, steps):
    log = []
    world.add_system(
        lambda w, dt: log.extend(w.time.step for _ in w.events.read(MissileLaunched)),
        Phase.NETWORK,
    )
    world.component(player, PlayerInput).missile_requests = requests
    world.run(steps)
    return log


def test_missile_interval_spaces_two_launches(armed, content):
    world, _ = armed
    player = add_player(world, missiles=5)
    interval = content.firing.missile_interval
    gap = round(interval * world.time.step_hz)
    steps = launch_steps(world, player, 2, 3 * gap)
    assert len(steps) == 2 and steps[0] == 0
    assert (steps[1] - steps[0]) * world.time.dt >= interval - 1e-9
    assert steps[1] - steps[0] <= gap + 1
    assert world.component(player, Weapon).missiles == 3


def test_the_second_request_waits_while_the_first_missile_cools_down(armed, content):
    world, _ = armed
    player = add_player(world, missiles=5)
    intent = world.component(player, PlayerInput)
    intent.missile_requests = 2
    world.run(2)
    assert len(missiles(world)) == 1
    assert intent.missile_requests == 1  # still owed, not dropped


def test_the_second_missile_launches_exactly_one_missile_interval_later(armed, content):
    """0.25 s is 15 steps (regression: the cooldown drifted to 16, then borrowed down to 14)."""
    world, _ = armed
    player = add_player(world, missiles=5)
    gap = round(content.firing.missile_interval * world.time.step_hz)
    assert launch_steps(world, player, 2, 3 * gap) == [0, gap]


# -- homing --------------------------------------------------------------------------------


@pytest.fixture
def homing(make_world, content):
    world = make_world(content, Battlefield.at_start(content.battlefield))
    world.add_system(HomingSystem(), Phase.SIMULATE)
    world.add_system(MovementSystem(), Phase.SIMULATE)
    return world


def angle_between(ax, ay, bx, by):
    cos = (ax * bx + ay * by) / (math.hypot(ax, ay) * math.hypot(bx, by))
    return math.acos(max(-1.0, min(1.0, cos)))


def test_a_missile_turns_towards_the_nearest_enemy_and_keeps_its_speed(homing, content):
    spec = content.projectiles["missile"]
    missile = spawn_missile(homing, 500.0, 1000.0, shooter=0)
    enemy = spawn_enemy(homing, "avenger", 800.0, 850.0)
    homing.flush()
    enemy_at = homing.component(enemy, Transform)
    previous = math.pi
    for _ in range(40):
        homing.step()
        me = homing.component(missile, Transform)
        velocity = homing.component(missile, Velocity)
        off = angle_between(velocity.x, velocity.y, enemy_at.x - me.x, enemy_at.y - me.y)
        assert off < previous
        previous = off
        assert math.hypot(velocity.x, velocity.y) == pytest.approx(spec.speed)
    assert homing.component(missile, Homing).target == enemy
    assert homing.component(missile, Velocity).x > 0  # it did turn right


def test_a_missile_picks_the_nearest_enemy(homing):
    missile = spawn_missile(homing, 500.0, 1000.0, shooter=0)
    far_left = spawn_enemy(homing, "raptor", 100.0, 700.0)
    near = spawn_enemy(homing, "raptor", 900.0, 900.0)
    far_right = spawn_enemy(homing, "raptor", 950.0, 500.0)
    homing.flush()
    homing.step()
    assert homing.component(missile, Homing).target == near
    assert homing.component(missile, Velocity).x > 0
    homing.despawn(near)
    homing.component(far_left, Transform).x = 400.0  # now the nearest, and spawned first
    homing.step()
    assert homing.component(missile, Homing).target == far_left
    assert far_right != far_left


def test_a_missile_ignores_allies_and_enemies_being_removed(homing):
    missile = spawn_missile(homing, 500.0, 1000.0, shooter=0)
    ally = spawn_player(homing, 1)
    near = spawn_enemy(homing, "raptor", 520.0, 980.0)
    far = spawn_enemy(homing, "raptor", 100.0, 600.0)
    homing.flush()
    homing.component(ally, Transform).x, homing.component(ally, Transform).y = 500.0, 990.0
    homing.add_system(lambda w, dt: w.despawn(near), Phase.SIMULATE, before=HomingSystem)
    homing.step()
    assert homing.component(missile, Homing).target == far


def test_without_enemies_a_missile_flies_on_unchanged(homing, content):
    spec = content.projectiles["missile"]
    missile = spawn_missile(homing, 500.0, 1000.0, shooter=0)
    ally = spawn_player(homing, 1)
    homing.flush()
    homing.component(ally, Transform).x, homing.component(ally, Transform).y = 560.0, 960.0
    homing.run(60)
    assert homing.component(missile, Velocity) == Velocity(0.0, -spec.speed)
    assert homing.component(missile, Transform).x == 500.0
    assert homing.component(missile, Transform).y == pytest.approx(1000.0 - spec.speed)
    assert homing.component(missile, Homing).target == 0


def test_a_missile_reaches_a_still_target(homing, content):
    missile = spawn_missile(homing, 500.0, 1000.0, shooter=0)
    enemy = spawn_enemy(homing, "avenger", 650.0, 700.0)
    homing.flush()
    target = homing.component(enemy, Transform)
    reach = content.projectiles["missile"].radius + content.aircraft["avenger"].radius
    closest = math.inf
    for _ in range(5 * homing.time.step_hz):
        homing.step()
        me = homing.component(missile, Transform)
        closest = min(closest, math.hypot(target.x - me.x, target.y - me.y))
    assert closest < reach
