"""Gamepads: SDL controller events, made up and posted through pygame's queue, drive seats,
sticks through a dead zone, d-pads, buttons, menus and hot-plugging; bindings per seat."""

from __future__ import annotations

import ctypes
import glob
import logging
import os

import pygame
import pytest

from engine.client.gamepad import (
    CONTROLS,
    Controls,
    Gamepads,
    PadBindings,
    PadDevice,
    SdlControllers,
    control_label,
    control_problem,
    menu_event,
)
from engine.client.input import Bindings, InputState
from tests.engine.client.pads import FakePads, added, axis, button, removed, through_queue

NAMES = {
    seat: {
        "left": "dpleft",
        "right": "dpright",
        "up": "dpup",
        "down": "dpdown",
        "fire": "a",
        "missile": "b",
    }
    for seat in (0, 1)
}
STICKS = {"leftx": ("left", "right"), "lefty": ("up", "down")}


@pytest.fixture(scope="module", autouse=True)
def video():
    was_up = pygame.display.get_init()
    pygame.display.init()  # the event queue
    yield
    if not was_up:
        pygame.display.quit()


@pytest.fixture
def pads():
    pygame.event.clear()
    return Gamepads(
        PadBindings.from_names(NAMES), seats=2, dead_zone=0.25, sticks=STICKS, backend=FakePads()
    )


def feed(pads: Gamepads, *events: pygame.event.Event) -> list[pygame.event.Event]:
    """Through pygame's queue into the Gamepads; the events as it annotated them."""
    return [pads.read(event) for event in through_queue(*events)]


def plug(pads: Gamepads) -> int:
    """Plug a pad in; its instance id."""
    before = {pad.instance_id for pad in pads.pads}
    feed(pads, added(len(before)))
    (new,) = {pad.instance_id for pad in pads.pads} - before
    return new


# -- flying ------------------------------------------------------------------------------------


def test_the_stick_flies_analog_past_a_radial_dead_zone(pads):
    pad = plug(pads)
    feed(pads, axis(pad, "leftx", 0.2))  # inside the dead zone: a worn stick's drift
    assert pads.axis(0, "left", "right") == 0.0
    feed(pads, axis(pad, "leftx", 0.625))  # half-way from the dead zone to the rim
    assert pads.axis(0, "left", "right") == pytest.approx(0.5, abs=0.01)
    feed(pads, axis(pad, "leftx", -1.0))
    assert pads.axis(0, "left", "right") == pytest.approx(-1.0)
    feed(pads, axis(pad, "leftx", 0.0), axis(pad, "lefty", 1.0))  # down is positive
    assert pads.axis(0, "up", "down") == pytest.approx(1.0)
    assert pads.axis(0, "left", "right") == 0.0


def test_the_dead_zone_is_radial_so_a_small_diagonal_still_flies(pads):
    pad = plug(pads)
    feed(pads, axis(pad, "leftx", 0.2), axis(pad, "lefty", 0.2))  # each under 0.25, together 0.28
    assert pads.axis(0, "left", "right") > 0.0
    assert pads.axis(0, "left", "right") == pytest.approx(pads.axis(0, "up", "down"))
    feed(pads, axis(pad, "leftx", 0.7071), axis(pad, "lefty", 0.7071))  # full tilt diagonally
    assert pads.axis(0, "left", "right") == pytest.approx(0.7071, abs=0.001)


def test_a_changed_dead_zone_takes_effect_at_once(pads):
    pad = plug(pads)
    feed(pads, axis(pad, "leftx", 0.3))
    assert pads.axis(0, "left", "right") > 0.0
    pads.dead_zone = 0.4
    assert pads.axis(0, "left", "right") == 0.0


