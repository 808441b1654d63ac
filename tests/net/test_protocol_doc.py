"""docs/PROTOCOL.md stays true: its tables match the registered messages and components, its
constants and enums match the code, and its hex examples decode to the values it states."""

from __future__ import annotations

import hashlib
import importlib
import re
from enum import IntEnum
from pathlib import Path

import pytest

from engine import Role, World
from engine.net import codec as c
from engine.net.framing import FrameDecoder, Reassembler
from engine.net.messages import (
    AUTO_TYPES,
    FRAGMENT_TYPE,
    PROTOCOL_VERSION,
    DisconnectReason,
    MessageRegistry,
    RejectReason,
    Rest,
    Route,
    UpdateClientState,
)
from engine.net.replication import Replicated, SnapshotDecoder
from game.net.protocol import GameEventKind, Outcome8, PlayerAction
from game.net.schema import shooter_schema
from game.rules.components import Side

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
SCHEMA = shooter_schema()
ROUTES = {
    "client → server": Route.TO_SERVER,
    "server → client": Route.TO_CLIENT,
    "both ways": Route.BOTH,
}
HASHED_ROUTES = {Route.TO_SERVER: "to-server", Route.TO_CLIENT: "to-client", Route.BOTH: "both"}
ENUMS: tuple[type[IntEnum], ...] = (
    RejectReason,
    DisconnectReason,
    PlayerAction,
    GameEventKind,
    Outcome8,
    Side,
)


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


# -- parsing ---------------------------------------------------------------------------------


def sections(text: str, pattern: str) -> list[tuple[re.Match[str], str]]:
    """(heading match, body up to the next heading) for every heading matching `pattern`."""
    found = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = re.fullmatch(pattern, line)
        if match is None:
            continue
        body = []
        for following in lines[index + 1 :]:
            if following.startswith("#"):
                break
            body.append(following)
        found.append((match, "\n".join(body)))
    return found


def table_rows(body: str) -> list[list[str]]:
    """The cells of every table row whose first cell is a number (header rows are skipped)."""
    rows = []
    for line in body.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if re.fullmatch(r"\d+", cells[0]):
            rows.append(cells)
    return rows


def code_span(cell: str) -> str:
    match = re.search(r"`([^`]*)`", cell)
    assert match, f"expected a `code` span in table cell {cell!r}"
    return match.group(1)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def notation(codec: c.Codec) -> str:
    """A codec in the notation of PROTOCOL.md section 2.4."""
    simple = {c.U8: "u8", c.U16: "u16", c.U32: "u32", c.U64: "u64", c.F32: "f32", c.Bool: "bool"}
    if type(codec) in simple:
        return simple[type(codec)]
    if isinstance(codec, Rest):
        return "rest"
    if isinstance(codec, c.UVarint):
        return f"uvarint ≤{codec.maximum}"
    if isinstance(codec, c.SVarint):
        return f"svarint {codec.minimum}..{codec.maximum}"
    if isinstance(codec, c.Quantized):
        return f"quantized ×{_number(codec.scale)} {_number(codec.low)}..{_number(codec.high)}"
    if isinstance(codec, c.Str):
        return f"string ≤{codec.max_bytes}"
    if isinstance(codec, c.Enum8):
        return f"enum8 {codec.enum_type.__name__}"
    if isinstance(codec, c.ListOf):
        return f"list ≤{codec.max_count} of {notation(codec.item)}"
    if isinstance(codec, c.TupleOf):
        return "(" + ", ".join(notation(item) for item in codec.items) + ")"
    raise AssertionError(f"PROTOCOL.md has no notation for {type(codec).__name__}")


def documented_messages(text: str) -> dict[int, tuple[str, Route, list[list[str]]]]:
    pattern = r"### 0x([0-9A-F]{2}) (\w+) \((client → server|server → client|both ways)\)"
    found: dict[int, tuple[str, Route, list[list[str]]]] = {}
    for match, body in sections(text, pattern):
        type_id = int(match.group(1), 16)
        assert type_id not in found, f"message type {match.group(1)} is documented twice"
        found[type_id] = (match.group(2), ROUTES[match.group(3)], table_rows(body))
    return found


# -- tables ----------------------------------------------------------------------------------


def test_every_registered_message_is_documented_with_its_type_route_and_fields(doc):
    documented = documented_messages(doc)
    specs = list(SCHEMA.messages)
    assert len(specs) >= 20
    for spec in specs:
        where = f"{spec.type_id:#04x} {spec.name}"
        assert spec.type_id in documented, f"PROTOCOL.md lacks {where}"
        name, route, rows = documented[spec.type_id]
        assert name == spec.name, f"{where} is headed {name}"
        assert route is spec.route, f"{where} is documented as {route}, registered {spec.route}"
        assert [row[0] for row in rows] == [str(i) for i in range(1, len(rows) + 1)], where
        assert [row[1] for row in rows] == [n for n, _ in spec.fields], f"fields of {where}"
        codecs = [code_span(row[2]) for row in rows]
        assert codecs == [notation(codec) for _, codec in spec.fields], where


