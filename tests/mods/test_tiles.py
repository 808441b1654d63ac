"""The tile arena mode: prediction, refusal, contention, all with 100 ms of added latency."""

from __future__ import annotations

import dataclasses

import pytest

from engine.mods import load_mods
from engine.net.replication import Replicated
from engine.net.schema import NetSchema
from engine.testing import LoopbackNetwork
from examples.mods.tiles import Arena, Pilot, TilePlayer, TilePos, TilesPlugin, own_entity, press
from tests.netgame.conftest import Harness

LATENCY_STEPS = 6  # 100 ms each way at 60 steps a second


@pytest.fixture
def arena():
    net = LoopbackNetwork(
        NetSchema,
        server_plugins=lambda: [TilesPlugin()],
        client_plugins=lambda: [TilesPlugin()],
        clients=2,
        latency_steps=LATENCY_STEPS,
    )
    net.step(80)  # handshakes (three round trips) and first snapshots through the delay
    yield net
    net.close()


def mine(net, index):
    world = net.clients[index]
    return world.component(own_entity(world), TilePos)


def server_player(net, index):
    """The server's entity for client `index` (its net id is the client's Pilot.net_id)."""
    net_id = net.clients[index].resource(Pilot).net_id
    for entity, (replicated,) in net.server.query(Replicated):
        if replicated.net_id == net_id:
            return entity
    raise AssertionError("no such player")


def place(net, index, x, y):
    """Move a player on the server (as the game would) and let everyone hear of it."""
    pos = net.server.component(server_player(net, index), TilePos)
    pos.x, pos.y = x, y
    net.step(2 * LATENCY_STEPS + 6)
    assert (mine(net, index).x, mine(net, index).y) == (x, y)
    net.clients[index].resource(Pilot).corrections = 0  # count only what the test causes next


def test_own_moves_show_without_waiting_for_the_server(arena):
    start = dataclasses.replace(mine(arena, 0))
    server_pos = arena.server.component(server_player(arena, 0), TilePos)
    press(arena.clients[0], 0, "move_right")
    assert (mine(arena, 0).x, mine(arena, 0).y) == (start.x + 1, start.y)  # at once
    arena.step(LATENCY_STEPS - 1)
    assert (server_pos.x, server_pos.y) == (start.x, start.y)  # the move is still travelling
    arena.step(LATENCY_STEPS + 6)
    assert (server_pos.x, server_pos.y) == (start.x + 1, start.y)
    assert arena.clients[0].resource(Pilot).pending == []  # acknowledged
    assert arena.clients[0].resource(Pilot).corrections == 0


def test_several_quick_moves_are_replayed_not_lost(arena):
    start = dataclasses.replace(mine(arena, 0))
    for _ in range(3):
        press(arena.clients[0], 0, "move_right")
        arena.step(2)  # faster than a round trip: snapshots arrive with old positions
        assert mine(arena, 0).x > start.x  # reconciliation replays what is unacknowledged
    assert mine(arena, 0).x == start.x + 3
    arena.step(3 * LATENCY_STEPS)
    assert mine(arena, 0).x == start.x + 3
    assert arena.clients[0].resource(Pilot).corrections == 0


def test_a_move_into_a_wall_is_refused_and_corrected(arena):
    client = arena.clients[0]
    place(arena, 0, 1, 3)  # row 3 is "#......#...": (0, 3) is a wall
    arena_data = client.resource(Arena)
    client.insert_resource(  # this client does not know about that wall
        dataclasses.replace(arena_data, walls=arena_data.walls - {(0, 3)})
    )
    press(client, 0, "move_left")
    assert (mine(arena, 0).x, mine(arena, 0).y) == (0, 3)  # predicted into it
    arena.step(2 * LATENCY_STEPS + 6)
    assert (mine(arena, 0).x, mine(arena, 0).y) == (1, 3)  # put right by the server
    assert client.resource(Pilot).corrections == 1
    assert (0, 3) in arena.server.resource(Arena).walls  # the server's map decided


def test_two_players_contending_for_a_tile_are_settled_the_same_for_everyone(arena):
    place(arena, 0, 2, 3)
    place(arena, 1, 4, 3)
    press(arena.clients[0], 0, "move_right")  # both want (3, 3), in the same step
    press(arena.clients[1], 0, "move_left")
    assert (mine(arena, 0).x, mine(arena, 1).x) == (3, 3)  # each predicts it got there
    arena.step(3 * LATENCY_STEPS)
    views = []
    for world in (arena.server, *arena.clients):
        views.append(
            sorted(
                (player.player_id, pos.x, pos.y)
                for _, (pos, player) in world.query(TilePos, TilePlayer)
            )
        )
    assert views[0] == views[1] == views[2]  # the server's decision, everywhere
    winners = [p for p in views[0] if (p[1], p[2]) == (3, 3)]
    assert len(winners) == 1
    corrected = [w.resource(Pilot).corrections for w in arena.clients]
    assert sorted(corrected) == [0, 1]  # the loser was corrected, the winner was not


def test_the_tile_mode_runs_over_real_tcp_with_the_headless_server_and_two_clients():
    mods = load_mods(["examples.mods.tiles"], installed=False)
    harness = Harness(mods=mods, seed=2)
    try:
        clients = []
        for name in ("ann", "ben"):
            client = harness.connect(name)
            harness.run_until(
                lambda c=client: own_entity(c.world) is not None, what=f"{name} in the arena"
            )
            clients.append(client)
        harness.step(6)
        assert all(len(c.world.query(TilePlayer)) == 2 for c in clients)
        ann = clients[0].world
        before = dataclasses.replace(ann.component(own_entity(ann), TilePos))
        for action in ("move_right", "move_down", "move_left", "move_up"):
            press(ann, 0, action)
            harness.step(6)
        after = ann.component(own_entity(ann), TilePos)
        net_id = ann.resource(Pilot).net_id
        seen = clients[1].world.component(clients[1].entity_of(net_id), TilePos)
        assert (seen.x, seen.y) == (after.x, after.y)  # ben sees where ann really is
        assert (after.x, after.y) != (0, 0) and ann.resource(Pilot).pending == []
        del before
    finally:
        harness.close()
