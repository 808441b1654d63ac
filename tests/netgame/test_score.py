"""Issue 13, score and results: every client sees every player's Score, as the server
counts it, and the old mission's scores go when the next mission starts."""

from __future__ import annotations

import pytest

from game.rules.components import Score
from game.rules.mission import restart_mission
from tests.netgame.conftest import Harness


@pytest.fixture
def memory():
    made = Harness(udp=False)
    yield made
    made.close()


def seen(client):
    return {
        score.player_id: (score.name, score.points, score.kills, score.shots, score.hits)
        for _, score in client.world.query_one(Score)
    }


def test_every_client_sees_every_players_score(memory):
    alice, bob = memory.join("alice"), memory.join("bob")
    server = memory.server.world
    by_name = {score.name: score for _, score in server.query_one(Score)}
    assert sorted(by_name) == ["alice", "bob"]
    by_name["alice"].points, by_name["alice"].kills = 1250, 12
    by_name["alice"].shots, by_name["alice"].hits = 100, 43
    by_name["bob"].damage_taken = 35
    wanted = {
        by_name["alice"].player_id: ("alice", 1250, 12, 100, 43),
        by_name["bob"].player_id: ("bob", 0, 0, 0, 0),
    }
    memory.run_until(
        lambda: seen(alice) == wanted and seen(bob) == wanted, what="both to see the scores"
    )
    [bobs] = [s for _, s in alice.world.query_one(Score) if s.name == "bob"]
    assert bobs.damage_taken == 35
    restart_mission(server)  # the next mission: scores from zero
    memory.run_until(
        lambda: {v[1:] for v in seen(alice).values()} == {(0, 0, 0, 0)} and len(seen(alice)) == 2,
        what="alice to see the scores start again",
    )