def test_the_doc_lists_no_message_the_code_lacks(doc):
    for type_id, (name, _, _) in documented_messages(doc).items():
        spec = SCHEMA.messages.by_id.get(type_id)
        assert spec is not None and spec.name == name, f"{type_id:#04x} {name} is not real"


def test_the_type_byte_ranges_match_the_code(doc):
    block = doc[doc.index("### 4.1 Layout and type bytes") : doc.index("### 4.2 ")]
    owners: dict[str, set[int]] = {}
    for cells, owner in re.findall(r"^\| (`0x.*?) \| (.*?) \|$", block, re.MULTILINE):
        ids: set[int] = set()
        for low, high in re.findall(r"`(0x[0-9a-f]{2})`(?:–`(0x[0-9a-f]{2})`)?", cells):
            ids.update(range(int(low, 16), int(high or low, 16) + 1))
        owners[owner.split(" ")[0].split(",")[0]] = ids
    assert owners["reserved"] == {FRAGMENT_TYPE}
    assert owners["mods"] == set(AUTO_TYPES)
    engine = {spec.message_type for spec in MessageRegistry()}
    for spec in SCHEMA.messages:
        owner = "engine" if spec.message_type in engine else "game"
        assert spec.type_id in owners[owner], f"{spec.name} {spec.type_id:#04x} is not {owner}'s"
    assert len(set().union(*owners.values())) == sum(len(ids) for ids in owners.values())


def test_every_replicated_component_is_documented_with_its_id_and_fields(doc):
    registry = SCHEMA.components
    documented = {
        int(match.group(1)): (match.group(2), body)
        for match, body in sections(doc, r"### Component (\d+) (\w+)")
    }
    assert sorted(documented) == sorted(registry.by_id), "component ids in PROTOCOL.md"
    for type_id, spec in registry.by_id.items():
        name, body = documented[type_id]
        assert name == spec.name, f"component {type_id} is {spec.name}, not {name}"
        flags = re.search(r"^Flags: (.*)$", body, re.MULTILINE)
        assert flags, f"component {name} has no Flags line"
        flagged = {"interpolated": spec.interpolate, "initial-only": spec.initial_only}
        expected = [flag for flag, on in flagged.items() if on] or ["none"]
        assert [f.strip() for f in flags.group(1).split(",")] == expected, f"flags of {name}"
        rows = table_rows(body)
        assert [row[0] for row in rows] == [str(i) for i in range(len(rows))], f"bits of {name}"
        assert [row[1] for row in rows] == [n for n, _ in spec.fields], f"fields of {name}"
        codecs = [code_span(row[2]) for row in rows]
        assert codecs == [notation(codec) for _, codec in spec.fields], f"codecs of {name}"


def test_enum_tables_match_the_code(doc):
    documented = {m.group(1): body for m, body in sections(doc, r"### Enum (\w+)")}
    for enum in ENUMS:
        assert enum.__name__ in documented, f"PROTOCOL.md lacks enum {enum.__name__}"
        rows = {int(row[0]): row[1] for row in table_rows(documented[enum.__name__])}
        assert rows == {member.value: member.name for member in enum}, enum.__name__


def test_constants_table_matches_the_code(doc):
    rows = re.findall(r"^\| `((?:engine|game)\.[\w.]+)` \| ([^|]+) \|", doc, re.MULTILINE)
    assert len(rows) >= 20
    for path, value in rows:
        module, _, name = path.rpartition(".")
        actual = getattr(importlib.import_module(module), name)
        value = value.strip()
        stated = float(value) if "." in value else int(value, 0)
        assert actual == stated, f"{path} is {actual!r}, PROTOCOL.md says {value}"


def test_schema_lines_and_hash_are_current(doc):
    block = re.search(r"<!-- schema-lines -->\n```text\n(.*?)\n```", doc, re.DOTALL)
    assert block, "PROTOCOL.md lacks the schema-lines block"
    lines = [f"protocol {PROTOCOL_VERSION}", *SCHEMA.components.describe()]
    for type_id in sorted(SCHEMA.messages.by_id):  # as section 5.4 says the lines are made
        spec = SCHEMA.messages.by_id[type_id]
        fields = "".join(f" {n}:{codec.describe()}" for n, codec in spec.fields)
        lines.append(f"message {type_id:#04x} {HASHED_ROUTES[spec.route]} {spec.name}{fields}")
    assert lines == SCHEMA.describe()
    assert block.group(1).split("\n") == lines, "the hashed lines changed: update PROTOCOL.md"
    digest = hashlib.sha256(block.group(1).encode()).digest()
    assert int.from_bytes(digest[:8], "big") == SCHEMA.hash()
    stated = re.search(
        r"<!-- schema-hash -->\n.*?`0x([0-9A-F]{16})`\** \(decimal `(\d+)`\)", doc, re.DOTALL
    )
    assert stated, "PROTOCOL.md lacks the schema hash value"
    assert int(stated.group(1), 16) == int(stated.group(2)) == SCHEMA.hash()


