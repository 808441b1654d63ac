"""Rule 12: the mission ends once, in success or failure; and the tallies behind the summary."""

import pytest

from engine import Phase
from engine.components import Transform
from engine.physics import PhysicsPlugin
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Side
from game.rules.events import Destroyed, EnemySpawned, MissileLaunched, PickupTaken, ShotFired
from game.rules.mission import MissionEnded, MissionState, Outcome
from game.rules.sets import MissionStatus
from game.rules.spawn import spawn_bullet, spawn_player
from game.rules.systems.combat import CombatSystem, DeathSystem
from game.rules.systems.stats import MissionStats, StatsSystem
from game.rules.systems.status import MissionStatusSystem, living_players


@pytest.fixture
def mission(make_world, content, record):
    battlefield = Battlefield.at_start(content.battlefield)
    state = MissionState()
    world = make_world(content, battlefield, state)
    world.add_system(MissionStatusSystem(), Phase.SPAWN, in_set=MissionStatus)
    log = record(world, MissionEnded)
    return world, state, log


def add_player(world, player_id, y_offset=0.0):
    player = spawn_player(world, player_id)
    world.flush()
    world.component(player, Transform).y += y_offset
    return player


def finish(content):
    return content.battlefield.finish_line_y


def test_success_is_decided_exactly_once_when_a_living_player_crosses(mission, content):
    world, state, log = mission
    player = add_player(world, 1)
    world.component(player, Transform).y = finish(content) + 1.0
    world.run(10)
    assert state.running and log.of(MissionEnded) == []
    world.component(player, Transform).y = finish(content)
    world.step()
    assert log.seen == [(world.time.step - 1, MissionEnded(Outcome.SUCCESS))]
    assert state.outcome is Outcome.SUCCESS
    assert state.ended_at_step == world.time.step - 1
    world.run(600)
    assert len(log.of(MissionEnded)) == 1
    assert state.outcome is Outcome.SUCCESS


def test_one_living_player_over_the_line_is_enough(mission, content):
    world, state, log = mission
    add_player(world, 1)
    leader = add_player(world, 2)
    world.component(leader, Transform).y = finish(content) - 50.0
    world.step()
    assert log.of(MissionEnded) == [MissionEnded(Outcome.SUCCESS)]


def test_a_dead_player_over_the_line_does_not_win(mission, content):
    world, state, log = mission
    add_player(world, 1)  # alive, far below the line
    dead = add_player(world, 2)
    world.component(dead, Transform).y = finish(content) - 10.0
    world.component(dead, Health).hitpoints = 0
    world.run(5)
    assert state.running
    assert log.of(MissionEnded) == []


def test_failure_when_the_last_player_dies(mission):
    world, state, log = mission
    first, second = add_player(world, 1), add_player(world, 2)
    world.step()
    world.component(first, Health).hitpoints = -3
    world.run(5)
    assert state.running
    world.despawn(second)
    world.step()
    assert log.of(MissionEnded) == [MissionEnded(Outcome.FAILURE)]
    assert state.outcome is Outcome.FAILURE
    world.run(300)
    assert len(log.of(MissionEnded)) == 1


def test_no_success_when_the_last_player_dies_on_the_step_it_crosses(mission, content):
    world, state, log = mission
    player = add_player(world, 1)
    world.step()  # the mission has seen a living player
    world.component(player, Transform).y = finish(content) - 1.0
    world.component(player, Health).hitpoints = 0
    world.step()
    assert log.of(MissionEnded) == [MissionEnded(Outcome.FAILURE)]


def test_no_success_from_a_player_being_removed_this_step(mission, content):
    world, state, log = mission
    player = add_player(world, 1)
    world.step()

    def shoot_down_at_the_line(w, dt):
        w.component(player, Transform).y = finish(content) - 1.0
        w.despawn(player)

    world.add_system(shoot_down_at_the_line, Phase.SPAWN, before=MissionStatusSystem)
    world.step()
    assert log.of(MissionEnded) == [MissionEnded(Outcome.FAILURE)]


