"""States: a stack of screens (title, menu, play, pause) that take turns.

Only the top state receives input. Updating walks down from the top while
states let the ones below keep running (`blocks_update = False`, e.g. a pause
overlay in a networked game whose world cannot stop); drawing starts at the
lowest state that shows through (`transparent`) and paints upwards.

Changes asked for while the stack is dispatching (a menu button pushing the
next screen) are queued and applied when that dispatch returns, so the stack is
never changed under a loop that walks it. Outside a dispatch they apply at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pygame

log = logging.getLogger(__name__)


class State:
    """One screen of the app. Override the hooks you need; all default to doing nothing."""

    transparent: bool = False  # the state below is drawn first (overlays)
    blocks_update: bool = True  # states below do not update while this one is above them
    stack: StateStack | None = None  # set by the stack while the state is on it

    @property
    def context(self) -> Any:
        """The app-wide object the stack was built with (display, settings, audio...)."""
        if self.stack is None:
            raise RuntimeError(f"{type(self).__name__} is not on a stack")
        return self.stack.context

    def enter(self) -> None:
        """Called when the state is placed on the stack."""

    def exit(self) -> None:
        """Called when the state is removed from the stack."""

    def handle_event(self, event: pygame.event.Event) -> None:
        """Input, only while this state is the top."""

    def update(self, dt: float) -> None:
        """Advance by dt seconds."""

    def draw(self, surface: pygame.Surface) -> None:
        """Paint onto the logical surface."""


class StateStack:
    """States bottom to top; the app runs while it is not empty."""

    def __init__(self, context: Any = None) -> None:
        self.context = context
        self._states: list[State] = []
        self._queue: list[Callable[[], None]] = []
        self._dispatching = 0  # depth of handle_event/update calls in progress

    # -- inspection ------------------------------------------------------------------------

    @property
    def states(self) -> tuple[State, ...]:
        """Bottom to top."""
        return tuple(self._states)

    @property
    def top(self) -> State | None:
        return self._states[-1] if self._states else None

    @property
    def empty(self) -> bool:
        return not self._states

    def __len__(self) -> int:
        return len(self._states)

    def __contains__(self, state: object) -> bool:
        return state in self._states

    # -- changes ---------------------------------------------------------------------------

    def push(self, state: State) -> None:
        self._request(lambda: self._push(state))

    def pop(self) -> None:
        """Remove the top state. Popping an empty stack is harmless."""
        self._request(self._pop)

    def replace(self, state: State) -> None:
        """Pop the top state (if any) and push this one."""

        def apply() -> None:
            self._pop()
            self._push(state)

        self._request(apply)

    def clear(self, state: State | None = None) -> None:
        """Pop every state, top first, then push `state` if given."""

        def apply() -> None:
            while self._states:
                self._pop()
            if state is not None:
                self._push(state)

        self._request(apply)

    def _request(self, change: Callable[[], None]) -> None:
        self._queue.append(change)
        if not self._dispatching:
            self._apply_pending()

    def _apply_pending(self) -> None:
        # Changes may request more changes from enter()/exit(); those queue behind.
        with self._dispatch(apply=False):
            while self._queue:
                self._queue.pop(0)()

    @contextmanager
    def _dispatch(self, *, apply: bool = True) -> Iterator[None]:
        """Queue changes while the body runs; apply them when the outermost one ends."""
        self._dispatching += 1
        try:
            yield
        finally:
            self._dispatching -= 1
        if apply and not self._dispatching and self._queue:
            self._apply_pending()

    def _push(self, state: State) -> None:
        if state in self._states:
            raise ValueError(f"{type(state).__name__} is already on the stack")
        state.stack = self
        self._states.append(state)
        log.debug("enter %s", type(state).__name__)
        state.enter()

    def _pop(self) -> None:
        if not self._states:
            return
        state = self._states[-1]
        log.debug("exit %s", type(state).__name__)
        try:
            state.exit()
        finally:
            self._states.pop()
            state.stack = None

    # -- dispatch --------------------------------------------------------------------------

    def handle_event(self, event: pygame.event.Event) -> None:
        """Give the event to the top state only."""
        top = self.top
        if top is None:
            return
        with self._dispatch():
            top.handle_event(event)

    def update(self, dt: float) -> None:
        """Update the top state, then those below it until one blocks."""
        with self._dispatch():
            for state in reversed(self._updating()):
                state.update(dt)

    def _updating(self) -> list[State]:
        """The states that update this frame, bottom to top."""
        start = len(self._states) - 1
        while start > 0 and not self._states[start].blocks_update:
            start -= 1
        return self._states[max(start, 0) :]

    def draw(self, surface: pygame.Surface) -> None:
        """Draw from the lowest state that shows through up to the top."""
        start = len(self._states) - 1
        while start > 0 and self._states[start].transparent:
            start -= 1
        with self._dispatch():
            for state in self._states[max(start, 0) :]:
                state.draw(surface)
