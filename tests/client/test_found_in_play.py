"""Bugs players met in real windows (issue 13), each pinned by the way a player meets it."""

from __future__ import annotations

import pygame
import pytest

from engine.time import ManualClock
from game.client.hud import ACCENT
from game.client.session import PausableClock
from game.client.settings import load_settings
from game.client.states.message import LOST, explain_loss
from game.rules.battlefield import Battlefield
from game.server import GameServer
from tests.client.test_screens import (
    DOWN,
    ENTER,
    ESC,
    SHOTS,
    choose,
    closed_port,
    join_from_menu,
    to_menu,
)

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


def test_a_failed_join_goes_back_to_the_join_form_as_typed(driver):
    to_menu(driver)
    choose(driver, 2)
    driver.clear_field()
    address = f"127.0.0.1:{closed_port()}"
    driver.type(address)
    driver.key(DOWN)
    driver.clear_field()
    driver.type("Ace")
    driver.key(ENTER)
    driver.until(lambda: driver.is_top("MessageState"), what="the failure")
    assert driver.top.title == "Could not connect"
    assert driver.top.detail.startswith("Cannot reach")  # not the title again
    driver.key(ENTER)  # Back
    assert driver.is_top("JoinState")
    assert (driver.top.first.text, driver.top.name.text) == (address, "Ace")
    driver.key(ENTER)  # and straight on to try again
    driver.until(lambda: driver.is_top("MessageState"), what="the second failure")
    assert driver.top.title == "Could not connect"


def test_a_lost_connection_has_a_title_and_a_body_that_says_more(driver):
    """The title says what happened; the body why, and what to do, not the title again."""
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    game.session.server.step = lambda: None  # the server falls silent
    driver.until(lambda: driver.is_top("MessageState"), frames=8 * 60, what="the loss")
    title, body = driver.top.title, driver.top.detail
    assert title == "Connection lost"
    assert "lost connection" not in body.lower()
    assert "5 s" in body  # how long the server was silent
    assert "join again" in body.lower() or "try again" in body.lower()
    driver.key(ENTER)
    assert driver.is_top("MenuState")


@pytest.mark.parametrize(
    ("reason", "title", "says"),
    [
        ("Lost connection to server (no answer for 5 s)", "Connection lost", "no answer for 5 s"),
        (
            "Lost connection to server (no answer for 5 s); could not reconnect in 30 s",
            "Connection lost",
            "reconnecting failed for 30 s",
        ),
        ("Lost connection to server (it stopped acknowledging)", "Connection lost", "the server"),
        ("Disconnected by the server: server shutting down", "The host left", "shut down"),
        ("Disconnected by the server: kicked", "Disconnected", "kicked"),
        ("The server stopped: address in use", "The server stopped", "address in use"),
    ],
)
def test_every_way_a_game_ends_has_its_own_title_and_body(reason, title, says):
    shown_title, body = explain_loss(reason)
    assert (shown_title, says in body) == (title, True), body
    assert shown_title.lower() not in body.lower() and LOST.lower() not in body.lower()


def test_the_mission_end_never_counts_down_to_zero_seconds(driver, monkeypatch):
    from game.client.states import play

    shown: list[str] = []
    draw_text = play.draw_text

    def noting(surface, text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        shown.append(text)
        return draw_text(surface, text, *args, **kwargs)

    monkeypatch.setattr(play, "draw_text", noting)
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    for world in (game.session.server.world, game.client.world):
        world.resource(Battlefield).view_top = 0.0
    driver.hold(pygame.K_UP)
    driver.until(lambda: driver.is_top("MissionEndState"), frames=900, what="the mission end")
    driver.release(pygame.K_UP)
    shown.clear()
    driver.until(lambda: driver.is_top("GameState"), frames=600, what="the next mission")
    # Won: the countdown names the campaign's next mission.
    countdown = [text for text in shown if text.startswith("Mission 2: The Coast ")]
    assert countdown, shown
    assert not [text for text in countdown if "in 0 s" in text], sorted(set(countdown))
    assert any("in 1 s" in text for text in countdown)


def hint_pixels(surface: pygame.Surface, world) -> int:  # noqa: ANN001
    """Accent-coloured pixels in the band under the finish line, where the hint goes."""
    battlefield = world.resource(Battlefield)
    y = round(battlefield.spec.finish_line_y - battlefield.view_top)
    area = pygame.Rect(0, max(0, y + 16), 560, 70)
    area.centerx = surface.get_width() // 2  # clear of the Players panel
    view = surface.subsurface(area.clip(surface.get_rect()))
    return pygame.mask.from_threshold(view, ACCENT, (30, 30, 30, 255)).count()


def test_once_the_view_stops_the_players_are_told_to_fly_through_the_finish(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    surface, world = driver.app.display.surface, game.client.world
    driver.frames(30)
    assert hint_pixels(surface, world) < 30  # still climbing: nothing to say
    for each in (game.session.server.world, world):
        each.resource(Battlefield).view_top = 0.0  # the climb is over
    driver.frames(30)
    assert hint_pixels(surface, world) > 300
    if SHOTS:
        pygame.image.save(surface, f"{SHOTS}/finish_hint.png")
    driver.hold(pygame.K_UP)
    driver.until(lambda: driver.is_top("MissionEndState"), frames=900, what="the mission end")
    driver.release(pygame.K_UP)
    driver.frames(10)
    assert hint_pixels(surface, world) < 30  # the mission is over: the hint goes with it
