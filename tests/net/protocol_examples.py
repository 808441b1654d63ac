"""Makes the worked examples of docs/PROTOCOL.md with the real encoders, and their bit tables
with the independent reader (tests/net/snapshot_wire.py):

    python -m tests.net.protocol_examples

prints each example's hex block and, for snapshots, the rows of its table (bit offset, bits,
meaning). The page's test decodes the hex it holds; rerun this after a change to the wire
and paste what changed."""

from __future__ import annotations

from engine import Role, World
from engine.components import Transform, Velocity
from engine.net.messages import MAGIC, PROTOCOL_VERSION, Hello, UpdateClientState
from engine.net.netcode.packets import Payload, write_packet
from engine.net.replication import Replicated, SnapshotEncoder
from engine.net.tickets import protocol_id
from game.net.protocol import GAME
from game.net.schema import shooter_schema
from game.rules.components import Aircraft, Health, Pickup, Projectile, Side, Weapon
from tests.net.snapshot_wire import WireView

SCHEMA = shooter_schema()
RESUME = 0x3F8A61C25D09E4B7


def hexdump(data: bytes, per_line: int = 32) -> str:
    return "\n".join(
        " ".join(f"{b:02x}" for b in data[at : at + per_line])
        for at in range(0, len(data), per_line)
    )


def messages() -> dict[str, bytes]:
    sends = SCHEMA.messages.to_server
    hello = Hello(MAGIC, PROTOCOL_VERSION, "alice", SCHEMA.hash(), (), 0)
    resume = Hello(MAGIC, PROTOCOL_VERSION, "alice", SCHEMA.hash(), (), RESUME)
    found = {"hello": sends.encode(hello), "hello-resume": sends.encode(resume)}
    # P1: packet 0, nothing received (ack 65535, no bits), one reliable entry with id 0
    entry = bytes([0x0D, 0x00, 0x00, len(found["hello"])]) + found["hello"]
    found["packet-hello"] = bytes.fromhex("7e 00 00 01 00 00 00 00") + entry
    found["netcode-hello"] = write_packet(
        Payload(found["packet-hello"]), 1, bytes(range(32)), protocol_id(GAME)
    )
    return found


def snapshots() -> list[tuple[str, bytes, list[tuple[int, str, str]]]]:
    """Examples C, D, E and I: one game, tick after tick, and a late joiner's full state."""
    registry = SCHEMA.components
    world = World(Role.SERVER)
    sends = SCHEMA.messages.to_client
    wire = WireView(registry)
    made: list[tuple[str, bytes, list[tuple[int, str, str]]]] = []

    def take(name: str, tick: int, baseline: int, body: bytes) -> None:
        rows: list[tuple[int, str, str]] = []
        WireView(registry).read(body, rows=rows) if baseline == 0 else wire.read(body, rows=rows)
        if baseline == 0 and tick == 1:
            wire.read(body, full=True)
        made.append((name, sends.encode(UpdateClientState(tick, baseline, body)), rows))

    try:
        encoder = SnapshotEncoder(registry)
        avenger = world.create(
            Replicated(),
            Transform(300.0, 4000.0, 180.0),
            Velocity(0.0, 50.0),
            Aircraft("avenger", Side.ENEMY),
            Health(40, 40),
        )
        pickup = world.create(Replicated(), Transform(500.0, 4100.0, 0.0), Pickup("health"))
        take("snapshot-1", 1, 0, encoder.encode_delta(world))
        bullet = world.create(
            Replicated(spawn_only=True),
            Transform(300.0, 4030.0, 180.0),
            Velocity(0.0, 300.0),
            Projectile("bullet_enemy", Side.ENEMY),
        )
        world.component(avenger, Transform).y = 4003.0
        world.despawn(pickup)
        take("snapshot-2", 2, 1, encoder.encode_delta(world))
        world.flush()
        world.component(avenger, Health).hitpoints = 30
        world.add_component(avenger, Weapon(fire_rate_level=1, spread_level=1, missiles=2))
        world.remove_component(avenger, Velocity)
        world.component(bullet, Transform).y = 4045.0
        take("snapshot-3", 3, 2, encoder.encode_delta(world))
        world.component(bullet, Transform).y = 4060.0
        encoder.encode_delta(world)
        take("snapshot-4-full", 4, 0, encoder.full_state(world))
    finally:
        world.close()
    return made


def main() -> None:
    print(f"protocol {PROTOCOL_VERSION}; schema hash 0x{SCHEMA.hash():016X} ({SCHEMA.hash()})")
    ident = protocol_id(GAME)
    print(f"protocol id 0x{ident:016X} ({ident}), wire {ident.to_bytes(8, 'little').hex(' ')}")
    for line in SCHEMA.describe():
        print(line)
    for name, data in messages().items():
        print(f"\n<!-- example {name} -->  ({len(data)} bytes)\n{hexdump(data)}")
    for name, data, rows in snapshots():
        print(f"\n<!-- example {name} -->  ({len(data)} bytes, body {len(data) - 9})")
        print(hexdump(data))
        print(table(data, rows))


def table(data: bytes, rows: list[tuple[int, str, str]]) -> str:
    """A snapshot example's table: the message header by bytes, then the body by bits."""
    tick, baseline = int.from_bytes(data[1:5], "big"), int.from_bytes(data[5:9], "big")
    what = "full state" if baseline == 0 else "a delta from it"
    lines = [
        "| at | bits | meaning |",
        "|---|---|---|",
        "| byte 0 | `84` | type 0x84 UpdateClientState |",
        f"| bytes 1–4 | `{data[1:5].hex(' ')}` | tick {tick} |",
        f"| bytes 5–8 | `{data[5:9].hex(' ')}` | baseline {baseline}: {what} |",
    ]
    for start, bits, meaning in rows:
        if "'" in meaning and len(bits) > 24:  # a string: its length, then its bytes in hex
            text = meaning.split("'")[1].encode()
            cut = len(bits) - 8 * len(text)
            shown = f"`{bits[:cut]}` then `{text.hex(' ')}`"
        else:
            shown = f"`{bits}`"
        lines.append(f"| bit {start} | {shown} | {meaning} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
