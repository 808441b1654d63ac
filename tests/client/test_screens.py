"""Every screen is reached with synthetic keys, the way a player would get there."""

from __future__ import annotations

import os
import socket
import time

import pygame
import pytest

from engine.components import Transform
from engine.movement import DrawnTransform
from engine.time import MonotonicClock
from game.client.hud import ACCENT
from game.client.settings import load_settings
from game.client.states.menu import MenuState
from game.client.states.title import TitleState
from game.net.claims import LocalSeat
from game.net.client import GameClient
from game.net.commands import NO_SEAT_FOR_PARTNER
from game.rules.battlefield import Battlefield
from game.server import GameServer
from tests.client.conftest import STEP

DOWN, ENTER, ESC = pygame.K_DOWN, pygame.K_RETURN, pygame.K_ESCAPE


def to_menu(driver) -> None:
    driver.app.stack.push(TitleState())
    driver.frames(2)
    assert driver.is_top("TitleState")
    driver.key(pygame.K_x)
    assert driver.is_top("MenuState")


def choose(driver, row: int) -> None:
    """Menu rows: 0 Play, 1 Host, 2 Join, 3 Settings, 4 Tile arena, 5 Exit."""
    for _ in range(row):
        driver.key(DOWN)
    driver.key(ENTER)


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_title_menu_settings_and_exit(driver):
    to_menu(driver)
    choose(driver, 3)
    assert driver.is_top("SettingsState")
    driver.key(ESC)
    assert driver.is_top("MenuState")
    assert driver.top.menu.focused.text == "Settings"  # back where the player left off
    driver.key(DOWN)
    driver.key(DOWN)
    driver.key(ENTER)  # Exit
    assert not driver.app.running


