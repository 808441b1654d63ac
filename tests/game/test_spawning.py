"""Rule 10: the mission script and the random waves, each enemy placed clear of the others."""

import dataclasses
import math
from collections import Counter, defaultdict

import pytest

from engine import Phase, Role
from engine.components import Transform
from game.rules.battlefield import Battlefield, ScrollSystem
from game.rules.components import Aircraft, Health, Side
from game.rules.content import ScriptedEnemy
from game.rules.events import EnemySpawned
from game.rules.mission import MissionState, Outcome
from game.rules.plugin import shooter_world
from game.rules.sets import Scroll, Spawning
from game.rules.spawn import spawn_enemy, spawn_player
from game.rules.systems.spawning import (
    SPAWN_GAP,
    MissionScript,
    MissionScriptSystem,
    WaveClock,
    WaveSystem,
    place_enemy,
    script_for,
)


@pytest.fixture
def scripted(make_world, content, record):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield, MissionState(), script_for(content))
    world.add_system(MissionScriptSystem(), Phase.SPAWN, in_set=Spawning)
    log = record(world, EnemySpawned)
    return world, battlefield, log


def script_y(content, enemy):
    return content.battlefield.start_view_top - enemy.ahead


def spawned(world, log):
    """(kind, x, y) of every EnemySpawned so far, from the entities themselves."""
    found = []
    for event in log.of(EnemySpawned):
        transform = world.component(event.entity, Transform)
        found.append((event.kind, transform.x, transform.y))
    return found


def test_script_for_orders_the_script_by_distance(content):
    script = script_for(content)
    assert sorted(script.pending, key=lambda e: e.ahead) == script.pending
    assert Counter(script.pending) == Counter(content.script)
    assert script.next_index == 0


def test_a_scripted_enemy_appears_when_the_view_comes_within_spawn_margin(scripted, content):
    world, battlefield, log = scripted
    first = min(content.script, key=lambda e: e.ahead)
    assert sum(e.ahead == first.ahead for e in content.script) == 1
    y = script_y(content, first)
    margin = content.battlefield.spawn_margin
    battlefield.view_top = y + margin + 0.5  # just too far
    world.step()
    assert log.of(EnemySpawned) == []
    battlefield.view_top = y + margin - 0.5  # just close enough
    world.step()
    [event] = log.of(EnemySpawned)
    assert event.kind == first.kind
    assert spawned(world, log) == [(first.kind, battlefield.width / 2 + first.x, y)]
    assert world.component(event.entity, Aircraft) == Aircraft(first.kind, Side.ENEMY)
    hitpoints = content.aircraft[first.kind].hitpoints
    assert world.component(event.entity, Health) == Health(hitpoints, hitpoints)
    world.run(10)
    assert len(log.of(EnemySpawned)) == 1  # once


def test_every_scripted_enemy_appears_exactly_once_on_time_over_a_full_climb(scripted, content):
    world, battlefield, log = scripted
    world.add_system(ScrollSystem(), Phase.SIMULATE, in_set=Scroll)
    view_tops = []
    world.add_system(lambda w, dt: view_tops.append(battlefield.view_top), Phase.NETWORK)
    spec = content.battlefield
    steps = round(spec.start_view_top / spec.scroll_speed * world.time.step_hz) + 120
    world.run(steps)
    assert battlefield.view_top == 0.0
    expected = Counter(
        (e.kind, spec.view_width / 2 + e.x, script_y(content, e)) for e in content.script
    )
    assert len(content.script) == 25
    assert Counter(spawned(world, log)) == expected
    for step, event in log.seen:
        y = world.component(event.entity, Transform).y
        assert view_tops[step] - spec.spawn_margin <= y  # within reach when it appeared
        if step > 0:
            assert view_tops[step - 1] - spec.spawn_margin > y  # and not a step earlier


# -- random waves --------------------------------------------------------------------------


