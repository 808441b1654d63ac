"""The bit-packed snapshot body (docs/PROTOCOL.md section 9.2): writing and parsing.

    spawns     uvlc count; [bits(5) k]; per record, by net id:
                 rice(net id gap, k), bits(1) spawn-only, one presence bit per component
                 type (ids 1..T), then each present component's fields in their bit forms
    updates    per component type 1..T: bits(1) present; if present, a block:
                 uvlc(count - 1), bits(5) k of the gaps, then per record, by net id:
                 rice(net id gap, k); at the first record of a run of records with
                 one field mask, the mask (one bit per field) and uvlc(run length - 1);
                 each masked
                 field as rice(zigzag(change), k) if numeric (that field's k in bits(5)
                 just before its first change in the block), else whole; mask 0: the
                 component added, every field whole
    removals   uvlc count; per record: uvlc(net id - previous), bits(W) component id - 1
    despawns   uvlc count; [bits(5) k]; per net id: rice(net id gap, k)

A net id gap is the net id minus the previous one of its list, minus 1 (the first: minus
0 and 1): lists ascend strictly, and ids close together cost few bits. Each Rice
parameter k is the writer's choice for that list (`bits.rice_parameter`), so a body of
slow movers codes their changes in 3 or 4 bits and one of fast movers in more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.net.bits import (
    DELTA_OFFSET,
    K_BITS,
    RICE_LIMIT,
    TABLE_VALUES,
    BitReader,
    BitWriter,
    delta_code,
    delta_table,
    rice_code,
    rice_parameter,
    rice_table,
    uvlc_code,
)
from engine.net.errors import ProtocolError

if TYPE_CHECKING:
    from engine.net.replication import ComponentSpec

Keys = tuple[Any, ...]
Spawn = tuple[int, bool, Mapping[int, Keys]]  # net id, spawn-only, type id -> keys (by id)
Update = tuple[int, Keys | None, Keys]  # net id, keys before (None: added), keys after

MAX_RECORDS = 1 << 20  # per section (spawns, each component's updates, removals, despawns)
MAX_NET_ID = 2**32 - 1


@cache
def mask_code(mask: int, width: int) -> str:
    """A field mask or a component set: one bit per field (or type), the first first."""
    return "".join("1" if mask >> index & 1 else "0" for index in range(width))


# -- writing ---------------------------------------------------------------------------------


def write_body(
    specs: Sequence[ComponentSpec],
    spawns: Iterable[Spawn],
    updates: Mapping[int, Sequence[Update]],
    removals: Sequence[tuple[int, int]],
    despawns: Sequence[int],
) -> bytes:
    """A body from its records: spawns and despawns by net id, removals by (net id, type
    id), `updates` by type id, each list by net id. `specs` are the registry's component
    specs by type id (specs[0] is type 1)."""
    out = BitWriter()
    parts = out.parts
    spawns = list(spawns)
    parts.append(uvlc_code(len(spawns)))
    if spawns:
        write_spawns(out, specs, spawns)
    for spec in specs:
        records = updates.get(spec.type_id)
        if records:
            parts.append("1")
            write_block(parts, spec, records)
        else:
            parts.append("0")
    write_removals(out, len(specs), removals)
    write_despawns(out, despawns)
    return out.getvalue()


def write_spawns(out: BitWriter, specs: Sequence[ComponentSpec], spawns: Sequence[Spawn]) -> None:
    parts = out.parts
    gaps = _gaps([net_id for net_id, _, _ in spawns])
    k = rice_parameter(gaps)
    out.bits(k, K_BITS)
    table = rice_table(k)
    count = len(specs)
    for gap, (_, spawn_only, components) in zip(gaps, spawns, strict=True):
        parts.append(table[gap] if gap < TABLE_VALUES else rice_code(gap, k))
        parts.append("1" if spawn_only else "0")
        present = 0
        for type_id in components:
            present |= 1 << (type_id - 1)
        parts.append(mask_code(present, count))
        for type_id in sorted(components):
            write_keys(out, specs[type_id - 1], components[type_id])


def write_keys(out: BitWriter, spec: ComponentSpec, keys: Keys) -> None:
    for (_, codec), key in zip(spec.fields, keys, strict=True):
        codec.write_bits(out, key)


SAMPLE = 16  # records whose gaps and changes choose a block's Rice parameters


def write_block(parts: list[str], spec: ComponentSpec, records: Sequence[Update]) -> None:
    """One component type's update records (by net id): the header, then the records."""
    k_gap, ks = block_parameters(spec, records)
    parts.append(uvlc_code(len(records) - 1))
    parts.append(format(k_gap, "05b"))
    block_emitter(spec)(parts, records, k_gap, ks)


