"""Difficulty: easy, normal and hard scale the enemies' fire, hit points and waves."""

from __future__ import annotations

import pytest

from engine import Role
from game.rules.components import Health, Weapon
from game.rules.difficulty import (
    DEFAULT_DIFFICULTY,
    DIFFICULTIES,
    NORMAL,
    Difficulty,
    difficulty_of,
)
from game.rules.plugin import shooter_world
from game.rules.spawn import spawn_enemy, spawn_player
from game.rules.systems.spawning import next_wave_in
from game.rules.systems.stats import MissionStats


@pytest.fixture
def at_level():
    worlds = []

    def make(level=None, seed=5):
        options = {} if level is None else {"difficulty": level}
        world = shooter_world(Role.SERVER, seed=seed, **options)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.close()


def test_the_levels_and_the_default_are_what_a_settings_screen_offers():
    assert DIFFICULTIES == ("easy", "normal", "hard")
    assert DEFAULT_DIFFICULTY == "normal"


def test_a_world_plays_normal_unless_told_otherwise(at_level, content):
    assert at_level().resource(Difficulty) == content.difficulty("normal")
    assert at_level("hard").resource(Difficulty).name == "hard"


def test_normal_is_the_data_as_it_stands(content):
    normal = content.difficulty("normal")
    assert (normal.enemy_fire, normal.enemy_health, normal.waves, normal.wave_size) == (1, 1, 1, 1)


def test_each_level_is_harder_than_the_one_before(content):
    easy, normal, hard = (content.difficulty(name) for name in DIFFICULTIES)
    for scale in ("enemy_fire", "enemy_health", "waves"):
        assert getattr(easy, scale) < getattr(normal, scale) < getattr(hard, scale), scale
    assert easy.wave_size <= normal.wave_size <= hard.wave_size


def test_an_unknown_level_is_refused(content):
    with pytest.raises(ValueError, match="difficulty must be one of easy, normal, hard"):
        content.difficulty("nightmare")
    with pytest.raises(ValueError, match="difficulty must be one of"):
        shooter_world(Role.SERVER, difficulty="nightmare")


@pytest.mark.parametrize("level", DIFFICULTIES)
def test_enemy_hit_points_and_fire_follow_the_level(at_level, content, level):
    world = at_level(level)
    scale = content.difficulty(level)
    avenger = spawn_enemy(world, "avenger", 500.0, 4000.0)
    raptor = spawn_enemy(world, "raptor", 300.0, 4000.0)
    world.flush()
    base = content.aircraft["avenger"]
    hitpoints = round(base.hitpoints * scale.enemy_health)
    assert world.component(avenger, Health) == Health(hitpoints, hitpoints)
    assert world.component(avenger, Weapon).fire_interval == pytest.approx(
        base.fire_interval / scale.enemy_fire
    )
    raptor_hp = round(content.aircraft["raptor"].hitpoints * scale.enemy_health)
    assert world.component(raptor, Health).hitpoints == raptor_hp
    player = spawn_player(world, 1)  # the players are never scaled
    world.flush()
    eagle = content.aircraft[content.player_aircraft]
    assert world.component(player, Health) == Health(eagle.hitpoints, eagle.hitpoints)


def test_waves_come_more_often_at_a_harder_level(at_level, content):
    gaps = {}
    for level in DIFFICULTIES:
        world = at_level(level)
        world.rng.seed(3)
        gaps[level] = next_wave_in(world)
    for level in DIFFICULTIES:
        assert gaps[level] * content.difficulty(level).waves == pytest.approx(gaps["normal"])


def test_each_player_beyond_the_first_brings_waves_more_often(at_level, content):
    per_player = content.waves.per_player
    assert per_player > 0
    gaps = []
    for players in (1, 2, 3):
        world = at_level()
        for player_id in range(1, players + 1):
            spawn_player(world, player_id)
        world.flush()
        world.rng.seed(3)
        gaps.append(next_wave_in(world))
    assert gaps[1] == pytest.approx(gaps[0] / (1 + per_player))
    assert gaps[2] == pytest.approx(gaps[0] / (1 + 2 * per_player))


@pytest.mark.parametrize(
    ("size", "base", "count"), [(1.0, 3, 3), (1.5, 3, 4), (1.5, 2, 3), (0.1, 2, 1), (2.0, 0, 0)]
)
def test_wave_size_scales_how_many_a_wave_brings_never_fewer_than_one(size, base, count):
    assert Difficulty("x", wave_size=size).wave_count(base) == count


def test_scaled_hit_points_are_rounded_and_never_below_one():
    assert Difficulty("x", enemy_health=1.1).hitpoints(20) == 22
    assert Difficulty("x", enemy_health=0.01).hitpoints(20) == 1


def test_a_bare_world_without_a_level_plays_normal(make_world, content):
    assert difficulty_of(make_world(content)) is NORMAL


def test_a_harder_level_brings_more_enemies_over_the_same_climb(at_level):
    spawned = {}
    for level in DIFFICULTIES:
        world = at_level(level, seed=8)
        world.run(40 * 60)
        spawned[level] = world.resource(MissionStats).enemies_spawned
    assert spawned["hard"] > spawned["normal"] > spawned["easy"] > 0
