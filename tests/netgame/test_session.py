"""Joining, seeing each other, leaving, timing out, co-op partners, late joiners, rejects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from engine import Phase
from engine.components import Transform
from engine.net.client import NetClient
from engine.net.codec import U8
from engine.net.messages import Message, RejectReason, Route
from engine.net.replication import Replicated
from game.net.protocol import PlayerDisconnect, RequestCoopPartner
from game.net.schema import shooter_schema
from game.net.seats import Roster
from game.rules.components import Aircraft, Pickup, Player
from game.rules.spawn import spawn_enemy, spawn_pickup


def test_three_clients_join_and_see_each_other(harness):
    names = ["alice", "bob", "carol"]
    clients = [harness.join(name) for name in names]
    harness.step(6)  # two ticks: the last joiner's aircraft reaches everyone
    for client in clients:
        seen = {name for name, _, _ in client.players().values()}
        assert seen == set(names)
        assert len(client.own_aircraft()) == 1
    assert "carol joined" in clients[0].session.broadcasts


def test_a_leaving_client_is_announced_and_its_aircraft_removed(harness):
    alice, bob = harness.join("alice"), harness.join("bob")
    harness.step(6)
    alice_id = next(pid for pid, (name, _, _) in bob.players().items() if name == "alice")
    disconnects = []
    bob.world.add_system(
        lambda w, dt: disconnects.extend(w.events.read(PlayerDisconnect)), Phase.NETWORK
    )
    alice.close()
    harness.run_until(lambda: "alice left" in bob.session.broadcasts, what="the broadcast")
    harness.step(6)
    assert [d.player_id for d in disconnects] == [alice_id]
    assert alice_id not in bob.players()
    assert len(harness.server.roster.seats) == 1


def test_a_silent_client_times_out_its_seat_waits_30_s_and_the_others_carry_on(harness):
    alice = harness.join("alice", resumable=False)
    bob = harness.join("bob")
    harness.paused.add(id(alice))  # alice stops reading and sending
    steps = harness.run_until(lambda: harness.server.net.dropped, steps=600, what="the timeout")
    assert 4.9 <= steps / 60 <= 5.5  # dropped after the ticket's 5 s of silence
    assert "alice left" not in bob.session.broadcasts  # she may be back: her seat waits
    assert len(harness.server.roster.seats) == 2
    steps = harness.run_until(
        lambda: "alice left" in bob.session.broadcasts, steps=31 * 60, what="the seat to lapse"
    )
    assert 29.9 <= steps / 60 <= 30.1
    assert len(harness.server.roster.seats) == 1
    assert bob.connected
    harness.paused.discard(id(alice))
    # She reads what was queued for her while away, then hears nothing more: her end
    # gives up within one timeout too.
    harness.run_until(lambda: alice.close_reason is not None, steps=400, what="alice's end")
    assert alice.close_reason == "Lost connection to server (no answer for 5 s)"


def test_co_op_partner_joins_on_the_same_connection_at_most_once(harness):
    alice, bob = harness.join("alice"), harness.join("bob")
    alice.request_partner()
    harness.run_until(lambda: len(alice.own_aircraft()) == 2, what="the partner aircraft")
    alice.net.send(RequestCoopPartner())  # a third seat is refused by the server
    alice.net.send(RequestCoopPartner())
    harness.step(12)
    assert sorted(alice.own_aircraft()) == [0, 1]
    seats = harness.server.world.resource(Roster).seats.values()
    assert sorted(s.local_index for s in seats if s.name.startswith("alice")) == [0, 1]
    assert len(bob.players()) == 3


def test_a_late_joiner_sees_enemies_and_pickups_that_already_exist(harness):
    harness.join("alice")
    world = harness.server.world
    _, (_, alice) = world.query(Player, Transform)[0]
    enemy = spawn_enemy(world, "avenger", 300.0, alice.y - 300)
    pickup = spawn_pickup(world, "health", 500.0, alice.y - 100)
    harness.step(12)
    late = harness.join("zed")
    harness.step(3)
    ids = {world.component(enemy, Replicated).net_id, world.component(pickup, Replicated).net_id}
    seen = {late.world.component(e, Replicated).net_id for e, _ in late.world.query(Aircraft)}
    seen |= {late.world.component(e, Replicated).net_id for e, _ in late.world.query(Pickup)}
    assert ids <= seen


@dataclass(frozen=True, slots=True)
class Wave(Message):
    hand: Annotated[int, U8()]


def probe(harness, name, schema):
    """A bare NetClient: step everything until the server answers it."""
    ticket = harness.server.ticket()
    client = NetClient(
        token=ticket, transport=harness.transport, now=harness.clock.now(), name=name, schema=schema
    )
    for _ in range(120):
        client.poll(harness.clock.now())
        client.flush(harness.clock.now())
        if client.closed:
            return client
        harness.step()
    raise AssertionError("no answer to the probe")


def test_full_server_bad_names_and_mismatched_schema_are_rejected(harness):
    for i in range(harness.server.max_players):
        harness.join(f"p{i}")
    for i in range(harness.server.net.max_peers - harness.server.max_players):
        watcher = harness.connect(f"w{i}")
        harness.run_until(lambda w=watcher: w.session.spectating, what="a spectator")
    late = harness.connect("one-too-many")
    harness.run_until(lambda: late.net.closed, what="the reject")
    assert late.net.rejected.reason is RejectReason.FULL
    assert "full" in late.close_reason
    # A taken name is no refusal (it would be numbered): here the server is full.
    assert probe(harness, "P1", shooter_schema()).rejected.reason is RejectReason.FULL
    assert probe(harness, "\x07bell", shooter_schema()).rejected.reason is RejectReason.BAD_NAME
    with_a_message_more = shooter_schema()
    with_a_message_more.messages.register(Wave, Route.TO_SERVER)
    wrong = probe(harness, "newbie", with_a_message_more).rejected
    assert wrong.reason is RejectReason.SCHEMA and "update the game" in wrong.detail
    assert all(c.connected for c in harness.clients[:-1])
