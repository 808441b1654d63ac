"""Snapshot bodies read and written straight from docs/PROTOCOL.md (sections 5.7 and 9.2),
independent of the engine's bit codes, body writer and decoder: an independent client's
view of the wire. It knows the codec notation of the page (section 5.4) and nothing else
of the engine's codecs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.net import codec as c
from engine.net.replication import ReplicationRegistry

# -- the codes of section 5.7 ----------------------------------------------------------------


class Bits:
    """Reads a body's bits, most significant bit of each byte first. With `rows` (a list),
    each thing read is noted as (first bit, its bits, meaning) by `note`: the tables of the
    page's worked examples are made this way."""

    def __init__(self, data: bytes, rows: list[tuple[int, str, str]] | None = None) -> None:
        self.bits = [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]
        self.pos = 0
        self.rows = rows
        self.mark = 0

    def note(self, meaning: str) -> None:
        if self.rows is not None:
            bits = "".join(map(str, self.bits[self.mark : self.pos]))
            self.rows.append((self.mark, bits, meaning))
        self.mark = self.pos

    def take(self, width: int) -> int:
        value = 0
        for _ in range(width):
            value = (value << 1) | self.bits[self.pos]
            self.pos += 1
        return value

    def uvlc(self) -> int:
        zeros = 0
        while self.take(1) == 0:
            zeros += 1
        return ((1 << zeros) | self.take(zeros)) - 1

    def rice(self, k: int) -> int:
        q = 0
        while q < 16 and self.take(1) == 1:
            q += 1
        if q == 16:
            q += self.uvlc()
        return (q << k) | self.take(k)

    def end(self) -> None:
        left = self.bits[self.pos :]
        assert len(left) < 8 and not any(left), f"{len(left)} bits left: {left}"
        if left:
            self.pos = len(self.bits)
            self.note("padding to the byte")


class Out:
    """Writes bits, most significant first; `data` pads the last byte with zeros."""

    def __init__(self) -> None:
        self.bits: list[int] = []

    def put(self, value: int, width: int) -> None:
        assert 0 <= value < (1 << width) or width == value == 0, (value, width)
        self.bits.extend((value >> (width - 1 - i)) & 1 for i in range(width))

    def uvlc(self, value: int) -> None:
        n = value + 1
        self.bits.extend([0] * (n.bit_length() - 1))
        self.put(n, n.bit_length())

    def rice(self, value: int, k: int) -> None:
        q = value >> k
        if q < 16:
            self.bits.extend([1] * q + [0])
        else:
            self.bits.extend([1] * 16)
            self.uvlc(q - 16)
        self.put(value & ((1 << k) - 1), k)

    def data(self) -> bytes:
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(
            sum(bit << (7 - i) for i, bit in enumerate(bits[at : at + 8]))
            for at in range(0, len(bits), 8)
        )


def zigzag(n: int) -> int:
    return 2 * n if n >= 0 else -2 * n - 1


def unzigzag(z: int) -> int:
    return z >> 1 if z % 2 == 0 else -((z + 1) >> 1)


# -- field bit forms (section 5.4's table) ---------------------------------------------------

FIXED = 1 << 24


def _span(low: int, high: int) -> int | None:
    return (high - low).bit_length() if high - low < FIXED else None


def read_field(r: Bits, codec: c.Codec) -> Any:
    if isinstance(codec, c.Quantized):
        width = _span(codec.kmin, codec.kmax)
        return unzigzag(r.uvlc()) if width is None else codec.kmin + r.take(width)
    if isinstance(codec, c.SVarint):
        width = _span(codec.minimum, codec.maximum)
        return unzigzag(r.uvlc()) if width is None else codec.minimum + r.take(width)
    if isinstance(codec, c.UVarint):
        width = _span(0, codec.maximum)
        return r.uvlc() if width is None else r.take(width)
    if isinstance(codec, c.Str):
        size = r.take(codec.max_bytes.bit_length())
        return bytes(r.take(8) for _ in range(size)).decode()
    if isinstance(codec, c.Bool):
        return r.take(1) == 1
    if isinstance(codec, c.Enum8):
        return r.take(max(1, max(codec.enum_type).bit_length()))
    widths = {c.U8: 8, c.U16: 16, c.U32: 32, c.U64: 64}
    if type(codec) in widths:
        return r.take(widths[type(codec)])
    if isinstance(codec, c.ListOf):
        count = r.take(codec.max_count.bit_length())
        return tuple(read_field(r, codec.item) for _ in range(count))
    raise AssertionError(f"no bit form for {codec.describe()} in this reader")


