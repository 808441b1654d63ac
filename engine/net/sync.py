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
from functools import partial

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
    CHAIN_TICKS,
    NetIds,
    Predicted,
    Replicated,
    ReplicationRegistry,
    SnapshotDecoder,
    SnapshotEncoder,
)
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.views import (
    LinkBudget,
    PeerView,
    ReplicationHooks,
    ViewStats,
    encode_view,
)
from engine.phases import Phase
from engine.plugin import Plugin
from engine.schedule import SystemSet, on_network_tick
from engine.time import Clock
from engine.world import World

STALE_SNAPSHOTS = 64  # unacknowledged snapshots remembered per peer (about 3 s at 20 Hz)
IDLE_EVERY = 4  # while nothing changes for a peer, a snapshot every this many ticks

NetReceive = SystemSet("net-receive")  # INPUT: peers' messages and snapshots into the world
NetSend = SystemSet("net-send")  # NETWORK: snapshots out, then every queued message flushed


@dataclass(eq=False)
class PeerReplication:
    """How replication serves one peer: its budget, and while it gets snapshots of its own
    (an interest limit, or a budget the shared ones do not fit), its view."""

    budget: LinkBudget
    view: PeerView | None = None
    sent_at: int = 0  # the tick of the last snapshot sent
    own_until: int = 0  # the tick of the last snapshot of its own (a view's) sent
    epoch: int = 0  # bumped at each switch: acks of snapshots of the other kind are ignored
    # handle -> (the epoch it was sent in, the baseline it was written against)
    epochs: dict[int, tuple[int, int]] = field(default_factory=dict)
    stats: ViewStats = field(default_factory=ViewStats)

    def switch(self, view: PeerView | None) -> None:
        self.view = view
        self.epoch += 1


