"""Menu widgets: focus, keyboard and mouse activation, text entry, sliders, key capture, pixels."""

import pygame
import pytest

from engine.client.ui import (
    Button,
    Choice,
    KeyCapture,
    Label,
    Menu,
    Slider,
    TextField,
    Theme,
    draw_panel,
    draw_text,
)


def keydown(key, mod=0, unicode=""):
    return pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=unicode)


def typed(text):
    return pygame.event.Event(pygame.TEXTINPUT, text=text)


def mouse_down(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)


def mouse_up(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)


def mouse_move(pos):
    return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))


def send(menu, *events):
    """Feed events as the app does; mouse events carry their (already logical) position."""
    return [menu.handle_event(e, getattr(e, "pos", None)) for e in events]


def click(menu, pos):
    return send(menu, mouse_down(pos), mouse_up(pos))


class Counter:
    def __init__(self):
        self.calls = []

    def __call__(self, *args):
        self.calls.append(args)

    @property
    def count(self):
        return len(self.calls)


def column(n, *, top=100):
    """n buttons stacked vertically, 200x40 each, 10 px apart."""
    return [Button(f"b{i}", Counter(), (100, top + i * 50, 200, 40)) for i in range(n)]


# -- focus -----------------------------------------------------------------------------------


def test_focus_starts_on_the_first_focusable_widget_and_skips_labels():
    title = Label("Title", (200, 40), 48)
    buttons = column(2)
    menu = Menu([title, *buttons])
    assert menu.focused is buttons[0]
    assert buttons[0].focused and not buttons[1].focused
    assert not title.focusable


def test_down_and_up_move_focus_and_wrap():
    buttons = column(3)
    menu = Menu(buttons)
    assert send(menu, keydown(pygame.K_DOWN)) == [True]
    assert menu.focused is buttons[1]
    send(menu, keydown(pygame.K_DOWN), keydown(pygame.K_DOWN))
    assert menu.focused is buttons[0]  # wrapped past the end
    send(menu, keydown(pygame.K_UP))
    assert menu.focused is buttons[2]  # wrapped past the start
    assert [b.focused for b in buttons] == [False, False, True]


def test_tab_moves_forward_and_shift_tab_back():
    buttons = column(3)
    menu = Menu(buttons)
    send(menu, keydown(pygame.K_TAB))
    assert menu.focused is buttons[1]
    send(menu, keydown(pygame.K_TAB, mod=pygame.KMOD_LSHIFT))
    send(menu, keydown(pygame.K_TAB, mod=pygame.KMOD_LSHIFT))
    assert menu.focused is buttons[2]


def test_navigation_skips_disabled_widgets():
    buttons = column(4)
    buttons[1].enabled = False
    buttons[2].enabled = False
    menu = Menu(buttons)
    send(menu, keydown(pygame.K_DOWN))
    assert menu.focused is buttons[3]
    send(menu, keydown(pygame.K_UP))
    assert menu.focused is buttons[0]
    assert menu.widget_at(buttons[1].rect.center) is None
    with pytest.raises(ValueError):
        menu.focus(buttons[1])


def test_mouse_motion_over_a_widget_focuses_it():
    buttons = column(3)
    menu = Menu(buttons)
    send(menu, mouse_move(buttons[2].rect.center))
    assert menu.focused is buttons[2]
    assert send(menu, mouse_move((5, 5))) == [False]  # over nothing: focus stays
    assert menu.focused is buttons[2]
    assert menu.handle_event(mouse_move((5, 5)), None) is False  # in the letterbox bars


def test_unhandled_keys_are_left_to_the_caller():
    menu = Menu(column(2))
    assert send(menu, keydown(pygame.K_ESCAPE)) == [False]
    assert Menu([]).handle_event(keydown(pygame.K_DOWN)) is False  # nothing to move to
    assert Menu([Label("x", (0, 0))]).handle_event(keydown(pygame.K_UP)) is False


# -- buttons ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE])
def test_enter_and_space_activate_the_focused_button(key):
    buttons = column(2)
    menu = Menu(buttons)
    send(menu, keydown(pygame.K_DOWN))
    assert send(menu, keydown(key)) == [True]
    assert buttons[1].on_click.count == 1
    assert buttons[0].on_click.count == 0


