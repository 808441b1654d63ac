"""Replication: registered component types, diffed on the server, applied on clients.

A component type is registered with a codec per replicated field. Entities that
carry a `Replicated` component are sent: the server's encoder compares every
replicated component, field by field as the wire sees it (after quantization),
with the previous tick, and writes one snapshot body that every caught-up peer
shares:

    spawns    net id, flags, then each component in full
    updates   net id, then per changed component a field mask and field deltas
    removals  net id and component id of components taken off a live entity
    despawns  net ids

A `spawn_only` entity (a bullet flying straight) is sent once, in its spawn
record; clients simulate it and only its despawn follows. A joining peer gets
`full_state(world)` first: every live entity as a spawn, baseline 0.

TCP delivers every snapshot in order, so each delta's baseline is simply the
previous tick; the decoder refuses a snapshot whose baseline is not the tick
it last applied.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import Any

from engine.net.codec import Codec, Reader, Writer
from engine.net.errors import ProtocolError
from engine.world import World

MAX_COMPONENT_TYPES = 255
MAX_FIELDS = 32
MAX_ENTITIES_PER_SNAPSHOT = 1 << 20
MAX_NET_ID = 2**32 - 1
FLAG_SPAWN_ONLY = 0x01
COMPONENT_ADDED = 0  # a field mask of 0 means "the whole component follows"


@dataclass(slots=True)
class Replicated:
    """Marks an entity for replication. The server assigns `net_id` (never reused)."""

    net_id: int = 0
    spawn_only: bool = False


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    component_type: type
    type_id: int
    name: str
    fields: tuple[tuple[str, Codec], ...]
    interpolate: bool  # clients smooth this component between snapshots
    initial_only: bool  # sent in spawn records only, never diffed (e.g. a launch velocity)
    raw: Callable[[Any], tuple[Any, ...]] = field(init=False, repr=False, compare=False)
    blends: tuple[float | None, ...] = field(init=False, repr=False, compare=False)
    quantize: Callable[[tuple[Any, ...]], tuple[Any, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # The encoder's hot path, built once: a C-level getter for the raw field values,
        # and one compiled function turning them into wire keys (quantized, clamped).
        names = [name for name, _ in self.fields]
        getter = operator.attrgetter(*names)
        raw = getter if len(names) > 1 else (lambda component: (getter(component),))
        namespace: dict[str, Any] = {}
        parts = []
        for index, (_, codec) in enumerate(self.fields):
            expr = codec.key_expr(f"v[{index}]")
            if expr is None:
                namespace[f"k{index}"] = codec.key
                expr = f"k{index}(v[{index}])"
            parts.append(expr)
        quantize = eval(f"lambda v: ({', '.join(parts)},)", namespace)  # noqa: S307
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "blends", tuple(codec.blend for _, codec in self.fields))
        object.__setattr__(self, "quantize", quantize)

    def keys(self, component: Any) -> tuple[Any, ...]:
        return self.quantize(self.raw(component))

    def build(self, keys: tuple[Any, ...] | list[Any]) -> Any:
        pairs = zip(self.fields, keys, strict=True)
        return self.component_type(**{name: codec.from_key(k) for (name, codec), k in pairs})

    def assign(self, component: Any, index: int, key: Any) -> None:
        name, codec = self.fields[index]
        setattr(component, name, codec.from_key(key))


class ReplicationRegistry:
    """Replicated component types with their field codecs; ids by registration order. Part
    of a game's NetSchema, so a mod's components change only the games that load it."""

    def __init__(self) -> None:
        self.by_type: dict[type, ComponentSpec] = {}
        self.by_id: dict[int, ComponentSpec] = {}

    def register(
        self,
        component_type: type,
        fields: dict[str, Codec],
        *,
        name: str | None = None,
        interpolate: bool = False,
        initial_only: bool = False,
    ) -> ComponentSpec:
        """Replicate `component_type`'s listed fields with their codecs.

        `interpolate`: clients draw it between snapshots instead of snapping.
        `initial_only`: only spawn records carry it (clients simulate it onwards).
        """
        if component_type in self.by_type:
            raise ValueError(f"{component_type.__name__} is already replicated")
        if len(self.by_id) >= MAX_COMPONENT_TYPES:
            raise ValueError(f"at most {MAX_COMPONENT_TYPES} replicated component types")
        if not dataclasses.is_dataclass(component_type):
            raise TypeError(f"{component_type.__name__} must be a dataclass")
        if not 0 < len(fields) <= MAX_FIELDS:
            raise ValueError(f"{component_type.__name__}: 1..{MAX_FIELDS} replicated fields")
        declared = {f.name: f for f in dataclasses.fields(component_type)}
        for field_name in fields:
            if field_name not in declared:
                raise ValueError(f"{component_type.__name__} has no field {field_name!r}")
        for other in declared.values():
            needs_default = other.init and other.name not in fields
            if (
                needs_default
                and other.default is dataclasses.MISSING
                and (other.default_factory is dataclasses.MISSING)
            ):
                raise ValueError(
                    f"{component_type.__name__}.{other.name} is not replicated, "
                    "so it needs a default for clients to build the component"
                )
        spec = ComponentSpec(
            component_type=component_type,
            type_id=len(self.by_id) + 1,
            name=name or component_type.__name__,
            fields=tuple(fields.items()),
            interpolate=interpolate,
            initial_only=initial_only,
        )
        self.by_type[component_type] = spec
        self.by_id[spec.type_id] = spec
        return spec

    def describe(self) -> list[str]:
        """One line per component type, by id (hashed for the handshake)."""
        return [
            f"{spec.type_id} {spec.name}"
            + "".join(f" {n}:{c.describe()}" for n, c in spec.fields)
            + (" interpolated" if spec.interpolate else "")
            + (" initial-only" if spec.initial_only else "")
            for spec in self.by_id.values()
        ]


# -- server side ------------------------------------------------------------------------------


class NetIds:
    """Hands out net ids, never reused in a server's life, so a late packet about a gone
    entity can never touch a new one. Spawn code may take one early (to tell a client
    "this aircraft is yours" before the snapshot that spawns it)."""

    def __init__(self) -> None:
        self.next_id = 1

    def allocate(self) -> int:
        net_id = self.next_id
        self.next_id += 1
        return net_id


@dataclass(slots=True, eq=False)
class _Record:
    """What peers know of one entity; kept and updated in place from tick to tick."""

    net_id: int
    entity: int
    spawn_only: bool
    components: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # type id -> keys
    changes: list[tuple[int, tuple[Any, ...] | None, tuple[Any, ...]]] | None = None


@dataclass(slots=True)
class EncodeStats:
    spawns: int = 0
    updates: int = 0
    despawns: int = 0


_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


class SnapshotEncoder:
    """Diffs a server world's replicated components tick to tick.

    Hot path, once a tick, where C does the comparing: per component type, the
    raw field values of every entity are gathered into {entity: values} with
    `attrgetter` over esper's cached query, and compared with last tick's by a
    set difference of dict items. Python code runs only for what changed; each
    entity's record of what peers know is kept and updated in place.
    """

    def __init__(self, registry: ReplicationRegistry, ids: NetIds | None = None) -> None:
        self.registry = registry
        self.ids = ids or NetIds()
        self.records: dict[int, _Record] = {}  # net id -> record
        self._by_entity: dict[int, _Record] = {}
        # type id -> (entities, their raw field values) as last gathered, in query order
        self._raw: dict[int, tuple[list[int], list[tuple[Any, ...]]]] = {}
        self.last_stats = EncodeStats()

    def encode_delta(self, world: World) -> bytes:
        """The body of this tick's UpdateClientState for peers that have the previous one."""
        by_entity = self._by_entity
        doomed = world.pending_despawns
        replicated = {e: r for e, r in world.query_one(Replicated) if e not in doomed}
        spawned: list[_Record] = []
        for entity in replicated.keys() - by_entity.keys():
            marker = replicated[entity]
            if marker.net_id == 0:
                marker.net_id = self.ids.allocate()
            record = _Record(marker.net_id, entity, marker.spawn_only)
            by_entity[entity] = record
            self.records[record.net_id] = record
            spawned.append(record)
        gone_entities = by_entity.keys() - replicated.keys()
        dirty: list[_Record] = []
        removed: list[tuple[_Record, int]] = []
        for spec in self.registry.by_id.values():
            pairs = world.query_one(spec.component_type)
            entities = list(map(_first, pairs))
            values = list(map(spec.raw, map(_second, pairs)))
            type_id = spec.type_id
            last_entities, last_values = self._raw.get(type_id, ([], []))
            self._raw[type_id] = (entities, values)
            frozen, quantize = spec.initial_only, spec.quantize
            gone_here: Iterable[int] = ()
            if entities == last_entities:
                # The same entities in the same order (no spawn or despawn touched this type):
                # compare position by position, in C, without hashing anything.
                changed: Iterable[tuple[int, tuple[Any, ...]]] = [
                    (entities[i], values[i])
                    for i in compress(range(len(values)), map(operator.ne, values, last_values))
                ]
            else:
                now = dict(zip(entities, values, strict=True))
                last = dict(zip(last_entities, last_values, strict=True))
                gone_here = last.keys() - now.keys()  # the component went away
                try:
                    changed = now.items() - last.items()  # new or changed values, in C
                except TypeError:  # a field holds something unhashable (a list): one by one
                    changed = [(e, r) for e, r in now.items() if last.get(e) != r]
            for entity, raw in changed:
                record = by_entity.get(entity)
                if record is None or entity in gone_entities:
                    continue
                old = record.components.get(type_id)
                if old is not None and (frozen or record.spawn_only):
                    continue  # sent once; clients simulate it from there
                keys = quantize(raw)
                if old == keys:
                    continue  # moved less than the codec can tell
                record.components[type_id] = keys
                if record.changes is None:
                    record.changes = []
                    dirty.append(record)
                record.changes.append((type_id, old, keys))
            for entity in gone_here:
                record = by_entity.get(entity)
                alive = record is not None and entity not in gone_entities
                if alive and record.components.pop(type_id, None) is not None:
                    removed.append((record, type_id))
        spawns, updates, removals = Writer(), Writer(), Writer()
        n_update = 0
        spawned.sort(key=_net_id)
        by_type = self.registry.by_type
        for record in spawned:
            record.changes = None
            # Components unchanged since last tick (an entity made Replicated after they were
            # added) were not gathered above: a spawn carries every replicated component.
            for component in world.components_of(record.entity):
                spec = by_type.get(type(component))
                if spec is not None and spec.type_id not in record.components:
                    record.components[spec.type_id] = spec.keys(component)
            record.components = dict(sorted(record.components.items()))
            self._write_spawn(spawns, record.net_id, record.spawn_only, record.components)
        for record in sorted(dirty, key=_net_id):
            changes, record.changes = record.changes, None
            if not changes:
                continue  # a spawn: written whole above
            updates.uvarint(record.net_id)
            updates.u8(len(changes))
            for type_id, old, keys in sorted(changes, key=_first):
                updates.u8(type_id)
                spec = self.registry.by_id[type_id]
                if old is None:
                    updates.uvarint(COMPONENT_ADDED)
                    _write_keys(updates, spec, keys)
                    continue
                mask = 0
                for index, (a, b) in enumerate(zip(old, keys, strict=True)):
                    if a != b:
                        mask |= 1 << index
                updates.uvarint(mask)
                for index, (_, codec) in enumerate(spec.fields):
                    if mask >> index & 1:
                        codec.write_delta(updates, old[index], keys[index])
            n_update += 1
        removed.sort(key=lambda item: (item[0].net_id, item[1]))
        for record, type_id in removed:
            removals.uvarint(record.net_id)
            removals.u8(type_id)
        gone = sorted(by_entity[entity].net_id for entity in gone_entities)
        for net_id in gone:
            del by_entity[self.records.pop(net_id).entity]
        body = Writer()
        body.uvarint(len(spawned))
        body.raw(spawns.buf)
        body.uvarint(n_update)
        body.raw(updates.buf)
        body.uvarint(len(removed))
        body.raw(removals.buf)
        body.uvarint(len(gone))
        for net_id in gone:
            body.uvarint(net_id)
        self.last_stats = EncodeStats(len(spawned), n_update, len(gone))
        return body.getvalue()

    def full_state(self, world: World) -> bytes:
        """Every entity as of the last encode_delta, as spawns (baseline 0), for a joiner.

        Spawn-only entities are written as they are now, not as they were spawned: the
        joiner starts simulating them from this tick.
        """
        body = Writer()
        body.uvarint(len(self.records))
        by_type = self.registry.by_type
        for net_id in sorted(self.records):
            sent = self.records[net_id]
            components = sent.components
            if sent.spawn_only and world.is_alive(sent.entity):
                components = {}
                for component in world.components_of(sent.entity):
                    spec = by_type.get(type(component))
                    if spec is not None:
                        components[spec.type_id] = spec.keys(component)
                components = dict(sorted(components.items()))
            self._write_spawn(body, net_id, sent.spawn_only, components)
        body.uvarint(0)
        body.uvarint(0)
        body.uvarint(0)
        return body.getvalue()

    def _write_spawn(
        self, w: Writer, net_id: int, spawn_only: bool, components: dict[int, tuple[Any, ...]]
    ) -> None:
        w.uvarint(net_id)
        w.u8(FLAG_SPAWN_ONLY if spawn_only else 0)
        w.u8(len(components))
        for type_id, keys in components.items():
            w.u8(type_id)
            _write_keys(w, self.registry.by_id[type_id], keys)

    def entity_for(self, net_id: int) -> int | None:
        record = self.records.get(net_id)
        return record.entity if record else None


