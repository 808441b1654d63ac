"""Messages: declared once, registered once with a route; each side of the wire decodes only
what it may receive; bad type bytes and bodies are refused."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.net.codec import U8, U16, Str, UVarint
from engine.net.errors import ProtocolError
from engine.net.messages import (
    AUTO_TYPES,
    MAGIC,
    BroadcastMessage,
    Hello,
    Message,
    MessageRegistry,
    Rest,
    Route,
    UpdateClientState,
    message_fields,
)
from engine.net.schema import NetSchema
from game.net.protocol import SpawnSelf
from game.net.schema import shooter_schema
from tests.net.schemas import every_message

names = st.text(st.characters(codec="utf-8"), max_size=8)


@dataclasses.dataclass(frozen=True, slots=True)
class Nudge(Message):
    """A message with no fields."""


@dataclasses.dataclass(frozen=True, slots=True)
class Echo(Message):
    """A message a server relays to the other clients as it came: one type, both ways."""

    value: Annotated[int, UVarint(9)]


MESSAGES = MessageRegistry()
MESSAGES.register(Nudge, Route.TO_SERVER, type_id=0x31)
MESSAGES.register(Echo, Route.BOTH, type_id=0x32)


@given(st.integers(0, 65535), names, st.integers(0, 2**64 - 1), st.lists(names, max_size=5))
def test_hello_round_trips(version, name, schema, mods):
    hello = Hello(MAGIC, version, name, schema, tuple(mods))
    assert MESSAGES.to_server.decode(MESSAGES.to_server.encode(hello)) == hello


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=100))
def test_snapshot_message_round_trips(tick, baseline, body):
    message = UpdateClientState(tick, baseline, body)
    assert MESSAGES.to_client.decode(MESSAGES.to_client.encode(message)) == message


def sample_value(codec):
    """A valid value for a codec, to build one of every message."""
    if hasattr(codec, "enum_type"):
        return next(iter(codec.enum_type))
    if hasattr(codec, "items"):  # TupleOf
        return tuple(sample_value(item) for item in codec.items)
    if hasattr(codec, "item"):  # ListOf
        return (sample_value(codec.item),)
    name = type(codec).__name__
    return {"Str": "ab", "Rest": b"xy", "Bool": True, "F32": 1.5}.get(name, 1)


def test_every_registered_message_round_trips_with_sample_values():
    count = 0
    for messages, spec in every_message():
        message = spec.message_type(**{name: sample_value(c) for name, c in spec.fields})
        for table in (messages.to_server, messages.to_client):
            if spec.message_type in table:
                assert table.decode(table.encode(message)) == message
                count += 1
    assert count >= 22  # 22 types (none of these schemas sends one both ways)


def test_unknown_type_truncated_body_and_trailing_bytes_are_protocol_errors():
    to_server = MESSAGES.to_server
    with pytest.raises(ProtocolError, match="unknown client-to-server message type 0x7e"):
        to_server.decode(b"\x7e")
    encoded = to_server.encode(Hello(MAGIC, 1, "ann", 5, ()))
    with pytest.raises(ProtocolError, match="truncated"):
        to_server.decode(encoded[:-3])
    with pytest.raises(ProtocolError, match="unexpected bytes after Nudge"):
        to_server.decode(to_server.encode(Nudge()) + b"\x00")
    with pytest.raises(ProtocolError, match="truncated u8"):
        to_server.decode(b"")


# -- declaring ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Move(Message):
    """A message the way a mod declares one: each field once, with its codec."""

    seq: Annotated[int, U16()]
    steps: Annotated[int, UVarint(9)]
    label: Annotated[str, Str(8)]


@dataclasses.dataclass(frozen=True, slots=True)
class Bare(Message):
    count: int  # no codec


@dataclasses.dataclass(frozen=True, slots=True)
class Twice(Message):
    value: Annotated[int, U8(), U16()]


@dataclasses.dataclass(slots=True)
class Loose(Message):
    value: Annotated[int, U8()]


@dataclasses.dataclass(frozen=True)
class NotAMessage:
    value: Annotated[int, U8()]


@dataclasses.dataclass(frozen=True, slots=True)
class RestFirst(Message):
    data: Annotated[bytes, Rest()]
    value: Annotated[int, U8()]


@dataclasses.dataclass(frozen=True, slots=True)
class Tag(Message):
    value: Annotated[int, U8()]


@dataclasses.dataclass(frozen=True, slots=True)
class Note(Message):
    text: Annotated[str, Str(16)]


def test_fields_come_from_the_annotations_in_declaration_order():
    fields = message_fields(Move)
    assert [name for name, _ in fields] == ["seq", "steps", "label"]
    assert [codec.describe() for _, codec in fields] == ["U16", "uvarint<=9", "string<=8"]
    assert message_fields(Nudge) == ()


def test_a_field_without_a_codec_is_a_type_error_naming_the_class_and_field():
    with pytest.raises(TypeError, match=r"Bare\.count has no codec"):
        MessageRegistry().register(Bare, Route.TO_SERVER)
    with pytest.raises(TypeError, match=r"Twice\.value has 2 codecs"):
        MessageRegistry().register(Twice, Route.TO_SERVER)


def test_only_frozen_message_dataclasses_with_rest_last_register():
    with pytest.raises(TypeError, match="Loose must be a frozen dataclass"):
        MessageRegistry().register(Loose, Route.TO_SERVER)
    with pytest.raises(TypeError, match="NotAMessage must subclass"):
        MessageRegistry().register(NotAMessage, Route.TO_SERVER)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Rest field must be the last"):
        MessageRegistry().register(RestFirst, Route.TO_CLIENT)


# -- registering --------------------------------------------------------------------------------


def test_the_engine_messages_are_in_every_registry_from_the_start():
    engine = {
        "Hello", "Welcome", "Reject", "Disconnect",
        "UpdateClientState", "BroadcastMessage",
    }  # fmt: skip
    assert {spec.name for spec in MessageRegistry()} == engine
    assert MessageRegistry().by_type[BroadcastMessage].type_id == 0x85


def test_clashing_duplicate_and_reserved_type_bytes_are_refused():
    messages = MessageRegistry()
    messages.register(Tag, Route.TO_SERVER, type_id=0x30)
    with pytest.raises(ValueError, match="0x30 is Tag's"):
        messages.register(Note, Route.TO_SERVER, type_id=0x30)
    with pytest.raises(ValueError, match="already registered"):
        messages.register(Tag, Route.TO_CLIENT)
    with pytest.raises(ValueError, match="0x01 is Hello's"):
        messages.register(Note, Route.TO_SERVER, type_id=0x01)
    with pytest.raises(ValueError, match="reserved for messages registered without"):
        messages.register(Note, Route.TO_SERVER, type_id=AUTO_TYPES.start)
    with pytest.raises(ValueError, match="not a usable type byte"):
        messages.register(Note, Route.TO_SERVER, type_id=0x100)
    with pytest.raises(TypeError, match="route must be a Route"):
        messages.register(Note, "to-server")  # type: ignore[arg-type]


def test_messages_without_a_type_byte_get_the_next_free_automatic_one_in_order():
    messages = MessageRegistry()
    first = messages.register(Tag, Route.TO_SERVER)
    second = messages.register(Note, Route.BOTH)
    assert (first.type_id, second.type_id) == (AUTO_TYPES.start, AUTO_TYPES.start + 1)
    other = MessageRegistry()
    other.register(Note, Route.BOTH)
    other.register(Tag, Route.TO_SERVER)
    assert other.by_type[Note].type_id == AUTO_TYPES.start  # registration order decides


def test_a_message_travels_only_the_way_it_was_registered_for():
    messages = MessageRegistry()
    messages.register(Tag, Route.TO_SERVER)
    messages.register(Note, Route.TO_CLIENT)
    messages.register(Move, Route.BOTH)
    up, down = messages.to_server, messages.to_client
    assert up.decode(up.encode(Tag(7))) == Tag(7)
    assert down.decode(down.encode(Note("hi"))) == Note("hi")
    move = Move(1, 2, "x")
    assert up.decode(up.encode(move)) == move == down.decode(down.encode(move))
    # Sending the wrong way is a programming error; receiving it is the peer's protocol error.
    with pytest.raises(TypeError, match="Note is not a client-to-server message"):
        up.encode(Note("hi"))
    with pytest.raises(TypeError, match="Tag is not a server-to-client message"):
        down.encode(Tag(7))
    with pytest.raises(ProtocolError, match=r"Note \(0xc1\) is not a client-to-server message"):
        up.decode(down.encode(Note("hi")))
    with pytest.raises(ProtocolError, match=r"Tag \(0xc0\) is not a server-to-client message"):
        down.decode(up.encode(Tag(7)))
    with pytest.raises(ProtocolError, match="is not a client-to-server message"):
        up.decode(down.encode(BroadcastMessage("hi")))


def test_a_relayed_message_is_one_type_both_ways():
    echo = Echo(3)
    sent = MESSAGES.to_server.encode(echo)
    assert MESSAGES.to_client.encode(echo) == sent  # the same bytes, the same type byte
    assert MESSAGES.to_client.decode(sent) == echo
    messages = shooter_schema().messages
    with pytest.raises(ProtocolError, match="SpawnSelf"):
        messages.to_server.decode(messages.to_client.encode(SpawnSelf(1, 1, 0, 0.0, 0.0)))


# -- the schema hash ----------------------------------------------------------------------------


def schema_with(*registrations):
    schema = NetSchema()
    for cls, route in registrations:
        schema.messages.register(cls, route)
    return schema


def tag_type(codec):
    """A message named Tag like the one above, its one field declared with `codec`."""
    fields = [("value", Annotated[int, codec])]
    return dataclasses.make_dataclass("Tag", fields, bases=(Message,), frozen=True, slots=True)


def test_the_same_registrations_in_the_same_order_hash_the_same():
    one = schema_with((Tag, Route.TO_SERVER), (Note, Route.TO_CLIENT))
    two = schema_with((Tag, Route.TO_SERVER), (Note, Route.TO_CLIENT))
    assert one.hash() == two.hash()
    assert one.hash() != NetSchema().hash()
    assert schema_with((tag_type(U8()), Route.TO_SERVER), (Note, Route.TO_CLIENT)).hash() == (
        one.hash()
    )  # the same declaration, made again


def test_another_order_route_or_codec_hashes_differently():
    base = schema_with((Tag, Route.TO_SERVER), (Note, Route.TO_CLIENT)).hash()
    assert schema_with((Note, Route.TO_CLIENT), (Tag, Route.TO_SERVER)).hash() != base
    assert schema_with((Tag, Route.BOTH), (Note, Route.TO_CLIENT)).hash() != base
    assert schema_with((tag_type(U16()), Route.TO_SERVER), (Note, Route.TO_CLIENT)).hash() != base
