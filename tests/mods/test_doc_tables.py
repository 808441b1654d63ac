"""docs/MODDING.md's generated tables match the game: the schedule of each role and what
replicates (python -m tools.doc_tables --write puts them back when they differ)."""

from __future__ import annotations

import pytest

from tools.doc_tables import DOC, TABLES, rows, shown, single_player, tables


@pytest.fixture(scope="module")
def real():
    return tables()


@pytest.mark.parametrize("name", TABLES)
def test_the_doc_shows_the_real_table(real, name):
    doc = DOC.read_text(encoding="utf-8")
    assert shown(doc, name) == real[name], (
        f"MODDING.md's {name} table is stale: run python -m tools.doc_tables --write"
    )


def test_every_system_of_the_game_is_in_a_public_set():
    with single_player() as worlds:
        for role, world in worlds.items():
            loose = [systems for _, label, systems in rows(world) if label == "(none)"]
            assert not loose, f"{role}: systems in no public set: {loose}"


def test_the_schedule_names_the_mission_sets_and_movement(real):
    for name in ("game.api.MissionStatus", "game.api.MissionLifecycle", "engine.movement.Movement"):
        assert f"`{name}`" in real["server"]
