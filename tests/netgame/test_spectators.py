"""Spectator seats: past the last aircraft seat, joiners watch and wait in line for one."""

from __future__ import annotations

import pytest

from engine import Phase
from game.net.commands import NO_SEAT_FOR_PARTNER
from game.net.protocol import PlayerConnect, Spectating
from game.net.seats import Roster
from game.server import GameServer, main
from tests.netgame.conftest import Harness


@pytest.fixture(params=["udp", "tcp"])
def two_seats(request):
    made = Harness(max_players=2, spectators=3, transport=request.param)
    yield made
    made.close()


def watch(harness: Harness, name: str):
    client = harness.connect(name)
    harness.run_until(lambda: client.session.spectating > 0, what=f"{name} to watch")
    return client


def record(client, kind) -> list:
    seen: list = []
    client.world.add_system(lambda w, dt: seen.extend(w.events.read(kind)), Phase.NETWORK)
    return seen


def test_joiners_past_the_last_seat_watch_in_line_and_see_the_mission(two_seats):
    alice, bob = two_seats.join("alice"), two_seats.join("bob")
    carol, dave = watch(two_seats, "carol"), watch(two_seats, "dave")
    two_seats.step(6)
    assert (carol.session.spectating, dave.session.spectating) == (1, 2)
    for watcher in (carol, dave):
        assert not watcher.own_aircraft()
        assert {name for name, _, _ in watcher.players().values()} == {"alice", "bob"}
    assert "carol is watching" in alice.session.broadcasts
    assert [p.name for p in two_seats.server.world.resource(Roster).waiting] == ["carol", "dave"]
    assert len(bob.own_aircraft()) == 1


def test_players_and_spectators_learn_the_number_of_seats_from_the_battlefield(two_seats):
    alice = two_seats.join("alice")
    two_seats.join("bob")
    carol = watch(two_seats, "carol")
    two_seats.step(3)
    assert alice.session.seats == carol.session.seats == 2
    assert alice.net.welcome is not None and not hasattr(alice.net.welcome, "max_players")


def test_a_freed_seat_goes_to_the_first_in_line_and_the_rest_move_up(two_seats):
    alice, bob = two_seats.join("alice"), two_seats.join("bob")
    carol, dave = watch(two_seats, "carol"), watch(two_seats, "dave")
    places, connects = record(dave, Spectating), record(bob, PlayerConnect)
    alice.close()
    two_seats.run_until(lambda: len(carol.own_aircraft()) == 1, what="carol's aircraft")
    two_seats.run_until(lambda: dave.session.spectating == 1, what="dave's new place")
    assert carol.session.spectating == 0
    assert [m.place for m in places] == [1]
    assert [m.name for m in connects] == ["carol"]
    assert not dave.own_aircraft()
    # carol flies: her steering reaches the others like anyone's
    two_seats.step(6)
    assert "carol" in {name for name, _, _ in bob.players().values()}


def test_a_spectator_who_leaves_lets_those_behind_move_up(two_seats):
    alice = two_seats.join("alice")
    two_seats.join("bob")
    carol, dave, erin = (watch(two_seats, n) for n in ("carol", "dave", "erin"))
    carol.close()
    two_seats.run_until(lambda: erin.session.spectating == 2, what="erin's new place")
    assert dave.session.spectating == 1
    two_seats.run_until(lambda: "carol left" in alice.session.broadcasts, what="the broadcast")
    assert len(two_seats.server.world.resource(Roster).seats) == 2


def test_no_co_op_partner_while_someone_waits_for_a_first_aircraft(two_seats):
    alice = two_seats.join("alice")
    bob = two_seats.join("bob")
    carol = watch(two_seats, "carol")
    alice.request_partner()
    carol.request_partner()  # a spectator has no aircraft to pair with: not even sent
    two_seats.step(30)
    assert len(alice.own_aircraft()) == 1 and not carol.own_aircraft()
    bob.close()  # bob's seat goes to carol, not to alice's partner
    two_seats.run_until(lambda: len(carol.own_aircraft()) == 1, what="carol's aircraft")
    two_seats.step(12)
    assert len(alice.own_aircraft()) == 1


def test_a_partner_may_be_asked_again_once_a_seat_frees_up(two_seats):
    alice, bob = two_seats.join("alice"), two_seats.join("bob")
    alice.request_partner()  # refused, and told why: both seats are taken
    two_seats.run_until(lambda: NO_SEAT_FOR_PARTNER in alice.session.broadcasts, what="the refusal")
    assert NO_SEAT_FOR_PARTNER not in bob.session.broadcasts
    bob.close()
    two_seats.step(12)
    alice.request_partner()  # too soon after the last ask: not sent
    two_seats.step(30)
    assert len(alice.own_aircraft()) == 1
    two_seats.step(90)  # past the retry pause
    alice.request_partner()
    two_seats.run_until(lambda: len(alice.own_aircraft()) == 2, what="the partner")


def test_a_partner_may_be_asked_for_after_the_mission_restarts(harness):
    from game.rules.mission import restart_mission

    alice = harness.join("alice")
    first = set(alice.session.own)
    restart_mission(harness.server.world)
    harness.run_until(lambda: set(alice.session.own) != first, what="the new aircraft")
    harness.run_until(lambda: len(alice.own_aircraft()) == 1, what="the new aircraft to arrive")
    alice.request_partner()
    harness.run_until(lambda: len(alice.own_aircraft()) == 2, what="the partner")


def test_more_seats_than_the_battlefield_has_is_refused():
    with pytest.raises(ValueError, match=r"max players must be 1\.\.16"):
        GameServer(port=0, max_players=17)


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--spectators", "-1", "--spectators"),
        ("--spectators", "65", "--spectators"),
        ("--max-players", "17", "--max-players"),
    ],
)
def test_bad_seat_counts_are_one_line_errors(capsys, flag, value, words):
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "0", flag, value])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert words in error
