"""`python -m game.sim`, in-process: what it prints, what it returns, and its argument errors."""

from __future__ import annotations

import pytest

from engine.data import DataError
from game import sim
from game.rules.components import Autopilot, Health, Player
from game.rules.content import load_content
from game.rules.systems.stats import MissionStats


def printed(capsys) -> dict[str, str]:
    """The summary's lines as {label: value}."""
    lines = capsys.readouterr().out.strip().splitlines()
    return dict(line.split(": ", 1) for line in lines)


def test_a_short_run_prints_every_line_of_its_summary_and_returns_0(capsys):
    assert sim.main(["--seconds", "2", "--players", "3", "--seed", "5"]) == 0
    summary = printed(capsys)
    assert list(summary) == [
        "simulated seconds",
        "steps",
        "wall time",
        "enemies spawned",
        "enemies destroyed",
        "pickups taken",
        "shots fired",
        "missiles launched",
        "players alive",
        "outcome",
    ]
    assert summary["simulated seconds"] == "2.00"
    assert summary["steps"] == "120"
    assert summary["wall time"].endswith("x real time)")
    assert summary["players alive"] == "3 of 3"
    assert summary["outcome"] == "none (time limit reached)"


def test_the_printed_summary_is_the_run_of_the_same_seed(capsys):
    expected = sim.run(seconds=30, players=2, seed=9)
    assert sim.main(["--seconds", "30", "--players", "2", "--seed", "9"]) == 0
    summary = printed(capsys)
    assert expected.enemies_spawned > 0 and expected.shots_fired > 0
    assert summary["enemies spawned"] == str(expected.enemies_spawned)
    assert summary["enemies destroyed"] == str(expected.enemies_destroyed)
    assert summary["pickups taken"] == str(expected.pickups_taken)
    assert summary["shots fired"] == str(expected.shots_fired)
    assert summary["missiles launched"] == str(expected.missiles_launched)
    assert summary["players alive"] == f"{expected.players_alive} of 2"


def test_by_default_two_players_fly_until_the_mission_is_decided(capsys):
    assert sim.main([]) == 0
    summary = printed(capsys)
    assert summary["outcome"] in ("success", "failure")
    assert int(summary["steps"]) < 600 * 60
    assert summary["players alive"].endswith(" of 2")


def test_the_default_seed_is_0(capsys):
    expected = sim.run(seconds=30, players=2, seed=0)
    other = sim.run(seconds=30, players=2, seed=1)
    assert sim.main(["--seconds", "30"]) == 0
    summary = printed(capsys)
    assert summary["shots fired"] == str(expected.shots_fired) != str(other.shots_fired)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--seconds", "0"], "--seconds must be positive, got '0'"),
        (["--seconds", "-3"], "--seconds must be positive, got '-3'"),
        (["--seconds", "soon"], "--seconds must be a number, got 'soon'"),
        (["--players", "0"], "--players must be positive, got '0'"),
        (["--players", "two"], "--players must be a number, got 'two'"),
        (["--players", "1.5"], "--players must be a number, got '1.5'"),
        (["--players", "17"], "--players must be at most 16, got 17"),
        (["--seed", "x"], "--seed"),
    ],
)
def test_bad_arguments_are_a_one_line_error_and_exit_2(capsys, args, words):
    with pytest.raises(SystemExit) as exit_info:
        sim.main(args)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    error = captured.err.strip().splitlines()[-1]
    assert error.startswith("python -m game.sim: error:")
    assert words in error


def test_sixteen_players_is_the_most_and_each_flies_on_autopilot(capsys):
    assert sim.main(["--seconds", "0.05", "--players", "16"]) == 0
    assert printed(capsys)["players alive"] == "16 of 16"
    world = sim.build(16, seed=1)
    try:
        players = sorted(
            (player.player_id, player.name)
            for entity, (player,) in world.query(Player)
            if world.has_component(entity, Autopilot)
        )
        assert players == [(i, f"autopilot-{i}") for i in range(1, 17)]
        assert load_content().battlefield.max_players == 16
    finally:
        world.close()


def test_help_names_each_option_with_its_range_and_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit) as exit_info:
        sim.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m game.sim ")
    assert "\n\nFly the Cloudbreak mission headless with autopilot players.\n\n" in out
    words = " ".join(out.split()) + " "
    assert " --seconds SECONDS simulated seconds at most (default 600) " in words
    assert " --players PLAYERS autopilot players, 1..16 (default 2) " in words
    assert " --seed SEED random seed (default 0) " in words


def test_a_runs_summary_is_what_its_world_counted(monkeypatch):
    """sim.run's numbers are the world's own tallies after the same steps (not the same
    figures printed twice)."""
    seconds, players, seed = 40, 2, 9
    world = sim.build(players, seed)
    try:
        world.run(seconds * 60)
        stats = world.resource(MissionStats)
        alive = sum(1 for _, (_p, health) in world.query(Player, Health) if health.hitpoints > 0)
        expected = (
            stats.enemies_spawned,
            stats.enemies_destroyed,
            stats.pickups_taken,
            stats.shots_fired,
            stats.missiles_launched,
            alive,
        )
    finally:
        world.close()
    summary = sim.run(seconds=seconds, players=players, seed=seed)
    assert (
        summary.enemies_spawned,
        summary.enemies_destroyed,
        summary.pickups_taken,
        summary.shots_fired,
        summary.missiles_launched,
        summary.players_alive,
    ) == expected
    assert len(set(expected[:5])) == 5  # every tally differs: none can stand in for another
    assert (summary.steps, summary.simulated_seconds, summary.players) == (2400, 40.0, 2)
    assert 0 < summary.wall_seconds < 600  # the time the run took


def test_broken_game_data_is_a_one_line_error_and_exit_2(capsys, monkeypatch):
    def broken(seconds, players, seed, **options):
        raise DataError("assets/data/aircraft.toml: eagle.speed: must be positive, got -1")

    monkeypatch.setattr(sim, "run", broken)
    assert sim.main(["--seconds", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "error: assets/data/aircraft.toml: eagle.speed: must be positive, got -1"
    ]


@pytest.mark.parametrize(("wall", "speed"), [(0.5, "20x"), (4.0, "2x"), (0.0, "10000000000x")])
def test_the_summary_says_how_much_faster_than_real_time_it_ran(wall, speed):
    summary = sim.Summary(10.0, 600, wall, 1, 2, 3, 4, 5, 1, 2, "success")
    assert summary.lines()[2] == f"wall time: {wall:.2f} s ({speed} real time)"
    assert summary.lines()[0] == "simulated seconds: 10.00"
    assert summary.lines()[3:] == [
        "enemies spawned: 1",
        "enemies destroyed: 2",
        "pickups taken: 3",
        "shots fired: 4",
        "missiles launched: 5",
        "players alive: 1 of 2",
        "outcome: success",
    ]
