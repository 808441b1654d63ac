"""`python -m game.sim --mission NAME|all` and `--campaign`: which mission flies, the table per
mission, the campaign in one world, and a bad name's one-line error."""

from __future__ import annotations

import pytest

from game import sim
from game.rules.campaign import Campaign
from game.rules.content import GameContent


def test_build_flies_the_mission_named_else_the_first():
    for name, expected in ((None, "sea"), ("coast", "coast"), ("storm", "storm")):
        world = sim.build(1, seed=2, mission=name)
        try:
            content = world.resource(GameContent)
            assert content.mission == expected
            assert content.script == content.missions[expected].script
        finally:
            world.close()


def test_a_run_of_a_mission_is_its_own(capsys):
    coast = sim.run(30, 1, seed=4, mission="coast")
    sea = sim.run(30, 1, seed=4)
    assert coast != sea
    assert sim.main(["--seconds", "30", "--players", "1", "--seed", "4", "--mission", "coast"]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["enemies spawned"] == str(coast.enemies_spawned)
    assert lines["shots fired"] == str(coast.shots_fired)


@pytest.mark.parametrize("args", [["--mission", "moon"], ["--campaign", "--mission", "moon"]])
def test_an_unknown_mission_is_a_one_line_error_naming_the_valid_ones(capsys, args):
    assert sim.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "error: mission must be one of sea, coast, storm (or all), got 'moon'\n"


def test_a_table_of_every_mission_has_a_row_and_a_column_for_each(capsys):
    args = ["--mission", "all", "--runs", "1", "--seconds", "1", "--jobs", "1", "--players", "1"]
    assert sim.main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["mission", "difficulty"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["sea", "normal", "dodge"],
        ["coast", "normal", "dodge"],
        ["storm", "normal", "dodge"],
    ]


def test_the_campaign_goes_on_to_the_next_mission_after_a_win():
    """Easy, one dodging pilot: it wins the sea (a seed it wins) and the coast comes next."""
    flown = sim.campaign(120, 1, seed=0, difficulty="easy")
    assert [(f.number, f.name, f.outcome) for f in flown][:1] == [(1, "sea", "success")]
    assert sim.campaign_lines(flown)[0].startswith("mission 1 (sea): success in ")
    assert sim.campaign_lines(flown)[-1] == "campaign not complete (time limit reached)"


def test_the_campaign_flies_a_lost_mission_again_and_ends_after_the_last(monkeypatch):
    """Centre pilots lose every mission: the campaign never leaves the storm."""
    flown = sim.campaign(60, 1, seed=1, style="centre", mission="storm")
    assert len(flown) >= 2
    assert {(f.number, f.name, f.outcome) for f in flown} == {(3, "storm", "failure")}
    done = [sim.Flown(1, "sea", "success", 1), sim.Flown(3, "storm", "success", 2)]
    assert sim.campaign_lines(done)[-1] == "campaign complete"


def test_the_campaign_flag_takes_no_table():
    assert sim.main(["--campaign", "--runs", "3"]) == 2
    world = sim.build(1, seed=0, mission="storm")
    try:
        assert world.resource(Campaign).number == 3
    finally:
        world.close()