@pytest.fixture
def waves(make_world, content, record):
    def make(*, next_at=0.0, view_top=None, mission=None, seed=99):
        battlefield = Battlefield.at_start(content.battlefield)
        if view_top is not None:
            battlefield.view_top = view_top
        world = make_world(
            content, battlefield, mission or MissionState(), WaveClock(next_at), seed=seed
        )
        world.add_system(WaveSystem(), Phase.SPAWN, in_set=Spawning)
        return world, battlefield, record(world, EnemySpawned)

    return make


def test_waves_come_at_random_intervals_with_random_counts_and_kinds(waves, content):
    spec = content.waves
    first_at = spec.interval_min
    world, battlefield, log = waves(next_at=first_at)
    world.run(120 * world.time.step_hz)
    by_step = defaultdict(list)
    for step, event in log.seen:
        by_step[step].append(event)
    times = [step / world.time.step_hz for step in sorted(by_step)]
    assert len(times) >= 120 / spec.interval_max
    dt = world.time.dt
    assert first_at <= times[0] < first_at + dt
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(spec.interval_min - 1e-9 <= gap <= spec.interval_max + dt + 1e-9 for gap in gaps)
    assert max(gaps) - min(gaps) > (spec.interval_max - spec.interval_min) / 2  # really random
    counts = [len(events) for events in by_step.values()]
    smallest = min(f.count_min for f in spec.formations)
    largest = max(f.count_max for f in spec.formations)
    assert all(smallest <= count <= largest for count in counts)
    assert len(set(counts)) > 2
    kinds = {event.kind for event in log.of(EnemySpawned)}
    assert kinds == set(spec.kinds)
    margin = content.battlefield.player_margin
    for event in log.of(EnemySpawned):
        transform = world.component(event.entity, Transform)
        assert margin <= transform.x <= battlefield.width - margin
        assert transform.y <= battlefield.view_top - content.battlefield.spawn_margin
        assert world.component(event.entity, Aircraft).side is Side.ENEMY


def test_no_wave_before_the_wave_clock(waves):
    world, _, log = waves(next_at=3.0)
    world.run(3 * world.time.step_hz)
    assert log.of(EnemySpawned) == []
    world.step()
    assert log.of(EnemySpawned) != []


def test_no_wave_once_the_view_is_within_stop_before_finish(waves, content):
    stop = content.waves.stop_before_finish
    world, _, log = waves(view_top=stop - 1.0)
    world.run(30 * world.time.step_hz)
    assert log.of(EnemySpawned) == []
    world, _, log = waves(view_top=stop + 1.0)
    world.step()
    assert log.of(EnemySpawned) != []


def test_nothing_spawns_after_the_mission_ended(waves, make_world, content, record):
    ended = MissionState(outcome=Outcome.SUCCESS, ended_at_step=0)
    world, _, log = waves(mission=ended)
    world.run(20 * world.time.step_hz)
    assert log.of(EnemySpawned) == []
    battlefield = Battlefield.at_start(content.battlefield)
    battlefield.view_top = 0.0  # every scripted enemy is in reach
    world = make_world(
        content, battlefield, MissionState(outcome=Outcome.FAILURE), script_for(content)
    )
    world.add_system(MissionScriptSystem(), Phase.SPAWN, in_set=Spawning)
    log = record(world, EnemySpawned)
    world.run(10)
    assert log.of(EnemySpawned) == []
    assert world.query_one(Aircraft) == []


def test_an_ended_mission_leaves_the_script_where_it_was(scripted):
    world, battlefield, log = scripted
    battlefield.view_top = 0.0
    world.resource(MissionState).outcome = Outcome.SUCCESS
    world.step()
    assert world.resource(MissionScript).next_index == 0
    assert log.of(EnemySpawned) == []


