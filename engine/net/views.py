"""Snapshots of a peer's own: a byte budget with priorities, and interest management.

`SnapshotEncoder.encode` (Quake 3's model) brings a peer from a tick it acknowledged to
the server's whole state, one body shared by every peer on that tick. A peer that should
see only some entities (interest management: rooms, distance, a game's rule), or whose
byte budget per tick is smaller than that body, gets snapshots of its own instead,
written against what it holds:

- **What it holds** (`PeerView`): the state of each entity as of its last acknowledged
  snapshot (`held`, at tick `base`), and what each snapshot in flight carried (`sent`).
  Each snapshot is a delta from `base`, which the peer holds, so decoding is exactly as
  for shared snapshots; a full state (baseline 0) starts from nothing.
- **Stale entities.** An entity whose state at the peer differs from what the peer should
  hold (changed since, not yet spawned, spawned but no longer relevant) is stale. Each
  tick the stale entities are the candidates: the ones changed since `base` (the
  encoder's ring), those left stale by the last acknowledged snapshot, and the difference
  between the relevant set and what the peer holds.
- **Priorities and the budget** (Gaffer on Games' priority accumulator, as naia and Unity
  NetCode do): each tick every stale entity adds its priority (the game's hook; 1 by
  default) to what it accumulated while it waited; the snapshot takes the highest first,
  whole records, as long as they fit the budget, and resets what it took. A despawn goes
  first, always (it is a few bits, and frees the peer). Nothing starves: what waits keeps
  accumulating until it is the highest.
- **Loss and convergence.** A record left out of a snapshot, or carried by a snapshot
  that was lost, is stale at `base` still: it is a candidate of every later snapshot
  until an acknowledged one carried it. When a snapshot's acknowledgement arrives its
  records become `held`, and the snapshots sent after it (written against the older
  base, and held that way by the peer if they arrive) are rebased: what the acknowledged
  one changed and they did not carry goes back into them as it was.

A peer with no interest limit and a budget that fits goes back to the shared snapshots
once nothing is stale (sync.py decides, tick by tick).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.net.bits import BitWriter, zigzag
from engine.net.body import write_body

if TYPE_CHECKING:
    from engine.net.replication import ComponentSpec, SnapshotEncoder
    from engine.world import World

Keys = tuple[Any, ...]
State = dict[int, Keys]  # type id -> keys: one entity as a peer holds it
Priorities = Callable[[Sequence[int]], Sequence[float]]  # entities -> their priorities


@dataclass(slots=True, eq=False)
class _Sent:
    """What one snapshot in flight carried, against the view's `base`."""

    diff: dict[int, tuple[bool, State] | None]  # net id -> (spawn-only, state) or absent
    stale: set[int]  # what it left stale (relative to the state at its tick)


@dataclass(eq=False)
class PeerView:
    """What one peer holds of the replicated world, for snapshots of its own."""

    base: int = 0  # the tick of `held` (0: the peer holds nothing)
    held: dict[int, tuple[bool, State]] = field(default_factory=dict)
    stale: set[int] = field(default_factory=set)  # net ids wrong in `held`, as of `base`
    priority: dict[int, float] = field(default_factory=dict)  # accumulated, of stale ones
    sent: dict[int, _Sent] = field(default_factory=dict)  # tick -> what it carried
    updated_at: dict[int, int] = field(default_factory=dict)  # net id -> last tick carried

    def acknowledge(self, tick: int) -> bool:
        """The peer holds snapshot `tick`: it becomes the base (True), if it is one of this
        view's in flight and newer than the base."""
        sent = self.sent.get(tick)
        if sent is None or tick <= self.base:
            return False
        held = self.held
        undo: dict[int, tuple[bool, State] | None] = {}
        for net_id, now in sent.diff.items():
            undo[net_id] = held.get(net_id)
            if now is None:
                held.pop(net_id, None)
            else:
                held[net_id] = now
        self.base = tick
        self.stale = sent.stale
        for later_tick in [t for t in self.sent if t <= tick]:
            del self.sent[later_tick]
        for later in self.sent.values():  # written against the old base: rebase them
            diff = later.diff
            for net_id, before in undo.items():
                if net_id not in diff:
                    diff[net_id] = before
        return True

    def reset(self, base: int = 0, held: dict[int, tuple[bool, State]] | None = None) -> None:
        """Start over: the peer holds `held` at `base` (nothing at 0)."""
        self.base = base
        self.held = held if held is not None else {}
        self.stale = set()
        self.sent.clear()


@dataclass
class ViewStats:
    candidates: int = 0  # stale entities this tick
    carried: int = 0  # records the snapshot carried
    left: int = 0  # stale entities left for later
    bytes: int = 0  # the body