def test_a_click_inside_a_button_activates_it():
    buttons = column(3)
    menu = Menu(buttons)
    assert click(menu, (150, 215)) == [True, True]  # inside the third button
    assert [b.on_click.count for b in buttons] == [0, 0, 1]
    assert menu.focused is buttons[2]


def test_a_press_released_outside_or_a_right_click_does_not_activate():
    button = Button("go", Counter(), (100, 100, 200, 40))
    menu = Menu([button])
    send(menu, mouse_down((150, 120)), mouse_move((500, 500)), mouse_up((500, 500)))
    send(menu, mouse_down((150, 120), button=3), mouse_up((150, 120), button=3))
    send(menu, mouse_down((500, 500)), mouse_up((150, 120)))  # pressed elsewhere
    assert button.on_click.count == 0


def test_a_disabled_button_does_nothing():
    button = Button("go", Counter(), (100, 100, 200, 40))
    button.focused = True
    button.enabled = False
    assert not button.handle_event(keydown(pygame.K_RETURN))
    assert not button.handle_event(mouse_down((150, 120)), (150, 120))
    assert button.on_click.count == 0


# -- text fields -----------------------------------------------------------------------------


def test_typing_backspace_and_caret_keys_edit_the_text():
    changes = Counter()
    field = TextField((100, 100, 300, 40), "ab", on_change=changes)
    menu = Menu([field])
    send(menu, typed("cd"))
    assert field.text == "abcd" and field.caret == 4
    send(menu, keydown(pygame.K_BACKSPACE))
    assert field.text == "abc"
    send(menu, keydown(pygame.K_LEFT), keydown(pygame.K_LEFT), typed("X"))
    assert field.text == "aXbc" and field.caret == 2
    send(menu, keydown(pygame.K_HOME), keydown(pygame.K_DELETE))
    assert field.text == "Xbc" and field.caret == 0
    send(menu, keydown(pygame.K_BACKSPACE))  # nothing before the caret
    assert field.text == "Xbc"
    send(menu, keydown(pygame.K_END), typed("!"))
    assert field.text == "Xbc!"
    assert changes.calls[-1] == ("Xbc!",)


def test_max_length_and_the_allowed_filter_limit_what_is_typed():
    field = TextField((0, 0, 300, 40), max_length=5, allowed=str.isdigit)
    menu = Menu([field])
    send(menu, typed("12a3"), typed("4567"))
    assert field.text == "12345"
    assert TextField((0, 0, 10, 10), "toolong", max_length=3).text == "too"


def test_max_bytes_limits_the_utf8_size_of_what_is_typed():
    """A name is sent and saved as at most N bytes of UTF-8: the field holds no more."""
    field = TextField((0, 0, 300, 40), max_bytes=8)
    menu = Menu([field])
    send(menu, typed("é" * 10))  # two bytes each
    assert field.text == "é" * 4
    field.set_text("abcdefgé")  # 9 bytes: the last character does not fit
    assert field.text == "abcdefg"
    send(menu, keydown(pygame.K_HOME), typed("xé"))  # at the caret: what fits, in order
    assert field.text == "xabcdefg"
    assert TextField((0, 0, 10, 10), "aé" * 5, max_bytes=5).text == "aéa"


def test_enter_submits_the_text():
    submitted = Counter()
    field = TextField((0, 0, 300, 40), "host", on_submit=submitted)
    menu = Menu([field])
    assert send(menu, keydown(pygame.K_RETURN)) == [True]
    assert send(menu, keydown(pygame.K_KP_ENTER)) == [True]
    assert submitted.calls == [("host",), ("host",)]


def test_a_text_field_keeps_printable_keys_but_lets_arrows_navigate():
    field = TextField((0, 0, 300, 40))
    button = Button("ok", Counter(), (0, 50, 300, 40))
    menu = Menu([field, button])
    # A typed letter's KEYDOWN is swallowed (its TEXTINPUT does the typing), so hotkeys stay quiet.
    assert send(menu, keydown(pygame.K_p, unicode="p")) == [True]
    assert send(menu, keydown(pygame.K_SPACE, unicode=" ")) == [True]
    assert button.on_click.count == 0 and field.text == ""
    assert send(menu, keydown(pygame.K_ESCAPE, unicode="\x1b")) == [False]
    send(menu, keydown(pygame.K_DOWN))
    assert menu.focused is button
    send(menu, typed("zz"))  # no longer focused: ignored
    assert field.text == ""


