"""Issue 13, the campaign as a player sees it: each mission's look on the battlefield (checked
on pixels), its name on the HUD ("Mission 2: The Coast", large as it begins, then small), and
the results naming the mission that ended and the one that comes next (the next after a win,
the same after a loss, "Campaign complete!" after the last)."""

from __future__ import annotations

from types import SimpleNamespace

import pygame
import pytest

import game.client.hud as hud_module
import game.client.states.play as play_module
from engine.client.states import StateStack
from engine.client.ui import Theme
from engine.phases import Role
from game.client.hud import INTRO_SECONDS, Hud
from game.client.render import Sprites, WorldRenderer, look_of
from game.client.states.play import MissionEndState
from game.net.claims import ClientSession
from game.net.protocol import MissionEnd, Outcome8
from game.net.schema import BattlefieldState
from game.rules.campaign import Campaign, install_mission
from game.rules.content import GameContent
from game.rules.plugin import shooter_world

SIZE = (1024, 768)


@pytest.fixture(scope="module")
def renderer():
    pygame.display.init()
    return WorldRenderer(Sprites())


def client_world(mission: str | None = None):  # noqa: ANN201
    world = shooter_world(Role.CLIENT, seed=1, mission=mission)
    world.insert_resource(ClientSession())
    world.create(BattlefieldState(mission=1, seats=8, mission_name=mission or "sea"))
    return world


def mean(surface: pygame.Surface, rect: pygame.Rect) -> tuple[float, float, float]:
    """The average colour of `rect` (sampled every 4 px)."""
    total, count = [0, 0, 0], 0
    for y in range(rect.top, rect.bottom, 4):
        for x in range(rect.left, rect.right, 4):
            colour = surface.get_at((x, y))
            for i in range(3):
                total[i] += colour[i]
            count += 1
    return tuple(channel / count for channel in total)  # type: ignore[return-value]


def drawn(renderer, mission: str) -> pygame.Surface:  # noqa: ANN001
    world = client_world(mission)
    try:
        surface = pygame.Surface(SIZE)
        renderer.draw(surface, world)
        return surface
    finally:
        world.close()


def test_each_mission_draws_its_own_look(renderer):
    """The sea is mid blue; the coast has land down its left side and turquoise water; the
    night storm is dark all over."""
    sea, coast, storm = (drawn(renderer, name) for name in ("sea", "coast", "storm"))
    whole = pygame.Rect(0, 0, *SIZE)
    left, right = pygame.Rect(0, 0, 120, 768), pygame.Rect(600, 0, 424, 768)
    r, g, b = mean(sea, right)
    assert b > g > r  # open water, blue
    r, g, b = mean(coast, left)
    assert g > b  # land: green and brown, not water
    r, g, b = mean(coast, right)
    assert g > r and b > r and g > 110  # shallows: turquoise, lighter than the open sea
    assert sum(mean(storm, whole)) < 0.5 * sum(mean(sea, whole))  # a night sky
    assert sum(mean(coast, right)) > sum(mean(sea, right))


def test_a_client_draws_the_look_of_the_mission_it_follows(renderer):
    """The client installs the server's mission (as claims.follow_mission does) and the
    renderer draws that look from then on."""
    world = client_world()
    try:
        assert look_of(world).background == "background"
        world.resource(Campaign).choose("storm")
        install_mission(world)
        assert look_of(world) == world.resource(GameContent).missions["storm"].look
        surface = pygame.Surface(SIZE)
        renderer.draw(surface, world)
        assert sum(mean(surface, pygame.Rect(0, 0, *SIZE))) < 120
    finally:
        world.close()


def hud_texts(monkeypatch) -> list[tuple[str, int]]:  # noqa: ANN001
    said: list[tuple[str, int]] = []
    real = hud_module.draw_text

    def record(surface, text, pos, size, colour, **options):  # noqa: ANN001, ANN003, ANN202
        said.append((text, size))
        return real(surface, text, pos, size, colour, **options)

    monkeypatch.setattr(hud_module, "draw_text", record)
    return said


def test_the_hud_names_the_mission_large_as_it_begins_then_small(monkeypatch):
    said = hud_texts(monkeypatch)
    world = client_world("coast")
    try:
        hud = Hud()
        surface = pygame.Surface(SIZE)
        hud.update(1 / 60, world)
        hud.draw(surface, world)
        assert ("Mission 2: The Coast", 52) in said
        said.clear()
        hud.update(INTRO_SECONDS, world)
        hud.draw(surface, world)
        sizes = [size for text, size in said if text == "Mission 2: The Coast"]
        assert sizes and max(sizes) <= 18  # small, at the top
    finally:
        world.close()


def results_texts(monkeypatch, world, outcome):  # noqa: ANN001, ANN201
    said: list[str] = []
    real = play_module.draw_text

    def record(surface, text, pos, size, colour, **options):  # noqa: ANN001, ANN003, ANN202
        said.append(text)
        return real(surface, text, pos, size, colour, **options)

    monkeypatch.setattr(play_module, "draw_text", record)
    stack = StateStack(SimpleNamespace(theme=Theme()))
    state = MissionEndState(MissionEnd(outcome, 5.0), world)
    stack.push(state)
    state.draw(pygame.Surface(SIZE))
    return said


@pytest.mark.parametrize(
    ("mission", "outcome", "ended", "upcoming", "complete"),
    [
        ("sea", Outcome8.SUCCESS, "Mission 1: The Sea", "Mission 2: The Coast", False),
        ("coast", Outcome8.FAILURE, "Mission 2: The Coast", "Mission 2: The Coast", False),
        ("storm", Outcome8.SUCCESS, "Mission 3: The Night Storm", "Mission 1: The Sea", True),
    ],
)
def test_the_results_name_the_mission_and_what_comes_next(
    monkeypatch, mission, outcome, ended, upcoming, complete
):
    world = client_world(mission)
    try:
        said = results_texts(monkeypatch, world, outcome)
        assert said[0] == ended
        assert any(text.startswith(f"{upcoming} in 5 s") for text in said), said
        assert ("Campaign complete!" in said) is complete
    finally:
        world.close()
