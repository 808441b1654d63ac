"""Replication v2 benchmarks (issue 16), run by `python -m tools.bench` by name:

bits       The byte workload: N shooter entities (tools.bench.populate's mix), a fraction
           of them drifting less than 1 px per axis per 20 Hz tick (each with its own
           velocity, uniform in -0.95..0.95 px per tick and axis), and 1% of the entities
           with hit points losing 1..10 of them each tick. Per tick: the delta body's
           bytes (+ the 13-byte header), body bytes per moving entity, the information
           floor of the changes (which entities moved: log2 C(N, m); two changes of at
           most 17 values each: 2 log2 17 per mover; which hit points changed and by how
           much: log2 C(N, h) + h log2 10) and the naive encoding (every field of every
           entity in 32 bits, tools.netreport); the encoder's CPU time (thread time of
           `capture` + `encode` from the previous tick) and the decoder's (`apply`).

idle       1,000 static replicated entities (Transform and a Tag each) on a bare engine
           server with 4 clients over the in-memory network (engine.testing), stepped
           at 60 Hz for 10 s of manual clock: the server's thread CPU time in its steps
           per second of play (its share of a core), and of it the snapshot system's.

baselines  32 peers spread over three baselines (20 on the previous tick, 8 two ticks
           back, 4 three back) against one shared encoding: per tick the encoder's
           thread time for `capture` and every peer's `encode` (served from the cache
           per baseline) against `capture` + one `encode`.

Each works against the previous encoder too (the API it uses did not change), so the
figures can be taken A/B: `git archive OLD | tar -x -C /tmp/base`, copy tools/bench*.py
there, run the same command in both trees.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.components import Transform
from engine.net.codec import Quantized, UVarint
from engine.net.replication import Replicated, SnapshotDecoder, SnapshotEncoder
from engine.net.schema import NetSchema
from engine.net.sync import ServerSnapshotSystem
from engine.phases import Role
from engine.world import World
from game.net.schema import shooter_schema
from game.rules.battlefield import Battlefield
from game.rules.components import Health
from game.rules.plugin import shooter_world
from tools.netreport import naive_tick_bytes

HEADER_BYTES = 13
BITS_SIZES = ((1000, 0.1), (1000, 1.0), (5000, 1.0))
BITS_SIZES_QUICK = ((1000, 0.1), (1000, 1.0))
BITS_TICKS = 100
BITS_TICKS_QUICK = 10
WARMUP = 3
DRIFT = 0.95  # px per tick and axis, at most: less than one
HEALTH_SHARE = 0.01
IDLE_ENTITIES = 1000
IDLE_CLIENTS = 4
IDLE_SECONDS = 10.0
IDLE_SECONDS_QUICK = 2.0
BASELINE_PEERS = (20, 8, 4)  # peers on the previous tick, two back, three back
BASELINE_SIZES = ((1000, 0.1), (1000, 1.0), (5000, 1.0))
BASELINE_SIZES_QUICK = ((1000, 0.1),)


def summarize(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    if not values:
        return {"median": 0.0, "p99": 0.0, "mean": 0.0, "max": 0.0, "samples": 0}
    ordered = sorted(values)
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return {
        "median": statistics.median(values) * scale,
        "p99": ordered[min(rank, len(ordered)) - 1] * scale,
        "mean": statistics.fmean(values) * scale,
        "max": ordered[-1] * scale,
        "samples": len(values),
    }


def log2_choose(n: int, k: int) -> float:
    """log2 of n choose k."""
    if not 0 <= k <= n:
        return 0.0
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


# -- the workload ----------------------------------------------------------------------------


@dataclass
class Workload:
    """A shooter server world whose movers drift and whose hit points trickle down."""

    world: World
    movers: list[tuple[Transform, float, float]]
    healths: list[Health]
    rng: random.Random
    replicated: int

    def step(self) -> tuple[int, int]:
        """One tick of change: (entities moved, hit points changed)."""
        for transform, dx, dy in self.movers:
            transform.x += dx
            transform.y += dy
        changed = self.rng.sample(self.healths, min(len(self.healths), self.health_changes))
        for health in changed:
            health.hitpoints -= self.rng.randint(1, 10)
        return len(self.movers), len(changed)

    @property
    def health_changes(self) -> int:
        return max(1, round(self.replicated * HEALTH_SHARE))


def workload(count: int, fraction: float, seed: int) -> Workload:
    from tools.bench import populate

    world = shooter_world(Role.SERVER, seed=seed)
    battlefield = world.resource(Battlefield)
    rng = random.Random(seed)
    populate(world, count, rng, top=0.0, height=battlefield.spec.world_height)
    diffable = sorted(
        entity
        for entity, replicated in world.query_one(Replicated)
        if not replicated.spawn_only and world.has_component(entity, Transform)
    )
    chosen = rng.sample(diffable, max(1, round(len(diffable) * fraction)))
    movers = [
        (world.component(e, Transform), rng.uniform(-DRIFT, DRIFT), rng.uniform(-DRIFT, DRIFT))
        for e in sorted(chosen)
    ]
    healths = [health for _, health in sorted(world.query_one(Health), key=lambda p: p[0])]
    replicated = len(world.query_one(Replicated))
    return Workload(world, movers, healths, rng, replicated)


# -- bits ------------------------------------------------------------------------------------


def bits_run(count: int, fraction: float, ticks: int, *, seed: int = 1) -> dict[str, Any]:
    registry = shooter_schema().components
    load = workload(count, fraction, seed)
    server = load.world
    client = World(Role.CLIENT)
    try:
        encoder = SnapshotEncoder(registry)
        decoder = SnapshotDecoder(registry, smooth=False)
        encoder.capture(server, 1)
        _, body = encoder.encode(0)
        full_bytes = len(body)
        decoder.apply(client, 1, 0, body)
        client.flush()
        sizes: list[int] = []
        per_mover: list[float] = []
        floors: list[float] = []
        naive: list[int] = []
        encode_s: list[float] = []
        decode_s: list[float] = []
        move_s: list[float] = []
        tick = 1
        for index in range(WARMUP + ticks):
            tick += 1
            started = time.thread_time()
            moved, healed = load.step()
            stepped = time.thread_time()
            encoder.capture(server, tick)
            _, body = encoder.encode(tick - 1)
            encoded = time.thread_time()
            decoder.apply(client, tick, tick - 1, body)
            decoded = time.thread_time()
            client.flush()
            if index < WARMUP:
                continue
            n = load.replicated
            floor_bits = (
                log2_choose(n, moved)
                + moved * 2 * math.log2(17)
                + log2_choose(len(load.healths), healed)
                + healed * math.log2(10)
            )
            sizes.append(len(body))
            per_mover.append(len(body) / moved)
            floors.append(floor_bits / 8)
            naive.append(naive_tick_bytes(server, registry) + HEADER_BYTES)
            move_s.append(stepped - started)
            encode_s.append(encoded - stepped)
            decode_s.append(decoded - encoded)
        body_median = statistics.median(sizes)
        floor_median = statistics.median(floors)
        return {
            "entities": count,
            "moving_fraction": fraction,
            "moving": len(load.movers),
            "health_changes": load.health_changes,
            "ticks": ticks,
            "body_bytes": summarize(sizes),
            "bytes_per_tick": body_median + HEADER_BYTES,
            "body_bytes_per_mover": statistics.median(per_mover),
            "floor_bytes": floor_median,
            "floor_bytes_per_mover": floor_median / len(load.movers),
            "ratio_to_floor": body_median / floor_median,
            "naive_bytes": statistics.median(naive),
            "full_state_bytes": full_bytes + HEADER_BYTES,
            "encode_ms": summarize(encode_s, 1000),
            "decode_ms": summarize(decode_s, 1000),
            "move_ms": summarize(move_s, 1000),
            "client_matches_server": _matches(server, decoder, registry),
        }
    finally:
        client.close()
        server.close()


def _matches(server: World, decoder: SnapshotDecoder, registry: Any) -> bool:
    """The decoder's newest state holds the server's keys for every diffed component."""
    held = decoder.state
    for entity, replicated in server.query_one(Replicated):
        known = held.get(replicated.net_id)
        if known is None:
            return False
        if replicated.spawn_only:
            continue
        for component in server.components_of(entity):
            spec = registry.by_type.get(type(component))
            if spec is None or spec.initial_only:
                continue
            if known.get(spec.type_id) != spec.keys(component):
                return False
    return len(held) == len(server.query_one(Replicated))


def run_bits(
    sizes: Sequence[tuple[int, float]] = BITS_SIZES,
    ticks: int = BITS_TICKS,
    *,
    seed: int = 1,
    report: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for count, fraction in sizes:
        row = bits_run(count, fraction, ticks, seed=seed)
        rows.append(row)
        if report is not None:
            report(row)
    return rows


# -- idle ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Tag:
    """A second replicated component on the idle scenario's entities."""

    kind: int = 0


