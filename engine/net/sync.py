"""Network systems: how a server world and client worlds meet their endpoints each step.

Server: INPUT drains the NetServer into world events for the game's systems
(PeerJoined, one `FromPeer[MessageType]` per message a peer sent, PeerLeft);
NETWORK, on every tick, captures the world and sends each peer an
UpdateClientState against the last tick it acknowledged (a new peer, or one
whose baseline fell out of the encoder's ring, gets the full state), encoded
once per baseline and shared, and flushes every peer every step. Systems send with
`ServerNet.server.send(peer, message)` and `.broadcast(message)`.

Client: INPUT polls the NetClient, applies snapshots into the client world,
and emits every other message as a world event (the message itself); systems
send with `ClientNet.client.send(message)`; NETWORK flushes. A client that
draws (`smooth`) interpolates remote entities once per frame (PRESENT), and
draws what it moves itself (Predicted and spawn-only entities) between its last
two steps.

The receiving systems are the set NetReceive (systems that read messages go
`after=NetReceive`), the sending ones NetSend (systems that queue messages go
`before=NetSend`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.components import Transform
from engine.movement import (
    DrawBetweenStepsSystem,
    KeepPreviousSystem,
    PreviousTransform,
    Smoothing,
    smooth_motion,
)
from engine.net.client import NetClient
from engine.net.errors import ProtocolError
from engine.net.interpolation import InterpolationSystem, NetClock
from engine.net.messages import UpdateClientState, Welcome
from engine.net.replication import (
    NetIds,
    Predicted,
    Replicated,
    ReplicationRegistry,
    SnapshotDecoder,
    SnapshotEncoder,
)
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.phases import Phase
from engine.plugin import Plugin
from engine.schedule import SystemSet, on_network_tick
from engine.time import Clock
from engine.world import World

STALE_SNAPSHOTS = 64  # unacknowledged snapshots remembered per peer (about 3 s at 20 Hz)

NetReceive = SystemSet("net-receive")  # INPUT: peers' messages and snapshots into the world
NetSend = SystemSet("net-send")  # NETWORK: snapshots out, then every queued message flushed


@dataclass(eq=False)
class ServerNet:
    """The server world's network state (a resource)."""

    server: NetServer
    clock: Clock
    encoder: SnapshotEncoder = field(init=False)
    last_tick: int = 0  # tick number of the last snapshot sent (0: none yet)
    snapshot_bytes: int = 0  # size of the snapshot message most peers got last tick
    snapshots_sent: int = 0  # snapshot messages queued to peers, over the server's life
    snapshot_bytes_sent: int = 0  # and their bytes (before packet headers and encryption)

    def __post_init__(self) -> None:
        self.encoder = SnapshotEncoder(self.registry, NetIds())

    def take_acks(self, peer: Peer) -> bool:
        """Turn the snapshots `peer` newly acknowledged into its baseline; True while a full
        state sent to it is not acknowledged yet."""
        snapshots = peer.snapshots
        for handle in peer.session.take_acked():
            tick = snapshots.pop(handle, None)
            if tick is not None:
                self.acknowledge(peer, tick)
                if handle == peer.full_state_handle:
                    peer.full_state_handle = None
        if len(snapshots) > STALE_SNAPSHOTS:  # lost ones are never acked: forget the oldest
            for handle in sorted(snapshots)[: len(snapshots) - STALE_SNAPSHOTS]:
                if handle != peer.full_state_handle:
                    del snapshots[handle]
        return peer.full_state_handle is not None

    def acknowledge(self, peer: Peer, tick: int) -> None:
        """`peer` holds snapshot `tick`: its next snapshots may be deltas from it. The
        transport calls this when it learns a snapshot arrived. Acknowledgements only move
        a peer's baseline forward (an old one arriving late changes nothing), and one of a
        tick not sent yet is ignored."""
        if peer.acked_tick < tick <= self.last_tick:
            peer.acked_tick = tick

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
    """On network ticks: capture the world, then send each peer the delta from the last tick
    it acknowledged, one encoding per baseline.

    Deltas travel unreliably: a lost one costs only its own bytes, since the next is again
    based on what the peer acknowledged. A full state (a joiner, or a peer whose baseline
    fell out of the encoder's ring) travels reliably, in chunks resent until they arrive,
    and the peer gets nothing newer until it has: a big world reaches a joiner on a lossy
    link, where one fragmented datagram of it almost never would.
    """

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        tick = snapshot_tick(world)
        encoder = net.encoder
        encoder.capture(world, tick)
        net.last_tick = tick
        server = net.server
        sends = server.sends
        payloads: dict[int, bytes] = {}  # baseline -> the message, for every peer on it
        counts: dict[int, int] = {}
        for peer in server.joined_peers():
            if net.take_acks(peer):
                continue  # its full state is still on its way
            baseline = peer.acked_tick if encoder.has_baseline(peer.acked_tick) else 0
            payload = payloads.get(baseline)
            if payload is None:
                baseline, body = encoder.encode(baseline)
                payload = payloads[baseline] = sends.encode(UpdateClientState(tick, baseline, body))
            counts[baseline] = counts.get(baseline, 0) + 1
            handle = server.send_encoded(peer, payload, reliable=baseline == 0)
            if handle is not None:
                net.snapshots_sent += 1
                net.snapshot_bytes_sent += len(payload)
                peer.snapshots[handle] = tick
                if baseline == 0:
                    peer.full_state_handle = handle
        if counts:
            net.snapshot_bytes = len(payloads[max(counts, key=counts.__getitem__)])


