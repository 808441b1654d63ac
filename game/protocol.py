"""The shooter's messages, in the ranges the engine leaves to games (0x20-0x7e, 0xa0-0xfe).

Names follow the original design notes. Where replication carries a notion
instead (SpawnEnemy, SpawnPickup, InitialState are spawn records and the full
state inside UpdateClientState), there is no separate message; docs/PROTOCOL.md
says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from engine.net.codec import Bool, Enum8, ListOf, Quantized, Str, TupleOf, UVarint
from engine.net.messages import MAX_NAME_BYTES, TO_CLIENT, TO_SERVER, Message

POSITION = Quantized(8, -16384, 16384)  # world pixels, 1/8 px
NET_ID = UVarint(2**32 - 1)


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


# -- client to server ------------------------------------------------------------------------


@TO_SERVER.register
@dataclass(frozen=True, slots=True)
class PlayerEvent(Message):
    """A one-off action of one of the sender's aircraft (launch a missile)."""

    TYPE = 0x20
    aircraft: int
    action: PlayerAction
    FIELDS = {"aircraft": NET_ID, "action": Enum8(PlayerAction)}


@TO_SERVER.register
@dataclass(frozen=True, slots=True)
class PlayerRealtimeChange(Message):
    """An ongoing action of one of the sender's aircraft starts or stops (hold fire)."""

    TYPE = 0x21
    aircraft: int
    action: PlayerAction
    active: bool
    FIELDS = {"aircraft": NET_ID, "action": Enum8(PlayerAction), "active": Bool()}


@TO_SERVER.register
@dataclass(frozen=True, slots=True)
class RequestCoopPartner(Message):
    """Ask for a second aircraft on this connection (a second player at the keyboard)."""

    TYPE = 0x22
    FIELDS = {}  # type: ignore[var-annotated]


@TO_SERVER.register
@dataclass(frozen=True, slots=True)
class PositionUpdate(Message):
    """Where the sender's aircraft are, at the sender's step `step`."""

    TYPE = 0x23
    step: int
    positions: tuple[tuple[int, float, float], ...]
    FIELDS = {
        "step": UVarint(),
        "positions": ListOf(TupleOf(NET_ID, POSITION, POSITION), 2),
    }


@TO_SERVER.register
@dataclass(frozen=True, slots=True)
class GameEvent(Message):
    """Something the client noticed; the server acts only on kinds it allows."""

    TYPE = 0x24
    kind: GameEventKind
    x: float
    y: float
    FIELDS = {"kind": Enum8(GameEventKind), "x": POSITION, "y": POSITION}


# -- server to client ------------------------------------------------------------------------


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class SpawnSelf(Message):
    """This aircraft is yours (seat `local_index` at your keyboard): predict and steer it."""

    TYPE = 0xA0
    aircraft: int
    player_id: int
    local_index: int
    x: float
    y: float
    FIELDS = {
        "aircraft": NET_ID,
        "player_id": UVarint(255),
        "local_index": UVarint(1),
        "x": POSITION,
        "y": POSITION,
    }


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class PeerPlayerEvent(Message):
    """Relay of another player's PlayerEvent (sound, animation); called PlayerEvent on the wire."""

    TYPE = 0xA1
    aircraft: int
    action: PlayerAction
    FIELDS = {"aircraft": NET_ID, "action": Enum8(PlayerAction)}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class PeerRealtimeChange(Message):
    """Relay of another player's PlayerRealtimeChange; called PlayerRealtimeChange on the wire."""

    TYPE = 0xA2
    aircraft: int
    action: PlayerAction
    active: bool
    FIELDS = {"aircraft": NET_ID, "action": Enum8(PlayerAction), "active": Bool()}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class PlayerConnect(Message):
    """Another player's aircraft joined the game."""

    TYPE = 0xA3
    aircraft: int
    player_id: int
    name: str
    FIELDS = {"aircraft": NET_ID, "player_id": UVarint(255), "name": Str(MAX_NAME_BYTES)}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class PlayerDisconnect(Message):
    """A player's aircraft left with its owner (quit, timeout, or dropped)."""

    TYPE = 0xA4
    aircraft: int
    player_id: int
    name: str
    FIELDS = {"aircraft": NET_ID, "player_id": UVarint(255), "name": Str(MAX_NAME_BYTES)}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class AcceptCoopPartner(Message):
    """The second aircraft a RequestCoopPartner asked for: yours, seat 1."""

    TYPE = 0xA5
    aircraft: int
    player_id: int
    x: float
    y: float
    FIELDS = {"aircraft": NET_ID, "player_id": UVarint(255), "x": POSITION, "y": POSITION}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class MissionEnd(Message):
    """MissionSuccess or MissionFailure: sent once per mission, to everyone."""

    TYPE = 0xA6
    outcome: Outcome8
    restart_in: float
    FIELDS = {"outcome": Enum8(Outcome8), "restart_in": Quantized(10, 0, 600)}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class PositionCorrection(Message):
    """The server refused or clamped a PositionUpdate: your aircraft is really here."""

    TYPE = 0xA7
    aircraft: int
    x: float
    y: float
    FIELDS = {"aircraft": NET_ID, "x": POSITION, "y": POSITION}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class Explosion(Message):
    """An aircraft was destroyed here (not culled): clients show the blast and play its sound."""

    TYPE = 0xA8
    x: float
    y: float
    large: bool
    FIELDS = {"x": POSITION, "y": POSITION, "large": Bool()}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class PickupCollected(Message):
    """A player's aircraft took a pickup (for its sound and a HUD flash)."""

    TYPE = 0xA9
    aircraft: int
    kind: str
    FIELDS = {"aircraft": NET_ID, "kind": Str(16)}


@TO_CLIENT.register
@dataclass(frozen=True, slots=True)
class Spectating(Message):
    """Every aircraft seat is taken: you watch, number `place` in line for the next free one."""

    TYPE = 0xAA
    place: int
    FIELDS = {"place": UVarint(255)}
