"""Playing over real TCP: movement, firing, authority, mission end, single-player loopback."""

import pytest

from engine import Phase
from engine.components import Transform, Velocity
from engine.net.datagrams import MemoryNetwork
from engine.net.replication import Replicated
from engine.net.sync import ClientNet
from engine.time import ManualClock
from game.net.budget import MoveBudget
from game.net.claims import InputHistory
from game.net.client import GameClient
from game.net.protocol import (
    MissionEnd,
    PlayerAction,
    PlayerEvent,
    PlayerInputs,
    PlayerRealtimeChange,
    SpawnSelf,
)
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import FlightPattern, Health, Player, PlayerInput
from game.rules.spawn import spawn_enemy
from game.server import GameServer

TICK_STEPS = 3


def server_aircraft(harness, name):
    roster = harness.server.world.resource(Roster)
    seat = next(s for s in roster.seats.values() if s.name == name)
    return seat


def replica(client, net_id):
    """The client's latest replicated keys (x, y, angle) of an entity's Transform."""
    keys = client.world.resource(ClientNet).decoder.state[net_id]
    return [k / 8 for k in keys[1][:2]]


def test_movement_by_one_reaches_the_others_within_three_ticks(harness):
    alice, bob = harness.join("alice"), harness.join("bob")
    harness.step(6)
    seat = server_aircraft(harness, "alice")
    start_x = replica(bob, seat.net_id)[0]
    alice.control(0, move_x=1.0)
    moved_at = harness.run_until(
        lambda: replica(bob, seat.net_id)[0] > start_x + 1, steps=30, what="bob to see alice move"
    )
    assert moved_at <= 3 * TICK_STEPS
    harness.step(30)
    alice.control(0, move_x=0.0)
    harness.step(1)
    mine = alice.world.component(alice.own_aircraft()[0], Transform)
    # Once alice stops, bob's drawn (interpolated) aircraft settles where she put it.
    harness.step(3 * TICK_STEPS + 2 * TICK_STEPS)
    bob_entity = bob.entity_of(seat.net_id)
    seen = bob.world.component(bob_entity, Transform)
    assert seen.x == pytest.approx(mine.x, abs=0.2)
    assert seen.x > start_x + 100


def test_own_aircraft_answers_input_in_the_same_step(harness):
    alice = harness.join("alice")
    entity = alice.own_aircraft()[0]
    before = alice.world.component(entity, Transform).x
    alice.control(0, move_x=-1.0)
    alice.step()
    assert alice.world.component(entity, Transform).x < before - 3


def test_firing_damages_an_enemy_on_the_server_and_everyone_sees_it(harness):
    alice, bob = harness.join("alice"), harness.join("bob")
    world = harness.server.world
    seat = server_aircraft(harness, "alice")
    plane = world.component(seat.entity, Transform)
    enemy = spawn_enemy(world, "avenger", plane.x, plane.y - 200)
    harness.step(1)
    world.remove_component(enemy, FlightPattern)  # hold it still in alice's line of fire
    world.component(enemy, Velocity).x = world.component(enemy, Velocity).y = 0
    alice.control(0, fire=True)
    health = world.component(enemy, Health)
    harness.run_until(lambda: health.hitpoints < health.max_hitpoints, what="a hit")
    net_id = world.component(enemy, Replicated).net_id
    harness.step(2 * TICK_STEPS)
    for client in (alice, bob):
        seen = client.world.component(client.entity_of(net_id), Health)
        assert seen.hitpoints == health.hitpoints < seen.max_hitpoints