def test_the_d_pad_flies_and_opposite_directions_cancel(pads):
    pad = plug(pads)
    feed(pads, button(pad, "dpleft"))
    assert pads.axis(0, "left", "right") == -1.0
    assert pads.held(0, "left")
    feed(pads, button(pad, "dpright"))
    assert pads.axis(0, "left", "right") == 0.0
    feed(pads, button(pad, "dpleft", down=False))
    assert pads.axis(0, "left", "right") == 1.0
    feed(pads, button(pad, "dpright", down=False))
    assert pads.axis(0, "left", "right") == 0.0
    assert not pads.held(0, "right")


def test_d_pad_and_stick_together_are_clamped_to_full_speed(pads):
    pad = plug(pads)
    feed(pads, button(pad, "dpright"), axis(pad, "leftx", 1.0))
    assert pads.axis(0, "left", "right") == 1.0


def test_fire_is_held_and_the_missile_button_counts_presses(pads):
    pad = plug(pads)
    feed(pads, button(pad, "a"))
    assert pads.held(0, "fire")
    assert not pads.held(1, "fire")
    feed(pads, button(pad, "a", down=False))
    assert not pads.held(0, "fire")
    # Two presses between two frames are two missiles; a press is taken once.
    feed(pads, button(pad, "b"), button(pad, "b", down=False), button(pad, "b"))
    assert pads.take_presses(0, "missile") == 2
    assert pads.take_presses(0, "missile") == 0
    assert pads.take_presses(0, "fire") == 1


def test_a_repeated_down_is_not_a_second_press(pads):
    pad = plug(pads)
    feed(pads, button(pad, "b"), button(pad, "b"))
    assert pads.take_presses(0, "missile") == 1


def test_a_trigger_pulled_past_halfway_is_a_button(pads):
    pads.bindings.rebind(0, "fire", "righttrigger")
    pad = plug(pads)
    feed(pads, axis(pad, "righttrigger", 0.4))
    assert not pads.held(0, "fire")
    feed(pads, axis(pad, "righttrigger", 0.9))
    assert pads.held(0, "fire")
    assert pads.take_presses(0, "fire") == 1
    feed(pads, axis(pad, "righttrigger", 0.4))  # between the thresholds: still held
    assert pads.held(0, "fire")
    feed(pads, axis(pad, "righttrigger", 0.1))
    assert not pads.held(0, "fire")


def test_a_pushed_stick_holds_and_presses_its_action_once(pads):
    pad = plug(pads)
    feed(pads, axis(pad, "leftx", 0.9))
    assert pads.held(0, "right")
    feed(pads, axis(pad, "leftx", 0.95), axis(pad, "leftx", 0.85))  # held there: no new press
    assert pads.take_presses(0, "right") == 1
    feed(pads, axis(pad, "leftx", 0.1), axis(pad, "leftx", 0.9))
    assert pads.take_presses(0, "right") == 1


def test_an_unbound_action_is_never_held(pads):
    pad = plug(pads)
    feed(pads, button(pad, "x"))
    assert not any(pads.held(0, action) for action in NAMES[0])


# -- seats and hot-plugging ------------------------------------------------------------------


def test_the_first_pad_is_seat_0_the_second_seat_1_a_third_waits(pads):
    first, second, third = plug(pads), plug(pads), plug(pads)
    assert [pads.seat_of(pad) for pad in (first, second, third)] == [0, 1, None]
    feed(pads, button(second, "a"), button(third, "b"))
    assert pads.held(1, "fire")
    assert not pads.held(0, "fire")
    assert pads.take_presses(0, "missile") == 0  # a pad without a seat drives nothing


def test_two_pads_fly_two_seats_independently(pads):
    first, second = plug(pads), plug(pads)
    feed(pads, axis(first, "leftx", -1.0), axis(second, "lefty", -1.0))
    assert pads.axis(0, "left", "right") == pytest.approx(-1.0)
    assert pads.axis(0, "up", "down") == 0.0
    assert pads.axis(1, "up", "down") == pytest.approx(-1.0)
    assert pads.axis(1, "left", "right") == 0.0


