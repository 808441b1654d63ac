"""What players ask the server for: one small system per command message.

Each system reads the `FromPeer` events of its one message type and checks, with
`own_seat`, that the sender asks only for its own aircraft. Movement is the
players' own (their clients send PositionUpdate), checked against a speed budget
and the view and corrected when it has to be; fire and missiles become the
aircraft's PlayerInput and are relayed to the other players as the same types.
"""

from __future__ import annotations

import logging
import math

from engine.components import Transform
from engine.net.codec import clip_utf8
from engine.net.messages import MAX_NAME_BYTES, BroadcastMessage
from engine.net.server import FromPeer, Peer
from engine.net.sync import ServerNet
from engine.world import World
from game.net.budget import BUDGET_SECONDS, MoveBudget, aircraft_speed
from game.net.protocol import (
    GameEvent,
    GameEventKind,
    PlayerAction,
    PlayerEvent,
    PlayerRealtimeChange,
    PositionCorrection,
    PositionUpdate,
    RequestCoopPartner,
)
from game.net.seats import Roster, Seat, seat_player
from game.rules.battlefield import Battlefield
from game.rules.components import PlayerInput

log = logging.getLogger(__name__)

MAX_SEATS_PER_CONNECTION = 2
NO_SEAT_FOR_PARTNER = "Every seat is taken: no aircraft for player 2"
BOUNDS_SLACK_SECONDS = 0.5  # the client's view may lag the server's by this much scrolling
MAX_PENDING_MISSILES = 3


def own_seat(world: World, peer: Peer, net_id: int, what: str) -> Seat | None:
    """The sender's seat flying aircraft `net_id`, or None (logged) if that is not theirs.

    A peer that is leaving lost its seats when it left, maybe earlier in this very step
    (a last PositionUpdate sent just before Quit): its commands are dropped without a
    warning, since nobody did anything wrong."""
    seat = world.resource(Roster).by_net_id(peer, net_id)
    if seat is None or not seat.entity or not world.is_alive(seat.entity):
        if peer.leaving:
            log.debug("%s: dropped %s from a peer that has left", peer.name, what)
        else:
            log.warning("%s: refused %s for aircraft %d (not theirs)", peer.name, what, net_id)
        return None
    return seat


class PositionSystem:
    """PositionUpdate: move each of the sender's aircraft where it says, within the speed
    budget and the view; tell the sender (PositionCorrection) where it really is when
    that differs. Every step refills each budget at top speed."""

    def update(self, world: World, dt: float) -> None:
        speed = aircraft_speed(world)
        for _, budget in world.query_one(MoveBudget):
            budget.pixels = min(speed * BUDGET_SECONDS, budget.pixels + speed * dt)
        net = world.resource(ServerNet)
        for event in world.events.read(FromPeer[PositionUpdate]):
            for net_id, x, y in event.message.positions:
                self._move(world, net, event.peer, net_id, x, y)

    @staticmethod
    def _move(world: World, net: ServerNet, peer: Peer, net_id: int, x: float, y: float) -> None:
        seat = own_seat(world, peer, net_id, "PositionUpdate")
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


class FireSystem:
    """PlayerRealtimeChange: hold or release an aircraft's trigger; relayed to the others."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for event in world.events.read(FromPeer[PlayerRealtimeChange]):
            change = event.message
            seat = own_seat(world, event.peer, change.aircraft, "PlayerRealtimeChange")
            if seat and change.action is PlayerAction.FIRE:
                world.component(seat.entity, PlayerInput).fire = change.active
                net.server.broadcast(change, exclude=event.peer)  # relayed as it came


class MissileSystem:
    """PlayerEvent: queue a missile launch (a few at most); relayed to the others."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for event in world.events.read(FromPeer[PlayerEvent]):
            action = event.message
            seat = own_seat(world, event.peer, action.aircraft, "PlayerEvent")
            if seat and action.action is PlayerAction.LAUNCH_MISSILE:
                intent = world.component(seat.entity, PlayerInput)
                intent.missile_requests = min(MAX_PENDING_MISSILES, intent.missile_requests + 1)
                net.server.broadcast(action, exclude=event.peer)


class PartnerSystem:
    """RequestCoopPartner: a second aircraft for a seated connection, if a seat is free and
    nobody waits in line for a first one."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        roster = world.resource(Roster)
        for event in world.events.read(FromPeer[RequestCoopPartner]):
            peer = event.peer
            seats = roster.of_peer(peer)
            player_id = roster.free_id()
            # A second aircraft never takes a seat from someone waiting for a first one.
            if not seats or len(seats) >= MAX_SEATS_PER_CONNECTION or player_id is None:
                log.info(
                    "%s: co-op partner refused (%d seats, free id %s)",
                    peer.name,
                    len(seats),
                    player_id,
                )
                if seats and player_id is None:  # the one refusal a player can do nothing about
                    net.server.send(peer, BroadcastMessage(NO_SEAT_FOR_PARTNER))
                continue
            seat = Seat(player_id, peer, 1, clip_utf8(peer.name, MAX_NAME_BYTES - 4) + " (2)")
            roster.seats[player_id] = seat
            seat_player(world, net, seat)


class MarkerSystem:
    """GameEvent: a MARKER is relayed to everyone as a broadcast; other kinds the server
    decides itself, so they are only logged."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for event in world.events.read(FromPeer[GameEvent]):
            peer, message = event.peer, event.message
            if message.kind is GameEventKind.MARKER:
                net.server.broadcast(
                    BroadcastMessage(f"{peer.name} marks ({message.x:.0f}, {message.y:.0f})")
                )
            else:
                log.info(
                    "%s: ignored GameEvent %s (the server decides that)",
                    peer.name,
                    message.kind.name,
                )
