"""Gamepads in the game, headless: synthetic SDL controller events posted through pygame's
event queue fly both local players, work the menus, pause, plug in and out mid-game, and
rebind in Settings (saved with the keys)."""

from __future__ import annotations

import pygame
import pytest

from engine.client.gamepad import Gamepads
from engine.client.ui import PadCapture
from engine.components import Transform
from game.client.app import App
from game.client.settings import DEFAULT_PAD_BINDINGS, load_settings
from game.client.states import settings_screen
from game.net.claims import ClientSession
from game.rules.battlefield import Battlefield
from game.rules.components import Player, PlayerInput, Weapon
from tests.client.test_screens import choose, to_menu
from tests.engine.client.pads import FakePads, added, axis, button, removed, through_queue


@pytest.fixture
def pads(driver) -> Gamepads:
    """The App's Gamepads with pads that need no hardware."""
    driver.app.pads.backend = FakePads()
    pygame.event.clear()
    return driver.app.pads


def send(driver, *events: pygame.event.Event, frames: int = 1) -> None:
    """The events through pygame's queue into one frame, then more frames without input."""
    driver.frames(1, through_queue(*events))
    if frames > 1:
        driver.frames(frames - 1)


def press(driver, pad: int, name: str) -> None:
    send(driver, button(pad, name))
    send(driver, button(pad, name, down=False))


def plug(driver, pads: Gamepads) -> int:
    """Plug a pad in (the next device index); its instance id."""
    before = {pad.instance_id for pad in pads.pads}
    send(driver, added(len(before)))
    (new,) = {pad.instance_id for pad in pads.pads} - before
    return new


def start_playing(driver):  # noqa: ANN201
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    return driver.top


def intent(game, seat: int = 0) -> PlayerInput:
    return game.client.world.component(game.client.own_aircraft()[seat], PlayerInput)


def x_of(game, seat: int = 0) -> float:
    return game.client.world.component(game.client.own_aircraft()[seat], Transform).x


def height_in_view(game, seat: int = 0) -> float:
    world = game.client.world
    y = world.component(game.client.own_aircraft()[seat], Transform).y
    return y - world.resource(Battlefield).view_top


def server_missiles(game) -> int:
    ((_, (_, weapon)),) = game.session.server.world.query(Player, Weapon)
    return weapon.missiles


# -- menus -------------------------------------------------------------------------------------


def test_a_pad_works_the_title_and_the_menus(driver, pads):
    from game.client.states.title import TitleState

    driver.app.stack.push(TitleState())
    pad = plug(driver, pads)
    driver.frames(2)
    press(driver, pad, "a")  # "press any key"
    assert driver.is_top("MenuState")
    assert driver.top.menu.focused.text == "Play"
    press(driver, pad, "dpdown")
    send(driver, axis(pad, "lefty", 0.9))  # the stick pushed down: one more
    send(driver, axis(pad, "lefty", 1.0))  # still down: not another
    send(driver, axis(pad, "lefty", 0.0))
    assert driver.top.menu.focused.text == "Join"
    press(driver, pad, "dpdown")
    press(driver, pad, "a")
    assert driver.is_top("SettingsState")
    press(driver, pad, "b")  # back
    assert driver.is_top("MenuState")
    assert driver.top.menu.focused.text == "Settings"
    press(driver, pad, "b")  # back from the menu asks first
    assert driver.is_top("QuitState")
    press(driver, pad, "b")  # and on a pad B is "no"
    assert driver.is_top("MenuState")
    assert driver.app.running


# -- flying ------------------------------------------------------------------------------------


def test_the_stick_flies_player_1_only_past_the_dead_zone(driver, pads):
    game = start_playing(driver)
    pad = plug(driver, pads)
    before = x_of(game)
    send(driver, axis(pad, "leftx", 0.2), frames=30)  # inside the dead zone: drift
    assert intent(game).move_x == 0.0
    assert x_of(game) == before
    send(driver, axis(pad, "leftx", 1.0), frames=30)
    assert intent(game).move_x == pytest.approx(1.0)
    assert x_of(game) > before + 60
    send(driver, axis(pad, "leftx", 0.625))  # half-way between the dead zone and the rim
    assert intent(game).move_x == pytest.approx(0.5, abs=0.01)
    send(driver, axis(pad, "leftx", 0.0), frames=2)
    assert intent(game).move_x == 0.0


