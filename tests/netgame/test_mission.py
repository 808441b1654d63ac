"""The mission over the network: the net layer reacts to the rules' lifecycle events.

MissionStarted gives every seat not yet flying in that mission a fresh aircraft;
MissionEnded is told to every client once; the replicated BattlefieldState
counts the missions; the seats hold the mission while nobody is seated.
"""

from __future__ import annotations

import pytest

from engine import Phase
from engine.components import Transform
from engine.net.replication import Replicated
from game.net.mission import MissionEndSystem, ReseatSystem
from game.net.protocol import (
    AcceptCoopPartner,
    MissionEnd,
    Outcome8,
    PlayerConnect,
    SpawnSelf,
)
from game.net.schema import BattlefieldState
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Side
from game.rules.content import GameContent, load_content
from game.rules.mission import (
    RESTART_DELAY,
    MissionEnded,
    MissionState,
    Outcome,
    restart_mission,
    start_mission,
)
from game.server import GameServer
from tests.netgame.bare import a_peer, bare_server, seat
from tests.netgame.conftest import Harness


@pytest.fixture
def seated():
    """Mission 1 with alice (and her co-op partner) and bob seated and flying."""
    world, outbox = bare_server()
    alice, bob = a_peer(1, "alice"), a_peer(2, "bob")
    seats = [seat(world, 1, alice), seat(world, 2, alice, local_index=1), seat(world, 3, bob)]
    world.add_system(ReseatSystem(), Phase.SPAWN)
    outbox.sent.clear()
    yield world, outbox, seats
    world.close()


def test_the_net_layer_reseats_every_seat_when_the_rules_restart_the_mission(seated):
    world, outbox, seats = seated
    before = [(s.entity, s.net_id) for s in seats]
    restart_mission(world)  # the rules: everything back to the start, MissionStarted(2)
    world.step()
    for (entity, net_id), s in zip(before, seats, strict=True):
        assert not world.is_alive(entity)
        assert world.is_alive(s.entity) and s.net_id > net_id and s.mission == 2
    assert [(to, type(m)) for to, m in outbox.sent] == [
        ("alice", SpawnSelf),
        ("all but alice", PlayerConnect),
        ("alice", AcceptCoopPartner),
        ("all but alice", PlayerConnect),
        ("bob", SpawnSelf),
        ("all but bob", PlayerConnect),
    ]
    x, y = world.resource(Battlefield).start_position(0)
    assert outbox.sent[0][1] == SpawnSelf(seats[0].net_id, 1, 0, x, y)


def test_a_start_for_the_mission_the_seats_already_fly_gives_no_second_aircraft(seated):
    """The first player seated into a held mission starts it and was given an aircraft
    by being seated: MissionStarted must not give another."""
    world, outbox, seats = seated
    world.resource(MissionState).number = 0  # as if they had been seated before the start
    for s in seats:
        s.mission = 1
    before = [s.entity for s in seats]
    start_mission(world)  # MissionStarted(1)
    world.step()
    assert [s.entity for s in seats] == before and outbox.sent == []


def test_the_end_is_told_once_with_the_seconds_until_the_restart(seated):
    world, outbox, _ = seated
    world.add_system(MissionEndSystem(), Phase.SPAWN)
    mission = world.resource(MissionState)
    mission.restart_at = world.time.seconds + RESTART_DELAY  # what the rules scheduled
    world.events.emit(MissionEnded(Outcome.FAILURE))
    world.step()
    assert outbox.sent == [("everyone", MissionEnd(Outcome8.FAILURE, RESTART_DELAY))]
    world.run(5)
    assert len(outbox.sent) == 1


def test_missions_are_counted_from_the_first_seated_player_and_clients_see_the_count(harness):
    world = harness.server.world
    mission, roster = world.resource(MissionState), world.resource(Roster)
    assert mission.held and mission.number == 0  # nobody seated: held at the start

    def seen(client):
        return [state.mission for _, state in client.world.query_one(BattlefieldState)]

    alice = harness.join("alice")
    assert not mission.held and mission.number == 1
    harness.run_until(lambda: seen(alice) == [1], what="alice to see mission 1")
    first = roster.seats[1].net_id
    restart_mission(world)
    harness.run_until(lambda: seen(alice) == [2], what="alice to see mission 2")
    harness.step(3)
    (entity,) = alice.own_aircraft().values()
    assert alice.world.component(entity, Replicated).net_id == roster.seats[1].net_id != first
    assert harness.server.summary().missions_started == 2
    alice.close()
    harness.run_until(lambda: mission.held, what="the mission to be held again")
    assert mission.number == 2 and not roster.seats


def names(world, phase):
    return [type(system).__name__ for system in world.systems(phase)]


def test_the_server_reads_seats_then_commands_and_tells_the_mission_after_the_rules(harness):
    world = harness.server.world
    assert names(world, Phase.INPUT) == [
        "ServerReceiveSystem",
        "SeatingSystem",  # joins and leaves first: commands are checked against today's seats
        "InputSystem",
        "PartnerSystem",
        "MarkerSystem",
    ]
    assert names(world, Phase.SPAWN)[-8:] == [
        "MissionStatusSystem",  # the rules: MissionEnded
        "StatsSystem",
        "ScoreSystem",
        "MissionRestartSystem",  # the rules: restart after the pause, MissionStarted
        "CueSystem",
        "MissionEndSystem",  # the net: what the rules decided this step
        "ReseatSystem",
        "MirrorSystem",
    ]


def _enemy_path(seed: int, steps: int = 60 * 25) -> list[tuple[str, int, int]]:
    """Where enemies are, a whole number of px, after `steps` of one player's mission."""
    harness = Harness(seed=seed, udp=False)
    try:
        harness.join("pilot")
        harness.step(steps)
        world = harness.server.world
        return sorted(
            (aircraft.kind, round(transform.x), round(transform.y))
            for _, (aircraft, transform) in world.query(Aircraft, Transform)
            if aircraft.side is Side.ENEMY
        )
    finally:
        harness.close()


def test_the_servers_seed_makes_its_missions_reproducible():
    first, again, other = _enemy_path(3), _enemy_path(3), _enemy_path(4)
    assert first and first == again
    assert other != first


def test_a_server_plays_the_content_it_was_given():
    content = load_content()
    server = GameServer(listen=False, seed=1, content=content)
    try:
        assert server.world.resource(GameContent) is content
    finally:
        server.close()
