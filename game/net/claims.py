"""The client's side of what the server says: its own aircraft, corrections, the session's
log, and the battlefield as the server has it.

A client claims the aircraft the server gives it (SpawnSelf, AcceptCoopPartner)
and predicts them with the shared control and movement systems; it eases in the
server's corrections, notes what a HUD, a test or a bot wants to know, and
follows the replicated battlefield. All of it runs in INPUT, just after the
engine's NetReceive, in the order below.

While the connection is lost and the client tries to take it up again
(RECONNECTING), its own aircraft are Held, as the server holds them; once back,
the server gives them to it again (SpawnSelf, AcceptCoopPartner, where they are).
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, field

from engine.components import Transform, Velocity
from engine.net.messages import BroadcastMessage, Welcome
from engine.net.replication import Predicted
from engine.net.sync import ClientNet
from engine.world import World
from game.net.protocol import (
    INPUT_HISTORY,
    AcceptCoopPartner,
    Explosion,
    InputEntry,
    MissionEnd,
    Outcome8,
    PositionCorrection,
    SpawnSelf,
    Spectating,
)
from game.net.schema import BattlefieldState
from game.rules.battlefield import Battlefield
from game.rules.campaign import Campaign, install_mission
from game.rules.components import Held, PlayerInput
from game.rules.mission import MissionState

log = logging.getLogger(__name__)

CORRECTION_RATE = 0.2  # fraction of the remaining correction applied per step
SCROLL_SNAP = 12.0  # px the client's view may differ from the server's before it snaps
BROADCASTS_KEPT = 32  # lines a client keeps for its HUD (older ones were shown long ago)


@dataclass(slots=True)
class LocalSeat:
    """Marks an aircraft this client flies, and which keyboard seat flies it."""

    local_index: int


@dataclass(slots=True)
class InputHistory:
    """What an own aircraft's pilot did, for PlayerInputs: the last INPUT_HISTORY ticks'
    entries (step, x, y, fire), newest first, and what goes into the next one."""

    entries: deque[InputEntry] = field(default_factory=lambda: deque(maxlen=INPUT_HISTORY))
    fire: bool = False  # fire held at some step since the last entry
    missiles: int = 0  # missiles asked for since the aircraft was given (a running count)


@dataclass(slots=True)
class Correction:
    """What is left to ease in of a server correction (px)."""

    dx: float = 0.0
    dy: float = 0.0


@dataclass(slots=True)
class ClientSession:
    """What the client knows of the game beyond entities: for HUDs, tests and bots."""

    own: dict[int, int] = field(default_factory=dict)  # net id -> local index
    # The latest lines for every player (a long session must not keep them all), and how
    # many were heard in all: the HUD shows them in turn by that count.
    broadcasts: deque[str] = field(default_factory=lambda: deque(maxlen=BROADCASTS_KEPT))
    heard: int = 0
    outcome: Outcome8 | None = None
    mission_ends: int = 0
    corrections: int = 0
    partner_asked_at: float = -math.inf  # simulation seconds of the last RequestCoopPartner
    spectating: int = 0  # place in line for a seat while watching (1 = next); 0 when seated
    seats: int = 0  # the server's aircraft seats (from BattlefieldState; 0 until it arrives)
    reconnecting: bool = False  # the connection was lost; trying to take it up again
    gives_up_in: float = 0.0  # seconds left to reconnect (while reconnecting)
    shot_down: list[int] = field(default_factory=list)  # own aircraft destroyed (net ids)
    unknown_mission: str = ""  # the server's mission this client lacks (logged once)

    def hear(self, text: str) -> None:
        """A line for the HUD to show in turn (a broadcast, or the client's own notice)."""
        self.broadcasts.append(text)
        self.heard += 1


class ConnectionSystem:
    """Note whether the connection is being taken up again (for the HUD), and hold this
    client's own aircraft meanwhile, as the server does."""

    def update(self, world: World, dt: float) -> None:
        session = world.resource(ClientSession)
        net = world.resource(ClientNet)
        client = net.client
        session.reconnecting = client.reconnecting
        gives_up_at = client.gives_up_at
        session.gives_up_in = max(0.0, gives_up_at - net.clock.now()) if gives_up_at else 0.0
        for entity, _ in world.query_one(LocalSeat):
            held = world.has_component(entity, Held)
            if session.reconnecting and not held:
                world.add_component(entity, Held(world.time.seconds))
            elif held and not session.reconnecting:
                world.remove_component(entity, Held)


class SessionLogSystem:
    """Note the place in line (Spectating), the mission's ends, the broadcasts, and own
    aircraft destroyed (an Explosion naming one)."""

    def update(self, world: World, dt: float) -> None:
        session = world.resource(ClientSession)
        for message in world.events.read(Spectating):
            session.spectating = message.place
        for message in world.events.read(MissionEnd):
            session.outcome = message.outcome
            session.mission_ends += 1
        for message in world.events.read(BroadcastMessage):
            session.hear(message.text)
        for message in world.events.read(Explosion):
            if message.aircraft in session.own:
                session.shot_down.append(message.aircraft)


class ClaimSystem:
    """Make the aircraft the server gives this client (SpawnSelf: seat 0 or the one it
    names; AcceptCoopPartner: seat 1) predicted and steerable once they have arrived.

    A Welcome starts the list afresh: after a reconnection the server gives back what is
    still this client's. An aircraft given again that this client already flies is put
    where the server has it (it held it there while this client was away)."""

    def update(self, world: World, dt: float) -> None:
        session = world.resource(ClientSession)
        decoder = world.resource(ClientNet).decoder
        if world.events.read(Welcome):
            session.own.clear()
        for message in world.events.read(SpawnSelf):
            session.own[message.aircraft] = message.local_index
            session.spectating = 0
            self._given_again(world, decoder.entities.get(message.aircraft), message.x, message.y)
        for message in world.events.read(AcceptCoopPartner):
            session.own[message.aircraft] = 1
            self._given_again(world, decoder.entities.get(message.aircraft), message.x, message.y)
        for net_id, local_index in session.own.items():
            entity = decoder.entities.get(net_id)
            if entity is None or world.has_component(entity, Predicted):
                continue
            world.add_component(entity, Predicted())
            world.add_component(entity, LocalSeat(local_index))
            world.add_component(entity, PlayerInput())
            world.add_component(entity, Velocity())
            world.add_component(entity, Correction())
            world.add_component(entity, InputHistory())

    @staticmethod
    def _given_again(world: World, entity: int | None, x: float, y: float) -> None:
        if entity is None or not world.has_component(entity, Predicted):
            return
        transform = world.component(entity, Transform)
        transform.x, transform.y = x, y
        correction = world.try_component(entity, Correction)
        if correction is not None:
            correction.dx = correction.dy = 0.0


class CorrectionSystem:
    """Ease a PositionCorrection in over a few steps instead of snapping to it."""

    def update(self, world: World, dt: float) -> None:
        session = world.resource(ClientSession)
        decoder = world.resource(ClientNet).decoder
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


class FollowBattlefieldSystem:
    """Follow the server's battlefield: its seats, whether the mission is held or ended, the
    campaign's mission (its content here too: the window draws its look and names it), and
    the view (where the two really disagree)."""

    def update(self, world: World, dt: float) -> None:
        session = world.resource(ClientSession)
        for _, state in world.query_one(BattlefieldState):
            session.seats = state.seats
            follow_mission(world, state.mission_name, session)
            battlefield = world.resource(Battlefield)
            world.resource(MissionState).held = not state.running
            # Both sides scroll at one speed; snap only when they really disagree
            # (a restart, a hold), not for the latency every snapshot carries.
            if abs(battlefield.view_top - state.view_top) > SCROLL_SNAP or not state.running:
                battlefield.view_top = state.view_top


def follow_mission(world: World, name: str, session: ClientSession) -> None:
    """Install the server's mission `name` here (one this client knows: a server's own
    mission it lacks keeps what it has, logged once)."""
    campaign = world.try_resource(Campaign)
    if campaign is None or not name or name == campaign.current:
        return
    if name not in campaign.order:
        if session.unknown_mission != name:
            session.unknown_mission = name
            log.warning("the server plays mission %r, which this client does not know", name)
        return
    campaign.choose(name)
    install_mission(world)