def test_nothing_spawns_while_the_mission_is_held(waves, make_world, content, record):
    world, _, log = waves(mission=MissionState(held=True))
    world.run(20 * world.time.step_hz)
    assert log.of(EnemySpawned) == []
    battlefield = Battlefield.at_start(content.battlefield)
    battlefield.view_top = 0.0
    held = MissionState(held=True)
    world = make_world(content, battlefield, held, script_for(content))
    world.add_system(MissionScriptSystem(), Phase.SPAWN, in_set=Spawning)
    log = record(world, EnemySpawned)
    world.run(10)
    assert log.of(EnemySpawned) == []
    held.held = False
    world.step()
    assert len(log.of(EnemySpawned)) == len(content.script)


# -- never on top of each other (issue 13, bug 9) ------------------------------------------


def hull_gaps(world, content, entity):
    """Clearance (px) between `entity`'s hull and every other enemy's."""
    me = world.component(entity, Transform)
    mine = content.aircraft[world.component(entity, Aircraft).kind].radius
    gaps = []
    for other, (aircraft, transform) in world.query(Aircraft, Transform):
        if other == entity or aircraft.side is not Side.ENEMY:
            continue
        distance = math.hypot(transform.x - me.x, transform.y - me.y)
        gaps.append(distance - mine - content.aircraft[aircraft.kind].radius)
    return gaps


def test_two_scripted_enemies_at_one_spot_appear_one_above_the_other(make_world, content, record):
    script = (ScriptedEnemy("avenger", 0.0, 300.0), ScriptedEnemy("raptor", 0.0, 300.0))
    crowded = dataclasses.replace(content, script=script)
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(crowded, battlefield, MissionState(), script_for(crowded))
    world.add_system(MissionScriptSystem(), Phase.SPAWN, in_set=Spawning)
    log = record(world, EnemySpawned)
    battlefield.view_top = 0.0
    world.step()
    first, second = (event.entity for event in log.of(EnemySpawned))
    y = content.battlefield.start_view_top - 300.0
    assert world.component(first, Transform).y == y  # the first where the script says
    assert world.component(second, Transform).x == world.component(first, Transform).x
    assert world.component(second, Transform).y < y  # the second further ahead, clear
    assert min(hull_gaps(world, crowded, second)) >= SPAWN_GAP - 1e-6


def test_an_enemy_is_placed_clear_of_one_already_flying_there(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield, MissionState())
    flying = spawn_enemy(world, "avenger", 500.0, 4000.0)
    world.flush()
    placed = place_enemy(world, "raptor", 510.0, 4010.0)
    apart = place_enemy(world, "raptor", 700.0, 4000.0)  # nothing there: where it was asked
    world.flush()
    assert min(hull_gaps(world, content, placed)) >= SPAWN_GAP - 1e-6
    assert world.component(placed, Transform).x == 510.0
    assert world.component(placed, Transform).y < world.component(flying, Transform).y
    assert (world.component(apart, Transform).x, world.component(apart, Transform).y) == (
        700.0,
        4000.0,
    )


def test_clear_spot_clears_a_crowd_placed_in_one_step(make_world, content):
    battlefield = Battlefield.at_start(content.battlefield)
    world = make_world(content, battlefield, MissionState())
    crowd = [place_enemy(world, "raptor", 500.0 + 5 * i, 4000.0) for i in range(6)]
    world.flush()
    for entity in crowd:
        assert min(hull_gaps(world, content, entity)) >= SPAWN_GAP - 1e-6


@pytest.mark.parametrize("seed", [0, 2, 3])  # seeds whose waves once landed on other enemies
def test_over_a_whole_mission_no_enemy_appears_on_top_of_another(seed, content):
    world = shooter_world(Role.SERVER, seed=seed)
    try:
        for player_id in (1, 2):
            spawn_player(world, player_id)
        world.flush()
        fresh = []
        world.add_system(
            lambda w, dt: fresh.extend(e.entity for e in w.events.read(EnemySpawned)),
            Phase.NETWORK,
        )
        worst = math.inf
        for _ in range(80 * 60):
            fresh.clear()
            world.step()
            for entity in fresh:
                gaps = hull_gaps(world, content, entity)
                worst = min([worst, *gaps])
        assert worst >= SPAWN_GAP - 1e-6
    finally:
        world.close()
