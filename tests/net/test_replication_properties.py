"""Whatever a server world goes through (entities made, made replicated later and despawned,
fields changed, components added and taken off), a client that applies every delta, and one
that joins late from a full state, hold what the server holds as the wire sees it; and so do
clients whose snapshots and acknowledgements are lost, duplicated and reordered, at the
newest tick they applied."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import event, given, settings
from hypothesis import strategies as st

from engine import Role, World
from engine.components import Transform
from engine.net.replication import (
    Outcome,
    Replicated,
    SnapshotDecoder,
    SnapshotEncoder,
)
from engine.net.views import PeerView, ViewStats, encode_view
from tests.net.replicated import Hull, registry

coordinates = st.floats(-1000, 1000, allow_nan=False)
hulls = st.builds(Hull, st.integers(-1000, 1000), st.sampled_from(["", "a", "ace", "zz"]))
transforms = st.builds(Transform, coordinates, coordinates)
# One edit of the server world: (what, which entity by index, a value).
edits_create = st.tuples(transforms, hulls, st.booleans(), st.booleans(), st.booleans())
edits = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 9), edits_create),
    st.tuples(st.just("replicate"), st.integers(0, 9), st.none()),
    st.tuples(st.just("despawn"), st.integers(0, 9), st.none()),
    st.tuples(st.just("move"), st.integers(0, 9), transforms),
    st.tuples(st.just("hull"), st.integers(0, 9), hulls),
    st.tuples(st.just("drop"), st.integers(0, 9), st.sampled_from([Transform, Hull])),
)


def edit(world: World, alive: list[int], what: str, index: int, value) -> None:
    if what == "create":
        transform, hull, with_hull, replicated, spawn_only = value
        marker = [Replicated(spawn_only=spawn_only)] if replicated else []
        parts = [transform] + ([hull] if with_hull else []) + marker
        alive.append(world.create(*parts))
        return
    if not alive:
        return
    entity = alive[index % len(alive)]
    if what == "replicate":
        if not world.has_component(entity, Replicated):
            world.add_component(entity, Replicated())
    elif what == "despawn":
        world.despawn(entity)
        alive.remove(entity)
    elif what == "move" or what == "hull":
        world.add_component(entity, value)
    else:
        world.remove_component(entity, value)


def assert_same(server: World, client: World, decoder: SnapshotDecoder, reg) -> None:
    server_ids = {}
    for entity, marker in server.query_one(Replicated):
        if server.is_alive(entity):
            server_ids[marker.net_id] = entity
    assert set(decoder.entities) == set(server_ids)
    for net_id, entity in server_ids.items():
        local = decoder.entities[net_id]
        spawn_only = server.component(entity, Replicated).spawn_only
        for component_type, spec in reg.by_type.items():
            theirs = server.try_component(entity, component_type)
            mine = client.try_component(local, component_type)
            assert (theirs is None) == (mine is None)
            if theirs is not None and not spawn_only:  # clients simulate spawn-only values
                assert spec.keys(mine) == spec.keys(theirs)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(edits, max_size=6), min_size=1, max_size=8), st.integers(1, 8))
def test_clients_hold_what_the_server_holds_tick_after_tick(ticks, join_at):
    reg = registry()
    server, client, joiner = World(Role.SERVER), World(Role.CLIENT), World(Role.CLIENT)
    try:
        encoder = SnapshotEncoder(reg)
        decoder = SnapshotDecoder(reg, smooth=False)
        late = SnapshotDecoder(reg, smooth=False)
        alive: list[int] = []
        for tick, tick_edits in enumerate(ticks, start=1):
            for what, index, value in tick_edits:
                edit(server, alive, what, index, value)
            body = encoder.encode_delta(server)
            server.flush()
            decoder.apply(client, tick, tick - 1, body)
            client.flush()
            assert_same(server, client, decoder, reg)
            if tick == join_at:
                late.apply(joiner, tick, 0, encoder.full_state(server))
            elif tick > join_at:
                late.apply(joiner, tick, tick - 1, body)
            if tick >= join_at:
                joiner.flush()
                assert_same(server, joiner, late, reg)
    finally:
        for world in (server, client, joiner):
            world.close()


# -- a lossy link: snapshots and acknowledgements lost, duplicated, delayed, reordered --------

WireState = dict[int, tuple[bool, dict[int, tuple]]]  # net id -> (spawn-only, type id -> keys)


def wire_state(server: World, reg) -> WireState:
    """What the server holds at a captured tick, as the wire sees it, read off its world."""
    doomed = server.pending_despawns
    state: WireState = {}
    for entity, marker in server.query_one(Replicated):
        if entity in doomed:
            continue
        components = {}
        for component_type, spec in reg.by_type.items():
            component = server.try_component(entity, component_type)
            if component is not None:
                components[spec.type_id] = spec.keys(component)
        state[marker.net_id] = (marker.spawn_only, components)
    return state


def assert_shows(client: World, decoder: SnapshotDecoder, expected: WireState, reg) -> None:
    """The client world (and the decoder's keys) equal `expected`; spawn-only entities, which
    clients simulate, by their components but not their values."""
    assert set(decoder.entities) == set(expected)
    assert {e for e, _ in client.query_one(Replicated)} == set(decoder.entities.values())
    held = decoder.state
    for net_id, (spawn_only, components) in expected.items():
        local = decoder.entities[net_id]
        assert client.component(local, Replicated).spawn_only == spawn_only
        assert set(held[net_id]) == set(components)
        for component_type, spec in reg.by_type.items():
            mine = client.try_component(local, component_type)
            assert (mine is not None) == (spec.type_id in components)
            if mine is not None and not spawn_only:
                assert spec.keys(mine) == components[spec.type_id]
                assert held[net_id][spec.type_id] == components[spec.type_id]


@dataclass
class LossyPeer:
    """One client behind a lossy link: what is in flight each way, by the tick it lands."""

    world: World
    decoder: SnapshotDecoder
    acked: int = 0  # the server's view: the newest tick this peer acknowledged
    snapshots: dict[int, list[tuple[int, int, bytes]]] = field(default_factory=dict)
    acks: dict[int, list[int]] = field(default_factory=dict)


# Edits biased to changing what entities there are: the deltas of several ticks fold them.
busy_edits = (
    edits
    | st.tuples(st.just("move"), st.integers(0, 9), transforms)
    | st.tuples(st.just("hull"), st.integers(0, 9), hulls)
)

# Each snapshot: [] lost, [d] delivered d ticks later, [a, b] duplicated; often on time.
delays = st.just([0]) | st.lists(st.integers(0, 3), max_size=2)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.lists(busy_edits, max_size=5), min_size=1, max_size=12),
    st.sampled_from([1, 2, 3, 4, 32]),
    st.data(),
)
def test_clients_on_a_lossy_link_show_the_servers_state_at_the_tick_they_applied(
    ticks, history, data
):
    reg = registry()
    server = World(Role.SERVER)
    # Clients keep as many ticks as the server (as they should), or fewer: then a delta may
    # name a tick they dropped, until the server's ring drops it too.
    kept = data.draw(st.sampled_from([history, history, 1, 2]), label="client history")
    peers = [
        LossyPeer(World(Role.CLIENT), SnapshotDecoder(reg, smooth=False, history=kept))
        for _ in range(2)
    ]
    try:
        encoder = SnapshotEncoder(reg, history=history)
        alive: list[int] = []
        states: dict[int, WireState] = {}
        quiet = 2 if kept >= history else history + 2  # ticks at the end, delivered at once
        last = len(ticks) + quiet
        for tick in range(1, last + 1):
            for what, index, value in ticks[tick - 1] if tick <= len(ticks) else ():
                edit(server, alive, what, index, value)
            encoder.capture(server, tick)
            states[tick] = wire_state(server, reg)
            server.flush()
            settled = tick > len(ticks)
            for number, peer in enumerate(peers):
                for acked in peer.acks.pop(tick, []):
                    peer.acked = max(peer.acked, acked)  # ServerNet.acknowledge's rule
                baseline, body = encoder.encode(peer.acked)
                assert baseline in (peer.acked, 0)
                if 0 < baseline < tick - 1:
                    event("a delta from an older tick than the previous")
                fates = [0] if settled else data.draw(delays, label=f"snapshot {tick} to {number}")
                for delay in fates:
                    peer.snapshots.setdefault(tick + delay, []).append((tick, baseline, body))
                arriving = peer.snapshots.pop(tick, [])
                if len(arriving) > 1 and not settled:
                    arriving = data.draw(st.permutations(arriving), label="arrival order")
                for sent, base, payload in arriving:
                    shown = peer.decoder.last_tick
                    result = peer.decoder.apply(peer.world, sent, base, payload)
                    peer.world.flush()
                    assert result.applied == (sent > shown and result.held), result.outcome
                    if result.outcome is Outcome.NO_BASELINE:
                        assert base not in peer.decoder.states
                    event(f"outcome {result.outcome.name}")
                    if result.applied and base == 0 and shown > 0:
                        event("a full state after deltas")
                    if result.applied and 0 < base < shown:
                        event("applied from a baseline older than the world's tick")
                    if result.held:
                        lag = 0 if settled else data.draw(st.none() | st.integers(0, 2))
                        if lag is not None:  # None: the acknowledgement is lost
                            peer.acks.setdefault(tick + 1 + lag, []).append(sent)
                    assert_shows(peer.world, peer.decoder, states[peer.decoder.last_tick], reg)
                if settled and (kept >= history or tick == last):
                    # Delivered at once: whatever was lost before, this tick applies (a full
                    # state if the peer's baseline fell out of the ring).
                    assert peer.decoder.last_tick == tick
    finally:
        server.close()
        for peer in peers:
            peer.world.close()


# -- snapshots of a peer's own: budgets, priorities and interest, on a lossy link ---------------


def peer_state(decoder: SnapshotDecoder) -> WireState:
    return {
        net_id: (spawn_only, dict(parts))
        for net_id, (spawn_only, parts) in decoder.states[decoder.last_tick].items()
    }


def relevant_to(server: World, rule: str) -> set[int] | None:
    """The entities a peer sees: all, those on the left (they move in and out of view), or
    those with an even entity id."""
    if rule == "all":
        return None
    found = set()
    for entity, _ in server.query_one(Replicated):
        if entity in server.pending_despawns:
            continue
        if rule == "left":
            transform = server.try_component(entity, Transform)
            if transform is not None and transform.x < 0:
                found.add(entity)
        elif entity % 2 == 0:
            found.add(entity)
    return found


def same_as_view(state: WireState, expected: WireState) -> None:
    """A peer's decoded state equals what the server's view says it holds; spawn-only
    entities, which the peer simulates, by their components only."""
    assert state.keys() == expected.keys()
    for net_id, (spawn_only, parts) in expected.items():
        got = state[net_id]
        assert got[0] == spawn_only
        assert got[1].keys() == parts.keys()
        if not spawn_only:
            assert got[1] == parts, net_id


# Mostly moves and hull changes, on a world first given entities to move.
moving_edits = (
    st.tuples(st.just("move"), st.integers(0, 9), transforms)
    | st.tuples(st.just("hull"), st.integers(0, 9), hulls)
    | edits
)
populated = st.tuples(
    st.lists(st.tuples(st.just("create"), st.integers(0, 9), edits_create), min_size=2),
    st.lists(st.lists(moving_edits, max_size=8), min_size=4, max_size=16),
).map(lambda pair: [pair[0], *pair[1]])


@settings(max_examples=120, deadline=None)
@given(populated, st.data())
def test_peers_with_budgets_and_interest_hold_what_their_view_says_and_converge(ticks, data):
    reg = registry()
    server = World(Role.SERVER)
    peers = []
    for number in range(2):
        rule = data.draw(st.sampled_from(["all", "left", "even"]), label=f"interest {number}")
        budget = data.draw(st.sampled_from([None, 4, 12, 40, 200]), label=f"budget {number}")
        prioritized = data.draw(st.booleans(), label=f"priorities {number}")
        peers.append(
            (
                LossyPeer(World(Role.CLIENT), SnapshotDecoder(reg, smooth=False)),
                PeerView(),
                rule,
                budget,
                prioritized,
            )
        )
    try:
        encoder = SnapshotEncoder(reg)
        alive: list[int] = []
        expected: dict[tuple[int, int], WireState] = {}
        quiet = 60
        last = len(ticks) + quiet
        for tick in range(1, last + 1):
            settled = tick > len(ticks)
            for what, index, value in ticks[tick - 1] if not settled else ():
                edit(server, alive, what, index, value)
            encoder.capture(server, tick)
            for number, (peer, view, rule, budget, prioritized) in enumerate(peers):
                for acked in peer.acks.pop(tick, []):
                    view.acknowledge(acked)
                relevant = relevant_to(server, rule)
                priorities = (
                    (lambda entities: [float(e % 3 + 1) for e in entities])
                    if (prioritized)
                    else None
                )
                stats = ViewStats()
                base, body = encode_view(
                    encoder,
                    view,
                    relevant=relevant,
                    priorities=priorities,
                    budget=budget if view.base else None,
                    stats=stats,
                )
                if budget is not None and stats.carried > 1 and view.base:
                    assert len(body) <= budget  # it fits, unless one record alone overflows
                if stats.left:
                    event("a snapshot left stale entities for later")
                if relevant is not None and stats.carried:
                    event("a peer with an interest limit got records")
                before = (
                    {}
                    if base == 0
                    else {n: (s, dict(parts)) for n, (s, parts) in view.held.items()}
                )
                for net_id, now in view.sent[tick].diff.items():
                    if now is None:
                        before.pop(net_id, None)
                    else:
                        before[net_id] = (now[0], dict(now[1]))
                expected[number, tick] = before
                fates = [0] if settled else data.draw(delays, label=f"snapshot {tick} to {number}")
                for delay in fates:
                    peer.snapshots.setdefault(tick + delay, []).append((tick, base, body))
                for sent, base_, payload in peer.snapshots.pop(tick, []):
                    result = peer.decoder.apply(peer.world, sent, base_, payload)
                    peer.world.flush()
                    event(f"outcome {result.outcome.name}")
                    if result.applied and 0 < base_ < view.base:
                        event("a late snapshot of an older base")
                    if result.held:
                        same_as_view(
                            {n: (s, dict(p)) for n, (s, p) in peer.decoder.states[sent].items()},
                            expected[number, sent],
                        )
                        lag = 0 if settled else data.draw(st.none() | st.integers(0, 2))
                        if lag is not None:
                            peer.acks.setdefault(tick + 1 + lag, []).append(sent)
            server.flush()
        for peer, view, rule, _, _ in peers:
            # Converged: the peer holds exactly the entities it should, as the server has them.
            wanted = relevant_to(server, rule)
            state = wire_state(server, reg)
            if wanted is not None:
                ids = {server.component(e, Replicated).net_id for e in wanted}
                state = {n: v for n, v in state.items() if n in ids}
            assert not view.stale and peer.decoder.last_tick == last
            same_as_view(peer_state(peer.decoder), state)
            assert_shows(peer.world, peer.decoder, state, reg)
    finally:
        server.close()
        for peer, *_ in peers:
            peer.world.close()
