"""A server and headless clients over real TCP on 127.0.0.1, stepped by one manual clock.

Everything runs on this thread: each harness step advances the clock by one
fixed step and steps the server and every live client once. Loopback TCP hands
bytes over as soon as they are flushed, so no test sleeps; waits are bounded
by a step count.
"""

from __future__ import annotations

import pytest

from engine.net.transport import loopback_pair
from engine.time import ManualClock
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
        tcp: bool = True,
    ) -> None:
        self.clock = ManualClock(1000.0)
        self.mods = tuple(mods)
        self.tcp = tcp  # False: clients join over in-memory links, and the server has no socket
        self.server = GameServer(
            port=0,
            listen=tcp,
            seed=seed,
            clock=self.clock,
            max_players=max_players,
            spectators=spectators,
            mods=self.mods,
        )
        self.clients: list[GameClient] = []
        self.paused: set[int] = set()  # clients that stop stepping (to go silent)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def connect(self, name: str) -> GameClient:
        if self.tcp:
            host, port = self.address
            client = GameClient.connect(host, port, name, clock=self.clock, mods=self.mods)
        else:
            end_server, end_client = loopback_pair()
            self.server.net.add_stream(end_server, self.clock.now())
            client = GameClient.over(end_client, name, clock=self.clock, mods=self.mods)
        self.clients.append(client)
        return client

    def join(self, name: str) -> GameClient:
        client = self.connect(name)
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


@pytest.fixture
def harness():
    made = Harness()
    yield made
    made.close()
