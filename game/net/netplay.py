"""The shooter over the network: what replicates, and the server's and clients' net rules.

Server (authority over everything but each player's own flying): seats players
as they join (when every seat is taken, a joiner watches and waits in line for
the next free one), checks every PositionUpdate (ownership, speed budget, bounds) and
corrects the sender when it has to, turns fire and missile messages into
PlayerInput, grants at most one co-op partner per connection, announces the
mission's end once and restarts it after a pause, and holds the mission while
nobody is connected.

Client: claims its own aircraft (SpawnSelf / AcceptCoopPartner) and predicts
them with the shared control and movement systems, eases in corrections,
follows the replicated battlefield, and sends its fire and missile actions as
they happen and its positions every tick (both only while connected).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from engine.components import Transform, Velocity
from engine.net.codec import Bool, Enum8, Quantized, Str, SVarint, UVarint, clip_utf8
from engine.net.messages import MAX_NAME_BYTES, BroadcastMessage
from engine.net.replication import Predicted, Replicated
from engine.net.schema import NetSchema
from engine.net.server import FromPeer, Peer, PeerJoined, PeerLeft
from engine.net.sync import (
    ClientNet,
    ClientNetPlugin,
    NetReceive,
    NetSend,
    ServerNet,
    ServerNetPlugin,
    client_connected,
)
from engine.phases import Phase
from engine.plugin import Plugin
from engine.schedule import on_network_tick
from engine.world import World
from game.net.protocol import (
    POSITION,
    AcceptCoopPartner,
    Explosion,
    GameEvent,
    GameEventKind,
    MissionEnd,
    Outcome8,
    PickupCollected,
    PlayerAction,
    PlayerConnect,
    PlayerDisconnect,
    PlayerEvent,
    PlayerRealtimeChange,
    PositionCorrection,
    PositionUpdate,
    RequestCoopPartner,
    SpawnSelf,
    Spectating,
    register_shooter_messages,
)
from game.rules.battlefield import Battlefield, MissionState, MissionStats, WaveClock
from game.rules.components import (
    Aircraft,
    Health,
    Pickup,
    Player,
    PlayerInput,
    Projectile,
    Side,
    Weapon,
)
from game.rules.content import GameContent
from game.rules.events import Destroyed, MissionEnded, Outcome, PickupTaken
from game.rules.plugin import ShooterPlugin
from game.rules.sets import MissionStatus
from game.rules.spawn import spawn_player
from game.rules.systems.spawning import script_for

log = logging.getLogger(__name__)

MAX_SEATS_PER_CONNECTION = 2
NO_SEAT_FOR_PARTNER = "Every seat is taken: no aircraft for player 2"
RESTART_DELAY = 5.0  # seconds between a mission's end and the next one
BUDGET_SECONDS = 0.5  # a PositionUpdate may cover at most this much flying at full speed
SPEED_TOLERANCE = 1.15
BOUNDS_SLACK_SECONDS = 0.5  # the client's view may lag the server's by this much scrolling
MAX_PENDING_MISSILES = 3


@dataclass(slots=True)
class BattlefieldState:
    """The battlefield as clients need it, on one replicated entity."""

    view_top: float = 0.0
    running: bool = True  # scrolling and spawning (false while ended or waiting for players)
    mission: int = 0  # missions begun so far (0 while the first waits for players)
    seats: int = 0  # the server's aircraft seats: player ids 1..seats


def shooter_schema() -> NetSchema:
    """The shooter's messages and every replicated component with its codecs (the order of
    registration sets the components' wire ids; messages have explicit type bytes)."""
    schema = NetSchema()
    register_shooter_messages(schema.messages)
    registry = schema.components
    registry.register(
        Transform,
        {"x": POSITION, "y": POSITION, "angle": Quantized(2, -720, 720, period=360)},
        interpolate=True,
    )
    registry.register(Velocity, {"x": POSITION, "y": POSITION}, initial_only=True)
    registry.register(Aircraft, {"kind": Str(16), "side": Enum8(Side)})
    registry.register(
        Health, {"hitpoints": SVarint(-100_000, 100_000), "max_hitpoints": UVarint(100_000)}
    )
    registry.register(
        Player,
        {
            "player_id": UVarint(255),
            "owner": UVarint(2**32 - 1),  # a client id (u32 in Welcome)
            "local_index": UVarint(1),
            "name": Str(32),
        },
    )
    registry.register(
        Weapon,
        {"missiles": UVarint(255), "spread_level": UVarint(8), "fire_rate_level": UVarint(64)},
    )
    registry.register(Projectile, {"kind": Str(16), "side": Enum8(Side)})
    registry.register(Pickup, {"kind": Str(16)})
    registry.register(
        BattlefieldState,
        {
            "view_top": Quantized(8, 0, 1_000_000),
            "running": Bool(),
            "mission": UVarint(),
            "seats": UVarint(255),
        },
    )
    return schema


