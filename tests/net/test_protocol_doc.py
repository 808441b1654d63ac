"""docs/PROTOCOL.md stays true: its tables match the registered messages (and their channels)
and components, its constants and enums match the code, its protocol id, ticket user data and
schema lines are the code's, and its hex examples (messages, snapshot bodies, reliability
packets, a netcode packet) decode with the real readers to the values it states."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import re
from enum import IntEnum
from pathlib import Path

import pytest

from engine import Role, World
from engine.net import codec as c
from engine.net.messages import (
    AUTO_TYPES,
    PROTOCOL_VERSION,
    DisconnectReason,
    MessageRegistry,
    RejectReason,
    Rest,
    Route,
    UpdateClientState,
)
from engine.net.netcode import ClientState, PacketType, read_packet
from engine.net.netcode.packets import Payload, peek_sequence
from engine.net.reliable.config import ChannelConfig
from engine.net.reliable.header import read_packet_header
from engine.net.reliable.payload import RELIABLE, UNRELIABLE, decode_payload
from engine.net.replication import Replicated, SnapshotDecoder
from engine.net.tickets import protocol_id, user_data
from game.net.protocol import GAME, GameEventKind, Outcome8, PlayerAction
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
    PacketType,
    ClientState,
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
        if re.fullmatch(r"-?\d+", cells[0]):
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


def documented_messages(text: str) -> dict[int, tuple[str, Route, list[list[str]], str]]:
    """type byte -> (name, route, field rows, channel) of every message heading."""
    pattern = r"### 0x([0-9A-F]{2}) (\w+) \((client → server|server → client|both ways)\)"
    found: dict[int, tuple[str, Route, list[list[str]], str]] = {}
    for match, body in sections(text, pattern):
        type_id = int(match.group(1), 16)
        assert type_id not in found, f"message type {match.group(1)} is documented twice"
        channel = re.search(r"^Channel: (reliable-ordered|unreliable)\b", body, re.MULTILINE)
        assert channel, f"message {match.group(2)} has no Channel line"
        found[type_id] = (match.group(2), ROUTES[match.group(3)], table_rows(body), channel[1])
    return found


# -- tables ----------------------------------------------------------------------------------


def test_every_registered_message_is_documented_with_its_type_route_and_fields(doc):
    documented = documented_messages(doc)
    specs = list(SCHEMA.messages)
    assert len(specs) >= 20
    for spec in specs:
        where = f"{spec.type_id:#04x} {spec.name}"
        assert spec.type_id in documented, f"PROTOCOL.md lacks {where}"
        name, route, rows, channel = documented[spec.type_id]
        assert name == spec.name, f"{where} is headed {name}"
        assert route is spec.route, f"{where} is documented as {route}, registered {spec.route}"
        expected = "reliable-ordered" if spec.reliable else "unreliable"
        assert channel == expected, f"{where} travels {expected}, the page says {channel}"
        assert [row[0] for row in rows] == [str(i) for i in range(1, len(rows) + 1)], where
        assert [row[1] for row in rows] == [n for n, _ in spec.fields], f"fields of {where}"
        codecs = [code_span(row[2]) for row in rows]
        assert codecs == [notation(codec) for _, codec in spec.fields], where


def test_the_doc_lists_no_message_the_code_lacks(doc):
    for type_id, (name, *_) in documented_messages(doc).items():
        spec = SCHEMA.messages.by_id.get(type_id)
        assert spec is not None and spec.name == name, f"{type_id:#04x} {name} is not real"


def test_the_type_byte_ranges_match_the_code(doc):
    start = re.search(r"^### \d+\.\d+ Layout and type bytes$", doc, re.MULTILINE)
    assert start, "PROTOCOL.md lacks the type byte table"
    block = doc[start.end() : doc.index("\n### ", start.end())]
    owners: dict[str, set[int]] = {}
    for cells, owner in re.findall(r"^\| (`0x.*?) \| (.*?) \|$", block, re.MULTILINE):
        ids: set[int] = set()
        for low, high in re.findall(r"`(0x[0-9a-f]{2})`(?:–`(0x[0-9a-f]{2})`)?", cells):
            ids.update(range(int(low, 16), int(high or low, 16) + 1))
        owners[owner.split(" ")[0].split(",")[0]] = ids
    assert set(owners) == {"engine", "game", "mods"}
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


def resolve(path: str) -> object:
    """The value a dotted path names: a module's attribute, or through a class with defaults
    (a dataclass such as `EndpointConfig`), the default of its field."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if dataclasses.is_dataclass(value) and isinstance(value, type):
                value = value()
            value = getattr(value, name)
        return value
    raise AssertionError(f"{path} names no module")


