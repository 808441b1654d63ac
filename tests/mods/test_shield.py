"""The shield mod: its systems alone, then over real TCP with a server and two clients."""

from __future__ import annotations

import pytest

from engine import Phase
from engine.components import Transform
from engine.mods import load_mod, load_mods
from engine.movement import MovementPlugin
from engine.net.messages import RejectReason
from engine.physics import PhysicsPlugin
from engine.testing import run, world_with
from examples.mods.shield import Shield, ShieldPlugin
from game.api import Health, PickupTaken, ShooterPlugin
from game.net.client import GameClient
from game.net.seats import Roster
from game.rules.components import Side
from game.rules.spawn import spawn_bullet, spawn_player
from tests.netgame.conftest import Harness

MOD = "examples.mods.shield"


@pytest.fixture
def world():
    made = world_with(MovementPlugin(), PhysicsPlugin(), ShooterPlugin(), ShieldPlugin())
    yield made
    made.close()


def test_a_shield_absorbs_damage_before_hit_points(world):
    player = spawn_player(world, 1)
    world.flush()
    world.add_component(player, Shield(6, 50))
    at = world.component(player, Transform)
    spawn_bullet(world, "bullet_enemy", Side.ENEMY, at.x, at.y, 0)  # 10 damage
    run(world)
    assert world.component(player, Shield).points == 0
    assert world.component(player, Health).hitpoints == 100 - (10 - 6)


def test_taking_a_shield_pickup_charges_up_to_capacity(world):
    player = spawn_player(world, 1)
    world.flush()

    def take(w, dt):
        w.events.emit(PickupTaken(player, "shield"))

    from engine.phases import Phase
    from examples.mods.shield import ShieldChargeSystem

    world.add_system(take, Phase.RESOLVE, before=ShieldChargeSystem)
    run(world, 2)
    shield = world.component(player, Shield)
    assert shield.points == shield.capacity == 50  # two charges of 50, capped at 50


def test_the_mod_makes_shield_a_pickup_enemies_can_drop(world):
    from game.api import GameContent

    assert world.resource(GameContent).pickups["shield"].effect == "none"


def test_shields_replicate_to_every_client_over_tcp():
    mods = load_mods([MOD], installed=False)
    harness = Harness(mods=mods, seed=3)
    try:
        clients = []
        for name in ("alice", "bob"):
            client = harness.connect(name)
            harness.run_until(lambda c=client: bool(c.own_aircraft()), what=name)
            clients.append(client)
        seat = next(
            s for s in harness.server.world.resource(Roster).seats.values() if s.name == "alice"
        )
        harness.server.world.add_component(seat.entity, Shield(37, 50))
        harness.step(6)
        for client in clients:
            entity = client.entity_of(seat.net_id)
            assert client.world.component(entity, Shield) == Shield(37, 50)
        harness.server.world.component(seat.entity, Shield).points = 12
        harness.step(3)
        assert clients[1].world.component(clients[1].entity_of(seat.net_id), Shield).points == 12
    finally:
        harness.close()


def test_a_client_without_the_mod_is_told_which_mod_it_lacks():
    mods = load_mods([MOD], installed=False)
    harness = Harness(mods=mods, seed=3)
    try:
        host, port = harness.address
        plain = GameClient.connect(host, port, "plain", clock=harness.clock)  # without the mod
        harness.clients.append(plain)
        harness.run_until(lambda: plain.net.closed, what="the reject")
        assert plain.net.rejected.reason is RejectReason.SCHEMA
        assert f"missing mods: {MOD}@1.0" in plain.close_reason
    finally:
        harness.close()


def test_the_mod_module_loads_by_name_with_its_version():
    mod = load_mod(MOD)
    assert mod.ident == f"{MOD}@1.0"
    assert isinstance(mod.make_plugin(), ShieldPlugin)


def test_the_shield_slots_in_between_damage_and_deaths():
    world = world_with(MovementPlugin(), PhysicsPlugin(), ShooterPlugin(), ShieldPlugin())
    try:
        assert [type(s).__name__ for s in world.systems(Phase.RESOLVE)] == [
            "CombatSystem",
            "PickupCollectSystem",
            "ShieldChargeSystem",
            "ShieldAbsorbSystem",
            "DeathSystem",
        ]
    finally:
        world.close()
