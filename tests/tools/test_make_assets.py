"""Tests for the procedural asset generator, tools/make_assets.py."""

import hashlib
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pygame
import pytest

from tools import make_assets

ROOT = Path(__file__).resolve().parents[2]

SPRITE_SIZES = {
    "eagle.png": (192, 64),
    "eagle_p2.png": (192, 64),
    "raptor.png": (192, 64),
    "avenger.png": (240, 80),
    "bullet_allied.png": (8, 16),
    "bullet_enemy.png": (8, 16),
    "missile.png": (12, 32),
    "pickup_health.png": (32, 32),
    "pickup_missiles.png": (32, 32),
    "pickup_spread.png": (32, 32),
    "pickup_firerate.png": (32, 32),
    "explosion.png": (1024, 64),
    "particle_smoke.png": (16, 16),
    "particle_fire.png": (8, 8),
    "background.png": (256, 256),
    "island.png": (256, 256),
    "shallows.png": (256, 256),
    "shore.png": (288, 512),
    "rocks.png": (128, 128),
    "night_sea.png": (256, 256),
    "storm_cloud.png": (384, 240),
    "finish_line.png": (1024, 32),
    "title.png": (1024, 768),
    "icon.png": (32, 32),
    "ui_button.png": (320, 56),
    "ui_button_hover.png": (320, 56),
}

# Expected length in seconds (min, max) of every sound.
SOUND_LENGTHS = {
    "gunfire_allied.wav": (0.08, 0.2),
    "gunfire_enemy.wav": (0.1, 0.25),
    "explosion1.wav": (0.7, 1.1),
    "explosion2.wav": (1.0, 1.4),
    "missile_launch.wav": (0.5, 0.9),
    "pickup.wav": (0.2, 0.4),
    "button.wav": (0.04, 0.12),
    "music_menu.wav": (16.0, 24.0),
    "music_mission.wav": (16.0, 24.0),
}

# Sprites are expected to have many distinct RGBA values; these few are simple by design.
MIN_COLOURS = {"finish_line.png": 2, "particle_fire.png": 6}
OPAQUE_SPRITES = {"background.png", "shallows.png", "night_sea.png", "title.png"}
AIRCRAFT = {"eagle.png": 64, "eagle_p2.png": 64, "raptor.png": 64, "avenger.png": 80}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_samples(path: Path) -> tuple[wave.Wave_read, array]:
    with wave.open(str(path), "rb") as wav:
        samples = array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return wav, samples


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("assets")
    return out, make_assets.generate(out)


def sprite(generated: tuple[Path, list[Path]], name: str) -> pygame.Surface:
    return pygame.image.load(str(generated[0] / "sprites" / name))


def test_every_expected_file_is_written(generated):
    out, paths = generated
    expected = {Path("sprites") / n for n in SPRITE_SIZES} | {
        Path("sounds") / n for n in SOUND_LENGTHS
    }
    assert {p.relative_to(out) for p in paths} == expected
    for path in paths:
        assert path.is_file() and path.stat().st_size > 0, path


@pytest.mark.parametrize("name", sorted(SPRITE_SIZES))
def test_sprite_size(generated, name):
    assert sprite(generated, name).get_size() == SPRITE_SIZES[name]


@pytest.mark.parametrize("name", sorted(SPRITE_SIZES))
def test_sprite_is_not_flat(generated, name):
    data = pygame.image.tobytes(sprite(generated, name), "RGBA")
    colours = {data[i : i + 4] for i in range(0, len(data), 4)}
    assert len(colours) >= MIN_COLOURS.get(name, 32)


EDGE_TO_EDGE = {"finish_line.png", "shore.png"}  # reach their edges (shore: its left side)


@pytest.mark.parametrize("name", sorted(set(SPRITE_SIZES) - OPAQUE_SPRITES - EDGE_TO_EDGE))
def test_sprite_has_transparent_corners(generated, name):
    img = sprite(generated, name)
    w, h = img.get_size()
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        assert img.get_at(corner).a == 0, corner


