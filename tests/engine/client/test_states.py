"""The state stack: enter/exit order, deferred changes, update blocking, draw order."""

import pygame
import pytest

from engine.client.states import State, StateStack


class Recorder(State):
    """Logs every hook call as (name, hook) into a shared list."""

    def __init__(self, name, log, *, transparent=False, blocks_update=True):
        self.name = name
        self.log = log
        self.transparent = transparent
        self.blocks_update = blocks_update
        self.on_event = None

    def enter(self):
        self.log.append((self.name, "enter"))

    def exit(self):
        self.log.append((self.name, "exit"))

    def handle_event(self, event):
        self.log.append((self.name, "event"))
        if self.on_event is not None:
            self.on_event(self)

    def update(self, dt):
        self.log.append((self.name, "update"))

    def draw(self, surface):
        self.log.append((self.name, "draw"))


def key(k=pygame.K_SPACE):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="")


@pytest.fixture
def log():
    return []


def test_push_pop_replace_call_enter_and_exit_in_order(log):
    stack = StateStack()
    a, b, c = (Recorder(n, log) for n in "abc")
    stack.push(a)
    stack.push(b)
    assert stack.states == (a, b) and stack.top is b and len(stack) == 2
    stack.replace(c)
    assert stack.states == (a, c)
    stack.pop()
    assert stack.states == (a,)
    assert log == [
        ("a", "enter"),
        ("b", "enter"),
        ("b", "exit"),
        ("c", "enter"),
        ("c", "exit"),
    ]
    assert b.stack is None and a.stack is stack


def test_clear_pops_top_first_then_pushes(log):
    stack = StateStack()
    a, b, c = (Recorder(n, log) for n in "abc")
    stack.push(a)
    stack.push(b)
    log.clear()
    stack.clear(c)
    assert stack.states == (c,)
    assert log == [("b", "exit"), ("a", "exit"), ("c", "enter")]
    stack.clear()
    assert stack.empty and stack.top is None and len(stack) == 0


def test_an_empty_stack_is_harmless_and_says_so(log):
    stack = StateStack()
    assert stack.empty
    stack.pop()
    stack.handle_event(key())
    stack.update(0.1)
    stack.draw(pygame.Surface((4, 4)))
    assert stack.empty and log == []


def test_changes_requested_in_handle_event_apply_after_it(log):
    stack = StateStack()
    menu, play = Recorder("menu", log), Recorder("play", log)
    seen_during = []

    def start_game(state):
        state.stack.replace(play)
        seen_during.append(stack.states)  # not yet changed
        log.append(("menu", "asked"))

    menu.on_event = start_game
    stack.push(menu)
    log.clear()
    stack.handle_event(key())
    assert seen_during == [(menu,)]
    assert log == [("menu", "event"), ("menu", "asked"), ("menu", "exit"), ("play", "enter")]
    assert stack.states == (play,)


def test_changes_requested_in_update_wait_until_every_state_updated(log):
    stack = StateStack()

    class Quitter(Recorder):
        def update(self, dt):
            super().update(dt)
            self.stack.pop()

    world = Recorder("world", log)
    overlay = Quitter("overlay", log, blocks_update=False)
    stack.push(world)
    stack.push(overlay)
    log.clear()
    stack.update(0.016)
    assert log == [("overlay", "update"), ("world", "update"), ("overlay", "exit")]
    assert stack.states == (world,)


def test_changes_requested_in_enter_follow_the_change_that_caused_them(log):
    stack = StateStack()
    b = Recorder("b", log)

    class Forwarder(Recorder):
        def enter(self):
            super().enter()
            self.stack.replace(b)

    stack.push(Forwarder("a", log))
    assert stack.states == (b,)
    assert log == [("a", "enter"), ("a", "exit"), ("b", "enter")]


def test_events_go_to_the_top_state_only(log):
    stack = StateStack()
    stack.push(Recorder("world", log))
    stack.push(Recorder("pause", log, transparent=True, blocks_update=False))
    log.clear()
    stack.handle_event(key())
    assert log == [("pause", "event")]


def test_a_blocking_top_stops_updates_below(log):
    stack = StateStack()
    stack.push(Recorder("world", log))
    stack.push(Recorder("menu", log))
    log.clear()
    stack.update(0.1)
    assert log == [("menu", "update")]


def test_non_blocking_states_let_updates_through_top_down_until_one_blocks(log):
    stack = StateStack()
    stack.push(Recorder("title", log))
    stack.push(Recorder("world", log))  # blocks the title
    stack.push(Recorder("hud", log, blocks_update=False))
    stack.push(Recorder("pause", log, blocks_update=False))
    log.clear()
    stack.update(0.1)
    assert log == [("pause", "update"), ("hud", "update"), ("world", "update")]


def test_transparent_states_draw_the_ones_below_first(log):
    stack = StateStack()
    stack.push(Recorder("title", log))
    stack.push(Recorder("world", log))  # opaque: the title is hidden
    stack.push(Recorder("hud", log, transparent=True))
    stack.push(Recorder("pause", log, transparent=True))
    log.clear()
    stack.draw(pygame.Surface((8, 8)))
    assert log == [("world", "draw"), ("hud", "draw"), ("pause", "draw")]


def test_an_opaque_top_draws_alone(log):
    stack = StateStack()
    stack.push(Recorder("world", log))
    stack.push(Recorder("options", log))
    log.clear()
    stack.draw(pygame.Surface((8, 8)))
    assert log == [("options", "draw")]


def test_a_transparent_bottom_state_is_still_drawn(log):
    stack = StateStack()
    stack.push(Recorder("only", log, transparent=True))
    log.clear()
    stack.draw(pygame.Surface((8, 8)))
    assert log == [("only", "draw")]


def test_states_share_the_stack_context():
    settings = {"volume": 0.5}
    stack = StateStack(context=settings)
    state = State()
    stack.push(state)
    assert state.context is settings
    stack.pop()
    with pytest.raises(RuntimeError):
        _ = state.context


def test_the_default_state_does_nothing_and_pushing_twice_is_an_error():
    stack = StateStack()
    state = State()
    stack.push(state)
    stack.handle_event(key())
    stack.update(0.1)
    stack.draw(pygame.Surface((4, 4)))
    with pytest.raises(ValueError):
        stack.push(state)
    assert stack.states == (state,)
