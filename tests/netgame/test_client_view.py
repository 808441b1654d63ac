"""What a GameClient makes of the server's word: failures, holds, corrections, the view.

One server and GameClients over in-memory links, on one manual clock.
"""

from __future__ import annotations

import pytest

from engine.components import Transform
from game.net.protocol import Outcome8, PlayerInputs
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Player, PlayerInput
from game.rules.content import load_content
from game.rules.mission import RESTART_DELAY, MissionState
from tests.netgame.conftest import Harness

STEP = 1 / 60
FIELD = load_content().battlefield


class Game(Harness):
    """One server and GameClients over in-memory links (no socket), on one manual clock."""

    def __init__(self, max_players: int = 4) -> None:
        super().__init__(max_players, seed=5, udp=False)
        self.world = self.server.world

    def server_aircraft(self, name: str) -> int:
        roster = self.world.resource(Roster)
        return next(s.entity for s in roster.seats.values() if s.name == name)


@pytest.fixture
def game():
    made = Game()
    yield made
    made.close()


def test_a_mission_failure_is_shown_on_every_client(game):
    alice, bob = game.join("alice"), game.join("bob")
    game.step(10)
    for _, (_player, health) in game.world.query(Player, Health):
        health.hitpoints = 0  # both aircraft lost
    game.step(3)
    for client in (alice, bob):
        assert client.session.outcome is Outcome8.FAILURE
        assert client.session.mission_ends == 1
        assert client.world.resource(MissionState).held  # the client stops its battlefield
    game.step(90)  # ... and shows the server's, which still climbs during the pause
    theirs = game.world.resource(Battlefield).view_top
    for client in (alice, bob):
        mine = client.world.resource(Battlefield).view_top
        assert abs(mine - theirs) <= FIELD.scroll_speed * 3 / 60 + 0.125  # a snapshot behind
    game.step(round(RESTART_DELAY / STEP) - 80)
    assert alice.session.mission_ends == 1
    assert not alice.world.resource(MissionState).held
    assert len(alice.own_aircraft()) == 1


def test_a_client_follows_the_servers_view_and_snaps_only_when_far_off(game):
    alice = game.join("alice")
    game.step(6)
    mine = alice.world.resource(Battlefield)
    theirs = game.world.resource(Battlefield)
    assert mine.view_top == pytest.approx(theirs.view_top, abs=FIELD.scroll_speed * 0.2)
    before = mine.view_top - theirs.view_top
    mine.view_top += 8  # a little behind: left to scroll on its own
    game.step(1)
    assert mine.view_top - theirs.view_top - before > 6
    mine.view_top += 40  # far behind: snapped to the server's
    game.step(3)
    assert mine.view_top == pytest.approx(theirs.view_top, abs=FIELD.scroll_speed * 0.2)


def test_a_client_holds_its_view_where_the_held_server_is(game):
    alice = game.join("alice")
    bob = game.join("bob")
    game.step(60)
    game.paused.add(id(bob))  # bob watches what the server does once alice leaves ...
    alice.close()
    game.step(3)
    # ... and bob is still connected: the mission goes on for him
    assert not game.world.resource(MissionState).held
    game.paused.discard(id(bob))
    bob.close()
    game.step(3)
    assert game.world.resource(MissionState).held
    assert game.world.resource(Battlefield).view_top == FIELD.start_view_top
    carol = game.join("carol")
    game.step(3)
    view = carol.world.resource(Battlefield)
    assert view.view_top == pytest.approx(FIELD.start_view_top, abs=FIELD.scroll_speed * 0.2)
    assert carol.world.component(carol.own_aircraft()[0], Player).player_id == 1


