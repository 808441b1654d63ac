"""tools.mutation: areas match what mutmut mutates, and results are scored per area."""

import json
import tomllib
from pathlib import Path

import pytest

from tools import mutation

ROOT = Path(__file__).resolve().parents[2]


def test_mutmut_mutates_exactly_the_files_of_the_areas():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    patterns = [p for area in mutation.AREAS.values() for p in area]
    assert sorted(config["only_mutate"]) == sorted(patterns)
    for pattern in patterns:  # every pattern names real code (a moved file is noticed)
        assert list(ROOT.glob(pattern)), f"{pattern} matches no file"


def test_every_file_belongs_to_one_area_at_most():
    seen = {}
    for area, patterns in mutation.AREAS.items():
        for pattern in patterns:
            for path in ROOT.glob(pattern):
                relative = path.relative_to(ROOT).as_posix()
                assert relative not in seen, f"{relative} is in {seen.get(relative)} and {area}"
                seen[relative] = area
                assert mutation.area_of(relative) == area


def _meta(root: Path, source: str, codes: dict) -> None:
    path = root / (source + ".meta")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"exit_code_by_key": codes}))


def test_results_are_tallied_per_area_and_untested_mutants_count_against_the_score(tmp_path):
    _meta(tmp_path, "engine/net/codec.py", {"a": 1, "b": 1, "c": 0, "d": 33, "e": 36, "f": 34})
    _meta(tmp_path, "engine/world.py", {"w": 1, "x": None})
    _meta(tmp_path, "engine/client/ui.py", {"u": 0})  # in no area: ignored
    tallies = mutation.tally(mutation.load_results(tmp_path))
    net = tallies["engine/net"]
    assert (net.killed, net.survived, net.no_tests, net.skipped) == (3, 1, 1, 1)
    assert net.score == pytest.approx(3 / 5)
    assert sorted(net.survivors) == ["c", "d"]
    core = tallies["engine core"]
    assert (core.killed, core.unchecked, core.score) == (1, 1, 1.0)
    assert tallies["game rules"].score is None
    table = mutation.format_table(tallies)
    assert "engine/net" in table and "60.0%" in table and "100.0%" in table
    assert "1 mutants not run yet" in table


def test_report_exits_1_while_an_area_is_below_target(tmp_path, monkeypatch, capsys):
    _meta(tmp_path / "mutants", "game/server.py", {"a": 1, "b": 0})
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    assert mutation.main(["report"]) == 1
    assert "50.0%" in capsys.readouterr().out
    _meta(tmp_path / "mutants", "game/server.py", {"a": 1, "b": 1})
    assert mutation.main(["report", "--json", str(tmp_path / "t.json")]) == 0
    assert json.loads((tmp_path / "t.json").read_text())["server authority"]["score"] == 1.0


def test_an_unknown_area_is_a_one_line_error():
    with pytest.raises(SystemExit, match="no area 'engine/nett'"):
        mutation.main(["report", "--survivors", "engine/nett"])


def test_an_area_maps_to_mutant_name_patterns():
    assert mutation.module_glob("engine/net/*") == "engine.net.*"
    assert mutation.module_glob("game/server.py") == "game.server.*"


def test_a_sample_is_drawn_per_area_the_same_for_the_same_seed_and_scored_alone(tmp_path):
    _meta(tmp_path, "engine/net/codec.py", {f"n{i}": (1 if i % 4 else 0) for i in range(40)})
    _meta(tmp_path, "game/server.py", {"s1": 0, "s2": 1})
    results = mutation.load_results(tmp_path)
    drawn = mutation.draw_sample(results, 10, seed=3)
    assert len(drawn["engine/net"]) == 10 and sorted(drawn["server authority"]) == ["s1", "s2"]
    assert drawn == mutation.draw_sample(results, 10, seed=3)
    assert drawn != mutation.draw_sample(results, 10, seed=4)
    net = mutation.tally(results, drawn)["engine/net"]
    assert net.scored == 10
    expected = sum(1 for name in drawn["engine/net"] if int(name[1:]) % 4)
    assert net.killed == expected


def test_report_scores_only_the_sample_when_one_was_drawn(tmp_path, monkeypatch, capsys):
    mutants = tmp_path / "mutants"
    _meta(mutants, "game/server.py", {"a": 1, "b": 0, "c": 0})
    (mutants / "sample.json").write_text(
        json.dumps({"seed": 1, "size": 1, "names": {"server authority": ["a"]}})
    )
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    assert mutation.main(["report"]) == 0
    out = capsys.readouterr().out
    assert "a sample of 1 mutants per area (seed 1)" in out and "100.0%" in out


def test_every_headless_engine_module_is_in_an_area():
    """A new engine module is mutated too: only the pygame layer and package markers are out."""
    for path in sorted((ROOT / "engine").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("engine/client/") or path.name == "__init__.py":
            continue
        assert mutation.area_of(relative) in ("engine core", "engine/net"), relative


def test_every_server_side_game_net_module_is_in_server_authority():
    client_side = {"claims.py", "sending.py", "client.py", "__init__.py"}
    for path in sorted((ROOT / "game" / "net").glob("*.py")):
        area = mutation.area_of(path.relative_to(ROOT).as_posix())
        assert area == (None if path.name in client_side else "server authority"), path.name
