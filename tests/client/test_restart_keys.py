"""Issue 13, bug 2, as a player meets it: after a mission ends, the next one starts with the
aircraft at the top of the screen, where enemies enter.

The rules and the server start every seat at its start position (tests/netgame/
test_restart_start.py). What moves the aircraft is the window: the player lets go of Up
while "Mission Successful" is showing. That screen (MissionEndState) used to take the
KEYUP, so the game's input never heard it and the next mission flew with Up still held:
the aircraft climbed to the top of the view in about three seconds. The screen now hands
key releases on to the input."""

from __future__ import annotations

import pygame
import pytest

from engine.components import Transform
from game.rules.battlefield import Battlefield
from game.rules.mission import MissionState
from tests.client.test_screens import choose, to_menu


def test_a_key_let_go_during_the_mission_end_screen_is_let_go_in_the_next_mission(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    for world in (game.session.server.world, game.client.world):
        world.resource(Battlefield).view_top = 0.0
    driver.hold(pygame.K_UP)  # up through the finish line
    driver.until(lambda: driver.is_top("MissionEndState"), frames=900, what="the mission end")
    driver.release(pygame.K_UP)  # and let go, while "Mission Successful" shows
    server = game.session.server.world
    driver.until(lambda: server.resource(MissionState).number >= 2, frames=600)
    driver.frames(3)
    world = game.client.world

    def below_top() -> float:
        return world.component(game.client.own_aircraft()[0], Transform).y - (
            world.resource(Battlefield).view_top
        )

    start = below_top()
    assert start == pytest.approx(server.resource(Battlefield).spec.view_height - 100, abs=5)
    driver.frames(120)  # two seconds, hands off the keys
    assert below_top() == pytest.approx(start, abs=5)  # still on the start line
