"""What players ask the server for: one small system per command message.

Each system reads the `FromPeer` events of its one message type and checks, with
`own_seat`, that the sender asks only for its own aircraft. Movement is the
players' own: their clients send PlayerInputs (positions, fire, missiles) every
network tick, repeating the last few ticks; the server applies each step once,
oldest first, checked against a speed budget and the view and corrected when it
has to be. Fire and missiles become the aircraft's PlayerInput and are told to
the other players (PlayerRealtimeChange, PlayerEvent).
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
from game.net.budget import BUDGET_SECONDS, InputLedger, MoveBudget, aircraft_speed
from game.net.protocol import (
    AircraftInputs,
    GameEvent,
    GameEventKind,
    PlayerAction,
    PlayerEvent,
    PlayerInputs,
    PlayerRealtimeChange,
    PositionCorrection,
    RequestCoopPartner,
)
from game.net.seats import Roster, Seat, seat_player
from game.rules.battlefield import Battlefield
from game.rules.components import PlayerInput

log = logging.getLogger(__name__)

MAX_SEATS_PER_CONNECTION = 2
NO_SEAT_FOR_PARTNER = "Every seat is taken: no aircraft for player 2"
BOUNDS_SLACK_SECONDS = 0.5  # the client's view may lag the server's by this much scrolling
MAX_PENDING_MISSILES = 3  # missiles queued for an aircraft, and told to the others per packet


def own_seat(world: World, peer: Peer, net_id: int, what: str) -> Seat | None:
    """The sender's seat flying aircraft `net_id`, or None (logged) if that is not theirs.

    A peer that is leaving lost its seats when it left, maybe earlier in this very step
    (a last PlayerInputs sent just before Quit): its commands are dropped without a
    warning, since nobody did anything wrong."""
    seat = world.resource(Roster).by_net_id(peer, net_id)
    if seat is None or not seat.entity or not world.is_alive(seat.entity):
        if peer.leaving:
            log.debug("%s: dropped %s from a peer that has left", peer.name, what)
        else:
            log.warning("%s: refused %s for aircraft %d (not theirs)", peer.name, what, net_id)
        return None
    return seat


class InputSystem:
    """PlayerInputs: per own aircraft, apply each entry newer than the last applied, oldest
    first, once; then fire and missiles.

    Movement: each entry moves the aircraft where it says, clamped into the view and
    shortened to what the speed allows: at most the client time since the last applied
    entry at top speed (that gap credited up to BUDGET_SECONDS), and at most the
    aircraft's MoveBudget, which server steps refill at top speed (capped at
    BUDGET_SECONDS): made-up steps buy nothing the server's own clock does not give.
    An entry more than MAX_STEPS_AHEAD beyond the client's clock is refused. When the
    aircraft ends elsewhere than the newest entry said, its owner is told
    (PositionCorrection).

    Fire: held for this step when any newly applied entry held it (a tap carried by a
    lost packet still fires). Missiles: the running count's growth since the last
    applied, at most MAX_PENDING_MISSILES waiting. Changes of fire and each missile
    asked for (at most MAX_PENDING_MISSILES a packet) are told to the other players.
    """

    def update(self, world: World, dt: float) -> None:
        speed = aircraft_speed(world)
        for _, budget in world.query_one(MoveBudget):
            budget.pixels = min(speed * BUDGET_SECONDS, budget.pixels + speed * dt)
        net = world.resource(ServerNet)
        for event in world.events.read(FromPeer[PlayerInputs]):
            for inputs in event.message.unpack():
                seat = own_seat(world, event.peer, inputs.aircraft, "PlayerInputs")
                if seat is not None:
                    self._apply(world, net, event.peer, seat, inputs, speed)

    def _apply(
        self,
        world: World,
        net: ServerNet,
        peer: Peer,
        seat: Seat,
        inputs: AircraftInputs,
        speed: float,
    ) -> None:
        ledger = world.component(seat.entity, InputLedger)
        budget = world.component(seat.entity, MoveBudget)
        now = world.time.step
        if ledger.last_step < 0:  # the first entries: they set the client's clock
            ledger.offset, ledger.anchored_at = inputs.entries[-1].step - now, now
        limit = ledger.limit(now)
        credit_steps = BUDGET_SECONDS * world.time.step_hz
        fire = False
        newest = None
        for entry in inputs.entries:  # oldest first
            if entry.step <= ledger.last_step:
                continue  # applied already (a repeat, or an older packet overtaken)
            if entry.step > limit:
                ledger.ahead += 1
                log.info(
                    "%s: refused input for aircraft %d at step %d (its clock is at most %d)",
                    peer.name,
                    seat.net_id,
                    entry.step,
                    limit,
                )
                break  # the entries after it are later still
            allowance = budget.pixels
            if ledger.last_step >= 0:
                gap = min(entry.step - ledger.last_step, credit_steps)
                allowance = min(allowance, speed * gap / world.time.step_hz)
            self._move(world, seat, budget, entry.x, entry.y, allowance)
            ledger.last_step = entry.step
            ledger.applied += 1
            fire = fire or entry.fire
            newest = entry
        if newest is None:
            return
        transform = world.component(seat.entity, Transform)
        if abs(transform.x - newest.x) > 0.5 or abs(transform.y - newest.y) > 0.5:
            budget.refused += 1
            log.info(
                "%s: corrected aircraft %d from (%.0f, %.0f) to (%.0f, %.0f)",
                peer.name,
                seat.net_id,
                newest.x,
                newest.y,
                transform.x,
                transform.y,
            )
            net.server.send(peer, PositionCorrection(seat.net_id, transform.x, transform.y))
        intent = world.component(seat.entity, PlayerInput)
        if intent.fire != fire:
            intent.fire = fire
            net.server.broadcast(
                PlayerRealtimeChange(seat.net_id, PlayerAction.FIRE, fire), exclude=peer
            )
        if newest is inputs.entries[-1] and inputs.missiles > ledger.missiles:
            asked = min(inputs.missiles - ledger.missiles, MAX_PENDING_MISSILES)
            ledger.missiles = inputs.missiles
            intent.missile_requests = min(MAX_PENDING_MISSILES, intent.missile_requests + asked)
            for _ in range(asked):
                net.server.broadcast(
                    PlayerEvent(seat.net_id, PlayerAction.LAUNCH_MISSILE), exclude=peer
                )

    @staticmethod
    def _move(
        world: World, seat: Seat, budget: MoveBudget, x: float, y: float, allowance: float
    ) -> None:
        """Move toward (x, y), clamped into the view, at most `allowance` px (spent)."""
        transform = world.component(seat.entity, Transform)
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
        if distance > allowance:
            scale = allowance / distance if distance else 0.0
            wanted_x, wanted_y = transform.x + dx * scale, transform.y + dy * scale
            distance = allowance
        budget.pixels -= distance
        transform.x, transform.y = wanted_x, wanted_y


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
                # The one refusal a player can do nothing about: a first partner, no seat free.
                # A connection that has its two aircraft (or none) is refused without a word.
                if len(seats) == 1 and player_id is None:
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
