"""docs/MODDING.md stays true to the code it teaches.

Every excerpt marked `<!-- from: PATH -->` must occur verbatim in PATH, and the marked excerpts
together must show the whole shield mod. Examples marked `<!-- runs-in-tests -->` are run. The
`python -m` commands, the quoted error and reject messages, and the reference table's names
must match what the code really does.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.mods import load_mod
from engine.net.handshake import check_hello
from engine.net.messages import MAGIC, PROTOCOL_VERSION, Hello, RejectReason

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "MODDING.md"
MOD_SOURCE = "examples/mods/shield/__init__.py"
MOD_DATA = "examples/mods/shield/shield.toml"
MOD = "examples.mods.shield"
# Every mod the guide walks through, with what its excerpts must show in full.
TAUGHT = {
    MOD_SOURCE: {"Shield", "ShieldChargeSystem", "ShieldAbsorbSystem", "ShieldPlugin", "plugin"},
    "examples/mods/courier/__init__.py": {"Courier", "StageSystem", "CourierPlugin", "plugin"},
}
TAUGHT_DATA = (MOD_DATA, "examples/mods/courier/courier.toml")

FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.S | re.M)
FROM_MARK = re.compile(r"^<!-- from: (?P<path>\S+) -->$")
RUNS_MARK = "<!-- runs-in-tests -->"


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    mark: str  # the line just above the opening fence
    line: int  # 1-based line of the opening fence in the doc

    @property
    def source(self) -> str | None:
        match = FROM_MARK.match(self.mark)
        return match["path"] if match else None


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def _blocks() -> list[Block]:
    text = _doc()
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        previous = before[:-1].rsplit("\n", 1)[-1] if before.endswith("\n") else ""
        line = before.count("\n") + 1
        blocks.append(Block(match["lang"], match["body"], previous.strip(), line))
    return blocks


def _lines(text: str) -> list[str]:
    """Lines with trailing whitespace dropped (the only normalisation allowed)."""
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def _occurrences(needle: list[str], haystack: list[str]) -> list[int]:
    """Start indexes where `needle` occurs as consecutive lines of `haystack`."""
    size = len(needle)
    return [i for i in range(len(haystack) - size + 1) if haystack[i : i + size] == needle]


def _marked() -> list[Block]:
    return [block for block in _blocks() if block.source]


def _covered_lines(path: str) -> set[int]:
    """1-based lines of `path` shown by some marked block."""
    file_lines = _lines((ROOT / path).read_text(encoding="utf-8"))
    covered: set[int] = set()
    for block in _marked():
        if block.source != path:
            continue
        needle = _lines(block.body)
        for start in _occurrences(needle, file_lines):
            covered.update(range(start + 1, start + len(needle) + 1))
    return covered


def _top_level_definitions(source: str = MOD_SOURCE) -> list[tuple[str, int, int]]:
    """(name, first line, last line) of each top-level class and function, and __version__."""
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            found.append((node.name, first, node.end_lineno or node.lineno))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            found.append(("__version__", node.lineno, node.end_lineno or node.lineno))
    return found


# -- the tutorial's excerpts are the mod's code --------------------------------------------------


def test_every_from_mark_sits_right_above_a_code_block():
    text = _doc()
    marks = [line for line in text.splitlines() if line.strip().startswith("<!-- from:")]
    assert marks, "MODDING.md marks no excerpts"
    assert len(marks) == len(_marked()), "a <!-- from: --> mark is not right above a ``` fence"


@pytest.mark.parametrize("block", _marked(), ids=lambda b: f"line{b.line}")
def test_a_marked_excerpt_occurs_verbatim_in_its_file(block):
    path = ROOT / block.source
    assert path.is_file(), f"MODDING.md line {block.line} names a missing file {block.source}"
    needle = _lines(block.body)
    assert needle != [""], f"MODDING.md line {block.line}: empty excerpt"
    where = _occurrences(needle, _lines(path.read_text(encoding="utf-8")))
    assert where, (
        f"MODDING.md line {block.line}: the excerpt is not in {block.source} as written; "
        "copy it from the file again"
    )


@pytest.mark.parametrize("source", sorted(TAUGHT))
def test_the_excerpts_show_every_top_level_class_and_function_of_the_mod(source):
    definitions = _top_level_definitions(source)
    names = {name for name, _, _ in definitions}
    assert TAUGHT[source] <= names
    file_lines = _lines((ROOT / source).read_text(encoding="utf-8"))
    covered = _covered_lines(source)
    missing = []
    for name, first, last in definitions:
        lines = [n for n in range(first, last + 1) if file_lines[n - 1].strip()]
        if not set(lines) <= covered:
            gap = min(set(lines) - covered)
            missing.append(f"{name} (line {gap}: {file_lines[gap - 1].strip()!r})")
    assert not missing, "MODDING.md does not show: " + ", ".join(missing)


@pytest.mark.parametrize("data", TAUGHT_DATA)
def test_the_excerpts_show_the_whole_data_file(data):
    file_lines = _lines((ROOT / data).read_text(encoding="utf-8"))
    wanted = {n for n, line in enumerate(file_lines, 1) if line.strip()}
    missing = sorted(wanted - _covered_lines(data))
    assert not missing, f"MODDING.md does not show {data} line(s) {missing}"


def test_no_unmarked_block_copies_the_mod():
    """A copy of the mod's code without a mark would go stale unchecked."""
    headers = []
    for line in _lines((ROOT / MOD_SOURCE).read_text(encoding="utf-8")):
        if re.match(r"(class|def) \w+", line):
            headers.append(line)
    for block in _blocks():
        if block.source:
            continue
        body = _lines(block.body)
        copied = [h for h in headers if h in body]
        assert not copied, f"MODDING.md line {block.line} copies {copied[0]!r} without a mark"


