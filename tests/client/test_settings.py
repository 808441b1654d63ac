"""Settings: round trips through TOML, and a bad file never stops the game (defaults + .bak)."""

import dataclasses

import pytest

from game.client import settings as settings_module
from game.client.settings import (
    ACTIONS,
    DEFAULT_BINDINGS,
    DEFAULT_PAD_BINDINGS,
    Settings,
    clean_player_name,
    default_path,
    default_player_name,
    load_settings,
    parse_address,
    save_settings,
)

GOOD = """\
player_name = "Ace"
last_address = "example.org:6000"
host_port = 6001
music_volume = 0.25
sound_volume = 1.0
fullscreen = true

[bindings.0]
move_left = "left"
move_right = "right"
move_up = "up"
move_down = "down"
fire = "space"
missile = "m"
"""


def custom():
    bindings = {seat: dict(actions) for seat, actions in DEFAULT_BINDINGS.items()}
    bindings[1]["fire"] = "left shift"
    pads = {seat: dict(actions) for seat, actions in DEFAULT_PAD_BINDINGS.items()}
    pads[0]["fire"], pads[0]["missile"] = "righttrigger", "a"
    pads[1]["move_left"] = "x"
    return Settings(
        player_name="Zoë Ace",
        last_address="[::1]:5001",
        host_port=5001,
        music_volume=0.1,
        sound_volume=0.0,
        fullscreen=True,
        bindings=bindings,
        pad_bindings=pads,
        stick_dead_zone=0.15,
    )


def test_defaults():
    settings = Settings(player_name="Ace")
    assert settings.bindings == DEFAULT_BINDINGS
    assert settings.bindings is not DEFAULT_BINDINGS
    assert settings.bindings[0] is not DEFAULT_BINDINGS[0]
    assert set(settings.bindings[0]) == set(ACTIONS)
    assert (settings.last_address, settings.host_port) == ("127.0.0.1:5000", 5000)
    assert (settings.music_volume, settings.sound_volume, settings.fullscreen) == (0.6, 0.8, False)
    assert settings.input_bindings().conflicts() == []
    assert settings.pad_bindings == DEFAULT_PAD_BINDINGS
    assert settings.pad_bindings[1] is not DEFAULT_PAD_BINDINGS[1]
    assert all(set(actions) == set(ACTIONS) for actions in settings.pad_bindings.values())
    assert settings.pad_input_bindings().conflicts() == []
    assert settings.stick_dead_zone == 0.25


def test_default_path_is_in_the_user_config_dir():
    path = default_path()
    assert path.name == "settings.toml"
    assert path.parent.name == "cloudbreak"


def test_round_trip(tmp_path):
    path = tmp_path / "settings.toml"
    save_settings(custom(), path)
    assert load_settings(path) == (custom(), None)
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]  # no temp files left


def test_save_creates_directories_and_replaces_the_old_file(tmp_path):
    path = tmp_path / "deep" / "er" / "settings.toml"
    save_settings(Settings(player_name="One"), path)
    save_settings(Settings(player_name="Two"), path)
    assert load_settings(path)[0].player_name == "Two"


def test_save_refuses_settings_that_would_not_load(tmp_path):
    path = tmp_path / "settings.toml"
    bad = dataclasses.replace(custom(), music_volume=3.0)
    with pytest.raises(ValueError, match="music_volume"):
        save_settings(bad, path)
    assert not path.exists()


def test_save_raises_os_errors(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError):
        save_settings(Settings(player_name="Ace"), blocker / "settings.toml")


def test_missing_file_gives_defaults_without_warning(tmp_path):
    settings, warning = load_settings(tmp_path / "settings.toml")
    assert warning is None
    assert settings == Settings()


