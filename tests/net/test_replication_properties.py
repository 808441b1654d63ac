"""Whatever a server world goes through (entities made, made replicated later and despawned,
fields changed, components added and taken off), a client that applies every delta, and one
that joins late from a full state, hold what the server holds as the wire sees it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Role, World
from engine.components import Transform
from engine.net.replication import (
    Replicated,
    SnapshotDecoder,
    SnapshotEncoder,
)
from tests.net.replicated import Hull, registry

coordinates = st.floats(-1000, 1000, allow_nan=False)
hulls = st.builds(Hull, st.integers(-1000, 1000), st.sampled_from(["", "a", "ace", "zz"]))
transforms = st.builds(Transform, coordinates, coordinates)
# One edit of the server world: (what, which entity by index, a value).
edits = st.one_of(
    st.tuples(
        st.just("create"),
        st.integers(0, 9),
        st.tuples(transforms, hulls, st.booleans(), st.booleans()),
    ),
    st.tuples(st.just("replicate"), st.integers(0, 9), st.none()),
    st.tuples(st.just("despawn"), st.integers(0, 9), st.none()),
    st.tuples(st.just("move"), st.integers(0, 9), transforms),
    st.tuples(st.just("hull"), st.integers(0, 9), hulls),
    st.tuples(st.just("drop"), st.integers(0, 9), st.sampled_from([Transform, Hull])),
)


def edit(world: World, alive: list[int], what: str, index: int, value) -> None:
    if what == "create":
        transform, hull, with_hull, replicated = value
        parts = [transform] + ([hull] if with_hull else []) + ([Replicated()] if replicated else [])
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
        for component_type, spec in reg.by_type.items():
            theirs = server.try_component(entity, component_type)
            mine = client.try_component(local, component_type)
            assert (theirs is None) == (mine is None)
            if theirs is not None:
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
