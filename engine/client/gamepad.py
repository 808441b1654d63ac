"""Gamepads: SDL game controllers for several local players, their bindings and their state.

Why SDL's game-controller API (`pygame._sdl2.controller` and the CONTROLLER* events) rather
than the raw joystick API: SDL maps hundreds of pads (its built-in community database, plus
whatever `SDL_GAMECONTROLLERCONFIG` adds) onto one Xbox-style layout, so "a" is the bottom face
button, "dpleft" the d-pad's left and "leftx" the left stick's x on every mapped pad, from any
maker. Bindings are saved as those names (SDL's own, as in its mapping strings) and mean the
same button on the next pad. The joystick API reports raw indices instead: button 0 is a
different button on each make and a d-pad may be a hat or four buttons, so a saved binding
would not survive a change of pad. The price: a device SDL has no mapping for is not a
controller; it is logged and ignored. pygame-ce 2.5 marks `_sdl2` experimental, so everything
that touches it is in `SdlControllers`, one small class.

The parts, like the keyboard's in `engine.client.input`:
- `PadBindings`: which button (or trigger) each (seat, action) uses; the settings screen edits
  it. Seats have a pad each, so a button may serve one action per seat.
- `Gamepads`: the connected pads, each given the lowest free seat (the first pad is seat 0,
  the second seat 1, more wait for a seat to free); fed every pygame event by the window, it
  answers "held?", "how many presses?" and the analog `axis`, with the sticks named in
  `sticks` driving pairs of opposite actions through a radial dead zone. A pad unplugged
  releases everything it held. `read` returns a pad event annotated with its `seat`, its
  pad's name and `menu_key`: the key it stands for in a menu (d-pad and left stick: arrows,
  A: Return, B and Back: Escape), so menus reuse their keyboard handling (`menu_event`).
- `Controls`: the keyboard and the pads as one source of actions.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import pygame

from engine.client.input import InputState, Slot

log = logging.getLogger(__name__)

# SDL_GameControllerButton, by SDL's names for them (SDL_GameControllerGetStringForButton).
BUTTONS: dict[str, int] = {
    "a": pygame.CONTROLLER_BUTTON_A,
    "b": pygame.CONTROLLER_BUTTON_B,
    "x": pygame.CONTROLLER_BUTTON_X,
    "y": pygame.CONTROLLER_BUTTON_Y,
    "back": pygame.CONTROLLER_BUTTON_BACK,
    "guide": pygame.CONTROLLER_BUTTON_GUIDE,
    "start": pygame.CONTROLLER_BUTTON_START,
    "leftstick": pygame.CONTROLLER_BUTTON_LEFTSTICK,
    "rightstick": pygame.CONTROLLER_BUTTON_RIGHTSTICK,
    "leftshoulder": pygame.CONTROLLER_BUTTON_LEFTSHOULDER,
    "rightshoulder": pygame.CONTROLLER_BUTTON_RIGHTSHOULDER,
    "dpup": pygame.CONTROLLER_BUTTON_DPAD_UP,
    "dpdown": pygame.CONTROLLER_BUTTON_DPAD_DOWN,
    "dpleft": pygame.CONTROLLER_BUTTON_DPAD_LEFT,
    "dpright": pygame.CONTROLLER_BUTTON_DPAD_RIGHT,
    # SDL 2.0.14+: no pygame constants, SDL's numbers.
    "misc1": 15,
    "paddle1": 16,
    "paddle2": 17,
    "paddle3": 18,
    "paddle4": 19,
    "touchpad": 20,
}
BUTTON_NAMES: dict[int, str] = {code: name for name, code in BUTTONS.items()}
# SDL_GameControllerAxis: sticks -1..1 (y grows downwards), triggers 0..1.
AXES: dict[str, int] = {
    "leftx": pygame.CONTROLLER_AXIS_LEFTX,
    "lefty": pygame.CONTROLLER_AXIS_LEFTY,
    "rightx": pygame.CONTROLLER_AXIS_RIGHTX,
    "righty": pygame.CONTROLLER_AXIS_RIGHTY,
    "lefttrigger": pygame.CONTROLLER_AXIS_TRIGGERLEFT,
    "righttrigger": pygame.CONTROLLER_AXIS_TRIGGERRIGHT,
}
AXIS_NAMES: dict[int, str] = {code: name for name, code in AXES.items()}
TRIGGERS = ("lefttrigger", "righttrigger")
STICKS: dict[str, tuple[str, str]] = {  # each stick axis -> the stick's (x, y)
    "leftx": ("leftx", "lefty"),
    "lefty": ("leftx", "lefty"),
    "rightx": ("rightx", "righty"),
    "righty": ("rightx", "righty"),
}
# Start opens and closes the pause menu and Guide belongs to the system (Steam, the console
# overlay): neither can be bound to an action.
RESERVED: dict[str, str] = {"start": "is kept for pausing", "guide": "belongs to the system"}
CONTROLS: tuple[str, ...] = (*(name for name in BUTTONS if name not in RESERVED), *TRIGGERS)

LABELS: dict[str, str] = {
    "a": "A",
    "b": "B",
    "x": "X",
    "y": "Y",
    "back": "Back",
    "guide": "Guide",
    "start": "Start",
    "leftstick": "L stick",
    "rightstick": "R stick",
    "leftshoulder": "LB",
    "rightshoulder": "RB",
    "lefttrigger": "LT",
    "righttrigger": "RT",
    "dpup": "D-pad up",
    "dpdown": "D-pad down",
    "dpleft": "D-pad left",
    "dpright": "D-pad right",
    "misc1": "Misc",
    "paddle1": "Paddle 1",
    "paddle2": "Paddle 2",
    "paddle3": "Paddle 3",
    "paddle4": "Paddle 4",
    "touchpad": "Touchpad",
}

AXIS_MAX = 32767  # SDL reports axes as -32768 .. 32767
DEFAULT_DEAD_ZONE = 0.25  # of the stick's throw, around its centre: no drift from a worn stick
MAX_DEAD_ZONE = 0.9
PUSH = 0.5  # a stick past this (after the dead zone) is a pushed direction: a press
PUSH_RELEASE = 0.35  # ...until it falls back under this (no chatter around PUSH)
TRIGGER_DOWN = 0.5  # a trigger pulled past this is a held button
TRIGGER_UP = 0.3

MENU_KEYS: dict[str, int] = {
    "dpup": pygame.K_UP,
    "dpdown": pygame.K_DOWN,
    "dpleft": pygame.K_LEFT,
    "dpright": pygame.K_RIGHT,
    "a": pygame.K_RETURN,
    "b": pygame.K_ESCAPE,
    "back": pygame.K_ESCAPE,
}
MENU_STICK: dict[str, tuple[int, int]] = {  # axis -> (key when pushed negative, positive)
    "leftx": (pygame.K_LEFT, pygame.K_RIGHT),
    "lefty": (pygame.K_UP, pygame.K_DOWN),
}

DEVICE_EVENTS = frozenset(
    {pygame.CONTROLLERDEVICEADDED, pygame.CONTROLLERDEVICEREMOVED, pygame.CONTROLLERDEVICEREMAPPED}
)
PAD_EVENTS = frozenset(
    {
        pygame.CONTROLLERAXISMOTION,
        pygame.CONTROLLERBUTTONDOWN,
        pygame.CONTROLLERBUTTONUP,
        pygame.CONTROLLERTOUCHPADDOWN,
        pygame.CONTROLLERTOUCHPADMOTION,
        pygame.CONTROLLERTOUCHPADUP,
        pygame.CONTROLLERSENSORUPDATE,
        *DEVICE_EVENTS,
        # A pad sends joystick events too (every joystick does); they mean nothing here.
        pygame.JOYAXISMOTION,
        pygame.JOYBALLMOTION,
        pygame.JOYHATMOTION,
        pygame.JOYBUTTONDOWN,
        pygame.JOYBUTTONUP,
        pygame.JOYDEVICEADDED,
        pygame.JOYDEVICEREMOVED,
    }
)


def control_problem(name: str) -> str | None:
    """Why `name` cannot be bound to an action (None if it can)."""
    if name in RESERVED:
        return f"pad button {name!r} {RESERVED[name]}"
    if name not in CONTROLS:
        return f"unknown pad button {name!r}"  # the list is in CONTROLS (and the README)
    return None


def control_label(name: str) -> str:
    """What a player reads for a control: "A", "LB", "D-pad left"; "-" for none."""
    return LABELS.get(name, name) if name else "-"


def pad_button(event: pygame.event.Event) -> str | None:
    """The name of the button a CONTROLLERBUTTONDOWN/UP is about (None for other events)."""
    if event.type not in (pygame.CONTROLLERBUTTONDOWN, pygame.CONTROLLERBUTTONUP):
        return None
    return BUTTON_NAMES.get(getattr(event, "button", -1))


def is_pad_event(event: pygame.event.Event) -> bool:
    return event.type in PAD_EVENTS


def menu_event(event: pygame.event.Event) -> pygame.event.Event | None:
    """What a menu should handle for `event`: the event itself if no pad sent it; for a pad
    event `Gamepads.read` annotated, the KEYDOWN of the key it stands for; None for a pad
    event that means nothing in a menu (a button released, a stick held, a device)."""
    if event.type not in PAD_EVENTS:
        return event
    key = getattr(event, "menu_key", None)
    if key is None:
        return None
    return pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0, pad=True)


def _slot(seat: int, action: str) -> str:
    return f"seat {seat} {action}"


class PadBindings:
    """Which pad button (or trigger) each (seat, action) uses, by SDL's name for it.

    Each seat has its own pad, so conflicts are per seat: one button for two actions of the
    same seat is a conflict, the same button for an action of each seat is normal.
    """

    def __init__(self, controls: Mapping[Slot, str] | None = None) -> None:
        self._controls: dict[Slot, str] = {}
        for (seat, action), name in (controls or {}).items():
            problem = control_problem(name)
            if problem:
                raise ValueError(f"{_slot(seat, action)}: {problem}")
            self._controls[(seat, action)] = name

    @classmethod
    def from_names(cls, names: Mapping[int, Mapping[str, str]]) -> PadBindings:
        """Bindings from {seat: {action: control}}; ValueError names the bad entry."""
        return cls(
            {
                (seat, action): name
                for seat, actions in names.items()
                for action, name in actions.items()
            }
        )

    def to_names(self) -> dict[int, dict[str, str]]:
        names: dict[int, dict[str, str]] = {}
        for (seat, action), name in self._controls.items():
            names.setdefault(seat, {})[action] = name
        return names

    def control_for(self, seat: int, action: str) -> str | None:
        return self._controls.get((seat, action))

    def actions_for(self, seat: int, control: str) -> list[str]:
        """Every action of the seat the control drives (more than one only while in conflict)."""
        return [
            action
            for (owner, action), name in self._controls.items()
            if owner == seat and name == control
        ]

    def slots(self) -> list[Slot]:
        return list(self._controls)

    def conflicts(self) -> list[str]:
        """One line per control bound to more than one action of a seat."""
        users: dict[tuple[int, str], list[str]] = {}
        for (seat, action), name in self._controls.items():
            users.setdefault((seat, name), []).append(action)
        return [
            f"pad button {name!r} is bound to both "
            + " and ".join(_slot(seat, action) for action in actions)
            for (seat, name), actions in users.items()
            if len(actions) > 1
        ]

    def rebind(self, seat: int, action: str, control: str) -> str | None:
        """Bind `control` to (seat, action); the action of the seat that had it gets this
        action's old control (a swap), so no button serves two actions of one seat. Returns
        a line describing the swap, or None; ValueError for a control that cannot be bound."""
        problem = control_problem(control)
        if problem:
            raise ValueError(problem)
        old = self._controls.get((seat, action))
        others = [other for other in self.actions_for(seat, control) if other != action]
        self._controls[(seat, action)] = control
        message = None
        for index, other in enumerate(others):
            if old is None or index > 0:  # nothing to swap (or an older conflict): unbound
                del self._controls[(seat, other)]
                note = f"{_slot(seat, other)} lost pad button {control!r} and is now unbound"
            else:
                self._controls[(seat, other)] = old
                note = f"swapped: {_slot(seat, other)} now uses pad button {old!r}"
            message = note if message is None else f"{message}; {note}"
        return message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PadBindings) and self._controls == other._controls

    def __repr__(self) -> str:
        return f"PadBindings({self.to_names()!r})"


# -- devices ---------------------------------------------------------------------------------


@dataclass
class PadDevice:
    """An opened controller: SDL's instance id (what its events carry), its name, and how to
    close it."""

    instance_id: int
    name: str
    close: Callable[[], None] = lambda: None


class PadBackend(Protocol):
    """Where pads come from: SDL's controllers (`SdlControllers`), or a fake in tests."""

    def start(self) -> None: ...

    def open(self, device_index: int) -> PadDevice | None: ...

    def unmapped(self, device_index: int) -> str | None: ...