def test_play_pause_resume_partner_and_leave(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    server = game.session.server
    driver.key(ENTER)  # player 2 joins at the same keyboard
    driver.until(lambda: 1 in game.client.own_aircraft(), what="player 2")
    driver.key(ESC)
    assert driver.is_top("PauseState")
    steps = server.world.time.step
    driver.frames(30)
    assert server.world.time.step == steps  # single-player pause stops the world
    driver.key(ESC)
    assert driver.is_top("GameState")
    driver.frames(10)
    assert server.world.time.step > steps
    driver.key(ESC)
    driver.key(DOWN)
    driver.key(ENTER)  # Leave
    assert driver.is_top("MenuState")
    assert game.session.client.world.closed


def test_keys_fly_the_local_aircraft_at_once(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    client = driver.top.client
    entity = client.own_aircraft()[0]
    before = client.world.component(entity, Transform).x
    driver.hold(pygame.K_RIGHT)
    driver.frames(30)
    driver.release(pygame.K_RIGHT)
    assert client.world.component(entity, Transform).x > before + 60


def test_a_display_faster_than_the_steps_draws_the_own_aircraft_between_them(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    client = driver.top.client
    entity = client.own_aircraft()[0]
    driver.hold(pygame.K_RIGHT)
    driver.frames(10)
    stepped, drawn = [], []
    for _ in range(6):  # a 120 Hz display: a step every other frame
        driver.clock.advance(STEP / 2)
        driver.app.frame([], STEP / 2)
        stepped.append(client.world.component(entity, Transform).x)
        drawn.append(client.world.component(entity, DrawnTransform).x)
    driver.release(pygame.K_RIGHT)
    assert len(set(stepped)) <= 4  # the simulation moved it every other frame...
    moves = [b - a for a, b in zip(drawn, drawn[1:], strict=False)]
    assert all(move > 0 for move in moves)  # ...and every frame drew it further along
    assert max(moves) - min(moves) < 0.01  # at an even pace: half a step's move a frame


def test_join_a_closed_port_says_could_not_connect(driver):
    to_menu(driver)
    choose(driver, 2)
    assert driver.is_top("JoinState")
    driver.clear_field()
    driver.type(f"127.0.0.1:{closed_port()}")
    driver.key(ENTER)
    driver.until(lambda: driver.is_top("MessageState"), what="the failure")
    assert driver.top.title == "Could not connect"
    assert "refused" in driver.top.detail
    driver.key(ENTER)
    assert driver.is_top("JoinState")  # back to the form, to try again
    settings, _ = load_settings(driver.app.settings_path)
    assert settings.last_address.startswith("127.0.0.1:")  # remembered between runs


def test_a_bad_address_is_a_one_line_message(driver):
    to_menu(driver)
    choose(driver, 2)
    driver.clear_field()
    driver.type("host:notaport")
    driver.key(ENTER)
    assert driver.is_top("JoinState")
    assert "port" in driver.top.message


def test_mission_end_shows_and_the_next_mission_follows(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    game = driver.top
    for world in (game.session.server.world, game.client.world):
        world.resource(Battlefield).view_top = 0.0
    driver.hold(pygame.K_UP)
    driver.until(lambda: driver.is_top("MissionEndState"), frames=900, what="the mission end")
    driver.release(pygame.K_UP)
    assert driver.top.success
    driver.until(lambda: driver.is_top("GameState"), frames=600, what="the next mission")


def join_from_menu(driver, server: GameServer, also=lambda: None) -> None:  # noqa: ANN001
    """Menu → Join → the server's address; step it (and `also`) until the game shows."""
    host, port = server.address
    to_menu(driver)
    choose(driver, 2)
    driver.clear_field()
    driver.type(f"{host}:{port}")
    driver.key(ENTER)
    deadline = time.monotonic() + 10  # the ticket is asked for over HTTP, on a thread
    while not driver.is_top("GameState") and time.monotonic() < deadline:
        server.step()
        also()
        driver.frames()
    assert driver.is_top("GameState")


def test_losing_the_server_says_so_and_returns_to_the_menu(driver):
    server = GameServer(port=0, seed=1, clock=driver.clock)
    try:
        join_from_menu(driver, server)
        driver.key(ESC)  # multiplayer pause: the world goes on
        steps = driver.top.game.session.client.world.time.step
        driver.frames(10)
        assert driver.top.game.session.client.world.time.step > steps
        driver.key(ESC)
    finally:
        server.close()  # the host leaves: clients are told
    driver.until(lambda: driver.is_top("MessageState"), what="the loss")
    assert driver.top.title == "The host left"
    driver.key(ENTER)
    assert isinstance(driver.top, MenuState)


def test_a_corrupt_settings_file_warns_and_is_kept_as_bak(driver, tmp_path):
    path = driver.app.settings_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("player_name = = 'broken'\n")
    from game.client.app import App

    app = App.create(settings_path=path, mute=True)
    app.clock = driver.clock
    try:
        assert "using defaults" in app.settings_warning
        assert path.with_name("settings.toml.bak").read_text() == "player_name = = 'broken'\n"
        app.stack.push(MenuState())
        app.frame([], 1 / 60)
        assert app.stack.top.message == app.settings_warning  # shown on the menu
    finally:
        app.quit()
        app.close()


def test_the_difficulty_chosen_in_settings_is_saved_and_played(driver):
    from game.rules.difficulty import Difficulty

    to_menu(driver)
    choose(driver, 3)
    assert driver.top.difficulty.index == 1  # Normal
    for _ in range(4):  # name, music, sound, display: then difficulty
        driver.key(DOWN)
    driver.key(pygame.K_RIGHT)  # Hard
    for _ in range(26):  # dead zone, 24 key and pad captures: Save
        driver.key(DOWN)
    driver.key(ENTER)
    assert driver.is_top("MenuState"), driver.top.message
    assert load_settings(driver.app.settings_path)[0].difficulty == "hard"
    for _ in range(3):  # the menu's focus is still on Settings: up to Play
        driver.key(pygame.K_UP)
    driver.key(ENTER)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    server = driver.top.session.server
    assert server.difficulty == "hard"
    assert server.world.resource(Difficulty).name == "hard"


def test_rebinding_a_key_is_saved_and_used(driver):
    to_menu(driver)
    choose(driver, 3)
    settings_screen = driver.top
    for _ in range(6):  # name, music, sound, display, difficulty, dead zone: then P1's Left
        driver.key(DOWN)
    driver.key(ENTER)
    driver.key(pygame.K_j)
    # Save is the first button after the 24 captures (each player's 6 keys, then 6 pad buttons)
    for _ in range(24):
        driver.key(DOWN)
    driver.key(ENTER)
    assert driver.is_top("MenuState"), type(settings_screen).__name__
    settings, warning = load_settings(driver.app.settings_path)
    assert warning is None
    assert settings.bindings[0]["move_left"] == "j"
    assert driver.app.input.bindings.key_for(0, "move_left") == pygame.K_j


def test_own_aircraft_is_marked_for_the_renderer(driver):
    to_menu(driver)
    choose(driver, 0)
    driver.until(lambda: driver.is_top("GameState"), what="the mission")
    world = driver.top.client.world
    assert [seat.local_index for _, (seat,) in world.query(LocalSeat)] == [0]


def host_on(driver, port: int) -> None:
    """Menu → Host → port → Start; wait (in real time: a child process boots) until decided."""
    driver.app.clock = MonotonicClock()
    to_menu(driver)
    choose(driver, 1)
    assert driver.is_top("HostState")
    driver.clear_field()
    driver.type(str(port))
    driver.key(ENTER)
    deadline = time.monotonic() + 20
    while driver.is_top("ConnectingState") and time.monotonic() < deadline:
        driver.app.frame([], 1 / 60)


@pytest.mark.process
def test_host_starts_a_server_that_others_join_and_that_ends_with_the_host(driver):
    port = closed_port()
    host_on(driver, port)
    assert driver.is_top("GameState"), getattr(driver.top, "detail", "")
    child = driver.top.session.child
    assert child is not None and child.poll() is None
    friend = GameClient.connect("127.0.0.1", port, "friend")
    try:
        deadline = time.monotonic() + 10
        while len(friend.players()) < 2 and time.monotonic() < deadline:
            friend.run_due_steps()
            driver.app.frame([], 1 / 60)
        assert {name for name, _, _ in friend.players().values()} >= {"friend"}
        assert len(friend.players()) == 2
        driver.key(ESC)
        driver.key(DOWN)
        left = time.monotonic()
        driver.key(ENTER)  # Leave: the server ends with the host, at once (no drain)
        assert driver.is_top("MenuState")
        assert child.wait(timeout=10) is not None
        assert time.monotonic() - left < 4  # not the 5 s a dedicated server drains for
        deadline = time.monotonic() + 10
        while friend.connected and time.monotonic() < deadline:
            friend.run_due_steps()
        assert friend.close_reason == "Disconnected by the server: server shutting down"
    finally:
        friend.world.close()


@pytest.mark.process
def test_a_host_begins_the_campaign_where_mission_says(driver):
    """`python -m game --host-game --mission coast`: the child server plays the coast, and the
    host's window follows it."""
    from game.rules.content import GameContent

    driver.app.mission = "coast"
    host_on(driver, closed_port())
    assert driver.is_top("GameState"), getattr(driver.top, "detail", "")
    assert "--mission" in driver.top.session.child.args
    world = driver.top.client.world
    deadline = time.monotonic() + 10
    while world.resource(GameContent).mission != "coast" and time.monotonic() < deadline:
        driver.app.frame([], 1 / 60)
    assert world.resource(GameContent).mission == "coast"
    driver.app.quit()


@pytest.mark.process
def test_hosting_on_a_port_in_use_says_why(driver):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        host_on(driver, port)
        assert driver.is_top("MessageState")
        assert f"port {port} on 0.0.0.0 is already in use" in driver.top.detail
    finally:
        taken.close()


SHOTS = os.environ.get("CLOUDBREAK_TEST_SHOTS")  # a folder to save this test's screens in


def banner_pixels(surface: pygame.Surface) -> int:
    """Accent-coloured pixels where the spectator banner goes (top centre, under broadcasts)."""
    area = pygame.Rect(0, 0, 420, 64)
    area.midtop = (surface.get_width() // 2, 64)
    view = surface.subsurface(area)
    return pygame.mask.from_threshold(view, ACCENT, (40, 40, 40, 255)).count()


def test_a_joiner_past_the_last_seat_watches_then_flies_when_a_seat_frees(driver):
    server = GameServer(port=0, seed=1, clock=driver.clock, max_players=1, spectators=1)
    pilot = GameClient.with_ticket(server.ticket("pilot"), "pilot", clock=driver.clock)
    try:
        for _ in range(60):
            server.step()
            pilot.step()
            driver.clock.advance(1 / 60)
        assert pilot.own_aircraft()
        join_from_menu(driver, server, also=pilot.step)
        game = driver.top
        driver.frames(2)
        assert game.client.session.spectating == 1 and not game.client.own_aircraft()
        assert banner_pixels(driver.app.display.surface) > 200
        if SHOTS:
            pygame.image.save(driver.app.display.surface, f"{SHOTS}/spectating.png")
        driver.key(ENTER)  # no partner for a spectator: nothing is asked
        assert game.client.session.partner_asked_at < 0
        pilot.close()
        for _ in range(60):
            server.step()
            driver.frames()
            if game.client.own_aircraft():
                break
        assert list(game.client.own_aircraft()) == [0]
        driver.frames(2)
        assert banner_pixels(driver.app.display.surface) < 20
        driver.key(ENTER)  # player 2 on a one-seat server: refused, and told why
        for _ in range(300):  # after "pilot left" has had its 2.5 s
            server.step()
            driver.frames()
            if game.hud.current_broadcast(game.client.world) == NO_SEAT_FOR_PARTNER:
                break
        assert game.hud.current_broadcast(game.client.world) == NO_SEAT_FOR_PARTNER
        if SHOTS:
            pygame.image.save(driver.app.display.surface, f"{SHOTS}/seated.png")
    finally:
        server.close()


def test_a_lost_connection_says_reconnecting_until_the_player_is_back(driver):
    server = GameServer(port=0, seed=1, clock=driver.clock)
    try:
        join_from_menu(driver, server)
        game = driver.top
        client, hud = game.client, game.hud
        (aircraft,) = client.own_aircraft().values()
        driver.frames(2)
        assert hud.connection_notice(client.world) is None
        assert banner_pixels(driver.app.display.surface) < 20
        # The server goes quiet (as when the player's Wi-Fi goes): after the ticket's 5 s
        # the client gives up on the connection and tries to take it up again.
        driver.until(lambda: client.reconnecting, frames=6 * 60, what="the loss")
        driver.frames(2)
        assert driver.is_top("GameState") and game.session.failed is None
        assert hud.connection_notice(client.world) == "Reconnecting…"
        assert banner_pixels(driver.app.display.surface) > 200
        if SHOTS:
            pygame.image.save(driver.app.display.surface, f"{SHOTS}/reconnecting.png")
        for _ in range(600):  # the server is back: the client asks for a ticket and resumes
            server.step()
            driver.frames()
            if client.connected:
                break
        driver.frames(2)
        assert client.net.resumes == 1 and client.own_aircraft() == {0: aircraft}
        assert hud.connection_notice(client.world) is None
        assert banner_pixels(driver.app.display.surface) < 20
    finally:
        server.close()
