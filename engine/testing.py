"""Helpers for testing systems and plugins, and games over the network, without sockets.

    world = world_with(MovementPlugin(), MyPlugin())     # a bare world for one system
    run(world, 10)

    net = LoopbackNetwork(NetSchema, server_plugins=..., client_plugins=..., clients=2)
    net.step(30)                                          # server and clients, one clock
    net.client_entity(0, net_id)                          # what client 0 made of an entity

The worlds talk through the very stack of a real game (tickets, netcode, sessions) over
an in-memory network (engine/net/datagrams.py), which can add latency, jitter, loss,
duplication and reordering. Everything runs on one thread with a ManualClock and a
seeded network, so tests never sleep and see the same faults every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.net.client import NetClient
from engine.net.datagrams import PERFECT, Conditions, MemoryNetwork
from engine.net.messages import Welcome
from engine.net.netcode import new_key
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.sync import ClientNet, ClientNetPlugin, ServerNet, ServerNetPlugin, snapshot_tick
from engine.net.tickets import issue_ticket, protocol_id
from engine.phases import Role
from engine.plugin import Plugin
from engine.time import ManualClock
from engine.world import World

STEP = 1 / 60
SERVER_ADDRESS = ("10.0.0.1", 5000)
GAME = "test"
UNIX_START = 1_800_000_000.0  # the wall clock tickets are judged by, when the manual clock is 0


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
        conditions: Conditions = PERFECT,
    ) -> None:
        """`latency_steps` delays every datagram each way by that many steps; `conditions`
        (on top) apply to what every socket sends."""
        self.clock = ManualClock(1000.0)
        self.network = MemoryNetwork(seed)
        if latency_steps:
            extra = conditions.latency_ms + latency_steps * STEP * 1000
            conditions = Conditions(
                extra,
                conditions.jitter_ms,
                conditions.loss,
                conditions.duplicate,
                conditions.reorder,
                conditions.bandwidth_kbps,
            )
        self.conditions = conditions
        self.key = new_key()
        self.server = World(Role.SERVER, seed=seed)
        self.net_server = NetServer(
            schema=make_schema(),
            key=self.key,
            protocol_id=protocol_id(GAME),
            public_addresses=[SERVER_ADDRESS],
            welcome=self._welcome,
            now=self.clock.now(),
            sockets=[self.network.bind(SERVER_ADDRESS, conditions)],
            max_peers=max(clients, 1),
            unix_time=self.unix_time,
        )
        self.server.add_plugin(ServerNetPlugin(self.net_server, self.clock))
        self.server.add_plugins(server_plugins())
        self.clients: list[World] = []
        self.latency_steps = latency_steps
        for index in range(clients):
            net = self.connect(f"player{index + 1}", make_schema())
            world = World(Role.CLIENT, seed=seed + index + 1)
            world.add_plugin(ClientNetPlugin(net, self.clock))
            world.add_plugins(client_plugins())
            self.clients.append(world)

    def unix_time(self) -> float:
        return UNIX_START + self.clock.now()

    def connect(self, name: str, schema: NetSchema, **options: object) -> NetClient:
        """A NetClient with a fresh ticket for this server, on its own socket."""
        ticket = issue_ticket(
            key=self.key, game=GAME, servers=[SERVER_ADDRESS], now_unix=self.unix_time()
        )
        return NetClient(
            name=name,
            schema=schema,
            token=ticket,
            socket=self.network.bind(conditions=self.conditions),
            now=self.clock.now(),
            **options,  # type: ignore[arg-type]
        )

    def _welcome(self, peer: Peer) -> Welcome:
        time = self.server.time
        return Welcome(peer.client_id, time.step_hz, time.tick_every, snapshot_tick(self.server))

    def step(self, count: int = 1) -> None:
        """Advance the clock one step at a time; step the server, then every client, and
        present each client as a frame of one step (alpha 1: drawn at the step's end)."""
        for _ in range(count):
            self.clock.advance(STEP)
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
