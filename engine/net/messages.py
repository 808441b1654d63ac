"""Messages: frozen dataclasses whose fields carry their codecs, one registry per game.

A message is declared once, each field with its codec:

    @dataclass(frozen=True, slots=True)
    class PlayerEvent(Message):
        aircraft: Annotated[int, NET_ID]
        action: Annotated[PlayerAction, Enum8(PlayerAction)]

and registered once in a game's `MessageRegistry` with its route (to the
server, to clients, or both: the server relays it as the same type) and, for
the engine and the game, an explicit type byte; a message registered without
one (a mod's) gets the next free byte of `AUTO_TYPES`, in registration order.
On the wire a message is its type byte, then its fields in declaration order.
The registry is per game (see `engine.net.schema.NetSchema`): a mod's messages
change only the games that load it. Each side of a connection decodes only
what it may receive: an unknown type, a type sent the wrong way, a truncated
body or trailing bytes raise ProtocolError.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterator
from enum import Flag, IntEnum
from typing import Annotated, TypeVar

from engine.net.codec import (
    U8,
    U16,
    U32,
    U64,
    Bool,
    Codec,
    Enum8,
    ListOf,
    Reader,
    Str,
    Writer,
)
from engine.net.errors import ProtocolError

MAGIC = 0x434C424B  # "CLBK"
PROTOCOL_VERSION = 4
AUTO_TYPES = range(0xC0, 0xFF)  # type bytes of messages registered without one (mods)
MAX_NAME_BYTES = 32
RESUME_SECONDS = 30.0
"""How long a connection lost without a goodbye (a timeout) may be resumed: the client keeps
trying that long, the server keeps the player's place that long (`Welcome.resume`)."""


class Message:
    """Base of every message: a frozen dataclass whose fields are `Annotated[type, codec]`."""

    __slots__ = ()


M = TypeVar("M", bound=Message)


class Route(Flag):
    """Which way a message type travels."""

    TO_SERVER = 1
    TO_CLIENT = 2
    BOTH = TO_SERVER | TO_CLIENT  # sent by clients, relayed by the server as the same type


_ROUTE_NAMES = {Route.TO_SERVER: "to-server", Route.TO_CLIENT: "to-client", Route.BOTH: "both"}


class Rest(Codec):
    """The remaining bytes of the message, as is (only valid as the last field)."""

    def write(self, w: Writer, value: bytes) -> None:
        w.raw(value)

    def read(self, r: Reader) -> bytes:
        return r.raw(r.remaining)


@functools.cache
def message_fields(cls: type) -> tuple[tuple[str, Codec], ...]:
    """(name, codec) of each field of a message class, in order; TypeError if it is not a
    frozen Message dataclass whose every field is `Annotated` with exactly one codec."""
    name = getattr(cls, "__name__", repr(cls))
    if not (isinstance(cls, type) and issubclass(cls, Message)):
        raise TypeError(f"{name} must subclass engine.net.messages.Message")
    if not dataclasses.is_dataclass(cls) or not cls.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{name} must be a frozen dataclass")
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except NameError as error:
        raise TypeError(f"{name}: cannot resolve its field annotations ({error})") from None
    fields: list[tuple[str, Codec]] = []
    for field in dataclasses.fields(cls):
        hint = hints.get(field.name)
        extras = typing.get_args(hint)[1:] if typing.get_origin(hint) is Annotated else ()
        codecs = [extra for extra in extras if isinstance(extra, Codec)]
        if len(codecs) != 1:
            problem = "no codec" if not codecs else f"{len(codecs)} codecs"
            raise TypeError(
                f"{name}.{field.name} has {problem}: declare it as Annotated[type, codec]"
            )
        if not field.init:
            raise TypeError(f"{name}.{field.name} must be an __init__ field")
        fields.append((field.name, codecs[0]))
    for field_name, codec in fields[:-1]:
        if isinstance(codec, Rest):
            raise TypeError(f"{name}.{field_name}: a Rest field must be the last")
    return tuple(fields)