def test_constants_table_matches_the_code(doc):
    rows = re.findall(r"^\| `((?:engine|game)\.[\w.]+)` \| ([^|]+) \|", doc, re.MULTILINE)
    assert len(rows) >= 60
    for path, value in rows:
        actual = resolve(path)
        value = value.strip()
        stated = float(value) if "." in value else int(value, 0)
        assert actual == stated, f"{path} is {actual!r}, PROTOCOL.md says {value}"


def test_the_protocol_id_and_the_ticket_user_data_are_the_codes(doc):
    stated = re.search(
        r"<!-- protocol-id -->\n.*?`0x([0-9A-F]{16})`\** \(decimal `(\d+)`\), written on the\s+"
        r"wire as `([0-9a-f ]+)`",
        doc,
        re.DOTALL,
    )
    assert stated, "PROTOCOL.md lacks the protocol id"
    value = protocol_id(GAME)
    assert int(stated[1], 16) == int(stated[2]) == value
    assert bytes.fromhex(stated[3]) == value.to_bytes(8, "little")
    assert f'`"{GAME}/{PROTOCOL_VERSION}"`' in doc
    alice = re.search(r"<!-- user-data (\S+) -->\n.*?starts `([0-9a-f ]+)`", doc, re.DOTALL)
    assert alice, "PROTOCOL.md lacks the user data example"
    assert bytes.fromhex(alice[2]) == user_data(alice[1])


def schema_block(doc: str) -> list[str]:
    """The hashed lines as the page shows them, each stripped of trailing whitespace (which an
    editor may add or remove; the page says the lines have none)."""
    block = re.search(r"<!-- schema-lines -->\n```text\n(.*?)\n```", doc, re.DOTALL)
    assert block, "PROTOCOL.md lacks the schema-lines block"
    return [line.rstrip() for line in block.group(1).splitlines()]


def test_schema_lines_and_hash_are_current(doc):
    lines = [f"protocol {PROTOCOL_VERSION}", *SCHEMA.components.describe()]
    for type_id in sorted(SCHEMA.messages.by_id):  # as section 7.4 says the lines are made
        spec = SCHEMA.messages.by_id[type_id]
        route = HASHED_ROUTES[spec.route] + ("" if spec.reliable else " unreliable")
        fields = "".join(f" {n}:{codec.describe()}" for n, codec in spec.fields)
        lines.append(f"message {type_id:#04x} {route} {spec.name}{fields}")
    assert lines == SCHEMA.describe()
    for line in lines:  # the line format the page states
        assert line == line.strip() and "  " not in line and "\t" not in line, line
    assert schema_block(doc) == lines, "the hashed lines changed: update PROTOCOL.md"
    digest = hashlib.sha256("\n".join(schema_block(doc)).encode()).digest()
    assert int.from_bytes(digest[:8], "big") == SCHEMA.hash()
    stated = re.search(
        r"<!-- schema-hash -->\n.*?`0x([0-9A-F]{16})`\** \(decimal `(\d+)`\)", doc, re.DOTALL
    )
    assert stated, "PROTOCOL.md lacks the schema hash value"
    assert int(stated.group(1), 16) == int(stated.group(2)) == SCHEMA.hash()


def test_trailing_spaces_in_the_schema_block_change_nothing(doc):
    spaced = doc.replace("\nprotocol 4\n", "\nprotocol 4  \n").replace(" Side\n", " Side \t\n")
    assert spaced != doc
    assert schema_block(spaced) == schema_block(doc) == SCHEMA.describe()


# -- hex examples ----------------------------------------------------------------------------

EXAMPLE = re.compile(
    r"<!-- example (?P<name>\S+) (?P<direction>to-server|to-client) "
    r"(?P<kind>message|snapshot|packet|netcode) -->\n"
    r"```hex\n(?P<hex>.*?)```.*?```python\n(?P<py>.*?)```",
    re.DOTALL,
)
MAX_MESSAGE = ChannelConfig().max_message_size


