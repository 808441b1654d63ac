"""Mods: importable modules that add a plugin to every world of a game.

A mod is a module with a `plugin()` function returning a fresh `engine.Plugin`
(and optionally `__version__`). It is named on the command line (`--mod NAME`,
repeatable) or installed under the `cloudbreak.mods` entry-point group. Mods
load all-or-nothing: if any fails to import or to build, the error names that
mod and nothing starts half-modded. Mods are applied in name order, so a server
and a client given the same mods in any order agree on the wire ids they add.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType

from engine.plugin import Plugin
from engine.world import World

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "cloudbreak.mods"


class ModError(Exception):
    """A mod could not be loaded or built; the message names it and says why, on one line."""


@dataclass(frozen=True)
class Mod:
    name: str
    version: str
    module: ModuleType
    make_plugin: Callable[[], Plugin]
    mode: str | None = None  # a game mode's title: it replaces the game's own rules

    @property
    def ident(self) -> str:
        """`name@version`, as sent in the handshake so a mismatch can be named."""
        return f"{self.name}@{self.version}"


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def load_mod(name: str) -> Mod:
    """Import one mod and check that it offers a plugin factory."""
    try:
        module = importlib.import_module(name)
    except Exception as error:  # any import-time failure is the mod's, reported by name
        raise ModError(f"mod {name!r} failed to import: {_one_line(error)}") from None
    factory = getattr(module, "plugin", None)
    if not callable(factory):
        raise ModError(f"mod {name!r} has no plugin() function")
    version = str(getattr(module, "__version__", "0"))
    mode = getattr(module, "MODE", None)
    return Mod(name, version, module, factory, str(mode) if mode else None)


def game_mode(mods: Iterable[Mod]) -> Mod | None:
    """The one mod that is a whole game mode, if any (two modes cannot share a world)."""
    modes = [mod for mod in mods if mod.mode]
    if len(modes) > 1:
        names = ", ".join(mod.name for mod in modes)
        raise ModError(f"mods {names} are all game modes; load one at a time")
    return modes[0] if modes else None


def entry_point_mods() -> list[str]:
    """Module names of the mods installed under the `cloudbreak.mods` entry-point group."""
    return sorted(
        {ep.value.split(":")[0] for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    )


def load_mods(names: Iterable[str], *, installed: bool = True) -> list[Mod]:
    """Load the named mods (plus the installed ones) in name order; all or none."""
    wanted = set(names)
    if installed:
        wanted.update(entry_point_mods())
    mods, problems = [], []
    for name in sorted(wanted):
        try:
            mods.append(load_mod(name))
        except ModError as error:
            problems.append(str(error))
    if problems:
        raise ModError("; ".join(problems))
    game_mode(mods)
    return mods


def build_mods(world: World, mods: Iterable[Mod]) -> None:
    """Add each mod's plugin to the world; a failure names the mod."""
    for mod in mods:
        try:
            plugin = mod.make_plugin()
            if not isinstance(plugin, Plugin):
                raise TypeError(f"plugin() returned {type(plugin).__name__}, not a Plugin")
            world.add_plugin(plugin)
        except Exception as error:  # the mod's code: report it by name, start nothing
            raise ModError(f"mod {mod.name!r} failed to register: {_one_line(error)}") from None
        log.info("mod %s loaded into %s", mod.ident, world.name)
