"""A reading of snapshot bodies straight from docs/PROTOCOL.md section 7.2, independent of the
engine's decoder: which records a body holds, in the order they travel, and the field keys
they bring an entity to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.net.codec import Reader
from engine.net.replication import ReplicationRegistry


@dataclass
class Body:
    """The records of one body, in wire order."""

    spawns: list[tuple[int, int, list[int]]] = field(default_factory=list)  # net id, flags, ids
    updates: list[tuple[int, list[tuple[int, int]]]] = field(default_factory=list)  # (id, mask)
    removals: list[tuple[int, int]] = field(default_factory=list)  # net id, component id
    despawns: list[int] = field(default_factory=list)


@dataclass
class WireView:
    """What a receiver knows after each body: net id -> component id -> field keys."""

    registry: ReplicationRegistry
    keys: dict[int, dict[int, list[Any]]] = field(default_factory=dict)

    def read(self, body: bytes, *, full: bool = False) -> Body:
        if full:
            self.keys.clear()
        r = Reader(body)
        seen = Body()
        for _ in range(r.uvarint()):
            net_id, flags = r.uvarint(), r.u8()
            parts: dict[int, list[Any]] = {}
            for _ in range(r.u8()):
                type_id = r.u8()
                parts[type_id] = [c.read_key(r) for _, c in self.registry.by_id[type_id].fields]
            self.keys[net_id] = parts
            seen.spawns.append((net_id, flags, list(parts)))
        for _ in range(r.uvarint()):
            net_id = r.uvarint()
            changed = []
            for _ in range(r.u8()):
                type_id, mask = r.u8(), r.uvarint()
                fields = self.registry.by_id[type_id].fields
                if mask == 0:
                    self.keys[net_id][type_id] = [c.read_key(r) for _, c in fields]
                else:
                    old = self.keys[net_id][type_id]
                    for index, (_, codec) in enumerate(fields):
                        if mask >> index & 1:
                            old[index] = codec.read_delta(r, old[index])
                changed.append((type_id, mask))
            seen.updates.append((net_id, changed))
        for _ in range(r.uvarint()):
            net_id, type_id = r.uvarint(), r.u8()
            del self.keys[net_id][type_id]
            seen.removals.append((net_id, type_id))
        for _ in range(r.uvarint()):
            net_id = r.uvarint()
            del self.keys[net_id]
            seen.despawns.append(net_id)
        r.expect_end("snapshot")
        return seen
