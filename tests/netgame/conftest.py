"""A server and headless clients over real UDP on 127.0.0.1, stepped by one manual clock.

Everything runs on this thread: each harness step advances the clock by one
fixed step and steps the server and every live client once. Loopback UDP hands
datagrams over as soon as they are sent, so no test sleeps; waits are bounded
by a step count. With `udp=False` the same runs on an in-memory network.

Each client's sockets sit behind an Outage (`harness.cut(client, seconds)`: its link
gone for a while); a client that loses its connection reconnects with a fresh ticket
from a new socket (a new address), unless it was made `resumable=False`.
"""

from __future__ import annotations

import math

import pytest

from engine.net.datagrams import MemoryNetwork, UdpSocket
from engine.net.tcp_datagrams import TcpDatagramClient
from engine.testing import Outage
from engine.time import ManualClock
from engine.world import World
from game.net.client import GameClient
from game.server import DEFAULT_SPECTATORS, GameServer

STEP = 1 / 60


class Harness:
    def __init__(
        self,
        max_players: int = 8,
        *,
        spectators: int = DEFAULT_SPECTATORS,
        mods=(),  # noqa: ANN001
        seed: int = 11,
        udp: bool = True,
        transport: str = "udp",
        mission: str | None = None,
    ) -> None:
        self.clock = ManualClock(1000.0)
        self.mods = tuple(mods)
        self.udp = udp  # False: everyone on an in-memory network, and the server has no socket
        self.transport = transport  # with sockets: "udp", or "tcp" (the fallback)
        self.network = None if udp else MemoryNetwork(seed)
        self.server = GameServer(
            host="127.0.0.1",
            port=0,
            transports=(transport,),
            listen=udp,
            seed=seed,
            clock=self.clock,
            max_players=max_players,
            spectators=spectators,
            mods=self.mods,
            mission=mission,
        )
        if self.network is not None:
            self.server.join_memory_network(self.network)
        self.clients: list[GameClient] = []
        self.paused: set[int] = set()  # clients that stop stepping (to go silent)
        self.outages: dict[int, Outage] = {}  # id(client) -> the outage its sockets are behind

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def connect(self, name: str, *, resumable: bool = True, **options) -> GameClient:  # noqa: ANN003
        """A client with a fresh ticket, connecting (step to make progress)."""
        outage = Outage(self.clock)

        def open_socket():  # noqa: ANN202
            if self.network is not None:
                return outage.wrap(self.network.bind())
            if self.transport == "tcp":
                host, port = self.server.address
                return outage.wrap(TcpDatagramClient(host, port, now=self.clock.now()))
            return outage.wrap(UdpSocket.bind("127.0.0.1", 0))

        if resumable:
            options.update(renew_ticket=lambda: self.server.ticket(name), open_socket=open_socket)
        client = GameClient.with_ticket(
            self.server.ticket(name),
            name,
            clock=self.clock,
            socket=open_socket(),
            mods=options.pop("mods", self.mods),
            transport=self.transport,
            **options,
        )
        self.clients.append(client)
        self.outages[id(client)] = outage
        return client

    def cut(self, client: GameClient, seconds: float) -> None:
        """`client` hears nothing and is heard by nobody for `seconds` from now."""
        self.outages[id(client)].cut(seconds)

    def join(self, name: str, **options) -> GameClient:  # noqa: ANN003
        client = self.connect(name, **options)
        self.run_until(lambda: bool(client.own_aircraft()), what=f"{name} to get an aircraft")
        return client

    def step(self, count: int = 1) -> None:
        """One fixed step of everyone; each live client then presents a frame of that step
        (as a window at 60 Hz does: interpolation, drawing between steps)."""
        for _ in range(count):
            self.clock.advance(STEP)
            self.server.step()
            for client in self.clients:
                if id(client) not in self.paused and not client.world.closed:
                    client.step()
                    client.present(STEP, 1.0)

    def run_until(self, condition, *, steps: int = 600, what: str = "condition") -> int:
        for taken in range(steps):
            if condition():
                return taken
            self.step()
        raise AssertionError(f"waited {steps} steps for {what}")

    def close(self) -> None:
        for client in self.clients:
            if not client.world.closed:
                client.close()
        self.server.close()


@pytest.fixture(params=["udp", "tcp"])
def harness(request):
    """A server and its clients over UDP, and again over the TCP fallback: every game
    feature a test shows works over both transports."""
    made = Harness(transport=request.param)
    yield made
    made.close()


@pytest.fixture
def table():
    """Bare clients at a server on an in-memory network (test_authority.Table)."""
    from tests.netgame.test_authority import Table

    made = Table()
    yield made
    made.close()


@pytest.fixture
def two_seats():
    """The same with two aircraft seats and room for four to watch."""
    from tests.netgame.test_authority import Table

    made = Table(max_players=2, spectators=4)
    yield made
    made.close()


def calm(world: World) -> None:
    """No enemies in this server world: for tests about the link or the seats, where nobody
    flies the aircraft (held still, they would be shot down long before the test is done)."""
    from game.rules.systems.spawning import MissionScript, WaveClock

    world.insert_resource(MissionScript())  # nothing scripted
    world.resource(WaveClock).next_at = math.inf  # and no random waves