def idle_schema() -> NetSchema:
    schema = NetSchema()
    position = Quantized(8, -16384, 16384)
    schema.components.register(
        Transform,
        {"x": position, "y": position, "angle": Quantized(2, -720, 720, period=360)},
        interpolate=True,
    )
    schema.components.register(Tag, {"kind": UVarint(255)})
    return schema


class _Timed:
    """Wraps a system: adds up the thread time its updates take."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def update(self, world: World, dt: float) -> None:
        started = time.thread_time()
        self.inner.update(world, dt)
        self.seconds += time.thread_time() - started


def idle_run(
    entities: int = IDLE_ENTITIES,
    clients: int = IDLE_CLIENTS,
    seconds: float = IDLE_SECONDS,
    *,
    seed: int = 1,
) -> dict[str, Any]:
    from engine.runtime import settle_garbage_collector
    from engine.testing import STEP, LoopbackNetwork

    net = LoopbackNetwork(idle_schema, clients=clients, seed=seed)
    try:
        rng = random.Random(seed)
        for index in range(entities):
            net.server.create(
                Replicated(), Transform(rng.uniform(0, 4000), rng.uniform(0, 4000)), Tag(index % 7)
            )
        net.step(120)  # everyone joined and holds the full state
        for world in net.clients:
            assert len(world.query_one(Replicated)) == entities, "a client lacks the world"
        snapshots = net.server.get_system(ServerSnapshotSystem)
        timed = _Timed(snapshots)
        _swap_system(net.server, snapshots, timed)
        settle_garbage_collector()
        steps = round(seconds / STEP)
        busy = 0.0
        for _ in range(steps):
            net.clock.advance(STEP)
            started = time.thread_time()
            net.server.step()
            busy += time.thread_time() - started
            for world in net.clients:
                world.step()
        return {
            "entities": entities,
            "clients": clients,
            "seconds": seconds,
            "server_core_share": busy / seconds,
            "snapshot_core_share": timed.seconds / seconds,
            "snapshot_bytes": net.server_net.snapshot_bytes,
        }
    finally:
        net.close()


def _swap_system(world: World, old: Any, new: Any) -> None:
    """Put `new` where `old` runs (same phase, sets and conditions)."""
    for entries in world._systems.values():  # noqa: SLF001 - a bench's instrument
        for entry in entries:
            if entry.system is old:
                entry.system, entry.fn = new, new.update
    world._reschedule(list(world._systems))  # noqa: SLF001


# -- baselines -------------------------------------------------------------------------------


def baselines_run(
    count: int, fraction: float, ticks: int, *, seed: int = 1, peers: Sequence[int] = BASELINE_PEERS
) -> dict[str, Any]:
    """The encoder's work for 32 peers on three baselines against one shared encoding, tick
    by tick in turn: capture + one encode; capture + what the server sends each peer
    (`SnapshotEncoder.deltas`: a peer up to CHAIN_TICKS behind gets the one-tick deltas it
    lacks, encoded once each); the same with folded deltas only (chain=0, and with the
    previous encoder, which has no `deltas`, `encode` per peer)."""
    registry = shooter_schema().components
    load = workload(count, fraction, seed)
    server = load.world
    try:
        encoder = SnapshotEncoder(registry)
        encoder.capture(server, 1)
        encoder.encode(0)
        chained = hasattr(encoder, "deltas")
        times: dict[str, list[float]] = {"shared": [], "chains": [], "folds": []}
        capture_s: list[float] = []
        sizes: dict[str, list[int]] = {"chains": [], "folds": []}
        tick = 1
        for index in range(WARMUP + 3 * ticks):
            tick += 1
            load.step()
            started = time.thread_time()
            encoder.capture(server, tick)
            captured = time.thread_time()
            mode = ("shared", "chains", "folds")[index % 3]
            sent = 0
            if mode == "shared":
                encoder.encode(tick - 1)
            else:
                for back, many in enumerate(peers, start=1):
                    for _ in range(many):
                        if chained:
                            plan = encoder.deltas(tick - back, 3 if mode == "chains" else 0)
                            sent += sum(len(body) for _, _, body in plan)
                        else:
                            sent += len(encoder.encode(tick - back)[1])
            done = time.thread_time()
            if index >= WARMUP:
                times[mode].append(done - started)
                if mode == "shared":
                    capture_s.append(captured - started)
                else:
                    sizes[mode].append(sent)
        one = statistics.median(times["shared"])
        return {
            "entities": count,
            "moving_fraction": fraction,
            "peers": list(peers),
            "shared_ms": summarize(times["shared"], 1000),
            "capture_ms": summarize(capture_s, 1000),
            "three_baselines_ms": summarize(times["chains"], 1000),
            "three_baselines_folded_ms": summarize(times["folds"], 1000),
            "ratio": statistics.median(times["chains"]) / one,
            "ratio_folded": statistics.median(times["folds"]) / one,
            "bytes_per_tick_chains": statistics.median(sizes["chains"]),
            "bytes_per_tick_folds": statistics.median(sizes["folds"]),
        }
    finally:
        server.close()


def run_baselines(
    sizes: Sequence[tuple[int, float]] = BASELINE_SIZES,
    ticks: int = BITS_TICKS,
    *,
    seed: int = 1,
    report: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    rows = []
    for count, fraction in sizes:
        row = baselines_run(count, fraction, ticks, seed=seed)
        rows.append(row)
        if report is not None:
            report(row)
    return rows


def main() -> None:  # a quick look without tools.bench: python -m tools.bench_replication
    for row in run_bits(BITS_SIZES_QUICK, 20):
        print(
            f"bits {row['entities']} {row['moving_fraction']:.0%}: "
            f"{row['bytes_per_tick']:.0f} B/tick, {row['body_bytes_per_mover']:.2f} B/mover, "
            f"floor {row['floor_bytes_per_mover']:.2f}, x{row['ratio_to_floor']:.2f}, "
            f"encode {row['encode_ms']['median']:.3f} ms, decode {row['decode_ms']['median']:.3f}"
            f" ms, move {row['move_ms']['median']:.3f} ms, ok {row['client_matches_server']}"
        )


if __name__ == "__main__":
    main()


# -- entropy ---------------------------------------------------------------------------------


class RangeCoder:
    """An adaptive multi-symbol range coder (32-bit, carry-less, Subbotin's), with one
    frequency model per stream: what an entropy stage would cost in pure Python."""

    TOP, BOTTOM = 1 << 24, 1 << 16

    def __init__(self) -> None:
        self.low, self.range = 0, 0xFFFFFFFF
        self.out = bytearray()

    def encode(self, cum: int, freq: int, total: int) -> None:
        r = self.range // total
        self.low += r * cum
        self.range = r * freq
        while True:
            if (self.low ^ (self.low + self.range)) >= self.TOP:
                if self.range >= self.BOTTOM:
                    break
                self.range = -self.low & (self.BOTTOM - 1)
            self.out.append((self.low >> 24) & 0xFF)
            self.low = (self.low << 8) & 0xFFFFFFFF
            self.range = (self.range << 8) & 0xFFFFFFFF

    def finish(self) -> bytes:
        for _ in range(4):
            self.out.append((self.low >> 24) & 0xFF)
            self.low = (self.low << 8) & 0xFFFFFFFF
        return bytes(self.out)


class AdaptiveModel:
    """Frequencies of symbols 0..size-1 (the last one an escape), +24 per sighting."""

    def __init__(self, size: int) -> None:
        self.freq = [1] * size
        self.total = size

    def code(self, coder: RangeCoder, symbol: int) -> float:
        freq = self.freq
        cum = sum(freq[:symbol])
        bits = -math.log2(freq[symbol] / self.total)
        coder.encode(cum, freq[symbol], self.total)
        freq[symbol] += 24
        self.total += 24
        if self.total > 1 << 15:
            self.freq = [(f + 1) // 2 for f in freq]
            self.total = sum(self.freq)
        return bits


def _symbol_streams(specs: Sequence[Any], body: bytes) -> list[tuple[str, int]]:
    """A delta body as (stream, symbol) pairs: each block's net id gaps, whether a record's
    mask is its predecessor's, and each numeric field's zigzagged changes (escaped past 63,
    the escape followed by the value in 32 bits)."""
    from engine.net.bits import zigzag
    from engine.net.body import parse_body

    parsed = parse_body(specs, body)
    pairs: list[tuple[str, int]] = []
    for type_id, records in parsed.updates:
        spec = specs[type_id - 1]
        previous, last_mask = 0, None
        for net_id, mask, values in records:
            pairs.append((f"gap{type_id}", net_id - previous - 1))
            previous = net_id
            pairs.append((f"same{type_id}", int(mask == last_mask)))
            last_mask = mask
            given = iter(values)
            for index in range(len(spec.fields)):
                if mask >> index & 1:
                    value = next(given)
                    if index in spec.numeric:
                        pairs.append((f"d{type_id}.{index}", zigzag(value)))
    return pairs


def entropy_run(count: int, fraction: float, *, seed: int = 1, ticks: int = 30) -> dict[str, Any]:
    """Bytes and time of entropy stages on the bits workload's bodies: zlib (with and without
    a preset dictionary of earlier bodies), zstd with a trained dictionary (if the
    zstandard package is importable), and an adaptive range coder over the bodies' symbols."""
    import zlib

    from engine.net.replication import SnapshotEncoder

    registry = shooter_schema().components
    load = workload(count, fraction, seed)
    try:
        encoder = SnapshotEncoder(registry)
        encoder.capture(load.world, 1)
        full = encoder.encode(0)[1]
        bodies = []
        for tick in range(2, 2 + 2 * ticks):
            load.step()
            encoder.capture(load.world, tick)
            bodies.append(encoder.encode(tick - 1)[1])
        train, test = bodies[:ticks], bodies[ticks:]
        specs = encoder.specs
    finally:
        load.world.close()
    zdict = b"".join(train)[-32768:]
    sizes: dict[str, list[int]] = {"bits": [], "zlib": [], "zlib+dict": []}
    seconds: dict[str, float] = {"zlib+dict": 0.0}
    for body in test:
        sizes["bits"].append(len(body))
        sizes["zlib"].append(len(zlib.compress(body, 6)))
        started = time.thread_time()
        packer = zlib.compressobj(6, zdict=zdict)
        packed = packer.compress(body) + packer.flush()
        unpacker = zlib.decompressobj(zdict=zdict)
        assert unpacker.decompress(packed) == body
        seconds["zlib+dict"] += time.thread_time() - started
        sizes["zlib+dict"].append(len(packed))
    try:
        import zstandard
    except ImportError:
        zstandard = None
    if zstandard is not None:
        trained = zstandard.train_dictionary(8192, train * 4)
        packer = zstandard.ZstdCompressor(level=3, dict_data=trained)
        unpacker = zstandard.ZstdDecompressor(dict_data=trained)
        sizes["zstd+dict"] = []
        seconds["zstd+dict"] = 0.0
        for body in test:
            started = time.thread_time()
            packed = packer.compress(body)
            assert unpacker.decompress(packed) == body
            seconds["zstd+dict"] += time.thread_time() - started
            sizes["zstd+dict"].append(len(packed))
    sizes["range coder"] = []
    ideal: list[float] = []
    seconds["range coder"] = 0.0
    models: dict[str, AdaptiveModel] = {}
    for body in test:
        streams = _symbol_streams(specs, body)
        started = time.thread_time()
        coder = RangeCoder()
        bits = 0.0
        for stream, symbol in streams:
            model = models.get(stream)
            if model is None:
                model = models[stream] = AdaptiveModel(65)
            if symbol < 64:
                bits += model.code(coder, symbol)
            else:
                bits += model.code(coder, 64) + 32
                coder.encode(symbol & 0xFFFF, 1, 1 << 16)
                coder.encode((symbol >> 16) & 0xFFFF, 1, 1 << 16)
        packed = coder.finish()
        seconds["range coder"] += time.thread_time() - started
        sizes["range coder"].append(len(packed))
        ideal.append(bits / 8)
    full_sizes = {"bits": len(full), "zlib": len(zlib.compress(full, 6))}
    if zstandard is not None:
        full_sizes["zstd+dict"] = len(packer.compress(full))
    return {
        "entities": count,
        "moving_fraction": fraction,
        "body_bytes": {name: statistics.median(values) for name, values in sizes.items()},
        "range_coder_ideal_bytes": statistics.median(ideal),
        "ms_per_body": {name: total * 1000 / len(test) for name, total in seconds.items()},
        "full_state_bytes": full_sizes,
        "note": "models carried across bodies: a real link would need them in step on both ends",
    }


