"""The bit codes of snapshot bodies and each codec's bit form: what is written reads back,
codes have the lengths docs/PROTOCOL.md (5.6, 5.7) gives them, and bad input is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.components import Transform
from engine.net import codec as c
from engine.net.bits import (
    BitReader,
    BitWriter,
    rice_code,
    rice_cost,
    rice_parameter,
    unzigzag,
    uvlc_code,
    zigzag,
)
from engine.net.body import block_emitter, block_parameters, emit_block, parse_body, write_body
from engine.net.errors import ProtocolError
from engine.net.replication import ReplicationRegistry
from game.net.schema import shooter_schema
from game.rules.components import Side
from tests.net.snapshot_wire import Bits, Out


def test_the_codes_of_the_page():
    assert [uvlc_code(v) for v in (0, 1, 2, 3, 7)] == ["1", "010", "011", "00100", "0001000"]
    assert [rice_code(v, 2) for v in (0, 5, 13)] == ["000", "1001", "111001"]
    assert rice_code(20, 0) == "1" * 16 + "00101"  # escaped: sixteen ones, then uvlc(4)
    assert [zigzag(n) for n in (0, -1, 1, -2, 2, -3)] == [0, 1, 2, 3, 4, 5]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["bits", "uvlc", "rice"]),
            st.integers(0, 2**40),
            st.integers(0, 31),
        ),
        max_size=40,
    )
)
def test_codes_read_back_and_agree_with_an_independent_reader(codes):
    out = BitWriter()
    independent = Out()
    for kind, value, k in codes:
        if kind == "bits":
            out.bits(value, 41)
            independent.put(value, 41)
        elif kind == "uvlc":
            out.uvlc(value)
            independent.uvlc(value)
        else:
            out.rice(value, k)
            independent.rice(value, k)
    data = out.getvalue()
    assert data == independent.data()
    r, other = BitReader(data), Bits(data)
    for kind, value, k in codes:
        if kind == "bits":
            assert r.bits(41) == other.take(41) == value
        elif kind == "uvlc":
            assert r.uvlc() == other.uvlc() == value
        else:
            assert r.rice(k) == other.rice(k) == value
    r.expect_end()
    assert unzigzag(zigzag(-(2**35))) == -(2**35)


def test_a_reader_refuses_truncation_long_codes_and_dirty_padding():
    with pytest.raises(ProtocolError, match="truncated"):
        BitReader(b"\x00").bits(9)
    with pytest.raises(ProtocolError, match="more than 64 leading zeros"):
        BitReader(bytes(10)).uvlc()
    with pytest.raises(ProtocolError, match="truncated body in a uvlc code"):
        BitReader(b"\x01").uvlc()  # 7 zeros, a one, and not the 7 bits after it
    with pytest.raises(ProtocolError, match="truncated body in a rice code"):
        BitReader(b"\xff").rice(0)
    r = BitReader(b"\x81")  # a 1 bit, then padding with a 1 in it
    assert r.bit() == 1
    with pytest.raises(ProtocolError, match="padding bits after body are not zero"):
        r.expect_end()
    r = BitReader(b"\x80\x00")
    r.bit()
    with pytest.raises(ProtocolError, match="1 unexpected bytes after body"):
        r.expect_end()


def test_a_rice_parameter_suits_the_values():
    slow = [zigzag(d) for d in range(-8, 9)] * 4  # changes of a slow mover
    k = rice_parameter(slow)
    assert rice_cost(slow, k) == min(rice_cost(slow, j) for j in range(32))
    assert rice_parameter([]) == 0
    assert rice_parameter([0] * 100) == 0
    far = [5000 + i for i in range(100)]
    assert rice_cost(far, rice_parameter(far)) <= 1.05 * min(rice_cost(far, j) for j in range(32))


class Mine(c.Codec):
    """A mod's codec with a byte form only."""

    def write(self, w: c.Writer, value: int) -> None:
        w.u16(value)

    def read(self, r: c.Reader) -> int:
        return r.u16()


CODECS = [
    (c.U8(), st.integers(0, 255)),
    (c.U16(), st.integers(0, 2**16 - 1)),
    (c.U32(), st.integers(0, 2**32 - 1)),
    (c.U64(), st.integers(0, 2**64 - 1)),
    (c.F32(), st.floats(-1e6, 1e6, width=32)),
    (c.Bool(), st.booleans()),
    (c.UVarint(255), st.integers(0, 255)),
    (c.UVarint(2**32 - 1), st.integers(0, 2**32 - 1)),
    (c.SVarint(-100, 100), st.integers(-100, 100)),
    (c.SVarint(), st.integers(-(2**31), 2**31 - 1)),
    (c.Quantized(8, -16384, 16384), st.integers(-131072, 131072)),
    (c.Quantized(1, 0, 2**32), st.integers(0, 2**32)),
    (c.Str(16), st.text(max_size=4)),
    (c.Enum8(Side), st.sampled_from([0, 1])),
    (c.ListOf(c.UVarint(9), 3), st.lists(st.integers(0, 9), max_size=3).map(tuple)),
    (c.TupleOf(c.U8(), c.Bool()), st.tuples(st.integers(0, 255), st.booleans())),
    (Mine(), st.integers(0, 2**16 - 1)),
]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_every_codec_reads_back_its_bit_form(data):
    out = BitWriter()
    written = []
    for codec, values in CODECS:
        key = data.draw(values)
        codec.write_bits(out, key)
        written.append(key)
    r = BitReader(out.getvalue())
    assert [codec.read_bits(r) for codec, _ in CODECS] == written
    r.expect_end()