@dataclasses.dataclass(frozen=True, slots=True)
class MessageSpec:
    """One registered message type: its type byte, its route and its fields' codecs."""

    message_type: type[Message]
    type_id: int
    route: Route
    fields: tuple[tuple[str, Codec], ...]
    reliable: bool = True  # reliable-ordered; False: sent once, may be lost (snapshots, inputs)

    @property
    def name(self) -> str:
        return self.message_type.__name__

    def describe(self) -> str:
        """The line the schema hash covers."""
        fields = "".join(f" {n}:{c.describe()}" for n, c in self.fields)
        route = _ROUTE_NAMES[self.route] + ("" if self.reliable else " unreliable")
        return f"message {self.type_id:#04x} {route} {self.name}{fields}"


class MessageTable:
    """The messages one direction of the wire carries: a live view of its registry."""

    def __init__(self, registry: MessageRegistry, route: Route) -> None:
        self.registry = registry
        self.route = route
        self.name = "client-to-server" if route is Route.TO_SERVER else "server-to-client"
        self.by_id: dict[int, MessageSpec] = {}
        self.by_type: dict[type, MessageSpec] = {}

    def __contains__(self, cls: type) -> bool:
        return cls in self.by_type

    def __iter__(self) -> Iterator[MessageSpec]:
        return iter(sorted(self.by_id.values(), key=_type_id))

    def encode(self, message: Message) -> bytes:
        spec = self.by_type.get(type(message))
        if spec is None:
            raise TypeError(f"{type(message).__name__} is not a {self.name} message")
        writer = Writer()
        writer.u8(spec.type_id)
        for name, codec in spec.fields:
            codec.write(writer, getattr(message, name))
        return writer.getvalue()

    def decode(self, payload: bytes) -> Message:
        reader = Reader(payload)
        type_id = reader.u8()
        spec = self.by_id.get(type_id)
        if spec is None:
            other = self.registry.by_id.get(type_id)
            if other is None:
                raise ProtocolError(f"unknown {self.name} message type {type_id:#04x}")
            raise ProtocolError(f"{other.name} ({type_id:#04x}) is not a {self.name} message")
        values = [codec.read(reader) for _, codec in spec.fields]
        reader.expect_end(spec.name)
        try:
            return spec.message_type(*values)
        except (TypeError, ValueError) as error:
            raise ProtocolError(f"bad {spec.name}: {error}") from None


class MessageRegistry:
    """Every message type a game's peers exchange, each registered once with its route.

    The engine's own messages are registered from the start. `to_server` and
    `to_client` are the two directions' tables a Connection encodes and decodes with.
    """

    def __init__(self) -> None:
        self.by_type: dict[type, MessageSpec] = {}
        self.by_id: dict[int, MessageSpec] = {}
        self.to_server = MessageTable(self, Route.TO_SERVER)
        self.to_client = MessageTable(self, Route.TO_CLIENT)
        for cls, route, type_id in ENGINE_MESSAGES:
            self.register(cls, route, type_id=type_id, reliable=cls is not UpdateClientState)

    def register(
        self,
        message_type: type[M],
        route: Route,
        *,
        type_id: int | None = None,
        reliable: bool = True,
    ) -> MessageSpec:
        """Let `message_type` travel `route`. Without `type_id`, the next free AUTO_TYPES byte.

        Messages are reliable and ordered unless `reliable=False`: then each is sent once
        and may be lost or overtaken, for what the next one replaces (snapshots, inputs)."""
        fields = message_fields(message_type)
        name = message_type.__name__
        if message_type in self.by_type:
            raise ValueError(f"{name} is already registered")
        if not isinstance(route, Route) or not route:
            raise TypeError(f"{name}: route must be a Route, not {route!r}")
        if type_id is None:
            free = (t for t in AUTO_TYPES if t not in self.by_id)
            type_id = next(free, None)
            if type_id is None:
                raise ValueError(f"{name}: all {len(AUTO_TYPES)} automatic type bytes are taken")
        elif type_id in AUTO_TYPES:
            raise ValueError(
                f"{name}: type {type_id:#04x} is in the range reserved for messages "
                f"registered without a type ({AUTO_TYPES.start:#04x}-{AUTO_TYPES.stop - 1:#04x})"
            )
        elif not 0 < type_id <= 0xFF:
            raise ValueError(f"{name}: type {type_id:#x} is not a usable type byte")
        if type_id in self.by_id:
            raise ValueError(f"{name}: type {type_id:#04x} is {self.by_id[type_id].name}'s")
        spec = MessageSpec(message_type, type_id, route, fields, reliable)
        self.by_type[message_type] = spec
        self.by_id[type_id] = spec
        for table in (self.to_server, self.to_client):
            if route & table.route:
                table.by_type[message_type] = spec
                table.by_id[type_id] = spec
        return spec

    def __contains__(self, message_type: object) -> bool:
        """Is this message type registered?"""
        return message_type in self.by_type

    def __iter__(self) -> Iterator[MessageSpec]:
        """Every registered message, by type byte."""
        return iter(sorted(self.by_id.values(), key=_type_id))

    def describe(self) -> list[str]:
        """One line per message type, by type byte (hashed for the handshake)."""
        return [spec.describe() for spec in self]


