"""The campaign in the rules alone: a mission won leads to the next, a mission lost is flown
again, the last leads back to the first; each mission brings its own script, waves and
length; a campaign can begin at any mission."""

from __future__ import annotations

import pytest

from engine import Role
from engine.components import Transform
from game.rules.battlefield import Battlefield
from game.rules.campaign import Campaign, mission_title
from game.rules.components import Health, Player
from game.rules.content import GameContent
from game.rules.mission import RESTART_DELAY, MissionState, start_mission
from game.rules.plugin import shooter_world
from game.rules.spawn import spawn_player
from game.rules.systems.spawning import MissionScript

PAUSE_STEPS = round(RESTART_DELAY * 60) + 2


@pytest.fixture
def rules():
    world = shooter_world(Role.SERVER, seed=3)
    start_mission(world)
    yield world
    world.close()


def end(world, *, won: bool) -> None:
    """End the mission (won: a player over the finish line; lost: every player shot down),
    then wait out the pause until the next one begins."""
    number = world.resource(MissionState).number
    player = spawn_player(world, 1)
    world.flush()
    if won:
        battlefield = world.resource(Battlefield)
        battlefield.view_top = 0.0
        world.component(player, Transform).y = battlefield.spec.finish_line_y - 1
    else:
        world.step()  # a player flew
        for _, (_, health) in world.query(Player, Health):
            health.hitpoints = 0
    for _ in range(PAUSE_STEPS + 2):
        world.step()
        if world.resource(MissionState).number > number:
            return
    raise AssertionError("the next mission did not begin")


def playing(world) -> str:
    return world.resource(GameContent).mission


def test_a_mission_won_leads_to_the_next_and_the_last_back_to_the_first(rules):
    assert playing(rules) == "sea"
    end(rules, won=True)
    assert playing(rules) == "coast"
    end(rules, won=True)
    assert playing(rules) == "storm"
    end(rules, won=True)
    assert playing(rules) == "sea"  # the campaign complete, it begins again


def test_a_mission_lost_is_flown_again(rules):
    end(rules, won=True)
    end(rules, won=False)
    assert playing(rules) == "coast"
    end(rules, won=False)
    assert playing(rules) == "coast"
    assert rules.resource(Campaign).number == 2


def test_the_next_mission_brings_its_own_script_waves_and_length(rules):
    end(rules, won=True)
    content = rules.resource(GameContent)
    coast = content.missions["coast"]
    assert content.script == coast.script and content.waves == coast.waves
    battlefield = rules.resource(Battlefield)
    assert battlefield.spec.world_height == coast.length
    assert battlefield.view_top == coast.length - battlefield.spec.view_height  # its start
    assert sorted(rules.resource(MissionScript).pending, key=id) == sorted(coast.script, key=id)


def test_a_campaign_begins_at_the_mission_named():
    world = shooter_world(Role.SERVER, seed=3, mission="storm")
    try:
        storm = world.resource(GameContent).missions["storm"]
        assert playing(world) == "storm"
        assert world.resource(Battlefield).view_top == storm.length - 768
        assert len(world.resource(MissionScript).pending) == len(storm.script)
        assert mission_title(world) == "Mission 3: The Night Storm"
        start_mission(world)
        end(world, won=True)
        assert playing(world) == "sea" and mission_title(world) == "Mission 1: The Sea"
    finally:
        world.close()


def test_an_unknown_mission_is_refused_with_the_valid_names():
    with pytest.raises(ValueError) as caught:
        shooter_world(Role.SERVER, mission="moon")
    assert str(caught.value) == "mission must be one of sea, coast, storm, got 'moon'"
