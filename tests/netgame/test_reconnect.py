"""A player whose link drops comes back within 30 s to its seats, aircraft, hit points,
missiles and place; its aircraft is held meanwhile; after 30 s the seat is freed as on a leave.

The server is the real GameServer on a manual clock. Players are the bare connections of
test_authority's Table (in memory: they send only what a test writes) and, once, real
GameClients over UDP (the Harness). A link is cut with an Outage: nothing gets through
either way; the client notices after the ticket's 5 s, and reconnects with a fresh
ticket from a new socket (a new address, as after a Wi-Fi change).
"""

from __future__ import annotations

import pytest

from engine.components import Transform
from engine.net.messages import RESUME_SECONDS, Welcome
from engine.net.replication import Replicated
from engine.net.sync import ClientNet
from game.net.protocol import (
    AcceptCoopPartner,
    PlayerAction,
    PlayerConnect,
    PlayerDisconnect,
    PlayerRealtimeChange,
    RequestCoopPartner,
    SpawnSelf,
    Spectating,
)
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Held, Player, PlayerInput, Projectile, Side, Weapon
from game.rules.mission import MissionState, restart_mission
from game.rules.spawn import spawn_bullet
from game.server import GameServer
from tests.netgame.conftest import Harness, calm
from tests.netgame.test_authority import STEP, Guest, Table, inputs

TIMEOUT = 5.0  # the ticket's: silence after which either end gives up on the other
ENEMY_BULLET = "bullet_enemy"


def run_until(table: Table, condition, seconds: float, what: str) -> float:
    """Step until `condition()`; the seconds it took. Fails after `seconds`."""
    for taken in range(round(seconds / STEP)):
        if condition():
            return taken * STEP
        table.step()
    raise AssertionError(f"waited {seconds} s for {what}")


def away(table: Table, player: Guest) -> bool:
    return any(p.name == player.name for p in table.server.net.away_peers())


def welcomes(player: Guest) -> list[Welcome]:
    return player.got(Welcome)


# -- coming back ------------------------------------------------------------------------------