def test_the_d_pad_flies_player_1(driver, pads):
    game = start_playing(driver)
    pad = plug(driver, pads)
    before = height_in_view(game)
    send(driver, button(pad, "dpup"), frames=30)
    assert intent(game).move_y == -1.0
    assert height_in_view(game) < before - 60
    send(driver, button(pad, "dpup", down=False))
    assert intent(game).move_y == 0.0


def test_a_fires_and_b_launches_a_missile(driver, pads):
    game = start_playing(driver)
    pad = plug(driver, pads)
    send(driver, button(pad, "a"), frames=3)
    assert intent(game).fire
    send(driver, button(pad, "a", down=False), frames=3)
    assert not intent(game).fire
    missiles = server_missiles(game)
    assert missiles > 0
    press(driver, pad, "b")
    driver.until(lambda: server_missiles(game) == missiles - 1, frames=60, what="a missile")
    driver.frames(60)
    assert server_missiles(game) == missiles - 1  # one press, one missile


def test_two_pads_fly_two_players_and_start_on_the_second_brings_player_2_in(driver, pads):
    game = start_playing(driver)
    first, second = plug(driver, pads), plug(driver, pads)
    press(driver, second, "start")
    driver.until(lambda: 1 in game.client.own_aircraft(), what="player 2")
    assert driver.is_top("GameState")  # it brought player 2 in; it did not pause
    starts = x_of(game, 0), x_of(game, 1)
    send(driver, axis(first, "leftx", -1.0), axis(second, "leftx", 1.0), frames=30)
    assert intent(game, 0).move_x == pytest.approx(-1.0)
    assert intent(game, 1).move_x == pytest.approx(1.0)
    assert x_of(game, 0) < starts[0] - 60
    assert x_of(game, 1) > starts[1] + 60
    send(driver, button(second, "a"), frames=2)
    assert intent(game, 1).fire
    assert not intent(game, 0).fire
    press(driver, second, "start")  # player 2 flies: now Start pauses
    assert driver.is_top("PauseState")


# -- pause -------------------------------------------------------------------------------------


def test_start_pauses_and_start_or_b_resumes_without_a_stray_shot(driver, pads):
    game = start_playing(driver)
    pad = plug(driver, pads)
    server = game.session.server
    press(driver, pad, "start")
    assert driver.is_top("PauseState")
    steps = server.world.time.step
    driver.frames(30)
    assert server.world.time.step == steps  # single-player pause stops the world
    press(driver, pad, "start")
    assert driver.is_top("GameState")
    press(driver, pad, "start")
    press(driver, pad, "b")
    assert driver.is_top("GameState")
    press(driver, pad, "start")
    send(driver, button(pad, "a"))  # A on Resume, still held as the game goes on
    assert driver.is_top("GameState")
    driver.frames(3)
    assert not intent(game).fire  # A was the menu's, not a shot
    assert server.world.time.step > steps


def test_a_pad_working_the_pause_menu_does_not_fly_the_aircraft(driver, pads, monkeypatch):
    """In multiplayer the world goes on under the pause menu: the pad's stick and buttons
    that work the menu must not fly the aircraft meanwhile."""
    game = start_playing(driver)
    monkeypatch.setattr(type(game.session), "multiplayer", property(lambda self: True))
    pad = plug(driver, pads)
    send(driver, axis(pad, "leftx", 1.0), button(pad, "a"), frames=3)
    assert intent(game).fire
    press(driver, pad, "start")
    assert driver.is_top("PauseState")
    assert not driver.top.blocks_update  # the game below goes on
    before = x_of(game)
    send(driver, axis(pad, "lefty", 1.0), frames=30)  # the stick works the menu
    assert intent(game).move_x == 0.0
    assert not intent(game).fire
    assert x_of(game) == pytest.approx(before)


# -- hot-plugging ------------------------------------------------------------------------------


