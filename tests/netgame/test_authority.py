"""The server's authority, seen by players that send exactly what a test tells them to.

Each player here is a bare NetClient over an in-memory link (no game systems of its
own): it sends only the messages a test writes, and keeps every message the server
sends it, in order (across reconnections: its link can be cut, `player.outage`). The
server is the real GameServer on a manual clock.
"""

from __future__ import annotations

import pytest

from engine.components import Transform
from engine.net.client import NetClient
from engine.net.datagrams import MemoryNetwork
from engine.net.messages import MAX_NAME_BYTES, BroadcastMessage
from engine.net.replication import Replicated
from engine.testing import Outage
from engine.time import ManualClock
from game.net.budget import BUDGET_SECONDS, SPEED_TOLERANCE, MoveBudget
from game.net.commands import NO_SEAT_FOR_PARTNER
from game.net.protocol import (
    AcceptCoopPartner,
    Explosion,
    GameEvent,
    GameEventKind,
    MissionEnd,
    Outcome8,
    PickupCollected,
    PlayerAction,
    PlayerConnect,
    PlayerDisconnect,
    PlayerEvent,
    PlayerInputs,
    PlayerRealtimeChange,
    PositionCorrection,
    RequestCoopPartner,
    SpawnSelf,
    Spectating,
)
from game.net.schema import BattlefieldState
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Health, Pickup, Player, PlayerInput, Projectile, Side, Weapon
from game.rules.content import load_content
from game.rules.mission import RESTART_DELAY, MissionState
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_pickup
from game.rules.systems.stats import MissionStats
from game.server import GameServer

STEP = 1 / 60
CONTENT = load_content()
FIELD = CONTENT.battlefield
EAGLE = CONTENT.aircraft[CONTENT.player_aircraft]
TOP_SPEED = (EAGLE.speed + FIELD.scroll_speed) * SPEED_TOLERANCE  # px/s a check allows
BUDGET = TOP_SPEED * BUDGET_SECONDS  # px an aircraft may cover at once after a rest


class Guest:
    """A connection that sends only what it is told and keeps all it is sent."""

    def __init__(self, table: Table, name: str, **options) -> None:
        self.table = table
        self.name = name
        self.outage = Outage(table.clock)
        self.net = NetClient(
            name=name,
            schema=table.server.net.schema,
            now=table.clock.now(),
            token=table.server.ticket(name),
            socket=self._socket(),
            renew_ticket=lambda: table.server.ticket(name),
            open_socket=self._socket,
            **options,
        )
        self.inbox: list = []

    def _socket(self):
        return self.outage.wrap(self.table.network.bind())

    def got(self, kind: type) -> list:
        return [m for m in self.inbox if isinstance(m, kind)]

    def said(self) -> list[str]:
        return [m.text for m in self.got(BroadcastMessage)]

    def send(self, *messages) -> None:
        for message in messages:
            self.net.send(message)
        self.net.flush(self.table.clock.now())

    @property
    def aircraft(self) -> int:
        """Net id of this connection's first aircraft."""
        return self.got(SpawnSelf)[-1].aircraft

    def leave(self) -> None:
        self.net.close(self.table.clock.now())
        self.table.players.remove(self)


