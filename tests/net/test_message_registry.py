"""A game's message registry word for word: what registration refuses and why, the lines the
schema hash covers, each direction's table, and what decoding a value no message takes says."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import pytest

from engine.net.codec import U8, Enum8, Str
from engine.net.errors import ProtocolError
from engine.net.messages import (
    AUTO_TYPES,
    ENGINE_MESSAGES,
    Message,
    MessageRegistry,
    RejectReason,
    Rest,
    Route,
    message_fields,
)


def make(name: str, **fields):
    """A frozen message class `name` with U8 fields, made fresh."""
    return dataclasses.make_dataclass(
        name,
        [(field, Annotated[int, U8()]) for field in fields] or [],
        bases=(Message,),
        frozen=True,
        slots=True,
    )


def refused(error_type, call, *args, **kwargs) -> str:
    with pytest.raises(error_type) as error:
        call(*args, **kwargs)
    return str(error.value)


def test_the_engine_messages_keep_their_type_bytes_and_routes():
    messages = MessageRegistry()
    for cls, route, type_id in ENGINE_MESSAGES:
        spec = messages.by_type[cls]
        assert (spec.type_id, spec.route, spec.name) == (type_id, route, cls.__name__)
        assert messages.by_id[type_id] is spec
        assert (cls in messages.to_server) == bool(route & Route.TO_SERVER)
        assert (cls in messages.to_client) == bool(route & Route.TO_CLIENT)
    assert [spec.type_id for spec in messages] == sorted(messages.by_id)
    assert [spec.type_id for spec in messages.to_server] == [0x01]
    assert [spec.type_id for spec in messages.to_client] == [0x80, 0x81, 0x83, 0x84, 0x85]
    assert (messages.to_server.name, messages.to_client.name) == (
        "client-to-server",
        "server-to-client",
    )


def test_describe_gives_type_byte_route_name_and_fields_in_type_byte_order():
    messages = MessageRegistry()
    messages.register(make("Late", a=1, b=2), Route.BOTH, type_id=0x21)
    messages.register(make("Early"), Route.TO_SERVER, type_id=0x20)
    lines = messages.describe()
    assert lines[0] == "message 0x01 to-server Hello magic:U32 version:U16 name:string<=255 " + (
        "schema_hash:U64 mods:list<=64 of string<=64 resume:U64"
    )
    assert "message 0x20 to-server Early" in lines
    assert "message 0x21 both Late a:U8 b:U8" in lines
    assert lines == sorted(lines, key=lambda line: int(line.split()[1], 16))


def test_type_bytes_a_message_may_not_take_word_for_word():
    messages = MessageRegistry()
    tag = make("Tag", v=1)
    assert refused(ValueError, messages.register, tag, Route.TO_SERVER, type_id=0) == (
        "Tag: type 0x0 is not a usable type byte"
    )
    assert refused(ValueError, messages.register, tag, Route.TO_SERVER, type_id=0x100) == (
        "Tag: type 0x100 is not a usable type byte"
    )
    for reserved in (0xC0, 0xFE):
        assert refused(ValueError, messages.register, tag, Route.TO_SERVER, type_id=reserved) == (
            f"Tag: type {reserved:#04x} is in the range reserved for messages registered "
            "without a type (0xc0-0xfe)"
        )
    assert refused(ValueError, messages.register, tag, Route.TO_SERVER, type_id=0x85) == (
        "Tag: type 0x85 is BroadcastMessage's"
    )
    assert refused(TypeError, messages.register, tag, "both") == (
        "Tag: route must be a Route, not 'both'"
    )
    assert refused(TypeError, messages.register, tag, Route(0)) == (
        "Tag: route must be a Route, not <Route: 0>"
    )
    messages.register(tag, Route.TO_SERVER, type_id=0xFF)  # the last byte is usable
    messages.register(make("Low"), Route.TO_SERVER, type_id=0x7E)
    messages.register(make("First"), Route.TO_CLIENT, type_id=0x04)
    assert refused(ValueError, messages.register, tag, Route.TO_SERVER) == (
        "Tag is already registered"
    )


def test_automatic_type_bytes_skip_taken_ones_and_run_out_after_63():
    messages = MessageRegistry()
    for n in range(len(AUTO_TYPES)):
        spec = messages.register(make(f"Mod{n}"), Route.TO_SERVER)
        assert spec.type_id == AUTO_TYPES.start + n
    extra = make("Extra")
    assert refused(ValueError, messages.register, extra, Route.TO_SERVER) == (
        "Extra: all 63 automatic type bytes are taken"
    )
    assert extra not in messages.by_type


def test_message_declarations_refused_word_for_word():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Unresolved(Message):
        value: Annotated[Missing, U8()]  # type: ignore[name-defined]  # noqa: F821

    @dataclasses.dataclass(frozen=True)
    class Computed(Message):
        value: Annotated[int, U8()] = dataclasses.field(init=False, default=0)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Bare(Message):
        value: int

    assert refused(TypeError, message_fields, Unresolved) == (
        "Unresolved: cannot resolve its field annotations (name 'Missing' is not defined)"
    )
    assert refused(TypeError, message_fields, Computed) == (
        "Computed.value must be an __init__ field"
    )
    assert refused(TypeError, message_fields, Bare) == (
        "Bare.value has no codec: declare it as Annotated[type, codec]"
    )
    assert refused(TypeError, message_fields, 5) == ("5 must subclass engine.net.messages.Message")

    @dataclasses.dataclass(frozen=True, slots=True)
    class Tail(Message):
        value: Annotated[int, U8()]
        rest: Annotated[bytes, Rest()]

    assert [name for name, _ in message_fields(Tail)] == ["value", "rest"]


def test_a_value_no_message_takes_is_a_protocol_error_naming_the_message():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Picky(Message):
        reason: Annotated[RejectReason, Enum8(RejectReason)]
        text: Annotated[str, Str(8)]

        def __post_init__(self):
            if not self.text:
                raise ValueError("text must not be empty")

    messages = MessageRegistry()
    messages.register(Picky, Route.TO_CLIENT, type_id=0x20)
    table = messages.to_client
    assert table.decode(table.encode(Picky(RejectReason.FULL, "x"))) == Picky(
        RejectReason.FULL, "x"
    )
    payload = bytes([0x20, RejectReason.FULL, 0])  # an empty text
    assert refused(ProtocolError, table.decode, payload) == ("bad Picky: text must not be empty")
    assert refused(ProtocolError, messages.to_server.decode, bytes([0x30])) == (
        "unknown client-to-server message type 0x30"
    )
    assert refused(ProtocolError, messages.to_server.decode, payload) == (
        "Picky (0x20) is not a client-to-server message"
    )