def test_a_pad_removed_releases_what_it_held_and_frees_its_seat(pads):
    first, second = plug(pads), plug(pads)
    feed(pads, button(first, "a"), axis(first, "leftx", 1.0), button(second, "a"))
    feed(pads, removed(first))
    assert not pads.held(0, "fire")
    assert pads.axis(0, "left", "right") == 0.0
    assert pads.held(1, "fire")  # the other pad is untouched
    assert pads.backend.closed == [first]
    assert pads.seat_of(first) is None
    # Its events, if any arrive late, drive nothing.
    feed(pads, button(first, "a"))
    assert not pads.held(0, "fire")
    again = plug(pads)  # plugged back in: SDL gives it a new instance id, seat 0 again
    assert pads.seat_of(again) == 0


def test_a_waiting_pad_takes_a_freed_seat(pads):
    first, _second, third = plug(pads), plug(pads), plug(pads)
    feed(pads, button(third, "a"))  # held while waiting: not a seat's fire yet
    feed(pads, removed(first))
    assert pads.seat_of(third) == 0
    assert not pads.held(0, "fire")  # it must be pressed again
    feed(pads, button(third, "a", down=False), button(third, "a"))
    assert pads.held(0, "fire")


def test_sdl_announcing_a_pad_twice_keeps_one(pads):
    class Twice(FakePads):
        def open(self, device_index):  # the same device, opened again: the same instance
            return PadDevice(7, "Same Pad", lambda: self.closed.append(7))

    pads.backend = Twice()
    feed(pads, added(0), added(0))
    assert [pad.instance_id for pad in pads.pads] == [7]
    assert pads.backend.closed == [7]  # the second handle


def test_losing_window_focus_releases_everything_but_keeps_the_pads(pads):
    pad = plug(pads)
    feed(pads, button(pad, "a"), axis(pad, "leftx", 1.0), button(pad, "b"))
    feed(pads, pygame.event.Event(pygame.WINDOWFOCUSLOST))
    assert not pads.held(0, "fire")
    assert pads.axis(0, "left", "right") == 0.0
    assert pads.take_presses(0, "missile") == 0
    assert pads.seat_of(pad) == 0


def test_release_buttons_keeps_the_stick(pads):
    pad = plug(pads)
    feed(pads, button(pad, "a"), axis(pad, "leftx", 1.0), button(pad, "b"))
    pads.release_buttons()
    assert not pads.held(0, "fire")
    assert pads.take_presses(0, "missile") == 0
    assert pads.axis(0, "left", "right") == pytest.approx(1.0)


def test_a_pad_sdl_cannot_map_is_reported_once(pads, caplog):
    pads.backend = FakePads(unmapped={3: "Odd Stick"})
    with caplog.at_level(logging.WARNING, logger="engine.client.gamepad"):
        feed(pads, pygame.event.Event(pygame.JOYDEVICEADDED, device_index=3))
        feed(pads, pygame.event.Event(pygame.JOYDEVICEADDED, device_index=3))
        feed(pads, pygame.event.Event(pygame.JOYDEVICEADDED, device_index=0))  # a mapped pad
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 1
    assert "'Odd Stick' has no game-controller mapping" in lines[0]


# -- menus -------------------------------------------------------------------------------------


def keys(events: list[pygame.event.Event]) -> list[int]:
    return [made.key for made in map(menu_event, events) if made is not None]


def test_pad_events_stand_for_menu_keys(pads):
    pad = plug(pads)
    events = feed(
        pads,
        button(pad, "dpdown"),
        button(pad, "dpdown", down=False),
        button(pad, "dpup"),
        button(pad, "dpleft"),
        button(pad, "dpright"),
        button(pad, "a"),
        button(pad, "b"),
        button(pad, "back"),
        button(pad, "start"),  # the screens that use Start read it themselves
        button(pad, "x"),
    )
    assert keys(events) == [
        pygame.K_DOWN,
        pygame.K_UP,
        pygame.K_LEFT,
        pygame.K_RIGHT,
        pygame.K_RETURN,
        pygame.K_ESCAPE,
        pygame.K_ESCAPE,
    ]
    made = menu_event(events[0])
    assert made.type == pygame.KEYDOWN
    assert events[0].seat == 0
    assert events[0].pad_name == f"Test Pad {pad}"


