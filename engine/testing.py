"""Helpers for testing systems and plugins, and games over the network, without sockets.

    world = world_with(MovementPlugin(), MyPlugin())     # a bare world for one system
    run(world, 10)

    net = LoopbackNetwork(NetSchema, server_plugins=..., client_plugins=..., clients=2)
    net.step(30)                                          # server and clients, one clock
    net.client_entity(0, net_id)                          # what client 0 made of an entity

Everything runs on one thread with a ManualClock, so tests never sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.net.client import NetClient
from engine.net.messages import Welcome
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.sync import ClientNet, ClientNetPlugin, ServerNet, ServerNetPlugin, snapshot_tick
from engine.net.transport import loopback_pair
from engine.phases import Role
from engine.plugin import Plugin
from engine.time import ManualClock
from engine.world import World

STEP = 1 / 60


def world_with(*plugins: Plugin, role: Role = Role.SERVER, seed: int = 0) -> World:
    """A world holding only these plugins (close it when done: esper contexts are global)."""
    world = World(role, seed=seed)
    world.add_plugins(plugins)
    return world


def run(world: World, steps: int = 1) -> None:
    world.run(steps)


class LoopbackNetwork:
    """A server world and client worlds joined over in-memory transports on one clock.

    `make_schema`, `server_plugins` and `client_plugins` are factories (called once
    per world) so every world gets its own schema and plugin instances. The network
    plugins are added first, so a plugin's systems see the net resources (ServerNet,
    ClientNet) and register in the world's schema.
    """

    def __init__(
        self,
        make_schema: Callable[[], NetSchema],
        *,
        server_plugins: Callable[[], Iterable[Plugin]] = lambda: (),
        client_plugins: Callable[[], Iterable[Plugin]] = lambda: (),
        clients: int = 2,
        seed: int = 0,
        latency_steps: int = 0,
    ) -> None:
        self.clock = ManualClock(1000.0)
        self.server = World(Role.SERVER, seed=seed)
        self.net_server = NetServer(
            schema=make_schema(), max_peers=max(clients, 1), welcome=self._welcome
        )
        self.server.add_plugin(ServerNetPlugin(self.net_server, self.clock))
        self.server.add_plugins(server_plugins())
        self.clients: list[World] = []
        self.latency_steps = latency_steps
        self._pipes: list[_DelayedPipe] = []
        for index in range(clients):
            if latency_steps:
                pipe = _DelayedPipe(latency_steps)
                self._pipes.append(pipe)
                server_end, client_end = pipe.server_side, pipe.client_side
            else:
                server_end, client_end = loopback_pair()
            self.net_server.add_stream(server_end, self.clock.now())
            net = NetClient.over(
                client_end, now=self.clock.now(), name=f"player{index + 1}", schema=make_schema()
            )
            world = World(Role.CLIENT, seed=seed + index + 1)
            world.add_plugin(ClientNetPlugin(net, self.clock))
            world.add_plugins(client_plugins())
            self.clients.append(world)

    def _welcome(self, peer: Peer) -> Welcome:
        time = self.server.time
        return Welcome(peer.client_id, time.step_hz, time.tick_every, snapshot_tick(self.server))

    def step(self, count: int = 1) -> None:
        """Advance the clock one step at a time; step the server, then every client, and
        present each client as a frame of one step (alpha 1: drawn at the step's end)."""
        for _ in range(count):
            self.clock.advance(STEP)
            for pipe in self._pipes:
                pipe.tick()
            self.server.step()
            for world in self.clients:
                world.step()
                world.present(STEP, 1.0)

    def client_net(self, index: int) -> ClientNet:
        return self.clients[index].resource(ClientNet)

    def client_entity(self, index: int, net_id: int) -> int | None:
        return self.client_net(index).decoder.entities.get(net_id)

    @property
    def server_net(self) -> ServerNet:
        return self.server.resource(ServerNet)

    def close(self) -> None:
        for world in (*self.clients, self.server):
            world.close()


class _DelayedPipe:
    """Holds bytes for `steps` harness steps in each direction (a latency of steps / 60 s)."""

    def __init__(self, steps: int) -> None:
        self.steps = steps
        # Two loopback pairs with this pipe in the middle, holding what crosses it.
        self.server_side, relay_server = loopback_pair()
        relay_client, self.client_side = loopback_pair()
        self._links = (
            (relay_server, relay_client, []),  # server -> client
            (relay_client, relay_server, []),  # client -> server
        )
        self._age = 0

    def tick(self) -> None:
        self._age += 1
        for source, sink, queue in self._links:
            data = source.receive()
            if data:
                queue.append((self._age + self.steps, data))
            while queue and queue[0][0] <= self._age:
                sink.send(queue.pop(0)[1])
                sink.flush()