class Table:
    def __init__(self, max_players: int = 4, spectators: int = 4, seed: int = 3) -> None:
        self.clock = ManualClock(1000.0)
        self.server = GameServer(
            listen=False,
            seed=seed,
            clock=self.clock,
            max_players=max_players,
            spectators=spectators,
        )
        self.network = MemoryNetwork(seed)
        self.server.join_memory_network(self.network)
        self.world = self.server.world
        self.players: list[Guest] = []

    def connect(self, name: str, **options) -> Guest:
        """A connection, stepped until the server has answered its Hello (and one step more,
        for what the game sends a newcomer)."""
        player = Guest(self, name, **options)
        self.players.append(player)
        for _ in range(30):
            self.step()
            if player.net.closed or player.net.connected:
                break
        self.step()
        return player

    def sit(self, name: str, **options) -> Guest:
        player = self.connect(name, **options)
        assert player.got(SpawnSelf), f"{name} got no aircraft"
        return player

    def step(self, count: int = 1) -> None:
        for _ in range(count):
            self.clock.advance(STEP)
            self.server.step()
            for player in self.players:
                player.inbox.extend(player.net.poll(self.clock.now()))
                player.net.flush(self.clock.now())

    def seat(self, player: Guest, local_index: int = 0):
        """The server's seat for one of the player's aircraft."""
        roster = self.world.resource(Roster)
        return next(
            s
            for s in roster.seats.values()
            if s.peer.name == player.name and s.local_index == local_index
        )

    def aircraft(self, player: Guest, local_index: int = 0) -> int:
        return self.seat(player, local_index).entity

    def where(self, player: Guest) -> Transform:
        return self.world.component(self.aircraft(player), Transform)

    def close(self) -> None:
        for player in self.players:
            player.net.close(self.clock.now())
        self.server.close()


# -- seats and spectators ----------------------------------------------------------------------


def test_each_joiner_gets_the_first_free_player_id_and_its_start_position(table):
    battlefield = table.world.resource(Battlefield)
    alice, bob = table.sit("alice"), table.sit("bob")
    spawn = bob.got(SpawnSelf)[0]
    assert spawn.player_id == 2 and spawn.local_index == 0
    x, y = battlefield.start_position(1)  # slot 1: right of the centre
    assert spawn.x == x and spawn.y == pytest.approx(y, abs=2)  # the view climbed a step since
    server_side = table.where(bob)  # not moved since: bob has sent no position yet
    assert (spawn.x, spawn.y) == (server_side.x, pytest.approx(server_side.y, abs=0.125))
    assert alice.got(PlayerConnect) == [PlayerConnect(spawn.aircraft, 2, "bob")]
    assert bob.got(PlayerConnect) == []  # not told about itself
    alice.leave()
    table.step(2)
    carol = table.sit("carol")
    assert carol.got(SpawnSelf)[0].player_id == 1  # alice's id, free again
    assert bob.got(PlayerDisconnect)[0].player_id == 1
    assert bob.got(PlayerDisconnect)[0].name == "alice"


def test_joins_and_leaves_are_broadcast_to_the_others(table):
    alice = table.sit("alice")
    bob = table.sit("bob")
    assert "bob joined" in alice.said() and "bob joined" not in bob.said()
    bob.leave()
    table.step(2)
    assert alice.said()[-1] == "bob left"


def test_spectators_are_told_their_place_once_and_again_only_when_it_changes(two_seats):
    table = two_seats
    alice, bob = table.sit("alice"), table.sit("bob")
    carol, dave, erin = (table.connect(name) for name in ("carol", "dave", "erin"))
    table.step(6)
    assert [[m.place for m in p.got(Spectating)] for p in (carol, dave, erin)] == [[1], [2], [3]]
    assert not (carol.got(SpawnSelf) or dave.got(SpawnSelf) or erin.got(SpawnSelf))
    assert "carol is watching" in alice.said() and "carol is watching" not in carol.said()
    dave.leave()
    table.step(4)
    assert [m.place for m in carol.got(Spectating)] == [1]  # unchanged: not told again
    assert [m.place for m in erin.got(Spectating)] == [3, 2]
    assert "dave left" in bob.said()
    alice.leave()
    table.step(4)
    assert carol.got(SpawnSelf)[0].player_id == 1  # the first in line takes alice's seat
    assert [m.place for m in erin.got(Spectating)] == [3, 2, 1]
    assert [m.name for m in bob.got(PlayerConnect)] == ["carol"]
    table.step(30)
    assert [m.place for m in erin.got(Spectating)] == [3, 2, 1]
    assert len(carol.got(Spectating)) == 1


def test_a_joiner_never_jumps_the_line_of_spectators(two_seats):
    table = two_seats
    alice, _bob = table.sit("alice"), table.sit("bob")
    carol = table.connect("carol")
    alice.leave()
    dave = table.connect("dave")  # joins in the step the seat frees: carol still goes first
    table.step(4)
    assert carol.got(SpawnSelf) and not dave.got(SpawnSelf)
    assert [m.place for m in dave.got(Spectating)] == [1]