def _net_id(record: _Record) -> int:
    return record.net_id


def _write_keys(w: Writer, spec: ComponentSpec, keys: tuple[Any, ...]) -> None:
    for (_, codec), key in zip(spec.fields, keys, strict=True):
        codec.write_key(w, key)


def _read_keys(r: Reader, spec: ComponentSpec) -> list[Any]:
    return [codec.read_key(r) for _, codec in spec.fields]


# -- client side ------------------------------------------------------------------------------


@dataclass(slots=True)
class Interpolated:
    """Recent snapshots of an entity's interpolated components, kept on a client to draw
    them smoothly between ticks: type id -> [(tick, field keys), ...], oldest first."""

    tracks: dict[int, list[tuple[int, tuple[Any, ...]]]] = field(default_factory=dict)
    written: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # last keys applied

    def push(self, type_id: int, tick: int, keys: tuple[Any, ...]) -> None:
        track = self.tracks.setdefault(type_id, [])
        track.append((tick, keys))
        if len(track) > MAX_SAMPLES:
            del track[0]


@dataclass(slots=True)
class Predicted:
    """Marks an entity this client simulates itself (its own aircraft): snapshots do not
    overwrite its interpolated components; the server corrects it explicitly instead."""


@dataclass(slots=True)
class ApplyResult:
    spawned: list[int] = field(default_factory=list)  # entities
    despawned: list[int] = field(default_factory=list)  # entities
    updated: int = 0


