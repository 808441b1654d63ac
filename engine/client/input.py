"""Keyboard input: key bindings to per-seat actions, and the held/pressed state they drive.

Several players can share one keyboard, so every binding belongs to a seat (0, 1, ...).
Action names are strings the game chooses ("fire", "move_left"); the engine only
routes keys to them.

`Bindings` is the mapping a settings screen edits; `InputState` is fed pygame
events once per frame and answers "is this held?" (continuous actions such as
steering) and "how many times was this pressed?" (one-shot actions such as
launching a missile, which must not be lost when a key goes down and up between
two frames).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping

import pygame

Slot = tuple[int, str]  # (seat, action)


def key_code(name: str) -> int:
    """The pygame key code for a key name ("space", "left", "a"); ValueError if unknown.

    Settings are read before the window opens. pygame warns that key names may be
    wrong without a display, but the names used for bindings come from SDL's fixed
    table, so the warning is silenced rather than forcing every caller to init video.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pygame.init\\(\\) has not been called")
        return pygame.key.key_code(name)


def key_name(code: int) -> str:
    """The canonical pygame name of a key code ("" if SDL has no name for it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pygame.init\\(\\) has not been called")
        return pygame.key.name(code)


def _slot(seat: int, action: str) -> str:
    return f"seat {seat} {action}"


class Bindings:
    """Which key each (seat, action) uses; a key may (wrongly) serve several until fixed.

    One key per (seat, action) is the source of truth; the reverse lookup is
    rebuilt on change, so `conflicts()` can report keys bound twice instead of
    silently dropping one binding.
    """

    def __init__(self, keys: Mapping[Slot, int] | None = None) -> None:
        self._keys: dict[Slot, int] = dict(keys or {})
        self._by_key: dict[int, list[Slot]] = {}
        self._reindex()

    @classmethod
    def from_names(cls, names: Mapping[int, Mapping[str, str]]) -> Bindings:
        """Bindings from {seat: {action: key_name}}; ValueError names the bad entry."""
        keys: dict[Slot, int] = {}
        for seat, actions in names.items():
            for action, name in actions.items():
                try:
                    keys[(seat, action)] = key_code(name)
                except ValueError:
                    raise ValueError(f"seat {seat} {action}: unknown key name {name!r}") from None
        return cls(keys)

    def to_names(self) -> dict[int, dict[str, str]]:
        """The inverse of `from_names`, with pygame's canonical key names."""
        names: dict[int, dict[str, str]] = {}
        for (seat, action), code in self._keys.items():
            names.setdefault(seat, {})[action] = key_name(code)
        return names

    def _reindex(self) -> None:
        self._by_key = {}
        for slot, code in self._keys.items():
            self._by_key.setdefault(code, []).append(slot)

    def key_for(self, seat: int, action: str) -> int | None:
        return self._keys.get((seat, action))

    def slots_for(self, code: int) -> list[Slot]:
        """Every (seat, action) the key drives (more than one only while in conflict)."""
        return list(self._by_key.get(code, ()))

    def slots(self) -> list[Slot]:
        return list(self._keys)

    def conflicts(self) -> list[str]:
        """One line per key bound to more than one (seat, action)."""
        lines = []
        for code, slots in self._by_key.items():
            if len(slots) > 1:
                users = " and ".join(_slot(seat, action) for seat, action in slots)
                lines.append(f"key {key_name(code)!r} is bound to both {users}")
        return lines

    def rebind(self, seat: int, action: str, code: int) -> str | None:
        """Bind `code` to (seat, action); swap with whoever had it so no key is bound twice.

        Returns a line describing the swap for the settings screen, or None if the
        key was free. A key SDL cannot name is refused (ValueError) because it could
        not be saved.
        """
        name = key_name(code)
        if not name:
            raise ValueError(f"key code {code} has no name and cannot be bound")
        target = (seat, action)
        old = self._keys.get(target)
        others = [slot for slot in self._by_key.get(code, ()) if slot != target]
        self._keys[target] = code
        message = None
        if others:
            first, rest = others[0], others[1:]
            if old is None:
                del self._keys[first]
                message = f"{_slot(*first)} lost {name!r} and is now unbound"
            else:
                self._keys[first] = old
                message = f"swapped: {_slot(*first)} now uses {key_name(old)!r}"
            for slot in rest:  # only reachable if the bindings were already in conflict
                del self._keys[slot]
                message += f"; {_slot(*slot)} is now unbound"
        self._reindex()
        return message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bindings) and self._keys == other._keys

    def __repr__(self) -> str:
        return f"Bindings({self.to_names()!r})"


class InputState:
    """Held keys and counted presses, fed by pygame events, read per (seat, action).

    It tracks key codes rather than actions, so a rebind takes effect at once and
    a key held during the rebind cannot leave an action stuck.
    """

    def __init__(self, bindings: Bindings) -> None:
        self.bindings = bindings
        self._down: set[int] = set()
        self._presses: Counter[Slot] = Counter()

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Update from one event; True if it was a KEYDOWN/KEYUP of a bound key.

        Losing window focus releases everything (the KEYUP would go to another
        window). Auto-repeated KEYDOWNs of a key already held are not new presses.
        """
        if event.type == pygame.WINDOWFOCUSLOST:
            self.release_all()
            return False
        if event.type not in (pygame.KEYDOWN, pygame.KEYUP):
            return False
        code = getattr(event, "key", None)
        slots = self.bindings.slots_for(code) if isinstance(code, int) else []
        if not slots:
            return False
        if event.type == pygame.KEYDOWN:
            if code not in self._down:
                self._down.add(code)
                self._presses.update(slots)
        else:
            self._down.discard(code)
        return True

    def held(self, seat: int, action: str) -> bool:
        code = self.bindings.key_for(seat, action)
        return code is not None and code in self._down

    def axis(self, seat: int, negative_action: str, positive_action: str) -> float:
        """-1, 0 or 1 from two opposing actions; both held cancel out."""
        return float(self.held(seat, positive_action)) - float(self.held(seat, negative_action))

    def take_presses(self, seat: int, action: str) -> int:
        """Presses since the last take of this (seat, action), then reset to zero."""
        return self._presses.pop((seat, action), 0)

    def release_all(self) -> None:
        """Forget held keys and untaken presses (focus loss, pause, screen change)."""
        self._down.clear()
        self._presses.clear()
