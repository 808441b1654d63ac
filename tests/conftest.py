"""Shared test setup: SDL runs headless (dummy video and audio drivers) in every test."""

import os
import sys

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "process: starts a child Python process (left out of mutation runs: "
        "a mutant's child boots too slowly to be judged fairly)",
    )


def _tolerate_mutmut_call_stack() -> None:
    """Under mutmut's stats run (in-process, every test in one interpreter), its call-depth
    bookkeeping (a ContextVar set and reset around every mutated call) has failed with
    LookupError on reset after hundreds of tests that start and end threads, although each
    set and reset pair; that aborts the run before a single mutant is tried. The depth only
    feeds mutmut's caller tracking, so a reset that finds the variable gone puts back the
    default instead of failing the test."""
    core = sys.modules.get("mutmut.core")
    if core is None:
        return
    stack = core.MutmutCallStack
    reset = stack.reset.__func__

    def tolerant_reset(cls, token):
        try:
            reset(cls, token)
        except (LookupError, ValueError, RuntimeError):
            cls._ctx.set((None, 0))

    stack.reset = classmethod(tolerant_reset)


_tolerate_mutmut_call_stack()