def test_fire_and_missiles_of_one_player_reach_the_others(harness):
    alice, bob, carol = harness.join("alice"), harness.join("bob"), harness.join("carol")
    heard: dict[str, list] = {}
    for client, name in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
        seen = heard[name] = []
        client.world.add_system(
            lambda w, dt, seen=seen: seen.extend(
                (*w.events.read(PlayerRealtimeChange), *w.events.read(PlayerEvent))
            ),
            Phase.PRESENT,
        )
    aircraft = server_aircraft(harness, "alice").net_id
    alice.control(0, fire=True, missile=True)
    harness.run_until(lambda: len(heard["bob"]) == 2, steps=30, what="bob to hear alice")
    harness.step(2)
    expected = [
        PlayerRealtimeChange(aircraft, PlayerAction.FIRE, True),
        PlayerEvent(aircraft, PlayerAction.LAUNCH_MISSILE),
    ]
    assert heard["bob"] == heard["carol"] == expected
    assert heard["alice"] == []  # the sender is not sent its own


def test_a_position_update_for_someone_elses_aircraft_is_refused(harness):
    alice, bob = harness.join("alice"), harness.join("bob")
    bobs = server_aircraft(harness, "bob")
    where = harness.server.world.component(bobs.entity, Transform)
    before_x = where.x  # bob flies straight up with the view; only alice asks to move him
    step = alice.world.time.step + 1
    alice.net.send(PlayerInputs.pack(step, 3, {bobs.net_id: (0, [(100.0, where.y, False)])}))
    harness.step(2)
    assert where.x == before_x != 100.0
    assert alice.connected and bob.connected


def test_a_teleport_is_clamped_and_corrected(harness):
    alice = harness.join("alice")
    seat = server_aircraft(harness, "alice")
    world = harness.server.world
    server_plane = world.component(seat.entity, Transform)
    start = (server_plane.x, server_plane.y)
    harness.paused.add(id(alice))  # stop alice's own inputs while we forge one
    # Half a second on from her clock (as if her last ticks were lost): the most it may cover.
    step = alice.world.time.step + 30
    forged = PlayerInputs.pack(step, 3, {seat.net_id: (0, [(40.0, server_plane.y - 600, False)])})
    alice.net.send(forged)
    alice.net.flush(harness.clock.now())
    harness.step(1)
    moved = ((server_plane.x - start[0]) ** 2 + (server_plane.y - start[1]) ** 2) ** 0.5
    assert 0 < moved <= 250 * 1.15 * 0.5 + 1  # at most the speed budget
    assert world.component(seat.entity, MoveBudget).refused == 1
    corrected_x = server_plane.x
    mine = alice.world.component(alice.own_aircraft()[0], Transform)
    predicted_x = mine.x
    alice.step()  # the correction arrives and starts to ease in: no snap
    assert alice.session.corrections == 1
    assert corrected_x < mine.x < predicted_x
    harness.paused.discard(id(alice))
    harness.step(40)
    assert mine.x == pytest.approx(server_plane.x, abs=1.0)  # client and server agree again
    assert mine.x < predicted_x - 50


def test_mission_success_is_sent_once_then_the_mission_restarts(harness):
    alice = harness.join("alice")
    ends = []
    spawns = []
    alice.world.add_system(lambda w, dt: ends.extend(w.events.read(MissionEnd)), Phase.NETWORK)
    alice.world.add_system(lambda w, dt: spawns.extend(w.events.read(SpawnSelf)), Phase.NETWORK)
    harness.server.world.resource(Battlefield).view_top = 0.0
    alice.world.resource(Battlefield).view_top = 0.0
    alice.control(0, move_y=-1.0)
    harness.run_until(lambda: ends, steps=1200, what="the mission to end")
    assert ends[0].outcome.name == "SUCCESS"
    harness.run_until(lambda: spawns, steps=400, what="the restart")
    harness.step(60)
    assert len(ends) == 1
    start = 4200 - 768  # won: the campaign's next mission (the coast, 4200 px long) began
    assert start - 60 < harness.server.world.resource(Battlefield).view_top <= start
    assert len(alice.own_aircraft()) == 1


