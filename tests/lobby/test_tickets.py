"""Tickets the lobby hands out, used as players would and as they should not be: the right
one gets in; a forged, expired, replayed or wrong-server one is refused by the server (its
reason counted, nothing answered, nothing crashed) and the player is told in one line.
Servers and players share one manual clock on an in-memory network."""

from __future__ import annotations

import pytest

from engine.net.datagrams import MemoryNetwork
from engine.net.netcode import new_key
from engine.net.tickets import decode_token
from engine.time import ManualClock
from game.lobby.api import Lobby, RateLimit
from game.lobby.backend import Party
from game.lobby.metrics import LobbyMetrics
from game.net.client import GameClient
from game.server import GameServer
from tests.lobby.conftest import FakeBackend

A = ("127.0.0.2", 5000)
B = ("127.0.0.3", 5000)
UNIX = 1_800_000_000.0
STEP = 1 / 60


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(100.0)
        self.network = MemoryNetwork(0)
        self.key = new_key()
        self.servers: list[GameServer] = []
        self.clients: list[GameClient] = []

    def unix(self) -> float:
        return UNIX + self.clock.now()

    def server(self, address, *, reached_at=None, network=None) -> GameServer:
        made = GameServer(
            listen=False,
            key=self.key,
            public_addresses=[address],
            clock=self.clock,
            unix_time=self.unix,
            seed=1,
        )
        made.net.add_socket((network or self.network).bind(reached_at or address))
        self.servers.append(made)
        return made

    def tickets(self, *players, at=A, key=None, unix_shift=0.0):
        lobby = Lobby(
            allocator=FakeBackend(),
            key=key or self.key,
            rate=RateLimit(),
            metrics=LobbyMetrics(),
            unix_time=lambda: self.unix() + unix_shift,
        )
        return [decode_token(t.token) for t in lobby.tickets(Party(players), (at,))]

    def client(self, token, name, network=None) -> GameClient:
        made = GameClient.with_ticket(
            token, name, clock=self.clock, socket=(network or self.network).bind(), smooth=False
        )
        self.clients.append(made)
        return made

    def run(self, seconds, until=lambda: False) -> None:
        for _ in range(round(seconds / STEP)):
            self.clock.advance(STEP)
            for server in self.servers:
                server.run_due_steps()
            for client in self.clients:
                if not client.net.closed:
                    client.run_due_steps()
            if until():
                return

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for server in self.servers:
            server.close()


@pytest.fixture
def world():
    made = World()
    yield made
    made.close()


def test_the_lobbys_tickets_let_a_party_in_under_their_names(world):
    server = world.server(A)
    ada, bob = (world.client(t, "someone") for t in world.tickets("ada", "bob"))
    world.run(3.0, until=lambda: ada.connected and bob.connected)
    assert ada.connected and bob.connected
    assert sorted(p.name for p in server.net.joined_peers()) == ["ada", "bob"]


def test_a_forged_ticket_gets_no_answer(world):
    server = world.server(A)
    (forged,) = world.tickets("mallory", key=new_key())  # not the servers' key
    mallory = world.client(forged, "mallory")
    world.run(6.0, until=lambda: mallory.net.closed)
    assert mallory.net.close_reason == "Could not connect: no answer from 127.0.0.2:5000 after 5 s"
    assert server.net.link.stats.ignored["request: connect token does not decrypt"] > 0
    assert server.net.peers == []


def test_an_expired_ticket_is_refused(world):
    server = world.server(A)
    (stale,) = world.tickets("ada", unix_shift=-31.0)  # issued 31 s ago: 30 s is its life
    ada = world.client(stale, "ada")
    world.run(6.0, until=lambda: ada.net.closed)
    assert ada.net.close_reason == "Could not connect: no answer from 127.0.0.2:5000 after 5 s"
    assert server.net.link.stats.ignored["request: connect token expired"] > 0
    assert server.net.peers == []


def test_a_ticket_for_another_server_gets_no_answer(world):
    # The lobby sent ada to A; her datagrams reach B (same key, another address).
    elsewhere = MemoryNetwork(1)
    b = world.server(B, reached_at=A, network=elsewhere)
    (ticket,) = world.tickets("ada", at=A)
    ada = world.client(ticket, "ada", network=elsewhere)
    world.run(6.0, until=lambda: ada.net.closed)
    assert ada.net.close_reason == "Could not connect: no answer from 127.0.0.2:5000 after 5 s"
    assert b.net.link.stats.ignored["request: token does not name this server"] > 0
    assert b.net.peers == []


def test_a_replayed_ticket_does_not_get_a_second_player_in(world):
    server = world.server(A)
    (ticket,) = world.tickets("ada")
    ada = world.client(ticket, "ada")
    world.run(3.0, until=lambda: ada.connected)
    assert ada.connected
    thief = world.client(ticket, "thief")  # the same token, from another address
    world.run(6.0, until=lambda: thief.net.closed)
    assert thief.net.close_reason == "Could not connect: no answer from 127.0.0.2:5000 after 5 s"
    ignored = server.net.link.stats.ignored
    assert (
        ignored["request: client id already connected"]
        + ignored["request: token already used from another address"]
        > 0
    )
    assert [p.name for p in server.net.joined_peers()] == ["ada"] and ada.connected
