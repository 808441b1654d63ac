"""Issue 13, score and results: each player's kills, points (by the enemy's kind), accuracy
and damage taken, counted on the server from the combat's events into a Score per player."""

import pytest

from engine import Phase, Role
from engine.components import Transform
from engine.net.replication import Replicated
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Score, Side
from game.rules.events import MissileLaunched, ShotFired
from game.rules.mission import restart_mission
from game.rules.plugin import shooter_world
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_player
from game.rules.systems.combat import CombatSystem, DeathSystem
from game.rules.systems.stats import ScoreSystem


@pytest.fixture
def arena(make_world, content):
    """Physics, combat and deaths (RESOLVE), and the scores (SPAWN), as in the game."""
    world = make_world(content, Battlefield.at_start(content.battlefield), physics=True)
    world.add_system(CombatSystem(), Phase.RESOLVE)
    world.add_system(DeathSystem(), Phase.RESOLVE)
    world.add_system(ScoreSystem(), Phase.SPAWN)
    return world


def place(world, entity, x, y):
    world.flush()
    transform = world.component(entity, Transform)
    transform.x, transform.y = x, y
    return entity


def players(world, *names):
    """One aircraft per name, side by side at the bottom of the view; a step seats their
    Scores."""
    made = [
        place(world, spawn_player(world, index + 1, name=name), 100.0 + 300 * index, 4700.0)
        for index, name in enumerate(names)
    ]
    world.step()
    return made


def scores(world):
    return {score.player_id: score for _, score in world.query_one(Score)}


def bullet(world, content, side, x, y, shooter):
    kind = content.aircraft["eagle" if side is Side.ALLY else "avenger"].bullet
    return place(world, spawn_bullet(world, kind, side, x, y, shooter=shooter), x, y)


def enemy(world, kind, x, y, hitpoints=None):
    made = place(world, spawn_enemy(world, kind, x, y), x, y)
    if hitpoints is not None:
        world.component(made, Health).hitpoints = hitpoints
    return made


def test_each_player_gets_a_replicated_score_named_after_them(arena):
    players(arena, "Ada", "Bo")
    board = scores(arena)
    assert sorted(board) == [1, 2]
    assert (board[1].name, board[2].name) == ("Ada", "Bo")
    assert board[1] == Score(1, "Ada")
    for entity, _ in arena.query_one(Score):
        assert arena.has_component(entity, Replicated)


def test_a_kill_is_credited_to_the_player_whose_shot_brought_the_enemy_down(arena, content):
    _, second = players(arena, "Ada", "Bo")
    raptor = enemy(arena, "raptor", 500.0, 500.0, hitpoints=1)
    bullet(arena, content, Side.ALLY, 500.0, 505.0, shooter=second)
    arena.step()
    assert not arena.is_alive(raptor)
    board = scores(arena)
    assert (board[2].kills, board[2].points, board[2].hits) == (1, 100, 1)
    assert (board[1].kills, board[1].points, board[1].hits) == (0, 0, 0)
    avenger = enemy(arena, "avenger", 800.0, 500.0, hitpoints=1)
    bullet(arena, content, Side.ALLY, 800.0, 505.0, shooter=second)
    arena.step()
    assert not arena.is_alive(avenger)
    assert (board[2].kills, board[2].points) == (2, 100 + 250)
    assert content.aircraft["raptor"].points == 100
    assert content.aircraft["avenger"].points == 250


def test_a_hit_that_does_not_kill_counts_for_accuracy_only(arena, content):
    first, _ = players(arena, "Ada", "Bo")
    enemy(arena, "avenger", 500.0, 500.0)
    bullet(arena, content, Side.ALLY, 500.0, 505.0, shooter=first)
    arena.events.emit(ShotFired(first, Side.ALLY, 3))  # what the weapon would have said
    arena.step()
    board = scores(arena)
    assert (board[1].shots, board[1].hits, board[1].kills) == (3, 1, 0)
    assert board[1].accuracy == pytest.approx(1 / 3)
    arena.events.emit(MissileLaunched(first, 0))  # a missile is a shot too
    arena.step()
    assert board[1].shots == 4
    assert board[1].accuracy == pytest.approx(0.25)
    assert board[2].accuracy == 0.0  # no shots: no division by zero


def test_a_kill_by_a_shot_whose_shooter_is_gone_still_counts(arena, content):
    first, _ = players(arena, "Ada", "Bo")
    shot = bullet(arena, content, Side.ALLY, 500.0, 1000.0, shooter=first)
    arena.despawn(first)  # shot down with its bullet in the air
    arena.step()
    enemy(arena, "raptor", 500.0, 1000.0, hitpoints=1)
    place(arena, shot, 500.0, 1000.0)
    arena.step()
    assert scores(arena)[1].kills == 1


def test_damage_taken_from_enemy_bullets_and_rams(arena, content):
    first, second = players(arena, "Ada", "Bo")
    damage = content.projectiles[content.aircraft["avenger"].bullet].damage
    bullet(arena, content, Side.ENEMY, 100.0, 4700.0, shooter=0)
    arena.step()
    board = scores(arena)
    assert board[1].damage_taken == damage
    assert board[2].damage_taken == 0
    # Bo rams a raptor with 7 hit points left: 7 damage taken, and a kill (not a hit).
    enemy(arena, "raptor", 400.0, 4700.0, hitpoints=7)
    arena.step()
    assert (board[2].damage_taken, board[2].kills, board[2].points, board[2].hits) == (
        7,
        1,
        100,
        0,
    )


def test_scores_start_again_with_each_mission(content):
    world = shooter_world(Role.SERVER)
    try:
        first = place(world, spawn_player(world, 1, name="Ada"), 300.0, 4700.0)
        world.step()
        [(entity, score)] = world.query_one(Score)
        score.kills, score.points = 3, 300
        restart_mission(world)  # as MissionRestartSystem does after a mission's end
        world.step()
        assert not world.is_alive(first)
        assert world.query_one(Score) == []  # the old mission's scores are gone
        place(world, spawn_player(world, 1, name="Ada"), 300.0, 4700.0)
        world.step()
        [(again, fresh)] = world.query_one(Score)
        assert again != entity
        assert (fresh.kills, fresh.points, fresh.shots) == (0, 0, 0)
    finally:
        world.close()