# -- server ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Seat:
    """One player: a connection's seat (0 or 1) and the aircraft flying for it, if any."""

    player_id: int
    peer: Peer
    local_index: int
    name: str
    entity: int = 0
    net_id: int = 0


@dataclass(slots=True)
class Roster:
    """Who is playing, and who waits to. Player ids are 1..max_players, reused after a leave.

    A connection that finds every seat taken (co-op partners take seats too) is
    not turned away: it watches the mission and waits in `waiting`, first come
    first seated, until a seat frees up.
    """

    max_players: int
    seats: dict[int, Seat] = field(default_factory=dict)
    waiting: list[Peer] = field(default_factory=list)
    told: dict[Peer, int] = field(default_factory=dict)  # the place each waiting peer last heard

    def free_id(self) -> int | None:
        return next((i for i in range(1, self.max_players + 1) if i not in self.seats), None)

    def of_peer(self, peer: Peer) -> list[Seat]:
        return [s for s in self.seats.values() if s.peer is peer]

    def by_net_id(self, peer: Peer, net_id: int) -> Seat | None:
        for seat in self.seats.values():
            if seat.net_id == net_id and seat.peer is peer:
                return seat
        return None


@dataclass(slots=True)
class MoveBudget:
    """How far (px) a remote aircraft may still move: refilled at top speed, capped."""

    pixels: float = 0.0
    refused: int = 0  # updates clamped or refused, for the log and tests


@dataclass(slots=True)
class ServerMission:
    """When the ended mission restarts (simulation seconds), or -1."""

    restart_at: float = -1.0
    battlefield_entity: int = 0
    started: int = 0  # missions that began with players aboard


def _aircraft_speed(world: World) -> float:
    content = world.resource(GameContent)
    spec = content.aircraft[content.player_aircraft]
    return (spec.speed + content.battlefield.scroll_speed) * SPEED_TOLERANCE


def seat_player(world: World, net: ServerNet, seat: Seat) -> None:
    """Spawn the seat's aircraft and tell its owner (SpawnSelf or AcceptCoopPartner)."""
    seat.net_id = net.ids.allocate()
    seat.entity = spawn_player(
        world,
        seat.player_id,
        owner=seat.peer.client_id,
        local_index=seat.local_index,
        name=seat.name,
        net_id=seat.net_id,
        remote=True,
        extra=(MoveBudget(_aircraft_speed(world) * BUDGET_SECONDS),),
    )
    x, y = world.resource(Battlefield).start_position(seat.player_id - 1)
    if seat.local_index == 0:
        net.server.send(seat.peer, SpawnSelf(seat.net_id, seat.player_id, 0, x, y))
    else:
        net.server.send(seat.peer, AcceptCoopPartner(seat.net_id, seat.player_id, x, y))
    net.server.broadcast(PlayerConnect(seat.net_id, seat.player_id, seat.name), exclude=seat.peer)


