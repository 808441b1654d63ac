"""Network systems: how a server world and client worlds meet their endpoints each step.

Server: INPUT drains the NetServer into world events (PeerJoined, PeerMessage,
PeerLeft) for the game's systems; NETWORK, on every tick, diffs the world into
one UpdateClientState encoded once and shared by every caught-up peer (a new
peer gets the full state first), then flushes every peer.

Client: INPUT polls the NetClient, applies snapshots into the client world,
and emits every other message as a world event; NETWORK flushes; PRESENT
interpolates remote entities.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.net.client import NetClient
from engine.net.errors import ProtocolError
from engine.net.interpolation import InterpolationSystem, NetClock
from engine.net.messages import (
    TO_CLIENT,
    DisconnectReason,
    ModMessage,
    ModMessageToClient,
    UpdateClientState,
)
from engine.net.replication import NetIds, ReplicationRegistry, SnapshotDecoder, SnapshotEncoder
from engine.net.server import NetServer, Peer, PeerMessage
from engine.phases import Phase
from engine.plugin import Plugin
from engine.time import Clock
from engine.world import World


@dataclass(eq=False)
class ServerNet:
    """The server world's network state (a resource)."""

    server: NetServer
    registry: ReplicationRegistry
    clock: Clock
    encoder: SnapshotEncoder = field(init=False)
    last_tick: int = 0  # tick number of the last snapshot sent (0: none yet)
    snapshot_bytes: int = 0  # size of the last shared snapshot message

    def __post_init__(self) -> None:
        self.encoder = SnapshotEncoder(self.registry, NetIds())

    @property
    def ids(self) -> NetIds:
        return self.encoder.ids


def snapshot_tick(world: World) -> int:
    """Snapshot numbers start at 1 (0 means 'no baseline') and go up by one per tick."""
    return world.time.tick + 1


class ServerReceiveSystem:
    """Peers' events into the world; plugin messages (ModMessage) arrive decoded."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for event in net.server.poll(net.clock.now()):
            if isinstance(event, PeerMessage) and isinstance(event.message, ModMessage):
                try:
                    decoded = net.registry.unpack(event.message.channel, event.message.payload)
                except ProtocolError as error:
                    net.server.drop(
                        event.peer, f"protocol error: {error}", DisconnectReason.PROTOCOL
                    )
                    continue
                event = PeerMessage(event.peer, decoded)
            world.events.emit(event)


def send_to_peer(world: World, peer: Peer, message: object) -> None:
    """Send a plugin's registered message to one peer."""
    net = world.resource(ServerNet)
    net.server.send(peer, ModMessageToClient(*net.registry.pack(message)))


def send_to_all(world: World, message: object, *, exclude: Peer | None = None) -> None:
    """Send a plugin's registered message to every joined peer."""
    net = world.resource(ServerNet)
    net.server.broadcast(ModMessageToClient(*net.registry.pack(message)), exclude=exclude)


def send_to_server(world: World, message: object) -> None:
    """Send a plugin's registered message from a client world to its server."""
    net = world.resource(ClientNet)
    net.client.send(ModMessage(*net.registry.pack(message)))


class ServerSnapshotSystem:
    """Encode once, send to all; new peers get the full state first."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        if world.time.is_tick:
            tick = snapshot_tick(world)
            body = net.encoder.encode_delta(world)
            payload = TO_CLIENT.encode(UpdateClientState(tick, net.last_tick, body))
            net.snapshot_bytes = len(payload)
            full: bytes | None = None
            for peer in net.server.joined_peers():
                if peer.caught_up:
                    net.server.send_encoded(peer, payload)
                else:
                    if full is None:
                        full = TO_CLIENT.encode(
                            UpdateClientState(tick, 0, net.encoder.full_state(world))
                        )
                    net.server.send_encoded(peer, full)
                    peer.caught_up = True
            net.last_tick = tick
        net.server.flush()


class ServerNetPlugin(Plugin):
    """Serve this world: receive in INPUT, replicate and flush in NETWORK."""

    name = "net-server"

    def __init__(self, server: NetServer, registry: ReplicationRegistry, clock: Clock) -> None:
        self.net = ServerNet(server, registry, clock)

    def build_server(self, world: World) -> None:
        world.insert_resource(self.net)
        world.insert_resource(self.net.registry)  # plugins and mods register components here
        world.add_system(ServerReceiveSystem(), Phase.INPUT)
        world.add_system(ServerSnapshotSystem(), Phase.NETWORK)


@dataclass(eq=False)
class ClientNet:
    """The client world's network state (a resource)."""

    client: NetClient
    registry: ReplicationRegistry
    clock: Clock
    smooth: bool = True  # interpolate remote entities (a client that draws them)
    decoder: SnapshotDecoder = field(init=False)
    snapshots: int = 0

    def __post_init__(self) -> None:
        self.decoder = SnapshotDecoder(self.registry, smooth=self.smooth)


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
            elif isinstance(message, ModMessageToClient):
                try:
                    message = net.registry.unpack(message.channel, message.payload)
                except ProtocolError as error:
                    net.client.fail(f"Lost connection to server: bad message ({error})")
                    return
            world.events.emit(message)


class ClientFlushSystem:
    def update(self, world: World, dt: float) -> None:
        world.resource(ClientNet).client.flush()


class ClientNetPlugin(Plugin):
    """Follow a server: apply snapshots in INPUT, flush in NETWORK, interpolate in PRESENT."""

    name = "net-client"

    def __init__(
        self, client: NetClient, registry: ReplicationRegistry, clock: Clock, *, smooth: bool = True
    ) -> None:
        self.net = ClientNet(client, registry, clock, smooth)

    def build_client(self, world: World) -> None:
        world.insert_resource(self.net)
        world.insert_resource(self.net.registry)
        world.insert_resource(NetClock())
        world.add_system(ClientReceiveSystem(), Phase.INPUT)
        world.add_system(ClientFlushSystem(), Phase.NETWORK)
        if self.net.smooth:  # else the decoder writes every component at once
            world.add_system(InterpolationSystem(self.net.registry), Phase.PRESENT)