# -- the examples run ----------------------------------------------------------------------------


def _runnable() -> list[Block]:
    return [block for block in _blocks() if block.mark == RUNS_MARK]


def test_the_testing_section_has_runnable_examples():
    assert len(_runnable()) >= 3
    assert all(block.lang == "python" for block in _runnable())


@pytest.mark.parametrize("block", _runnable(), ids=lambda b: f"line{b.line}")
def test_a_runnable_example_runs(block, monkeypatch):
    """Each example runs as a module of its own, as a mod's code does (classes declared in it
    find their annotations' names in it)."""
    code = compile(block.body, f"{DOC.name}:{block.line}", "exec", dont_inherit=True)
    module = types.ModuleType("modding_doc_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(code, module.__dict__)  # noqa: S102 - our own doc's example


# -- commands, messages and names ---------------------------------------------------------------


def _python_m_modules() -> set[str]:
    return set(re.findall(r"\bpython3? -m ([A-Za-z_][\w.]*)", _doc()))


def test_the_python_m_commands_name_runnable_modules():
    modules = _python_m_modules()
    assert {"game", "game.server"} <= modules
    for name in sorted(modules):
        spec = importlib.util.find_spec(name)
        assert spec is not None, f"MODDING.md runs `python -m {name}`: no such module"
        if spec.submodule_search_locations is not None:  # a package runs its __main__
            assert importlib.util.find_spec(f"{name}.__main__"), f"{name} has no __main__"
        else:
            source = Path(spec.origin).read_text(encoding="utf-8")
            assert '__name__ == "__main__"' in source, f"{name} does nothing under -m"


def test_the_mods_in_shell_commands_load():
    named = set()
    for block in _blocks():
        if block.lang == "sh":
            named.update(re.findall(r"--mod ([\w.]+)", block.body))
    assert MOD in named
    for name in sorted(named):
        assert load_mod(name).make_plugin() is not None


def test_the_quoted_server_errors_are_the_real_ones(capsys):
    from game.server import main

    quoted = re.findall(r"^\$ python -m game\.server (.+)\n(error: .+)$", _doc(), re.M)
    assert len(quoted) >= 3
    for arguments, message in quoted:
        assert main([*arguments.split(), "--port", "0"]) == 2, arguments
        said = capsys.readouterr().err.strip()
        assert said == message, f"`python -m game.server {arguments}` really says: {said}"


def test_the_quoted_reject_reasons_are_the_real_ones():
    ident = load_mod(MOD).ident
    assert ident == f"{MOD}@1.0"
    cases = [
        ((), (ident,)),  # the client lacks the mod
        ((ident,), ()),  # the server lacks it
        ((f"{MOD}@0.9",), (ident,)),  # versions differ
    ]
    text = _doc()
    for theirs, ours in cases:
        hello = Hello(MAGIC, PROTOCOL_VERSION, "alice", 1, theirs)
        reject = check_hello(hello, schema=2, mods=ours, full=False)
        assert reject is not None and reject.reason is RejectReason.SCHEMA
        assert reject.detail in text, f"MODDING.md does not quote {reject.detail!r}"
    same_hash = Hello(MAGIC, PROTOCOL_VERSION, "alice", 7, (f"{MOD}@0.9",))
    assert check_hello(same_hash, schema=7, mods=(ident,), full=False) is None  # as the doc says


def test_the_quoted_schema_line_is_what_the_mod_registers():
    from engine import Role, World
    from engine.movement import MovementPlugin
    from engine.net.replication import ReplicationRegistry
    from engine.physics import PhysicsPlugin
    from game.api import ShooterPlugin

    world = World(Role.SERVER)
    try:
        registry = ReplicationRegistry()
        world.insert_resource(registry)
        world.add_plugins([MovementPlugin(), PhysicsPlugin(), ShooterPlugin()])
        world.add_plugin(load_mod(MOD).make_plugin())
        (line,) = [x for x in registry.describe() if x.split(" ")[1] == "Shield"]
    finally:
        world.close()
    shown = line.split(" ", 1)[1]  # without the wire id, which depends on the game's types
    assert f"`{shown}`" in _doc()


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_the_links_within_the_doc_lead_to_headings():
    text = _doc()
    prose = FENCE.sub("", text)  # a "# comment" in a code block is not a heading
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", prose, re.M)}
    links = re.findall(r"\]\(#([^)]+)\)", text)
    assert links
    broken = sorted(set(links) - anchors)
    assert not broken, f"MODDING.md links to missing headings: {broken}"


def _reference() -> str:
    text = _doc()
    start = text.index("## 14. Reference")
    return text[start:]


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(dotted)


def test_the_reference_names_exist():
    names = re.findall(r"^\| `((?:engine|game)\.[\w.]+)` \|", _reference(), re.M)
    assert len(names) > 40
    for name in names:
        try:
            _resolve(name)
        except (ImportError, AttributeError) as error:
            pytest.fail(f"MODDING.md's reference lists {name}, which does not exist: {error}")


def test_the_reference_lists_all_of_game_api():
    import game.api

    reference = _reference()
    missing = [n for n in game.api.__all__ if f"`game.api.{n}`" not in reference]
    assert not missing, "add to MODDING.md's reference: " + ", ".join(missing)