def test_the_left_stick_moves_a_menu_once_per_push(pads):
    pad = plug(pads)
    events = feed(
        pads,
        axis(pad, "lefty", 0.3),  # inside the dead zone
        axis(pad, "lefty", 0.8),  # pushed down: one move
        axis(pad, "lefty", 1.0),  # held: nothing
        axis(pad, "lefty", 0.55),  # jitter under the push line, above the release: nothing
        axis(pad, "lefty", 0.8),
        axis(pad, "lefty", 0.0),  # back to the centre
        axis(pad, "lefty", -0.9),  # pushed up: one move
        axis(pad, "leftx", 0.0),
        axis(pad, "lefty", 0.0),
        axis(pad, "leftx", -0.9),
        axis(pad, "rightx", 1.0),  # the right stick does not work menus
    )
    assert keys(events) == [pygame.K_DOWN, pygame.K_UP, pygame.K_LEFT]


def test_events_that_are_not_from_pads_pass_through_menu_event():
    key = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a)
    assert menu_event(key) is key
    joystick = pygame.event.Event(pygame.JOYBUTTONDOWN, instance_id=1, button=0)
    assert menu_event(joystick) is None


def test_a_pad_nobody_opened_drives_nothing(pads):
    events = feed(pads, button(99, "a"))
    assert not pads.held(0, "fire")
    assert keys(events) == []


# -- controls: keyboard and pads together ------------------------------------------------------


def test_controls_join_keyboard_and_pad(pads):
    keys = {0: {"left": "left", "right": "right", "missile": "m"}}
    keyboard = InputState(Bindings.from_names(keys))
    controls = Controls(keyboard, pads)
    pad = plug(pads)
    feed(pads, axis(pad, "leftx", 1.0))
    assert controls.axis(0, "left", "right") == pytest.approx(1.0)
    keyboard.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RIGHT))
    assert controls.axis(0, "left", "right") == 1.0  # clamped
    keyboard.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_LEFT))
    keyboard.handle_event(pygame.event.Event(pygame.KEYUP, key=pygame.K_RIGHT))
    assert controls.axis(0, "left", "right") == pytest.approx(0.0)
    feed(pads, button(pad, "a"))
    assert controls.held(0, "fire")
    feed(pads, button(pad, "b"))
    keyboard.handle_event(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_m))
    assert controls.take_presses(0, "missile") == 2  # one on each
    assert controls.take_presses(0, "missile") == 0
    controls.release_all()
    assert not controls.held(0, "fire")
    assert controls.axis(0, "left", "right") == 0.0


# -- bindings ----------------------------------------------------------------------------------


def test_pad_bindings_from_names_and_back():
    bindings = PadBindings.from_names(NAMES)
    assert bindings.control_for(1, "fire") == "a"
    assert bindings.actions_for(0, "b") == ["missile"]
    assert bindings.to_names() == NAMES
    assert PadBindings.from_names(bindings.to_names()) == bindings
    assert bindings.conflicts() == []  # "a" is fire for both seats: each has its own pad


def test_bad_pad_names_are_refused_with_the_entry_named():
    with pytest.raises(ValueError, match="seat 1 fire: unknown pad button 'z'"):
        PadBindings.from_names({1: {"fire": "z"}})
    with pytest.raises(ValueError, match="seat 0 fire: pad button 'start' is kept for pausing"):
        PadBindings.from_names({0: {"fire": "start"}})
    assert control_problem("guide") == "pad button 'guide' belongs to the system"
    assert control_problem("righttrigger") is None
    assert "start" not in CONTROLS