class SdlControllers:
    """The real pads, through pygame._sdl2.controller (SDL's game-controller API)."""

    def start(self) -> None:
        """Start SDL's controller subsystem: it then posts CONTROLLERDEVICEADDED for every
        pad already plugged in, and for every pad plugged in later."""
        from pygame._sdl2 import controller

        if controller.get_init():
            return
        try:
            controller.init()
        except pygame.error as error:  # the game goes on with the keyboard
            log.warning("gamepads are unavailable: %s", error)

    def open(self, device_index: int) -> PadDevice | None:
        from pygame._sdl2 import controller

        try:
            self.start()
            if not controller.is_controller(device_index):
                return None
            pad = controller.Controller(device_index)
            return PadDevice(pad.as_joystick().get_instance_id(), pad.name, pad.quit)
        except (pygame.error, ValueError, IndexError) as error:
            log.warning("could not open gamepad %d: %s", device_index, error)
            return None

    def unmapped(self, device_index: int) -> str | None:
        """The name of a joystick SDL has no game-controller mapping for (None if it has)."""
        from pygame._sdl2 import controller

        try:
            if controller.get_init() and controller.is_controller(device_index):
                return None
            return pygame.joystick.Joystick(device_index).get_name()
        except (pygame.error, ValueError, IndexError):
            return None


