"""The shooter's messages, with type bytes in the ranges the engine leaves to games
(0x20-0x7e, 0xa0-0xbf); `SHOOTER_MESSAGES` lists them with their routes.

Names follow the original design notes. Where replication carries a notion
instead (SpawnEnemy, SpawnPickup, InitialState are spawn records and the full
state inside UpdateClientState), there is no separate message; docs/PROTOCOL.md
says so. A client's aircraft inputs (positions, fire, missiles) travel in one
unreliable PlayerInputs per network tick that repeats the last INPUT_HISTORY
ticks; the server tells the other players of fire and missiles with
PlayerRealtimeChange and PlayerEvent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, NamedTuple

from engine.net.codec import Bool, Enum8, ListOf, Quantized, Str, TupleOf, UVarint
from engine.net.messages import MAX_NAME_BYTES, Message, MessageRegistry, Route

GAME = "cloudbreak"
"""The game's name in its netcode protocol id (engine.net.tickets.protocol_id): tickets for
another game never open on a Cloudbreak server."""

POSITION = Quantized(8, -16384, 16384)  # world pixels, 1/8 px
TURN = Quantized(8, -65536, 65536)  # the change between two moves of POSITIONs, exactly
NET_ID = UVarint(2**32 - 1)

INPUT_HISTORY = 4
"""Network ticks each PlayerInputs describes (the newest and the three before it: 200 ms at
20 Hz): an entry is lost only when four packets in a row are (at 5 % loss, once in 2 hours)."""
MAX_INPUT_SPACING = 60  # steps between two entries of a PlayerInputs, at most (a second)

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


# -- client to server ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestCoopPartner(Message):
    """Ask for a second aircraft on this connection (a second player at the keyboard)."""


class InputEntry(NamedTuple):
    """One aircraft's inputs at one client step: where it is, and whether fire was held."""

    step: int
    x: float
    y: float
    fire: bool


class AircraftInputs(NamedTuple):
    """One aircraft's part of a PlayerInputs, unpacked: its entries, oldest first, and how many
    missiles its pilot has asked for since the aircraft was given (as of the newest entry)."""

    aircraft: int
    missiles: int
    entries: tuple[InputEntry, ...]


AircraftRow = tuple[int, float, float, int, int, tuple[tuple[float, float], ...]]