def test_the_caret_blinks_with_update():
    field = TextField((0, 0, 300, 40))
    Menu([field])
    assert field.caret_visible
    field.update(0.6)
    assert not field.caret_visible
    field.update(0.5)
    assert field.caret_visible
    field.insert("a")  # typing shows it at once
    assert field.caret_visible


def test_clicking_in_a_text_field_focuses_it_and_moves_the_caret():
    button = Button("ok", Counter(), (0, 0, 300, 40))
    field = TextField((0, 50, 300, 40), "abcdef")
    menu = Menu([button, field])
    click(menu, (field.rect.left + 1, field.rect.centery))
    assert menu.focused is field
    assert field.caret == 0


# -- sliders and choices ---------------------------------------------------------------------


def test_slider_keys_step_the_value_within_zero_and_one():
    changes = Counter()
    slider = Slider((0, 0, 300, 40), 0.9, changes, step=0.1)
    menu = Menu([slider])
    send(menu, keydown(pygame.K_RIGHT))
    assert slider.value == pytest.approx(1.0)
    send(menu, keydown(pygame.K_RIGHT))
    assert slider.value == pytest.approx(1.0)
    assert changes.count == 1  # no change past the end, no call
    for _ in range(15):
        send(menu, keydown(pygame.K_LEFT))
    assert slider.value == 0.0
    assert changes.calls[-1] == (0.0,)


def test_slider_clicks_and_drags_set_the_value():
    slider = Slider((100, 100, 400, 40), 0.5, Counter(), step=0.01)
    menu = Menu([Button("x", Counter(), (100, 0, 400, 40)), slider])
    track = slider.track
    click(menu, (track.left + track.width * 0.25, 120))
    assert menu.focused is slider
    assert slider.value == pytest.approx(0.25)
    send(menu, mouse_down((track.right - 1, 120)))
    assert slider.value == pytest.approx(1.0, abs=0.01)
    send(menu, mouse_move((track.left - 300, 10)))  # dragged far outside: clamped
    assert slider.value == 0.0
    send(menu, mouse_up((track.left - 300, 10)), mouse_move((track.right, 120)))
    assert slider.value == 0.0  # released: no longer dragging


def test_slider_values_are_clamped_at_construction():
    assert Slider((0, 0, 100, 20), 7.0, None).value == 1.0
    assert Slider((0, 0, 100, 20), -1.0, None).value == 0.0


def test_choice_cycles_with_left_and_right():
    changes = Counter()
    choice = Choice((0, 0, 300, 40), ["low", "mid", "high"], 0, changes)
    menu = Menu([choice])
    send(menu, keydown(pygame.K_LEFT))
    assert choice.value == "high"
    send(menu, keydown(pygame.K_RIGHT), keydown(pygame.K_RIGHT))
    assert choice.index == 1
    assert changes.calls == [(2,), (0,), (1,)]
    click(menu, (290, 20))  # right part: forward
    assert choice.value == "high"
    click(menu, (5, 20))  # left third: back
    assert choice.value == "mid"


# -- key capture -----------------------------------------------------------------------------


def test_key_capture_takes_the_next_key_even_navigation_keys():
    captured = Counter()
    capture = KeyCapture((0, 0, 300, 40), "Fire", "space", captured)
    other = Button("b", Counter(), (0, 50, 300, 40))
    menu = Menu([capture, other])
    send(menu, keydown(pygame.K_RETURN))
    assert capture.listening and capture.capturing
    send(menu, typed(" "))  # the echo of a press must not leak anywhere
    assert send(menu, keydown(pygame.K_DOWN)) == [True]
    assert captured.calls == [(pygame.K_DOWN,)]
    assert capture.key_name == "down"
    assert menu.focused is capture  # the arrow was captured, not used to navigate
    assert not capture.listening


def test_escape_cancels_a_key_capture():
    captured = Counter()
    capture = KeyCapture((0, 0, 300, 40), "Fire", pygame.K_f, captured)
    menu = Menu([capture])
    assert capture.key_name == "f"
    click(menu, (10, 10))
    assert capture.listening
    assert send(menu, keydown(pygame.K_ESCAPE)) == [True]  # the screen does not go back
    assert not capture.listening
    assert captured.count == 0 and capture.key_name == "f"


