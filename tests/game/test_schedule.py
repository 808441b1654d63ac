"""The game's systems in their sets: the order each phase runs in, on either side."""

from __future__ import annotations

import pytest

from engine import Phase, Role
from game.rules.plugin import shooter_world


def names(world, phase):
    return [type(system).__name__ for system in world.systems(phase)]


@pytest.fixture
def server():
    world = shooter_world(Role.SERVER)
    yield world
    world.close()


def test_the_server_runs_its_systems_in_the_games_order(server):
    assert names(server, Phase.SIMULATE) == [
        "ScrollSystem",
        "PlayerControlSystem",
        "FlightPatternSystem",
        "HomingSystem",
        "MovementSystem",
        "HoldSystem",
        "ClampToViewSystem",
        "WeaponSystem",
    ]
    assert names(server, Phase.COLLIDE) == ["CollisionSystem"]
    assert names(server, Phase.RESOLVE) == ["CombatSystem", "PickupCollectSystem", "DeathSystem"]
    assert names(server, Phase.SPAWN) == [
        "PickupDropSystem",
        "MissionScriptSystem",
        "WaveSystem",
        "CullSystem",
        "MissionStatusSystem",
        "StatsSystem",
        "ScoreSystem",
        "MissionRestartSystem",
    ]
    assert server.systems(Phase.PRESENT) == []


def test_a_client_predicts_with_scroll_control_movement_and_clamp():
    client = shooter_world(Role.CLIENT)
    try:
        assert names(client, Phase.SIMULATE) == [
            "ScrollSystem",
            "PlayerControlSystem",
            "MovementSystem",
            "ClampToViewSystem",
        ]
    finally:
        client.close()