def test_partial_file_keeps_defaults_for_the_rest(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('host_port = 7000\n[bindings.1]\nfire = "q"\n')
    settings, warning = load_settings(path)
    assert warning is None
    assert settings.host_port == 7000
    assert settings.bindings[1]["fire"] == "q"
    assert settings.bindings[1]["move_left"] == "a"
    assert settings.bindings[0] == DEFAULT_BINDINGS[0]


def test_the_pad_bindings_are_saved_beside_the_keys(tmp_path):
    path = tmp_path / "settings.toml"
    save_settings(custom(), path)
    text = path.read_text()
    assert '[bindings.0]\nmove_left = "left"' in text
    assert "[pad_bindings.0]" in text
    assert 'fire = "righttrigger"' in text
    assert "stick_dead_zone = 0.15" in text


def test_a_partial_pad_table_keeps_defaults_for_the_rest(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[pad_bindings.1]\nfire = "rightshoulder"\n')
    settings, warning = load_settings(path)
    assert warning is None
    assert settings.pad_bindings[1]["fire"] == "rightshoulder"
    assert settings.pad_bindings[1]["missile"] == "b"
    assert settings.pad_bindings[0] == DEFAULT_PAD_BINDINGS[0]


def test_save_refuses_a_pad_button_bound_twice_for_one_player(tmp_path):
    path = tmp_path / "settings.toml"
    bad = custom()
    bad.pad_bindings[0]["missile"] = "righttrigger"
    with pytest.raises(ValueError, match="pad button 'righttrigger' is bound to both"):
        save_settings(bad, path)
    assert not path.exists()


def test_good_hand_written_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(GOOD)
    settings, warning = load_settings(path)
    assert warning is None
    assert settings.player_name == "Ace"
    assert settings.music_volume == 0.25
    assert settings.fullscreen is True


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("player_name = 'Ace\n", "invalid TOML"),
        ("host_port = 'five thousand'\n", "host_port: must be an integer, got 'five thousand'"),
        ("fullscreen = 1\n", "fullscreen: must be true or false, got 1"),
        ("music_volume = 1.5\n", "music_volume: must be a number <= 1, got 1.5"),
        ("sound_volume = -0.1\n", "sound_volume: must be a number >= 0, got -0.1"),
        ("host_port = 70000\n", "host_port: must be an integer <= 65535, got 70000"),
        ("volume = 0.5\n", "volume: is not a known key"),
        ("[bindings.0]\nfire = 'spcae'\n", "bindings.0.fire: unknown key name 'spcae'"),
        ("[bindings.0]\nfire = 32\n", "bindings.0.fire: must be a string, got 32"),
        ("[bindings.0]\njump = 'j'\n", "bindings.0.jump: is not a known key"),
        ("[bindings.7]\nfire = 'j'\n", "bindings.7: is not a known key"),
        (
            "[bindings.0]\nfire = 'f'\n",
            "bindings: key 'f' is bound to both seat 0 fire and seat 1 fire",
        ),
        ("bindings = 3\n", "bindings: must be a table, got 3"),
        (
            "[pad_bindings.0]\nfire = 'trigger'\n",
            "pad_bindings.0.fire: unknown pad button 'trigger'",
        ),
        ("[pad_bindings.1]\nfire = 7\n", "pad_bindings.1.fire: must be a string, got 7"),
        (
            "[pad_bindings.0]\nmissile = 'start'\n",
            "pad_bindings.0.missile: pad button 'start' is kept for pausing",
        ),
        (
            "[pad_bindings.0]\nmissile = 'guide'\n",
            "pad_bindings.0.missile: pad button 'guide' belongs to the system",
        ),
        ("[pad_bindings.0]\njump = 'a'\n", "pad_bindings.0.jump: is not a known key"),
        ("[pad_bindings.2]\nfire = 'a'\n", "pad_bindings.2: is not a known key"),
        (
            "[pad_bindings.1]\nmissile = 'a'\n",
            "pad_bindings: pad button 'a' is bound to both seat 1 fire and seat 1 missile",
        ),
        ("stick_dead_zone = 0.95\n", "stick_dead_zone: must be a number <= 0.9, got 0.95"),
        ("difficulty = 'insane'\n", "difficulty: must be one of easy, normal, hard, got 'insane'"),
        ("stick_dead_zone = -0.1\n", "stick_dead_zone: must be a number >= 0, got -0.1"),
        ("player_name = ''\n", "player_name: is empty"),
        ("player_name = '" + "x" * 33 + "'\n", "player_name: is longer than 32 bytes"),
        ("last_address = 'host:abc'\n", "last_address: bad address 'host:abc'"),
    ],
)
def test_bad_file_gives_defaults_a_warning_and_a_backup(tmp_path, text, problem):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    old = path.read_bytes()
    settings, warning = load_settings(path)
    assert settings == Settings()
    assert warning is not None
    assert "\n" not in warning
    assert warning.startswith(f"settings file {path} was unreadable (")
    assert problem in warning
    assert warning.endswith("; using defaults, the old file is kept as settings.toml.bak")
    assert (tmp_path / "settings.toml.bak").read_bytes() == old
    assert not path.exists()


