"""Audio: plays through the dummy driver, and degrades to a silent no-op without a device."""

import logging
import wave

import pygame
import pytest

from engine.client.audio import Audio


def write_wav(path, seconds=0.1):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(b"\0\0" * int(22050 * seconds))
    return path


@pytest.fixture
def audio():
    pygame.mixer.quit()  # start from no mixer, whatever earlier tests (the app's) left running
    made = Audio()
    if not made.available:
        made.close()
        pytest.skip("SDL's dummy audio driver could not open a mixer on this machine")
    yield made
    made.close()


@pytest.fixture
def no_device(monkeypatch):
    pygame.mixer.quit()

    def refuse(*args, **kwargs):
        raise pygame.error("No available audio device")

    monkeypatch.setattr(pygame.mixer, "init", refuse)


def test_dummy_driver_initialises_the_mixer(audio):
    assert audio.available
    assert pygame.mixer.get_init() is not None


def test_close_releases_the_mixer_it_opened(audio):
    audio.close()
    assert not audio.available
    assert pygame.mixer.get_init() is None
    audio.close()  # twice is harmless


def test_play_records_loaded_sounds_only(audio, tmp_path):
    assert audio.load("shot", write_wav(tmp_path / "shot.wav"))
    audio.play("shot")
    audio.play("nonexistent")  # ignored, not an error
    audio.play("shot", volume=0.5)
    assert list(audio.played) == ["shot", "shot"]


def test_played_is_bounded(tmp_path):
    audio = Audio(history=3)
    if not audio.available:
        pytest.skip("SDL's dummy audio driver could not open a mixer on this machine")
    try:
        audio.load("shot", write_wav(tmp_path / "shot.wav"))
        for _ in range(10):
            audio.play("shot")
        assert len(audio.played) == 3
    finally:
        audio.close()


def test_missing_and_corrupt_sound_files_are_skipped(audio, tmp_path, caplog):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"not a wave file" * 10)
    with caplog.at_level(logging.WARNING, logger="engine.client.audio"):
        assert audio.load("missing", tmp_path / "missing.wav") is False
        assert audio.load("corrupt", corrupt) is False
    assert len(caplog.records) == 2
    assert "missing" in caplog.records[0].getMessage()
    audio.play("missing")
    audio.play("corrupt")
    assert list(audio.played) == []


def test_music_plays_and_stops(audio, tmp_path):
    assert audio.play_music(write_wav(tmp_path / "theme.wav", seconds=1.0), fade_ms=0)
    assert pygame.mixer.music.get_busy()
    audio.stop_music(fade_ms=0)
    assert not pygame.mixer.music.get_busy()
    audio.stop_music()


def test_unplayable_music_is_skipped(audio, tmp_path):
    assert audio.play_music(tmp_path / "missing.ogg") is False


def test_volumes_clamp(audio):
    assert (audio.music_volume, audio.sound_volume) == (0.6, 0.8)
    audio.set_volumes(music=1.5, sound=-0.2)
    assert (audio.music_volume, audio.sound_volume) == (1.0, 0.0)
    audio.set_volumes(music=0.25)
    assert (audio.music_volume, audio.sound_volume) == (0.25, 0.0)
    assert pygame.mixer.music.get_volume() == pytest.approx(0.25, abs=0.01)
    assert Audio(enabled=False, music_volume=7, sound_volume=float("nan")).music_volume == 1.0


def test_mute_silences_music_and_restores_it(audio, tmp_path):
    audio.load("shot", write_wav(tmp_path / "shot.wav"))
    audio.set_volumes(music=0.5)
    audio.mute(True)
    assert audio.muted
    assert pygame.mixer.music.get_volume() == 0.0
    audio.play("shot")  # still recorded: the game did trigger it
    assert list(audio.played) == ["shot"]
    audio.mute(False)
    assert not audio.muted
    assert pygame.mixer.music.get_volume() == pytest.approx(0.5, abs=0.01)


def test_no_device_makes_every_method_a_no_op(no_device, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="engine.client.audio"):
        audio = Audio()
    assert audio.available is False
    assert [r.getMessage() for r in caplog.records] == [
        "no audio (No available audio device); playing without sound"
    ]
    assert audio.load("shot", write_wav(tmp_path / "shot.wav")) is False
    audio.play("shot")
    assert audio.play_music(tmp_path / "shot.wav") is False
    audio.stop_music()
    audio.set_volumes(music=2, sound=0.5)
    assert (audio.music_volume, audio.sound_volume) == (1.0, 0.5)  # kept for the UI
    audio.mute(True)
    assert audio.muted
    audio.close()
    assert list(audio.played) == []
    assert pygame.mixer.get_init() is None


def test_disabled_audio_never_touches_the_mixer(no_device, caplog):
    with caplog.at_level(logging.WARNING, logger="engine.client.audio"):
        audio = Audio(enabled=False)
    assert audio.available is False
    assert caplog.records == []  # the player chose silence: nothing to warn about
    audio.play("anything")
    audio.close()