def test_a_correction_is_eased_in_a_fifth_at_a_time_then_settles_exactly(game):
    alice = game.join("alice")
    game.step(30)
    plane = alice.world.component(alice.own_aircraft()[0], Transform)
    server_plane = game.world.component(game.server_aircraft("alice"), Transform)
    net_id = next(iter(alice.session.own))
    game.paused.add(id(alice))
    game.step(60)  # alice is quiet: her budget on the server rests
    game.paused.discard(id(alice))
    start_x = plane.x
    # Half a second on from her clock: as if her last ticks were lost, the most it may cover.
    step = alice.world.time.step + 30
    alice.net.send(PlayerInputs.pack(step, 3, {net_id: (0, [(start_x - 1000, plane.y, False)])}))
    alice.net.flush(game.clock.now())
    game.clock.advance(STEP)
    game.server.step()  # clamped to the budget: corrected
    target_x = server_plane.x
    assert target_x < start_x - 100
    alice.step()  # the correction arrives: a fifth of it at once
    assert alice.session.corrections == 1
    assert plane.x == pytest.approx(start_x + (target_x - start_x) * 0.2)
    alice.step()
    assert plane.x == pytest.approx(start_x + (target_x - start_x) * (1 - 0.8**2))
    game.step(60)
    assert plane.x == pytest.approx(server_plane.x, abs=0.2)  # client and server agree
    assert plane.x < start_x - 100


def test_a_spectator_is_told_its_place_and_loses_it_when_seated(game):
    one_seat = Game(max_players=1)
    try:
        alice = one_seat.join("alice")
        bob = one_seat.connect("bob")
        one_seat.step(6)
        assert bob.session.spectating == 1 and bob.session.seats == 1
        assert "bob is watching" in alice.session.broadcasts
        alice.close()
        one_seat.step(6)
        assert bob.session.spectating == 0 and len(bob.own_aircraft()) == 1
        assert "alice left" in bob.session.broadcasts
    finally:
        one_seat.close()


def test_a_partners_aircraft_is_flown_from_seat_1(game):
    alice = game.join("alice")
    alice.request_partner()
    game.step(6)
    assert sorted(alice.own_aircraft()) == [0, 1]
    assert sorted(alice.session.own.values()) == [0, 1]
    partner = alice.own_aircraft()[1]
    before = alice.world.component(partner, Transform).x
    roster = game.world.resource(Roster)
    seats = {s.local_index: s.entity for s in roster.seats.values() if s.peer.name == "alice"}
    on_server = {i: game.world.component(e, Transform) for i, e in seats.items()}
    server_before = {i: t.x for i, t in on_server.items()}
    alice.control(1, move_x=1.0, fire=True)
    game.step(6)
    assert alice.world.component(partner, Transform).x > before + 5
    assert on_server[1].x > server_before[1] + 5  # both positions go in each update
    assert on_server[0].x == server_before[0]
    assert game.world.component(seats[1], PlayerInput).fire
    assert not game.world.component(seats[0], PlayerInput).fire
    alice.control(0, fire=True)
    alice.control(1, fire=False)
    game.step(4)  # the next tick's PlayerInputs carries both
    assert game.world.component(seats[0], PlayerInput).fire
    assert not game.world.component(seats[1], PlayerInput).fire


def test_a_client_sees_its_aircraft_as_its_own_connections_with_its_name(game):
    alice, bob = game.join("alice"), game.join("bob")
    game.step(6)
    for client, name, player_id in ((alice, "alice", 1), (bob, "bob", 2)):
        player = client.world.component(client.own_aircraft()[0], Player)
        assert (player.name, player.player_id, player.local_index) == (name, player_id, 0)
        assert player.owner == client.net.welcome.client_id
    assert alice.net.welcome.client_id != bob.net.welcome.client_id
    assert {name for name, _, _ in alice.players().values()} == {"alice", "bob"}


def test_a_server_aircraft_stays_where_its_client_put_it(game):
    alice = game.join("alice")
    game.paused.add(id(alice))  # no updates from alice: the server does not fly her aircraft
    game.step(2)  # (her last update, still on its way)
    where = game.world.component(game.server_aircraft("alice"), Transform)
    before = (where.x, where.y)
    game.step(30)
    assert (where.x, where.y) == before


def test_a_player_who_comes_in_between_missions_sees_the_results_too(game):
    alice = game.join("alice")
    game.step(10)
    for _, (_player, health) in game.world.query(Player, Health):
        health.hitpoints = 0
    game.step(3)
    assert alice.session.mission_ends == 1
    game.step(60)  # a second into the pause between missions
    bob = game.join("bob")
    game.step(3)
    assert bob.session.outcome is Outcome8.FAILURE and bob.session.mission_ends == 1
    assert alice.session.mission_ends == 1  # told once
    game.step(round(RESTART_DELAY / STEP))
    assert not bob.world.resource(MissionState).held  # and the next mission goes on for both
    assert bob.session.mission_ends == 1