def test_a_pad_plugged_in_mid_game_flies_and_unplugged_lets_go(driver, pads):
    game = start_playing(driver)
    driver.frames(30)
    pad = plug(driver, pads)
    broadcasts = game.client.world.resource(ClientSession).broadcasts
    assert f"Pad connected: player 1 (Test Pad {pad})" in broadcasts
    send(driver, button(pad, "a"), axis(pad, "leftx", 1.0), frames=10)
    assert intent(game).fire and intent(game).move_x == pytest.approx(1.0)
    send(driver, removed(pad), frames=2)  # yanked out, A and the stick still "held"
    assert f"Pad disconnected: player 1 (Test Pad {pad})" in broadcasts
    assert not intent(game).fire
    assert intent(game).move_x == 0.0
    server = game.session.server
    steps, x = server.world.time.step, x_of(game)
    driver.frames(20)
    assert driver.is_top("GameState")  # the game goes on
    assert server.world.time.step > steps
    assert x_of(game) == pytest.approx(x)  # and the aircraft stopped
    again = plug(driver, pads)  # plugged back in: player 1's again
    send(driver, axis(again, "leftx", -1.0), frames=2)
    assert intent(game).move_x == pytest.approx(-1.0)


def test_unplugging_player_1s_pad_leaves_player_2s_alone(driver, pads):
    game = start_playing(driver)
    first, second = plug(driver, pads), plug(driver, pads)
    press(driver, second, "start")
    driver.until(lambda: 1 in game.client.own_aircraft(), what="player 2")
    send(driver, button(first, "a"), button(second, "a"), frames=2)
    send(driver, removed(first), frames=2)
    assert not intent(game, 0).fire
    assert intent(game, 1).fire
    assert pads.seat_of(second) == 1


# -- settings ----------------------------------------------------------------------------------

# Settings, top to bottom: name, music, sound, display, difficulty, dead zone; then each
# player's six keys and six pad buttons; then Save and Back.
PAD_FIRE_OF_PLAYER_1 = 16
SAVE = 30


def to_settings(driver, pads: Gamepads) -> int:
    """From the title to Settings with a pad plugged in on the way; the pad."""
    to_menu(driver)
    pad = plug(driver, pads)
    for _ in range(3):
        press(driver, pad, "dpdown")
    press(driver, pad, "a")
    assert driver.is_top("SettingsState")
    return pad


def down(driver, pad: int, times: int) -> None:
    for _ in range(times):
        press(driver, pad, "dpdown")


def test_rebinding_pad_buttons_in_settings_is_saved_and_used(driver, pads):
    pad = to_settings(driver, pads)
    screen = driver.top
    down(driver, pad, PAD_FIRE_OF_PLAYER_1)
    assert screen.slots[screen.menu.focused] == (0, "fire")
    press(driver, pad, "a")  # listen
    assert screen.menu.focused.listening
    press(driver, pad, "guide")  # cannot be bound: still listening
    assert screen.menu.focused.listening
    press(driver, pad, "x")
    assert screen.menu.focused.control == "x"
    assert screen.message is None  # X was free
    press(driver, pad, "a")
    press(driver, pad, "b")  # B is player 1's missile: the two swap
    assert screen.message == "swapped: seat 0 missile now uses pad button 'x'"
    missile = next(
        w
        for w, slot in screen.slots.items()
        if slot == (0, "missile") and isinstance(w, PadCapture)
    )
    assert missile.control == "x"
    press(driver, pad, "a")
    send(driver, axis(pad, "righttrigger", 1.0))  # a trigger binds like a button
    send(driver, axis(pad, "righttrigger", 0.0))
    assert screen.menu.focused.control == "righttrigger"
    down(driver, pad, SAVE - PAD_FIRE_OF_PLAYER_1)
    assert screen.menu.focused.text == "Save"
    press(driver, pad, "a")
    assert driver.is_top("MenuState")
    settings, warning = load_settings(driver.app.settings_path)
    assert warning is None
    assert settings.pad_bindings[0]["fire"] == "righttrigger"
    assert settings.pad_bindings[0]["missile"] == "x"
    assert settings.pad_bindings[1] == DEFAULT_PAD_BINDINGS[1]
    assert settings.bindings[0]["fire"] == "space"  # the keys were saved alongside
    # ...and used: in the game the trigger fires and X launches.
    game = start_playing(driver)
    send(driver, axis(pad, "righttrigger", 1.0), frames=2)
    assert intent(game).fire
    missiles = server_missiles(game)
    press(driver, pad, "x")
    driver.until(lambda: server_missiles(game) == missiles - 1, frames=60, what="a missile")


