"""Shared test setup: headless SDL, and worlds that are always closed (esper contexts are global)."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
