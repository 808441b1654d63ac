"""What the client sends: its fire and missile actions as they happen, its positions every
network tick, and a request for a co-op partner (all only while connected)."""

from __future__ import annotations

from engine.components import Transform
from engine.net.replication import Replicated
from engine.net.sync import ClientNet
from engine.world import World
from game.net.claims import ClientSession, LocalSeat
from game.net.protocol import (
    PlayerAction,
    PlayerEvent,
    PlayerRealtimeChange,
    PositionUpdate,
    RequestCoopPartner,
)
from game.rules.components import PlayerInput

PARTNER_RETRY_SECONDS = 2.0  # a co-op partner request unanswered this long may be sent again


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
            world.resource(ClientNet).client.send(PositionUpdate(world.time.step, tuple(positions)))


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
