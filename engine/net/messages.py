"""Messages: typed dataclasses encoded as one type byte followed by their fields in order.

A `MessageSet` holds the messages one side may send (client-to-server or
server-to-client). The engine registers its own (handshake, ping, snapshot);
the game and mods register theirs in the ranges they own. Decoding an unknown
type, a truncated body or trailing bytes raises ProtocolError.
"""

from __future__ import annotations

import dataclasses
from enum import IntEnum
from typing import ClassVar, TypeVar

from engine.net.codec import (
    U8,
    U16,
    U32,
    U64,
    Codec,
    Enum8,
    ListOf,
    Reader,
    Str,
    Writer,
)
from engine.net.errors import ProtocolError

MAGIC = 0x434C424B  # "CLBK"
PROTOCOL_VERSION = 1
FRAGMENT_TYPE = 0x7F  # reserved: first byte of a fragment (see framing)
MAX_NAME_BYTES = 32


class Message:
    """Base of every message: subclasses are frozen dataclasses with TYPE and FIELDS."""

    TYPE: ClassVar[int]
    FIELDS: ClassVar[dict[str, Codec]]


M = TypeVar("M", bound=type[Message])


class Rest(Codec):
    """The remaining bytes of the message, as is (only valid as the last field)."""

    def write(self, w: Writer, value: bytes) -> None:
        w.raw(value)

    def read(self, r: Reader) -> bytes:
        return r.raw(r.remaining)


class MessageSet:
    """The messages one direction of the wire carries, by type byte."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.by_type: dict[int, type[Message]] = {}

    def register(self, cls: M) -> M:
        """Class decorator: add a message type; its FIELDS must match its dataclass fields."""
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls.__name__} must be a dataclass")
        type_id = cls.TYPE
        if not 0 <= type_id <= 0xFF or type_id == FRAGMENT_TYPE:
            raise ValueError(f"{cls.__name__}: type {type_id:#x} is not a usable type byte")
        if type_id in self.by_type:
            other = self.by_type[type_id].__name__
            raise ValueError(f"{self.name}: type {type_id:#x} of {cls.__name__} is {other}'s")
        names = [f.name for f in dataclasses.fields(cls)]
        if names != list(cls.FIELDS):
            raise TypeError(f"{cls.__name__}: FIELDS {list(cls.FIELDS)} != fields {names}")
        self.by_type[type_id] = cls
        return cls

    def __contains__(self, cls: type[Message]) -> bool:
        return self.by_type.get(cls.TYPE) is cls

    def encode(self, message: Message) -> bytes:
        cls = type(message)
        if self.by_type.get(cls.TYPE) is not cls:
            raise TypeError(f"{cls.__name__} is not a {self.name} message")
        writer = Writer()
        writer.u8(cls.TYPE)
        for name, codec in cls.FIELDS.items():
            codec.write(writer, getattr(message, name))
        return writer.getvalue()

    def decode(self, payload: bytes) -> Message:
        reader = Reader(payload)
        type_id = reader.u8()
        cls = self.by_type.get(type_id)
        if cls is None:
            raise ProtocolError(f"unknown {self.name} message type {type_id:#04x}")
        values = {name: codec.read(reader) for name, codec in cls.FIELDS.items()}
        reader.expect_end(cls.__name__)
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            raise ProtocolError(f"bad {cls.__name__}: {error}") from None


TO_SERVER = MessageSet("client-to-server")
TO_CLIENT = MessageSet("server-to-client")


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


# -- engine messages: client to server (0x01-0x1f) -------------------------------------------


@TO_SERVER.register
@dataclasses.dataclass(frozen=True, slots=True)
class Hello(Message):
    """First message of a client: who it is and what it was built with."""

    TYPE = 0x01
    magic: int
    version: int
    name: str
    schema_hash: int
    mods: tuple[str, ...]
    FIELDS = {
        "magic": U32(),
        "version": U16(),
        "name": Str(255),  # the handshake refuses names over MAX_NAME_BYTES with a Reject
        "schema_hash": U64(),
        "mods": ListOf(Str(64), 64),
    }


@TO_SERVER.register
@dataclasses.dataclass(frozen=True, slots=True)
class Ping(Message):
    """Round-trip probe; the server answers Pong with the same nonce."""

    TYPE = 0x02
    nonce: int
    FIELDS = {"nonce": U32()}


@TO_SERVER.register
@dataclasses.dataclass(frozen=True, slots=True)
class Quit(Message):
    """The client is leaving on purpose."""

    TYPE = 0x03
    FIELDS = {}  # type: ignore[var-annotated]


@TO_SERVER.register
@dataclasses.dataclass(frozen=True, slots=True)
class ModMessage(Message):
    """A message a plugin defined: its channel (registered per world) and its encoded fields."""

    TYPE = 0x04
    channel: int
    payload: bytes
    FIELDS = {"channel": U8(), "payload": Rest()}


# -- engine messages: server to client (0x80-0x9f) -------------------------------------------


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class ModMessageToClient(Message):
    """ModMessage, server to client (same layout)."""

    TYPE = 0x86
    channel: int
    payload: bytes
    FIELDS = {"channel": U8(), "payload": Rest()}


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class Welcome(Message):
    """The handshake succeeded: the client's id and the server's clock rates."""

    TYPE = 0x80
    client_id: int
    step_hz: int
    tick_every: int
    server_tick: int
    max_players: int
    FIELDS = {
        "client_id": U32(),
        "step_hz": U8(),
        "tick_every": U8(),
        "server_tick": U32(),
        "max_players": U8(),
    }


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class Reject(Message):
    """The handshake failed; the server closes the connection after sending this."""

    TYPE = 0x81
    reason: RejectReason
    detail: str
    FIELDS = {"reason": Enum8(RejectReason), "detail": Str(255)}


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class Pong(Message):
    TYPE = 0x82
    nonce: int
    server_tick: int
    FIELDS = {"nonce": U32(), "server_tick": U32()}


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class Disconnect(Message):
    """The server is closing this connection, and why."""

    TYPE = 0x83
    reason: DisconnectReason
    detail: str
    FIELDS = {"reason": Enum8(DisconnectReason), "detail": Str(255)}


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class UpdateClientState(Message):
    """One replication snapshot: tick, baseline tick (0 = full state), then records."""

    TYPE = 0x84
    tick: int
    baseline: int
    body: bytes
    FIELDS = {"tick": U32(), "baseline": U32(), "body": Rest()}


@TO_CLIENT.register
@dataclasses.dataclass(frozen=True, slots=True)
class BroadcastMessage(Message):
    """A line of text every player sees (joins, leaves, server notices)."""

    TYPE = 0x85
    text: str
    FIELDS = {"text": Str(255)}


def describe(cls: type[Message]) -> list[tuple[str, str]]:
    """(field, codec description) pairs, for docs and debugging."""
    return [(name, codec.describe()) for name, codec in cls.FIELDS.items()]
