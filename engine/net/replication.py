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
import math
import operator
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import methodcaller
from typing import Any

from engine.net import changes
from engine.net.body import MAX_NET_ID as MAX_NET_ID  # a snapshot's bound on net ids
from engine.net.body import MAX_RECORDS, parse_body, write_body
from engine.net.codec import Codec
from engine.net.errors import ProtocolError
from engine.world import StructureWatch, World

MAX_COMPONENT_TYPES = 255
MAX_FIELDS = 32
MAX_ENTITIES_PER_SNAPSHOT = MAX_RECORDS
FLAG_SPAWN_ONLY = 0x01  # the spawn-only bit of a spawn record
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
    # a component's wire keys: quantize(raw(component)) in one compiled call
    keys: Callable[[Any], tuple[Any, ...]] = field(init=False, repr=False, compare=False)
    # the fields whose changes travel as Rice-coded differences (their codecs' numeric_delta)
    numeric: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The encoder's hot path, built once: one compiled function reading a component's
        # fields and turning them into wire keys (quantized, clamped), the codecs' key
        # expressions inlined; and a C-level getter of the raw values, for comparisons.
        names = [name for name, _ in self.fields]
        getter = operator.attrgetter(*names)
        raw = getter if len(names) > 1 else (lambda component: (getter(component),))
        namespace: dict[str, Any] = {"floor": math.floor}
        from_raw, from_component = [], []
        for index, (name, codec) in enumerate(self.fields):
            for value, parts in ((f"v[{index}]", from_raw), (f"c.{name}", from_component)):
                try:
                    expr = codec.key_expr(value, f"_k{index}")
                except TypeError:  # a codec written before `temp` (a mod's): one argument
                    expr = codec.key_expr(value)
                if expr is None:
                    namespace[f"k{index}"] = codec.key
                    expr = f"k{index}({value})"
                parts.append(expr)
        quantize = eval(f"lambda v: ({', '.join(from_raw)},)", namespace)  # noqa: S307
        keys_of = eval(f"lambda c: ({', '.join(from_component)},)", namespace)  # noqa: S307
        object.__setattr__(self, "raw", raw)
        object.__setattr__(self, "blends", tuple(codec.blend for _, codec in self.fields))
        object.__setattr__(self, "quantize", quantize)
        object.__setattr__(self, "keys", keys_of)
        numeric = tuple(i for i, (_, codec) in enumerate(self.fields) if codec.numeric_delta)
        object.__setattr__(self, "numeric", numeric)

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
Update = tuple[int, Keys | None, Keys]  # net id, keys before (None: added), keys after


@dataclass(slots=True, eq=False)
class _Record:
    """What peers know of one entity as of the newest captured tick.

    `state` (type id -> keys) changes in place at each capture: whoever keeps what a peer
    was sent (engine/net/views.py) keeps a copy. `parts` are the component instances whose
    writes are tracked."""

    net_id: int
    entity: int
    spawn_only: bool
    spawned_at: int = 0  # the tick whose snapshot first carried it
    state: dict[int, Keys] = field(default_factory=dict)
    parts: dict[int, Any] = field(default_factory=dict)  # type id -> component instance


@dataclass(slots=True, eq=False)
class _TickChanges:
    """What one captured tick changed against the tick before it: the ring keeps these, not
    whole states, so its memory follows what changed. Lists are in wire order."""

    tick: int
    spawned: list[_Record]  # by net id
    updated: dict[int, list[Update]]  # type id -> records by net id
    removed: list[tuple[int, int, Keys]]  # (net id, type id, keys removed) by net id, type
    despawned: list[_Record]  # by net id
    body: bytes | None = None  # the delta from the tick before, once written
    _before: dict[int, dict[int, Keys | None]] | None = None

    @property
    def before(self) -> dict[int, dict[int, Keys | None]]:
        """Type id -> net id -> keys before the tick (None: the component was added), for
        folds and views; made on first use (most ticks never need it)."""
        if self._before is None:
            before: dict[int, dict[int, Keys | None]] = {
                type_id: dict(zip(map(_first, records), map(_second, records), strict=True))
                for type_id, records in self.updated.items()
            }
            for net_id, type_id, old in self.removed:
                before.setdefault(type_id, {})[net_id] = old
            self._before = before
        return self._before

    @property
    def changed(self) -> int:
        """How many entities had a component changed, added or removed."""
        found = {net_id for records in self.updated.values() for net_id, _, _ in records}
        found.update(net_id for net_id, _, _ in self.removed)
        return len(found)


