"""Mod loading: by name or entry point, all or nothing, errors that name the mod."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from engine import Phase, Plugin, World
from engine.mods import ModError, build_mods, entry_point_mods, game_mode, load_mod, load_mods


def fake_module(monkeypatch, name: str, **attributes) -> None:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)


class Tiny(Plugin):
    name = "tiny"

    def build(self, world):
        world.add_system(lambda w, dt: None, Phase.SIMULATE)


def test_a_missing_module_is_named_with_its_error():
    with pytest.raises(ModError, match=r"mod 'no_such_mod' failed to import: ModuleNotFoundError"):
        load_mod("no_such_mod")


def test_a_module_without_plugin_is_refused(monkeypatch):
    fake_module(monkeypatch, "pluginless")
    with pytest.raises(ModError, match=r"mod 'pluginless' has no plugin\(\) function"):
        load_mod("pluginless")


def test_every_failure_is_reported_and_nothing_loads_half(monkeypatch):
    fake_module(monkeypatch, "good", plugin=Tiny, __version__="2")
    with pytest.raises(ModError) as caught:
        load_mods(["good", "bad_one", "bad_two"], installed=False)
    assert "bad_one" in str(caught.value) and "bad_two" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_mods_load_in_name_order_with_versions(monkeypatch):
    fake_module(monkeypatch, "zeta", plugin=Tiny)
    fake_module(monkeypatch, "alpha", plugin=Tiny, __version__="3.1")
    mods = load_mods(["zeta", "alpha"], installed=False)
    assert [m.ident for m in mods] == ["alpha@3.1", "zeta@0"]


def test_a_plugin_that_fails_to_build_is_named(monkeypatch):
    class Broken(Plugin):
        name = "broken"

        def build(self, world):
            raise RuntimeError("the data file is missing")

    fake_module(monkeypatch, "broken_mod", plugin=Broken)
    world = World()
    try:
        with pytest.raises(ModError, match="mod 'broken_mod' failed to register: RuntimeError"):
            build_mods(world, load_mods(["broken_mod"], installed=False))
    finally:
        world.close()


def test_installed_mods_come_from_the_entry_point_group(monkeypatch):
    class EntryPoint:
        def __init__(self, value):
            self.value = value

    def entry_points(group):
        assert group == "cloudbreak.mods"
        return [EntryPoint("shield_mod:plugin"), EntryPoint("other_mod")]

    monkeypatch.setattr("importlib.metadata.entry_points", entry_points)
    assert entry_point_mods() == ["other_mod", "shield_mod"]


@pytest.mark.process
@pytest.mark.parametrize("program", ["game.server", "game"])
def test_a_bad_mod_on_the_command_line_is_a_one_line_error(program):
    result = subprocess.run(
        [sys.executable, "-m", program, "--mod", "no_such_mod"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: mod 'no_such_mod' failed to import: ModuleNotFoundError: "
        "No module named 'no_such_mod'"
    ]


def test_an_installed_distribution_is_found_through_its_entry_point(tmp_path, monkeypatch):
    """A real dist-info on sys.path, as pip would install it: importlib.metadata finds it."""
    dist = tmp_path / "cloudbreak_demo_mod-1.2.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: cloudbreak-demo-mod\nVersion: 1.2\n"
    )
    (dist / "entry_points.txt").write_text("[cloudbreak.mods]\ndemo = demo_mod\n")
    (tmp_path / "demo_mod.py").write_text(
        "from engine import Plugin\n"
        "__version__ = '1.2'\n"
        "class Demo(Plugin):\n"
        "    name = 'demo'\n"
        "def plugin():\n"
        "    return Demo()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "demo_mod" in entry_point_mods()
    mods = load_mods([])  # nothing named: the installed mod comes in by itself
    assert [m.ident for m in mods if m.name == "demo_mod"] == ["demo_mod@1.2"]
    world = World()
    try:
        build_mods(world, mods)
        assert "demo" in world.plugins
    finally:
        world.close()
        sys.modules.pop("demo_mod", None)


@pytest.mark.parametrize(
    ("error", "reported"),
    [
        (ValueError(""), "ValueError"),
        (ValueError("bad value\nsecond line\nthird"), "ValueError: bad value"),
        (ValueError("  padded  \n"), "ValueError: padded"),
        (KeyError("speed"), "KeyError: 'speed'"),
        (ValueError("size 4X"), "ValueError: size 4X"),
    ],
)
def test_an_import_failure_is_reported_on_one_line_with_its_type(monkeypatch, error, reported):
    def failing_import(name):
        raise error

    monkeypatch.setattr("importlib.import_module", failing_import)
    with pytest.raises(ModError) as caught:
        load_mod("shaky")
    assert str(caught.value) == f"mod 'shaky' failed to import: {reported}"


def test_a_plugin_factory_that_returns_something_else_is_named(monkeypatch):
    fake_module(monkeypatch, "wrong_factory", plugin=lambda: "a plugin")
    world = World()
    try:
        with pytest.raises(ModError) as caught:
            build_mods(world, load_mods(["wrong_factory"], installed=False))
        assert str(caught.value) == (
            "mod 'wrong_factory' failed to register: TypeError: plugin() returned str, not a Plugin"
        )
    finally:
        world.close()


def test_every_failure_is_listed_in_name_order_separated_by_semicolons(monkeypatch):
    fake_module(monkeypatch, "no_factory")
    with pytest.raises(ModError) as caught:
        load_mods(["zz_missing_mod", "no_factory"], installed=False)
    assert str(caught.value) == (
        "mod 'no_factory' has no plugin() function; "
        "mod 'zz_missing_mod' failed to import: "
        "ModuleNotFoundError: No module named 'zz_missing_mod'"
    )


def test_a_loaded_mod_keeps_its_module_factory_and_game_mode(monkeypatch):
    fake_module(monkeypatch, "arena", plugin=Tiny, MODE="Arena", __version__=2)
    fake_module(monkeypatch, "skins", plugin=Tiny)
    arena, skins = load_mods(["skins", "arena"], installed=False)
    assert arena.module is sys.modules["arena"]
    assert arena.make_plugin is Tiny
    assert (arena.mode, arena.ident) == ("Arena", "arena@2")
    assert skins.mode is None
    assert game_mode([skins, arena]) is arena
    assert game_mode([skins]) is None


def test_two_game_modes_cannot_load_together(monkeypatch):
    fake_module(monkeypatch, "arena", plugin=Tiny, MODE="Arena")
    fake_module(monkeypatch, "race", plugin=Tiny, MODE="Race")
    with pytest.raises(ModError) as caught:
        load_mods(["race", "arena"], installed=False)
    assert str(caught.value) == "mods arena, race are all game modes; load one at a time"
