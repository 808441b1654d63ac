"""The display: logical surface, letterboxed scaling, window-to-logical mapping, screenshots."""

import pygame
import pytest

from engine.client.display import Display, fit

RED = (220, 30, 40)
BLUE = (20, 40, 200)
WHITE = (255, 255, 255)


@pytest.fixture
def make_display():
    made = []

    def make(*args, **kwargs):
        display = Display(*args, **kwargs)
        made.append(display)
        return display

    yield make
    for display in made:
        display.close()


def window_pixel(x, y):
    return tuple(pygame.display.get_surface().get_at((x, y)))[:3]


def resize_event(w, h):
    return pygame.event.Event(pygame.VIDEORESIZE, size=(w, h), w=w, h=h)


def test_the_logical_surface_has_the_logical_size_and_the_window_defaults_to_it(make_display):
    display = make_display((320, 240), title="test")
    assert display.surface.get_size() == (320, 240)
    assert pygame.display.get_surface().get_size() == (320, 240)
    assert display.window_size == (320, 240)
    assert display.scale == 1


def test_a_double_size_window_maps_window_pixels_to_half(make_display):
    display = make_display((1024, 768), window_size=(2048, 1536))
    assert display.scale == 2
    assert display.to_logical((1024, 768)) == (512, 384)
    assert display.to_logical((0, 0)) == (0, 0)
    assert display.to_window((512, 384)) == (1024, 768)


def test_a_wider_window_gets_bars_left_and_right(make_display):
    display = make_display((1024, 768), window_size=(1600, 900))
    view = display.viewport
    assert (view.x, view.y, view.width, view.height) == (200, 0, 1200, 900)
    assert display.to_logical((100, 450)) is None  # left bar
    assert display.to_logical((1500, 450)) is None  # right bar
    assert display.to_logical((200, 0)) == (0, 0)
    assert display.to_logical((800, 450)) == pytest.approx((512, 384))


def test_present_scales_the_logical_surface_into_the_window(make_display):
    display = make_display((1024, 768), window_size=(2048, 1536))
    display.surface.fill(BLUE)
    pygame.draw.rect(display.surface, RED, (100, 100, 50, 50))
    display.present()
    assert window_pixel(250, 250) == RED  # logical (125, 125), scaled by two
    assert window_pixel(150, 150) == BLUE  # logical (75, 75)
    assert window_pixel(2000, 1500) == BLUE


def test_present_paints_the_letterbox_bars_black(make_display):
    display = make_display((1024, 768), window_size=(1600, 900))
    display.surface.fill(WHITE)
    pygame.draw.rect(display.surface, RED, (0, 0, 10, 10))
    display.present()
    assert window_pixel(100, 450) == (0, 0, 0)
    assert window_pixel(1500, 450) == (0, 0, 0)
    assert window_pixel(800, 450) == WHITE
    assert window_pixel(203, 3) == RED  # the logical top-left, just right of the bar


def test_present_at_scale_one_is_a_plain_copy(make_display):
    display = make_display((64, 48))
    display.surface.fill(BLUE)
    display.surface.set_at((10, 20), RED)
    display.present()
    assert window_pixel(10, 20) == RED
    assert window_pixel(11, 20) == BLUE


def test_resize_events_recompute_the_mapping(make_display):
    display = make_display((1024, 768), window_size=(1024, 768))
    assert display.handle_event(resize_event(800, 800)) is True
    assert display.window_size == (800, 800)
    view = display.viewport
    assert (view.x, view.y, view.width, view.height) == (0, 100, 800, 600)
    assert display.to_logical((400, 50)) is None  # top bar
    assert display.to_logical((400, 400)) == pytest.approx((512, 384))
    size_changed = pygame.event.Event(pygame.WINDOWSIZECHANGED, x=2048, y=1536)
    assert display.handle_event(size_changed) is True
    assert display.to_logical((1024, 768)) == (512, 384)
    key = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_a, mod=0, unicode="a")
    assert display.handle_event(key) is False


def test_present_follows_the_real_window_size(make_display):
    display = make_display((100, 100), window_size=(200, 200))
    display.handle_event(resize_event(500, 100))  # told a size the window does not have
    display.surface.fill(RED)
    display.present()
    assert display.window_size == (200, 200)
    assert window_pixel(100, 100) == RED


def test_fit_keeps_the_aspect_ratio_and_centres():
    view = fit((100, 50), (300, 300))
    assert (view.x, view.y, view.width, view.height) == (0, 75, 300, 150)
    assert view.rect == pygame.Rect(0, 75, 300, 150)


def test_toggle_fullscreen_and_back_restores_the_window(make_display):
    display = make_display((320, 240), window_size=(640, 480))
    display.toggle_fullscreen()
    assert display.fullscreen
    desktop = pygame.display.get_desktop_sizes()[0]
    assert display.window_size == desktop
    display.toggle_fullscreen()
    assert not display.fullscreen
    assert display.window_size == (640, 480)


def test_opening_fullscreen_uses_the_desktop_size(make_display):
    display = make_display((320, 240), fullscreen=True)
    assert display.fullscreen
    assert display.window_size == pygame.display.get_desktop_sizes()[0]
    display.surface.fill(RED)
    display.present()


@pytest.mark.filterwarnings("ignore:no fast renderer")  # the dummy driver has none
def test_an_icon_and_vsync_request_do_not_break_opening(make_display):
    icon = pygame.Surface((32, 32))
    icon.fill(RED)
    display = make_display((64, 48), icon=icon, vsync=True)
    display.present()


def test_screenshot_writes_a_png_of_the_logical_surface(make_display, tmp_path):
    display = make_display((320, 200), window_size=(960, 600))
    display.surface.fill(BLUE)
    display.surface.set_at((5, 6), RED)
    path = display.screenshot(tmp_path / "shots" / "one.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = pygame.image.load(str(path))
    assert image.get_size() == (320, 200)
    assert tuple(image.get_at((5, 6)))[:3] == RED


def test_close_is_idempotent(make_display):
    display = make_display((64, 48))
    display.close()
    display.close()
    assert display.closed
    assert not pygame.display.get_init()