class SessionSystem:
    """Joins and leaves: seats, aircraft, PlayerConnect/Disconnect and the broadcasts."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        roster = world.resource(Roster)
        for joined in world.events.read(PeerJoined):
            peer = joined.peer
            if roster.waiting or roster.free_id() is None:  # nobody jumps the line
                roster.waiting.append(peer)
                log.info(
                    "%s watches: every seat is taken (%d in line)", peer.name, len(roster.waiting)
                )
                net.server.broadcast(BroadcastMessage(f"{peer.name} is watching"), exclude=peer)
                continue
            self._seat(world, net, roster, peer)
            net.server.broadcast(BroadcastMessage(f"{peer.name} joined"), exclude=peer)
        for left in world.events.read(PeerLeft):
            seats = roster.of_peer(left.peer)
            for seat in seats:
                del roster.seats[seat.player_id]
                if seat.entity and world.is_alive(seat.entity):
                    world.despawn(seat.entity)
                net.server.broadcast(PlayerDisconnect(seat.net_id, seat.player_id, seat.name))
            if left.peer in roster.waiting:
                roster.waiting.remove(left.peer)
                roster.told.pop(left.peer, None)
            net.server.broadcast(BroadcastMessage(f"{left.peer.name} left"))
        if roster.waiting:
            self._seat_waiting(world, net, roster)
        if not roster.seats and not world.resource(MissionState).held:
            _hold_mission(world)

    @staticmethod
    def _seat(world: World, net: ServerNet, roster: Roster, peer: Peer) -> None:
        player_id = roster.free_id()
        assert player_id is not None, "seated without a free player id"
        seat = Seat(player_id, peer, 0, peer.name)
        roster.seats[player_id] = seat
        if world.resource(MissionState).held:
            _start_mission(world)  # first player in: the held mission begins
        seat_player(world, net, seat)

    def _seat_waiting(self, world: World, net: ServerNet, roster: Roster) -> None:
        """Give freed seats to the longest-waiting spectators; tell the rest their place."""
        while roster.waiting and roster.free_id() is not None:
            peer = roster.waiting.pop(0)
            roster.told.pop(peer, None)
            log.info("%s takes a freed seat", peer.name)
            self._seat(world, net, roster, peer)
        for place, peer in enumerate(roster.waiting, start=1):
            if roster.told.get(peer) != place:
                roster.told[peer] = place
                net.server.send(peer, Spectating(place))


class CommandSystem:
    """Apply what players asked for, checking that each asks only for its own aircraft."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        roster = world.resource(Roster)
        speed = _aircraft_speed(world)
        for _, budget in world.query_one(MoveBudget):
            budget.pixels = min(speed * BUDGET_SECONDS, budget.pixels + speed * dt)
        for event in world.events.read(FromPeer[PositionUpdate]):
            for net_id, x, y in event.message.positions:
                self._move(world, net, roster, event.peer, net_id, x, y)
        for event in world.events.read(FromPeer[PlayerRealtimeChange]):
            change = event.message
            seat = self._own(world, roster, event.peer, change.aircraft, "PlayerRealtimeChange")
            if seat and change.action is PlayerAction.FIRE:
                world.component(seat.entity, PlayerInput).fire = change.active
                net.server.broadcast(change, exclude=event.peer)  # relayed as it came
        for event in world.events.read(FromPeer[PlayerEvent]):
            action = event.message
            seat = self._own(world, roster, event.peer, action.aircraft, "PlayerEvent")
            if seat and action.action is PlayerAction.LAUNCH_MISSILE:
                intent = world.component(seat.entity, PlayerInput)
                intent.missile_requests = min(MAX_PENDING_MISSILES, intent.missile_requests + 1)
                net.server.broadcast(action, exclude=event.peer)
        for event in world.events.read(FromPeer[RequestCoopPartner]):
            self._coop(world, net, roster, event.peer)
        for event in world.events.read(FromPeer[GameEvent]):
            self._game_event(net, event.peer, event.message)

    @staticmethod
    def _own(world: World, roster: Roster, peer: Peer, net_id: int, what: str) -> Seat | None:
        seat = roster.by_net_id(peer, net_id)
        if seat is None or not seat.entity or not world.is_alive(seat.entity):
            log.warning("%s: refused %s for aircraft %d (not theirs)", peer.name, what, net_id)
            return None
        return seat

    def _move(
        self,
        world: World,
        net: ServerNet,
        roster: Roster,
        peer: Peer,
        net_id: int,
        x: float,
        y: float,
    ) -> None:
        seat = self._own(world, roster, peer, net_id, "PositionUpdate")
        if seat is None:
            return
        transform = world.component(seat.entity, Transform)
        budget = world.component(seat.entity, MoveBudget)
        battlefield = world.resource(Battlefield)
        spec = battlefield.spec
        slack = spec.scroll_speed * BOUNDS_SLACK_SECONDS
        wanted_x = min(max(x, spec.player_margin), spec.view_width - spec.player_margin)
        wanted_y = min(
            max(y, battlefield.view_top + spec.player_margin - slack),
            battlefield.view_bottom - spec.player_margin + slack,
        )
        dx, dy = wanted_x - transform.x, wanted_y - transform.y
        distance = math.hypot(dx, dy)
        if distance > budget.pixels:
            scale = budget.pixels / distance
            wanted_x, wanted_y = transform.x + dx * scale, transform.y + dy * scale
            distance = budget.pixels
        budget.pixels -= distance
        transform.x, transform.y = wanted_x, wanted_y
        if abs(wanted_x - x) > 0.5 or abs(wanted_y - y) > 0.5:
            budget.refused += 1
            log.info(
                "%s: corrected aircraft %d from (%.0f, %.0f) to (%.0f, %.0f)",
                peer.name,
                net_id,
                x,
                y,
                wanted_x,
                wanted_y,
            )
            net.server.send(peer, PositionCorrection(net_id, wanted_x, wanted_y))

    @staticmethod
    def _coop(world: World, net: ServerNet, roster: Roster, peer: Peer) -> None:
        seats = roster.of_peer(peer)
        player_id = roster.free_id()
        # A second aircraft never takes a seat from someone waiting for a first one.
        if not seats or len(seats) >= MAX_SEATS_PER_CONNECTION or player_id is None:
            log.info(
                "%s: co-op partner refused (%d seats, free id %s)", peer.name, len(seats), player_id
            )
            if seats and player_id is None:  # the one refusal a player can do nothing about
                net.server.send(peer, BroadcastMessage(NO_SEAT_FOR_PARTNER))
            return
        seat = Seat(player_id, peer, 1, clip_utf8(peer.name, MAX_NAME_BYTES - 4) + " (2)")
        roster.seats[player_id] = seat
        seat_player(world, net, seat)

    @staticmethod
    def _game_event(net: ServerNet, peer: Peer, event: GameEvent) -> None:
        if event.kind is GameEventKind.MARKER:
            net.server.broadcast(
                BroadcastMessage(f"{peer.name} marks ({event.x:.0f}, {event.y:.0f})")
            )
        else:
            log.info(
                "%s: ignored GameEvent %s (the server decides that)", peer.name, event.kind.name
            )


