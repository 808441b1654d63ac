"""The name fields hold exactly what is saved and sent: at most MAX_NAME_BYTES of UTF-8
(the handshake's and the settings file's limit), however many characters that is."""

from __future__ import annotations

import pygame

from engine.net.messages import MAX_NAME_BYTES
from game.client.settings import load_settings
from tests.client.test_screens import DOWN, ENTER, choose, closed_port, to_menu

WIDE = "é" * 40  # 2 bytes each: 40 characters, 80 bytes
KEEPS = "é" * (MAX_NAME_BYTES // 2)


def test_the_settings_name_field_holds_what_is_saved(driver):
    to_menu(driver)
    choose(driver, 3)
    assert driver.is_top("SettingsState")
    driver.clear_field()  # the name field has the focus first
    driver.type(WIDE)
    assert driver.top.name.text == KEEPS
    for _ in range(30):  # music, sound, display, difficulty, dead zone, 24 captures: Save
        driver.key(DOWN)
    driver.key(ENTER)
    assert driver.is_top("MenuState"), driver.top.message
    settings, warning = load_settings(driver.app.settings_path)
    assert warning is None and settings.player_name == KEEPS


def test_the_join_forms_name_field_holds_what_is_sent_and_saved(driver):
    to_menu(driver)
    choose(driver, 2)
    assert driver.is_top("JoinState")
    driver.clear_field()
    driver.type(f"127.0.0.1:{closed_port()}")
    driver.key(DOWN)  # the name
    driver.clear_field()
    driver.type("W" * 40)
    assert driver.top.name.text == "W" * MAX_NAME_BYTES
    driver.clear_field()
    driver.type(WIDE)
    assert driver.top.name.text == KEEPS
    driver.key(ENTER)
    assert not driver.is_top("JoinState"), driver.top.message  # on its way, not refused
    settings, _ = load_settings(driver.app.settings_path)
    assert settings.player_name == KEEPS
    driver.until(lambda: driver.is_top("MessageState"), what="the failure")
    driver.key(pygame.K_RETURN)