def test_warning_matches_the_documented_shape(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[bindings.0]\nfire = 'spcae'\n")
    _, warning = load_settings(path)
    assert warning == (
        f"settings file {path} was unreadable (bindings.0.fire: unknown key name 'spcae'); "
        "using defaults, the old file is kept as settings.toml.bak"
    )


def test_file_that_is_not_utf8_is_backed_up(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b"player_name = '\xff'\n")
    settings, warning = load_settings(path)
    assert settings == Settings()
    assert "not UTF-8" in warning
    assert (tmp_path / "settings.toml.bak").read_bytes() == b"player_name = '\xff'\n"


def test_a_newer_bad_file_replaces_the_older_backup_and_the_next_save_is_clean(tmp_path):
    path = tmp_path / "settings.toml"
    (tmp_path / "settings.toml.bak").write_text("older backup")
    path.write_text("nonsense = [")
    load_settings(path)
    assert (tmp_path / "settings.toml.bak").read_text() == "nonsense = ["
    save_settings(Settings(player_name="Ace"), path)
    assert load_settings(path) == (Settings(player_name="Ace"), None)


def test_default_player_name_is_a_clean_os_user_name(monkeypatch):
    monkeypatch.setattr(settings_module.getpass, "getuser", lambda: "  jo\tsmith\n ")
    assert default_player_name() == "josmith"
    monkeypatch.setattr(settings_module.getpass, "getuser", lambda: "\x00\x01")
    assert default_player_name() == "Pilot"

    def no_user():
        raise OSError("no user")

    monkeypatch.setattr(settings_module.getpass, "getuser", no_user)
    assert default_player_name() == "Pilot"


def test_clean_player_name_cuts_to_32_bytes_on_a_character_boundary():
    name = clean_player_name("é" * 40)
    assert name == "é" * 16
    assert len(name.encode()) == 32
    assert clean_player_name("x" * 40) == "x" * 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5000", ("127.0.0.1", 5000)),
        ("example.org:6000", ("example.org", 6000)),
        ("example.org", ("example.org", 5000)),
        ("  localhost:1  ", ("localhost", 1)),
        ("[::1]:5001", ("::1", 5001)),
        ("[::1]", ("::1", 5000)),
        ("::1", ("::1", 5000)),
        ("fe80::1", ("fe80::1", 5000)),
        ("host:65535", ("host", 65535)),
    ],
)
def test_parse_address(text, expected):
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("host:abc", "the port must be a number, got 'abc'"),
        ("host:", "the port must be a number, got ''"),
        ("host:0", "the port must be between 1 and 65535, got 0"),
        ("host:65536", "the port must be between 1 and 65535, got 65536"),
        ("host:-1", "the port must be a number"),
        (":5000", "the host is missing"),
        ("my host:5000", "is not a host name"),
        ("[::1", "missing ']'"),
        ("[nope]:5000", "'nope' is not an IPv6 address"),
        ("[::1]5000", "expected ':port'"),
        ("::1:zz:5000", "[addr]:port"),
        ("host:５０００", "the port must be a number"),
    ],
)
def test_parse_address_rejects_bad_input_in_one_line(text, message):
    with pytest.raises(ValueError) as caught:
        parse_address(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_difficulty_is_saved_and_loaded(tmp_path):
    path = tmp_path / "settings.toml"
    assert Settings().difficulty == "normal"
    save_settings(dataclasses.replace(Settings(), difficulty="hard"), path)
    settings, warning = load_settings(path)
    assert warning is None
    assert settings.difficulty == "hard"