@dataclass(slots=True)
class EncodeStats:
    spawns: int = 0
    updates: int = 0
    despawns: int = 0
    compared: int = 0  # components compared with what was sent (the capture's work)


_first = operator.itemgetter(0)
_second = operator.itemgetter(1)
_state = operator.attrgetter("state")
_net_id_and_type = operator.itemgetter(0, 1)

HISTORY = 32  # ticks of state the encoder can delta from (and a decoder keeps), as in Quake 3
CHAIN_TICKS = 3  # a peer at most this many ticks behind gets the one-tick deltas it lacks


class SnapshotEncoder:
    """Tracks what changes in a server world tick to tick, and encodes the delta from any
    recent tick a peer acknowledged.

    `capture(world, tick)`, once a tick, looks only at what may have changed: the entities
    whose structure the World saw change (`World.watch_structure`: spawned, despawned,
    components added, replaced or removed) and the components whose fields were written
    (the journal of engine/net/changes.py, fed by a `__setattr__` hook this encoder puts
    on each replicated type). Each of those is quantized and compared with what peers
    were sent; an idle world costs nothing, a busy one what its changes cost. Each
    entity's record of what peers know is updated copy-on-write, and the tick's change set
    goes into a ring of the last `history` ticks.

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
        # id(component) -> (net id, type id, spec.keys, component, its record's state): the
        # components whose field writes matter (not initial-only, not on spawn-only entities)
        self._owners: dict[int, tuple[int, int, Any, Any, dict[int, Keys]]] = {}
        self._ring: deque[_TickChanges] = deque(maxlen=history)
        self._held: set[int] = set()  # the ticks in the ring
        self._bodies: dict[int, bytes] = {}  # baseline -> body, for the captured tick
        self._world: World | None = None
        self._watch: StructureWatch | None = None
        self._reader: changes.JournalReader | None = None
        self._epochs: dict[int, int] = {}  # type id -> the hook epoch its journal began at
        self._specs: list[ComponentSpec] = []
        self._capture = _Capture(0)
        self.tick = 0  # the last captured tick (0: none yet)
        self.encodings = 0  # bodies written (not served from the cache), over the encoder's life
        self._compared = 0

    @property
    def specs(self) -> list[ComponentSpec]:
        """The registry's specs by type id (specs[0] is type 1)."""
        if len(self._specs) != len(self.registry.by_id):
            self._specs = [self.registry.by_id[i] for i in range(1, len(self.registry.by_id) + 1)]
        return self._specs

    # -- capturing -------------------------------------------------------------------------

    def capture(self, world: World, tick: int) -> None:
        """Bring what peers are to know up to `world` as it is, as tick `tick`."""
        if tick <= self.tick:
            raise ValueError(f"tick {tick} does not follow the captured tick {self.tick}")
        specs = self.specs
        if world is not self._world or self._watch is None or self._reader is None:
            touched = self._attach(world)
            written: list[Any] | None = []
            rescan: list[ComponentSpec] = []
        else:
            touched = self._watch.take()
            written = self._reader.read()
            rescan = [spec for spec in specs if self._epochs.get(spec.type_id) != self._hook(spec)]
            if written is None:  # the journal lost writes: compare every tracked component
                rescan = list(specs)
        capture = _Capture(tick)
        self._capture = capture
        if touched:
            doomed = world.pending_despawns
            for entity in touched:
                self._restructure(world, entity, doomed, capture)
        for spec in rescan:
            self._rescan(world, spec, capture)
        if written:
            self._compare_written(written, capture)
        self._publish(capture)
        self._world = world

    def _compare_written(self, written: list[Any], capture: _Capture) -> None:
        """The hot loop: each component written since the last capture, once, quantized and
        compared with what was sent (`_change` inlined)."""
        owners = self._owners.get
        updated = capture.updated
        compared = 0
        for key in dict.fromkeys(written):  # once each, in write order (sorts fast later)
            found = owners(key)
            if found is None:
                continue  # another world's, or not replicated field by field
            net_id, type_id, keys_of, component, state = found
            compared += 1
            keys = keys_of(component)
            old = state[type_id]
            if old == keys:
                continue  # written, but not changed as far as the wire can tell
            state[type_id] = keys
            records = updated.get(type_id)
            if records is None:
                records = updated[type_id] = []
            records.append((net_id, old, keys))
        capture.compared += compared

    def _hook(self, spec: ComponentSpec) -> int:
        return changes.watch(spec.component_type)

    def _attach(self, world: World) -> set[int]:
        """Start tracking `world`: every entity counts as touched (the first capture, or a
        capture of another world, compares everything)."""
        self._watch = world.watch_structure()
        for spec in self.specs:
            self._epochs[spec.type_id] = self._hook(spec)
        self._reader = changes.JournalReader()
        touched = {entity for entity, _ in world.query_one(Replicated)}
        touched.update(self._by_entity)
        return touched

    def _restructure(self, world: World, entity: int, doomed: set[int], capture: _Capture) -> None:
        """An entity whose structure changed: spawn, despawn, or its components re-read."""
        record = self._by_entity.get(entity)
        alive = entity not in doomed and world.is_alive(entity)
        marker = world.try_component(entity, Replicated) if alive else None
        if record is not None and marker is None:
            self._forget(record)
            capture.despawned.append(record)
            return
        if marker is None:
            return
        by_type = self.registry.by_type
        present: dict[int, Any] = {}
        for component in world.components_of(entity):
            spec = by_type.get(type(component))
            if spec is not None:
                present[spec.type_id] = component
        if record is None:
            if marker.net_id == 0:
                marker.net_id = self.ids.allocate()
            record = _Record(marker.net_id, entity, marker.spawn_only, capture.tick)
            self._by_entity[entity] = record
            self.records[record.net_id] = record
            state = record.state  # filled in place: what `_track` hands the owners
            for type_id in sorted(present):
                self._track(record, type_id, present[type_id])
                state[type_id] = self.specs[type_id - 1].keys(present[type_id])
            capture.spawned.append(record)
            return
        for type_id in [t for t, part in record.parts.items() if present.get(t) is not part]:
            self._untrack(record, type_id)
        for type_id, component in present.items():
            if record.parts.get(type_id) is not component:
                self._track(record, type_id, component)
            spec = self.specs[type_id - 1]
            keys = spec.keys(component)
            if type_id in record.state and (spec.initial_only or record.spawn_only):
                continue  # sent once; clients simulate it from there
            self._change(record, type_id, keys)
        for type_id in [t for t in record.state if t not in present]:
            self._change(record, type_id, None)

    def _rescan(self, world: World, spec: ComponentSpec, capture: _Capture) -> None:
        """Compare every component of one type (its journal is not complete: newly hooked,
        or writes were lost)."""
        self._epochs[spec.type_id] = self._hook(spec)
        by_entity, type_id = self._by_entity, spec.type_id
        doomed = world.pending_despawns
        for entity, component in world.query_one(spec.component_type):
            record = by_entity.get(entity)
            if record is None or entity in doomed:
                continue
            if record.parts.get(type_id) is not component:
                self._restructure(world, entity, doomed, capture)
            elif not (spec.initial_only or record.spawn_only):
                capture.compared += 1
                self._change(record, type_id, spec.keys(component))

    def _track(self, record: _Record, type_id: int, component: Any) -> None:
        record.parts[type_id] = component
        spec = self.specs[type_id - 1]
        if not (record.spawn_only or spec.initial_only):
            self._owners[id(component)] = (
                record.net_id,
                type_id,
                spec.keys,
                component,
                record.state,  # changed in place, never replaced once tracked
            )

    def _untrack(self, record: _Record, type_id: int) -> None:
        self._owners.pop(id(record.parts.pop(type_id)), None)

    def _forget(self, record: _Record) -> None:
        for type_id in list(record.parts):
            self._untrack(record, type_id)
        del self._by_entity[record.entity]
        del self.records[record.net_id]

    def _change(self, record: _Record, type_id: int, keys: Keys | None) -> None:
        """The record's keys of one type are `keys` now (None: the component is gone)."""
        old = record.state.get(type_id)
        if old == keys:
            return  # nothing, or less than the codec can tell
        capture = self._capture
        if keys is None:
            del record.state[type_id]
            capture.removed.append((record.net_id, type_id, old))
        else:
            record.state[type_id] = keys
            found = capture.updated.get(type_id)
            if found is None:
                found = capture.updated[type_id] = []
            found.append((record.net_id, old, keys))

    def _publish(self, capture: _Capture) -> None:
        tick = capture.tick
        spawned = sorted(capture.spawned, key=_net_id)
        for records in capture.updated.values():
            records.sort(key=_first)
        updated = dict(sorted(capture.updated.items()))
        removed = sorted(capture.removed, key=_net_id_and_type)
        despawned = sorted(capture.despawned, key=_net_id)
        if len(self._ring) == self._ring.maxlen:
            self._held.discard(self._ring[0].tick)
        self._ring.append(_TickChanges(tick, spawned, updated, removed, despawned))
        self._held.add(tick)
        self._bodies.clear()
        self.tick = tick
        self._compared = capture.compared

    @property
    def last_stats(self) -> EncodeStats:
        """What the last capture found: spawns, entities updated, despawns, comparisons."""
        if not self._ring:
            return EncodeStats()
        last = self._ring[-1]
        return EncodeStats(len(last.spawned), last.changed, len(last.despawned), self._compared)

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
                body = write_body(self.specs, (), {}, (), ())  # nothing to bring
            elif len(self._ring) > 1 and baseline == self._ring[-2].tick:
                now = self._ring[-1]  # the common case: straight from this tick's changes
                body = now.body = write_body(
                    self.specs,
                    [(r.net_id, r.spawn_only, r.state) for r in now.spawned],
                    now.updated,
                    [(net_id, type_id) for net_id, type_id, _ in now.removed],
                    [record.net_id for record in now.despawned],
                )
            else:
                body = self._fold(baseline)
            self._bodies[baseline] = body
            self.encodings += 1
        return baseline, body

    def unchanged_since(self, baseline: int) -> bool:
        """Nothing spawned, changed or despawned after `baseline` (a tick in the ring): a
        delta from it would carry no record."""
        if baseline not in self._held:
            return False
        for changes_ in reversed(self._ring):
            if changes_.tick <= baseline:
                return True
            if changes_.spawned or changes_.updated or changes_.removed or changes_.despawned:
                return False
        return True

    def deltas(self, baseline: int, chain: int = CHAIN_TICKS) -> list[tuple[int, int, bytes]]:
        """What brings a peer holding `baseline` to the captured tick, as (tick, baseline,
        body) snapshots to send in order. A peer up to `chain` ticks behind gets the one-tick
        deltas it lacks, each encoded once at its tick and shared by every peer (it applies
        them one after the other); one further behind gets the delta folded from its
        baseline, and one out of the ring a full state ((tick, 0, body)). Chains cost no
        encoding, and bytes: each delta of the chain, where a folded delta would carry a
        field changed twice once."""
        if 0 < baseline < self.tick - 1 and self.tick - baseline <= chain and self._held:
            links = [changes_ for changes_ in self._ring if changes_.tick > baseline]
            if len(links) == self.tick - baseline and None not in [c.body for c in links[:-1]]:
                self.encode(self.tick - 1)  # the newest link, if no peer asked for it yet
                if links[-1].body is not None:
                    return [(c.tick, c.tick - 1, c.body) for c in links]  # type: ignore[misc]
        used, body = self.encode(baseline)
        return [(self.tick, used, body)]

    def encode_delta(self, world: World) -> bytes:
        """Capture the next tick and return the delta from the previous one (a full state
        for the first): what a peer that follows every tick in order needs."""
        previous = self.tick
        self.capture(world, previous + 1)
        return self.encode(previous)[1]

    def changed_since(self, baseline: int) -> set[int]:
        """Net ids spawned, changed or despawned after `baseline` (a tick in the ring)."""
        found: set[int] = set()
        for changes_ in self._ring:
            if changes_.tick > baseline:
                for before in changes_.before.values():
                    found.update(before)
                found.update(record.net_id for record in changes_.spawned)
                found.update(record.net_id for record in changes_.despawned)
        return found

    def _fold(self, baseline: int) -> bytes:
        """The delta from `baseline` (in the ring, older than the previous tick): the change
        sets since it folded into one. An entity spawned since then comes whole if still
        alive (despawned too, it never appears); one alive then and now gets, per component,
        its keys then (the "before" of its first change since) against its keys now.

        The merging runs in C: per component type, the ticks' {net id: keys before} maps
        are laid over each other newest first, so the oldest "before" stays."""
        live = self.records
        first: dict[int, dict[int, Keys | None]] = {}  # type id -> net id -> keys then
        spawned: list[_Record] = []
        despawns: list[int] = []
        for changes_ in reversed(self._ring):
            if changes_.tick <= baseline:
                break
            spawned.extend(changes_.spawned)
            for type_id, before in changes_.before.items():
                found = first.get(type_id)
                if found is None:
                    first[type_id] = dict(before)
                else:
                    found.update(before)
            despawns.extend(r.net_id for r in changes_.despawned if r.spawned_at <= baseline)
        spawns = []
        world = self._world
        for record in sorted(spawned, key=_net_id):
            if live.get(record.net_id) is not record:
                continue  # spawned and despawned since the baseline
            state = record.state
            if record.spawn_only and record.spawned_at < self.tick and world is not None:
                state = self._current(world, record)  # its values hold at this tick
            spawns.append((record.net_id, record.spawn_only, state))
        new_ids = {record.net_id for record in spawned}
        updates: dict[int, list[Update]] = {}
        removals: list[tuple[int, int]] = []
        for type_id in sorted(first):
            before = first[type_id]
            ids = sorted((before.keys() & live.keys()) - new_ids)  # a spawn or a despawn says it
            olds = list(map(before.__getitem__, ids))
            nows = list(map(methodcaller("get", type_id), map(_state, map(live.__getitem__, ids))))
            changed = list(map(operator.ne, olds, nows))  # not changed and changed back
            records = list(
                zip(
                    compress(ids, changed),
                    compress(olds, changed),
                    compress(nows, changed),
                    strict=True,
                )
            )
            if None in nows:  # components removed since the baseline
                removals.extend((net_id, type_id) for net_id, _, now in records if now is None)
                records = [record for record in records if record[2] is not None]
            if records:
                updates[type_id] = records
        removals.sort()
        despawns.sort()
        return write_body(self.specs, spawns, updates, removals, despawns)

    def full_state(self, world: World) -> bytes:
        """Every entity as of the last capture, as spawns (baseline 0), for a joiner.

        Spawn-only entities are written as they are now, not as they were spawned: the
        joiner starts simulating them from this tick.
        """
        spawns = []
        for net_id in sorted(self.records):
            sent = self.records[net_id]
            state = sent.state
            if sent.spawn_only and world.is_alive(sent.entity):
                state = self._current(world, sent)
            spawns.append((net_id, sent.spawn_only, state))
        return write_body(self.specs, spawns, {}, (), ())

    @property
    def world(self) -> World | None:
        """The world of the last capture."""
        return self._world

    def net_ids_of(self, entities: Iterable[int]) -> set[int]:
        """The net ids of those of `entities` that peers know (as of the last capture)."""
        return {r.net_id for r in map(self._by_entity.get, entities) if r is not None}

    def state_at(self, tick: int) -> dict[int, tuple[bool, dict[int, Keys]]]:
        """Every entity as a peer holding tick `tick` (in the ring) holds it: net id ->
        (spawn-only, type id -> keys), each a copy."""
        states: dict[int, dict[int, Keys]] = {n: dict(r.state) for n, r in self.records.items()}
        flags = {net_id: record.spawn_only for net_id, record in self.records.items()}
        for changes_ in reversed(self._ring):
            if changes_.tick <= tick:
                break
            for record in changes_.spawned:
                states.pop(record.net_id, None)
            for record in changes_.despawned:
                states[record.net_id] = dict(record.state)
                flags[record.net_id] = record.spawn_only
            for type_id, before in changes_.before.items():
                for net_id, old in before.items():
                    state = states.get(net_id)
                    if state is None:
                        continue
                    if old is None:
                        state.pop(type_id, None)
                    else:
                        state[type_id] = old
        return {net_id: (flags[net_id], state) for net_id, state in states.items()}

    def current_state(self, world: World, record: _Record) -> dict[int, Keys]:
        return self._current(world, record)

    def _current(self, world: World, record: _Record) -> dict[int, Keys]:
        """A spawn-only entity's replicated components as they are in `world` now."""
        by_type = self.registry.by_type
        components = {}
        for component in world.components_of(record.entity):
            spec = by_type.get(type(component))
            if spec is not None:
                components[spec.type_id] = spec.keys(component)
        return dict(sorted(components.items()))

    def entity_for(self, net_id: int) -> int | None:
        record = self.records.get(net_id)
        return record.entity if record else None