# -- hex examples ----------------------------------------------------------------------------

EXAMPLE = re.compile(
    r"<!-- example (?P<name>\S+) (?P<direction>to-server|to-client) (?P<kind>message|snapshot)"
    r"(?: max_frame=(?P<max_frame>\d+))? -->\n```hex\n(?P<hex>.*?)```.*?```python\n(?P<py>.*?)```",
    re.DOTALL,
)


def examples(text: str) -> list[dict[str, str]]:
    return [match.groupdict() for match in EXAMPLE.finditer(text)]


def namespace() -> dict[str, object]:
    names: dict[str, object] = {e.__name__: e for e in ENUMS}
    names.update({spec.name: spec.message_type for spec in SCHEMA.messages})
    return names


def decode_frames(example: dict[str, str]) -> list:
    data = bytes.fromhex(example["hex"])
    max_frame = int(example["max_frame"] or 65536)
    decoder, reassembler = FrameDecoder(max_frame), Reassembler()
    messages = SCHEMA.messages
    table = messages.to_server if example["direction"] == "to-server" else messages.to_client
    payloads = decoder.feed(data)
    assert decoder.buffered == 0, f"example {example['name']} ends inside a frame"
    whole = [m for m in (reassembler.accept(p) for p in payloads) if m is not None]
    assert not reassembler.in_progress, f"example {example['name']} ends inside a message"
    return [table.decode(message) for message in whole]


def test_the_doc_has_message_and_snapshot_examples(doc):
    found = examples(doc)
    assert {e["kind"] for e in found} == {"message", "snapshot"}
    assert len(found) >= 2
    assert len(found) == doc.count("<!-- example "), "an example marker did not parse"


def test_message_examples_decode_to_the_stated_values(doc):
    stated_hash = re.search(r"<!-- schema-hash -->\n.*?`0x([0-9A-F]{16})`", doc, re.DOTALL)
    for example in examples(doc):
        if example["kind"] != "message":
            continue
        decoded = decode_frames(example)
        values = namespace()
        exec(example["py"], values)
        assert decoded == [values["message"]], f"example {example['name']}"
        if type(decoded[0]).__name__ == "Hello" and stated_hash:
            assert decoded[0].schema_hash == int(stated_hash.group(1), 16), "Hello example hash"


def test_snapshot_examples_apply_to_the_stated_state(doc):
    registry = SCHEMA.components
    decoder = SnapshotDecoder(registry)
    world = World(Role.CLIENT)
    snapshots = [e for e in examples(doc) if e["kind"] == "snapshot"]
    assert snapshots
    try:
        for example in snapshots:
            name = example["name"]
            (message,) = decode_frames(example)
            assert isinstance(message, UpdateClientState), name
            stated = namespace()
            exec(example["py"], stated)
            assert (message.tick, message.baseline) == (stated["tick"], stated["baseline"]), name
            if message.baseline == 0 and decoder.entities:
                decoder = SnapshotDecoder(registry)  # a full state's example is a joiner's
                world.close()
                world = World(Role.CLIENT)
            before = {entity: net_id for net_id, entity in decoder.entities.items()}
            result = decoder.apply(world, message.tick, message.baseline, message.body)
            world.flush()
            after = {entity: net_id for net_id, entity in decoder.entities.items()}
            assert [after[e] for e in result.spawned] == stated["spawned"], name
            assert [before[e] for e in result.despawned] == stated["despawned"], name
            state = {
                net_id: {
                    registry.by_id[type_id].name: {
                        field: codec.from_key(key)
                        for (field, codec), key in zip(
                            registry.by_id[type_id].fields, keys, strict=True
                        )
                    }
                    for type_id, keys in components.items()
                }
                for net_id, components in decoder.state.items()
            }
            assert state == stated["state"], name
            spawn_only = {
                net_id
                for net_id, entity in decoder.entities.items()
                if world.component(entity, Replicated).spawn_only
            }
            assert spawn_only == stated["spawn_only"], name
    finally:
        world.close()


def test_a_snapshot_example_has_one_spawn_one_update_and_one_despawn(doc):
    registry = SCHEMA.components
    decoder = SnapshotDecoder(registry)
    world = World(Role.CLIENT)
    counts = []
    try:
        for example in examples(doc):
            if example["kind"] != "snapshot":
                continue
            (message,) = decode_frames(example)
            result = decoder.apply(world, message.tick, message.baseline, message.body)
            world.flush()
            counts.append((len(result.spawned), result.updated, len(result.despawned)))
    finally:
        world.close()
    assert (1, 1, 1) in counts, f"(spawns, updates, despawns) of the examples: {counts}"