def block_parameters(spec: ComponentSpec, records: Sequence[Update]) -> tuple[int, list[int]]:
    """Rice parameters for a block's gaps and each numeric field's changes, chosen from its
    first SAMPLE records (a choice costs bits, never correctness)."""
    sample = records[:SAMPLE]
    gaps = []
    previous = 0
    for net_id, _, _ in sample:
        gaps.append(net_id - previous - 1)
        previous = net_id
    changes = [(old, new) for _, old, new in sample if old is not None]
    ks = []
    for index in spec.numeric:
        zigzags = [
            (d << 1) if d >= 0 else ~(d << 1)
            for d in [new[index] - old[index] for old, new in changes]
            if d
        ]
        ks.append(rice_parameter(zigzags))
    return rice_parameter(gaps), ks


def analyse(
    spec: ComponentSpec, records: Sequence[Update]
) -> tuple[list[int], list[int], list[list[int]]]:
    """Per record its net id gap and field mask; per numeric field the changes, in order."""
    numeric = spec.numeric
    deltas: list[list[int]] = [[] for _ in numeric]
    by_field = dict(zip(numeric, deltas, strict=True))
    count = len(spec.fields)
    gaps: list[int] = []
    masks: list[int] = []
    previous = 0
    for net_id, old, new in records:
        gaps.append(net_id - previous - 1)
        previous = net_id
        if old is None:
            masks.append(0)
            continue
        mask = 0
        for index in range(count):
            a, b = old[index], new[index]
            if a != b:
                mask |= 1 << index
                found = by_field.get(index)
                if found is not None:
                    found.append(b - a)
        masks.append(mask)
    return gaps, masks, deltas


def emit_block(
    parts: list[str], spec: ComponentSpec, records: Sequence[Update], k_gap: int, ks: list[int]
) -> None:
    """The records of a block after its header: the reference writer, field by field.
    `block_emitter` compiles the same thing per component type, which is what runs."""
    fields = spec.fields
    count = len(fields)
    slots = {index: slot for slot, index in enumerate(spec.numeric)}
    announced: set[int] = set()  # numeric fields whose k has been written
    previous_id, previous_mask = 0, -1
    run_at, run = 0, 0  # where the current run's mask goes, and its length so far
    for net_id, old, new in records:
        parts.append(rice_code(net_id - previous_id - 1, k_gap))
        previous_id = net_id
        mask = 0
        if old is not None:
            for index in range(count):
                if old[index] != new[index]:
                    mask |= 1 << index
        if mask == previous_mask:
            run += 1
        else:
            if previous_mask >= 0:  # the run that ends: its mask and uvlc(length - 1)
                parts[run_at] = mask_code(previous_mask, count) + uvlc_code(run - 1)
            run_at, run = len(parts), 1
            parts.append("")
            previous_mask = mask
        for index in range(count):
            if mask and not mask >> index & 1:
                continue
            slot = slots.get(index)
            if mask and slot is not None:
                if slot not in announced:  # k just before the field's first change
                    parts.append(format(ks[slot], "05b"))
                    announced.add(slot)
                parts.append(delta_code(new[index] - old[index], ks[slot]))
            else:
                _whole(parts, fields[index][1], new[index])
    parts[run_at] = mask_code(previous_mask, count) + uvlc_code(run - 1)


Emitter = Callable[[list[str], Sequence[Update], int, list[int]], None]