class CueSystem:
    """Tell clients what they cannot see in the snapshots: why things vanished."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for destroyed in world.events.read(Destroyed):
            large = destroyed.kind != "raptor" and destroyed.side is Side.ENEMY
            net.server.broadcast(Explosion(destroyed.x, destroyed.y, large))
        for taken in world.events.read(PickupTaken):
            replicated = world.try_component(taken.player, Replicated)
            if replicated is not None:
                net.server.broadcast(PickupCollected(replicated.net_id, taken.kind))


class MissionCycleSystem:
    """Announce the mission's end once; restart it after a pause; mirror the battlefield."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        cycle = world.resource(ServerMission)
        for ended in world.events.read(MissionEnded):
            outcome = Outcome8.SUCCESS if ended.outcome is Outcome.SUCCESS else Outcome8.FAILURE
            net.server.broadcast(MissionEnd(outcome, RESTART_DELAY))
            cycle.restart_at = world.time.seconds + RESTART_DELAY
        if cycle.restart_at >= 0 and world.time.seconds >= cycle.restart_at:
            cycle.restart_at = -1.0
            restart_mission(world)
            _start_mission(world)
        battlefield = world.resource(Battlefield)
        state = world.component(cycle.battlefield_entity, BattlefieldState)
        state.view_top = battlefield.view_top
        state.running = world.resource(MissionState).running


def _start_mission(world: World) -> None:
    """A mission begins (the first player joined a held one, or a restart)."""
    world.resource(MissionState).held = False
    cycle = world.resource(ServerMission)
    cycle.started += 1
    world.component(cycle.battlefield_entity, BattlefieldState).mission = cycle.started


