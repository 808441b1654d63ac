"""What game.api gives mods beyond the courier's use: kinds in code, the mission's lifecycle
events and objectives across missions, announcements, HUD regions, --mod on the sim."""

from __future__ import annotations

import pytest

from engine import Phase
from engine.hooks import HudRegions
from engine.testing import run
from game.api import (
    Aircraft,
    Announced,
    GameContent,
    Health,
    Look,
    Looks,
    MissionRestarted,
    MissionStarted,
    add_enemy_kind,
    add_objective,
    add_projectile_kind,
    announce,
    bare_world,
    complete_objective,
    objective_met,
    spawn_enemy,
)
from game.rules.mission import restart_mission, start_mission


@pytest.fixture
def world():
    made = bare_world()
    yield made
    made.close()


def test_an_enemy_kind_added_in_code_is_what_spawn_enemy_makes(world):
    add_projectile_kind(world, "spark", damage=3, speed=200.0)
    add_enemy_kind(world, "kite", hitpoints=30, speed=90.0, bullet="spark", fire_interval=1.0,
                   pattern=((0.0, 100.0),), draw=print)  # fmt: skip
    entity = spawn_enemy(world, "kite", 100, 100)
    world.flush()
    assert world.component(entity, Aircraft).kind == "kite"
    assert world.component(entity, Health).max_hitpoints == 30
    assert world.resource(GameContent).aircraft["kite"].bullet == "spark"
    assert Looks.of(world).enemies["kite"] == Look(draw=print)


@pytest.mark.parametrize("name", ["", "a-name-of-17-byte", "raptor"])
def test_an_enemy_kind_needs_a_short_new_name(world, name):
    with pytest.raises(ValueError, match="kind"):
        add_enemy_kind(world, name, hitpoints=1, speed=1.0)


def test_an_unknown_bullet_is_refused(world):
    with pytest.raises(ValueError, match="no projectile kind 'nope'"):
        add_enemy_kind(world, "kite", hitpoints=1, speed=1.0, bullet="nope")


def test_a_restart_says_so_and_every_mission_starts_with_its_objectives_unmet(world):
    events = []

    def spy(w, dt):
        events.extend(w.events.read(MissionRestarted))
        events.extend(w.events.read(MissionStarted))

    world.add_system(spy, Phase.NETWORK)
    add_objective(world, "beacon")
    start_mission(world)
    run(world)
    complete_objective(world, "beacon")
    assert objective_met(world, "beacon")
    restart_mission(world)
    run(world)
    assert events == [MissionStarted(1), MissionRestarted(1), MissionStarted(2)]
    assert not objective_met(world, "beacon")  # a new mission: met again from scratch


def test_announce_without_a_network_is_an_event_and_a_long_line_is_cut(world):
    said = []
    world.add_system(lambda w, dt: said.extend(w.events.read(Announced)), Phase.NETWORK)
    world.add_system(lambda w, dt: announce(w, "é" * 200), Phase.SPAWN)
    run(world)
    assert said == [Announced("é" * 127)]  # 254 bytes: the 128th would not fit in 255


def test_hud_regions_hand_out_rows_from_the_bottom_until_full(world):
    regions = HudRegions.of(world)
    regions.free = {"left": (14, 176, 250, 100)}
    assert regions.take("left", 44) == (14, 232, 250, 44)
    assert regions.take("left", 44) == (14, 188, 250, 44)
    assert regions.take("left", 44) is None
    assert regions.take("nowhere", 1) is None


def test_the_sim_builds_its_mods_into_the_world():
    from game.sim import build

    made = build(1, 0, mods=["examples.mods.shield"])
    try:
        assert "shield" in made.plugins
    finally:
        made.close()