@cache
def block_emitter(spec: ComponentSpec) -> Emitter:
    """`emit_block` compiled for one component type: its fields unrolled, small gaps and
    changes coded by table lookups (the encoder's hot loop: one pass, no calls per field)."""
    count = len(spec.fields)
    slots = {index: slot for slot, index in enumerate(spec.numeric)}
    olds = ", ".join(f"o{i}" for i in range(count)) + ("," if count == 1 else "")
    news = ", ".join(f"n{i}" for i in range(count)) + ("," if count == 1 else "")
    mask_expr = " | ".join(
        f"(o{i} != n{i})" if not i else f"((o{i} != n{i}) << {i})" for i in range(count)
    )
    lines = [
        "def emit(parts, records, k_gap, ks):",
        "    append = parts.append",
        "    gaps = rice_table(k_gap)",
    ]
    for slot in range(len(slots)):
        lines.append(f"    t{slot} = delta_table(ks[{slot}]); k{slot} = ks[{slot}]")
        lines.append(f"    first{slot} = format(k{slot}, '05b')")
    lines += [
        "    previous = 0",
        "    last = -1",
        "    run_at = run = 0",
        "    for net_id, old, new in records:",
        "        gap = net_id - previous - 1",
        "        previous = net_id",
        f"        append(gaps[gap] if gap < {TABLE_VALUES} else rice_code(gap, k_gap))",
        "        if old is None:",
        "            if last == 0:",
        "                run += 1",
        "            else:",
        "                if last > 0:",
        "                    parts[run_at] = codes[last] + uvlc_code(run - 1)",
        "                run_at, run, last = len(parts), 1, 0",
        "                append('')",
        "            whole(parts, new)",
        "            continue",
        f"        {olds} = old",
        f"        {news} = new",
        f"        mask = {mask_expr}",
        "        if mask == last:",
        "            run += 1",
        "        else:",
        "            if last >= 0:",
        "                parts[run_at] = codes[last] + uvlc_code(run - 1)",
        "            run_at, run, last = len(parts), 1, mask",
        "            append('')",
    ]
    for index in range(count):
        lines.append(f"        if mask & {1 << index}:")
        slot = slots.get(index)
        if slot is None:
            lines.append(f"            write{index}(parts, n{index})")
        else:
            lines += [
                f"            if first{slot}:",
                f"                append(first{slot})",
                f"                first{slot} = ''",
                f"            d = n{index} - o{index} + {DELTA_OFFSET}",
                f"            append(t{slot}[d] if 0 <= d < {TABLE_VALUES} "
                f"else delta_code(d - {DELTA_OFFSET}, k{slot}))",
            ]
    lines.append("    parts[run_at] = codes[last] + uvlc_code(run - 1)")
    namespace: dict[str, Any] = {
        "uvlc_code": uvlc_code,
        "rice_table": rice_table,
        "delta_table": delta_table,
        "rice_code": rice_code,
        "delta_code": delta_code,
        "codes": [mask_code(mask, count) for mask in range(1 << count)] if count <= 8 else None,
        "whole": lambda parts, keys: [
            _whole(parts, c, k) for (_, c), k in zip(spec.fields, keys, strict=True)
        ],
    }
    for index, (_, codec) in enumerate(spec.fields):
        namespace[f"write{index}"] = lambda parts, key, codec=codec: _whole(parts, codec, key)
    if count > 8:  # masks too wide for a table: the reference writer
        return lambda parts, records, k_gap, ks: emit_block(parts, spec, records, k_gap, ks)
    exec("\n".join(lines), namespace)  # noqa: S102
    return namespace["emit"]


def _whole(parts: list[str], codec: Any, key: Any) -> None:
    out = BitWriter()
    out.parts = parts
    codec.write_bits(out, key)


def write_removals(out: BitWriter, types: int, removals: Sequence[tuple[int, int]]) -> None:
    out.uvlc(len(removals))
    width = (types - 1).bit_length()
    previous = 0
    for net_id, type_id in removals:
        out.uvlc(net_id - previous)
        out.bits(type_id - 1, width)
        previous = net_id


def write_despawns(out: BitWriter, despawns: Sequence[int]) -> None:
    out.uvlc(len(despawns))
    if not despawns:
        return
    gaps = _gaps(despawns)
    k = rice_parameter(gaps)
    out.bits(k, K_BITS)
    for gap in gaps:
        out.rice(gap, k)


def _gaps(net_ids: Sequence[int]) -> list[int]:
    gaps = []
    previous = 0
    for net_id in net_ids:
        gaps.append(net_id - previous - 1)
        previous = net_id
    return gaps


# -- parsing ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ParsedBody:
    """A body's records as they travel. An update is (net id, mask, values): with mask 0 the
    whole component's keys; else per masked field, ascending, its change (numeric fields)
    or its new key."""

    spawns: list[tuple[int, bool, dict[int, Keys]]] = field(default_factory=list)
    updates: list[tuple[int, list[tuple[int, int, list[Any]]]]] = field(default_factory=list)
    removals: list[tuple[int, int]] = field(default_factory=list)
    despawns: list[int] = field(default_factory=list)