# -- budget ----------------------------------------------------------------------------------

BUDGET_SHARE = 0.25  # of what the shared delta needs
BUDGET_PEERS = 4


def budget_run(
    count: int = 1000, fraction: float = 1.0, ticks: int = BITS_TICKS, *, seed: int = 1
) -> dict[str, Any]:
    """Snapshots of a peer's own under a byte budget of a quarter of what the world's changes
    need (the shared delta's median size over the warm-up): how long an entity waits
    between the snapshots that carry it, with every entity at priority 1 and with
    priorities by distance (near 4x far), bytes per body, the encoder's time per peer,
    and whether every peer holds the server's state once the world stops and what
    waited has drained. Acknowledgements come back the next tick (no loss)."""
    from engine.net.views import PeerView, ViewStats, encode_view

    registry = shooter_schema().components
    load = workload(count, fraction, seed)
    server = load.world
    clients = [World(Role.CLIENT) for _ in range(BUDGET_PEERS)]
    try:
        encoder = SnapshotEncoder(registry)
        encoder.capture(server, 1)
        full = encoder.encode(0)[1]
        needs = []
        for tick in range(2, 2 + WARMUP * 2):
            load.step()
            encoder.capture(server, tick)
            needs.append(len(encoder.encode(tick - 1)[1]))
        budget = max(64, round(statistics.median(needs) * BUDGET_SHARE))
        tick = 1 + WARMUP * 2
        transforms = {e: t for e, t in server.query_one(Transform)}

        def by_distance(entities: Sequence[int]) -> list[float]:
            found = []
            for entity in entities:
                transform = transforms.get(entity)
                far = 0.0 if transform is None else abs(transform.y - 4000.0) / 4000.0
                found.append(4.0 if far < 0.25 else 1.0)
            return found

        decoders = [SnapshotDecoder(registry, smooth=False) for _ in clients]
        views = [PeerView() for _ in clients]
        for decoder, client, view in zip(decoders, clients, views, strict=True):
            base, body = encode_view(encoder, view)
            decoder.apply(client, encoder.tick, base, body)
            client.flush()
            view.acknowledge(encoder.tick)
        del full
        carried: list[dict[int, list[int]]] = [{} for _ in clients]
        sizes: list[int] = []
        seconds: list[float] = []
        prioritized = [None, by_distance, None, by_distance]
        for _ in range(ticks):
            tick += 1
            load.step()
            encoder.capture(server, tick)
            for index, (decoder, client, view) in enumerate(
                zip(decoders, clients, views, strict=True)
            ):
                stats = ViewStats()
                started = time.thread_time()
                base, body = encode_view(
                    encoder, view, priorities=prioritized[index], budget=budget, stats=stats
                )
                seconds.append(time.thread_time() - started)
                sizes.append(len(body))
                decoder.apply(client, tick, base, body)
                client.flush()
                view.acknowledge(tick)
                for net_id, at in view.updated_at.items():
                    if at == tick:
                        carried[index].setdefault(net_id, []).append(tick)
        start = tick - ticks
        waits: list[list[int]] = [[], []]  # plain, by distance
        for index, found in enumerate(carried):
            for ticks_carried in found.values():
                marks = [start, *ticks_carried]
                waits[index % 2].extend(b - a for a, b in zip(marks, marks[1:], strict=False))
        drained = 0
        while any(view.stale for view in views) and drained < 10 * ticks:
            tick += 1
            drained += 1
            encoder.capture(server, tick)
            for decoder, client, view in zip(decoders, clients, views, strict=True):
                base, body = encode_view(encoder, view, budget=budget)
                decoder.apply(client, tick, base, body)
                client.flush()
                view.acknowledge(tick)
        matches = all(_matches(server, decoder, registry) for decoder in decoders)
        return {
            "entities": count,
            "moving_fraction": fraction,
            "peers": BUDGET_PEERS,
            "shared_delta_bytes": statistics.median(needs),
            "budget_bytes": budget,
            "body_bytes": summarize(sizes),
            "max_wait_ticks": max(waits[0]),
            "p99_wait_ticks": summarize(waits[0])["p99"],
            "max_wait_ticks_prioritized": max(waits[1]),
            "p99_wait_ticks_prioritized": summarize(waits[1])["p99"],
            "encode_ms_per_peer": summarize(seconds, 1000),
            "drain_ticks": drained,
            "clients_match_server": matches,
        }
    finally:
        for client in clients:
            client.close()
        server.close()


