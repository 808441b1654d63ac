"""Issue 13, bug 2: every mission starts every seat at its start position, the first one and
every one after a success or a failure, on the server and on each client."""

from __future__ import annotations

import pytest

from engine.components import Transform
from engine.net.replication import Replicated
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Health
from game.rules.mission import MissionState, Outcome
from tests.netgame.conftest import Harness


@pytest.fixture
def crew():
    """alice with her co-op partner, and bob, on an in-memory network."""
    harness = Harness(udp=False)
    alice, bob = harness.join("alice"), harness.join("bob")
    alice.request_partner()
    harness.run_until(lambda: 1 in alice.own_aircraft(), what="alice's partner")
    yield harness, alice, bob
    harness.close()


def starts(harness) -> dict[int, tuple[float, float]]:
    """player id -> where that seat starts, in the server's view now."""
    battlefield = harness.server.world.resource(Battlefield)
    return {pid: battlefield.start_position(pid - 1) for pid in harness.server.roster.seats}


def on_server(harness) -> dict[int, tuple[float, float]]:
    world = harness.server.world
    return {
        pid: (world.component(s.entity, Transform).x, world.component(s.entity, Transform).y)
        for pid, s in world.resource(Roster).seats.items()
    }


def on_clients(harness, *clients) -> dict[int, tuple[float, float]]:
    """player id -> (x, y below the view's top) of each client's own aircraft, as it flies it."""
    seen = {}
    for client in clients:
        view_top = client.world.resource(Battlefield).view_top
        for entity in client.own_aircraft().values():
            net_id = client.world.component(entity, Replicated).net_id
            seat = next(s for s in harness.server.roster.seats.values() if s.net_id == net_id)
            at = client.world.component(entity, Transform)
            seen[seat.player_id] = (at.x, at.y - view_top)
    return seen


def end_then_restart(harness, alice, bob, outcome: Outcome) -> None:
    world = harness.server.world
    mission = world.resource(MissionState)
    number = mission.number
    if outcome is Outcome.SUCCESS:  # everyone flies up through the finish line
        for each in (harness.server.world, alice.world, bob.world):
            each.resource(Battlefield).view_top = 0.0
        for client, seats in ((alice, (0, 1)), (bob, (0,))):
            for local_index in seats:
                client.control(local_index, move_y=-1.0)
    else:  # everyone is shot down
        for seat in world.resource(Roster).seats.values():
            world.component(seat.entity, Health).hitpoints = 0
    harness.run_until(lambda: mission.outcome is outcome, steps=900, what=outcome.value)
    for client, seats in ((alice, (0, 1)), (bob, (0,))):  # hands off the keys
        for local_index in seats:
            client.control(local_index)
    harness.run_until(lambda: mission.number > number, steps=900, what="the next mission")


@pytest.mark.parametrize("outcome", [Outcome.SUCCESS, Outcome.FAILURE])
def test_the_next_mission_starts_every_seat_at_its_start_position(crew, outcome):
    harness, alice, bob = crew
    end_then_restart(harness, alice, bob, outcome)
    harness.step(3)  # the new aircraft reach the clients
    expected = starts(harness)
    assert sorted(expected) == [1, 2, 3]
    for pid, (x, y) in on_server(harness).items():
        assert (x, y) == pytest.approx(expected[pid], abs=3.0), pid
    view_top = harness.server.world.resource(Battlefield).view_top
    start_below_top = {pid: (x, y - view_top) for pid, (x, y) in expected.items()}
    flown = on_clients(harness, alice, bob)
    assert sorted(flown) == [1, 2, 3]
    for pid, (x, below) in flown.items():
        assert (x, below) == pytest.approx(start_below_top[pid], abs=3.0), pid
    harness.step(120)  # two seconds with hands off the keys: still on the start line
    for pid, (x, below) in on_clients(harness, alice, bob).items():
        assert (x, below) == pytest.approx(start_below_top[pid], abs=3.0), pid


def test_two_missions_in_a_row_start_the_same(crew):
    harness, alice, bob = crew
    firsts = []
    for outcome in (Outcome.FAILURE, Outcome.SUCCESS):
        end_then_restart(harness, alice, bob, outcome)
        harness.step(3)
        view_top = harness.server.world.resource(Battlefield).view_top
        firsts.append({pid: (x, y - view_top) for pid, (x, y) in on_server(harness).items()})
    assert sorted(firsts[0]) == sorted(firsts[1]) == [1, 2, 3]
    for pid, place in firsts[0].items():
        assert place == pytest.approx(firsts[1][pid], abs=3.0)
