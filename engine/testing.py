"""Helpers for testing systems and plugins, and games over the network, without sockets.

    world = world_with(MovementPlugin(), MyPlugin())     # a bare world for one system
    run(world, 10)

    net = LoopbackNetwork(NetSchema, server_plugins=..., client_plugins=..., clients=2)
    net.step(30)                                          # server and clients, one clock
    net.client_entity(0, net_id)                          # what client 0 made of an entity

The worlds talk through the very stack of a real game (tickets, netcode, sessions) over
an in-memory network (engine/net/datagrams.py), which can add latency, jitter, loss,
duplication and reordering, and cut a client off for a while (`net.cut(0, 10.0)`: its
Wi-Fi gone; it comes back from a new address, as after a network change). Everything
runs on one thread with a ManualClock and a seeded network, so tests never sleep and see
the same faults every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from engine.net.client import NetClient
from engine.net.datagrams import PERFECT, Address, Conditions, DatagramSocket, MemoryNetwork
from engine.net.messages import Welcome
from engine.net.netcode import ConnectToken, new_key
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.sync import ClientNet, ClientNetPlugin, ServerNet, ServerNetPlugin, snapshot_tick
from engine.net.tickets import issue_ticket, protocol_id
from engine.phases import Role
from engine.plugin import Plugin
from engine.time import Clock, ManualClock
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


class Outage:
    """A link that can be cut for a while: every socket `wrap`ped with it sends and receives
    nothing until the cut ends (what was in flight is lost), on any socket type."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.until = -math.inf

    def cut(self, seconds: float) -> None:
        """Nothing gets through for `seconds` from now."""
        self.until = self.clock.now() + seconds

    @property
    def down(self) -> bool:
        return self.clock.now() < self.until

    def wrap(self, sock: DatagramSocket) -> DatagramSocket:
        return _Cuttable(sock, self)


class _Cuttable:
    """A socket behind an Outage (see DatagramSocket)."""

    def __init__(self, sock: DatagramSocket, outage: Outage) -> None:
        self.inner = sock
        self.outage = outage

    @property
    def address(self) -> Address:
        return self.inner.address

    def send_to(self, datagram: bytes, address: Address, now: float) -> None:
        if not self.outage.down:
            self.inner.send_to(datagram, address, now)

    def receive(self, now: float) -> list[tuple[bytes, Address]]:
        got = self.inner.receive(now)
        return [] if self.outage.down else got

    def filenos(self) -> list[int]:
        return self.inner.filenos()

    def close(self) -> None:
        self.inner.close()

    @property
    def error(self) -> str | None:
        return getattr(self.inner, "error", None)


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
        self.outages: list[Outage] = []  # one per client, in order
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
        """A NetClient with a fresh ticket for this server, on its own socket behind its own
        Outage; after a lost connection it reconnects with a fresh ticket and socket."""
        outage = Outage(self.clock)
        self.outages.append(outage)

        def ticket() -> ConnectToken:
            return issue_ticket(
                key=self.key, game=GAME, servers=[SERVER_ADDRESS], now_unix=self.unix_time()
            )

        def open_socket() -> DatagramSocket:
            return outage.wrap(self.network.bind(conditions=self.conditions))

        options = {"renew_ticket": ticket, "open_socket": open_socket, **options}
        return NetClient(
            name=name,
            schema=schema,
            token=ticket(),
            socket=open_socket(),
            now=self.clock.now(),
            **options,  # type: ignore[arg-type]
        )

    def cut(self, index: int, seconds: float) -> None:
        """Client `index` hears nothing and is heard by nobody for `seconds` from now."""
        self.outages[index].cut(seconds)

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
