"""`python -m game` without pygame-ce (a server-only install): one line and exit 2, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process  # each test starts a child Python

ROOT = Path(__file__).resolve().parents[2]

# Runs `python -m game ARGS` in a process where importing pygame fails as if it were not installed.
WITHOUT_PYGAME = """
import importlib.abc, runpy, sys

class NoPygame(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pygame" or name.startswith("pygame."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPygame())
sys.argv = ["cloudbreak", *sys.argv[1:]]
runpy.run_module("game", run_name="__main__", alter_sys=True)
"""


def run_without_pygame(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PYGAME, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_window_without_pygame_is_one_line_and_exit_2():
    result = run_without_pygame()
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        'cloudbreak: the game window needs pygame-ce: pip install "cloudbreak[client]"'
    ]
    assert result.stdout == ""


def test_help_works_without_pygame():
    result = run_without_pygame("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: cloudbreak")
    assert "--connect HOST:PORT" in result.stdout