def _type_id(spec: MessageSpec) -> int:
    return spec.type_id


class RejectReason(IntEnum):
    FULL = 1
    VERSION = 2
    SCHEMA = 3
    BAD_NAME = 4
    PROTOCOL = 5


class DisconnectReason(IntEnum):
    SHUTDOWN = 1  # the server is stopping
    TIMEOUT = 2  # the peer was silent too long
    PROTOCOL = 3  # the peer sent something malformed
    KICKED = 4  # the server removed the peer (operator, or no seat left for it)


# -- engine messages ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Hello(Message):
    """First message of a client: who it is and what it was built with."""

    magic: Annotated[int, U32()]
    version: Annotated[int, U16()]
    # The handshake refuses names over MAX_NAME_BYTES with a Reject, not a decoding error.
    name: Annotated[str, Str(255)]
    schema_hash: Annotated[int, U64()]
    mods: Annotated[tuple[str, ...], ListOf(Str(64), 64)]
    # The `Welcome.resume` of a connection this client lost (timed out) and takes up again;
    # 0 for a fresh join. A secret the server does not hold makes this a fresh join.
    resume: Annotated[int, U64()] = 0


@dataclasses.dataclass(frozen=True, slots=True)
class Welcome(Message):
    """The handshake succeeded: the client's id and the server's clock rates.

    `resume` is this connection's secret (random, never 0; the server fills it in): a client
    that loses the connection without a goodbye says it in its next Hello, within
    RESUME_SECONDS, to take up where it was. `resumed`: this Hello did that (the client keeps
    its world), rather than join afresh."""

    client_id: Annotated[int, U32()]
    step_hz: Annotated[int, U8()]
    tick_every: Annotated[int, U8()]
    server_tick: Annotated[int, U32()]
    resume: Annotated[int, U64()] = 0
    resumed: Annotated[bool, Bool()] = False


@dataclasses.dataclass(frozen=True, slots=True)
class Reject(Message):
    """The handshake failed; the server closes the connection after sending this."""

    reason: Annotated[RejectReason, Enum8(RejectReason)]
    detail: Annotated[str, Str(255)]


@dataclasses.dataclass(frozen=True, slots=True)
class Disconnect(Message):
    """The server is closing this connection, and why."""

    reason: Annotated[DisconnectReason, Enum8(DisconnectReason)]
    detail: Annotated[str, Str(255)]


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateClientState(Message):
    """One replication snapshot: tick, baseline tick (0 = full state), then records."""

    tick: Annotated[int, U32()]
    baseline: Annotated[int, U32()]
    body: Annotated[bytes, Rest()]


@dataclasses.dataclass(frozen=True, slots=True)
class BroadcastMessage(Message):
    """A line of text every player sees (joins, leaves, server notices)."""

    text: Annotated[str, Str(255)]


# (class, route, type byte): in every registry from the start. Engine types use 0x01-0x1f
# and 0x80-0x9f; games 0x20-0x7e and 0xa0-0xbf; AUTO_TYPES (0xc0-0xfe) go to mods.
ENGINE_MESSAGES: tuple[tuple[type[Message], Route, int], ...] = (
    (Hello, Route.TO_SERVER, 0x01),
    (Welcome, Route.TO_CLIENT, 0x80),
    (Reject, Route.TO_CLIENT, 0x81),
    (Disconnect, Route.TO_CLIENT, 0x83),
    (UpdateClientState, Route.TO_CLIENT, 0x84),
    (BroadcastMessage, Route.TO_CLIENT, 0x85),
)
