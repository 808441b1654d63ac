"""Rule 16: bad content is refused with a DataError naming the file, the key and the value."""

import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w

import game.rules.content
from engine.data import DataError
from game.rules.content import DATA_DIR, load_content

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path) -> Path:
    """A private copy of game/rules/data to break."""
    copy = tmp_path / "data"
    shutil.copytree(DATA_DIR, copy)
    return copy


def edit(data: Path, name: str, change) -> Path:
    """Load data/name, let change(tree) modify it, write it back; returns the file's path."""
    path = data / name
    tree = tomllib.loads(path.read_text())
    change(tree)
    path.write_text(tomli_w.dumps(tree))
    return path


def refused(data: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_content(data)
    return str(caught.value)


def test_an_untouched_copy_loads_like_the_shipped_data(data):
    assert load_content(data) == load_content()


def test_a_rewritten_but_unchanged_copy_still_loads(data):
    for name in (
        "aircraft.toml",
        "weapons.toml",
        "campaign.toml",
        "missions/sea.toml",
        "missions/coast.toml",
        "missions/storm.toml",
    ):
        edit(data, name, lambda tree: None)
    assert load_content(data) == load_content()


def test_the_data_ships_inside_the_rules_package():
    """An installed copy finds the data where it finds the code: package data, no lookup."""
    assert Path(game.rules.content.__file__).resolve().parent / "data" == DATA_DIR
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "*.toml" in setuptools["package-data"]["*"]
    assert sorted(p.name for p in DATA_DIR.glob("*.toml")) == [
        "aircraft.toml",
        "battlefield.toml",
        "campaign.toml",
        "difficulty.toml",
        "pickups.toml",
        "weapons.toml",
    ]
    assert sorted(p.name for p in (DATA_DIR / "missions").glob("*.toml")) == [
        "coast.toml",
        "sea.toml",
        "storm.toml",
    ]


def set_in(*keys_and_value):
    *keys, value = keys_and_value

    def change(tree):
        node = tree
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


BAD_VALUES = [
    # (file, change, key path in the message, value in the message)
    (
        "aircraft.toml",
        set_in("aircraft", "eagle", "hitpoints", -5),
        "aircraft.eagle.hitpoints",
        "-5",
    ),
    (
        "aircraft.toml",
        set_in("aircraft", "raptor", "speed", "fast"),
        "aircraft.raptor.speed",
        "'fast'",
    ),
    (
        "aircraft.toml",
        set_in("aircraft", "avenger", "bullet", "pea"),
        "aircraft.avenger.bullet",
        "'pea'",
    ),
    (
        "aircraft.toml",
        set_in("aircraft", "eagle", "side", "neutral"),
        "aircraft.eagle.side",
        "'neutral'",
    ),
    (
        "aircraft.toml",
        set_in("aircraft", "raptor", "pattern", [[45.0, 80.0], [200.0, 10.0]]),
        "aircraft.raptor.pattern[1]",
        "[200.0, 10.0]",
    ),
    (
        "weapons.toml",
        set_in("firing", "spread", [[0.0], [0.0], [-0.5, 0.0, 0.5]]),
        "firing.spread[1]",
        "[0.0]",
    ),
    ("weapons.toml", set_in("firing", "spread", [[0.0], [-0.3, 0.3]]), "firing.spread", "[[0.0]"),
    (
        "weapons.toml",
        set_in("projectiles", "missile", "damage", 2.5),
        "projectiles.missile.damage",
        "2.5",
    ),
    ("pickups.toml", set_in("drop_chance", 1.5), "drop_chance", "1.5"),
    (
        "pickups.toml",
        set_in("pickups", "health", "effect", "shield"),
        "pickups.health.effect",
        "'shield'",
    ),
    ("pickups.toml", set_in("pickups", "missiles", "amount", 0), "pickups.missiles.amount", "0"),
    ("battlefield.toml", set_in("world", "max_players", 17), "world.max_players", "17"),
    ("battlefield.toml", set_in("world", "scroll_speed", -50.0), "world.scroll_speed", "-50.0"),
    ("battlefield.toml", set_in("world", "spawn_margin", 500.0), "world.spawn_margin", "500.0"),
    ("missions/sea.toml", set_in("length", 700.0), "length", "700.0"),
    ("missions/coast.toml", set_in("length", 800.0), "length", "800.0"),
    ("missions/storm.toml", set_in("title", ""), "title", "''"),
    ("missions/storm.toml", set_in("title", 3), "title", "3"),
    ("missions/coast.toml", set_in("look", "background", "Sea Tile"), "look.background", "'Sea"),
    (
        "missions/coast.toml",
        set_in("look", "scenery_chance", 2.0),
        "look.scenery_chance",
        "2.0",
    ),
    ("missions/storm.toml", set_in("enemy", 1, "kind", "eagle"), "enemy[1].kind", "'eagle'"),
    ("missions/storm.toml", set_in("enemy", 0, "ahead", 5500.0), "enemy[0].ahead", "5500.0"),
    ("campaign.toml", set_in("missions", ["sea", "coast", "Storm"]), "missions[2]", "'Storm'"),
    ("campaign.toml", set_in("missions", ["sea", "coast", "sea"]), "missions[2]", "'sea'"),
    ("campaign.toml", set_in("missions", ["sea", "coast", "lake"]), "missions[2]", "'lake'"),
    ("campaign.toml", set_in("missions", []), "missions", "[]"),
    ("battlefield.toml", set_in("world", "start_offset", 800.0), "world.start_offset", "800.0"),
    (
        "weapons.toml",
        set_in("projectiles", "missile", "homing_rate", -1.0),
        "projectiles.missile.homing_rate",
        "-1.0",
    ),
    (
        "aircraft.toml",
        set_in("aircraft", "raptor", "fire_interval", -0.5),
        "aircraft.raptor.fire_interval",
        "-0.5",
    ),
    ("missions/sea.toml", set_in("enemy", 0, "kind", "zeppelin"), "enemy[0].kind", "'zeppelin'"),
    ("missions/sea.toml", set_in("enemy", 3, "x", 9000.0), "enemy[3].x", "9000.0"),
    (
        "missions/sea.toml",
        set_in("waves", "formation", 0, "kinds", ["raptor", "eagle"]),
        "waves.formation[0].kinds",
        "'eagle'",
    ),
    ("missions/sea.toml", set_in("waves", "interval_max", 1.0), "waves.interval_max", "1.0"),
    (
        "missions/sea.toml",
        set_in("waves", "formation", 1, "shape", "spiral"),
        "waves.formation[1].shape",
        "'spiral'",
    ),
    (
        "missions/sea.toml",
        set_in("waves", "formation", 2, "count_max", 0),
        "waves.formation[2].count_max",
        "0",
    ),
    (
        "missions/sea.toml",
        set_in("waves", "formation", 0, "pattern", [[0.0, -5.0]]),
        "waves.formation[0].pattern[0]",
        "[0.0, -5.0]",
    ),
    ("missions/sea.toml", set_in("waves", "per_player", -1.0), "waves.per_player", "-1.0"),
    (
        "aircraft.toml",
        set_in("aircraft", "avenger", "aim_cone", 120.0),
        "aircraft.avenger.aim_cone",
        "120.0",
    ),
    (
        "aircraft.toml",
        set_in("aircraft", "raptor", "pursuit", -10.0),
        "aircraft.raptor.pursuit",
        "-10.0",
    ),
    (
        "difficulty.toml",
        set_in("difficulty", "hard", "enemy_fire", 0.0),
        "difficulty.hard.enemy_fire",
        "0.0",
    ),
    (
        "difficulty.toml",
        set_in("difficulty", "easy", "waves", "rarely"),
        "difficulty.easy.waves",
        "'rarely'",
    ),
]


@pytest.mark.parametrize(
    ("name", "change", "key", "value"), BAD_VALUES, ids=[case[2] for case in BAD_VALUES]
)
def test_a_bad_value_names_file_key_and_value(data, name, change, key, value):
    path = edit(data, name, change)
    message = refused(data)
    assert message.startswith(f"{path}: {key}: ")
    assert f"got {value}" in message


@pytest.mark.parametrize(
    ("name", "keys", "key"),
    [
        ("aircraft.toml", ("aircraft", "eagle", "colour"), "aircraft.eagle.colour"),
        ("weapons.toml", ("firing", "max_spred_level"), "firing.max_spred_level"),
        ("battlefield.toml", ("gravity",), "gravity"),
        ("campaign.toml", ("order",), "order"),
        ("missions/coast.toml", ("look", "music"), "look.music"),
        ("missions/storm.toml", ("weather",), "weather"),
        ("missions/sea.toml", ("enemy", 2, "delay"), "enemy[2].delay"),
        ("missions/sea.toml", ("waves", "formation", 3, "speed"), "waves.formation[3].speed"),
        ("difficulty.toml", ("difficulty", "normal", "score"), "difficulty.normal.score"),
    ],
)
def test_an_unknown_key_is_named(data, name, keys, key):
    path = edit(data, name, set_in(*keys, "red"))
    message = refused(data)
    assert message.startswith(f"{path}: {key}: ")
    assert "not a known key" in message


def test_the_difficulty_levels_are_easy_normal_and_hard_each_required(data):
    levels = load_content(data).difficulties
    assert list(levels) == ["easy", "normal", "hard"]
    assert levels["easy"].enemy_fire < levels["normal"].enemy_fire < levels["hard"].enemy_fire
    path = edit(data, "difficulty.toml", lambda tree: tree["difficulty"].pop("hard"))
    assert refused(data) == f"{path}: difficulty.hard: is required"


def test_an_unknown_difficulty_level_is_named(data):
    path = edit(data, "difficulty.toml", set_in("difficulty", "insane", {"enemy_fire": 2.0}))
    assert refused(data) == f"{path}: difficulty.insane: must be one of easy, normal, hard"


def test_random_waves_need_a_formation(data):
    path = edit(data, "missions/sea.toml", set_in("waves", "formation", []))
    assert refused(data) == f"{path}: waves.formation: needs at least one [[waves.formation]]"


def test_a_missing_required_key_is_named(data):
    path = edit(data, "aircraft.toml", lambda tree: tree["aircraft"]["raptor"].pop("hitpoints"))
    assert refused(data) == f"{path}: aircraft.raptor.hitpoints: is required"


def test_invalid_toml_names_the_file_and_the_line(data):
    path = data / "pickups.toml"
    lines = path.read_text().splitlines()
    lines.insert(3, "radius = = 16")
    path.write_text("\n".join(lines) + "\n")
    message = refused(data)
    assert message.startswith(f"{path}: invalid TOML")
    assert "line 4" in message


def test_a_missing_file_is_named(data):
    path = data / "battlefield.toml"
    path.unlink()
    assert refused(data) == f"{path}: file not found"


def test_the_player_aircraft_is_required(data):
    path = edit(data, "aircraft.toml", lambda tree: tree["aircraft"].pop("eagle"))
    message = refused(data)
    assert message.startswith(f"{path}: aircraft.eagle")


def test_the_missile_projectile_is_required(data):
    path = edit(data, "weapons.toml", lambda tree: tree["projectiles"].pop("missile"))
    message = refused(data)
    assert message.startswith(f"{path}: projectiles.missile")


def test_the_player_aircraft_must_be_an_ally(data):
    edit(data, "aircraft.toml", lambda t: t["aircraft"]["eagle"].update(side="enemy"))
    message = refused(data)
    assert "aircraft.eagle.side: the player aircraft must be an ally, got 'enemy'" in message


def test_the_finish_line_must_lie_above_the_starting_view(data):
    """Each mission's length is checked against the battlefield's finish line."""
    edit(data, "battlefield.toml", lambda t: t["world"].update(finish_line_y=4500.0))
    path = data / "missions" / "sea.toml"
    assert refused(data).startswith(f"{path}: length: leaves the finish line (y = 4500) inside")


def test_a_mission_not_in_the_campaign_is_named(data):
    path = data / "missions" / "lake.toml"
    shutil.copy(data / "missions" / "sea.toml", path)
    assert refused(data) == (f"{path}: not in the campaign: add 'lake' to {data / 'campaign.toml'}")


def test_the_campaign_lists_three_missions_with_their_own_numbers():
    content = load_content()
    assert list(content.missions) == ["sea", "coast", "storm"]
    assert content.mission == "sea"  # the content describes the first until told otherwise
    specs = list(content.missions.values())
    assert len({spec.title for spec in specs}) == 3
    assert len({spec.length for spec in specs}) == 3  # lengths differ
    assert len({spec.look.background for spec in specs}) == 3  # and looks
    assert len({spec.script for spec in specs}) == 3  # and layouts
    mixes = [sorted({e.kind for e in spec.script}) for spec in specs]
    assert all(mix == ["avenger", "raptor"] for mix in mixes)  # the book's enemies only


def test_for_mission_gives_that_missions_script_waves_and_length():
    content = load_content()
    coast = content.for_mission("coast")
    spec = content.missions["coast"]
    assert (coast.mission, coast.script, coast.waves) == ("coast", spec.script, spec.waves)
    assert coast.battlefield.world_height == spec.length
    assert coast.battlefield.view_width == content.battlefield.view_width
    with pytest.raises(ValueError, match=r"^mission must be one of sea, coast, storm, got 'x'$"):
        content.for_mission("x")