def encode_view(
    encoder: SnapshotEncoder,
    view: PeerView,
    *,
    relevant: Collection[int] | None = None,
    priorities: Priorities | None = None,
    budget: int | None = None,
    stats: ViewStats | None = None,
) -> tuple[int, bytes]:
    """(baseline, body) of the snapshot of the captured tick for the peer of `view`: a delta
    from `view.base` carrying the stale entities that fit `budget` (bytes of body; None:
    all), highest accumulated priority first. `relevant`: the entities (world ids) the peer
    should hold, None: all. The snapshot is noted as in flight (`view.acknowledge`)."""
    tick = encoder.tick
    records = encoder.records
    if view.base and (not encoder.has_baseline(view.base) or tick - view.base >= encoder.history):
        view.reset()  # the peer may no longer hold its base, or the ring no longer reaches it
    held = view.held
    wanted = None if relevant is None else encoder.net_ids_of(relevant)
    if view.base == 0:
        candidates = set(records) if wanted is None else set(wanted)
        candidates.update(held)
    else:
        candidates = set(view.stale)
        candidates.update(encoder.changed_since(view.base))
        if wanted is not None:
            candidates.update(wanted.difference(held))
            candidates.update(held.keys() - wanted)
    pending: list[tuple[int, str]] = []  # (net id, "spawn" | "update" | "despawn")
    for net_id in candidates:
        record = records.get(net_id)
        want = record is not None and (wanted is None or net_id in wanted)
        have = held.get(net_id)
        if want:
            assert record is not None
            if have is None:
                pending.append((net_id, "spawn"))
            elif have[1] != record.state:
                pending.append((net_id, "update"))
        elif have is not None:
            pending.append((net_id, "despawn"))
    chosen, waiting = _choose(encoder, view, pending, priorities, budget)
    body, carried = _write(encoder, view, chosen)
    for _ in range(FILL_ROUNDS):  # the estimate was high: more, at the bits a record took
        if budget is None or not waiting or not chosen or len(body) >= budget * 0.9:
            break
        per_record = len(body) * 8 / len(chosen)
        more = int((budget - len(body)) * 8 / per_record * 0.9)
        if more < 1:
            break
        chosen, waiting = chosen + waiting[:more], waiting[more:]
        body, carried = _write(encoder, view, chosen)
    while budget is not None and len(body) > budget and len(chosen) > 1:
        # The estimate fell short: the lowest go, about as many as the excess takes.
        per_record = len(body) / len(chosen)
        drop = max(1, math.ceil((len(body) - budget) / per_record))
        chosen = chosen[: max(1, len(chosen) - drop)]
        body, carried = _write(encoder, view, chosen)
    diff: dict[int, tuple[bool, State] | None] = {}
    for net_id, kind in carried:
        record = records.get(net_id)
        gone = kind == "despawn" or record is None
        diff[net_id] = None if gone else (record.spawn_only, dict(record.state))  # type: ignore[union-attr]
        view.priority.pop(net_id, None)
        if gone:
            view.updated_at.pop(net_id, None)
        else:
            view.updated_at[net_id] = tick
    left = {net_id for net_id, _ in pending} - diff.keys()
    for net_id in list(view.priority):
        if net_id not in left:
            del view.priority[net_id]
    view.sent[tick] = _Sent(diff, left)
    if stats is not None:
        stats.candidates, stats.carried, stats.left = len(pending), len(carried), len(left)
        stats.bytes = len(body)
    return view.base, body