def _hold_mission(world: World) -> None:
    """Nobody is connected: back to the start, and wait there for the first player."""
    restart_mission(world)
    world.resource(MissionState).held = True
    world.resource(ServerMission).restart_at = -1.0


def restart_mission(world: World) -> None:
    """Everything back to the start; every seated player gets a fresh aircraft."""
    content = world.resource(GameContent)
    for entity, _ in world.query(Aircraft, Transform):
        world.despawn(entity)
    for entity, _ in world.query(Projectile, Transform):
        world.despawn(entity)
    for entity, _ in world.query(Pickup, Transform):
        world.despawn(entity)
    battlefield = world.resource(Battlefield)
    battlefield.view_top = content.battlefield.start_view_top
    world.insert_resource(MissionState())
    world.insert_resource(MissionStats())
    world.insert_resource(script_for(content))
    waves = content.waves
    world.insert_resource(
        WaveClock(world.time.seconds + world.rng.uniform(waves.interval_min, waves.interval_max))
    )
    net = world.resource(ServerNet)
    for seat in world.resource(Roster).seats.values():
        seat_player(world, net, seat)


class ShooterServerNetPlugin(Plugin):
    """The shooter's server-side network rules. Add after ServerNetPlugin and ShooterPlugin."""

    name = "cloudbreak-net-server"
    requires = (ShooterPlugin, ServerNetPlugin)

    def __init__(self, max_players: int = 8) -> None:
        self.max_players = max_players

    def build_server(self, world: World) -> None:
        world.insert_resource(Roster(self.max_players))
        view_top = world.resource(Battlefield).view_top
        entity = world.create(Replicated(), BattlefieldState(view_top, seats=self.max_players))
        world.insert_resource(ServerMission(battlefield_entity=entity))
        _hold_mission(world)
        world.add_system(SessionSystem(), Phase.INPUT, after=NetReceive)
        world.add_system(CommandSystem(), Phase.INPUT, after=NetReceive)
        world.add_system(CueSystem(), Phase.SPAWN)
        world.add_system(MissionCycleSystem(), Phase.SPAWN, after=MissionStatus)


# -- client ----------------------------------------------------------------------------------


@dataclass(slots=True)
class LocalSeat:
    """Marks an aircraft this client flies, and which keyboard seat flies it."""

    local_index: int


@dataclass(slots=True)
class Correction:
    """What is left to ease in of a server correction (px)."""

    dx: float = 0.0
    dy: float = 0.0


@dataclass(slots=True)
class ClientSession:
    """What the client knows of the game beyond entities: for HUDs, tests and bots."""

    own: dict[int, int] = field(default_factory=dict)  # net id -> local index
    broadcasts: list[str] = field(default_factory=list)
    outcome: Outcome8 | None = None
    mission_ends: int = 0
    corrections: int = 0
    partner_asked_at: float = -math.inf  # simulation seconds of the last RequestCoopPartner
    spectating: int = 0  # place in line for a seat while watching (1 = next); 0 when seated
    seats: int = 0  # the server's aircraft seats (from BattlefieldState; 0 until it arrives)
    sent_fire: dict[int, bool] = field(default_factory=dict)  # net id -> last fire state sent


PARTNER_RETRY_SECONDS = 2.0  # a co-op partner request unanswered this long may be sent again
CORRECTION_RATE = 0.2  # fraction of the remaining correction applied per step
SCROLL_SNAP = 12.0  # px the client's view may differ from the server's before it snaps