@dataclass(eq=False)
class ServerNet:
    """The server world's network state (a resource)."""

    server: NetServer
    clock: Clock
    encoder: SnapshotEncoder = field(init=False)
    last_tick: int = 0  # tick number of the last snapshot sent (0: none yet)
    snapshot_bytes: int = 0  # size of the snapshot messages most peers got last tick
    snapshots_sent: int = 0  # snapshot messages queued to peers, over the server's life
    snapshot_bytes_sent: int = 0  # and their bytes (before packet headers and encryption)
    idle_every: int = IDLE_EVERY  # ticks between snapshots for a peer nothing changed for
    snapshot_budget: int | None = None  # the server's cap on a peer's body, bytes a tick
    _messages: dict[tuple[int, int], bytes] = field(default_factory=dict, repr=False)
    _peers: dict[int, tuple[Peer, PeerReplication]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.encoder = SnapshotEncoder(self.registry, NetIds())

    def replication(self, peer: Peer) -> PeerReplication:
        """How replication serves `peer` (made on first use)."""
        found = self._peers.get(id(peer))
        if found is None or found[0] is not peer:
            found = self._peers[id(peer)] = (peer, PeerReplication(LinkBudget()))
        return found[1]

    def forget_peers(self, joined: list[Peer]) -> None:
        if len(self._peers) > len(joined):
            alive = {id(peer) for peer in joined}
            for key in [key for key in self._peers if key not in alive]:
                del self._peers[key]

    def take_acks(self, peer: Peer) -> bool:
        """Turn the snapshots `peer` newly acknowledged into its baseline; True while a full
        state sent to it is not acknowledged yet."""
        snapshots = peer.snapshots
        state = self.replication(peer)
        epochs = state.epochs
        for handle in peer.session.take_acked():
            tick = snapshots.pop(handle, None)
            if tick is not None:
                if handle == peer.full_state_handle:
                    peer.full_state_handle = None
                epoch, base = epochs.pop(handle, (state.epoch, 0))
                if epoch != state.epoch:
                    continue  # a snapshot of the kind the peer no longer gets
                self.acknowledge(peer, tick, base)
                if state.view is not None:
                    state.view.acknowledge(tick)
        if len(snapshots) > STALE_SNAPSHOTS:  # lost ones are never acked: forget the oldest
            for handle in sorted(snapshots)[: len(snapshots) - STALE_SNAPSHOTS]:
                if handle != peer.full_state_handle:
                    del snapshots[handle]
                    epochs.pop(handle, None)
        return peer.full_state_handle is not None

    def acknowledge(self, peer: Peer, tick: int, base: int = 0) -> None:
        """Snapshot `tick`, written against `base`, reached `peer`: its next snapshots may be
        deltas from it. The transport calls this when it learns a snapshot arrived.
        Acknowledgements only move a peer's baseline forward (an old one arriving late
        changes nothing), and one of a tick not sent yet is ignored. Arriving is not
        decoding: a link of a chain whose base the peer is not known to hold (an earlier
        link lost, or arriving after it) may not have decoded, so it moves nothing."""
        if peer.acked_tick < tick <= self.last_tick and base <= peer.acked_tick:
            peer.acked_tick = tick

    def message(self, tick: int, baseline: int, body: bytes) -> bytes:
        """The shared UpdateClientState of (tick, baseline), encoded once for every peer: a
        one-tick delta is sent again in the chains of peers that lack it
        (`SnapshotEncoder.deltas`). Not for a peer's own snapshots: their bodies differ."""
        key = (tick, baseline)
        payload = self._messages.get(key)
        if payload is None:
            payload = self._messages[key] = self.server.sends.encode(
                UpdateClientState(tick, baseline, body)
            )
        return payload

    def forget_messages(self, before: int) -> None:
        for key in [key for key in self._messages if key[0] <= before]:
            del self._messages[key]

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
    """On network ticks: capture the world, then send each peer what brings it from the last
    tick it acknowledged to this one.

    Most peers share one encoding per baseline (`SnapshotEncoder.deltas`). A peer gets
    snapshots of its own (engine/net/views.py) while the game's `ReplicationHooks` limit
    what it sees, or while the shared delta does not fit its byte budget (from its link's
    measured bandwidth, capped by the hooks' `budget`); it goes back to the shared ones
    once it holds everything as of a tick. While nothing changes for a peer, it gets an
    (empty) snapshot every IDLE_EVERY ticks only: enough to keep its baseline moving and
    its clock ticking, and an idle server sends a quarter of the packets.

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
        hooks = world.try_resource(ReplicationHooks)
        server = net.server
        joined = server.joined_peers()
        net.forget_peers(joined)
        plans: dict[tuple[int, bool], list[tuple[int, int, bytes]]] = {}  # see `key` below
        counts: dict[tuple[int, bool], int] = {}
        ticks_per_second = world.time.step_hz / world.time.tick_every
        for peer in joined:
            state = net.replication(peer)
            state.budget.cap = net.snapshot_budget  # the server's word, changed at any time
            if net.take_acks(peer):
                continue  # its full state is still on its way
            channels = peer.session.channels
            budget = state.budget.update(
                peer.session.packet_loss,
                channels.endpoint.acked_kbps * 125 / ticks_per_second,
            )
            relevant = None
            if hooks is not None and hooks.relevant is not None:
                relevant = hooks.relevant(world, peer)
            view = state.view
            if relevant is None and (view is None or _complete(view, encoder)):
                baseline = view.base if view is not None else peer.acked_tick
                baseline = baseline if encoder.has_baseline(baseline) else 0
                if (
                    view is None
                    and tick - state.sent_at < net.idle_every
                    and encoder.unchanged_since(baseline)
                ):
                    continue  # it holds all there is: an empty delta can wait a few ticks
                # A one-tick delta of a tick the peer got a snapshot of its own of would be
                # dropped as a duplicate of a different state: no chain through those ticks.
                key = (baseline, baseline >= state.own_until)
                plan = plans.get(key)
                if plan is None:
                    deltas = (
                        encoder.deltas(baseline) if key[1] else [(tick, *encoder.encode(baseline))]
                    )
                    plan = plans[key] = [
                        (at, base, net.message(at, base, body)) for at, base, body in deltas
                    ]
                size = sum(len(payload) for _, _, payload in plan) - _HEADER * len(plan)
                if baseline == 0 or size <= budget:
                    if view is not None:  # it holds everything as of its base: shared again
                        state.switch(None)
                        peer.acked_tick = baseline
                    counts[key] = counts.get(key, 0) + 1
                    state.budget.limited = False
                    self._send(net, peer, state, plan)
                    continue
                if view is None:  # the shared delta does not fit: a view from its baseline
                    view = PeerView()
                    view.reset(baseline, encoder.state_at(baseline))
                    state.switch(view)
            elif view is None:
                view = PeerView()  # an interest limit: from nothing
                state.switch(view)
            assert view is not None
            priorities = None
            if hooks is not None and hooks.priority is not None:
                priority = hooks.priority
                priorities = partial(priority, world, peer)
            baseline, body = encode_view(
                encoder,
                view,
                relevant=relevant,
                priorities=priorities,
                budget=budget if view.base else None,  # a full state goes whole
                stats=state.stats,
            )
            state.budget.limited = state.stats.left > 0
            payload = net.server.sends.encode(UpdateClientState(tick, baseline, body))  # its own
            state.own_until = tick
            self._send(net, peer, state, [(tick, baseline, payload)])
        net.forget_messages(tick - CHAIN_TICKS)
        if counts:
            plan = plans[max(counts, key=counts.__getitem__)]
            net.snapshot_bytes = sum(len(payload) for _, _, payload in plan)

    def _send(
        self,
        net: ServerNet,
        peer: Peer,
        state: PeerReplication,
        plan: list[tuple[int, int, bytes]],
    ) -> None:
        server = net.server
        state.sent_at = net.last_tick
        for at, base, payload in plan:
            handle = server.send_encoded(peer, payload, reliable=base == 0)
            if handle is not None:
                net.snapshots_sent += 1
                net.snapshot_bytes_sent += len(payload)
                peer.snapshots[handle] = at
                state.epochs[handle] = (state.epoch, base)
                if base == 0:
                    peer.full_state_handle = handle


_HEADER = 9  # UpdateClientState's type, tick and baseline: not body


def _complete(view: PeerView, encoder: SnapshotEncoder) -> bool:
    """The peer holds every entity as of its base (nothing stale, nothing out of view):
    shared deltas from its base suit it."""
    return view.base > 0 and not view.stale and encoder.has_baseline(view.base)


class ServerFlushSystem:
    """Every step: hand every peer's queued bytes to its transport."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        net.server.flush(net.clock.now())


class ServerNetPlugin(Plugin):
    """Serve this world: receive in INPUT, replicate on ticks and flush in NETWORK."""

    name = "net-server"

    def __init__(self, server: NetServer, clock: Clock, snapshot_budget: int | None = None) -> None:
        self.net = ServerNet(server, clock, snapshot_budget=snapshot_budget)

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
