"""Join > Quick match: a lobby's address (remembered), one line for a bad one, and a lobby
that cannot be reached ends on "Could not connect" saying so."""

from __future__ import annotations

import pygame

from game.client.settings import load_settings
from tests.client.test_screens import choose, closed_port, to_menu

ENTER = pygame.K_RETURN


def open_quick_match(driver) -> None:
    to_menu(driver)
    choose(driver, 2)
    assert driver.is_top("JoinState")
    driver.top.menu.widgets[-1].on_click()  # the Quick match button, below Back
    assert driver.is_top("QuickMatchState")


def test_a_bad_lobby_address_is_a_one_line_message(driver):
    open_quick_match(driver)
    driver.clear_field()
    driver.type("ftp://lobby.example")
    driver.key(ENTER)
    assert driver.is_top("QuickMatchState")
    assert driver.top.message == "Bad lobby address 'ftp://lobby.example': use http:// or https://"


def test_an_unreachable_lobby_says_could_not_connect_and_is_remembered(driver):
    open_quick_match(driver)
    port = closed_port()
    driver.clear_field()
    driver.type(f"127.0.0.1:{port}")
    driver.key(ENTER)
    driver.until(lambda: driver.is_top("MessageState"), what="the failure")
    assert driver.top.title == "Could not connect"
    assert driver.top.detail == f"Cannot reach the lobby at 127.0.0.1:{port} (connection refused)"
    driver.key(ENTER)
    assert driver.is_top("QuickMatchState")
    settings, _ = load_settings(driver.app.settings_path)
    assert settings.lobby_url == f"http://127.0.0.1:{port}"