SpawnHook = Callable[[World, int, int], None]  # (world, entity, net_id)

MAX_SAMPLES = 32


class SnapshotDecoder:
    """Applies snapshot bodies to a client world: net id to entity, spawns, fields, despawns.

    With `smooth` (a client that draws), interpolated components are buffered for
    the InterpolationSystem; without it (a bot, a test probe) they are written at
    once like any other, except on Predicted entities, which the client moves itself.
    """

    def __init__(self, registry: ReplicationRegistry, *, smooth: bool = True) -> None:
        self.registry = registry
        self.smooth = smooth
        self.entities: dict[int, int] = {}  # net id -> local entity
        self.baseline: dict[int, dict[int, list[Any]]] = {}  # net id -> type id -> keys
        self.parts: dict[int, dict[int, Any]] = {}  # net id -> type id -> component
        self.buffers: dict[int, Interpolated] = {}  # net id -> its interpolation samples
        self.last_tick = -1
        self.on_spawn: list[SpawnHook] = []

    def apply(self, world: World, tick: int, baseline: int, body: bytes) -> ApplyResult:
        if baseline == 0:
            self._reset(world)
        elif baseline != self.last_tick:
            raise ProtocolError(f"snapshot {tick} is based on {baseline}, have {self.last_tick}")
        if tick <= self.last_tick:
            raise ProtocolError(f"snapshot tick {tick} does not follow {self.last_tick}")
        result = ApplyResult()
        reader = Reader(body)
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "spawn count")):
            self._spawn(world, reader, tick, result)
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "update count")):
            self._update(world, reader, tick)
            result.updated += 1
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "removal count")):
            net_id, type_id = self._net_id(reader), reader.u8()
            entity = self._entity(net_id)
            spec = self._spec(type_id)
            if type_id not in self.baseline[net_id]:
                raise ProtocolError(f"entity {net_id} has no component {type_id} to remove")
            del self.baseline[net_id][type_id]
            self.parts[net_id].pop(type_id, None)
            world.remove_component(entity, spec.component_type)
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "despawn count")):
            net_id = self._net_id(reader)
            entity = self._entity(net_id)
            del self.entities[net_id]
            del self.baseline[net_id]
            self.parts.pop(net_id, None)
            self.buffers.pop(net_id, None)
            world.despawn(entity)
            result.despawned.append(entity)
        reader.expect_end("snapshot")
        self.last_tick = tick
        return result

    def _reset(self, world: World) -> None:
        for entity in self.entities.values():
            world.despawn(entity)
        self.entities.clear()
        self.baseline.clear()
        self.parts.clear()
        self.buffers.clear()

    def _net_id(self, reader: Reader) -> int:
        net_id = reader.uvarint()
        if net_id > MAX_NET_ID:
            raise ProtocolError(f"net id {net_id} exceeds {MAX_NET_ID}")
        return net_id

    def _entity(self, net_id: int) -> int:
        entity = self.entities.get(net_id)
        if entity is None:
            raise ProtocolError(f"unknown entity {net_id}")
        return entity

    def _spec(self, type_id: int) -> ComponentSpec:
        spec = self.registry.by_id.get(type_id)
        if spec is None:
            raise ProtocolError(f"unknown component type {type_id}")
        return spec

    def _spawn(self, world: World, reader: Reader, tick: int, result: ApplyResult) -> None:
        net_id = self._net_id(reader)
        if net_id == 0 or net_id in self.entities:
            raise ProtocolError(f"spawn of entity {net_id} which exists or is invalid")
        flags = reader.u8()
        if flags & ~FLAG_SPAWN_ONLY:
            raise ProtocolError(f"unknown spawn flags {flags:#x}")
        count = reader.u8()
        baseline: dict[int, list[Any]] = {}
        parts: list[Any] = [Replicated(net_id, bool(flags & FLAG_SPAWN_ONLY))]
        interpolated: Interpolated | None = None
        for _ in range(count):
            type_id = reader.u8()
            spec = self._spec(type_id)
            if type_id in baseline:
                raise ProtocolError(f"component {type_id} twice in spawn of {net_id}")
            keys = _read_keys(reader, spec)
            baseline[type_id] = keys
            if spec.initial_only and not flags & FLAG_SPAWN_ONLY:
                continue  # clients simulate initial-only values of spawn-only entities only
            parts.append(spec.build(keys))
            if spec.interpolate and self.smooth and not flags & FLAG_SPAWN_ONLY:
                interpolated = interpolated or Interpolated()
                interpolated.push(type_id, tick, tuple(keys))
        if interpolated is not None:
            parts.append(interpolated)
        entity = world.create(*parts)
        self.entities[net_id] = entity
        self.baseline[net_id] = baseline
        # The components this decoder made, by type id: updates write them directly.
        self.parts[net_id] = {
            self.registry.by_type[type(part)].type_id: part
            for part in parts
            if type(part) in self.registry.by_type
        }
        if interpolated is not None:
            self.buffers[net_id] = interpolated
        result.spawned.append(entity)
        for hook in self.on_spawn:
            hook(world, entity, net_id)

    def _track_added(
        self, world: World, entity: int, net_id: int, type_id: int, tick: int, keys: list[Any]
    ) -> None:
        """An interpolated component added to a live entity: its samples start here (the
        entity's first, or a fresh track if it had the component before)."""
        buffer = self.buffers.get(net_id)
        if buffer is None:
            if world.component(entity, Replicated).spawn_only:
                return  # simulated by the client, like its spawned components
            buffer = self.buffers[net_id] = Interpolated()
            world.add_component(entity, buffer)
        buffer.tracks.pop(type_id, None)
        buffer.push(type_id, tick, tuple(keys))

    def _update(self, world: World, reader: Reader, tick: int) -> None:
        net_id = self._net_id(reader)
        entity = self._entity(net_id)
        baseline = self.baseline[net_id]
        parts = self.parts[net_id]
        by_id = self.registry.by_id
        for _ in range(reader.u8()):
            type_id = reader.u8()
            spec = by_id.get(type_id) or self._spec(type_id)
            mask = reader.uvarint()
            if mask == COMPONENT_ADDED:
                keys = _read_keys(reader, spec)
                baseline[type_id] = keys
                part = spec.build(keys)
                parts[type_id] = part
                world.add_component(entity, part)
                if spec.interpolate and self.smooth:
                    self._track_added(world, entity, net_id, type_id, tick, keys)
                continue
            fields = spec.fields
            if mask >> len(fields):
                raise ProtocolError(f"field mask {mask:#x} too wide for {spec.name}")
            old = baseline.get(type_id)
            if old is None:
                raise ProtocolError(f"entity {net_id} has no component {spec.name} to update")
            if spec.interpolate and self.smooth:
                # Buffered for the InterpolationSystem (which leaves Predicted entities alone).
                for index in range(len(fields)):
                    if mask >> index & 1:
                        old[index] = fields[index][1].read_delta(reader, old[index])
                buffer = self.buffers.get(net_id)
                if buffer is not None:
                    buffer.push(type_id, tick, tuple(old))
                continue
            component = parts[type_id]
            if spec.interpolate and world.has_component(entity, Predicted):
                component = None  # the client moves it; only the baseline follows the server
            for index, (name, codec) in enumerate(fields):
                if mask >> index & 1:
                    old[index] = key = codec.read_delta(reader, old[index])
                    if component is not None:
                        setattr(component, name, codec.from_key(key))
