"""Issue 13, score and results: at the mission's end, every player's score, kills, accuracy
and damage taken in a table (local and remote players alike), the best score highlighted,
until the next mission begins. Drawn headless from a bare client world."""

from __future__ import annotations

from types import SimpleNamespace

import pygame
import pytest

import game.client.states.play as play_module
from engine.client.states import StateStack
from engine.client.ui import Theme
from engine.net.messages import MAX_NAME_BYTES
from engine.phases import Role
from engine.world import World
from game.client.states.play import MissionEndState, results
from game.net.protocol import MissionEnd, Outcome8
from game.net.schema import BattlefieldState
from game.rules.components import Score

SIZE = (1024, 768)
HIGHLIGHT = (70, 58, 30)


@pytest.fixture
def world():
    made = World(Role.CLIENT)
    made.create(BattlefieldState(mission=1, seats=8))
    made.create(Score(1, "Ada", points=1250, kills=12, shots=100, hits=43, damage_taken=40))
    made.create(Score(2, "Bo", points=350, kills=2, shots=10, hits=5, damage_taken=100))
    made.create(Score(3, "W" * MAX_NAME_BYTES, points=0))  # a remote player, the longest name
    yield made
    made.close()


@pytest.fixture
def texts(monkeypatch):
    """(text, rect, colour) of everything the screen writes."""
    seen = []
    real = play_module.draw_text

    def record(surface, text, pos, size, colour, **options):  # noqa: ANN001, ANN003, ANN202
        rect = real(surface, text, pos, size, colour, **options)
        seen.append((text, rect, tuple(colour)))
        return rect

    monkeypatch.setattr(play_module, "draw_text", record)
    return seen


def screen(world, outcome=Outcome8.SUCCESS):  # noqa: ANN001, ANN201
    stack = StateStack(SimpleNamespace(theme=Theme()))
    state = MissionEndState(MissionEnd(outcome, 5.0), world)
    stack.push(state)
    return state


def draw(state) -> pygame.Surface:  # noqa: ANN001
    surface = pygame.Surface(SIZE)
    surface.fill((0, 0, 0))
    state.draw(surface)
    return surface


def test_results_are_every_players_best_first(world):
    rows = results(world)
    assert [row.player_id for row in rows] == [1, 2, 3]
    assert rows[0].accuracy == pytest.approx(0.43)


def test_the_results_table_shows_every_player_with_the_best_highlighted(world, texts):
    state = screen(world)
    surface = draw(state)
    said = [text for text, _, _ in texts]
    assert "Mission Successful" in said
    for header in ("Player", "Score", "Kills", "Accuracy", "Damage taken"):
        assert header in said
    for cell in ("Ada", "1,250", "12", "43%", "40", "Bo", "350", "50%", "100"):
        assert cell in said, cell
    assert any(text.startswith("WWW") for text in said)  # the remote player, cut to fit
    assert any(text.startswith("next mission in 5 s") for text in said)
    colour = {text: c for text, _, c in texts}
    accent = Theme().accent
    assert colour["Ada"] == colour["1,250"] == accent  # the best score
    assert colour["Bo"] != accent
    ada = next(rect for text, rect, _ in texts if text == "Ada")
    bo = next(rect for text, rect, _ in texts if text == "Bo")
    assert surface.get_at((ada.right + 40, ada.centery))[:3] == HIGHLIGHT
    assert surface.get_at((bo.right + 40, bo.centery))[:3] != HIGHLIGHT
    screen_rect = pygame.Rect((0, 0), SIZE)
    rects = [rect for _, rect, _ in texts]
    for index, rect in enumerate(rects):
        assert screen_rect.contains(rect)
        assert rect.collidelist(rects[index + 1 :]) < 0, f"{texts[index][0]!r} covers a text"


def test_the_results_stay_when_the_scores_reset_until_the_next_mission(world, texts):
    state = screen(world, Outcome8.FAILURE)
    for entity, _ in world.query_one(Score):
        world.despawn(entity)
    world.flush()
    state.update(1.0)
    draw(state)
    said = [text for text, _, _ in texts]
    assert "Mission Failed" in said and "Ada" in said
    world.query_one(BattlefieldState)[0][1].mission = 2
    stack = state.stack
    state.update(0.1)
    assert stack.top is None  # the next mission began: the screen goes


def test_without_scores_the_screen_is_the_plain_banner(texts):
    bare = World(Role.CLIENT)
    try:
        draw(screen(bare))
    finally:
        bare.close()
    said = [text for text, _, _ in texts]
    assert said[0] == "Mission Successful" and "Player" not in said