def test_start_cancels_a_pad_capture_and_back_undoes_a_rebinding(driver, pads):
    pad = to_settings(driver, pads)
    screen = driver.top
    down(driver, pad, PAD_FIRE_OF_PLAYER_1)
    press(driver, pad, "a")
    press(driver, pad, "start")
    assert not screen.menu.focused.listening
    assert screen.menu.focused.control == "a"
    press(driver, pad, "a")
    press(driver, pad, "y")
    assert driver.app.pads.bindings.control_for(0, "fire") == "y"
    press(driver, pad, "b")  # Back: nothing saved, nothing kept
    assert driver.is_top("MenuState")
    assert driver.app.pads.bindings.control_for(0, "fire") == "a"
    assert driver.app.settings.pad_bindings == DEFAULT_PAD_BINDINGS
    assert not driver.app.settings_path.exists()


def test_a_pad_gives_up_a_key_capture_it_cannot_answer(driver, pads):
    pad = to_settings(driver, pads)
    screen = driver.top
    down(driver, pad, 6)  # player 1's Left key
    assert screen.slots[screen.menu.focused] == (0, "move_left")
    press(driver, pad, "a")
    assert screen.menu.focused.listening  # waiting for a key...
    press(driver, pad, "x")  # ...which a pad cannot give
    assert not screen.menu.focused.listening
    assert driver.is_top("SettingsState")
    assert driver.app.input.bindings.key_for(0, "move_left") == pygame.K_LEFT


def test_the_dead_zone_slider_takes_effect_at_once_and_is_saved(driver, pads):
    pad = to_settings(driver, pads)
    screen = driver.top
    down(driver, pad, 5)
    assert screen.menu.focused is screen.dead_zone
    for _ in range(3):
        press(driver, pad, "dpright")  # up from 25% in steps of 5%
    assert driver.app.pads.dead_zone == pytest.approx(0.4)
    send(driver, axis(pad, "leftx", 0.35))  # would fly with 25%, not with 40%
    assert driver.app.pads.axis(0, "move_left", "move_right") == 0.0
    send(driver, axis(pad, "leftx", 0.0))
    screen.save()
    driver.frames(1)
    assert load_settings(driver.app.settings_path)[0].stick_dead_zone == pytest.approx(0.4)


def test_settings_names_each_players_pad(driver, pads, monkeypatch):
    said: list[str] = []
    draw_text = settings_screen.draw_text

    def noting(surface, text, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        said.append(text)
        return draw_text(surface, text, *args, **kwargs)

    monkeypatch.setattr(settings_screen, "draw_text", noting)
    pad = to_settings(driver, pads)
    said.clear()
    driver.frames(1)
    assert f"pad: Test Pad {pad}" in said
    assert "pad: none connected" in said  # player 2's
    second = plug(driver, pads)
    said.clear()
    driver.frames(1)
    assert f"pad: Test Pad {second}" in said
    assert "pad: none connected" not in said


def test_saved_pad_bindings_are_what_the_app_starts_with(driver, tmp_path):
    path = tmp_path / "pads" / "settings.toml"
    path.parent.mkdir()
    path.write_text('stick_dead_zone = 0.1\n[pad_bindings.1]\nfire = "rightshoulder"\n')
    app = App.create(settings_path=path, mute=True)
    try:
        assert app.settings_warning is None
        assert app.pads.bindings.control_for(1, "fire") == "rightshoulder"
        assert app.pads.bindings.control_for(0, "fire") == "a"
        assert app.pads.dead_zone == pytest.approx(0.1)
    finally:
        app.quit()
        app.close()


def test_a_bad_saved_pad_binding_gives_defaults_and_the_warning_on_the_menu(driver, tmp_path):
    from game.client.states.menu import MenuState

    path = tmp_path / "bad" / "settings.toml"
    path.parent.mkdir()
    path.write_text('[pad_bindings.0]\nfire = "trigger"\n')
    app = App.create(settings_path=path, mute=True)
    try:
        assert app.settings_warning == (
            f"settings file {path} was unreadable (pad_bindings.0.fire: unknown pad button "
            "'trigger'); using defaults, the old file is kept as settings.toml.bak"
        )
        assert app.pads.bindings.control_for(0, "fire") == "a"
        app.stack.push(MenuState())
        app.frame([], 1 / 60)
        assert app.stack.top.message == app.settings_warning
    finally:
        app.quit()
        app.close()
