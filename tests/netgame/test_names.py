"""Two players with one name both play: the newcomer gets a number ("root 2"), is told so,
and everyone hears the numbered name; a comeback (matched by its resume secret, not its
name) keeps the name it had.

The default name is the OS user, so on a LAN two "root"s are likely. The server is the
real GameServer; the players are test_authority's bare connections (Table, Guest)."""

from __future__ import annotations

from engine.net.handshake import unique_name
from engine.net.messages import MAX_NAME_BYTES, Welcome
from game.net.protocol import PlayerConnect, SpawnSelf, Spectating
from game.net.seats import Roster
from game.rules.components import Player
from tests.netgame.conftest import calm
from tests.netgame.test_authority import Guest, Table
from tests.netgame.test_reconnect import TIMEOUT, run_until


def names(table: Table) -> dict[int, str]:
    """Player id -> the name its aircraft carries."""
    return {p.player_id: p.name for _, (p,) in table.world.query(Player)}


def seat_of(table: Table, guest: Guest):  # noqa: ANN201
    """The seat of `guest`'s first aircraft, found by the player id it was given."""
    return table.world.resource(Roster).seats[guest.got(SpawnSelf)[-1].player_id]


def test_a_second_player_with_a_taken_name_plays_under_a_numbered_one(table):
    first = table.sit("root")
    second = table.sit("ROOT")  # names are compared case-insensitively
    third = table.sit("root")
    assert second.net.connected and third.net.connected
    assert sorted(names(table).values()) == ["ROOT 2", "root", "root 3"]
    assert seat_of(table, second).name == "ROOT 2"
    assert "ROOT 2 joined" in first.said() and "root 3 joined" in second.said()
    assert [m.name for m in first.got(PlayerConnect)] == ["ROOT 2", "root 3"]
    assert second.said()[0] == "ROOT is already playing: you are ROOT 2"
    assert not [line for line in first.said() if "already playing" in line]
    third.leave()
    table.step(3)
    assert "root 3 left" in first.said()


def test_a_numbered_name_fits_the_name_limit():
    longest = "W" * MAX_NAME_BYTES
    taken = [longest]
    for _ in range(11):
        taken.append(unique_name(longest, taken))
    assert taken[1] == "W" * (MAX_NAME_BYTES - 2) + " 2"
    assert taken[-1] == "W" * (MAX_NAME_BYTES - 3) + " 12"
    assert len(set(taken)) == len(taken)
    assert all(len(name.encode()) <= MAX_NAME_BYTES for name in taken)
    wide = "é" * (MAX_NAME_BYTES // 2)  # two bytes a character: cut on a character boundary
    assert unique_name(wide, [wide]) == "é" * (MAX_NAME_BYTES // 2 - 1) + " 2"
    assert unique_name("ann", ["bob"]) == "ann"


def test_a_spectator_with_a_taken_name_is_numbered_too():
    table = Table(max_players=1, spectators=2)
    try:
        pilot = table.sit("root")
        watcher = table.connect("root")
        assert watcher.got(Spectating)[-1].place == 1
        assert "root 2 is watching" in pilot.said()
        assert watcher.said()[0] == "root is already playing: you are root 2"
    finally:
        table.close()


def test_a_numbered_player_comes_back_by_its_secret_under_its_own_name(table):
    calm(table.world)  # nobody flies: ten seconds under fire would end the aircraft
    first = table.sit("root")
    second = table.sit("root")
    seat = seat_of(table, second)
    second.outage.cut(10.0)
    run_until(
        table,
        lambda: bool(table.server.net.away_peers()),
        TIMEOUT + 0.5,
        "the server to notice",
    )
    # While it is away its name stays taken: another "root" is the third.
    newcomer = table.sit("root")
    assert seat_of(table, newcomer).name == "root 3"
    run_until(table, lambda: second.net.connected, 10.0, "the comeback")
    table.step(2)
    assert second.got(Welcome)[-1].resumed
    assert seat_of(table, second) is seat and seat.name == "root 2"
    assert seat.peer.name == "root 2"
    assert "root 2 reconnected" in first.said()
    assert sorted(names(table).values()) == ["root", "root 2", "root 3"]
