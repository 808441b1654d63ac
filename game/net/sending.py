"""What the client sends: its aircraft's inputs every network tick (the last few ticks of them,
in one unreliable PlayerInputs), and a request for a co-op partner (only while connected)."""

from __future__ import annotations

from engine.components import Transform
from engine.net.replication import Replicated
from engine.net.sync import ClientNet
from engine.world import World
from game.net.claims import ClientSession, InputHistory, LocalSeat
from game.net.protocol import InputEntry, PlayerInputs, RequestCoopPartner
from game.rules.components import PlayerInput

PARTNER_RETRY_SECONDS = 2.0  # a co-op partner request unanswered this long may be sent again


class ClientActionSystem:
    """Every step (while connected): note whether fire is held and count the missiles asked
    for, for the next PlayerInputs."""

    def update(self, world: World, dt: float) -> None:
        for _, (intent, history) in world.query(PlayerInput, InputHistory):
            history.fire = history.fire or intent.fire
            history.missiles += intent.missile_requests
            intent.missile_requests = 0


class ClientInputSystem:
    """On network ticks: one entry per own aircraft (where it is, whether fire was held since
    the last), and one PlayerInputs with the last INPUT_HISTORY entries of each."""

    def update(self, world: World, dt: float) -> None:
        step, spacing = world.time.step, world.time.tick_every
        aircraft = {}
        for _, (replicated, transform, history, _seat) in world.query(
            Replicated, Transform, InputHistory, LocalSeat
        ):
            entries = history.entries
            if entries and entries[0].step != step - spacing:
                entries.clear()  # a tick went unsent: what is left would be misdated
            entries.appendleft(InputEntry(step, transform.x, transform.y, history.fire))
            history.fire = False
            aircraft[replicated.net_id] = (
                history.missiles,
                [(e.x, e.y, e.fire) for e in entries],
            )
        if aircraft:
            world.resource(ClientNet).client.send(PlayerInputs.pack(step, spacing, aircraft))


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
