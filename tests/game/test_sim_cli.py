"""`python -m game.sim`, in-process: what it prints, what it returns, and its argument errors."""

from __future__ import annotations

import pytest

from engine.data import DataError
from game import sim
from game.rules.autopilot import STYLES
from game.rules.components import Autopilot, Health, Player
from game.rules.content import load_content
from game.rules.difficulty import DIFFICULTIES
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
        "score of autopilot-1",
        "score of autopilot-2",
        "score of autopilot-3",
    ]
    assert summary["score of autopilot-1"].startswith("0 (0 kills")
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
    assert " --runs RUNS fly this many runs of each style at each difficulty " in words
    assert " --style {edge,centre,dodge,all} how the autopilot flies: " in words
    assert " (default dodge) " in words
    assert " --difficulty {easy,normal,hard,all} enemy difficulty, or all (a table) " in words
    assert " --jobs JOBS processes flying the runs of a table at once " in words


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


# -- many runs: the tuning table -----------------------------------------------------------


def table_rows(out: str) -> list[list[str]]:
    lines = out.strip().splitlines()
    assert lines[0].split() == [
        "difficulty",
        "style",
        "runs",
        "wins",
        "win",
        "rate",
        "hit",
        "points",
        "left",
        "mission",
        "time",
    ]
    return [line.split() for line in lines[1:]]


def test_runs_print_a_table_of_wins_and_hit_points_per_style_and_difficulty(capsys):
    args = ["--runs", "2", "--players", "1", "--seconds", "3", "--jobs", "1"]
    assert sim.main([*args, "--style", "all", "--difficulty", "all"]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert [(row[0], row[1]) for row in rows] == [
        (level, style) for level in DIFFICULTIES for style in STYLES
    ]
    for row in rows:
        assert row[2] == "2" and row[3] == "0" and row[4] == "0%"  # 3 s: nobody finishes
        assert 0.0 <= float(row[5]) <= 100.0
        assert row[6:] == ["3.0", "s"]


def test_one_style_at_one_difficulty_is_one_row(capsys):
    args = ["--runs", "1", "--players", "1", "--seconds", "2", "--jobs", "1"]
    assert sim.main([*args, "--style", "edge", "--difficulty", "hard"]) == 0
    [row] = table_rows(capsys.readouterr().out)
    assert row[:4] == ["hard", "edge", "1", "0"]


def test_every_run_of_a_table_flies_its_own_seed_and_every_style_meets_the_same(monkeypatch):
    flown = []

    def fake(seconds, players, seed, *, style, difficulty, mission=None, mods=()):
        flown.append((seed, style, difficulty))
        return sim.Summary(1.0, 60, 0.1, 0, 0, 0, 0, 0, 1, 1, "success", 50)

    monkeypatch.setattr(sim, "run", fake)
    rows = sim.table(3, 1, 10, styles=("edge", "dodge"), difficulties=("easy",))
    assert sorted(flown) == sorted(
        (seed, style, "easy") for seed in (10, 11, 12) for style in ("edge", "dodge")
    )
    assert [(r.style, r.runs, r.wins, r.win_rate, r.hitpoints_left) for r in rows] == [
        ("edge", 3, 3, 1.0, 50.0),
        ("dodge", 3, 3, 1.0, 50.0),
    ]


def test_the_styles_fly_differently_in_a_small_seeded_run():
    """Holding still (at an edge or mid-screen) is shot down where dodging is not."""
    rows = {row.style: row for row in sim.table(2, 1, 0, difficulties=("normal",), seconds=30)}
    assert rows["dodge"].hitpoints_left > max(rows["edge"].hitpoints_left, 20.0)
    assert rows["dodge"].hitpoints_left > rows["centre"].hitpoints_left
    assert rows["edge"].seconds < 30 and rows["centre"].seconds < 30  # shot down
    assert rows["dodge"].seconds == 30.0


def test_a_table_flown_by_two_processes_is_the_table_flown_by_one():
    options = {"styles": ("edge", "dodge"), "difficulties": ("normal",), "seconds": 4.0}
    assert sim.table(2, 1, 4, jobs=2, **options) == sim.table(2, 1, 4, jobs=1, **options)


def test_a_summary_counts_the_hit_points_left():
    summary = sim.run(seconds=2, players=2, seed=1)
    assert summary.hitpoints_left == 200  # two untouched eagles


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--style", "zigzag"], "--style"),
        (["--difficulty", "insane"], "--difficulty"),
        (["--runs", "0"], "--runs must be positive, got '0'"),
        (["--jobs", "0"], "--jobs must be positive, got '0'"),
    ],
)
def test_bad_table_arguments_are_a_one_line_error_and_exit_2(capsys, args, words):
    with pytest.raises(SystemExit) as exit_info:
        sim.main(args)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err.strip().splitlines()[-1]