def _choose(
    encoder: SnapshotEncoder,
    view: PeerView,
    pending: list[tuple[int, str]],
    priorities: Priorities | None,
    budget: int | None,
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The records a snapshot carries, highest accumulated priority first: despawns, then as
    many others as fit the budget (estimated; `encode_view` trims what the body overshoots).
    The first record always goes, whatever its size: a budget smaller than one record would
    otherwise hold everything back forever. Returns (chosen, the rest in priority order)."""
    if budget is None:
        return sorted(pending), []
    records = encoder.records
    despawns = [item for item in pending if item[1] == "despawn"]
    others = [item for item in pending if item[1] != "despawn"]
    accumulated = view.priority
    if others:
        entities = [records[net_id].entity for net_id, _ in others]
        gains = priorities(entities) if priorities is not None else [1.0] * len(entities)
        for (net_id, _), gain in zip(others, gains, strict=True):
            accumulated[net_id] = accumulated.get(net_id, 0.0) + gain
        others.sort(key=lambda item: (-accumulated[item[0]], item[0]))
    room = budget * 8 - _overhead(encoder) - 8 * len(despawns)
    chosen = list(despawns)
    waiting = []
    for index, item in enumerate(others):
        if room < 16 and index:
            waiting.extend(others[index:])
            break
        cost = _cost(encoder, view, item)
        if cost <= room or index == 0:  # the highest goes whatever its size
            chosen.append(item)
            room -= cost
        else:
            waiting.append(item)
    return chosen, waiting


def _overhead(encoder: SnapshotEncoder) -> int:
    """Bits of a body's frame: counts, parameters, a bit per component type, padding."""
    return 32 + 2 * len(encoder.specs)


def _cost(encoder: SnapshotEncoder, view: PeerView, item: tuple[int, str]) -> int:
    """About how many bits a record takes in a body: its fields exactly, a change as the
    Rice code of its own best parameter, 6 bits of gap and mask per component."""
    net_id, kind = item
    record = encoder.records[net_id]
    specs = encoder.specs
    if kind == "spawn":
        out = BitWriter()
        for type_id, keys in record.state.items():
            _write_keys(out, specs[type_id - 1], keys)
        return 6 + len(specs) + out.bit_length()
    have = view.held[net_id][1]
    bits = 0
    for type_id, keys in record.state.items():
        old = have.get(type_id)
        if old == keys:
            continue
        spec = specs[type_id - 1]
        bits += 6
        if old is None:
            out = BitWriter()
            _write_keys(out, spec, keys)
            bits += len(spec.fields) + out.bit_length()
            continue
        for index, (_, codec) in enumerate(spec.fields):
            if old[index] != keys[index]:
                if index in spec.numeric:
                    bits += zigzag(keys[index] - old[index]).bit_length() + 2
                else:
                    out = BitWriter()
                    codec.write_bits(out, keys[index])
                    bits += out.bit_length()
    return bits + 8 * len(have.keys() - record.state.keys())


def _write_keys(out: BitWriter, spec: ComponentSpec, keys: Keys) -> None:
    for (_, codec), key in zip(spec.fields, keys, strict=True):
        codec.write_bits(out, key)


def _write(
    encoder: SnapshotEncoder, view: PeerView, chosen: list[tuple[int, str]]
) -> tuple[bytes, list[tuple[int, str]]]:
    """The body carrying `chosen` against `view.held`, and the records it carries."""
    records = encoder.records
    held = view.held
    world = encoder.world
    spawns = []
    updates: dict[int, list[tuple[int, Keys | None, Keys]]] = {}
    removals: list[tuple[int, int]] = []
    despawns: list[int] = []
    for net_id, kind in sorted(chosen):
        if kind == "despawn":
            despawns.append(net_id)
            continue
        record = records[net_id]
        if kind == "spawn":
            state = record.state
            if record.spawn_only and world is not None and world.is_alive(record.entity):
                state = encoder.current_state(world, record)  # its values hold at this tick
            spawns.append((net_id, record.spawn_only, state))
            continue
        have = held[net_id][1]
        now = record.state
        for type_id in sorted(now):
            keys, old = now[type_id], have.get(type_id)
            if old != keys:
                updates.setdefault(type_id, []).append((net_id, old, keys))
        for type_id in sorted(have.keys() - now.keys()):
            removals.append((net_id, type_id))
    body = write_body(encoder.specs, spawns, dict(sorted(updates.items())), removals, despawns)
    return body, chosen


# -- budgets ---------------------------------------------------------------------------------

FILL_ROUNDS = 2  # rewrites of a body well under its budget, with more records
MIN_BUDGET = 512  # bytes per tick a budget never falls under
START_BUDGET = 16 * 1024  # bytes per tick before the link has been measured
LOSS_HIGH = 0.1  # packet loss over which a budget shrinks to what got through


@dataclass
class LinkBudget:
    """A peer's snapshot budget in bytes per tick: from its measured bandwidth, capped.

    It starts at START_BUDGET. While the link loses more than LOSS_HIGH of its packets,
    the budget falls to 90% of the bytes per tick that were acknowledged (what the link
    carried), at least MIN_BUDGET; while it loses less and snapshots are cut to fit, it
    grows by a quarter a tick. The server's cap, if any, bounds it (even under the floor)."""

    cap: int | None = None
    budget: float = START_BUDGET
    limited: bool = False  # the last snapshot was cut to fit

    def update(self, loss: float, acked_bytes_per_tick: float) -> int:
        if loss > LOSS_HIGH and acked_bytes_per_tick > 0:
            self.budget = max(MIN_BUDGET, min(self.budget, 0.9 * acked_bytes_per_tick))
        elif self.limited:
            self.budget *= 1.25
        self.budget = max(self.budget, MIN_BUDGET)
        if self.cap is not None:  # the server's word is the last, below the floor too
            self.budget = min(self.budget, self.cap)
        return math.floor(self.budget)


# -- the game's hooks ------------------------------------------------------------------------


RelevantHook = Callable[["World", Any], "Collection[int] | None"]  # (world, peer) -> entities
PriorityHook = Callable[["World", Any, Sequence[int]], Sequence[float]]


@dataclass
class ReplicationHooks:
    """What a game decides of replication, per peer (a server world resource; absent: every
    entity relevant, priority 1, the budget from the link alone).

    `relevant(world, peer)`: the entities the peer should hold (rooms, distance, a game's
    rule), or None for all of them; entities enter its view as spawns and leave as
    despawns. `priority(world, peer, entities)`: how urgently each waits (own and nearby
    things high, far bullets low), called only for what waits to be sent when a budget
    binds. The budget's cap is the server's, not the game's: `ServerNet.snapshot_budget`."""

    relevant: RelevantHook | None = None
    priority: PriorityHook | None = None