def test_a_client_learns_its_own_aircraft_was_shot_down_from_the_explosion(harness):
    alice, bob = harness.join("alice"), harness.join("bob")
    seat = server_aircraft(harness, "alice")
    plane = harness.server.world.component(seat.entity, Transform)
    rammer = spawn_enemy(harness.server.world, "avenger", plane.x, plane.y)
    harness.server.world.flush()
    harness.server.world.component(rammer, Health).hitpoints = 10_000
    harness.run_until(lambda: alice.session.shot_down, steps=30, what="alice to hear of it")
    assert alice.session.shot_down == [seat.net_id]
    assert bob.session.shot_down == []  # bob heard the Explosion, but it was not his


def test_single_player_runs_the_same_code_over_an_in_memory_network(harness):
    clock = ManualClock()
    server = GameServer(listen=False, seed=2, clock=clock)
    network = MemoryNetwork()
    server.join_memory_network(network)
    client = GameClient.with_ticket(
        server.ticket("solo"), "solo", clock=clock, socket=network.bind()
    )
    try:
        for _ in range(30):
            clock.advance(1 / 60)
            server.step()
            client.step()
        assert client.connected
        assert [p[0] for p in client.players().values()] == ["solo"]
        entity = client.own_aircraft()[0]
        assert client.world.component(entity, Player).name == "solo"
    finally:
        client.close()
        server.close()


def test_a_client_sends_its_inputs_on_ticks_only(harness):
    alice = harness.join("alice")
    harness.step(6)
    sent = []  # (alice's step, message), in the order they go on the wire
    send = alice.net.send

    def record(message):
        sent.append((alice.world.time.step, message))
        send(message)

    alice.net.send = record
    harness.step(12)
    assert {type(m) for _, m in sent} == {PlayerInputs}
    assert len(sent) == 4 and all(step % TICK_STEPS == 0 for step, _ in sent)
    assert [m.step for step, m in sent] == [step for step, _ in sent]
    ((_, last),) = sent[-1:]
    (mine,) = last.unpack()
    assert [last.step - e.step for e in mine.entries] == [9, 6, 3, 0]  # the last four ticks
    while alice.world.time.step % TICK_STEPS == 0:  # her next step is no tick
        harness.step()
    sent.clear()
    alice.control(0, fire=True, missile=True)
    harness.step()
    assert sent == []  # actions wait for the tick
    alice.control(0, fire=False)  # a tap of one step, between two ticks
    while not sent:
        harness.step()
    (mine,) = sent[0][1].unpack()
    assert mine.entries[-1].fire and mine.missiles == 1  # the tap is not lost
    harness.step(TICK_STEPS)
    (mine,) = sent[-1][1].unpack()
    assert [e.fire for e in mine.entries][-2:] == [True, False]
    assert mine.missiles == 1  # a running count: repeated, never new again


def test_a_client_that_lost_its_connection_sends_and_spends_nothing(harness):
    alice = harness.join("alice")
    harness.step(3)
    entity = alice.own_aircraft()[0]
    history = alice.world.component(entity, InputHistory)
    before = (list(history.entries), history.missiles)
    alice.net.fail("pulled the plug")
    assert not alice.connected
    alice.control(0, fire=True, missile=True)
    for _ in range(TICK_STEPS):
        alice.step()
    assert alice.world.component(entity, PlayerInput).missile_requests == 1  # kept, not sent
    assert (list(history.entries), history.missiles) == before


def test_a_headless_client_frame_runs_the_due_steps_then_presents_once(harness):
    alice = harness.join("alice")
    frames = []
    alice.world.add_system(lambda w, dt: frames.append((w.time.step, dt)), Phase.PRESENT)
    alice.run_due_steps()  # catch up with the harness's clock: a frame of its own
    frames.clear()
    step = alice.world.time.step
    harness.clock.advance(2.5 / 60)
    assert alice.run_due_steps() == 2
    assert frames == [(step + 2, pytest.approx(2.5 / 60))]
    assert alice.world.time.alpha == pytest.approx(0.5)
