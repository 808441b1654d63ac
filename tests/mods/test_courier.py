"""The courier mod: its content from TOML, its systems alone, a game system alone with its
enemy, the objective holding the mission, and the mod over the loopback and over real UDP."""

from __future__ import annotations

import shutil

import pygame
import pytest

from engine import Phase, Role
from engine.components import Transform
from engine.data import DataError
from engine.hooks import DrawHooks, HudRegions
from engine.mods import load_mods
from engine.movement import MovementPlugin
from engine.net.replication import Replicated
from engine.physics import PhysicsPlugin
from engine.testing import run, world_with
from examples.mods.courier import (
    DATA,
    KIND,
    OBJECTIVE,
    Courier,
    CourierPlugin,
    CourierSettings,
    Stage,
    StageSystem,
    load_settings,
)
from game.api import (
    Aircraft,
    Announced,
    CombatSystem,
    Damaged,
    Deaths,
    GameContent,
    Health,
    MissionEnding,
    MissionState,
    Outcome,
    ShooterPlugin,
    Weapon,
    bare_world,
    load_kinds,
    objective_met,
    replicates,
    shooter_network,
    spawn_enemy,
)
from game.rules.battlefield import Battlefield
from game.rules.mission import start_mission
from game.rules.spawn import spawn_player
from tests.netgame.conftest import Harness

MOD = "examples.mods.courier"


def courier_in(world):
    return next(entity for entity, _ in world.query(Courier, Health))


# -- content -------------------------------------------------------------------------------


def test_the_courier_and_its_shot_come_from_the_mods_toml():
    world = bare_world()
    try:
        load_kinds(world, DATA)
        content = world.resource(GameContent)
        assert content.aircraft[KIND].hitpoints == 400
        assert content.aircraft[KIND].side == "enemy"
        assert content.projectiles["courier_shot"].damage == 8
    finally:
        world.close()


def test_a_bad_value_in_the_mods_toml_names_the_file_and_the_key(tmp_path):
    broken = tmp_path / "courier.toml"
    shutil.copy(DATA, broken)
    broken.write_text(broken.read_text().replace("hitpoints = 400", "hitpoints = 0"))
    world = bare_world()
    try:
        with pytest.raises(DataError, match=r"courier\.toml: enemies\.courier\.hitpoints: must"):
            load_kinds(world, broken)
    finally:
        world.close()


def test_a_mod_cannot_take_a_kind_the_game_has(tmp_path):
    clash = tmp_path / "clash.toml"
    clash.write_text("[projectiles.missile]\ndamage = 1\nspeed = 1.0\nradius = 1.0\n")
    world = bare_world()
    try:
        with pytest.raises(DataError, match=r"clash\.toml: projectiles\.missile: .*already"):
            load_kinds(world, clash)
    finally:
        world.close()


# -- its systems alone -----------------------------------------------------------------------


@pytest.fixture
def staged():
    """A bare world with the courier's content and only its StageSystem."""
    world = bare_world()
    load_kinds(world, DATA)
    world.insert_resource(load_settings())
    world.add_system(StageSystem(), Phase.RESOLVE)
    entity = spawn_enemy(world, KIND, 400, 100)
    world.add_component(entity, Courier())  # right after spawn: kept (they compose)
    world.flush()
    yield world, entity
    world.close()


def test_hurt_the_courier_evades_and_fires_then_flees_and_stops(staged):
    world, entity = staged
    settings = world.resource(CourierSettings)
    health = world.component(entity, Health)
    assert not world.has_component(entity, Weapon)  # it cruises unarmed
    health.hitpoints = int(health.max_hitpoints * 0.5)
    seen = []
    world.add_system(lambda w, dt: seen.extend(w.events.read(Announced)), Phase.NETWORK)
    run(world)
    assert world.component(entity, Courier).stage is Stage.EVADE
    assert world.component(entity, Weapon).fire_interval == settings.evade_fire_interval
    assert [a.text for a in seen] == ["The courier is hit: it evades and shoots back!"]
    health.hitpoints = 1
    run(world)
    assert world.component(entity, Courier).stage is Stage.FLEE
    assert not world.has_component(entity, Weapon)
    health.hitpoints = max(health.hitpoints, 399)  # healed: it stays fleeing, says nothing
    run(world)
    assert world.component(entity, Courier).stage is Stage.FLEE
    assert len(seen) == 2


