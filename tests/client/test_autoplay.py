"""`python -m game --autopilot STYLE` and `--mission NAME`: the window flies itself (every local
seat on the autopilot, the keys left alone), prints each mission's frame times as it ends,
and begins the campaign where it is told; bad flags are one-line errors."""

from __future__ import annotations

import pygame
import pytest

from engine.components import Transform
from game.__main__ import main, parse_args
from game.client.autoplay import FrameMeter, SeatAutopilot
from game.client.states.lobby import start_single_player
from game.net.claims import LocalSeat
from game.rules.battlefield import Battlefield
from game.rules.components import Autopilot
from game.rules.content import GameContent


def test_the_frame_meter_gives_median_and_p99_per_lap():
    meter = FrameMeter()
    assert meter.lap() is None
    for ms in range(1, 101):  # 1..100 ms
        meter.add(ms / 1000)
    figures = meter.lap()
    assert (figures.frames, figures.median_ms, figures.p99_ms, figures.max_ms) == pytest.approx(
        (100, 50.5, 99.0, 100.0)
    )
    assert meter.lap() is None  # a lap starts again
    assert figures.line() == "100 frames, median 50.50 ms, p99 99.00 ms, max 100.00 ms"


def test_an_unknown_style_is_refused():
    with pytest.raises(ValueError, match="autopilot style must be one of edge, centre, dodge"):
        SeatAutopilot("loop")


def play(driver, *, autopilot: str | None = None, mission: str | None = None):  # noqa: ANN001, ANN201
    driver.app.autopilot, driver.app.mission = autopilot, mission
    driver.app.frame_meter = FrameMeter() if autopilot else None
    start_single_player(driver.app)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    return driver.top


def test_the_autopilot_flies_every_local_seat_and_the_keys_fly_nothing(driver):
    game = play(driver, autopilot="dodge")
    driver.key(pygame.K_RETURN)  # player 2 joins, and flies itself too
    world = game.client.world
    driver.until(lambda: len(game.client.own_aircraft()) == 2, what="player 2")
    driver.frames(30)
    pilots = {
        seat.local_index: world.try_component(e, Autopilot) for e, (seat,) in world.query(LocalSeat)
    }
    assert set(pilots) == {0, 1}
    assert all(pilot is not None and pilot.style == "dodge" for pilot in pilots.values())
    assert pilots[1].offset_x > 0  # the wingman keeps formation beside player 1


def test_an_autopiloted_mission_end_prints_its_frame_times(driver, capsys):
    game = play(driver, autopilot="dodge", mission="coast")
    for ms in (4, 5, 6):  # App.run times each frame; the driver calls App.frame itself
        driver.app.frame_meter.add(ms / 1000)
    for world in (game.session.server.world, game.client.world):
        world.resource(Battlefield).view_top = 0.0  # the climb done: it flies to the finish
    driver.until(lambda: driver.is_top("MissionEndState"), frames=900, what="the end")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("Mission 2: The Coast: success; frame time ")
    assert line.endswith("3 frames, median 5.00 ms, p99 6.00 ms, max 6.00 ms")


def test_mission_begins_single_player_there(driver):
    game = play(driver, mission="storm")
    assert game.session.server.world.resource(GameContent).mission == "storm"
    driver.until(
        lambda: game.client.world.resource(GameContent).mission == "storm", what="the storm"
    )
    mine = next(iter(game.client.own_aircraft().values()))
    before = game.client.world.component(mine, Transform).x
    driver.hold(pygame.K_LEFT)  # without the autopilot the keys fly
    driver.frames(20)
    driver.release(pygame.K_LEFT)
    assert game.client.world.component(mine, Transform).x < before - 20


def test_the_flags_parse():
    args = parse_args(["--autopilot", "edge", "--mission", "coast", "--host-game", "5077"])
    assert (args.autopilot, args.mission, args.host_game) == ("edge", "coast", 5077)
    assert parse_args([]).autopilot is None and parse_args([]).mission is None


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--mission", "moon"], "error: mission must be one of sea, coast, storm, got 'moon'"),
        (
            ["--connect", "127.0.0.1:5000", "--mission", "sea"],
            "error: --mission is for single-player and --host-game: a server you join chooses",
        ),
    ],
)
def test_a_bad_mission_is_one_line_before_any_window(capsys, args, error):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [error]


def test_a_bad_autopilot_style_is_argparse_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--autopilot", "loop"])
    assert exit_info.value.code == 2
    assert "--autopilot" in capsys.readouterr().err.strip().splitlines()[-1]
