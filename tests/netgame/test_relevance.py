"""The shooter's snapshot priorities: its own aircraft and the battlefield first, aircraft
near its own before far ones, bullets last; a spectator measures from the view's middle."""

from __future__ import annotations

from engine.net.views import ReplicationHooks
from game.net.relevance import AIRCRAFT, BULLET, TOP, shooter_priority
from game.net.schema import BattlefieldState
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Side
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_pickup


def test_a_player_gets_its_own_the_battlefield_and_what_is_near_first(harness):
    world = harness.server.world
    alice = harness.join("alice")
    harness.step(3)
    assert isinstance(world.resource(ReplicationHooks), ReplicationHooks)
    roster = world.resource(Roster)
    (seat,) = roster.seats.values()
    peer = seat.peer
    own = seat.entity
    x, y = world.resource(Battlefield).spec.view_width / 2, world.resource(Battlefield).view_top
    near = spawn_enemy(world, "raptor", x, y + 400)
    far = spawn_enemy(world, "raptor", x, y - 3000)
    bullet = spawn_bullet(world, "bullet_enemy", Side.ENEMY, x, y + 400, shooter=0)
    pickup = spawn_pickup(world, "health", x, y + 400)
    world.flush()
    battlefield = next(e for e, _ in world.query_one(BattlefieldState))
    things = [own, battlefield, near, far, bullet, pickup]
    got = dict(zip(things, shooter_priority(world, peer, things), strict=True))
    assert got[own] == got[battlefield] == TOP
    assert AIRCRAFT < got[far] < got[near] <= 2 * AIRCRAFT
    assert BULLET < got[bullet] < got[pickup] < got[near]
    assert alice.connected


def test_a_spectator_measures_from_the_middle_of_the_view(harness):
    world = harness.server.world
    harness.join("alice")
    harness.step(3)
    spectator = next(iter(world.resource(Roster).seats.values())).peer
    world.resource(Roster).seats.clear()  # as if it only watched
    battlefield = world.resource(Battlefield)
    middle = battlefield.view_top + battlefield.spec.view_height / 2
    inside = spawn_enemy(world, "raptor", battlefield.spec.view_width / 2, middle)
    outside = spawn_enemy(world, "raptor", 10, middle - 5000)
    world.flush()
    near, far = shooter_priority(world, spectator, [inside, outside])
    assert near == 2 * AIRCRAFT > far
