"""The tables docs/MODDING.md takes from the code: the systems each role runs, phase by
phase in their sets, and what replicates with which limits.

    python -m tools.doc_tables [--mod NAME ...]      # print them (with mods: their share too)
    python -m tools.doc_tables --write               # put them into docs/MODDING.md

The schedules come from real worlds: a single-player session's server world (a
dedicated server builds the same one) and its client world with the window's
effects. Each row is a run of consecutive systems of one phase and one set, named
by where a mod imports the set from. The replication table is the shooter's schema.
tests/mods/test_doc_tables.py checks that the doc still shows what the game does.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from engine.mods import Mod, ModError, load_mods
from engine.net.replication import ReplicationRegistry
from engine.phases import PHASES
from engine.schedule import SystemSet, system_name
from engine.world import World

DOC = Path(__file__).resolve().parents[1] / "docs" / "MODDING.md"
# Where a mod finds each set; the first module that has it names it.
SET_MODULES = ("game.api", "engine.movement", "engine.physics", "engine.net.sync")
TABLES = ("server", "client", "replication")
BEGIN = "<!-- table: {name} -->"
END = "<!-- /table: {name} -->"


def public_sets() -> dict[SystemSet, str]:
    """Every set a mod can import, by the dotted name it imports it as."""
    found: dict[SystemSet, str] = {}
    for module_name in SET_MODULES:
        module = importlib.import_module(module_name)
        for attribute, value in vars(module).items():
            if isinstance(value, SystemSet) and value not in found:
                found[value] = f"{module_name}.{attribute}"
    return found


def rows(world: World) -> list[tuple[str, str, list[str]]]:
    """(phase, set, systems) for each run of a phase's systems that share their first set,
    in the order they run. A system in no public set is listed under "(none)"."""
    names = public_sets()
    table: list[tuple[str, str, list[str]]] = []
    for phase in PHASES:
        for entry in world._ordered[phase]:
            label = next((f"`{names[s]}`" for s in entry.sets if s in names), "(none)")
            name = system_name(entry.system)
            if table and table[-1][0] == phase.name and table[-1][1] == label:
                table[-1][2].append(name)
            else:
                table.append((phase.name, label, [name]))
    return table


def markdown(world: World) -> str:
    lines = ["| phase | set | systems, in the order they run |", "|---|---|---|"]
    for phase, label, systems in rows(world):
        lines.append(f"| {phase} | {label} | {', '.join(f'`{s}`' for s in systems)} |")
    return "\n".join(lines)


@contextmanager
def single_player(mods: Sequence[Mod] = ()) -> Iterator[dict[str, World]]:
    """A single-player session's worlds, by role, with the window's effects on the client."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from engine.time import ManualClock
    from game.client.effects import EffectsPlugin
    from game.client.session import Session

    session = Session.single_player("schedule", clock=ManualClock(), seed=0, mods=mods)
    try:
        client = session.client
        assert client is not None and session.server is not None
        client.world.add_plugin(EffectsPlugin())
        yield {"server": session.server.world, "client": client.world}
    finally:
        session.close()


def replication(registry: ReplicationRegistry) -> str:
    """Every replicated component: its fields with their encodings (the wire's limits)."""
    lines = ["| component | fields: encoding and limits | sent |", "|---|---|---|"]
    for spec in registry.by_id.values():
        fields = ", ".join(f"`{name}` {codec.describe()}" for name, codec in spec.fields)
        if spec.initial_only:
            sent = "in spawn records only"
        elif spec.interpolate:
            sent = "when changed; drawn between snapshots"
        else:
            sent = "when changed"
        lines.append(f"| `{spec.name}` | {fields} | {sent} |")
    return "\n".join(lines)


def tables(mods: Sequence[Mod] = ()) -> dict[str, str]:
    with single_player(mods) as worlds:
        found = {role: markdown(world) for role, world in worlds.items()}
        found["replication"] = replication(worlds["server"].resource(ReplicationRegistry))
        return found


def _between(name: str) -> str:
    """A pattern for table `name` with its markers; group 1 is the table (None if empty)."""
    begin, end = re.escape(BEGIN.format(name=name)), re.escape(END.format(name=name))
    return begin + r"\n(?:(.*?)\n)?" + end


def shown(doc: str, name: str) -> str | None:
    """The table the doc shows as `name`, between its markers."""
    match = re.search(_between(name), doc, re.S)
    return (match[1] or "") if match else None


def write(doc_path: Path = DOC) -> None:
    doc = doc_path.read_text(encoding="utf-8")
    for role, table in tables().items():
        begin, end = BEGIN.format(name=role), END.format(name=role)
        if shown(doc, role) is None:
            raise SystemExit(f"error: {doc_path} has no {begin} ... {end} markers")
        block = f"{begin}\n{table}\n{end}"
        doc = re.sub(_between(role), lambda _, b=block: b, doc, flags=re.S)
    doc_path.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.doc_tables", description=__doc__)
    parser.add_argument("--mod", action="append", default=[], metavar="MODULE")
    parser.add_argument("--write", action="store_true", help="update docs/MODDING.md")
    args = parser.parse_args(argv)
    if args.write:
        write()
        return 0
    try:
        mods = load_mods(args.mod, installed=False)
    except ModError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for role, table in tables(mods).items():
        print(f"{role}:\n{table}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
