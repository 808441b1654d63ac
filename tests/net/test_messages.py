"""Messages: every registered message round-trips; bad type bytes and bodies are refused."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.net.codec import U8
from engine.net.errors import ProtocolError
from engine.net.messages import (
    MAGIC,
    TO_CLIENT,
    TO_SERVER,
    Hello,
    Message,
    MessageSet,
    Quit,
    UpdateClientState,
)

names = st.text(st.characters(codec="utf-8"), max_size=8)


@given(st.integers(0, 65535), names, st.integers(0, 2**64 - 1), st.lists(names, max_size=5))
def test_hello_round_trips(version, name, schema, mods):
    hello = Hello(MAGIC, version, name, schema, tuple(mods))
    assert TO_SERVER.decode(TO_SERVER.encode(hello)) == hello


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=100))
def test_snapshot_message_round_trips(tick, baseline, body):
    message = UpdateClientState(tick, baseline, body)
    assert TO_CLIENT.decode(TO_CLIENT.encode(message)) == message


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
    for message_set in (TO_SERVER, TO_CLIENT):
        for cls in message_set.by_type.values():
            message = cls(**{name: sample_value(c) for name, c in cls.FIELDS.items()})
            assert message_set.decode(message_set.encode(message)) == message
            count += 1
    assert count >= 9


def test_unknown_type_truncated_body_and_trailing_bytes_are_protocol_errors():
    with pytest.raises(ProtocolError, match="unknown client-to-server message type 0x7e"):
        TO_SERVER.decode(b"\x7e")
    encoded = TO_SERVER.encode(Hello(MAGIC, 1, "ann", 5, ()))
    with pytest.raises(ProtocolError, match="truncated"):
        TO_SERVER.decode(encoded[:-3])
    with pytest.raises(ProtocolError, match="unexpected bytes after Quit"):
        TO_SERVER.decode(TO_SERVER.encode(Quit()) + b"\x00")
    with pytest.raises(ProtocolError, match="truncated u8"):
        TO_SERVER.decode(b"")


def test_sets_refuse_clashing_types_and_mismatched_fields():
    messages = MessageSet("test")

    @messages.register
    @dataclasses.dataclass(frozen=True)
    class One(Message):
        TYPE = 0x20
        a: int
        FIELDS = {"a": U8()}

    with pytest.raises(ValueError, match="is One's"):

        @messages.register
        @dataclasses.dataclass(frozen=True)
        class Two(Message):
            TYPE = 0x20
            a: int
            FIELDS = {"a": U8()}

    with pytest.raises(TypeError, match="FIELDS"):

        @messages.register
        @dataclasses.dataclass(frozen=True)
        class Three(Message):
            TYPE = 0x21
            a: int
            FIELDS = {"b": U8()}

    with pytest.raises(TypeError, match="not a test message"):
        messages.encode(Quit())
