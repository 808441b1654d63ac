"""Sound effects and music that degrade to silence instead of stopping the game.

A machine without an audio device (a server box, CI, a broken driver) makes
`pygame.mixer.init()` fail; the game must still run, so `Audio` logs one warning
and every method quietly does nothing. Missing or corrupt sound files are
skipped the same way: a bad asset costs a sound, not a crash.

`played` remembers which sounds were triggered, so tests can check that game
events make noise even with SDL's dummy audio driver.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

FREQUENCY = 44100
BUFFER = 512  # samples; small so a shot sounds when it is fired, not a frame later


def _unit(value: float) -> float:
    """Clamp a volume to 0..1 (NaN counts as silence)."""
    value = float(value)
    return 0.0 if math.isnan(value) else min(1.0, max(0.0, value))


class Audio:
    """Named sounds and one music stream, with volumes and mute; silent if no device."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        music_volume: float = 0.6,
        sound_volume: float = 0.8,
        history: int = 256,
    ) -> None:
        self._music_volume = _unit(music_volume)
        self._sound_volume = _unit(sound_volume)
        self._muted = False
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        self._owns_mixer = False
        self.played: deque[str] = deque(maxlen=history)
        self.available = False
        if not enabled:
            return
        try:
            already = pygame.mixer.get_init() is not None  # e.g. by pygame.init()
            if not already:
                pygame.mixer.pre_init(FREQUENCY, -16, 2, BUFFER)
            pygame.mixer.init()
        except (pygame.error, NotImplementedError) as error:  # no device; no SDL_mixer
            log.warning("no audio (%s); playing without sound", error)
            return
        self._owns_mixer = not already
        self.available = True

    # -- sounds -----------------------------------------------------------------------

    def load(self, name: str, path: Path | str) -> bool:
        """Load a sound under `name`; a missing or corrupt file is logged and skipped."""
        if not self.available:
            return False
        try:
            self._sounds[name] = pygame.mixer.Sound(path)
        except (pygame.error, OSError, ValueError) as error:
            log.warning("sound %r not loaded from %s: %s", name, path, error)
            return False
        return True

    def play(self, name: str, volume: float = 1.0) -> None:
        """Play a loaded sound at `volume` times the sound volume; unknown names are ignored."""
        sound = self._sounds.get(name)
        if sound is None:
            return
        self.played.append(name)
        if self._muted:
            return
        channel = sound.play()
        if channel is not None:  # None: every channel busy, the sound is dropped
            channel.set_volume(_unit(volume) * self._sound_volume)

    # -- music ------------------------------------------------------------------------

    def play_music(self, path: Path | str, loops: int = -1, fade_ms: int = 500) -> bool:
        """Start streaming a music file (replacing the current one); False if it failed."""
        if not self.available:
            return False
        try:
            pygame.mixer.music.load(path)
            pygame.mixer.music.set_volume(self._effective_music_volume())
            pygame.mixer.music.play(loops, fade_ms=max(0, fade_ms))
        except (pygame.error, OSError, ValueError) as error:
            log.warning("music not played from %s: %s", path, error)
            return False
        return True

    def stop_music(self, fade_ms: int = 300) -> None:
        if not self.available:
            return
        if fade_ms > 0:
            pygame.mixer.music.fadeout(fade_ms)
        else:
            pygame.mixer.music.stop()

    # -- volumes ----------------------------------------------------------------------

    @property
    def music_volume(self) -> float:
        return self._music_volume

    @property
    def sound_volume(self) -> float:
        return self._sound_volume

    @property
    def muted(self) -> bool:
        return self._muted

    def set_volumes(self, music: float | None = None, sound: float | None = None) -> None:
        """Change either volume (clamped to 0..1); kept even without a device for the UI."""
        if music is not None:
            self._music_volume = _unit(music)
            self._apply_music_volume()
        if sound is not None:
            self._sound_volume = _unit(sound)

    def mute(self, flag: bool = True) -> None:
        """Silence everything (sounds playing now are cut) or restore the volumes."""
        self._muted = bool(flag)
        if self.available and self._muted:
            pygame.mixer.stop()
        self._apply_music_volume()

    def _effective_music_volume(self) -> float:
        return 0.0 if self._muted else self._music_volume

    def _apply_music_volume(self) -> None:
        if self.available:
            pygame.mixer.music.set_volume(self._effective_music_volume())

    # -- lifetime ---------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything and release the mixer if this object started it; idempotent."""
        if not self.available:
            return
        self.available = False
        self._sounds.clear()
        pygame.mixer.music.stop()
        pygame.mixer.stop()
        if self._owns_mixer:
            pygame.mixer.quit()
            self._owns_mixer = False