def write_field(out: Out, codec: c.Codec, key: Any) -> None:
    if isinstance(codec, c.Quantized):
        width = _span(codec.kmin, codec.kmax)
        out.uvlc(zigzag(key)) if width is None else out.put(key - codec.kmin, width)
    elif isinstance(codec, c.SVarint):
        width = _span(codec.minimum, codec.maximum)
        out.uvlc(zigzag(key)) if width is None else out.put(key - codec.minimum, width)
    elif isinstance(codec, c.UVarint):
        width = _span(0, codec.maximum)
        out.uvlc(key) if width is None else out.put(key, width)
    elif isinstance(codec, c.Str):
        data = key.encode()
        out.put(len(data), codec.max_bytes.bit_length())
        for byte in data:
            out.put(byte, 8)
    elif isinstance(codec, c.Bool):
        out.put(int(key), 1)
    elif isinstance(codec, c.Enum8):
        out.put(int(key), max(1, max(codec.enum_type).bit_length()))
    else:
        raise AssertionError(f"no bit form for {codec.describe()} in this writer")


def numeric(codec: c.Codec) -> bool:
    """Changes travel as rice(zigzag(change)) (section 9.2)."""
    return isinstance(codec, c.Quantized | c.SVarint | c.UVarint)


# -- bodies ----------------------------------------------------------------------------------


@dataclass
class Body:
    """The records of one body, in wire order (updates per entity, by component id)."""

    spawns: list[tuple[int, int, list[int]]] = field(default_factory=list)  # net id, flags, ids
    updates: list[tuple[int, list[tuple[int, int]]]] = field(default_factory=list)  # (id, mask)
    removals: list[tuple[int, int]] = field(default_factory=list)  # net id, component id
    despawns: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)  # component ids with update blocks


@dataclass
class WireView:
    """What a receiver knows after each body: net id -> component id -> field keys."""

    registry: ReplicationRegistry
    keys: dict[int, dict[int, list[Any]]] = field(default_factory=dict)

    def read(
        self, body: bytes, *, full: bool = False, rows: list[tuple[int, str, str]] | None = None
    ) -> Body:
        if full:
            self.keys.clear()
        specs = [self.registry.by_id[i] for i in range(1, len(self.registry.by_id) + 1)]
        types = len(specs)
        r = Bits(body, rows)
        seen = Body()
        count = r.uvlc()
        r.note(f"uvlc: {count} spawn records")
        if count:
            k = r.take(5)
            r.note(f"k = {k}: the Rice parameter of the spawns' net id gaps")
            net_id = 0
            for _ in range(count):
                gap = r.rice(k)
                net_id += gap + 1
                r.note(f"rice(gap {gap}, k {k}): net id {net_id}")
                flags = r.take(1)
                r.note("spawn-only" if flags else "not spawn-only")
                present = [r.take(1) for _ in range(types)]
                names = [spec.name for spec, bit in zip(specs, present, strict=True) if bit]
                r.note(f"{types} presence bits, component 1 first: {', '.join(names)}")
                parts: dict[int, list[Any]] = {}
                for index, spec in enumerate(specs):
                    if present[index]:
                        keys = []
                        for name, codec in spec.fields:
                            keys.append(read_field(r, codec))
                            r.note(f"{spec.name}.{name} = {_show(codec, keys[-1])}")
                        parts[spec.type_id] = keys
                self.keys[net_id] = parts
                seen.spawns.append((net_id, flags, list(parts)))
        changed: dict[int, list[tuple[int, int]]] = {}
        for spec in specs:
            if not r.take(1):
                r.note(f"no update block of component {spec.type_id} {spec.name}")
                continue
            r.note(f"an update block of component {spec.type_id} {spec.name}")
            seen.blocks.append(spec.type_id)
            count = r.uvlc() + 1
            r.note(f"uvlc: {count - 1}, so {count} records")
            k_gap = r.take(5)
            r.note(f"k = {k_gap} for the net id gaps")
            ks: dict[int, int] = {}  # read before each numeric field's first change
            net_id, mask, run = 0, 0, 0
            for _ in range(count):
                gap = r.rice(k_gap)
                net_id += gap + 1
                r.note(f"rice(gap {gap}, k {k_gap}): net id {net_id}")
                if not run:
                    bits = [r.take(1) for _ in spec.fields]
                    mask = sum(bit << i for i, bit in enumerate(bits))
                    fields = [n for (n, _), b in zip(spec.fields, bits, strict=True) if b]
                    r.note(f"mask, field 0 first: {', '.join(fields) or 'none: added whole'}")
                    run = r.uvlc() + 1
                    r.note(f"uvlc: {run - 1}, so {run} records with this mask")
                run -= 1
                if mask == 0:
                    keys = []
                    for name, codec in spec.fields:
                        keys.append(read_field(r, codec))
                        r.note(f"{spec.name}.{name} = {_show(codec, keys[-1])}")
                    self.keys[net_id][spec.type_id] = keys
                else:
                    old = self.keys[net_id][spec.type_id]
                    for index, (name, codec) in enumerate(spec.fields):
                        if mask >> index & 1:
                            if numeric(codec):
                                if index not in ks:
                                    ks[index] = r.take(5)
                                    r.note(f"k = {ks[index]} for the changes of {name}")
                                z = r.rice(ks[index])
                                old[index] += unzigzag(z)
                                r.note(
                                    f"rice(zigzag {z}, k {ks[index]}): {name} changes by "
                                    f"{unzigzag(z)} to {_show(codec, old[index])}"
                                )
                            else:
                                old[index] = read_field(r, codec)
                                r.note(f"{name} = {_show(codec, old[index])}")
                changed.setdefault(net_id, []).append((spec.type_id, mask))
        seen.updates = sorted(changed.items())
        net_id = 0
        width = (types - 1).bit_length()
        count = r.uvlc()
        r.note(f"uvlc: {count} removal records")
        for _ in range(count):
            net_id += r.uvlc()
            r.note(f"uvlc: net id {net_id}")
            type_id = r.take(width) + 1
            r.note(f"bits({width}): component {type_id} removed")
            del self.keys[net_id][type_id]
            seen.removals.append((net_id, type_id))
        count = r.uvlc()
        r.note(f"uvlc: {count} despawns")
        if count:
            k = r.take(5)
            r.note(f"k = {k} for the despawns' net id gaps")
            net_id = 0
            for _ in range(count):
                gap = r.rice(k)
                net_id += gap + 1
                r.note(f"rice(gap {gap}, k {k}): net id {net_id} despawned")
                del self.keys[net_id]
                seen.despawns.append(net_id)
        r.end()
        return seen


