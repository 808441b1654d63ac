"""Data tables: every error names the file, the key and the bad value."""

import pytest

from engine.data import DataError, load_toml


def write(tmp_path, text):
    path = tmp_path / "table.toml"
    path.write_text(text)
    return path


def test_typed_reads_with_bounds(tmp_path):
    table = load_toml(write(tmp_path, "[ship]\nspeed = 2.5\nhp = 3\nname = 'x'\nok = true\n"))
    ship = table.table("ship")
    assert ship.number("speed", above=0) == 2.5
    assert ship.integer("hp", min=1) == 3
    assert ship.string("name") == "x"
    assert ship.boolean("ok") is True
    assert ship.number("missing", default=7.0) == 7.0
    ship.finish()


@pytest.mark.parametrize(
    ("text", "call", "message"),
    [
        (
            "[ship]\nspeed = -1\n",
            lambda s: s.number("speed", above=0),
            "ship.speed: must be a number > 0, got -1",
        ),
        ("[ship]\nhp = 1.5\n", lambda s: s.integer("hp"), "ship.hp: must be an integer, got 1.5"),
        (
            "[ship]\nhp = 99\n",
            lambda s: s.integer("hp", max=10),
            "ship.hp: must be an integer <= 10, got 99",
        ),
        (
            "[ship]\nside = 'up'\n",
            lambda s: s.string("side", choices=("a", "b")),
            "ship.side: must be one of a, b, got 'up'",
        ),
        ("[ship]\n", lambda s: s.number("speed"), "ship.speed: is required"),
        (
            "[ship]\nspeed = nan\n",
            lambda s: s.number("speed"),
            "ship.speed: must be a number, got nan",
        ),
        ("[ship]\nok = 1\n", lambda s: s.boolean("ok"), "ship.ok: must be true or false, got 1"),
    ],
)
def test_bad_values_name_file_key_and_value(tmp_path, text, call, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as caught:
        call(load_toml(path).table("ship"))
    assert str(caught.value) == f"{path}: {message}"


def test_unknown_keys_are_rejected(tmp_path):
    path = write(tmp_path, "[ship]\nspeed = 1\nsped = 2\n")
    ship = load_toml(path).table("ship")
    ship.number("speed")
    with pytest.raises(DataError, match=r"ship\.sped: is not a known key"):
        ship.finish()


def test_arrays_of_tables_are_indexed_in_errors(tmp_path):
    path = write(tmp_path, "[[enemy]]\nx = 1\n[[enemy]]\nx = 'far'\n")
    enemies = load_toml(path).tables("enemy")
    assert enemies[0].number("x") == 1
    with pytest.raises(DataError, match=r"enemy\[1\]\.x: must be a number, got 'far'"):
        enemies[1].number("x")


def test_missing_file_and_invalid_toml_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_toml(tmp_path / "absent.toml")
    with pytest.raises(DataError, match="invalid TOML") as caught:
        load_toml(write(tmp_path, "speed = = 3\n"))
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_utf8_is_a_data_error(tmp_path):
    path = tmp_path / "table.toml"
    path.write_bytes(b"name = '\xff\xfe'\n")
    with pytest.raises(DataError, match="not UTF-8"):
        load_toml(path)
