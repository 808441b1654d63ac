"""Key bindings per seat, and the held/pressed state that pygame events drive."""

import pygame
import pytest

from engine.client.input import Bindings, InputState

NAMES = {
    0: {"left": "left", "right": "right", "fire": "space"},
    1: {"left": "a", "right": "d", "fire": "f"},
}


@pytest.fixture(scope="module", autouse=True)
def video():
    was_up = pygame.display.get_init()
    pygame.display.init()  # pygame only vouches for key names with video up
    yield
    if not was_up:
        pygame.display.quit()


def down(key):
    return pygame.event.Event(pygame.KEYDOWN, key=key)


def up(key):
    return pygame.event.Event(pygame.KEYUP, key=key)


def test_bindings_from_names_and_back():
    bindings = Bindings.from_names(NAMES)
    assert bindings.key_for(0, "left") == pygame.K_LEFT
    assert bindings.key_for(1, "fire") == pygame.K_f
    assert bindings.slots_for(pygame.K_SPACE) == [(0, "fire")]
    assert bindings.slots_for(pygame.K_q) == []
    assert bindings.to_names() == NAMES
    assert Bindings.from_names(bindings.to_names()) == bindings


def test_names_are_canonicalised():
    assert Bindings.from_names({0: {"fire": "Space"}}).to_names() == {0: {"fire": "space"}}


def test_unknown_key_name_names_seat_action_and_name():
    with pytest.raises(ValueError, match="seat 1 fire: unknown key name 'spcae'"):
        Bindings.from_names({0: {"fire": "space"}, 1: {"fire": "spcae"}})


def test_conflicts_describe_keys_bound_twice():
    assert Bindings.from_names(NAMES).conflicts() == []
    bindings = Bindings.from_names({0: {"fire": "space"}, 1: {"fire": "space", "left": "a"}})
    assert bindings.conflicts() == ["key 'space' is bound to both seat 0 fire and seat 1 fire"]


def test_rebind_to_a_free_key():
    bindings = Bindings.from_names(NAMES)
    assert bindings.rebind(0, "fire", pygame.K_RCTRL) is None
    assert bindings.key_for(0, "fire") == pygame.K_RCTRL
    assert bindings.slots_for(pygame.K_SPACE) == []


def test_rebind_swaps_with_the_previous_owner():
    bindings = Bindings.from_names(NAMES)
    message = bindings.rebind(0, "fire", pygame.K_f)
    assert message == "swapped: seat 1 fire now uses 'space'"
    assert bindings.key_for(0, "fire") == pygame.K_f
    assert bindings.key_for(1, "fire") == pygame.K_SPACE
    assert bindings.conflicts() == []


def test_rebind_of_a_new_action_unbinds_the_previous_owner():
    bindings = Bindings.from_names(NAMES)
    message = bindings.rebind(0, "missile", pygame.K_f)
    assert message == "seat 1 fire lost 'f' and is now unbound"
    assert bindings.key_for(1, "fire") is None
    assert bindings.conflicts() == []


def test_rebind_to_own_key_changes_nothing():
    bindings = Bindings.from_names(NAMES)
    assert bindings.rebind(0, "fire", pygame.K_SPACE) is None
    assert bindings.to_names() == NAMES


def test_rebind_resolves_an_existing_conflict():
    bindings = Bindings.from_names({0: {"fire": "space"}, 1: {"fire": "space"}})
    bindings.rebind(1, "fire", pygame.K_f)
    assert bindings.conflicts() == []


def test_held_follows_keydown_and_keyup():
    state = InputState(Bindings.from_names(NAMES))
    assert state.handle_event(down(pygame.K_LEFT)) is True
    assert state.held(0, "left")
    assert not state.held(1, "left")
    assert state.handle_event(up(pygame.K_LEFT)) is True
    assert not state.held(0, "left")


def test_unbound_keys_and_other_events_are_not_consumed():
    state = InputState(Bindings.from_names(NAMES))
    assert state.handle_event(down(pygame.K_q)) is False
    assert state.handle_event(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1)) is False
    assert not state.held(0, "nothing")


def test_axis_with_one_and_both_keys():
    state = InputState(Bindings.from_names(NAMES))
    assert state.axis(0, "left", "right") == 0.0
    state.handle_event(down(pygame.K_LEFT))
    assert state.axis(0, "left", "right") == -1.0
    state.handle_event(down(pygame.K_RIGHT))
    assert state.axis(0, "left", "right") == 0.0
    state.handle_event(up(pygame.K_LEFT))
    assert state.axis(0, "left", "right") == 1.0
    assert state.axis(1, "left", "right") == 0.0


def test_take_presses_counts_keydowns_and_resets():
    state = InputState(Bindings.from_names(NAMES))
    for _ in range(3):
        state.handle_event(down(pygame.K_SPACE))
        state.handle_event(up(pygame.K_SPACE))
    assert not state.held(0, "fire")  # pressed and released between two frames
    assert state.take_presses(0, "fire") == 3
    assert state.take_presses(0, "fire") == 0
    assert state.take_presses(1, "fire") == 0


def test_auto_repeat_is_not_a_new_press():
    state = InputState(Bindings.from_names(NAMES))
    state.handle_event(down(pygame.K_SPACE))
    state.handle_event(down(pygame.K_SPACE))
    assert state.take_presses(0, "fire") == 1


def test_release_all_forgets_held_keys_and_presses():
    state = InputState(Bindings.from_names(NAMES))
    state.handle_event(down(pygame.K_LEFT))
    state.handle_event(down(pygame.K_f))
    state.release_all()
    assert not state.held(0, "left")
    assert state.take_presses(1, "fire") == 0


def test_focus_loss_releases_everything():
    state = InputState(Bindings.from_names(NAMES))
    state.handle_event(down(pygame.K_LEFT))
    state.handle_event(down(pygame.K_d))
    assert state.handle_event(pygame.event.Event(pygame.WINDOWFOCUSLOST)) is False
    assert not state.held(0, "left")
    assert not state.held(1, "right")


def test_rebind_applies_to_a_live_input_state():
    bindings = Bindings.from_names(NAMES)
    state = InputState(bindings)
    state.handle_event(down(pygame.K_SPACE))
    bindings.rebind(0, "fire", pygame.K_RCTRL)
    assert not state.held(0, "fire")  # space no longer means fire, so fire is not stuck
    state.handle_event(down(pygame.K_RCTRL))
    assert state.held(0, "fire")
