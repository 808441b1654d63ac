"""The player's settings: name, last server, volumes, key and pad bindings; TOML in the
config dir.

A settings file must never stop the game from starting. Anything wrong with it
(invalid TOML, a wrong type, a typo in a key, an unknown key or pad button name, a
key bound twice, a pad button bound to two actions of one player) gives the defaults
plus one warning line, and the bad file is renamed to `settings.toml.bak` so the
player's edits are not lost and the next save writes a clean file. Saving is atomic
(temp file + rename), so a crash mid-save cannot leave half a file behind.
"""

from __future__ import annotations

import contextlib
import copy
import getpass
import os
import tempfile
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import tomli_w

from engine.cli import parse_address as _parse_address
from engine.data import DataError, Table, load_toml
from engine.net.handshake import name_problem
from engine.net.messages import MAX_NAME_BYTES
from game.lobby.client import parse_lobby_url
from game.rules.difficulty import DEFAULT_DIFFICULTY, DIFFICULTIES

# engine.client.input imports pygame: the two functions that need it import it themselves, so
# `python -m game --help` (which reads DEFAULT_PORT and default_path) runs without pygame.
if TYPE_CHECKING:
    from engine.client.gamepad import PadBindings
    from engine.client.input import Bindings

APP_NAME = "cloudbreak"
DEFAULT_PORT = 5000
FALLBACK_NAME = "Pilot"

ACTIONS = ("move_left", "move_right", "move_up", "move_down", "fire", "missile")

DEFAULT_BINDINGS: dict[int, dict[str, str]] = {
    0: {
        "move_left": "left",
        "move_right": "right",
        "move_up": "up",
        "move_down": "down",
        "fire": "space",
        "missile": "m",
    },
    1: {
        "move_left": "a",
        "move_right": "d",
        "move_up": "w",
        "move_down": "s",
        "fire": "f",
        "missile": "r",
    },
}


# Each local player's pad (the first pad connected is player 1's, the second player 2's): the
# d-pad flies, A fires, B launches a missile. Start pauses (and, on player 2's pad, brings
# player 2 in); neither Start nor Guide can be bound. Names are SDL's (engine.client.gamepad).
DEFAULT_PAD_BINDINGS: dict[int, dict[str, str]] = {
    seat: {
        "move_left": "dpleft",
        "move_right": "dpright",
        "move_up": "dpup",
        "move_down": "dpdown",
        "fire": "a",
        "missile": "b",
    }
    for seat in (0, 1)
}
# The left stick flies too, analog, whatever the buttons are bound to (y grows downwards).
PAD_STICKS: dict[str, tuple[str, str]] = {
    "leftx": ("move_left", "move_right"),
    "lefty": ("move_up", "move_down"),
}
DEFAULT_DEAD_ZONE = 0.25  # engine.client.gamepad.DEFAULT_DEAD_ZONE, without importing pygame
MAX_DEAD_ZONE = 0.9


def clean_player_name(text: str, fallback: str = FALLBACK_NAME) -> str:
    """`text` made into a name the server accepts (see handshake.name_problem), or fallback.

    Control and separator characters are dropped (spaces kept), the ends trimmed,
    and the result cut to MAX_NAME_BYTES of UTF-8 without splitting a character.
    """
    kept = "".join(c for c in text if c == " " or unicodedata.category(c)[0] not in "CZ")
    name = kept.strip()
    while len(name.encode()) > MAX_NAME_BYTES:
        name = name[:-1].rstrip()
    return fallback if name_problem(name) else name


def default_player_name() -> str:
    """The OS user name, cleaned; "Pilot" when there is none (getuser can raise)."""
    try:
        user = getpass.getuser()
    except Exception:  # OSError, KeyError (no passwd entry), ImportError on odd platforms
        return FALLBACK_NAME
    return clean_player_name(user)


def _default_bindings() -> dict[int, dict[str, str]]:
    return copy.deepcopy(DEFAULT_BINDINGS)


def _default_pad_bindings() -> dict[int, dict[str, str]]:
    return copy.deepcopy(DEFAULT_PAD_BINDINGS)


@dataclass
class Settings:
    """Everything the player can change; plain data, validated on load."""

    player_name: str = field(default_factory=default_player_name)
    last_address: str = f"127.0.0.1:{DEFAULT_PORT}"
    lobby_url: str = "http://127.0.0.1:8000"  # Quick match asks this lobby
    host_port: int = DEFAULT_PORT
    music_volume: float = 0.6
    sound_volume: float = 0.8
    fullscreen: bool = False
    bindings: dict[int, dict[str, str]] = field(default_factory=_default_bindings)
    pad_bindings: dict[int, dict[str, str]] = field(default_factory=_default_pad_bindings)
    stick_dead_zone: float = DEFAULT_DEAD_ZONE
    difficulty: str = DEFAULT_DIFFICULTY  # single-player and hosted games

    def input_bindings(self) -> Bindings:
        """The bindings as engine key codes (names were checked when loaded)."""
        from engine.client.input import Bindings

        return Bindings.from_names(self.bindings)

    def pad_input_bindings(self) -> PadBindings:
        """The pad bindings for the engine (names were checked when loaded)."""
        from engine.client.gamepad import PadBindings

        return PadBindings.from_names(self.pad_bindings)


def default_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "settings.toml"


# -- addresses ------------------------------------------------------------------------