@dataclass(frozen=True, slots=True)
class PlayerInputs(Message):
    """The sender's aircraft inputs at its last few network ticks (unreliable).

    Entry i (0 = newest) is the client's state at step `step - i * spacing`. Per
    aircraft: the newest position, the fire bits (bit i: fire held at some step of
    the tick that entry i ends), the running count of missiles asked for, and the
    older positions as changes of course: with move_i = entry i-1 - entry i
    (move_0 = 0), trail[i-1] = move_i - move_(i-1), so a steady course costs a byte
    a coordinate. Repeats of an entry are harmless: the server applies each step
    once, and the count is a total. Build with `PlayerInputs.pack`, read with `unpack`.
    """

    step: Annotated[int, UVarint()]
    spacing: Annotated[int, UVarint(MAX_INPUT_SPACING)]
    aircraft: Annotated[
        tuple[AircraftRow, ...],
        ListOf(
            TupleOf(
                NET_ID,
                POSITION,
                POSITION,
                UVarint(2**INPUT_HISTORY - 1),
                UVarint(),
                ListOf(TupleOf(TURN, TURN), INPUT_HISTORY - 1),
            ),
            2,
        ),
    ]

    @classmethod
    def pack(
        cls,
        step: int,
        spacing: int,
        aircraft: Mapping[int, tuple[int, Sequence[tuple[float, float, bool]]]],
    ) -> PlayerInputs:
        """From {net id: (missiles asked for so far, [(x, y, fire), ...] newest first)}; each
        aircraft's entries are at `step`, `step - spacing`, ... (at least one, at most
        INPUT_HISTORY)."""
        rows = []
        for net_id in sorted(aircraft):
            missiles, entries = aircraft[net_id]
            keys = [(POSITION.key(x), POSITION.key(y)) for x, y, _ in entries[:INPUT_HISTORY]]
            fire = sum(1 << i for i, (_, _, held) in enumerate(entries[:INPUT_HISTORY]) if held)
            moves = [(nx - ox, ny - oy) for (nx, ny), (ox, oy) in zip(keys, keys[1:], strict=False)]
            # Each move as its change from the newer one: 0 while the aircraft holds course.
            trail = tuple(
                ((mx - px) / POSITION.scale, (my - py) / POSITION.scale)
                for (mx, my), (px, py) in zip(moves, [(0, 0), *moves], strict=False)
            )
            x, y = keys[0]
            scale = POSITION.scale
            rows.append((net_id, x / scale, y / scale, fire, missiles, trail))
        return cls(step, spacing, tuple(rows))

    def unpack(self) -> list[AircraftInputs]:
        """Per aircraft (in the message's order) its entries, oldest first."""
        found = []
        for net_id, x, y, fire, missiles, trail in self.aircraft:
            entries = [InputEntry(self.step, x, y, bool(fire & 1))]
            move_x = move_y = 0.0
            for i, (dx, dy) in enumerate(trail, start=1):
                move_x, move_y = move_x + dx, move_y + dy
                x, y = x - move_x, y - move_y
                entries.append(InputEntry(self.step - i * self.spacing, x, y, bool(fire >> i & 1)))
            found.append(AircraftInputs(net_id, missiles, tuple(reversed(entries))))
        return found


@dataclass(frozen=True, slots=True)
class GameEvent(Message):
    """Something the client noticed; the server acts only on kinds it allows."""

    kind: Annotated[GameEventKind, Enum8(GameEventKind)]
    x: Position
    y: Position


# -- server to client ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayerEvent(Message):
    """A one-off action of another player's aircraft (it launched a missile)."""

    aircraft: NetId
    action: Annotated[PlayerAction, Enum8(PlayerAction)]


@dataclass(frozen=True, slots=True)
class PlayerRealtimeChange(Message):
    """An ongoing action of another player's aircraft starts or stops (it holds fire)."""

    aircraft: NetId
    action: Annotated[PlayerAction, Enum8(PlayerAction)]
    active: Annotated[bool, Bool()]


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
    """The server clamped your aircraft's inputs (PlayerInputs): it is really here."""

    aircraft: NetId
    x: Position
    y: Position


@dataclass(frozen=True, slots=True)
class Explosion(Message):
    """An aircraft was destroyed here (not culled): clients show the blast and play its sound.
    `aircraft` is its net id (0 when it never appeared in a snapshot), so a client learns
    that one of its own aircraft was shot down."""

    aircraft: NetId
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


# (class, route, type byte). Free: 0x23 (PositionUpdate, which PlayerInputs replaced), 0xa1
# and 0xa2 (version 1's server-to-client copies of PlayerEvent and PlayerRealtimeChange).
SHOOTER_MESSAGES: tuple[tuple[type[Message], Route, int], ...] = (
    (PlayerEvent, Route.TO_CLIENT, 0x20),
    (PlayerRealtimeChange, Route.TO_CLIENT, 0x21),
    (RequestCoopPartner, Route.TO_SERVER, 0x22),
    (GameEvent, Route.TO_SERVER, 0x24),
    (PlayerInputs, Route.TO_SERVER, 0x25),
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


UNRELIABLE: frozenset[type[Message]] = frozenset({PlayerInputs})  # each repeats the last


def register_shooter_messages(messages: MessageRegistry) -> None:
    for cls, route, type_id in SHOOTER_MESSAGES:
        messages.register(cls, route, type_id=type_id, reliable=cls not in UNRELIABLE)