def _show(codec: c.Codec, key: Any) -> str:
    """A key as the page's tables show it: with its value if quantized."""
    if isinstance(codec, c.Quantized):
        return f"key {key}: {codec.from_key(key):g}"
    if isinstance(codec, c.Enum8):
        return codec.enum_type(key).name
    return repr(key)


def write_body(
    registry: ReplicationRegistry,
    spawns=(),
    updates=(),
    removals=(),
    despawns=(),
    *,
    k: int = 2,
) -> bytes:
    """A body from records, every Rice parameter `k`: spawns (net id, flags, [(component id,
    [field keys])]), updates (net id, [(component id, mask, [keys, or with a mask the
    masked fields: numeric ones as changes])]), removals (net id, component id), despawns
    (net ids). Records go in the order given (so a test can write what no server would)."""
    specs = [registry.by_id[i] for i in range(1, len(registry.by_id) + 1)]
    types = len(specs)
    out = Out()
    out.uvlc(len(spawns))
    if spawns:
        out.put(k, 5)
        previous = 0
        for net_id, flags, parts in spawns:
            out.rice(net_id - previous - 1, k)
            previous = net_id
            out.put(flags, 1)
            ids = {type_id for type_id, _ in parts}
            for spec in specs:
                out.put(int(spec.type_id in ids), 1)
            for type_id, keys in parts:
                spec = registry.by_id[type_id]
                for (_, codec), key in zip(spec.fields, keys, strict=False):
                    write_field(out, codec, key)
    for spec in specs:
        records = [
            (net_id, mask, values)
            for net_id, changes in updates
            for type_id, mask, values in changes
            if type_id == spec.type_id
        ]
        out.put(int(bool(records)), 1)
        if not records:
            continue
        out.uvlc(len(records) - 1)
        out.put(k, 5)
        announced: set[int] = set()
        previous = 0
        for net_id, mask, values in records:
            out.rice(net_id - previous - 1, k)
            previous = net_id
            for index in range(len(spec.fields)):  # every record a run of its own
                out.put(mask >> index & 1, 1)
            out.uvlc(0)
            fields = list(enumerate(spec.fields))
            if mask:
                fields = [(i, f) for i, f in fields if mask >> i & 1]
            for (index, (_, codec)), value in zip(fields, values, strict=False):
                if mask and numeric(codec):
                    if index not in announced:
                        out.put(k, 5)
                        announced.add(index)
                    out.rice(zigzag(value), k)
                else:
                    write_field(out, codec, value)
    out.uvlc(len(removals))
    previous = 0
    width = (types - 1).bit_length()
    for net_id, type_id in removals:
        out.uvlc(net_id - previous)
        previous = net_id
        out.put(type_id - 1, width)
    out.uvlc(len(despawns))
    if despawns:
        out.put(k, 5)
        previous = 0
        for net_id in despawns:
            out.rice(net_id - previous - 1, k)
            previous = net_id
    return out.data()