def parse_address(text: str, default_port: int = DEFAULT_PORT) -> tuple[str, int]:
    """("host", port) from "host:port", "host" (default port), "[::1]:5000" or "::1";
    ValueError with a one-line message otherwise (the rules of engine.cli)."""
    return _parse_address(text, default_port)


# -- reading --------------------------------------------------------------------------


def _read_bindings(table: Table) -> dict[int, dict[str, str]]:
    """Bindings for the known seats; actions the file leaves out keep their defaults."""
    from engine.client.input import Bindings, key_code

    bindings = _default_bindings()
    if "bindings" not in table.raw:
        return bindings
    seats = table.table("bindings")
    for seat, actions in bindings.items():
        if str(seat) not in seats.raw:
            continue
        row = seats.table(str(seat))
        for action in ACTIONS:
            name = row.string(action, default=actions[action])
            try:
                key_code(name)
            except ValueError:
                raise DataError(f"{row.where(action)}: unknown key name {name!r}") from None
            actions[action] = name
        row.finish()
    seats.finish()
    conflicts = Bindings.from_names(bindings).conflicts()
    if conflicts:
        raise DataError(f"{seats.where()}: {conflicts[0]}")
    return bindings


def _read_pad_bindings(table: Table) -> dict[int, dict[str, str]]:
    """Pad bindings for the known seats; actions the file leaves out keep their defaults."""
    from engine.client.gamepad import PadBindings, control_problem

    bindings = _default_pad_bindings()
    if "pad_bindings" not in table.raw:
        return bindings
    seats = table.table("pad_bindings")
    for seat, actions in bindings.items():
        if str(seat) not in seats.raw:
            continue
        row = seats.table(str(seat))
        for action in ACTIONS:
            name = row.string(action, default=actions[action])
            problem = control_problem(name)
            if problem:
                raise DataError(f"{row.where(action)}: {problem}")
            actions[action] = name
        row.finish()
    seats.finish()
    conflicts = PadBindings.from_names(bindings).conflicts()
    if conflicts:
        raise DataError(f"{seats.where()}: {conflicts[0]}")
    return bindings


def looks_like_a_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".token")


def _read_settings(table: Table) -> Settings:
    defaults = Settings(player_name=FALLBACK_NAME)  # only for the other fields' defaults
    if "player_name" in table.raw:
        name = table.string("player_name")
        if problem := name_problem(name):
            raise table.fail("player_name", problem.removeprefix("the player name "), name)
    else:
        name = default_player_name()
    address = table.string("last_address", default=defaults.last_address)
    try:
        parse_address(address)
    except ValueError as error:
        if not looks_like_a_path(address):  # the Join field also takes a ticket file
            raise table.fail("last_address", str(error)) from None
    lobby_url = table.string("lobby_url", default=defaults.lobby_url)
    try:
        parse_lobby_url(lobby_url)
    except ValueError as error:
        raise table.fail("lobby_url", str(error)) from None
    settings = Settings(
        player_name=name,
        last_address=address,
        lobby_url=lobby_url,
        host_port=table.integer("host_port", default=defaults.host_port, min=1, max=65535),
        music_volume=table.number("music_volume", default=defaults.music_volume, min=0, max=1),
        sound_volume=table.number("sound_volume", default=defaults.sound_volume, min=0, max=1),
        fullscreen=table.boolean("fullscreen", default=defaults.fullscreen),
        bindings=_read_bindings(table),
        pad_bindings=_read_pad_bindings(table),
        stick_dead_zone=table.number(
            "stick_dead_zone", default=defaults.stick_dead_zone, min=0, max=MAX_DEAD_ZONE
        ),
        difficulty=table.string("difficulty", default=defaults.difficulty, choices=DIFFICULTIES),
    )
    table.finish()
    return settings


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def load_settings(path: Path) -> tuple[Settings, str | None]:
    """The settings in `path`, or the defaults plus a one-line warning if it is unusable.

    A missing file is normal (first run): defaults, no warning. An unusable file is
    renamed to `<name>.bak` (replacing an older backup) so nothing is lost.
    """
    if not path.exists():
        return Settings(), None
    try:
        return _read_settings(load_toml(path)), None
    except DataError as error:
        problem = str(error).removeprefix(f"{path}: ")
    backup = backup_path(path)
    try:
        os.replace(path, backup)
    except OSError as error:
        kept = f"the old file could not be moved aside ({error.strerror})"
    else:
        kept = f"the old file is kept as {backup.name}"
    return Settings(), f"settings file {path} was unreadable ({problem}); using defaults, {kept}"


# -- writing --------------------------------------------------------------------------


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    """The TOML document for `settings` (TOML keys are strings, so seats become "0", "1")."""
    data = asdict(settings)
    data["bindings"] = {str(seat): dict(actions) for seat, actions in settings.bindings.items()}
    data["pad_bindings"] = {
        str(seat): dict(actions) for seat, actions in settings.pad_bindings.items()
    }
    return data


def save_settings(settings: Settings, path: Path) -> None:
    """Write `settings` atomically, creating directories; OSError goes to the caller.

    Settings that would not load back (a value out of range, a key bound twice)
    raise ValueError before anything is written.
    """
    data = settings_to_toml(settings)
    try:
        _read_settings(Table(copy.deepcopy(data), "settings", ""))
    except DataError as error:
        raise ValueError(f"not saving invalid {error}") from None
    text = tomli_w.dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