def test_bit_forms_are_as_wide_as_the_range_needs():
    def width(codec: c.Codec, key: object) -> int:
        out = BitWriter()
        codec.write_bits(out, key)
        return out.bit_length()

    assert width(c.Quantized(8, -16384, 16384), 2400) == 19
    assert width(c.Quantized(2, -720, 720), 360) == 12
    assert width(c.SVarint(-100_000, 100_000), 40) == 18
    assert width(c.UVarint(1), 1) == 1
    assert width(c.UVarint(2**32 - 1), 3) == len(uvlc_code(3))
    assert width(c.Enum8(Side), 1) == 1
    assert width(c.Str(16), "ab") == 5 + 16
    assert width(c.Bool(), True) == 1


def test_bit_forms_refuse_what_the_codec_refuses():
    cases = [
        (c.UVarint(1000), lambda out: out.bits(1001, 10), "value 1001 outside 0..1000"),
        (c.Str(4), lambda out: out.bits(5, 3), "string length 5 exceeds the limit of 4"),
        (c.Quantized(1, 0, 10), lambda out: out.bits(11, 4), "quantized value 11 outside"),
        (c.F32(), lambda out: out.bits(0x7F800000, 32), "float is not finite"),
    ]
    for codec, write, message in cases:
        out = BitWriter()
        write(out)
        with pytest.raises(ProtocolError, match=message):
            codec.read_bits(BitReader(out.getvalue() + bytes(2)))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_the_compiled_block_writer_writes_what_the_reference_writes(data):
    """Both writers, over each shooter component type, with additions (mask 0), masks that
    change and repeat, changes past the tables (escapes) and net ids far apart."""
    registry = shooter_schema().components
    spec = data.draw(st.sampled_from(list(registry.by_id.values())))
    keys = st.tuples(*[_keys(codec) for _, codec in spec.fields])
    count = data.draw(st.integers(1, 12))
    ids = sorted(data.draw(st.sets(st.integers(1, 2**32 - 1), min_size=count, max_size=count)))
    records = []
    for net_id in ids:
        new = data.draw(keys)
        old = data.draw(st.none() | keys | st.just(new))
        if old == new:
            old = None
        records.append((net_id, old, new))
    k_gap, ks = block_parameters(spec, records)
    reference: list[str] = []
    compiled: list[str] = []
    emit_block(reference, spec, records, k_gap, ks)
    block_emitter(spec)(compiled, records, k_gap, ks)
    assert "".join(compiled) == "".join(reference)
    specs = [registry.by_id[i] for i in range(1, len(registry.by_id) + 1)]
    body = write_body(specs, (), {spec.type_id: records}, (), ())
    ((type_id, parsed),) = parse_body(specs, body).updates
    assert type_id == spec.type_id
    assert [net_id for net_id, _, _ in parsed] == ids


def _keys(codec: c.Codec) -> st.SearchStrategy:
    if isinstance(codec, c.Quantized):
        small = st.integers(max(codec.kmin, -40), min(codec.kmax, 40))
        return small | st.integers(codec.kmin, codec.kmax)
    if isinstance(codec, c.SVarint):
        return st.integers(-50, 50) | st.integers(codec.minimum, codec.maximum)
    if isinstance(codec, c.UVarint):
        return st.integers(0, min(codec.maximum, 50)) | st.integers(0, codec.maximum)
    if isinstance(codec, c.Str):
        return st.sampled_from(["", "raptor", "bullet_enemy"])
    if isinstance(codec, c.Enum8):
        return st.sampled_from([0, 1])
    if isinstance(codec, c.Bool):
        return st.booleans()
    raise AssertionError(codec)


def test_a_registry_without_a_bit_form_of_a_codec_still_round_trips():
    registry = ReplicationRegistry()
    registry.register(Transform, {"x": Mine(), "y": c.Quantized(8, -100, 100)})
    specs = [registry.by_id[1]]
    records = [(3, (7, 0), (9, 8)), (9, None, (1, -8))]
    body = write_body(specs, [(1, False, {1: (65535, 800)})], {1: records}, [], [4])
    parsed = parse_body(specs, body)
    assert parsed.spawns == [(1, False, {1: (65535, 800)})]
    assert parsed.updates == [(1, [(3, 0b11, [9, 8]), (9, 0, [1, -8])])]
    assert parsed.despawns == [4]


def test_quantized_keys_take_the_nearest_a_tie_going_up_and_compiled_keys_agree():
    position = c.Quantized(8, -16384, 16384)
    assert [position.key(v) for v in (100.0625, 100.1875, -0.0625, -0.1875)] == [801, 802, 0, -1]
    assert position.key(1e9) == position.kmax and position.key(-1e9) == position.kmin
    registry = ReplicationRegistry()
    spec = registry.register(Transform, {"x": position, "y": position, "angle": c.UVarint(7)})
    for x, y, angle in [(100.0625, -0.1875, 3), (1e9, -1e9, 99), (-16384.06, 0.0, -5)]:
        component = Transform(x, y, angle)
        assert spec.keys(component) == (position.key(x), position.key(y), min(max(angle, 0), 7))
        assert spec.quantize(spec.raw(component)) == spec.keys(component)