class ServerFlushSystem:
    """Every step: hand every peer's queued bytes to its transport."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        net.server.flush(net.clock.now())


class ServerNetPlugin(Plugin):
    """Serve this world: receive in INPUT, replicate on ticks and flush in NETWORK."""

    name = "net-server"

    def __init__(self, server: NetServer, clock: Clock) -> None:
        self.net = ServerNet(server, clock)

    def build_server(self, world: World) -> None:
        world.insert_resource(self.net)
        _insert_schema(world, self.net.schema)
        world.add_system(ServerReceiveSystem(), Phase.INPUT, in_set=NetReceive)
        world.add_system(
            ServerSnapshotSystem(), Phase.NETWORK, in_set=NetSend, run_if=on_network_tick
        )
        world.add_system(
            ServerFlushSystem(), Phase.NETWORK, in_set=NetSend, after=ServerSnapshotSystem
        )


@dataclass(eq=False)
class ClientNet:
    """The client world's network state (a resource)."""

    client: NetClient
    clock: Clock
    smooth: bool = True  # interpolate remote entities (a client that draws them)
    decoder: SnapshotDecoder = field(init=False)
    snapshots: int = 0  # applied to the world
    skipped: int = 0  # not applied: late, duplicated, or based on a tick not held

    def __post_init__(self) -> None:
        self.decoder = SnapshotDecoder(self.registry, smooth=self.smooth)

    @property
    def schema(self) -> NetSchema:
        return self.client.schema

    @property
    def registry(self) -> ReplicationRegistry:
        """The replicated components (`schema.components`)."""
        return self.client.schema.components


def client_connected(world: World) -> bool:
    """Run condition: this client world's connection is up (welcomed, not closed)."""
    return world.resource(ClientNet).client.connected


class ClientReceiveSystem:
    def update(self, world: World, dt: float) -> None:
        net = world.resource(ClientNet)
        net_clock = world.resource(NetClock)
        for message in net.client.poll(net.clock.now()):
            if isinstance(message, Welcome) and not message.resumed and net.decoder.entities:
                # Back, but not where it was (the server forgot it, or restarted): what this
                # world shows belongs to the lost game. The full state that follows rebuilds it.
                net.decoder.forget(world)
                net_clock.latest_tick, net_clock.estimate = -1, -1.0
            if isinstance(message, UpdateClientState):
                try:
                    result = net.decoder.apply(world, message.tick, message.baseline, message.body)
                except ProtocolError as error:
                    net.client.fail(f"Lost connection to server: bad snapshot ({error})")
                    return
                if result.applied:
                    net_clock.on_snapshot(message.tick)
                    net.snapshots += 1
                else:
                    net.skipped += 1
            world.events.emit(message)


class ClientFlushSystem:
    def update(self, world: World, dt: float) -> None:
        net = world.resource(ClientNet)
        net.client.flush(net.clock.now())


def smooth_predicted(world: World, dt: float) -> None:
    """INPUT: an entity this client has begun to predict is drawn between its steps."""
    for entity, _ in world.query_one(Predicted):
        if not world.has_component(entity, PreviousTransform) and world.has_component(
            entity, Transform
        ):
            smooth_motion(world, entity)


def smooth_spawn_only(world: World, entity: int, net_id: int) -> None:
    """A spawn-only entity (a bullet) is simulated here, step by step: draw it between."""
    replicated = world.try_component(entity, Replicated)
    if replicated is not None and replicated.spawn_only and world.has_component(entity, Transform):
        smooth_motion(world, entity)


class ClientNetPlugin(Plugin):
    """Follow a server: apply snapshots in INPUT, flush in NETWORK.

    With `smooth` (a client that draws), once per frame (PRESENT) remote entities
    are interpolated and what this client moves itself is drawn between its steps.
    """

    name = "net-client"

    def __init__(self, client: NetClient, clock: Clock, *, smooth: bool = True) -> None:
        self.net = ClientNet(client, clock, smooth)

    def build_client(self, world: World) -> None:
        world.insert_resource(self.net)
        _insert_schema(world, self.net.schema)
        world.insert_resource(NetClock())
        world.add_system(ClientReceiveSystem(), Phase.INPUT, in_set=NetReceive)
        world.add_system(ClientFlushSystem(), Phase.NETWORK, in_set=NetSend)
        if self.net.smooth:  # else the decoder writes every component at once
            world.add_system(smooth_predicted, Phase.INPUT, in_set=Smoothing, before=NetReceive)
            world.add_system(KeepPreviousSystem(), Phase.INPUT, in_set=Smoothing, before=NetReceive)
            self.net.decoder.on_spawn.append(smooth_spawn_only)
            world.add_system(
                InterpolationSystem(self.net.registry), Phase.PRESENT, in_set=Smoothing
            )
            world.add_system(DrawBetweenStepsSystem(), Phase.PRESENT, in_set=Smoothing)


def _insert_schema(world: World, schema: NetSchema) -> None:
    """The game's schema as resources: plugins and mods register components and messages in
    its registries while they build, before the handshake hashes it."""
    world.insert_resource(schema)
    world.insert_resource(schema.components)
    world.insert_resource(schema.messages)