def examples(text: str) -> list[dict[str, str]]:
    return [match.groupdict() for match in EXAMPLE.finditer(text)]


def namespace() -> dict[str, object]:
    names: dict[str, object] = {e.__name__: e for e in ENUMS}
    names.update({spec.name: spec.message_type for spec in SCHEMA.messages})
    return names


def table_for(example: dict[str, str]):  # noqa: ANN201
    messages = SCHEMA.messages
    return messages.to_server if example["direction"] == "to-server" else messages.to_client


def decode_message(example: dict[str, str]) -> object:
    return table_for(example).decode(bytes.fromhex(example["hex"]))


def test_the_doc_has_examples_of_every_kind(doc):
    found = examples(doc)
    assert {e["kind"] for e in found} == {"message", "snapshot", "packet", "netcode"}
    assert len(found) == doc.count("<!-- example "), "an example marker did not parse"
    assert len({e["name"] for e in found}) == len(found), "two examples share a name"


def test_message_examples_decode_to_the_stated_values(doc):
    stated_hash = re.search(r"<!-- schema-hash -->\n.*?`0x([0-9A-F]{16})`", doc, re.DOTALL)
    for example in examples(doc):
        if example["kind"] != "message":
            continue
        decoded = decode_message(example)
        values = namespace()
        exec(example["py"], values)
        assert decoded == values["message"], f"example {example['name']}"
        assert table_for(example).encode(decoded) == bytes.fromhex(example["hex"])
        if type(decoded).__name__ == "Hello" and stated_hash:
            assert decoded.schema_hash == int(stated_hash.group(1), 16), "Hello example hash"


def test_packet_examples_parse_with_the_real_reader(doc):
    """Reliability-layer packets: the header's fields, then each entry's channel, message id and
    message (every entry here is a whole message: FIRST and LAST)."""
    packets = [e for e in examples(doc) if e["kind"] == "packet"]
    assert packets
    kinds = {"reliable": RELIABLE, "unreliable": UNRELIABLE}
    for example in packets:
        name = example["name"]
        data = bytes.fromhex(example["hex"])
        header = read_packet_header(data)
        stated = namespace()
        exec(example["py"], stated)
        got = {f: getattr(header, f) for f in ("sequence", "ack", "ack_bits", "ack_is_newest")}
        assert got == stated["header"], name
        entries = decode_payload(data[header.size :], MAX_MESSAGE)
        assert len(entries) == len(stated["entries"]), name
        for entry, (kind, message_id, message) in zip(entries, stated["entries"], strict=True):
            assert entry.kind == kinds[kind], name
            assert entry.first and entry.last, name
            if kind == "reliable":
                assert entry.message_id == message_id, name
            assert table_for(example).decode(entry.data) == message, name


def test_netcode_examples_decrypt_to_the_packet_they_name(doc):
    found = {e["name"]: e for e in examples(doc)}
    netcode = [e for e in found.values() if e["kind"] == "netcode"]
    assert netcode
    for example in netcode:
        stated = namespace()
        exec(example["py"], stated)
        data = bytes.fromhex(example["hex"])
        assert peek_sequence(data) == stated["sequence"]
        assert data[0] & 0x0F == stated["packet_type"]
        packet = read_packet(
            data,
            protocol_id=protocol_id(GAME),
            key_for=lambda _type, key=stated["key"]: key,
            replay=None,
            allowed={PacketType.PAYLOAD},
        )
        assert isinstance(packet, Payload), example["name"]
        assert packet.data == bytes.fromhex(found[stated["payload"]]["hex"]), example["name"]


def test_snapshot_examples_apply_to_the_stated_state(doc):
    registry = SCHEMA.components
    decoder = SnapshotDecoder(registry)
    world = World(Role.CLIENT)
    snapshots = [e for e in examples(doc) if e["kind"] == "snapshot"]
    assert snapshots
    try:
        for example in snapshots:
            name = example["name"]
            message = decode_message(example)
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
            message = decode_message(example)
            result = decoder.apply(world, message.tick, message.baseline, message.body)
            world.flush()
            counts.append((len(result.spawned), result.updated, len(result.despawned)))
    finally:
        world.close()
    assert (1, 1, 1) in counts, f"(spawns, updates, despawns) of the examples: {counts}"