def test_a_player_cut_off_for_10_s_comes_back_to_its_aircraft_as_it_left_it(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.send(RequestCoopPartner())
    table.step(3)
    world = table.world
    plane, partner = table.aircraft(alice), table.aircraft(alice, 1)
    world.component(plane, Health).hitpoints -= 7
    world.component(plane, Weapon).missiles = 1
    seat, net_id = table.seat(alice).player_id, world.component(plane, Replicated).net_id
    before = (world.component(plane, Health).hitpoints, world.component(plane, Weapon).missiles)
    battlefield = world.resource(Battlefield)
    where = world.component(plane, Transform)

    def in_view() -> tuple[float, float]:  # where it is on the screen
        return where.x, where.y - battlefield.view_top

    told_bob = len(bob.inbox)
    alice.outage.cut(10.0)  # her Wi-Fi is gone
    run_until(table, lambda: away(table, alice), TIMEOUT + 0.5, "the server to notice")
    assert world.has_component(plane, Held) and world.has_component(partner, Held)
    assert alice.net.reconnecting
    spot = in_view()  # where it was when its pilot's silence was noticed
    # Held: it keeps its place on the screen, and an enemy bullet goes through it.
    table.step(60)
    assert in_view() == pytest.approx(spot, abs=1e-6)
    shot = spawn_bullet(world, ENEMY_BULLET, Side.ENEMY, where.x, where.y, shooter=0)
    table.step(2)
    assert world.is_alive(shot) and world.component(shot, Projectile).side is Side.ENEMY
    assert world.component(plane, Health).hitpoints == before[0]
    run_until(table, lambda: alice.net.connected, 10.0, "alice to come back")
    assert in_view() == pytest.approx(spot, abs=1e-6)
    at_resume = (where.x, where.y)
    table.step(2)
    assert not world.has_component(plane, Held) and not world.has_component(partner, Held)
    assert table.aircraft(alice) == plane and table.aircraft(alice, 1) == partner
    assert table.seat(alice).player_id == seat
    assert world.component(plane, Replicated).net_id == net_id
    assert (world.component(plane, Health).hitpoints, world.component(plane, Weapon).missiles) == (
        before
    )
    last = welcomes(alice)[-1]
    assert last.resumed and len(welcomes(alice)) == 2
    # given again, where the server held it (within the step of scrolling since)
    again = alice.got(SpawnSelf)[-1]
    assert (again.aircraft, again.player_id) == (net_id, seat)
    assert (again.x, again.y) == pytest.approx(at_resume, abs=1.0)
    assert alice.got(AcceptCoopPartner)[-1].aircraft == world.component(partner, Replicated).net_id
    assert world.component(plane, Player).owner == last.client_id
    heard = bob.inbox[told_bob:]
    assert "alice reconnected" in [m.text for m in heard if hasattr(m, "text")]
    assert not [m for m in heard if isinstance(m, PlayerDisconnect | PlayerConnect)]
    assert "alice left" not in bob.said() and bob.said().count("alice joined") == 0
    assert "alice reconnected" in alice.said()


def test_an_away_players_commands_are_its_new_connections(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    plane = table.aircraft(alice)
    alice.outage.cut(10.0)
    run_until(table, lambda: alice.net.connected and alice.net.resumes, 15.0, "the comeback")
    table.step()
    net_id = table.world.component(plane, Replicated).net_id
    where = table.world.component(plane, Transform)
    step = table.world.time.step + 1000  # any step newer than those the old connection sent
    alice.send(inputs(step, net_id, where.x, where.y, fire=True))
    table.step(2)
    assert table.world.component(plane, PlayerInput).fire
    assert bob.got(PlayerRealtimeChange)[-1] == PlayerRealtimeChange(
        net_id, PlayerAction.FIRE, True
    )


def test_after_30_s_away_the_seat_is_freed_as_on_a_leave_and_the_line_moves(two_seats):
    table = two_seats
    alice, bob = table.sit("alice", resume_seconds=60.0), table.sit("bob")
    carol = table.connect("carol")
    assert carol.got(Spectating)[-1].place == 1
    seat = table.seat(alice).player_id
    alice.outage.cut(TIMEOUT + RESUME_SECONDS + 5.0)  # back only after the server gave up
    lost = run_until(table, lambda: away(table, alice), TIMEOUT + 0.5, "the timeout")
    assert "alice left" not in bob.said() and not carol.got(SpawnSelf)
    assert not table.world.resource(MissionState).held
    waited = run_until(table, lambda: "alice left" in bob.said(), RESUME_SECONDS + 1, "the lapse")
    assert RESUME_SECONDS - 0.1 <= waited <= RESUME_SECONDS + 0.1
    assert lost <= TIMEOUT + 0.5
    table.step(2)
    assert [m.player_id for m in bob.got(PlayerDisconnect)] == [seat]
    assert carol.got(SpawnSelf)[-1].player_id == seat  # the first in line takes the seat
    # Her client was still trying: back, but as a newcomer, now last in line.
    run_until(table, lambda: len(welcomes(alice)) == 2, 10.0, "alice to come back")
    table.step(2)
    assert not welcomes(alice)[-1].resumed
    assert alice.got(Spectating)[-1].place == 1 and "alice is watching" in bob.said()
    assert "alice reconnected" not in bob.said()


def test_a_spectator_keeps_its_place_in_line_but_a_seat_waits_for_nobody(two_seats):
    table = two_seats
    alice, bob = table.sit("alice"), table.sit("bob")
    carol, dave, erin = table.connect("carol"), table.connect("dave"), table.connect("erin")
    carol.outage.cut(10.0)
    run_until(table, lambda: away(table, carol), TIMEOUT + 0.5, "the timeout")
    assert table.world.resource(Roster).waiting[0].name == "carol"
    bob.leave()  # a seat frees while carol is away: the next one present takes it
    table.step(3)
    assert dave.got(SpawnSelf) and [m.place for m in erin.got(Spectating)] == [3, 2]
    run_until(table, lambda: carol.net.connected, 10.0, "carol to come back")
    table.step(2)
    assert carol.got(Spectating)[-1].place == 1  # still first in line
    assert "carol reconnected" in alice.said()
    alice.leave()
    table.step(3)
    assert carol.got(SpawnSelf) and not erin.got(SpawnSelf)


def test_a_mission_restarted_while_a_player_is_away_holds_its_new_aircraft_for_it(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.outage.cut(10.0)
    run_until(table, lambda: away(table, alice), TIMEOUT + 0.5, "the timeout")
    restart_mission(table.world)
    table.step(2)
    plane = table.aircraft(alice)
    assert table.world.has_component(plane, Held)
    run_until(table, lambda: alice.net.connected, 10.0, "alice to come back")
    table.step(2)
    assert not table.world.has_component(plane, Held)
    assert alice.got(SpawnSelf)[-1].aircraft == table.world.component(plane, Replicated).net_id
    assert bob.said().count("alice reconnected") == 1


def test_the_mission_is_not_held_for_a_lone_player_who_is_away_until_its_seat_lapses(table):
    alice = table.sit("alice", resume_seconds=0.0)  # her end gives up at once
    alice.outage.cut(3600.0)
    mission = table.world.resource(MissionState)
    run_until(table, lambda: away(table, alice), TIMEOUT + 0.5, "the timeout")
    table.step(60)
    assert not mission.held and table.world.resource(Roster).seats
    run_until(table, lambda: mission.held, RESUME_SECONDS, "the mission to be held")
    assert not table.world.resource(Roster).seats


def test_a_player_who_quits_is_gone_at_once(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.leave()
    table.step(2)
    assert bob.said()[-1] == "alice left" and table.server.net.away_peers() == []


# -- real clients over UDP ----------------------------------------------------------------------


def test_a_game_client_over_udp_comes_back_after_10_s_and_its_view_follows(harness):
    calm(harness.server.world)
    alice, bob = harness.join("alice"), harness.join("bob")
    harness.step(6)
    server = harness.server.world
    (plane,) = [s.entity for s in harness.server.roster.seats.values() if s.name == "alice"]
    server.component(plane, Health).hitpoints -= 5
    hitpoints = server.component(plane, Health).hitpoints
    harness.step(6)
    (mine,) = alice.own_aircraft().values()
    net_id = alice.world.component(mine, Replicated).net_id
    assert alice.world.component(mine, Health).hitpoints == hitpoints
    alice.control(move_x=1.0)  # flying right when the link goes
    harness.cut(alice, 10.0)
    harness.run_until(lambda: alice.reconnecting, steps=6 * 60, what="alice to notice")
    harness.step()
    assert alice.session.reconnecting and alice.world.has_component(mine, Held)
    held_at = alice.world.component(mine, Transform).x
    harness.step(30)
    assert alice.world.component(mine, Transform).x == held_at  # held: input moves nothing
    alice.control(move_x=0.0)  # hands off, so both ends agree on where it is once back
    bobs_view = bob.entity_of(net_id)
    harness.run_until(
        lambda: bob.world.has_component(bobs_view, Held), steps=60, what="bob to see it held"
    )
    harness.run_until(lambda: alice.connected, steps=8 * 60, what="alice to come back")
    harness.step(6)
    assert alice.own_aircraft() == {0: mine}  # the same entity, still hers
    assert not alice.session.reconnecting and not alice.world.has_component(mine, Held)
    assert alice.world.component(mine, Replicated).net_id == net_id
    assert alice.world.component(mine, Health).hitpoints == hitpoints
    at, there = alice.world.component(mine, Transform), server.component(plane, Transform)
    assert (at.x, at.y) == pytest.approx((there.x, there.y), abs=1.0)
    assert not bob.world.has_component(bobs_view, Held)
    assert "alice reconnected" in bob.session.broadcasts
    assert "alice left" not in bob.session.broadcasts
    assert alice.net.resumes == 1 and alice.world.resource(ClientNet).client is alice.net


def test_a_game_client_that_comes_back_too_late_starts_afresh(harness):
    calm(harness.server.world)
    alice = harness.join("alice")
    alice.net.resume_seconds = 60.0  # it keeps trying after the server gave up on it
    harness.join("bob")
    (old,) = alice.own_aircraft().values()
    old_id = alice.world.component(old, Replicated).net_id
    harness.cut(alice, TIMEOUT + RESUME_SECONDS + 3.0)
    harness.run_until(lambda: alice.reconnecting, steps=6 * 60, what="alice to notice")
    harness.run_until(
        lambda: alice.connected and alice.own_aircraft(), steps=40 * 60, what="a fresh join"
    )
    assert not alice.net.welcome.resumed and alice.net.resumes == 0
    harness.step(6)
    (new,) = alice.own_aircraft().values()
    assert alice.world.component(new, Replicated).net_id != old_id
    # What it showed of the lost game is gone: two aircraft, hers and bob's, not three.
    assert sorted(p.name for _, (p,) in alice.world.query(Player)) == ["alice", "bob"]
    assert "alice joined" in harness.clients[1].session.broadcasts


def test_a_game_client_whose_server_restarted_joins_the_new_one_afresh():
    harness = Harness(udp=False)
    try:
        alice = harness.join("alice")
        harness.step(120)  # the old server's ticks run ahead of a new server's
        (old,) = alice.own_aircraft().values()
        crashed = harness.server
        crashed.net.sockets[-1].close()  # its machine is gone: no goodbye
        harness.server = GameServer(listen=False, seed=12, clock=harness.clock)
        harness.server.join_memory_network(harness.network)  # back at the same address
        crashed.close()
        harness.run_until(lambda: alice.reconnecting, steps=6 * 60, what="alice to notice")
        harness.run_until(lambda: alice.connected, steps=10 * 60, what="alice to get in")
        harness.step(6)
        assert not alice.net.welcome.resumed
        assert not alice.world.is_alive(old)  # what it showed of the old game is gone
        (mine,) = alice.own_aircraft().values()
        assert [p.name for _, (p,) in alice.world.query(Player)] == ["alice"]
        assert alice.world.component(mine, Transform).y == pytest.approx(
            harness.server.world.component(harness.server.roster.seats[1].entity, Transform).y,
            abs=60,
        )
    finally:
        harness.close()
