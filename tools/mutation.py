"""Mutation testing by area: run mutmut over the code that matters most, and score each area.

    python -m tools.mutation run                  # every area (resumable: kept results stand)
    python -m tools.mutation run "engine/net"     # one area
    python -m tools.mutation run --again          # re-test what survived (after adding tests)
    python -m tools.mutation run --sample 150     # a seeded sample per area (minutes, not hours)
    python -m tools.mutation report               # the score per area (docs/TESTING.md)
    python -m tools.mutation report --survivors "engine/net"   # what a test should catch next

A mutant is a small deliberate change to the code (a `<` made `<=`, a constant
changed, a call's argument dropped). mutmut makes them and runs, for each, the
tests that reach the changed function; a mutant is *killed* when a test fails.
An area's score is killed / (every mutant but those mutmut was told to skip):
a mutant no test reaches counts against it. A whole run takes hours on two
cores (about 7,300 mutants); `--sample N` runs N mutants per area drawn with
a fixed seed, and the report then scores that sample only, so it is an
unbiased estimate (±3.5 points at 95% for N = 150 and a score near 85%).
The results live in `mutants/`
(git ignores it); `pyproject.toml`'s `[tool.mutmut]` says what is mutated, and
lists exactly the files of these areas (a test keeps the two in step).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.85  # the score every area must reach (docs/TESTING.md)

# Each area: the files whose mutants it owns (fnmatch patterns, relative to the checkout).
AREAS: dict[str, tuple[str, ...]] = {
    "engine core": (
        "engine/world.py",
        "engine/plugin.py",
        "engine/phases.py",
        "engine/time.py",
        "engine/events.py",
        "engine/physics.py",
        "engine/data.py",
        "engine/mods.py",
        "engine/hooks.py",
        "engine/movement.py",
        "engine/components.py",
        "engine/cli.py",
        "engine/runtime.py",
        "engine/testing.py",
        "engine/schedule.py",
    ),
    "engine/net": ("engine/net/*",),
    "game rules": ("game/rules/*",),
    # game/net/ but its client side (claims.py, sending.py, client.py), and the server.
    "server authority": (
        "game/net/announce.py",
        "game/net/budget.py",
        "game/net/commands.py",
        "game/net/cues.py",
        "game/net/loopback.py",
        "game/net/mission.py",
        "game/net/plugin.py",
        "game/net/protocol.py",
        "game/net/relevance.py",
        "game/net/schema.py",
        "game/net/seats.py",
        "game/net/sets.py",
        "game/server.py",
    ),
}

# mutmut's exit codes per mutant (mutmut.stats.status_by_exit_code), folded into what counts.
KILLED = {1, 3, 24, -24, 36, 37, 152, 255}  # a test failed, pytest broke, timed out, type check
SURVIVED = {0}
NO_TESTS = {5, 33}
SKIPPED = {34}


@dataclass
class Tally:
    """Mutant counts of one area."""

    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    skipped: int = 0
    unchecked: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return self.killed + self.survived + self.no_tests

    @property
    def score(self) -> float | None:
        return self.killed / self.scored if self.scored else None


def area_of(path: str) -> str | None:
    """The area a source file (relative path, '/' separators) belongs to, if any."""
    for area, patterns in AREAS.items():
        if any(fnmatch.fnmatch(path, pattern) for pattern in patterns):
            return area
    return None


def module_glob(pattern: str) -> str:
    """The mutant-name pattern of a file pattern: engine/net/* -> engine.net.*"""
    stem = pattern[:-3] if pattern.endswith(".py") else pattern
    return stem.replace("/", ".") + ("" if stem.endswith("*") else ".*")


def load_results(mutants_dir: Path) -> dict[str, dict[str, int | None]]:
    """{source path: {mutant name: exit code or None}} from mutmut's .meta files."""
    results = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        source = meta.relative_to(mutants_dir).as_posix()[: -len(".meta")]
        data = json.loads(meta.read_text(encoding="utf-8"))
        results[source] = data.get("exit_code_by_key", {})
    return results


SAMPLE_FILE = "sample.json"  # in mutants/: {"seed": S, "size": N, "names": {area: [names]}}


def load_sample(mutants_dir: Path) -> dict | None:
    path = mutants_dir / SAMPLE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def draw_sample(
    results: dict[str, dict[str, int | None]], size: int, seed: int
) -> dict[str, list[str]]:
    """Up to `size` mutant names per area, the same for the same mutants and seed."""
    names: dict[str, list[str]] = {area: [] for area in AREAS}
    for source, codes in results.items():
        area = area_of(source)
        if area is not None:
            names[area].extend(codes)
    rng = random.Random(seed)
    return {area: sorted(rng.sample(sorted(n), min(size, len(n)))) for area, n in names.items()}


def tally(
    results: dict[str, dict[str, int | None]], only: dict[str, list[str]] | None = None
) -> dict[str, Tally]:
    """Counts per area; with `only` (a sample), just the mutants it names."""
    tallies = {area: Tally() for area in AREAS}
    wanted = None if only is None else {name for names in only.values() for name in names}
    for source, codes in results.items():
        area = area_of(source)
        if area is None:
            continue
        counts = tallies[area]
        for name, code in codes.items():
            if wanted is not None and name not in wanted:
                continue
            if code in KILLED:
                counts.killed += 1
            elif code in SKIPPED:
                counts.skipped += 1
            elif code is None:
                counts.unchecked += 1
            elif code in NO_TESTS:
                counts.no_tests += 1
                counts.survivors.append(name)
            else:  # survived, or anything mutmut calls suspicious: not caught
                counts.survived += 1
                counts.survivors.append(name)
    return tallies


def format_table(tallies: dict[str, Tally]) -> str:
    rows = [("area", "mutants", "killed", "survived", "no test", "score")]
    for area, t in tallies.items():
        score = "-" if t.score is None else f"{t.score:.1%}"
        rows.append((area, str(t.scored), str(t.killed), str(t.survived), str(t.no_tests), score))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        rest = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in rest]
        lines.append("  ".join(cells).rstrip())
    unchecked = sum(t.unchecked for t in tallies.values())
    if unchecked:
        lines.append(f"({unchecked} mutants not run yet: python -m tools.mutation run)")
    return "\n".join(lines)


def _areas(names: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in AREAS]
    if unknown:
        raise SystemExit(
            f"mutation: no area {unknown[0]!r}; the areas are: " + ", ".join(map(repr, AREAS))
        )
    return list(names) or list(AREAS)


def _mutmut(args: Iterable[str]) -> int:
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.call([sys.executable, "-m", "mutmut", *args], cwd=ROOT, env=env)


def _generate() -> dict[str, dict[str, int | None]]:
    """Make sure mutmut has generated the mutants (it does so before looking for names)."""
    results = load_results(ROOT / "mutants")
    if not results:
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        subprocess.run(  # generates every mutant, then finds no mutant of that name: fine
            [sys.executable, "-m", "mutmut", "run", "tools.mutation.generate-only"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=False,
        )
        results = load_results(ROOT / "mutants")
    return results


def run(
    areas: Sequence[str],
    *,
    again: bool,
    max_children: int | None,
    sample: int | None = None,
    seed: int = 1,
) -> int:
    """Run mutmut over the areas: all their mutants, a seeded sample, or what survived."""
    extra = ["--max-children", str(max_children)] if max_children else []
    mutants_dir = ROOT / "mutants"
    if sample is not None:
        results = _generate()
        drawn = draw_sample(results, sample, seed)
        (mutants_dir / SAMPLE_FILE).write_text(
            json.dumps({"seed": seed, "size": sample, "names": drawn}, indent=1), encoding="utf-8"
        )
        codes = {name: code for c in results.values() for name, code in c.items()}
        names = [n for area in areas for n in drawn[area] if codes.get(n) is None]
        if not names:
            print("mutation: every mutant of the sample has a result already")
            return 0
    elif again:
        chosen = load_sample(mutants_dir)
        tallies = tally(load_results(mutants_dir), chosen and chosen["names"])
        names = [name for area in areas for name in tallies[area].survivors]
        if not names:
            print("mutation: nothing survived in " + ", ".join(areas))
            return 0
    else:
        (mutants_dir / SAMPLE_FILE).unlink(missing_ok=True)  # a whole run scores everything
        if set(areas) == set(AREAS):
            names = []  # mutmut keeps earlier results and runs the rest
        else:
            names = [module_glob(p) for area in areas for p in AREAS[area]]
    return _mutmut(["run", *extra, *names])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.mutation", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run mutmut over areas (all by default)")
    run_parser.add_argument("areas", nargs="*", help="area names, e.g. 'engine/net'")
    run_parser.add_argument("--again", action="store_true", help="only re-test the survivors")
    run_parser.add_argument("--max-children", type=int, default=None, help="parallel workers")
    run_parser.add_argument(
        "--sample", type=int, metavar="N", help="run N mutants per area, drawn with --seed"
    )
    run_parser.add_argument("--seed", type=int, default=1, help="the sample's seed (default 1)")
    report = sub.add_parser("report", help="the score per area from the last runs")
    report.add_argument("--survivors", metavar="AREA", help="list what survived in an area")
    report.add_argument("--json", metavar="FILE", help="also write the tallies as JSON")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(
            _areas(args.areas),
            again=args.again,
            max_children=args.max_children,
            sample=args.sample,
            seed=args.seed,
        )
    chosen = load_sample(ROOT / "mutants")
    tallies = tally(load_results(ROOT / "mutants"), chosen and chosen["names"])
    if args.survivors:
        for name in tallies[_areas([args.survivors])[0]].survivors:
            print(name)
        return 0
    if chosen:
        print(f"a sample of {chosen['size']} mutants per area (seed {chosen['seed']})")
    print(format_table(tallies))
    if args.json:
        data = {area: {**vars(t), "score": t.score} for area, t in tallies.items()}
        Path(args.json).write_text(json.dumps(data, indent=2), encoding="utf-8")
    below = [a for a, t in tallies.items() if t.score is not None and t.score < TARGET]
    return 1 if below else 0


if __name__ == "__main__":
    raise SystemExit(main())