def test_a_listening_key_capture_keeps_focus_and_a_click_cancels_it():
    capture = KeyCapture((0, 0, 300, 40), "Fire", "space", Counter())
    other = Button("b", Counter(), (0, 50, 300, 40))
    menu = Menu([capture, other])
    send(menu, keydown(pygame.K_SPACE))
    send(menu, mouse_move(other.rect.center))
    assert menu.focused is capture
    click(menu, other.rect.center)
    assert not capture.listening and other.on_click.count == 0
    send(menu, mouse_move(other.rect.center))
    assert menu.focused is other


# -- drawing ---------------------------------------------------------------------------------


def colour_at(surface, pos):
    return tuple(surface.get_at(pos))[:3]


def test_a_focused_button_draws_its_accent_where_an_unfocused_one_does_not():
    theme = Theme()
    plain, lit = pygame.Surface((300, 100)), pygame.Surface((300, 100))
    rect = pygame.Rect(20, 20, 240, 50)
    button = Button("Play", Counter(), rect)
    button.draw(plain, theme)
    button.focused = True
    button.draw(lit, theme)
    edge = (rect.left + 1, rect.centery)  # on the outline
    assert colour_at(lit, edge) == theme.accent
    assert colour_at(plain, edge) != theme.accent
    assert colour_at(plain, edge) == theme.panel_border
    inside = (rect.left + 40, rect.top + 6)  # the fill, clear of text and markers
    assert colour_at(lit, inside) == theme.focus
    assert colour_at(plain, inside) == theme.panel


def test_a_button_image_replaces_the_panel():
    image = pygame.Surface((10, 10))
    image.fill((0, 200, 0))
    hover = pygame.Surface((10, 10))
    hover.fill((200, 0, 200))
    button = Button("", Counter(), (0, 0, 40, 20), image=image, hover_image=hover)
    surface = pygame.Surface((50, 30))
    button.draw(surface, Theme())
    assert colour_at(surface, (20, 10)) == (0, 200, 0)
    button.focused = True
    button.draw(surface, Theme())
    assert colour_at(surface, (20, 10)) == (200, 0, 200)


def test_draw_text_places_by_anchor_and_casts_a_shadow():
    surface = pygame.Surface((200, 100))
    surface.fill((40, 60, 120))
    rect = draw_text(surface, "Hi", (10, 20), 40, (255, 255, 255), anchor="topleft")
    assert rect.topleft == (10, 20) and rect.width > 0
    lit = {colour_at(surface, (x, y)) for x in range(rect.left, rect.right) for y in range(100)}
    assert (255, 255, 255) in lit
    assert any(c[2] < 120 for c in lit)  # darker than the background: the shadow
    centred = draw_text(surface, "Hi", (100, 50), 40, (255, 255, 255), shadow=False)
    assert centred.center == (100, 50)
    with pytest.raises(ValueError):
        draw_text(surface, "Hi", (0, 0), 20, (0, 0, 0), anchor="middle")


def test_a_whole_menu_draws_and_updates():
    theme = Theme()
    surface = pygame.Surface((640, 480))
    panel = pygame.Rect(100, 20, 440, 440)
    draw_panel(surface, panel, theme)
    assert colour_at(surface, panel.center) == theme.panel
    field = TextField((120, 140, 400, 40), "", placeholder="name")
    widgets = [
        Label("Options", (320, 60), 48, theme.accent),
        Button("Back", Counter(), (120, 90, 400, 40)),
        field,
        Slider((120, 190, 400, 40), 0.3, Counter(), label="Music"),
        Choice((120, 240, 400, 40), ["a", "b"], 1, Counter(), label="Mode"),
        KeyCapture((120, 290, 400, 40), "Fire", "space", Counter()),
    ]
    menu = Menu(widgets, theme)
    for _ in range(len(widgets)):
        menu.update(0.1)
        menu.draw(surface)
        send(menu, keydown(pygame.K_DOWN))
    menu.focus(field)
    send(menu, typed("a very long pilot name!!"))
    menu.draw(surface)
    assert widgets[0].rect.center == (320, 60) and widgets[0].rect.width > 0
