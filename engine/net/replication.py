"""Replication: registered component types, diffed on the server, applied on clients.

A component type is registered with a codec per replicated field. Entities that
carry a `Replicated` component are sent. Once a network tick the server's encoder
captures the world (`SnapshotEncoder.capture`): it compares every replicated
component, field by field as the wire sees it (after quantization), with the
previous tick, and keeps that tick's change set in a ring of the last `HISTORY`
(32) ticks. A snapshot body brings a client from a **baseline** tick to the
current one:

    spawns    net id, flags, then each component in full
    updates   net id, then per changed component a field mask and field deltas
    removals  net id and component id of components taken off a live entity
    despawns  net ids

Snapshots may be lost, duplicated or reordered (unreliable transports), so as in
Quake 3 each peer's snapshot is a delta from the last tick that peer acknowledged
(`SnapshotEncoder.encode(baseline)`): entities spawned since the baseline come
whole, those alive then and now with the fields that differ from the baseline,
those gone since as despawns; an entity that came and went in between never
appears. Baseline 0, or a tick that fell out of the ring, gets the full state:
every live entity as a spawn. Peers on the same baseline share one body.

A `spawn_only` entity (a bullet flying straight) is sent in a spawn record only,
with its values at the snapshot's tick; clients simulate it and only its despawn
follows (and components added or removed). `initial_only` components travel in
spawn records and additions only.

The client's decoder keeps the states of the last `HISTORY` ticks it decoded
(copy on write) and decodes a snapshot against whichever baseline it names: a
baseline it does not hold (lost, or dropped from its history) is reported, not
raised, and the server falls back to an older acknowledged tick or a full state.
The world shows the newest snapshot decoded; an older one that arrives late only
joins the baselines, and a duplicate is ignored.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
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

    def __contains__(self, component_type: object) -> bool:
        """Is this component type registered (replicated)?"""
        return component_type in self.by_type

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


Keys = tuple[Any, ...]
Change = tuple[int, Keys | None, Keys]  # type id, keys before (None: added), keys after


@dataclass(slots=True, eq=False)
class _Record:
    """What peers know of one entity as of the newest captured tick; updated in place."""

    net_id: int
    entity: int
    spawn_only: bool
    spawned_at: int = 0  # the tick whose snapshot first carried it
    components: dict[int, Keys] = field(default_factory=dict)  # type id -> keys
    changes: list[Change] | None = None


@dataclass(slots=True, eq=False)
class _TickChanges:
    """What one captured tick changed against the tick before it: the ring keeps these, not
    whole states, so its memory follows what changed. Lists are in wire order."""

    tick: int
    spawned: list[_Record]  # by net id
    updated: list[tuple[_Record, list[Change]]]  # by net id, changes by type id
    removed: list[tuple[_Record, int, Keys]]  # by net id and type id, with the keys removed
    despawned: list[_Record]  # by net id


@dataclass(slots=True)
class EncodeStats:
    spawns: int = 0
    updates: int = 0
    despawns: int = 0


_first = operator.itemgetter(0)
_second = operator.itemgetter(1)

HISTORY = 32  # ticks of state the encoder can delta from (and a decoder keeps), as in Quake 3


class SnapshotEncoder:
    """Diffs a server world's replicated components tick to tick, and encodes the delta from
    any recent tick a peer acknowledged.

    `capture(world, tick)`, once a tick, is the hot path, where C does the comparing: per
    component type, the raw field values of every entity are gathered into {entity: values}
    with `attrgetter` over esper's cached query, and compared with last tick's by a set
    difference of dict items. Python code runs only for what changed; each entity's record
    of what peers know is updated in place, and the tick's change set goes into a ring of
    the last `history` ticks.

    `encode(baseline)` writes the body bringing a client from `baseline` (a tick in the
    ring) to the captured tick, or a full state: from the previous tick straight from the
    tick's change set, from an older one by folding the change sets since it (a field's
    value at the baseline is the "before" of its first change after it). Bodies are cached
    per baseline until the next capture: peers on the same baseline share one.
    """

    def __init__(
        self, registry: ReplicationRegistry, ids: NetIds | None = None, *, history: int = HISTORY
    ) -> None:
        if history < 1:
            raise ValueError("history must hold at least the current tick")
        self.registry = registry
        self.ids = ids or NetIds()
        self.history = history
        self.records: dict[int, _Record] = {}  # net id -> record
        self._by_entity: dict[int, _Record] = {}
        # type id -> (entities, their raw field values) as last gathered, in query order
        self._raw: dict[int, tuple[list[int], list[tuple[Any, ...]]]] = {}
        self._ring: deque[_TickChanges] = deque(maxlen=history)
        self._held: set[int] = set()  # the ticks in the ring
        self._bodies: dict[int, bytes] = {}  # baseline -> body, for the captured tick
        self._world: World | None = None
        self.tick = 0  # the last captured tick (0: none yet)
        self.encodings = 0  # bodies written (not served from the cache), over the encoder's life
        self.last_stats = EncodeStats()

    # -- capturing -------------------------------------------------------------------------

    def capture(self, world: World, tick: int) -> None:
        """Diff `world` against the last capture and make `tick` the current tick."""
        if tick <= self.tick:
            raise ValueError(f"tick {tick} does not follow the captured tick {self.tick}")
        by_entity = self._by_entity
        doomed = world.pending_despawns
        replicated = {e: r for e, r in world.query_one(Replicated) if e not in doomed}
        spawned: list[_Record] = []
        for entity in replicated.keys() - by_entity.keys():
            marker = replicated[entity]
            if marker.net_id == 0:
                marker.net_id = self.ids.allocate()
            record = _Record(marker.net_id, entity, marker.spawn_only, tick)
            by_entity[entity] = record
            self.records[record.net_id] = record
            spawned.append(record)
        gone_entities = by_entity.keys() - replicated.keys()
        dirty: list[_Record] = []
        removed: list[tuple[_Record, int, Keys]] = []
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
                if record is not None and entity not in gone_entities:
                    old = record.components.pop(type_id, None)
                    if old is not None:
                        removed.append((record, type_id, old))
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
        updated: list[tuple[_Record, list[Change]]] = []
        for record in sorted(dirty, key=_net_id):
            changes, record.changes = record.changes, None
            if changes:  # else a spawn: carried whole
                changes.sort(key=_first)
                updated.append((record, changes))
        removed.sort(key=_record_and_type)
        despawned = sorted((by_entity[entity] for entity in gone_entities), key=_net_id)
        for record in despawned:
            del by_entity[self.records.pop(record.net_id).entity]
        if len(self._ring) == self._ring.maxlen:
            self._held.discard(self._ring[0].tick)
        self._ring.append(_TickChanges(tick, spawned, updated, removed, despawned))
        self._held.add(tick)
        self._bodies.clear()
        self._world = world
        self.tick = tick
        self.last_stats = EncodeStats(len(spawned), len(updated), len(despawned))

    # -- encoding --------------------------------------------------------------------------

    def net_id_of(self, entity: int) -> int:
        """The net id peers know `entity` by, as of the last capture (0: it was in no snapshot
        yet). Still answers for an entity despawned since that capture: cues name what just
        went, before the snapshot that carries its despawn."""
        record = self._by_entity.get(entity)
        return 0 if record is None else record.net_id

    def has_baseline(self, tick: int) -> bool:
        """Whether `encode(tick)` writes a delta (else it writes a full state)."""
        return tick in self._held

    def encode(self, baseline: int) -> tuple[int, bytes]:
        """(baseline used, body) bringing a client that holds `baseline` to the captured
        tick: a delta if the ring still holds `baseline`, else (0, the full state)."""
        if baseline not in self._held:
            baseline = 0
        body = self._bodies.get(baseline)
        if body is None:
            if baseline == 0:
                assert self._world is not None, "capture a tick before encoding it"
                body = self.full_state(self._world)
            elif baseline == self.tick:
                body = bytes(4)  # nothing to bring
            elif len(self._ring) > 1 and baseline == self._ring[-2].tick:
                now = self._ring[-1]  # the common case: straight from this tick's changes
                body = self._write(
                    [(record, record.components) for record in now.spawned],
                    [(record.net_id, changes) for record, changes in now.updated],
                    [(record.net_id, type_id) for record, type_id, _ in now.removed],
                    [record.net_id for record in now.despawned],
                )
            else:
                body = self._fold(baseline)
            self._bodies[baseline] = body
            self.encodings += 1
        return baseline, body

    def encode_delta(self, world: World) -> bytes:
        """Capture the next tick and return the delta from the previous one (a full state
        for the first): what a peer that follows every tick in order needs."""
        previous = self.tick
        self.capture(world, previous + 1)
        return self.encode(previous)[1]

    def _fold(self, baseline: int) -> bytes:
        """The delta from `baseline` (in the ring, older than the previous tick): the change
        sets since it folded into one. An entity spawned since then comes whole if still
        alive (despawned too, it never appears); one alive then and now gets, per component,
        its keys then (the "before" of its first change since) against its keys now."""
        live = self.records
        first: dict[_Record, dict[int, Keys | None]] = {}
        spawned: list[_Record] = []
        despawns: list[int] = []
        for changes in self._ring:
            if changes.tick <= baseline:
                continue
            spawned.extend(changes.spawned)
            for record, record_changes in changes.updated:
                before = first.get(record)
                if before is None:
                    before = first[record] = {}
                for type_id, old, _ in record_changes:
                    before.setdefault(type_id, old)
            for record, type_id, old in changes.removed:
                before = first.get(record)
                if before is None:
                    before = first[record] = {}
                before.setdefault(type_id, old)
            despawns.extend(r.net_id for r in changes.despawned if r.spawned_at <= baseline)
        spawns = []
        world = self._world
        for record in sorted(spawned, key=_net_id):
            if live.get(record.net_id) is not record:
                continue  # spawned and despawned since the baseline
            components = record.components
            if record.spawn_only and record.spawned_at < self.tick and world is not None:
                components = self._current(world, record)  # its values hold at this tick
            spawns.append((record, components))
        updates: list[tuple[int, list[Change]]] = []
        removals: list[tuple[int, int]] = []
        for record, before in sorted(first.items(), key=_record_net_id):
            if record.spawned_at > baseline or live.get(record.net_id) is not record:
                continue  # a spawn or a despawn says it all
            now = record.components
            record_changes: list[Change] = []
            for type_id in sorted(before):
                old, keys = before[type_id], now.get(type_id)
                if old == keys:
                    continue  # changed, and changed back
                if keys is None:
                    removals.append((record.net_id, type_id))
                else:
                    record_changes.append((type_id, old, keys))
            if record_changes:
                updates.append((record.net_id, record_changes))
        despawns.sort()
        return self._write(spawns, updates, removals, despawns)

    def _write(
        self,
        spawns: list[tuple[_Record, dict[int, Keys]]],
        updates: list[tuple[int, list[Change]]],
        removals: list[tuple[int, int]],
        despawns: list[int],
    ) -> bytes:
        body = Writer()
        body.uvarint(len(spawns))
        for record, components in spawns:
            self._write_spawn(body, record.net_id, record.spawn_only, components)
        body.uvarint(len(updates))
        by_id = self.registry.by_id
        for net_id, changes in updates:
            body.uvarint(net_id)
            body.u8(len(changes))
            for type_id, old, keys in changes:
                body.u8(type_id)
                spec = by_id[type_id]
                if old is None:
                    body.uvarint(COMPONENT_ADDED)
                    _write_keys(body, spec, keys)
                    continue
                mask = 0
                for index, (a, b) in enumerate(zip(old, keys, strict=True)):
                    if a != b:
                        mask |= 1 << index
                body.uvarint(mask)
                for index, (_, codec) in enumerate(spec.fields):
                    if mask >> index & 1:
                        codec.write_delta(body, old[index], keys[index])
        body.uvarint(len(removals))
        for net_id, type_id in removals:
            body.uvarint(net_id)
            body.u8(type_id)
        body.uvarint(len(despawns))
        for net_id in despawns:
            body.uvarint(net_id)
        return body.getvalue()

    def full_state(self, world: World) -> bytes:
        """Every entity as of the last capture, as spawns (baseline 0), for a joiner.

        Spawn-only entities are written as they are now, not as they were spawned: the
        joiner starts simulating them from this tick.
        """
        body = Writer()
        body.uvarint(len(self.records))
        for net_id in sorted(self.records):
            sent = self.records[net_id]
            components = sent.components
            if sent.spawn_only and world.is_alive(sent.entity):
                components = self._current(world, sent)
            self._write_spawn(body, net_id, sent.spawn_only, components)
        body.uvarint(0)
        body.uvarint(0)
        body.uvarint(0)
        return body.getvalue()

    def _current(self, world: World, record: _Record) -> dict[int, Keys]:
        """A spawn-only entity's replicated components as they are in `world` now."""
        by_type = self.registry.by_type
        components = {}
        for component in world.components_of(record.entity):
            spec = by_type.get(type(component))
            if spec is not None:
                components[spec.type_id] = spec.keys(component)
        return dict(sorted(components.items()))

    def _write_spawn(
        self, w: Writer, net_id: int, spawn_only: bool, components: dict[int, Keys]
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


def _record_net_id(item: tuple[_Record, Any]) -> int:
    return item[0].net_id


def _record_and_type(item: tuple[_Record, int, Any]) -> tuple[int, int]:
    return item[0].net_id, item[1]


def _write_keys(w: Writer, spec: ComponentSpec, keys: tuple[Any, ...]) -> None:
    for (_, codec), key in zip(spec.fields, keys, strict=True):
        codec.write_key(w, key)


def _read_keys(r: Reader, spec: ComponentSpec) -> tuple[Any, ...]:
    return tuple([codec.read_key(r) for _, codec in spec.fields])


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


class Outcome(enum.Enum):
    """What a decoder did with a snapshot."""

    APPLIED = "applied"  # decoded, kept as a baseline, and the world now shows it
    STORED = "stored"  # decoded and kept as a baseline; older than the world's: not applied
    DUPLICATE = "duplicate"  # this tick is held already: ignored
    STALE = "stale"  # older than every tick held, which are all newer: ignored
    NO_BASELINE = "no baseline"  # a delta from a tick not held (lost, or dropped): ignored


@dataclass(slots=True)
class ApplyResult:
    spawned: list[int] = field(default_factory=list)  # entities
    despawned: list[int] = field(default_factory=list)  # entities
    updated: int = 0  # entities whose replicated components changed in the world
    outcome: Outcome = Outcome.APPLIED

    @property
    def applied(self) -> bool:
        return self.outcome is Outcome.APPLIED

    @property
    def held(self) -> bool:
        """The decoder holds the snapshot's tick now: a client acknowledges it."""
        return self.outcome in (Outcome.APPLIED, Outcome.STORED, Outcome.DUPLICATE)


SpawnHook = Callable[[World, int, int], None]  # (world, entity, net_id)

MAX_SAMPLES = 32


# One entity in one decoded tick: (spawn-only, type id -> keys). Never changed once its tick
# is decoded; the next tick shares it (the very object) until something of the entity changes.
Known = tuple[bool, dict[int, Keys]]
State = dict[int, Known]  # net id -> what a decoded tick holds of it


class StateView(Mapping[int, dict[int, Keys]]):
    """Read-only: net id -> type id -> field keys, as of one decoded tick."""

    __slots__ = ("_state",)

    def __init__(self, state: State) -> None:
        self._state = state

    def __getitem__(self, net_id: int) -> dict[int, Keys]:
        return self._state[net_id][1]

    def __iter__(self) -> Iterator[int]:
        return iter(self._state)

    def __len__(self) -> int:
        return len(self._state)


@dataclass(slots=True)
class _Decoded:
    """A body decoded against a baseline: the state it makes, and what it said."""

    state: State
    fresh: set[int] = field(default_factory=set)  # net ids whose entry this body made
    spawned: list[int] = field(default_factory=list)
    despawned: list[int] = field(default_factory=list)
    # (net id, type id, keys before or None, keys after or None), in body order
    changes: list[tuple[int, int, Keys | None, Keys | None]] = field(default_factory=list)


class SnapshotDecoder:
    """Decodes snapshot bodies against any baseline it still holds and keeps a client world
    at the newest: net id to entity, spawns, fields, despawns.

    The states of the last `history` ticks decoded are kept (copy on write: a tick shares
    every entity and component it did not change with the tick it was decoded from), as
    baselines for the server's next deltas. A snapshot newer than the world's is applied:
    the world goes from the state it shows to the snapshot's, whatever lies between them.
    An older one is only kept, a duplicate ignored, and a delta from a tick not held is
    reported (`Outcome.NO_BASELINE`), not raised: on a lossy link that is normal.

    With `smooth` (a client that draws), interpolated components are buffered for
    the InterpolationSystem; without it (a bot, a test probe) they are written at
    once like any other, except on Predicted entities, which the client moves itself.
    """

    def __init__(
        self, registry: ReplicationRegistry, *, smooth: bool = True, history: int = HISTORY
    ) -> None:
        if history < 1:
            raise ValueError("history must hold at least the applied tick")
        self.registry = registry
        self.smooth = smooth
        self.history = history
        self.entities: dict[int, int] = {}  # net id -> local entity
        self.states: dict[int, State] = {}  # tick -> state, the newest `history` decoded
        self.applied: State = {}  # the state the world shows (that of last_tick)
        self.parts: dict[int, dict[int, Any]] = {}  # net id -> type id -> component
        self.buffers: dict[int, Interpolated] = {}  # net id -> its interpolation samples
        self.last_tick = -1  # the tick the world shows (-1: none yet)
        self.on_spawn: list[SpawnHook] = []

    @property
    def state(self) -> StateView:
        """net id -> type id -> field keys as the server sent them, for the tick the world
        shows (Predicted entities and interpolated components included)."""
        return StateView(self.applied)

    def holds(self, tick: int) -> bool:
        return tick in self.states

    def forget(self, world: World) -> None:
        """Despawn every entity this decoder made and forget every tick: the next full
        state starts the world afresh (a client that joined a server anew, whose ticks and
        net ids have nothing to do with the ones it held)."""
        for entity in self.entities.values():
            if world.is_alive(entity):
                world.despawn(entity)
        self.entities.clear()
        self.states.clear()
        self.applied = {}
        self.parts.clear()
        self.buffers.clear()
        self.last_tick = -1

    def apply(self, world: World, tick: int, baseline: int, body: bytes) -> ApplyResult:
        """Decode snapshot `tick` against `baseline` (0: a full state); keep it; apply it to
        the world if it is newer than what the world shows. A malformed body or a baseline
        not older than the tick is a ProtocolError (nothing is kept or applied then)."""
        if baseline and baseline >= tick:
            raise ProtocolError(f"snapshot {tick} is based on {baseline}, not an earlier tick")
        states = self.states
        if tick in states:
            return ApplyResult(outcome=Outcome.DUPLICATE)
        if len(states) >= self.history and tick < min(states):
            return ApplyResult(outcome=Outcome.STALE)
        if baseline == 0:
            base: State = {}
        else:
            held = states.get(baseline)
            if held is None:
                return ApplyResult(outcome=Outcome.NO_BASELINE)
            base = held
        decoded = _Decoded(dict(base))
        self._decode(decoded, body)
        state = decoded.state
        states[tick] = state
        if len(states) > self.history:
            del states[min(states)]
        if tick < self.last_tick:
            return ApplyResult(outcome=Outcome.STORED)
        shown = self.applied
        result = ApplyResult()
        if base is shown:
            # The world shows the baseline: what the body says is all that changes.
            self._apply_changes(world, decoded, tick, result)
        else:
            # The world shows another tick: whatever differs between its state and this one
            # (entities changed since the baseline, changed back, or not at all in this delta)
            # differs now. An entity unchanged between two ticks is the same object in both.
            get = shown.get
            touched = [net_id for net_id, known in state.items() if get(net_id) is not known]
            touched.extend(shown.keys() - state.keys())
            for net_id in sorted(touched):
                self._apply_entity(world, net_id, get(net_id), state.get(net_id), tick, result)
        self.applied = state
        self.last_tick = tick
        return result

    # -- decoding --------------------------------------------------------------------------

    def _decode(self, decoded: _Decoded, body: bytes) -> None:
        """Apply `body` to `decoded.state` (a copy of the baseline's, whose entities are
        copied on write), noting what changed."""
        state = decoded.state
        fresh = decoded.fresh
        changes = decoded.changes
        reader = Reader(body)
        by_id = self.registry.by_id
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "spawn count")):
            net_id = self._net_id(reader)
            if net_id == 0 or net_id in state:
                raise ProtocolError(f"spawn of entity {net_id} which exists or is invalid")
            flags = reader.u8()
            if flags & ~FLAG_SPAWN_ONLY:
                raise ProtocolError(f"unknown spawn flags {flags:#x}")
            components: dict[int, Keys] = {}
            for _ in range(reader.u8()):
                type_id = reader.u8()
                spec = self._spec(type_id)
                if type_id in components:
                    raise ProtocolError(f"component {type_id} twice in spawn of {net_id}")
                components[type_id] = _read_keys(reader, spec)
            state[net_id] = (bool(flags & FLAG_SPAWN_ONLY), components)
            fresh.add(net_id)
            decoded.spawned.append(net_id)
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "update count")):
            net_id = self._net_id(reader)
            known = state.get(net_id)
            if known is None:
                raise ProtocolError(f"unknown entity {net_id}")
            if net_id in fresh:
                components = known[1]
            else:
                components = dict(known[1])
                state[net_id] = (known[0], components)
                fresh.add(net_id)
            for _ in range(reader.u8()):
                type_id = reader.u8()
                spec = by_id.get(type_id) or self._spec(type_id)
                mask = reader.uvarint()
                if mask == COMPONENT_ADDED:  # whole: added, or replacing what it had
                    was = components.get(type_id)
                    keys = components[type_id] = _read_keys(reader, spec)
                    changes.append((net_id, type_id, was, keys))
                    continue
                fields = spec.fields
                if mask >> len(fields):
                    raise ProtocolError(f"field mask {mask:#x} too wide for {spec.name}")
                old = components.get(type_id)
                if old is None:
                    raise ProtocolError(f"entity {net_id} has no component {spec.name} to update")
                new = list(old)
                for index in range(len(fields)):
                    if mask >> index & 1:
                        new[index] = fields[index][1].read_delta(reader, old[index])
                keys = components[type_id] = tuple(new)
                changes.append((net_id, type_id, old, keys))
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "removal count")):
            net_id, type_id = self._net_id(reader), reader.u8()
            known = state.get(net_id)
            if known is None:
                raise ProtocolError(f"unknown entity {net_id}")
            self._spec(type_id)
            if type_id not in known[1]:
                raise ProtocolError(f"entity {net_id} has no component {type_id} to remove")
            if net_id in fresh:
                components = known[1]
            else:
                components = dict(known[1])
                state[net_id] = (known[0], components)
                fresh.add(net_id)
            changes.append((net_id, type_id, components.pop(type_id), None))
        for _ in range(reader.count(MAX_ENTITIES_PER_SNAPSHOT, "despawn count")):
            net_id = self._net_id(reader)
            if state.pop(net_id, None) is None:
                raise ProtocolError(f"unknown entity {net_id}")
            decoded.despawned.append(net_id)
        reader.expect_end("snapshot")

    def _net_id(self, reader: Reader) -> int:
        net_id = reader.uvarint()
        if net_id > MAX_NET_ID:
            raise ProtocolError(f"net id {net_id} exceeds {MAX_NET_ID}")
        return net_id

    def _spec(self, type_id: int) -> ComponentSpec:
        spec = self.registry.by_id.get(type_id)
        if spec is None:
            raise ProtocolError(f"unknown component type {type_id}")
        return spec

    # -- applying --------------------------------------------------------------------------

    def _apply_changes(
        self, world: World, decoded: _Decoded, tick: int, result: ApplyResult
    ) -> None:
        """Bring the world from the baseline's state to the decoded one, record by record."""
        state = decoded.state
        spawned = sorted(set(decoded.spawned) & state.keys())  # not despawned in the same body
        for net_id in spawned:
            self._spawn(world, net_id, state[net_id], tick, result)
        skip = set(decoded.spawned).union(decoded.despawned)
        entities, all_parts = self.entities, self.parts
        updated: set[int] = set()
        for net_id, type_id, was, keys in decoded.changes:
            if skip and net_id in skip:
                continue
            updated.add(net_id)
            self._apply_component(
                world,
                net_id,
                entities[net_id],
                all_parts[net_id],
                state[net_id][0],
                type_id,
                was,
                keys,
                tick,
            )
        result.updated = len(updated)
        for net_id in sorted(set(decoded.despawned).difference(decoded.spawned)):
            self._despawn(world, net_id, result)

    def _apply_component(
        self,
        world: World,
        net_id: int,
        entity: int,
        parts: dict[int, Any],
        spawn_only: bool,
        type_id: int,
        was: Keys | None,
        keys: Keys | None,
        tick: int,
    ) -> None:
        """Bring one component of the world from keys `was` to `keys` (None: absent)."""
        spec = self.registry.by_id[type_id]
        if keys is None:
            parts.pop(type_id, None)
            world.remove_component(entity, spec.component_type)
            return
        if was is None:  # added
            part = parts[type_id] = spec.build(keys)
            world.add_component(entity, part)
            if spec.interpolate and self.smooth:
                self._track_added(world, entity, net_id, type_id, tick, keys)
            return
        if spawn_only:
            return  # the client simulates its values from the spawn
        if spec.interpolate:
            if self.smooth:
                # Buffered for the InterpolationSystem (which leaves Predicted entities alone).
                buffer = self.buffers.get(net_id)
                if buffer is not None:
                    buffer.push(type_id, tick, keys)
                return
            if world.has_component(entity, Predicted):
                return  # the client moves it; only the state follows the server
        component = parts.get(type_id)
        if component is None:
            return  # an initial-only component this client does not attach
        for index, (name, codec) in enumerate(spec.fields):
            if was[index] != keys[index]:
                setattr(component, name, codec.from_key(keys[index]))

    def _apply_entity(
        self,
        world: World,
        net_id: int,
        old: Known | None,
        new: Known | None,
        tick: int,
        result: ApplyResult,
    ) -> None:
        """Bring one entity of the world from `old` (what it shows) to `new`."""
        if old is not None and (new is None or new[0] != old[0]):
            self._despawn(world, net_id, result)
            old = None
        if new is None:
            return
        if old is None:
            self._spawn(world, net_id, new, tick, result)
            return
        before, after = old[1], new[1]
        entity, parts = self.entities[net_id], self.parts[net_id]
        changed = False
        for type_id, keys in after.items():
            was = before.get(type_id)
            if was is keys or was == keys:
                continue
            changed = True
            self._apply_component(world, net_id, entity, parts, new[0], type_id, was, keys, tick)
        for type_id in before.keys() - after.keys():
            changed = True
            self._apply_component(world, net_id, entity, parts, new[0], type_id, None, None, tick)
        if changed:
            result.updated += 1

    def _despawn(self, world: World, net_id: int, result: ApplyResult) -> None:
        entity = self.entities.pop(net_id)
        self.parts.pop(net_id, None)
        self.buffers.pop(net_id, None)
        world.despawn(entity)
        result.despawned.append(entity)

    def _spawn(
        self, world: World, net_id: int, known: Known, tick: int, result: ApplyResult
    ) -> None:
        spawn_only = known[0]
        parts: list[Any] = [Replicated(net_id, spawn_only)]
        made: dict[int, Any] = {}
        interpolated: Interpolated | None = None
        by_id = self.registry.by_id
        for type_id, keys in sorted(known[1].items()):
            spec = by_id[type_id]
            if spec.initial_only and not spawn_only:
                continue  # clients simulate initial-only values of spawn-only entities only
            part = made[type_id] = spec.build(keys)
            parts.append(part)
            if spec.interpolate and self.smooth and not spawn_only:
                interpolated = interpolated or Interpolated()
                interpolated.push(type_id, tick, keys)
        if interpolated is not None:
            parts.append(interpolated)
        entity = world.create(*parts)
        self.entities[net_id] = entity
        self.parts[net_id] = made  # the components this decoder made: updates write them
        if interpolated is not None:
            self.buffers[net_id] = interpolated
        result.spawned.append(entity)
        for hook in self.on_spawn:
            hook(world, entity, net_id)

    def _track_added(
        self, world: World, entity: int, net_id: int, type_id: int, tick: int, keys: Keys
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
        buffer.push(type_id, tick, keys)