@dataclass(slots=True, eq=False)
class _Capture:
    """What one capture found, on its way into the ring."""

    tick: int
    spawned: list[_Record] = field(default_factory=list)
    updated: dict[int, list[Update]] = field(default_factory=dict)
    removed: list[tuple[int, int, Keys]] = field(default_factory=list)
    despawned: list[_Record] = field(default_factory=list)
    compared: int = 0


def _net_id(record: _Record) -> int:
    return record.net_id


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
        self._specs: list[ComponentSpec] = []
        self._predicted: set[int] | None = None  # this snapshot's Predicted entities

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
        self._predicted = None
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
        changes_ = decoded.changes
        specs = self.specs
        parsed = parse_body(specs, body)
        for net_id, spawn_only, components in parsed.spawns:
            if net_id in state:
                raise ProtocolError(f"spawn of entity {net_id} which exists")
            state[net_id] = (spawn_only, components)
            fresh.add(net_id)
            decoded.spawned.append(net_id)
        for type_id, records in parsed.updates:
            spec = specs[type_id - 1]
            fields = spec.fields
            numeric = spec.numeric
            plans: dict[int, list[tuple[int, Any]]] = {}  # mask -> (field, its check or None)
            for net_id, mask, values in records:
                known = state.get(net_id)
                if known is None:
                    raise ProtocolError(f"unknown entity {net_id}")
                if net_id in fresh:
                    components = known[1]
                else:
                    components = dict(known[1])
                    state[net_id] = (known[0], components)
                    fresh.add(net_id)
                if mask == COMPONENT_ADDED:  # whole: added, or replacing what it had
                    was = components.get(type_id)
                    keys = components[type_id] = tuple(values)
                    changes_.append((net_id, type_id, was, keys))
                    continue
                old = components.get(type_id)
                if old is None:
                    raise ProtocolError(f"entity {net_id} has no component {spec.name} to update")
                plan = plans.get(mask)
                if plan is None:
                    plan = plans[mask] = [
                        (i, fields[i][1].check_key if i in numeric else None)
                        for i in range(len(fields))
                        if mask >> i & 1
                    ]
                new = list(old)
                for (index, check), value in zip(plan, values, strict=True):
                    new[index] = value if check is None else check(old[index] + value)
                keys = components[type_id] = tuple(new)
                changes_.append((net_id, type_id, old, keys))
        for net_id, type_id in parsed.removals:
            known = state.get(net_id)
            if known is None:
                raise ProtocolError(f"unknown entity {net_id}")
            if type_id not in known[1]:
                raise ProtocolError(f"entity {net_id} has no component {type_id} to remove")
            if net_id in fresh:
                components = known[1]
            else:
                components = dict(known[1])
                state[net_id] = (known[0], components)
                fresh.add(net_id)
            changes_.append((net_id, type_id, components.pop(type_id), None))
        for net_id in parsed.despawns:
            if state.pop(net_id, None) is None:
                raise ProtocolError(f"unknown entity {net_id}")
            decoded.despawned.append(net_id)

    @property
    def specs(self) -> list[ComponentSpec]:
        """The registry's specs by type id (specs[0] is type 1)."""
        by_id = self.registry.by_id
        if len(self._specs) != len(by_id):
            self._specs = [by_id[i] for i in range(1, len(by_id) + 1)]
        return self._specs

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
            predicted = self._predicted
            if predicted is None:  # looked up once a snapshot, not per component
                predicted = self._predicted = {e for e, _ in world.query_one(Predicted)}
            if entity in predicted:
                return  # the client moves it; only the state follows the server
        component = parts.get(type_id)
        if component is None:
            return  # an initial-only component this client does not attach
        write = changes.plain_setattr(spec.component_type)  # no server's business
        for index, (name, codec) in enumerate(spec.fields):
            if was[index] != keys[index]:
                write(component, name, codec.from_key(keys[index]))

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
