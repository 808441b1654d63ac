"""Drawing and control hooks a plugin hands a client, and the event queue on its own."""

from __future__ import annotations

from dataclasses import dataclass

from engine.events import EventQueue
from engine.hooks import ControlHooks, DrawHooks


def test_a_worlds_hooks_of_one_kind_are_made_once_and_shared(world):
    draw = DrawHooks.of(world)
    draw.hud.append(lambda surface, w: None)
    assert DrawHooks.of(world) is draw and len(DrawHooks.of(world).hud) == 1
    controls = ControlHooks.of(world)
    assert controls is not draw and controls.press == []
    assert world.resource(ControlHooks) is controls and world.resource(DrawHooks) is draw


@dataclass(frozen=True)
class Hit:
    n: int


@dataclass(frozen=True)
class Miss:
    n: int


def test_events_are_read_by_exact_type_in_emit_order():
    queue = EventQueue()
    assert len(queue) == 0 and list(queue.read(Hit)) == []
    for event in (Hit(1), Miss(1), Hit(2)):
        queue.emit(event)
    assert list(queue.read(Hit)) == [Hit(1), Hit(2)] and list(queue.read(Miss)) == [Miss(1)]
    assert len(queue) == 3
    queue.clear()
    assert len(queue) == 0 and list(queue.read(Hit)) == []


def test_extending_a_queue_appends_the_others_events_in_order():
    frame, step = EventQueue(), EventQueue()
    frame.emit(Hit(1))
    step.emit(Hit(2))
    step.emit(Miss(3))
    frame.extend(step)
    frame.extend(EventQueue())  # nothing to add
    assert list(frame.read(Hit)) == [Hit(1), Hit(2)] and list(frame.read(Miss)) == [Miss(3)]
    assert len(frame) == 3 and len(step) == 2  # the other queue keeps its own