# -- interest --------------------------------------------------------------------------------

ARENA = 20_000.0  # px square
INTEREST_ENTITIES = 5000
INTEREST_RADII = (1500.0, 3000.0, 4500.0, 6000.0)  # one client each, in different places
INTEREST_SPEED = 40.0  # px a tick each client's focus moves


def interest_run(
    count: int = INTEREST_ENTITIES, fraction: float = 0.1, ticks: int = BITS_TICKS, *, seed: int = 1
) -> dict[str, Any]:
    """5,000 entities over a 20,000 px square arena, 10% drifting; four clients, each seeing
    the entities within its radius of a focus that moves across the arena (so entities enter
    and leave its view: spawns and despawns). Per client: entities relevant, bytes per tick,
    bytes per relevant entity; the shared delta (what a client seeing everything gets); the
    time to find what is relevant (a grid of 500 px cells, built once a tick for every
    client: the game's part) and to encode each client's snapshot (the engine's part);
    whether each client holds exactly what it should, as the server has it, at the end."""
    from engine.net.views import PeerView, ViewStats, encode_view

    registry = shooter_schema().components
    rng = random.Random(seed)
    server = World(Role.SERVER)
    clients = [World(Role.CLIENT) for _ in INTEREST_RADII]
    try:
        position = registry.by_type[Transform].fields[0][1]
        transforms: list[tuple[int, Transform]] = []
        for _ in range(count):
            transform = Transform(rng.uniform(0, ARENA), rng.uniform(0, ARENA))
            transforms.append((server.create(Replicated(), transform, Health(10, 10)), transform))
        movers = [
            (t, rng.uniform(-DRIFT, DRIFT), rng.uniform(-DRIFT, DRIFT))
            for _, t in rng.sample(transforms, round(count * fraction))
        ]
        foci = [
            [rng.uniform(0, ARENA), rng.uniform(0, ARENA), rng.choice((-1, 1)), rng.choice((-1, 1))]
            for _ in INTEREST_RADII
        ]
        cell = 500.0

        def grid() -> dict[tuple[int, int], list[tuple[int, Transform]]]:
            cells: dict[tuple[int, int], list[tuple[int, Transform]]] = {}
            for entity, transform in transforms:
                key = (int(transform.x // cell), int(transform.y // cell))
                cells.setdefault(key, []).append((entity, transform))
            return cells

        def relevant(cells: dict, focus: list[float], radius: float) -> set[int]:  # type: ignore[type-arg]
            fx, fy = focus[0], focus[1]
            reach = int(radius // cell) + 1
            cx, cy = int(fx // cell), int(fy // cell)
            limit = radius * radius
            found = set()
            for gx in range(cx - reach, cx + reach + 1):
                for gy in range(cy - reach, cy + reach + 1):
                    for entity, transform in cells.get((gx, gy), ()):
                        if (transform.x - fx) ** 2 + (transform.y - fy) ** 2 <= limit:
                            found.add(entity)
            return found

        encoder = SnapshotEncoder(registry)
        decoders = [SnapshotDecoder(registry, smooth=False) for _ in clients]
        views = [PeerView() for _ in clients]
        per_client: list[dict[str, list[float]]] = [
            {"bytes": [], "relevant": [], "encode": []} for _ in clients
        ]
        shared: list[int] = []
        find_s: list[float] = []
        spawns = despawns = 0
        for tick in range(1, WARMUP + ticks + 1):
            for transform, dx, dy in movers:
                transform.x += dx
                transform.y += dy
            for focus in foci:
                for axis in (0, 1):
                    focus[axis] += focus[axis + 2] * INTEREST_SPEED
                    if not 0 <= focus[axis] <= ARENA:
                        focus[axis + 2] *= -1
            encoder.capture(server, tick)
            if tick > 1:
                shared.append(len(encoder.encode(tick - 1)[1]))
            started = time.thread_time()
            cells = grid()
            sets = [
                relevant(cells, focus, r) for focus, r in zip(foci, INTEREST_RADII, strict=True)
            ]
            find_s.append(time.thread_time() - started)
            for index, view in enumerate(views):
                stats = ViewStats()
                started = time.thread_time()
                base, body = encode_view(encoder, view, relevant=sets[index], stats=stats)
                spent = time.thread_time() - started
                result = decoders[index].apply(clients[index], tick, base, body)
                clients[index].flush()
                view.acknowledge(tick)
                if tick > WARMUP:
                    per_client[index]["bytes"].append(len(body) + HEADER_BYTES)
                    per_client[index]["relevant"].append(len(sets[index]))
                    per_client[index]["encode"].append(spent)
                    spawns += len(result.spawned)
                    despawns += len(result.despawned)
        matches = True
        for index, decoder in enumerate(decoders):
            wanted = {server.component(e, Replicated).net_id for e in sets[index]}
            held = decoder.state
            if set(held) != wanted:
                matches = False
            for entity in sets[index]:
                net_id = server.component(entity, Replicated).net_id
                keys = registry.by_type[Transform].keys(server.component(entity, Transform))
                if held.get(net_id, {}).get(1) != keys:
                    matches = False
        rows = []
        for radius, figures in zip(INTEREST_RADII, per_client, strict=True):
            sees = statistics.median(figures["relevant"])
            sent = statistics.median(figures["bytes"])
            rows.append(
                {
                    "radius": radius,
                    "relevant": sees,
                    "bytes_per_tick": sent,
                    "bytes_per_relevant": sent / max(1.0, sees),
                    "encode_ms": statistics.median(figures["encode"]) * 1000,
                }
            )
        del position
        return {
            "entities": count,
            "moving_fraction": fraction,
            "arena_px": ARENA,
            "clients": rows,
            "shared_delta_bytes": statistics.median(shared) + HEADER_BYTES,
            "find_relevant_ms": statistics.median(find_s) * 1000,
            "spawns": spawns,
            "despawns": despawns,
            "clients_match_server": matches,
        }
    finally:
        for client in clients:
            client.close()
        server.close()


# -- tables and targets (tools.bench prints and judges these) --------------------------------


def _ms(row: dict[str, Any], key: str) -> str:
    return f"{row[key]['median']:.3f}"


BITS_COLUMNS = (
    ("entities", 8, lambda r: str(r["entities"])),
    ("moving", 6, lambda r: f"{r['moving_fraction']:.0%}"),
    ("B/tick", 7, lambda r: f"{r['bytes_per_tick']:.0f}"),
    ("B/mover", 7, lambda r: f"{r['body_bytes_per_mover']:.2f}"),
    ("floor", 6, lambda r: f"{r['floor_bytes_per_mover']:.2f}"),
    ("x floor", 7, lambda r: f"{r['ratio_to_floor']:.2f}"),
    ("naive B", 8, lambda r: f"{r['naive_bytes']:.0f}"),
    ("encode ms", 9, lambda r: _ms(r, "encode_ms")),
    ("p99", 6, lambda r: f"{r['encode_ms']['p99']:.2f}"),
    ("decode ms", 9, lambda r: _ms(r, "decode_ms")),
    ("move ms", 7, lambda r: _ms(r, "move_ms")),
    ("full B", 7, lambda r: str(r["full_state_bytes"])),
    ("ok", 3, lambda r: "yes" if r["client_matches_server"] else "NO"),
)
IDLE_COLUMNS = (
    ("entities", 8, lambda r: str(r["entities"])),
    ("clients", 7, lambda r: str(r["clients"])),
    ("server", 7, lambda r: f"{r['server_core_share']:.2%}"),
    ("snapshots", 9, lambda r: f"{r['snapshot_core_share']:.2%}"),
    ("snap B", 6, lambda r: str(r["snapshot_bytes"])),
)
BASELINE_COLUMNS = (
    ("entities", 8, lambda r: str(r["entities"])),
    ("moving", 6, lambda r: f"{r['moving_fraction']:.0%}"),
    ("shared ms", 9, lambda r: _ms(r, "shared_ms")),
    ("capture", 7, lambda r: _ms(r, "capture_ms")),
    ("3 bases ms", 10, lambda r: _ms(r, "three_baselines_ms")),
    ("ratio", 5, lambda r: f"{r['ratio']:.2f}"),
    ("folded ms", 9, lambda r: _ms(r, "three_baselines_folded_ms")),
    ("ratio", 5, lambda r: f"{r.get('ratio_folded', 0.0):.2f}"),
    ("B chains", 8, lambda r: f"{r.get('bytes_per_tick_chains', 0):.0f}"),
    ("B folds", 8, lambda r: f"{r.get('bytes_per_tick_folds', 0):.0f}"),
)
BUDGET_COLUMNS = (
    ("entities", 8, lambda r: str(r["entities"])),
    ("moving", 6, lambda r: f"{r['moving_fraction']:.0%}"),
    ("needs B", 7, lambda r: f"{r['shared_delta_bytes']:.0f}"),
    ("budget", 6, lambda r: str(r["budget_bytes"])),
    ("body B", 6, lambda r: f"{r['body_bytes']['median']:.0f}"),
    ("max B", 5, lambda r: f"{r['body_bytes']['max']:.0f}"),
    ("N", 3, lambda r: str(r["max_wait_ticks"])),
    ("p99", 4, lambda r: f"{r['p99_wait_ticks']:.0f}"),
    ("N prio", 6, lambda r: str(r["max_wait_ticks_prioritized"])),
    ("ms/peer", 7, lambda r: _ms(r, "encode_ms_per_peer")),
    ("drain", 5, lambda r: str(r["drain_ticks"])),
    ("ok", 3, lambda r: "yes" if r["clients_match_server"] else "NO"),
)
INTEREST_COLUMNS = (
    ("radius", 6, lambda r: f"{r['radius']:.0f}"),
    ("sees", 5, lambda r: f"{r['relevant']:.0f}"),
    ("B/tick", 6, lambda r: f"{r['bytes_per_tick']:.0f}"),
    ("B/seen", 6, lambda r: f"{r['bytes_per_relevant']:.2f}"),
    ("encode ms", 9, lambda r: f"{r['encode_ms']:.3f}"),
)


def header(columns: Sequence[tuple[str, int, Any]]) -> str:
    return " ".join(f"{title:>{width}}" for title, width, _ in columns)


def line(columns: Sequence[tuple[str, int, Any]], row: dict[str, Any]) -> str:
    return " ".join(f"{cell(row):>{width}}" for _, width, cell in columns)


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """Issue 16's targets: (name, goal, measured, met) for what this run measured."""
    found: list[tuple[str, str, str, bool | None]] = []
    bits = {(r["entities"], r["moving_fraction"]): r for r in results.get("bits", [])}
    for fraction in (0.1, 1.0):
        row = bits.get((1000, fraction))
        if row is not None:
            per = row["body_bytes_per_mover"]
            found.append(
                (
                    f"bytes per mover, 1000 entities, {fraction:.0%} moving",
                    "<= 3 B (floor shown)",
                    f"{per:.2f} B, floor {row['floor_bytes_per_mover']:.2f}",
                    per <= 3.0,
                )
            )
    for (count, fraction), goal in (((1000, 0.1), 0.5), ((1000, 1.0), 2.0), ((5000, 1.0), 12.0)):
        row = bits.get((count, fraction))
        if row is not None:
            median = row["encode_ms"]["median"]
            found.append(
                (
                    f"encode, {count} entities, {fraction:.0%} moving (bits)",
                    f"< {goal:g} ms per tick",
                    f"median {median:.2f} ms, p99 {row['encode_ms']['p99']:.2f}",
                    median < goal,
                )
            )
    idle = results.get("idle")
    if idle is not None:
        share = idle["server_core_share"]
        found.append(
            (
                "idle: 1000 static entities, 4 clients",
                "< 1% of a core",
                f"{share:.2%} (snapshots {idle['snapshot_core_share']:.2%})",
                share < 0.01,
            )
        )
    for row in results.get("baselines", []):
        found.append(
            (
                f"32 peers on 3 baselines, {row['entities']} / {row['moving_fraction']:.0%}",
                "<= 2x one shared encoding",
                f"{row['ratio']:.2f}x (folded only {row.get('ratio_folded', 0.0):.2f}x)",
                row["ratio"] <= 2.0,
            )
        )
    budget = results.get("budget")
    if budget is not None:
        found.append(
            (
                "budget a quarter of the need",
                "every entity updated every N ticks",
                f"N = {budget['max_wait_ticks']} (p99 {budget['p99_wait_ticks']:.0f}; "
                f"prioritized {budget['max_wait_ticks_prioritized']})",
                None,
            )
        )
    interest = results.get("interest")
    if interest is not None:
        rows = interest["clients"]
        pairs = zip(rows, rows[1:], strict=False)
        grows = all(a["bytes_per_tick"] < b["bytes_per_tick"] for a, b in pairs)
        found.append(
            (
                "interest: bytes follow what a client sees",
                "more seen, more bytes",
                ", ".join(f"{r['relevant']:.0f}: {r['bytes_per_tick']:.0f} B" for r in rows),
                grows and interest["clients_match_server"],
            )
        )
    return found