def test_a_ram_takes_the_couriers_remaining_hit_points_combat_alone():
    """One of the game's systems in isolation: CombatSystem, with collisions only."""
    world = bare_world(MovementPlugin(), PhysicsPlugin())
    try:
        load_kinds(world, DATA)
        world.add_system(CombatSystem(), Phase.RESOLVE)
        damage = []
        world.add_system(lambda w, dt: damage.extend(w.events.read(Damaged)), Phase.SPAWN)
        player = spawn_player(world, 1)
        world.flush()
        at = world.component(player, Transform)
        courier = spawn_enemy(world, KIND, at.x, at.y)
        run(world, 2)
        remaining = world.component(courier, Health).max_hitpoints
        assert world.component(courier, Health).hitpoints == 0
        assert world.component(player, Health).hitpoints == 100 - remaining
        assert {(d.entity, d.source) for d in damage} == {(player, courier), (courier, player)}
    finally:
        world.close()


# -- the objective --------------------------------------------------------------------------


@pytest.fixture
def game():
    world = world_with(MovementPlugin(), PhysicsPlugin(), ShooterPlugin(), CourierPlugin())
    start_mission(world)
    yield world
    world.close()


def test_every_mission_launches_a_courier(game):
    run(game)
    courier = courier_in(game)
    assert game.component(courier, Aircraft).kind == KIND
    view_top = game.resource(Battlefield).view_top
    assert view_top < game.component(courier, Transform).y < view_top + 300


def test_the_finish_line_waits_for_the_courier(game):
    run(game)
    player = spawn_player(game, 1)
    run(game)
    battlefield = game.resource(Battlefield)
    battlefield.view_top = 0.0  # the end of the climb: the finish line is in view
    finish = battlefield.spec.finish_line_y
    events = []
    game.add_system(lambda w, dt: events.extend(w.events.read(MissionEnding)), Phase.NETWORK)
    said = []
    game.add_system(lambda w, dt: said.extend(w.events.read(Announced)), Phase.NETWORK)
    game.component(player, Transform).y = finish - 10  # over the line
    run(game, 3)
    mission = game.resource(MissionState)
    assert mission.running
    assert events == [MissionEnding(Outcome.SUCCESS, (OBJECTIVE,))]  # once, not every step
    assert [a.text for a in said] == ["Not yet: the courier still flies!"]

    courier = courier_in(game)

    def shoot_down(w, dt):
        if w.is_alive(courier):
            w.component(courier, Health).hitpoints = 0
            w.events.emit(Damaged(courier, 400, player, player))

    game.add_system(shoot_down, Phase.RESOLVE, before=Deaths)
    for _ in range(3):
        game.component(player, Transform).y = finish - 10  # the player holds past the line
        run(game)
    assert objective_met(game, OBJECTIVE)
    assert mission.outcome is Outcome.SUCCESS


# -- over the network -----------------------------------------------------------------------


def test_the_courier_replicates_and_every_hud_shows_it_in_a_free_region():
    net = shooter_network(lambda: [CourierPlugin()], clients=2)
    try:
        net.step(12)  # handshakes, seats, the mission starts, the courier launches
        assert replicates(net.server, Courier)
        courier = courier_in(net.server)
        net.server.component(courier, Health).hitpoints = 100
        net.step(6)
        net_id = net.server.component(courier, Replicated).net_id
        for index, client in enumerate(net.clients):
            entity = net.client_entity(index, net_id)
            assert client.component(entity, Courier).stage is Stage.FLEE
            assert client.component(entity, Health).hitpoints == 100
            assert client.component(entity, Aircraft).kind == KIND
        client = net.clients[0]
        surface = pygame.Surface((1024, 768))
        HudRegions.of(client).free = {"left": (14, 176, 250, 400)}
        for layer in DrawHooks.of(client).hud:
            layer(surface, client)
        assert HudRegions.of(client).free["left"] == (14, 176, 250, 356)  # 44 px taken
        assert surface.get_at((20, 176 + 356 + 22 + 6))[:3] == (230, 120, 60)  # the bar
    finally:
        net.close()


def test_the_renderer_draws_the_courier_with_the_mods_look():
    from game.client.render import WorldRenderer

    world = world_with(
        MovementPlugin(), PhysicsPlugin(), ShooterPlugin(), CourierPlugin(), role=Role.CLIENT
    )
    try:
        view_top = world.resource(Battlefield).view_top
        world.create(Transform(500, view_top + 300), Aircraft(KIND, 1))
        surface = pygame.Surface((1024, 768))
        WorldRenderer().draw(surface, world)
        assert surface.get_at((500, 300 + 20))[:3] == (200, 60, 50)  # the red gondola
    finally:
        world.close()


def test_the_courier_over_real_udp_with_the_mod_on_both_sides():
    mods = load_mods([MOD], installed=False)
    harness = Harness(mods=mods, seed=3)
    try:
        client = harness.connect("alice")
        harness.run_until(lambda: bool(client.own_aircraft()), what="alice's aircraft")
        harness.run_until(lambda: bool(client.world.query(Courier)), what="the courier")
        ((_, (courier, aircraft)),) = client.world.query(Courier, Aircraft)
        assert (courier.stage, aircraft.kind) == (Stage.CRUISE, KIND)
    finally:
        harness.close()
