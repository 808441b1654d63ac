"""Network systems: how a server world and client worlds meet their endpoints each step.

Server: INPUT drains the NetServer into world events for the game's systems
(PeerJoined, one `FromPeer[MessageType]` per message a peer sent, PeerLeft);
NETWORK, on every tick, diffs the world into one UpdateClientState encoded once
and shared by every caught-up peer (a new peer gets the full state first), then
flushes every peer. Systems send with `ServerNet.server.send(peer, message)` and
`.broadcast(message)`.

Client: INPUT polls the NetClient, applies snapshots into the client world,
and emits every other message as a world event (the message itself); systems
send with `ClientNet.client.send(message)`; NETWORK flushes; PRESENT
interpolates remote entities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.net.client import NetClient
from engine.net.errors import ProtocolError
from engine.net.interpolation import InterpolationSystem, NetClock
from engine.net.messages import UpdateClientState
from engine.net.replication import NetIds, ReplicationRegistry, SnapshotDecoder, SnapshotEncoder
from engine.net.schema import NetSchema
from engine.net.server import NetServer
from engine.phases import Phase
from engine.plugin import Plugin
from engine.time import Clock
from engine.world import World


@dataclass(eq=False)
class ServerNet:
    """The server world's network state (a resource)."""

    server: NetServer
    clock: Clock
    encoder: SnapshotEncoder = field(init=False)
    last_tick: int = 0  # tick number of the last snapshot sent (0: none yet)
    snapshot_bytes: int = 0  # size of the last shared snapshot message

    def __post_init__(self) -> None:
        self.encoder = SnapshotEncoder(self.registry, NetIds())

    @property
    def schema(self) -> NetSchema:
        return self.server.schema

    @property
    def registry(self) -> ReplicationRegistry:
        """The replicated components (`schema.components`)."""
        return self.server.schema.components

    @property
    def ids(self) -> NetIds:
        return self.encoder.ids


def snapshot_tick(world: World) -> int:
    """Snapshot numbers start at 1 (0 means 'no baseline') and go up by one per tick."""
    return world.time.tick + 1


class ServerReceiveSystem:
    """Peers' events into the world: PeerJoined, FromPeer[MessageType], PeerLeft."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        emit = world.events.emit
        for event in net.server.poll(net.clock.now()):
            emit(event)


class ServerSnapshotSystem:
    """Encode once, send to all; new peers get the full state first."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        if world.time.is_tick:
            tick = snapshot_tick(world)
            body = net.encoder.encode_delta(world)
            sends = net.server.sends
            payload = sends.encode(UpdateClientState(tick, net.last_tick, body))
            net.snapshot_bytes = len(payload)
            full: bytes | None = None
            for peer in net.server.joined_peers():
                if peer.caught_up:
                    net.server.send_encoded(peer, payload)
                else:
                    if full is None:
                        full = sends.encode(
                            UpdateClientState(tick, 0, net.encoder.full_state(world))
                        )
                    net.server.send_encoded(peer, full)
                    peer.caught_up = True
            net.last_tick = tick
        net.server.flush()


class ServerNetPlugin(Plugin):
    """Serve this world: receive in INPUT, replicate and flush in NETWORK."""

    name = "net-server"

    def __init__(self, server: NetServer, clock: Clock) -> None:
        self.net = ServerNet(server, clock)

    def build_server(self, world: World) -> None:
        world.insert_resource(self.net)
        _insert_schema(world, self.net.schema)
        world.add_system(ServerReceiveSystem(), Phase.INPUT)
        world.add_system(ServerSnapshotSystem(), Phase.NETWORK)


@dataclass(eq=False)
class ClientNet:
    """The client world's network state (a resource)."""

    client: NetClient
    clock: Clock
    smooth: bool = True  # interpolate remote entities (a client that draws them)
    decoder: SnapshotDecoder = field(init=False)
    snapshots: int = 0

    def __post_init__(self) -> None:
        self.decoder = SnapshotDecoder(self.registry, smooth=self.smooth)

    @property
    def schema(self) -> NetSchema:
        return self.client.schema

    @property
    def registry(self) -> ReplicationRegistry:
        """The replicated components (`schema.components`)."""
        return self.client.schema.components


class ClientReceiveSystem:
    def update(self, world: World, dt: float) -> None:
        net = world.resource(ClientNet)
        net_clock = world.resource(NetClock)
        for message in net.client.poll(net.clock.now()):
            if isinstance(message, UpdateClientState):
                try:
                    net.decoder.apply(world, message.tick, message.baseline, message.body)
                except ProtocolError as error:
                    net.client.fail(f"Lost connection to server: bad snapshot ({error})")
                    return
                net_clock.on_snapshot(message.tick)
                net.snapshots += 1
            world.events.emit(message)


class ClientFlushSystem:
    def update(self, world: World, dt: float) -> None:
        world.resource(ClientNet).client.flush()


class ClientNetPlugin(Plugin):
    """Follow a server: apply snapshots in INPUT, flush in NETWORK, interpolate in PRESENT."""

    name = "net-client"

    def __init__(self, client: NetClient, clock: Clock, *, smooth: bool = True) -> None:
        self.net = ClientNet(client, clock, smooth)

    def build_client(self, world: World) -> None:
        world.insert_resource(self.net)
        _insert_schema(world, self.net.schema)
        world.insert_resource(NetClock())
        world.add_system(ClientReceiveSystem(), Phase.INPUT)
        world.add_system(ClientFlushSystem(), Phase.NETWORK)
        if self.net.smooth:  # else the decoder writes every component at once
            world.add_system(InterpolationSystem(self.net.registry), Phase.PRESENT)


def _insert_schema(world: World, schema: NetSchema) -> None:
    """The game's schema as resources: plugins and mods register components and messages in
    its registries while they build, before the handshake hashes it."""
    world.insert_resource(schema)
    world.insert_resource(schema.components)
    world.insert_resource(schema.messages)
