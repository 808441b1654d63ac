"""Shared test setup: SDL runs headless (dummy video and audio drivers) in every test."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "process: starts a child Python process (left out of mutation runs: "
        "a mutant's child boots too slowly to be judged fairly)",
    )