def parse_body(specs: Sequence[ComponentSpec], body: bytes) -> ParsedBody:
    """Every record of `body`, checked for form (counts, ids, widths, padding), not against
    any state: that is the decoder's part. Anything malformed raises ProtocolError."""
    r = BitReader(body)
    parsed = ParsedBody()
    types = len(specs)
    count = _count(r, "spawn")
    if count:
        k = r.bits(K_BITS)
        net_id = 0
        for _ in range(count):
            net_id = _next_id(r, net_id, k)
            spawn_only = r.bit() == 1
            present = r.bits(types) if types else 0
            components: dict[int, Keys] = {}
            for index in range(types):
                if present >> (types - 1 - index) & 1:
                    spec = specs[index]
                    components[spec.type_id] = tuple(
                        [codec.read_bits(r) for _, codec in spec.fields]
                    )
            parsed.spawns.append((net_id, spawn_only, components))
    for spec in specs:
        if r.bit():
            parsed.updates.append((spec.type_id, read_block(r, spec)))
    count = _count(r, "removal")
    width = (types - 1).bit_length()
    net_id = 0
    for _ in range(count):
        net_id += r.uvlc()
        if net_id > MAX_NET_ID:
            raise ProtocolError(f"net id {net_id} exceeds {MAX_NET_ID}")
        type_id = r.bits(width) + 1
        if type_id > types:
            raise ProtocolError(f"unknown component type {type_id}")
        parsed.removals.append((net_id, type_id))
    count = _count(r, "despawn")
    if count:
        k = r.bits(K_BITS)
        net_id = 0
        for _ in range(count):
            net_id = _next_id(r, net_id, k)
            parsed.despawns.append(net_id)
    r.expect_end("snapshot")
    return parsed


def read_block(r: BitReader, spec: ComponentSpec) -> list[tuple[int, int, list[Any]]]:
    """One update block's records: (net id, mask, values), values as in ParsedBody. The
    Rice codes of gaps and changes are read inline (the decoder's hot loop)."""
    count = r.uvlc() + 1
    if count > MAX_RECORDS:
        raise ProtocolError(f"{spec.name} update count {count} exceeds the limit of {MAX_RECORDS}")
    k_gap = r.bits(K_BITS)
    fields = spec.fields
    width = len(fields)
    numeric = spec.numeric
    ks: dict[int, int] = {}  # a numeric field's k comes before its first change
    text, end, find = r.text, r.end, r.text.find
    records: list[tuple[int, int, list[Any]]] = []
    append = records.append
    net_id = mask = run = 0
    plan: list[tuple[int, bool]] = []
    pos = r.pos
    for left in range(count, 0, -1):
        zero = find("0", pos, pos + RICE_LIMIT)  # the gap: rice(k_gap)
        if zero < 0:
            r.pos = pos
            gap = r.rice(k_gap)
            pos = r.pos
        else:
            stop = zero + 1 + k_gap
            if stop > end:
                raise ProtocolError("truncated body in a rice code")
            gap = ((zero - pos) << k_gap | int(text[zero + 1 : stop], 2)) if k_gap else zero - pos
            pos = stop
        net_id += gap + 1
        if net_id > MAX_NET_ID:
            raise ProtocolError(f"net id {net_id} exceeds {MAX_NET_ID}")
        if not run:  # a run of records with one mask begins: the mask and uvlc(length - 1)
            r.pos = pos
            mask = _field_mask(r, width)
            run = r.uvlc() + 1
            pos = r.pos
            if run > left:
                raise ProtocolError(f"a run of {run} {spec.name} masks, {left} records left")
            plan = [(i, i in numeric) for i in range(width) if mask >> i & 1]
        run -= 1
        if not mask:
            r.pos = pos
            append((net_id, 0, [codec.read_bits(r) for _, codec in fields]))
            pos = r.pos
            continue
        values = []
        for index, is_numeric in plan:
            if not is_numeric:
                r.pos = pos
                values.append(fields[index][1].read_bits(r))
                pos = r.pos
                continue
            k = ks.get(index)
            if k is None:
                r.pos = pos
                k = ks[index] = r.bits(K_BITS)
                pos = r.pos
            zero = find("0", pos, pos + RICE_LIMIT)
            if zero < 0:
                r.pos = pos
                z = r.rice(k)
                pos = r.pos
            else:
                stop = zero + 1 + k
                if stop > end:
                    raise ProtocolError("truncated body in a rice code")
                z = ((zero - pos) << k | int(text[zero + 1 : stop], 2)) if k else zero - pos
                pos = stop
            values.append(z >> 1 if not z & 1 else -((z + 1) >> 1))
        append((net_id, mask, values))
    r.pos = pos
    return records


def _field_mask(r: BitReader, width: int) -> int:
    raw = r.bits(width)  # field 0 is the first bit read: the most significant of `raw`
    mask = 0
    for index in range(width):
        if raw >> (width - 1 - index) & 1:
            mask |= 1 << index
    return mask


def _count(r: BitReader, what: str) -> int:
    count = r.uvlc()
    if count > MAX_RECORDS:
        raise ProtocolError(f"{what} count {count} exceeds the limit of {MAX_RECORDS}")
    return count


def _next_id(r: BitReader, previous: int, k: int) -> int:
    net_id = previous + r.rice(k) + 1
    if net_id > MAX_NET_ID:
        raise ProtocolError(f"net id {net_id} exceeds {MAX_NET_ID}")
    return net_id
