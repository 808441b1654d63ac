"""Bugs players met in real windows (issue 13), each pinned by the way a player meets it."""

from __future__ import annotations

import pygame
import pytest

from engine.time import ManualClock
from game.client.session import PausableClock
from game.client.settings import load_settings
from game.server import GameServer
from tests.client.test_screens import ENTER, ESC, choose, join_from_menu, to_menu

UP = pygame.K_UP


@pytest.mark.parametrize("phase", range(3))  # which step of a network tick the pause lands on
def test_a_long_single_player_pause_keeps_the_game(driver, phase):
    """Play, Esc, wait, Esc: the in-process server and client pause together, so neither
    finds the other silent when the game resumes (it said "Lost connection to server")."""
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    server, client = game.session.server, game.client
    driver.frames(30 + phase)
    driver.key(ESC)
    assert driver.is_top("PauseState")
    steps = (server.world.time.step, client.world.time.step)
    driver.frames(10 * 60)
    assert (server.world.time.step, client.world.time.step) == steps  # the whole world waits
    driver.key(ESC)
    driver.frames(2 * 60)
    assert driver.is_top("GameState"), getattr(driver.top, "detail", "")
    assert client.connected and game.session.failed is None
    assert server.net.dropped == 0 and client.net.resumes == 0
    assert server.world.time.step > steps[0] + 100


def test_a_paused_multiplayer_client_stays_connected(driver):
    """A pause in multiplayer only covers the screen: the network is pumped underneath, so
    the server does not time the player out however long the menu stays open."""
    server = GameServer(port=0, seed=1, clock=driver.clock)
    try:
        join_from_menu(driver, server)
        game = driver.top
        driver.key(ESC)
        assert driver.is_top("PauseState")
        for _ in range(10 * 60):
            server.step()
            driver.frames()
        assert driver.is_top("PauseState")
        assert game.client.connected and server.net.dropped == 0
        assert game.client.net.resumes == 0
        driver.key(ESC)
        assert driver.is_top("GameState")
    finally:
        server.close()


def test_a_pausable_clock_hides_the_time_spent_paused():
    wall = ManualClock(10.0)
    clock = PausableClock(wall)
    wall.advance(1.0)
    assert clock.now() == 11.0
    clock.pause()
    wall.advance(30.0)
    assert clock.now() == 11.0
    clock.pause()  # twice is once
    clock.resume()
    wall.advance(0.5)
    assert clock.now() == 11.5
    clock.resume()  # so is resuming a running clock
    assert clock.now() == 11.5


def test_esc_on_the_main_menu_asks_before_quitting(driver):
    to_menu(driver)
    driver.key(ESC)
    assert driver.app.running and driver.is_top("QuitState")
    assert driver.top.question == "Quit Cloudbreak?"
    driver.key(ESC)  # Esc again: yes
    assert not driver.app.running


def test_the_quit_question_says_no_or_yes_with_the_arrows_and_enter(driver):
    to_menu(driver)
    driver.key(ESC)
    assert driver.top.menu.focused.text == "No"  # a stray Enter keeps the game
    driver.key(ENTER)
    assert driver.app.running and driver.is_top("MenuState")
    driver.key(ESC)
    driver.key(pygame.K_LEFT)
    assert driver.top.menu.focused.text == "Yes"
    driver.key(ENTER)
    assert not driver.app.running


def test_exit_is_the_last_entry_of_the_menu(driver):
    to_menu(driver)
    assert [w.text for w in driver.top.menu.widgets][-1] == "Exit"
    driver.key(UP)  # from the first entry the focus wraps to the last
    assert driver.top.menu.focused.text == "Exit"
    driver.key(ENTER)
    assert not driver.app.running


def test_the_name_given_on_the_command_line_is_saved(tmp_path, monkeypatch):
    """`--help` says "--name NAME  your player name (saved in the settings)"."""
    from game.__main__ import main
    from game.client.app import App

    path = tmp_path / "settings.toml"
    shown = []

    def run(app: App, first) -> None:  # noqa: ANN001  (the window, without its loop)
        shown.append(app.settings.player_name)
        app.close()

    monkeypatch.setattr(App, "run", run)
    assert main(["--name", "Ace", "--config", str(path), "--mute"]) == 0
    assert shown == ["Ace"]
    settings, warning = load_settings(path)
    assert warning is None and settings.player_name == "Ace"
