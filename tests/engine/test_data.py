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


def test_a_bad_top_level_value_is_named_by_its_key_and_unknown_ones_too(tmp_path):
    path = write(tmp_path, "version = 'two'\nextra = 1\n")
    root = load_toml(path)
    with pytest.raises(DataError) as caught:
        root.integer("version")
    assert str(caught.value) == f"{path}: version: must be an integer, got 'two'"
    with pytest.raises(DataError) as caught:
        root.finish()
    assert str(caught.value) == f"{path}: extra: is not a known key"
    assert root.where() == f"{path}: (top level)"


def test_lower_bounds_and_booleans_are_not_numbers(tmp_path):
    path = write(tmp_path, "[ship]\nhp = 0\nspeed = 0.5\nflag = true\nlabel = 3\n")
    ship = load_toml(path).table("ship")
    with pytest.raises(DataError, match=r"ship\.hp: must be an integer >= 1, got 0$"):
        ship.integer("hp", min=1)
    with pytest.raises(DataError, match=r"ship\.speed: must be a number >= 1, got 0\.5$"):
        ship.number("speed", min=1)
    with pytest.raises(DataError, match=r"ship\.speed: must be a number <= 0\.25, got 0\.5$"):
        ship.number("speed", max=0.25)
    with pytest.raises(DataError, match=r"ship\.flag: must be a number, got True$"):
        ship.number("flag")
    with pytest.raises(DataError, match=r"ship\.flag: must be an integer, got True$"):
        ship.integer("flag")
    with pytest.raises(DataError, match=r"ship\.label: must be a string, got 3$"):
        ship.string("label")
    assert ship.integer("hp", min=0, max=0) == 0
    assert ship.number("speed", min=0.5, max=0.5, above=0.25) == 0.5


def test_named_subtables_and_their_keys(tmp_path):
    path = write(tmp_path, "[aircraft.eagle]\nspeed = 1\n[aircraft.raptor]\nspeed = 'x'\n")
    root = load_toml(path)
    aircraft = root.subtables("aircraft")
    assert list(aircraft) == ["eagle", "raptor"]
    assert aircraft["eagle"].keys() == ["speed"]
    assert aircraft["eagle"].number("speed") == 1.0
    with pytest.raises(DataError) as caught:
        aircraft["raptor"].number("speed")
    assert str(caught.value) == f"{path}: aircraft.raptor.speed: must be a number, got 'x'"
    root.finish()  # "aircraft" was read


def test_a_value_that_should_be_a_table_or_tables_is_named(tmp_path):
    path = write(tmp_path, "ship = 3\nenemy = [1, 2]\n")
    root = load_toml(path)
    with pytest.raises(DataError) as caught:
        root.table("ship")
    assert str(caught.value) == f"{path}: ship: must be a table, got 3"
    with pytest.raises(DataError) as caught:
        root.tables("enemy")
    assert str(caught.value) == f"{path}: enemy: must be an array of tables, got [1, 2]"
    assert root.tables("wave", default=[]) == []
    with pytest.raises(DataError, match=r"wave: is required$"):
        root.tables("wave")


def test_a_nested_array_of_tables_is_indexed_under_its_parent(tmp_path):
    path = write(tmp_path, "[level]\n[[level.wave]]\nsize = 1\n[[level.wave]]\nsize = -2\n")
    waves = load_toml(path).table("level").tables("wave")
    with pytest.raises(DataError) as caught:
        waves[1].integer("size", min=0)
    assert str(caught.value) == f"{path}: level.wave[1].size: must be an integer >= 0, got -2"


def test_an_unreadable_path_is_a_one_line_data_error(tmp_path):
    with pytest.raises(DataError) as caught:
        load_toml(tmp_path)  # a directory, not a file
    assert str(caught.value).startswith(f"{tmp_path}: cannot read: ")
    assert "\n" not in str(caught.value)
