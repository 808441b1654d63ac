"""One system per command message: each reads its own message's FromPeer events and no other,
and each asks the same ownership check before it touches an aircraft."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine import Phase, World
from engine.components import Transform
from engine.net.messages import BroadcastMessage
from engine.net.server import FromPeer, PeerLeft
from game.net.commands import InputSystem, MarkerSystem, PartnerSystem
from game.net.protocol import (
    GameEvent,
    GameEventKind,
    PlayerEvent,
    PlayerInputs,
    PlayerRealtimeChange,
    RequestCoopPartner,
)
from game.net.seats import Roster, Seat, SeatingSystem
from game.rules.components import PlayerInput
from tests.netgame.bare import Outbox, a_peer, bare_server, seat


@dataclass
class Server:
    world: World
    outbox: Outbox
    alice: Seat
    bob: Seat

    def commands(self, sender: Seat, aircraft: Seat) -> list[object]:
        """One event of every command message from `sender`, about `aircraft`'s plane."""
        where = self.world.component(aircraft.entity, Transform)
        messages = [
            PlayerInputs.pack(3, 3, {aircraft.net_id: (1, [(where.x + 40.0, where.y, True)])}),
            RequestCoopPartner(),
            GameEvent(GameEventKind.MARKER, 10.0, 20.0),
        ]
        return [FromPeer[type(message)](sender.peer, message) for message in messages]

    def effects(self, aircraft: Seat, start: tuple[float, float]) -> set[type]:
        """Which messages took effect, judged by what they change."""
        world, done = self.world, set()
        where = world.component(aircraft.entity, Transform)
        intent = world.component(aircraft.entity, PlayerInput)
        if (where.x, where.y) != start or intent.fire or intent.missile_requests:
            done.add(PlayerInputs)
        if len(world.resource(Roster).seats) > 2:
            done.add(RequestCoopPartner)
        if any(isinstance(m, BroadcastMessage) and "marks" in m.text for _, m in self.outbox.sent):
            done.add(GameEvent)
        return done


@pytest.fixture
def server():
    world, outbox = bare_server()
    alice = seat(world, 1, a_peer(1, "alice"))
    bob = seat(world, 2, a_peer(2, "bob"))
    outbox.sent.clear()
    yield Server(world, outbox, alice, bob)
    world.close()


SYSTEMS = [
    (InputSystem, PlayerInputs),
    (PartnerSystem, RequestCoopPartner),
    (MarkerSystem, GameEvent),
]


@pytest.mark.parametrize(("system", "message"), SYSTEMS, ids=[s.__name__ for s, _ in SYSTEMS])
def test_each_command_system_acts_on_its_own_message_only(server, system, message):
    world, alice = server.world, server.alice
    world.add_system(system(), Phase.INPUT)
    where = world.component(alice.entity, Transform)
    start = (where.x, where.y)
    for event in server.commands(alice, alice):
        world.events.emit(event)
    world.step()
    assert server.effects(alice, start) == {message}


def test_fire_and_missiles_are_told_to_everyone_but_the_sender(server):
    world, alice = server.world, server.alice
    world.add_system(InputSystem(), Phase.INPUT)
    for event in server.commands(alice, alice):
        world.events.emit(event)
    world.step()
    assert [(to, type(m)) for to, m in server.outbox.sent] == [
        ("all but alice", PlayerRealtimeChange),
        ("all but alice", PlayerEvent),
    ]


OWNED = [(InputSystem, PlayerInputs)]


@pytest.mark.parametrize(("system", "message"), OWNED, ids=[s.__name__ for s, _ in OWNED])
def test_a_command_about_someone_elses_aircraft_changes_nothing(server, system, message, caplog):
    world, alice, bob = server.world, server.alice, server.bob
    world.add_system(system(), Phase.INPUT)
    where = world.component(alice.entity, Transform)
    start = (where.x, where.y)
    for event in server.commands(bob, alice):  # bob names alice's aircraft
        world.events.emit(event)
    world.step()
    assert server.effects(alice, start) == set()
    assert server.outbox.sent == []
    assert f"bob: refused {message.__name__} for aircraft {alice.net_id} (not theirs)" in (
        caplog.text
    )


@pytest.mark.parametrize(("system", "message"), OWNED, ids=[s.__name__ for s, _ in OWNED])
def test_a_last_command_from_a_peer_that_quit_in_the_same_step_is_dropped_quietly(
    server, system, message, caplog
):
    """Seating runs before the commands, so a Quit right after a PlayerInputs removes the
    seat first: the command is dropped, and nobody is accused of flying another's plane."""
    world, bob = server.world, server.bob
    world.add_system(SeatingSystem(), Phase.INPUT)
    world.add_system(system(), Phase.INPUT)
    bob.peer.leaving = "quit"
    world.events.emit(PeerLeft(bob.peer, "quit", clean=True))
    for event in server.commands(bob, bob):
        world.events.emit(event)
    world.step()
    assert not world.is_alive(bob.entity)
    assert "not theirs" not in caplog.text