def test_an_empty_world_does_not_fail_before_anyone_has_flown(mission):
    world, state, log = mission
    world.run(20 * world.time.step_hz)
    assert state.running and not state.had_players
    assert log.of(MissionEnded) == []
    player = add_player(world, 1)
    world.run(3)
    assert state.running and state.had_players
    world.despawn(player)
    world.step()
    assert log.of(MissionEnded) == [MissionEnded(Outcome.FAILURE)]


def test_success_never_turns_into_failure(mission, content):
    world, state, log = mission
    player = add_player(world, 1)
    world.component(player, Transform).y = finish(content) - 1.0
    world.step()
    world.despawn(player)
    world.run(60)
    assert state.outcome is Outcome.SUCCESS
    assert log.of(MissionEnded) == [MissionEnded(Outcome.SUCCESS)]


def test_failure_never_turns_into_success(mission, content):
    world, state, log = mission
    player = add_player(world, 1)
    world.step()
    world.despawn(player)
    world.step()
    ended_at = state.ended_at_step
    late = add_player(world, 2)
    world.component(late, Transform).y = finish(content) - 1.0
    world.run(60)
    assert state.outcome is Outcome.FAILURE
    assert state.ended_at_step == ended_at
    assert log.of(MissionEnded) == [MissionEnded(Outcome.FAILURE)]


def test_living_players_leaves_out_the_dead_and_the_departing(make_world, content):
    world = make_world(content, Battlefield.at_start(content.battlefield))
    alive, dead, leaving = (add_player(world, i) for i in (1, 2, 3))
    world.component(dead, Health).hitpoints = 0
    world.despawn(leaving)
    assert [entity for entity, _ in living_players(world)] == [alive]


# -- stats ---------------------------------------------------------------------------------


def test_stats_count_what_happened(make_world, emitter):
    stats = MissionStats()
    world = make_world(stats)
    queued = emitter(world, Phase.RESOLVE)
    world.add_system(StatsSystem(), Phase.SPAWN)
    queued.extend(
        [
            EnemySpawned(1, "raptor"),
            EnemySpawned(2, "avenger"),
            Destroyed(1, "raptor", Side.ENEMY, 0.0, 0.0),
            Destroyed(3, "eagle", Side.ALLY, 0.0, 0.0),
            PickupTaken(3, "health"),
            ShotFired(3, Side.ALLY, 3),
            ShotFired(2, Side.ENEMY, 1),
            MissileLaunched(3, 9),
        ]
    )
    world.step()
    assert stats == MissionStats(
        enemies_spawned=2,
        enemies_destroyed=1,
        pickups_taken=1,
        shots_fired=4,
        missiles_launched=1,
        players_lost=1,
    )
    queued.append(EnemySpawned(5, "raptor"))
    world.run(3)  # events last one step: nothing is counted twice
    assert stats.enemies_spawned == 3
    assert stats.shots_fired == 4


def test_shot_down_on_the_step_it_would_cross_is_a_failure(mission, content):
    """The same rule with the real chain: physics, combat and death before the verdict."""
    world, state, log = mission
    world.add_plugin(PhysicsPlugin())
    world.add_system(CombatSystem(), Phase.RESOLVE)
    world.add_system(DeathSystem(), Phase.RESOLVE)
    player = add_player(world, 1)
    world.step()
    damage = content.projectiles["bullet_enemy"].damage
    world.component(player, Health).hitpoints = damage
    transform = world.component(player, Transform)
    transform.y = finish(content) - 1.0
    spawn_bullet(world, "bullet_enemy", Side.ENEMY, transform.x, transform.y, 0)
    world.step()
    assert not world.is_alive(player)
    assert log.of(MissionEnded) == [MissionEnded(Outcome.FAILURE)]


def test_a_held_mission_decides_nothing_until_released(mission, content):
    world, state, log = mission
    state.held = True
    player = add_player(world, 1)
    world.component(player, Transform).y = finish(content) - 1.0
    world.run(30)
    assert state.outcome is None and log.of(MissionEnded) == []
    state.held = False
    world.step()
    assert log.of(MissionEnded) == [MissionEnded(Outcome.SUCCESS)]
