"""Synthetic game controllers for tests: SDL's controller events made by hand and posted
through pygame's event queue, and a backend that "opens" pads without hardware.

SDL itself opens a controller on CONTROLLERDEVICEADDED and then numbers its events by an
instance id; `FakePads` plays that part (a new instance id for every pad plugged in, as SDL
does), so the events can be made up while everything after them is the real code.
"""

from __future__ import annotations

import pygame

from engine.client.gamepad import AXES, AXIS_MAX, BUTTONS, PadDevice


class FakePads:
    """A PadBackend: device index -> a new pad; remembers which were closed."""

    def __init__(self, *, unmapped: dict[int, str] | None = None) -> None:
        self.next_id = 40
        self.opened: dict[int, PadDevice] = {}  # instance id -> device
        self.closed: list[int] = []
        self.unmapped_names = dict(unmapped or {})

    def start(self) -> None:
        pass

    def open(self, device_index: int) -> PadDevice | None:
        if device_index in self.unmapped_names:
            return None
        instance = self.next_id
        self.next_id += 1
        device = PadDevice(instance, f"Test Pad {instance}", lambda: self.closed.append(instance))
        self.opened[instance] = device
        return device

    def unmapped(self, device_index: int) -> str | None:
        return self.unmapped_names.get(device_index)


def added(device_index: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.CONTROLLERDEVICEADDED, device_index=device_index)


def removed(instance_id: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.CONTROLLERDEVICEREMOVED, instance_id=instance_id)


def button(instance_id: int, name: str, *, down: bool = True) -> pygame.event.Event:
    kind = pygame.CONTROLLERBUTTONDOWN if down else pygame.CONTROLLERBUTTONUP
    return pygame.event.Event(kind, instance_id=instance_id, button=BUTTONS[name])


def axis(instance_id: int, name: str, fraction: float) -> pygame.event.Event:
    """An axis at `fraction` of its throw (-1 .. 1), as SDL's integer."""
    value = max(-32768, min(AXIS_MAX, round(fraction * AXIS_MAX)))
    return pygame.event.Event(
        pygame.CONTROLLERAXISMOTION, instance_id=instance_id, axis=AXES[name], value=value
    )


def through_queue(*events: pygame.event.Event) -> list[pygame.event.Event]:
    """Post the events to pygame's queue and take back everything queued, as a frame does."""
    for event in events:
        assert pygame.event.post(event), f"pygame refused to queue {event}"
    return pygame.event.get()