# -- co-op partners ----------------------------------------------------------------------------


def test_a_partner_gets_the_next_seat_a_start_position_and_the_name_with_2(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.send(RequestCoopPartner())
    table.step(2)
    (partner,) = alice.got(AcceptCoopPartner)
    assert partner.player_id == 3
    x, y = table.world.resource(Battlefield).start_position(2)
    assert partner.x == x and partner.y == pytest.approx(y, abs=2)
    assert bob.got(PlayerConnect)[-1] == PlayerConnect(partner.aircraft, 3, "alice (2)")
    assert table.world.component(table.aircraft(alice, 1), Player).local_index == 1


def test_a_partners_name_is_clipped_to_fit_a_name_with_2(table):
    long_name = "z" * MAX_NAME_BYTES
    owner, watcher = table.sit(long_name), table.sit("bob")
    owner.send(RequestCoopPartner())
    table.step(2)
    name = watcher.got(PlayerConnect)[-1].name
    assert name == "z" * (MAX_NAME_BYTES - 4) + " (2)"
    assert len(name.encode()) == MAX_NAME_BYTES


def test_a_third_aircraft_is_refused_without_a_word_while_seats_are_free(table):
    alice = table.sit("alice")
    alice.send(RequestCoopPartner())
    table.step(2)
    alice.send(RequestCoopPartner(), RequestCoopPartner())
    table.step(3)
    assert len(alice.got(AcceptCoopPartner)) == 1
    assert NO_SEAT_FOR_PARTNER not in alice.said()
    assert len(table.world.resource(Roster).seats) == 2


def test_a_third_aircraft_is_refused_without_a_word_when_no_seat_is_free(two_seats):
    table = two_seats
    alice = table.sit("alice")
    alice.send(RequestCoopPartner())
    table.step(2)
    assert len(alice.got(AcceptCoopPartner)) == 1  # both seats are alice's now
    alice.send(RequestCoopPartner())
    table.step(3)
    assert NO_SEAT_FOR_PARTNER not in alice.said()  # not "no aircraft for player 2": she has it
    assert len(table.world.resource(Roster).seats) == 2


def test_a_spectators_partner_request_is_refused_without_a_word(two_seats):
    table = two_seats
    table.sit("alice")
    table.sit("bob")
    carol = table.connect("carol")
    assert carol.got(Spectating)
    carol.send(RequestCoopPartner())  # no aircraft to pair with
    table.step(3)
    assert NO_SEAT_FOR_PARTNER not in carol.said() and not carol.got(AcceptCoopPartner)


def test_a_partner_when_no_seat_is_free_is_refused_to_the_requester_alone(two_seats):
    table = two_seats
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.send(RequestCoopPartner())
    table.step(2)
    assert alice.said().count(NO_SEAT_FOR_PARTNER) == 1
    assert NO_SEAT_FOR_PARTNER not in bob.said()
    assert not alice.got(AcceptCoopPartner)


def test_a_partner_aircraft_leaves_with_its_connection(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.send(RequestCoopPartner())
    table.step(2)
    alice.leave()
    table.step(2)
    assert sorted(m.player_id for m in bob.got(PlayerDisconnect)) == [1, 3]
    assert {p.player_id for _, (p,) in table.world.query(Player)} == {2}


# -- movement checks ---------------------------------------------------------------------------


def inputs(step: int, net_id: int, x: float, y: float, *, fire=False, missiles=0) -> PlayerInputs:
    """A PlayerInputs of one entry for one aircraft."""
    return PlayerInputs.pack(step, 3, {net_id: (missiles, [(x, y, fire)])})


def fly(table: Table, player: Guest, x: float, y: float, index: int = 0) -> None:
    """Send one entry for the player's aircraft, at the server's step (the client's clock
    here), and let the server read it."""
    net_id = (player.got(SpawnSelf) if index == 0 else player.got(AcceptCoopPartner))[-1].aircraft
    player.send(inputs(table.world.time.step, net_id, x, y))
    table.step()


def place(table: Table, player: Guest, x: float, y: float) -> Transform:
    """Put the player's aircraft at (x, y) on the server (a test's set-up), budget rested;
    y is taken relative to the view, which climbs while the budget rests."""
    where = table.where(player)
    view_top = table.world.resource(Battlefield).view_top
    table.step(60)
    where.x, where.y = x, y + table.world.resource(Battlefield).view_top - view_top
    return where


def test_a_move_within_the_view_and_the_speed_budget_is_taken_without_a_correction(table):
    alice = table.sit("alice")
    where = table.where(alice)
    x, y = where.x - 20, where.y - 10
    fly(table, alice, x, y)
    assert (where.x, where.y) == (x, y)
    table.step()
    assert alice.got(PositionCorrection) == []


def test_a_move_past_the_side_of_the_view_is_clamped_and_corrected(table):
    alice = table.sit("alice")
    margin = FIELD.player_margin
    where = place(table, alice, margin + 10, table.where(alice).y)
    y = where.y
    fly(table, alice, margin - 30, y)
    assert where.x == margin
    table.step()
    (correction,) = alice.got(PositionCorrection)
    assert (correction.aircraft, correction.x) == (alice.aircraft, margin)
    assert correction.y == pytest.approx(y, abs=0.125)
    where = place(table, alice, FIELD.view_width - margin - 10, y)
    y = where.y
    fly(table, alice, FIELD.view_width - margin + 30, y)
    assert where.x == FIELD.view_width - margin
    table.step()
    assert [c.x for c in alice.got(PositionCorrection)] == [margin, FIELD.view_width - margin]


def test_half_a_pixel_off_is_not_worth_a_correction(table):
    alice = table.sit("alice")
    margin = FIELD.player_margin
    where = place(table, alice, margin + 5, table.where(alice).y)
    fly(table, alice, margin - 0.375, where.y)  # clamped by 3/8 px: kept quiet
    table.step()
    assert where.x == margin and alice.got(PositionCorrection) == []
    fly(table, alice, margin - 0.625, where.y)  # clamped by 5/8 px: corrected
    table.step()
    assert [m.x for m in alice.got(PositionCorrection)] == [margin]
    fly(table, alice, margin - 0.5, where.y)  # by exactly half a pixel: still quiet
    table.step()
    assert len(alice.got(PositionCorrection)) == 1
    fly(table, alice, where.x, where.y - 0.375)  # vertical, within budget: taken as is
    fly(table, alice, where.x, where.y)
    table.step()
    assert len(alice.got(PositionCorrection)) == 1
    assert table.world.component(table.aircraft(alice), MoveBudget).refused == 1


def test_half_a_pixel_below_the_bottom_bound_is_not_worth_a_correction(table):
    alice = table.sit("alice")
    battlefield = table.world.resource(Battlefield)
    slack = FIELD.scroll_speed * 0.5
    for off, corrected in ((0.5, 0), (0.625, 1), (0.375, 1), (0.75, 2)):
        table.step(30)  # a rest: time enough for the next entry to cover the set-up's jump
        where = table.where(alice)
        battlefield.view_top = round(battlefield.view_top)  # on the wire's 1/8 px grid
        where.y = battlefield.view_bottom - FIELD.player_margin - 5
        lowest = battlefield.view_bottom - FIELD.player_margin + slack
        fly(table, alice, where.x, lowest + off)
        table.step()
        assert len(alice.got(PositionCorrection)) == corrected, off
    assert table.world.component(table.aircraft(alice), MoveBudget).refused == 2


def test_the_top_and_bottom_bounds_allow_half_a_second_of_scrolling_before_a_correction(table):
    """A client's view may lag the server's: past the top or bottom by less than half a
    second of scrolling is not corrected (the server still keeps the aircraft in its view)."""
    alice = table.sit("alice")
    battlefield = table.world.resource(Battlefield)
    slack = FIELD.scroll_speed * 0.5
    margin = FIELD.player_margin
    place(table, alice, 500, battlefield.view_top + margin + 10)
    fly(table, alice, 500, battlefield.view_top + margin - slack + 3)
    table.step()
    assert alice.got(PositionCorrection) == []
    place(table, alice, 500, battlefield.view_top + margin + 10)
    top = battlefield.view_top + margin
    fly(table, alice, 500, top - slack - 20)
    table.step()
    assert alice.got(PositionCorrection)[-1].y == pytest.approx(top - slack, abs=0.125)
    place(table, alice, 500, battlefield.view_bottom - margin - 10)
    fly(table, alice, 500, battlefield.view_bottom - margin + slack - 3)
    table.step()
    assert len(alice.got(PositionCorrection)) == 1
    place(table, alice, 500, battlefield.view_bottom - margin - 10)
    bottom = battlefield.view_bottom - margin
    fly(table, alice, 500, bottom + slack + 20)
    assert table.where(alice).y == battlefield.view_bottom - margin  # kept in the view
    table.step()
    assert alice.got(PositionCorrection)[-1].y == pytest.approx(bottom + slack, abs=0.125)


def test_a_teleport_moves_at_most_the_rested_budget_then_what_one_step_refills(table):
    alice = table.sit("alice")
    where = place(table, alice, 500, table.where(alice).y)
    table.step(120)  # a long rest: the budget is full, and no fuller
    start_y = where.y = table.world.resource(Battlefield).view_bottom - 200
    fly(table, alice, 500, start_y - 400)
    assert start_y - where.y == pytest.approx(BUDGET)
    assert where.x == 500
    table.step()
    correction = alice.got(PositionCorrection)[-1]
    assert correction.y == pytest.approx(start_y - BUDGET, abs=0.125)
    before = where.y
    fly(table, alice, 500, before - 400)  # two steps later: two steps' refill only
    assert before - where.y == pytest.approx(TOP_SPEED * STEP * 2)


def test_the_budget_refills_at_top_speed_between_updates(table):
    alice = table.sit("alice")
    where = place(table, alice, 500, table.where(alice).y)
    table.step(120)
    y = where.y = table.world.resource(Battlefield).view_bottom - 200
    fly(table, alice, 500, y - 400)  # spend it all
    table.step(9)  # ten steps of refill by the next update
    before = where.y
    fly(table, alice, 500, before - 400)
    assert before - where.y == pytest.approx(TOP_SPEED * STEP * 10)


def test_flying_at_top_speed_is_never_corrected(table):
    alice = table.sit("alice")
    where = place(table, alice, 500, table.where(alice).y)
    x = where.x
    for _ in range(90):  # sideways at the full allowed speed, one update per step
        x = min(x + TOP_SPEED * STEP * 0.99, FIELD.view_width - FIELD.player_margin)
        fly(table, alice, x, where.y)
    table.step()
    assert alice.got(PositionCorrection) == []
    assert where.x == pytest.approx(x, abs=0.125)


def test_updates_for_someone_elses_aircraft_are_ignored_silently(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    bobs = table.where(bob)
    before = (bobs.x, bobs.y)
    mine = table.where(alice)
    before_mine = mine.x
    alice.send(
        PlayerInputs.pack(
            1,
            3,
            {
                bob.aircraft: (2, [(before[0] - 30, before[1], True)]),
                alice.aircraft: (0, [(mine.x + 3, mine.y, False)]),
            },
        )
    )
    table.step(2)
    assert (bobs.x, bobs.y) == before  # bob's aircraft did not move, fire or launch
    intent = table.world.component(table.aircraft(bob), PlayerInput)
    assert not intent.fire and not intent.missile_requests
    assert mine.x == pytest.approx(before_mine + 3, abs=0.125)  # alice's own entry counts
    assert alice.got(PositionCorrection) == []  # and nobody was corrected
    assert bob.got(PositionCorrection) == []


def test_an_update_for_an_aircraft_that_was_shot_down_is_ignored(table):
    alice, _bob = table.sit("alice"), table.sit("bob")
    net_id = alice.aircraft
    table.world.despawn(table.aircraft(alice))
    table.step()
    alice.send(inputs(1, net_id, 100.0, 100.0, fire=True, missiles=1))
    table.step(2)
    assert alice.got(PositionCorrection) == []


def test_a_partners_position_is_checked_like_any_other(table):
    alice = table.sit("alice")
    alice.send(RequestCoopPartner())
    table.step(2)
    partner = table.world.component(table.aircraft(alice, 1), Transform)
    x = partner.x
    fly(table, alice, x - 15, partner.y, index=1)
    assert partner.x == x - 15


# -- fire, missiles, markers -------------------------------------------------------------------


def test_fire_is_held_and_released_for_ones_own_aircraft_and_relayed_to_the_others(table):
    alice, bob, carol = table.sit("alice"), table.sit("bob"), table.sit("carol")
    intent = table.world.component(table.aircraft(alice), PlayerInput)
    where = table.where(alice)
    step = table.world.time.step
    alice.send(inputs(step, alice.aircraft, where.x, where.y, fire=True))
    table.step(2)
    assert intent.fire
    hold = PlayerRealtimeChange(alice.aircraft, PlayerAction.FIRE, True)
    assert bob.got(PlayerRealtimeChange) == carol.got(PlayerRealtimeChange) == [hold]
    assert alice.got(PlayerRealtimeChange) == []
    alice.send(inputs(step + 3, alice.aircraft, where.x, where.y, fire=True))  # still held
    table.step(2)
    assert bob.got(PlayerRealtimeChange) == [hold]  # told of changes only
    alice.send(inputs(step + 6, alice.aircraft, where.x, where.y))
    table.step(2)
    assert not intent.fire
    release = PlayerRealtimeChange(alice.aircraft, PlayerAction.FIRE, False)
    assert bob.got(PlayerRealtimeChange) == [hold, release]


def test_fire_for_another_players_aircraft_is_refused_and_not_relayed(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    bobs = table.world.component(table.aircraft(bob), PlayerInput)
    there = table.where(bob)
    alice.send(inputs(5, bob.aircraft, there.x, there.y, fire=True, missiles=1))
    table.step(3)
    assert not bobs.fire
    assert table.world.component(table.aircraft(bob), Weapon).missiles == EAGLE.missiles
    assert bob.got(PlayerRealtimeChange) == [] and bob.got(PlayerEvent) == []


def test_missile_requests_are_relayed_and_at_most_three_wait_their_turn(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    weapon = table.world.component(table.aircraft(alice), Weapon)
    weapon.missiles = CONTENT.firing.max_missiles
    where = table.where(alice)
    alice.send(inputs(table.world.time.step, alice.aircraft, where.x, where.y, missiles=6))
    table.step(round(6 * CONTENT.firing.missile_interval / STEP))
    assert CONTENT.firing.max_missiles - weapon.missiles == 3
    launch = PlayerEvent(alice.aircraft, PlayerAction.LAUNCH_MISSILE)
    assert bob.got(PlayerEvent) == [launch] * 3  # at most three told a packet, as flown
    assert alice.got(PlayerEvent) == []


def test_a_marker_is_broadcast_to_everyone_and_other_game_events_are_ignored(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    enemy = spawn_enemy(table.world, "raptor", 300, table.world.resource(Battlefield).view_top)
    alice.send(GameEvent(GameEventKind.MARKER, 120.5, 340.25))
    alice.send(GameEvent(GameEventKind.ENEMY_EXPLODE, 300, 100))
    table.step(3)
    assert "alice marks (120, 340)" in bob.said() and "alice marks (120, 340)" in alice.said()
    assert len([t for t in bob.said() if "marks" in t]) == 1
    assert table.world.is_alive(enemy)
    assert bob.got(Explosion) == []


# -- what vanished, and why --------------------------------------------------------------------


def test_explosions_are_large_for_avengers_and_small_for_raptors(table):
    alice = table.sit("alice")
    world = table.world
    top = world.resource(Battlefield).view_top
    raptor = spawn_enemy(world, "raptor", 200, top + 200)
    avenger = spawn_enemy(world, "avenger", 700, top + 200)
    table.step()
    for enemy in (raptor, avenger):
        world.component(enemy, Health).hitpoints = 1
        at = world.component(enemy, Transform)
        spawn_bullet(world, EAGLE.bullet, Side.ALLY, at.x, at.y, table.aircraft(alice))
    net_ids = [world.component(enemy, Replicated).net_id for enemy in (raptor, avenger)]
    table.step(3)
    blasts = sorted(alice.got(Explosion), key=lambda blast: blast.x)
    assert [blast.large for blast in blasts] == [False, True]
    assert [blast.aircraft for blast in blasts] == net_ids  # what exploded, by net id
    assert blasts[0].x == pytest.approx(200, abs=5) and blasts[1].x == pytest.approx(700, abs=5)


def test_a_pickup_taken_is_announced_with_the_takers_aircraft_and_kind(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    mine = table.where(alice)
    spawn_pickup(table.world, "missiles", mine.x, mine.y)
    table.step(3)
    assert (
        bob.got(PickupCollected)
        == alice.got(PickupCollected)
        == [PickupCollected(alice.aircraft, "missiles")]
    )


# -- the mission's end, restart and hold ------------------------------------------------------


def shoot_down(table: Table, *players: Guest) -> None:
    """An enemy rams each player's aircraft with more hit points than it has."""
    for player in players:
        where = table.where(player)
        rammer = spawn_enemy(table.world, "avenger", where.x, where.y)
        table.world.flush()
        table.world.component(rammer, Health).hitpoints = EAGLE.hitpoints * 2


def test_a_mission_failure_reaches_every_client_once_then_a_fresh_mission_starts(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    table.step(30)
    shoot_down(table, alice, bob)
    table.step(3)
    assert (
        alice.got(MissionEnd)
        == bob.got(MissionEnd)
        == [MissionEnd(Outcome8.FAILURE, RESTART_DELAY)]
    )
    assert sum(not b.large for b in bob.got(Explosion)) == 2  # the players' aircraft
    downed = {b.aircraft for b in bob.got(Explosion) if not b.large}
    assert downed == {alice.aircraft, bob.aircraft}  # each owner learns its aircraft died
    spawned = len(alice.got(SpawnSelf))
    table.step(round(RESTART_DELAY / STEP) - 5)
    assert len(alice.got(SpawnSelf)) == spawned  # not before the pause is over
    table.step(10)
    assert len(alice.got(SpawnSelf)) == spawned + 1 and len(bob.got(SpawnSelf)) == 2
    assert len(alice.got(MissionEnd)) == 1
    state = table.world.query_one(BattlefieldState)[0][1]
    assert state.mission == 2 and state.running
    assert table.world.resource(Battlefield).view_top > FIELD.start_view_top - 50


def test_the_battlefield_stops_while_the_ended_mission_waits_to_restart(table):
    alice = table.sit("alice")
    shoot_down(table, alice)
    table.step(3)
    battlefield = table.world.resource(Battlefield)
    state = table.world.query_one(BattlefieldState)[0][1]
    assert not state.running
    for _ in range(3):
        table.step(20)
        assert not state.running and state.view_top == battlefield.view_top


def test_the_last_player_leaving_holds_the_mission_at_the_start(table):
    alice = table.sit("alice")
    world = table.world
    table.step(120)
    spawn_enemy(world, "raptor", 300, world.resource(Battlefield).view_top + 100)
    assert world.resource(Battlefield).view_top < FIELD.start_view_top - 100
    alice.leave()
    table.step(2)
    battlefield = world.resource(Battlefield)
    assert battlefield.view_top == FIELD.start_view_top
    assert world.resource(MissionState).held
    table.step(120)
    assert battlefield.view_top == FIELD.start_view_top  # no scrolling while held
    assert world.query(Projectile) == [] and world.query(Player) == []
    state = world.query_one(BattlefieldState)[0][1]
    assert not state.running and state.mission == 1
    bob = table.sit("bob")
    table.step(60)
    assert state.mission == 2 and state.running  # a fresh mission for the next joiner
    assert bob.got(SpawnSelf)[0].player_id == 1
    assert battlefield.view_top == pytest.approx(FIELD.start_view_top - FIELD.scroll_speed, abs=2)


def test_a_server_emptied_during_the_pause_after_an_end_waits_for_the_next_player(table):
    alice = table.sit("alice")
    shoot_down(table, alice)
    table.step(3)
    alice.leave()
    table.step(round(RESTART_DELAY / STEP) + 30)
    state = table.world.query_one(BattlefieldState)[0][1]
    assert state.mission == 1 and not state.running  # no restart with nobody aboard
    assert table.world.query(Player) == []
    bob = table.sit("bob")
    table.step(2)
    assert state.mission == 2 and state.running
    assert len(bob.got(SpawnSelf)) == 1
    assert bob.got(MissionEnd) == []


def test_a_spectator_staying_does_not_keep_the_mission_going(two_seats):
    table = two_seats
    alice, bob = table.sit("alice"), table.sit("bob")
    carol = table.connect("carol")
    alice.leave()
    bob.leave()
    table.step(4)
    assert carol.got(SpawnSelf)  # the watcher is seated: the mission goes on with her
    assert not table.world.resource(MissionState).held


def test_a_fresh_aircraft_may_use_its_whole_budget_at_once(table):
    alice = table.sit("alice")
    where = table.where(alice)
    start_x = where.x
    fly(table, alice, start_x - 1000, where.y)
    assert start_x - where.x == pytest.approx(BUDGET)


def test_a_restart_clears_the_battlefield_and_gives_every_seat_a_fresh_aircraft(table):
    world = table.world
    alice, bob = table.sit("alice"), table.sit("bob")
    alice.send(RequestCoopPartner())
    table.step(2)
    top = world.resource(Battlefield).view_top
    spawn_enemy(world, "avenger", 300, top + 100)
    spawn_pickup(world, "health", 500, top + 300)
    seats = [(alice, 0), (bob, 0), (alice, 1)]
    for player, local_index in seats:  # nobody flies them: they would not last ten seconds
        world.component(table.aircraft(player, local_index), Health).hitpoints = 10_000
    table.step(600)  # ten seconds of play: waves, shots, the script's first enemies
    stats = world.resource(MissionStats)
    assert stats.enemies_spawned > 0 and stats.shots_fired > 0
    for player, local_index in seats:
        world.component(table.aircraft(player, local_index), Health).hitpoints = EAGLE.hitpoints
    shoot_down(table, alice, bob)
    table.world.component(table.aircraft(alice, 1), Health).hitpoints = 0
    table.step(round(RESTART_DELAY / STEP) + 1)
    assert len(alice.got(SpawnSelf)) == 2 and len(bob.got(SpawnSelf)) == 2
    assert len(alice.got(AcceptCoopPartner)) == 2  # the partner flies again too
    assert world.resource(Battlefield).view_top == pytest.approx(
        FIELD.start_view_top, abs=FIELD.scroll_speed * 0.1
    )
    assert world.query(Projectile) == [] and world.query(Pickup) == []
    assert sorted(p.player_id for _, (p,) in world.query(Player)) == [1, 2, 3]
    assert all(h.hitpoints == EAGLE.hitpoints for _, (_p, h) in world.query(Player, Health))
    fresh = world.resource(MissionStats)
    assert fresh.enemies_spawned == fresh.shots_fired == fresh.players_lost == 0
    table.step(round(CONTENT.waves.interval_min / STEP) - 2)
    # No random wave yet (the wave clock started again with the mission), and the script's
    # first enemy is further up than the view climbs in that time.
    assert min(enemy.ahead for enemy in CONTENT.script) > (
        FIELD.scroll_speed * CONTENT.waves.interval_min + FIELD.spawn_margin
    )
    assert world.resource(MissionStats).enemies_spawned == 0
