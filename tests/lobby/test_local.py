"""The local fleet's choices, on servers in given states (no processes): room, packing,
parties, draining and stopping servers, reservations that lapse or are taken up."""

from __future__ import annotations

import asyncio

from game.lobby.backend import NoRoom, Party
from game.lobby.local import FleetSettings, LocalFleet, LocalServer


def fleet(*servers: LocalServer) -> LocalFleet:
    made = LocalFleet(FleetSettings(size=len(servers) or 1, key_file="unused"))
    made.current = {s.slot: s for s in servers}
    return made


def server(slot: int, state: str = "Ready", players: int = 0, seats: int = 4, spectators: int = 2):
    made = LocalServer(slot, 1, capacity=seats + spectators, seats=seats)
    made.address = ("127.0.0.1", 5000 + slot)
    made.state = state
    made.players = [f"p{slot}-{i}" for i in range(players)]
    return made


def test_seats_in_a_running_match_first_the_fullest_then_a_fresh_server_then_spectators():
    a, b, c = server(1, "Allocated", 1), server(2, "Allocated", 3), server(3, "Ready")
    choose = fleet(a, b, c).choose
    assert choose(1, 0.0) is b  # the fullest match with a seat free
    assert choose(2, 0.0) is a  # b has one seat left: a party of two goes where both fly
    assert choose(4, 0.0) is c  # neither match seats four: a fresh server
    c.state = "Shutdown"
    assert choose(4, 0.0) is a  # no fresh server: a's room, seats and spectators (5 left)
    assert choose(6, 0.0) is None


def test_draining_stopping_starting_or_gone_servers_get_nobody():
    servers = [server(1), server(2), server(3), server(4), server(5, "Starting")]
    servers[0].draining = True  # its metrics say it stopped admitting (SIGTERM)
    servers[1].stopping = "its match ended and everyone left (Shutdown)"
    servers[2].exit_code = 0
    servers[3].address = None  # has not said where it listens
    assert fleet(*servers).choose(1, 0.0) is None
    servers[0].draining = False
    assert fleet(*servers).choose(1, 0.0) is servers[0]


def test_a_placement_holds_room_until_the_players_arrive_or_their_tickets_lapse():
    asyncio.run(_placement_holds_room())


async def _placement_holds_room():
    a = server(1, "Allocated", players=2, seats=4, spectators=0)
    local = fleet(a)
    local._http = None  # no sidecar to tell
    a.allocate_wanted = False
    now = local.now()
    placed = await local.allocate(Party(("ada", "bob")))
    assert placed.server == "server-1.1" and placed.addresses == (("127.0.0.1", 5001),)
    assert a.room(now) == 0 and a.placed == 2
    try:
        await local.allocate(Party(("cy",)))
    except NoRoom as error:
        assert str(error) == "no server has room for a party of 1 now"
    else:
        raise AssertionError("a full server took one more")
    a.arrived([*a.players, "ada", "bob 2"])  # bob's name was taken there: numbered
    assert a.pending == [] and a.room(now) == 0
    a.arrived(a.players[:2])  # both left
    assert a.room(now) == 2
    a.pending = [("late", now + 1.0)]
    assert a.room(now) == 1 and a.room(now + 2.0) == 2  # a ticket unused past its life


def test_a_fresh_server_is_allocated_in_its_sidecar_when_first_used():
    asyncio.run(_fresh_server_allocated())


async def _fresh_server_allocated():
    a = server(1, "Ready")
    local = fleet(a)
    told = []

    async def allocate_in_sidecar(s):
        told.append(s.id)

    local._allocate_in_sidecar = allocate_in_sidecar
    await local.allocate(Party(("ada",)))
    assert a.state == "Allocated" and a.allocate_wanted
    await asyncio.sleep(0)
    assert told == ["server-1.1"]