class ClaimSystem:
    """Make this client's own aircraft predicted and steerable; ease in corrections."""

    def update(self, world: World, dt: float) -> None:
        session = world.resource(ClientSession)
        for message in world.events.read(Spectating):
            session.spectating = message.place
        for message in world.events.read(SpawnSelf):
            session.own[message.aircraft] = message.local_index
            session.spectating = 0
        for message in world.events.read(AcceptCoopPartner):
            session.own[message.aircraft] = 1
        for message in world.events.read(MissionEnd):
            session.outcome = message.outcome
            session.mission_ends += 1
        for message in world.events.read(BroadcastMessage):
            session.broadcasts.append(message.text)
        decoder = world.resource(ClientNet).decoder
        for net_id, local_index in session.own.items():
            entity = decoder.entities.get(net_id)
            if entity is None or world.has_component(entity, Predicted):
                continue
            world.add_component(entity, Predicted())
            world.add_component(entity, LocalSeat(local_index))
            world.add_component(entity, PlayerInput())
            world.add_component(entity, Velocity())
            world.add_component(entity, Correction())
        for message in world.events.read(PositionCorrection):
            entity = decoder.entities.get(message.aircraft)
            if entity is None or not world.has_component(entity, Correction):
                continue
            transform = world.component(entity, Transform)
            correction = world.component(entity, Correction)
            correction.dx, correction.dy = message.x - transform.x, message.y - transform.y
            session.corrections += 1
        for _, (correction, transform) in world.query(Correction, Transform):
            if correction.dx or correction.dy:
                step_x, step_y = correction.dx * CORRECTION_RATE, correction.dy * CORRECTION_RATE
                if abs(correction.dx) < 0.5 and abs(correction.dy) < 0.5:
                    step_x, step_y = correction.dx, correction.dy
                transform.x += step_x
                transform.y += step_y
                correction.dx -= step_x
                correction.dy -= step_y
        for _, state in world.query_one(BattlefieldState):
            session.seats = state.seats
            battlefield = world.resource(Battlefield)
            world.resource(MissionState).held = not state.running
            # Both sides scroll at one speed; snap only when they really disagree
            # (a restart, a hold), not for the latency every snapshot carries.
            if abs(battlefield.view_top - state.view_top) > SCROLL_SNAP or not state.running:
                battlefield.view_top = state.view_top


class ClientActionSystem:
    """Every step: fire and missile actions as they happen (while connected)."""

    def update(self, world: World, dt: float) -> None:
        client = world.resource(ClientNet).client
        session = world.resource(ClientSession)
        for _, (replicated, _at, intent, _seat) in world.query(
            Replicated, Transform, PlayerInput, LocalSeat
        ):
            net_id = replicated.net_id
            if intent.fire != session.sent_fire.get(net_id, False):
                client.send(PlayerRealtimeChange(net_id, PlayerAction.FIRE, intent.fire))
                session.sent_fire[net_id] = intent.fire
            while intent.missile_requests > 0:
                client.send(PlayerEvent(net_id, PlayerAction.LAUNCH_MISSILE))
                intent.missile_requests -= 1


class ClientPositionSystem:
    """On network ticks: where this client's own aircraft are, in one PositionUpdate."""

    def update(self, world: World, dt: float) -> None:
        positions = sorted(
            (replicated.net_id, transform.x, transform.y)
            for _, (replicated, transform, _intent, _seat) in world.query(
                Replicated, Transform, PlayerInput, LocalSeat
            )
        )
        if positions:
            world.resource(ClientNet).client.send(
                PositionUpdate(world.time.step, tuple(positions))
            )


def request_partner(world: World) -> None:
    """Ask for seat 1's aircraft while seat 0 flies alone; again only after a quiet while.

    The server does not answer a refusal (no seat free), so a press after
    PARTNER_RETRY_SECONDS asks anew: a seat may have freed up since.
    """
    session = world.resource(ClientSession)
    flying = {seat.local_index for _, (seat,) in world.query(LocalSeat)}
    now = world.time.seconds
    if flying == {0} and now >= session.partner_asked_at + PARTNER_RETRY_SECONDS:
        world.resource(ClientNet).client.send(RequestCoopPartner())
        session.partner_asked_at = now


class ShooterClientNetPlugin(Plugin):
    """The shooter's client-side network rules. Add after ClientNetPlugin and ShooterPlugin."""

    name = "cloudbreak-net-client"
    requires = (ShooterPlugin, ClientNetPlugin)

    def build_client(self, world: World) -> None:
        world.insert_resource(ClientSession())
        world.add_system(ClaimSystem(), Phase.INPUT, after=NetReceive)
        world.add_system(
            ClientActionSystem(), Phase.NETWORK, before=NetSend, run_if=client_connected
        )
        world.add_system(
            ClientPositionSystem(),
            Phase.NETWORK,
            after=ClientActionSystem,
            before=NetSend,
            run_if=(client_connected, on_network_tick),
        )
