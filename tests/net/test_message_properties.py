"""Every registered message, of the engine, the game and the tile arena mod alike, round-trips
for generated field values, through each direction it is registered for."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.net import codec as c
from engine.net.messages import Rest
from tests.net.schemas import every_message


def strategy(codec):
    """Values a codec can carry, drawn to its limits."""
    if isinstance(codec, c.U8):
        return st.integers(0, 0xFF)
    if isinstance(codec, c.U16):
        return st.integers(0, 0xFFFF)
    if isinstance(codec, c.U32):
        return st.integers(0, 0xFFFFFFFF)
    if isinstance(codec, c.U64):
        return st.integers(0, 2**64 - 1)
    if isinstance(codec, c.UVarint):
        return st.integers(0, codec.maximum)
    if isinstance(codec, c.SVarint):
        return st.integers(codec.minimum, codec.maximum)
    if isinstance(codec, c.Quantized):
        return st.integers(codec.kmin, codec.kmax).map(lambda k: k / codec.scale)
    if isinstance(codec, c.F32):
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    if isinstance(codec, c.Bool):
        return st.booleans()
    if isinstance(codec, c.Str):
        return st.text(max_size=codec.max_bytes // 4)
    if isinstance(codec, c.Enum8):
        return st.sampled_from(list(codec.enum_type))
    if isinstance(codec, c.ListOf):
        return st.lists(strategy(codec.item), max_size=codec.max_count).map(tuple)
    if isinstance(codec, c.TupleOf):
        return st.tuples(*(strategy(item) for item in codec.items))
    if isinstance(codec, Rest):
        return st.binary(max_size=200)
    raise AssertionError(f"no strategy for {codec!r}")


MESSAGES = every_message()


@pytest.mark.parametrize(("messages", "spec"), MESSAGES, ids=lambda v: getattr(v, "name", ""))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip(messages, spec, data):
    values = {name: data.draw(strategy(codec), label=name) for name, codec in spec.fields}
    message = spec.message_type(**values)
    tables = [t for t in (messages.to_server, messages.to_client) if spec.route & t.route]
    assert tables
    for table in tables:
        decoded = table.decode(table.encode(message))
        assert type(decoded) is spec.message_type
        for name, codec in spec.fields:
            sent, got = getattr(message, name), getattr(decoded, name)
            if isinstance(codec, c.F32):
                assert got == sent or math.isclose(got, sent, rel_tol=1e-6)
            else:
                assert got == sent, name


def test_every_message_is_covered():
    names = {spec.name for _, spec in MESSAGES}
    some = {"Hello", "UpdateClientState", "PlayerEvent", "Spectating", "TileMove", "YouAre"}
    assert some <= names
    assert len(MESSAGES) >= 22
    assert any(not spec.reliable for _, spec in MESSAGES)  # PlayerInputs, UpdateClientState