@dataclass
class Pad:
    """One connected pad: its seat (None while waiting for one) and what it holds now."""

    device: PadDevice
    seat: int | None = None
    held: set[str] = field(default_factory=set)  # buttons, and triggers pulled past halfway
    axes: dict[str, float] = field(default_factory=dict)  # raw, -1 .. 1
    pushed: dict[str, int] = field(default_factory=dict)  # stick axis -> -1, 0 or 1

    @property
    def instance_id(self) -> int:
        return self.device.instance_id

    @property
    def name(self) -> str:
        return self.device.name

    def release(self) -> None:
        self.held.clear()
        self.axes.clear()
        self.pushed.clear()


def _normalise(value: float) -> float:
    return max(-1.0, min(1.0, float(value) / AXIS_MAX))


class Gamepads:
    """The connected pads, their seats, and their held and pressed actions.

    `sticks` maps a stick axis to the pair of opposite actions it drives, for example
    {"leftx": ("move_left", "move_right"), "lefty": ("move_up", "move_down")}: `axis`
    reads it analog (after the dead zone), and pushing it past halfway also holds and
    presses the action on that side, as its d-pad button would.
    """

    def __init__(
        self,
        bindings: PadBindings | None = None,
        *,
        seats: int = 2,
        dead_zone: float = DEFAULT_DEAD_ZONE,
        sticks: Mapping[str, tuple[str, str]] | None = None,
        backend: PadBackend | None = None,
    ) -> None:
        self.bindings = bindings or PadBindings()
        self.seats = seats
        self.dead_zone = dead_zone
        self.sticks = dict(sticks or {})
        for axis in self.sticks:
            if axis not in STICKS:
                raise ValueError(f"{axis!r} is not a stick axis (one of {', '.join(STICKS)})")
        self.backend: PadBackend = backend or SdlControllers()
        self._pads: dict[int, Pad] = {}  # by instance id, in the order they were connected
        self._presses: Counter[Slot] = Counter()
        self._unmapped_told: set[str] = set()

    # -- devices -------------------------------------------------------------------------

    def start(self) -> None:
        self.backend.start()

    @property
    def pads(self) -> list[Pad]:
        """Connected pads, in the order they were connected."""
        return list(self._pads.values())

    def pad_in(self, seat: int) -> Pad | None:
        return next((pad for pad in self._pads.values() if pad.seat == seat), None)

    def seat_of(self, instance_id: int) -> int | None:
        pad = self._pads.get(instance_id)
        return None if pad is None else pad.seat

    def _add(self, device_index: int) -> Pad | None:
        device = self.backend.open(device_index)
        if device is None:
            return None
        known = self._pads.get(device.instance_id)
        if known is not None:  # SDL announced it twice (at start-up): keep the first handle
            if known.device is not device:
                device.close()
            return known
        pad = self._pads[device.instance_id] = Pad(device)
        self._seat_waiting_pads()
        where = f"player {pad.seat + 1}" if pad.seat is not None else "no free seat, waiting"
        log.info("gamepad connected: %s (%s)", pad.name, where)
        return pad

    def _remove(self, instance_id: int) -> Pad | None:
        pad = self._pads.pop(instance_id, None)
        if pad is None:
            return None
        pad.release()
        with contextlib.suppress(pygame.error):
            pad.device.close()
        seat = f"player {pad.seat + 1}" if pad.seat is not None else "no seat"
        log.info("gamepad disconnected: %s (%s)", pad.name, seat)
        self._seat_waiting_pads()
        return pad

    def _seat_waiting_pads(self) -> None:
        taken = {pad.seat for pad in self._pads.values() if pad.seat is not None}
        free = iter(seat for seat in range(self.seats) if seat not in taken)
        for pad in self._pads.values():
            if pad.seat is None:
                pad.seat = next(free, None)
                if pad.seat is None:
                    return
                if pad.held or pad.pushed:  # what it held while waiting is not a new press
                    pad.release()

    def close(self) -> None:
        for instance_id in list(self._pads):
            self._remove(instance_id)

    # -- events --------------------------------------------------------------------------

    def read(self, event: pygame.event.Event) -> pygame.event.Event:
        """Update from one event and return it; a controller event comes back as a copy
        with `seat` (of its pad, None if it has none), `pad_name` and `menu_key` (the
        keyboard key it stands for in a menu, or None).

        Losing window focus releases everything (SDL sends no pad events to a window in
        the background). A pad removed releases what it held.
        """
        kind = event.type
        if kind == pygame.WINDOWFOCUSLOST:
            self.release_all()
            return event
        if kind == pygame.JOYDEVICEADDED:
            self._tell_if_unmapped(getattr(event, "device_index", -1))
            return event
        if kind == pygame.CONTROLLERDEVICEADDED:
            pad = self._add(getattr(event, "device_index", -1))
            return self._annotate(event, pad, None)
        if kind == pygame.CONTROLLERDEVICEREMOVED:
            pad = self._remove(getattr(event, "instance_id", -1))
            return self._annotate(event, pad, None)
        if kind not in PAD_EVENTS or kind in DEVICE_EVENTS:
            return event
        pad = self._pads.get(getattr(event, "instance_id", -1))
        if pad is None:  # a controller this app did not open: not ours
            return event
        key = None
        if kind == pygame.CONTROLLERBUTTONDOWN:
            name = BUTTON_NAMES.get(getattr(event, "button", -1))
            if name is not None:
                self._press(pad, name)
                key = MENU_KEYS.get(name)
        elif kind == pygame.CONTROLLERBUTTONUP:
            name = BUTTON_NAMES.get(getattr(event, "button", -1))
            pad.held.discard(name)
        elif kind == pygame.CONTROLLERAXISMOTION:
            key = self._move(pad, AXIS_NAMES.get(getattr(event, "axis", -1)), event)
        return self._annotate(event, pad, key)

    @staticmethod
    def _annotate(
        event: pygame.event.Event, pad: Pad | None, key: int | None
    ) -> pygame.event.Event:
        extra = {
            "seat": None if pad is None else pad.seat,
            "pad_name": None if pad is None else pad.name,
            "menu_key": key,
        }
        return pygame.event.Event(event.type, {**event.dict, **extra})

    def _press(self, pad: Pad, control: str) -> None:
        """`control` went down on `pad`: held, and a press of each action it is bound to."""
        if control in pad.held:
            return  # already down: not a new press
        pad.held.add(control)
        if pad.seat is not None:
            for action in self.bindings.actions_for(pad.seat, control):
                self._presses[(pad.seat, action)] += 1

    def _move(self, pad: Pad, axis: str | None, event: pygame.event.Event) -> int | None:
        """A stick or trigger moved; the menu key a newly pushed left stick stands for."""
        if axis is None:
            return None
        value = _normalise(getattr(event, "value", 0))
        pad.axes[axis] = value
        if axis in TRIGGERS:
            if value >= TRIGGER_DOWN:
                self._press(pad, axis)
            elif value <= TRIGGER_UP:
                pad.held.discard(axis)
            return None
        key = None
        for each in sorted(STICKS[axis], key=lambda name: name != axis):  # its own axis first
            before = pad.pushed.get(each, 0)
            scaled = self.stick_value(pad, each)
            if abs(scaled) >= PUSH:
                now = 1 if scaled > 0 else -1
            elif abs(scaled) < PUSH_RELEASE:
                now = 0
            else:
                now = before if before * scaled > 0 else 0
            pad.pushed[each] = now
            if now == 0 or now == before:
                continue
            if pad.seat is not None and each in self.sticks:
                action = self.sticks[each][0 if now < 0 else 1]
                self._presses[(pad.seat, action)] += 1
            if key is None and each in MENU_STICK:
                key = MENU_STICK[each][0 if now < 0 else 1]
        return key

    def _tell_if_unmapped(self, device_index: int) -> None:
        name = self.backend.unmapped(device_index)
        if name is not None and name not in self._unmapped_told:
            self._unmapped_told.add(name)
            log.warning(
                "joystick %r has no game-controller mapping and is ignored "
                "(SDL_GAMECONTROLLERCONFIG can add one)",
                name,
            )

    # -- reading ---------------------------------------------------------------------------

    def stick_value(self, pad: Pad, axis: str) -> float:
        """One axis of a stick after a radial dead zone, rescaled so the edge of the dead
        zone is 0 and the rim is 1: no drift at rest, full speed at full tilt, and the
        stick's direction kept (an axial dead zone would snap diagonals to the axes)."""
        x_name, y_name = STICKS[axis]
        x, y = pad.axes.get(x_name, 0.0), pad.axes.get(y_name, 0.0)
        length = math.hypot(x, y)
        if length <= self.dead_zone:
            return 0.0
        scale = min(1.0, (length - self.dead_zone) / (1.0 - self.dead_zone)) / length
        return (x if axis == x_name else y) * scale

    def _button_held(self, pad: Pad, action: str) -> bool:
        control = self.bindings.control_for(pad.seat, action) if pad.seat is not None else None
        return control is not None and control in pad.held

    def _stick_actions(self) -> Iterator[tuple[str, int, str]]:
        for axis, (negative, positive) in self.sticks.items():
            yield axis, -1, negative
            yield axis, 1, positive

    def held(self, seat: int, action: str) -> bool:
        """The seat's pad holds the action's button, or pushes a stick that drives it."""
        pad = self.pad_in(seat)
        if pad is None:
            return False
        if self._button_held(pad, action):
            return True
        return any(
            name == action and pad.pushed.get(axis, 0) == side
            for axis, side, name in self._stick_actions()
        )

    def axis(self, seat: int, negative_action: str, positive_action: str) -> float:
        """-1 .. 1: the buttons of two opposing actions (both cancel out) plus, analog, every
        stick axis that drives that pair; clamped."""
        pad = self.pad_in(seat)
        if pad is None:
            return 0.0
        value = float(self._button_held(pad, positive_action)) - float(
            self._button_held(pad, negative_action)
        )
        for axis, (negative, positive) in self.sticks.items():
            if (negative, positive) == (negative_action, positive_action):
                value += self.stick_value(pad, axis)
            elif (negative, positive) == (positive_action, negative_action):
                value -= self.stick_value(pad, axis)
        return max(-1.0, min(1.0, value))

    def take_presses(self, seat: int, action: str) -> int:
        return self._presses.pop((seat, action), 0)

    def release_buttons(self) -> None:
        """Forget untaken presses and held buttons (they must be pressed again), keeping the
        sticks where they are: for a game that starts or resumes after a menu the pad
        navigated, whose A and B are also Fire and Missile."""
        self._presses.clear()
        for pad in self._pads.values():
            pad.held.clear()

    def release_all(self) -> None:
        """Forget everything held and pressed; pads stay connected."""
        self._presses.clear()
        for pad in self._pads.values():
            pad.release()


class Controls:
    """The keyboard and the pads as one source of per-seat actions."""

    def __init__(self, keyboard: InputState, pads: Gamepads) -> None:
        self.keyboard = keyboard
        self.pads = pads

    def held(self, seat: int, action: str) -> bool:
        return self.keyboard.held(seat, action) or self.pads.held(seat, action)

    def axis(self, seat: int, negative_action: str, positive_action: str) -> float:
        value = self.keyboard.axis(seat, negative_action, positive_action)
        value += self.pads.axis(seat, negative_action, positive_action)
        return max(-1.0, min(1.0, value))

    def take_presses(self, seat: int, action: str) -> int:
        return self.keyboard.take_presses(seat, action) + self.pads.take_presses(seat, action)

    def release_all(self) -> None:
        self.keyboard.release_all()
        self.pads.release_all()