@pytest.mark.parametrize("name", sorted(AIRCRAFT))
def test_aircraft_frames_are_opaque_in_the_middle_and_differ(generated, name):
    img = sprite(generated, name)
    size = AIRCRAFT[name]
    frames = [img.subsurface((i * size, 0, size, size)) for i in range(3)]
    for frame in frames:
        assert frame.get_at((size // 2, size // 2)).a == 255
    left, level, right = (pygame.image.tobytes(f, "RGBA") for f in frames)
    assert left != level and right != level and left != right


def test_the_shore_is_land_on_the_left_and_clear_water_on_the_right(generated):
    img = sprite(generated, "shore.png")
    w, h = img.get_size()
    assert all(img.get_at((0, y)).a == 255 for y in range(h))
    assert all(img.get_at((w - 1, y)).a == 0 for y in range(h))


@pytest.mark.parametrize("name", ["background.png", "shallows.png", "night_sea.png", "shore.png"])
def test_background_tiles_seamlessly(generated, name):
    img = sprite(generated, name)
    w, h = img.get_size()

    def row_diff(y0: int, y1: int) -> float:
        return (
            sum(
                abs(a - b)
                for x in range(w)
                for a, b in zip(img.get_at((x, y0))[:3], img.get_at((x, y1))[:3], strict=True)
            )
            / w
        )

    def col_diff(x0: int, x1: int) -> float:
        return (
            sum(
                abs(a - b)
                for y in range(h)
                for a, b in zip(img.get_at((x0, y))[:3], img.get_at((x1, y))[:3], strict=True)
            )
            / h
        )

    typical_rows = sum(row_diff(y, y + 1) for y in range(0, h - 1, 16)) / len(range(0, h - 1, 16))
    typical_cols = sum(col_diff(x, x + 1) for x in range(0, w - 1, 16)) / len(range(0, w - 1, 16))
    assert row_diff(h - 1, 0) < 2.5 * typical_rows
    if name != "shore.png":  # the shore tiles down the left side only
        assert col_diff(w - 1, 0) < 2.5 * typical_cols


@pytest.mark.parametrize("name", sorted(SOUND_LENGTHS))
def test_sound_format_and_content(generated, name):
    wav, samples = read_samples(generated[0] / "sounds" / name)
    assert wav.getnchannels() == 1
    assert wav.getsampwidth() == 2
    assert wav.getframerate() == 22050
    low, high = SOUND_LENGTHS[name]
    assert low <= len(samples) / 22050 <= high
    assert max(abs(s) for s in samples) > 8000


def test_music_fits_size_budget(generated):
    for name in ("music_menu.wav", "music_mission.wav"):
        assert (generated[0] / "sounds" / name).stat().st_size <= 1_100_000


def test_generation_is_deterministic(generated, tmp_path):
    first_dir, first = generated
    second = make_assets.generate(tmp_path)
    assert [p.relative_to(tmp_path) for p in second] == [p.relative_to(first_dir) for p in first]
    for a, b in zip(first, second, strict=True):
        assert sha256(a) == sha256(b), a.name


def test_generate_one_rejects_unknown_names(tmp_path):
    with pytest.raises(KeyError):
        make_assets.generate_one("nope.png", tmp_path)


@pytest.mark.process
def test_command_line_help():
    result = subprocess.run(
        [sys.executable, "-m", "tools.make_assets", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "--out" in result.stdout


def test_every_mission_look_is_drawn_by_the_generator():
    """The campaign's missions name sprites make_assets draws (and the renderer's opaque
    set is exactly the opaque backgrounds)."""
    from game.client.render import OPAQUE
    from game.rules.content import load_content

    for spec in load_content().missions.values():
        look = spec.look
        for name in filter(None, (look.background, look.shore, look.scenery)):
            assert f"{name}.png" in make_assets.SPRITES, (spec.name, name)
        assert f"{look.background}.png" in OPAQUE_SPRITES
    assert {f"{name}.png" for name in OPAQUE} == OPAQUE_SPRITES