def test_pad_conflicts_are_per_seat():
    bindings = PadBindings.from_names({0: {"fire": "a", "missile": "a"}, 1: {"fire": "a"}})
    assert bindings.conflicts() == [
        "pad button 'a' is bound to both seat 0 fire and seat 0 missile"
    ]


def test_rebinding_a_used_button_swaps_within_the_seat():
    bindings = PadBindings.from_names(NAMES)
    note = bindings.rebind(0, "fire", "b")
    assert note == "swapped: seat 0 missile now uses pad button 'a'"
    assert bindings.control_for(0, "fire") == "b"
    assert bindings.control_for(0, "missile") == "a"
    assert bindings.to_names()[1] == NAMES[1]  # the other seat keeps its own
    assert bindings.rebind(0, "fire", "rightshoulder") is None
    assert bindings.control_for(0, "fire") == "rightshoulder"
    with pytest.raises(ValueError, match="kept for pausing"):
        bindings.rebind(0, "fire", "start")


def test_rebinding_a_new_action_to_a_used_button_unbinds_the_other():
    bindings = PadBindings.from_names({0: {"fire": "a"}})
    note = bindings.rebind(0, "missile", "a")
    assert note == "seat 0 fire lost pad button 'a' and is now unbound"
    assert bindings.control_for(0, "fire") is None


def test_labels_are_what_a_player_reads():
    assert [control_label(name) for name in ("a", "leftshoulder", "righttrigger", "dpleft")] == [
        "A",
        "LB",
        "RT",
        "D-pad left",
    ]
    assert control_label("") == "-"


# -- a real SDL controller ---------------------------------------------------------------------


def _sdl():
    """pygame's own SDL, to attach a virtual controller (SDL_JoystickAttachVirtual)."""
    libs = os.path.join(os.path.dirname(pygame.__file__), os.pardir, "pygame_ce.libs")
    found = glob.glob(os.path.join(libs, "libSDL2-2*"))
    if not found:
        pytest.skip("pygame's bundled SDL library was not found")
    sdl = ctypes.CDLL(found[0])
    sdl.SDL_JoystickFromInstanceID.restype = ctypes.c_void_p
    sdl.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
    sdl.SDL_JoystickSetVirtualAxis.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int16]
    return sdl


def test_a_virtual_sdl_controller_is_opened_seated_and_released_when_unplugged():
    """The real backend, end to end: SDL announces a (virtual) pad, SdlControllers opens it,
    its button and stick arrive as SDL's own events, and detaching it releases them."""
    sdl = _sdl()
    pads = Gamepads(PadBindings.from_names(NAMES), sticks=STICKS, backend=SdlControllers())
    pads.start()
    pygame.event.get()
    index = sdl.SDL_JoystickAttachVirtual(1, 6, 15, 0)  # a game controller: 6 axes, 15 buttons
    if index < 0:
        pytest.skip("this SDL cannot attach a virtual controller")
    try:
        for event in pygame.event.get():
            pads.read(event)
        (pad,) = pads.pads
        assert pad.seat == 0
        joystick = sdl.SDL_JoystickFromInstanceID(pad.instance_id)
        sdl.SDL_JoystickSetVirtualButton(joystick, 0, 1)  # A
        sdl.SDL_JoystickSetVirtualAxis(joystick, 0, -32768)  # left stick, full left
        for event in pygame.event.get():
            pads.read(event)
        assert pads.held(0, "fire")
        assert pads.axis(0, "left", "right") == pytest.approx(-1.0)
    finally:
        sdl.SDL_JoystickDetachVirtual(index)
    for event in pygame.event.get():
        pads.read(event)
    assert pads.pads == []
    assert not pads.held(0, "fire")
    assert pads.axis(0, "left", "right") == 0.0
