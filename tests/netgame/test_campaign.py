"""Issue 13, the campaign over the network: a server begins where --mission says, its
clients learn which mission they fly (BattlefieldState.mission_name) and take its content
(length, look), and every client follows it to the next mission after a win, or the same one
after a loss; `python -m game.server --mission` with a bad name is a one-line error."""

from __future__ import annotations

import pytest

from engine.components import Transform
from game.rules.battlefield import Battlefield
from game.rules.campaign import mission_title
from game.rules.components import Health, Player
from game.rules.content import GameContent
from game.rules.mission import MissionState
from game.server import main
from tests.netgame.conftest import Harness
from tests.netgame.test_server_cli import NOT_MY_PARENT, started  # noqa: F401 (a fixture)


@pytest.fixture
def storm():
    made = Harness(mission="storm", udp=False)
    yield made
    made.close()


def flying(client) -> str:  # noqa: ANN001
    return client.world.resource(GameContent).mission


def test_clients_fly_the_mission_the_server_begins_with(storm):
    alice, bob = storm.join("alice"), storm.join("bob")
    storm.run_until(lambda: flying(alice) == flying(bob) == "storm", what="the storm")
    battlefield = alice.world.resource(Battlefield)
    assert battlefield.spec.world_height == 6000.0
    assert battlefield.view_top > 6000.0 - 768 - 50  # at the bottom of its own length
    assert mission_title(alice.world) == "Mission 3: The Night Storm"


def end_mission(harness, *, won: bool) -> None:  # noqa: ANN001
    world = harness.server.world
    if won:
        world.resource(Battlefield).view_top = 0.0
        for _, (_, transform) in world.query(Player, Transform):
            transform.y = world.resource(Battlefield).spec.finish_line_y - 1
    else:
        for _, (_, health) in world.query(Player, Health):
            health.hitpoints = 0


def test_every_client_follows_a_won_mission_to_the_next_and_a_lost_one_again(storm):
    alice, bob = storm.join("alice"), storm.join("bob")
    storm.run_until(lambda: flying(alice) == flying(bob) == "storm", what="the storm")
    end_mission(storm, won=True)  # the last mission won: the campaign begins again
    storm.run_until(lambda: flying(alice) == flying(bob) == "sea", steps=900, what="the sea")
    assert alice.world.resource(Battlefield).spec.world_height == 5000.0
    storm.run_until(lambda: len(alice.own_aircraft()) == 1, what="a fresh aircraft")
    storm.step(30)
    mission = storm.server.world.resource(MissionState)
    begun = mission.number
    end_mission(storm, won=False)
    storm.run_until(lambda: mission.number > begun, steps=900, what="the next mission")
    storm.step(30)
    assert flying(storm.server) == flying(alice) == flying(bob) == "sea"
    assert alice.world.resource(Battlefield).view_top > 4232 - 50  # from its start again


def test_the_command_lines_mission_reaches_the_rules(started):  # noqa: F811
    assert main(["--port", "0", "--mission", "coast", "--exit-with-parent", NOT_MY_PARENT]) == 0
    (server,) = started.servers
    assert server.world.resource(GameContent).mission == "coast"


def test_an_unknown_mission_on_the_command_line_is_one_line(capsys):
    assert main(["--port", "0", "--mission", "moon"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: mission must be one of sea, coast, storm, got 'moon'\n"


def test_a_mission_this_client_lacks_keeps_its_look_and_is_logged_once(storm, caplog):
    from game.net.claims import ClientSession, follow_mission

    alice = storm.join("alice")
    storm.run_until(lambda: flying(alice) == "storm", what="the storm")
    session = alice.world.resource(ClientSession)
    with caplog.at_level("WARNING", logger="game.net.claims"):
        for _ in range(3):
            follow_mission(alice.world, "moon", session)
    assert flying(alice) == "storm"
    assert [r.getMessage() for r in caplog.records] == [
        "the server plays mission 'moon', which this client does not know"
    ]
