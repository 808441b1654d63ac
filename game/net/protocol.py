"""The shooter's messages, with type bytes in the ranges the engine leaves to games
(0x20-0x7e, 0xa0-0xbf); `SHOOTER_MESSAGES` lists them with their routes.

Names follow the original design notes. Where replication carries a notion
instead (SpawnEnemy, SpawnPickup, InitialState are spawn records and the full
state inside UpdateClientState), there is no separate message; docs/PROTOCOL.md
says so. PlayerEvent and PlayerRealtimeChange travel both ways: the server
relays a player's to the other players as the same type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated

from engine.net.codec import Bool, Enum8, ListOf, Quantized, Str, TupleOf, UVarint
from engine.net.messages import MAX_NAME_BYTES, Message, MessageRegistry, Route

GAME = "cloudbreak"
"""The game's name in its netcode protocol id (engine.net.tickets.protocol_id): tickets for
another game never open on a Cloudbreak server."""

POSITION = Quantized(8, -16384, 16384)  # world pixels, 1/8 px
NET_ID = UVarint(2**32 - 1)

NetId = Annotated[int, NET_ID]  # an entity's net id (an aircraft's, in these messages)
Position = Annotated[float, POSITION]
PlayerNumber = Annotated[int, UVarint(255)]
Name = Annotated[str, Str(MAX_NAME_BYTES)]


class PlayerAction(IntEnum):
    MOVE_LEFT = 0
    MOVE_RIGHT = 1
    MOVE_UP = 2
    MOVE_DOWN = 3
    FIRE = 4
    LAUNCH_MISSILE = 5


class GameEventKind(IntEnum):
    ENEMY_EXPLODE = 0  # the original let clients report kills; the server decides them now
    MARKER = 1  # "look here": relayed to the other players as a broadcast


class Outcome8(IntEnum):
    SUCCESS = 1
    FAILURE = 2


# -- both ways (client to server, relayed by the server to the other clients) ---------------


@dataclass(frozen=True, slots=True)
class PlayerEvent(Message):
    """A one-off action of one of the sender's aircraft (launch a missile)."""

    aircraft: NetId
    action: Annotated[PlayerAction, Enum8(PlayerAction)]


@dataclass(frozen=True, slots=True)
class PlayerRealtimeChange(Message):
    """An ongoing action of one of the sender's aircraft starts or stops (hold fire)."""

    aircraft: NetId
    action: Annotated[PlayerAction, Enum8(PlayerAction)]
    active: Annotated[bool, Bool()]


# -- client to server ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestCoopPartner(Message):
    """Ask for a second aircraft on this connection (a second player at the keyboard)."""


@dataclass(frozen=True, slots=True)
class PositionUpdate(Message):
    """Where the sender's aircraft are, at the sender's step `step`."""

    step: Annotated[int, UVarint()]
    positions: Annotated[
        tuple[tuple[int, float, float], ...], ListOf(TupleOf(NET_ID, POSITION, POSITION), 2)
    ]


@dataclass(frozen=True, slots=True)
class GameEvent(Message):
    """Something the client noticed; the server acts only on kinds it allows."""

    kind: Annotated[GameEventKind, Enum8(GameEventKind)]
    x: Position
    y: Position


# -- server to client ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpawnSelf(Message):
    """This aircraft is yours (seat `local_index` at your keyboard): predict and steer it."""

    aircraft: NetId
    player_id: PlayerNumber
    local_index: Annotated[int, UVarint(1)]
    x: Position
    y: Position


@dataclass(frozen=True, slots=True)
class PlayerConnect(Message):
    """Another player's aircraft joined the game."""

    aircraft: NetId
    player_id: PlayerNumber
    name: Name


@dataclass(frozen=True, slots=True)
class PlayerDisconnect(Message):
    """A player's aircraft left with its owner (quit, timeout, or dropped)."""

    aircraft: NetId
    player_id: PlayerNumber
    name: Name


@dataclass(frozen=True, slots=True)
class AcceptCoopPartner(Message):
    """The second aircraft a RequestCoopPartner asked for: yours, seat 1."""

    aircraft: NetId
    player_id: PlayerNumber
    x: Position
    y: Position


@dataclass(frozen=True, slots=True)
class MissionEnd(Message):
    """MissionSuccess or MissionFailure: sent once per mission, to everyone."""

    outcome: Annotated[Outcome8, Enum8(Outcome8)]
    restart_in: Annotated[float, Quantized(10, 0, 600)]


@dataclass(frozen=True, slots=True)
class PositionCorrection(Message):
    """The server refused or clamped a PositionUpdate: your aircraft is really here."""

    aircraft: NetId
    x: Position
    y: Position


@dataclass(frozen=True, slots=True)
class Explosion(Message):
    """An aircraft was destroyed here (not culled): clients show the blast and play its sound."""

    x: Position
    y: Position
    large: Annotated[bool, Bool()]


@dataclass(frozen=True, slots=True)
class PickupCollected(Message):
    """A player's aircraft took a pickup (for its sound and a HUD flash)."""

    aircraft: NetId
    kind: Annotated[str, Str(16)]


@dataclass(frozen=True, slots=True)
class Spectating(Message):
    """Every aircraft seat is taken: you watch, number `place` in line for the next free one."""

    place: PlayerNumber


# (class, route, type byte). 0xa1 and 0xa2 are free: version 1's server-to-client copies
# of PlayerEvent and PlayerRealtimeChange, which now travel both ways as themselves.
SHOOTER_MESSAGES: tuple[tuple[type[Message], Route, int], ...] = (
    (PlayerEvent, Route.BOTH, 0x20),
    (PlayerRealtimeChange, Route.BOTH, 0x21),
    (RequestCoopPartner, Route.TO_SERVER, 0x22),
    (PositionUpdate, Route.TO_SERVER, 0x23),
    (GameEvent, Route.TO_SERVER, 0x24),
    (SpawnSelf, Route.TO_CLIENT, 0xA0),
    (PlayerConnect, Route.TO_CLIENT, 0xA3),
    (PlayerDisconnect, Route.TO_CLIENT, 0xA4),
    (AcceptCoopPartner, Route.TO_CLIENT, 0xA5),
    (MissionEnd, Route.TO_CLIENT, 0xA6),
    (PositionCorrection, Route.TO_CLIENT, 0xA7),
    (Explosion, Route.TO_CLIENT, 0xA8),
    (PickupCollected, Route.TO_CLIENT, 0xA9),
    (Spectating, Route.TO_CLIENT, 0xAA),
)


def register_shooter_messages(messages: MessageRegistry) -> None:
    for cls, route, type_id in SHOOTER_MESSAGES:
        messages.register(cls, route, type_id=type_id)
