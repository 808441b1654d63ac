"""Rules 14 and 15: the whole mission headless, and two worlds sharing one process."""

import dataclasses
from dataclasses import dataclass

import pytest

from engine import Phase
from engine.components import Transform
from game import sim
from game.rules.battlefield import Battlefield
from game.rules.components import Player
from game.rules.mission import MissionStarted, MissionState
from game.rules.systems.stats import MissionStats


def test_a_full_mission_ends_and_is_reproducible():
    first = sim.run(seconds=600, players=2, seed=7)
    second = sim.run(seconds=600, players=2, seed=7)
    assert first.outcome in ("success", "failure")
    assert first.steps < 600 * 60  # decided before the time limit
    assert dataclasses.replace(first, wall_seconds=0) == dataclasses.replace(second, wall_seconds=0)
    assert first.enemies_spawned > 0 and first.shots_fired > 0


@pytest.fixture
def built():
    worlds = []

    def build(players, seed):
        world = sim.build(players, seed)
        worlds.append(world)
        return world

    yield build
    for world in worlds:
        world.close()


def snapshot(world):
    players = sorted(
        (player.player_id, transform.x, transform.y)
        for _, (player, transform) in world.query(Player, Transform)
    )
    transforms = sorted(
        (entity, transform.x, transform.y, transform.angle)
        for entity, transform in world.query_one(Transform)
    )
    return {
        "step": world.time.step,
        "entities": world.entity_count(),
        "stats": dataclasses.replace(world.resource(MissionStats)),
        "view_top": world.resource(Battlefield).view_top,
        "players": players,
        "transforms": transforms,
        "rng": world.rng.getstate(),
    }


STEPS = 1200
SEEDS = (7, 8)


def test_two_worlds_stepped_in_turn_match_each_stepped_alone(built):
    a, b = built(2, SEEDS[0]), built(2, SEEDS[1])
    for _ in range(STEPS):
        a.step()
        b.step()
    together = [snapshot(a), snapshot(b)]
    alone = []
    for seed in SEEDS:
        world = built(2, seed)
        world.run(STEPS)
        alone.append(snapshot(world))
    assert together[0] == alone[0]
    assert together[1] == alone[1]
    assert together[0]["stats"].enemies_spawned > 0  # something happened worth comparing
    assert together[0]["transforms"] != together[1]["transforms"]  # the seeds do differ


@dataclass
class Marker:
    label: str


def test_an_entity_made_in_one_world_is_not_in_the_other(built):
    a, b = built(1, 1), built(1, 2)
    entity = a.create(Marker("a"), Transform(1.0, 2.0))
    assert a.component(entity, Marker) == Marker("a")
    assert b.query_one(Marker) == []
    assert b.try_component(entity, Marker) is None
    b.step()
    a.step()
    assert b.query_one(Marker) == []
    assert a.query_one(Marker) == [(entity, Marker("a"))]


def test_the_sim_uses_the_rules_lifecycle_and_starts_its_mission_unheld():
    world = sim.build(players=1, seed=3)
    try:
        seen = []
        world.add_system(lambda w, dt: seen.extend(w.events.read(MissionStarted)), Phase.NETWORK)
        mission = world.resource(MissionState)
        assert not mission.held and mission.running and mission.number == 1
        world.step()
        assert seen == [MissionStarted(1)]
    finally:
        world.close()


def test_the_summary_carries_each_players_score():
    summary = sim.run(seconds=40, players=2, seed=3)
    assert [s.name for s in summary.scores] == ["autopilot-1", "autopilot-2"]
    assert sum(s.kills for s in summary.scores) == summary.enemies_destroyed
    lines = [line for line in summary.lines() if line.startswith("score of ")]
    first = summary.scores[0]
    assert lines[0] == (
        f"score of autopilot-1: {first.points} ({first.kills} kills, {first.accuracy:.0%} of "
        f"{first.shots} shots hit, {first.damage_taken} damage taken)"
    )
