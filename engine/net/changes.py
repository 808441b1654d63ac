"""Which replicated components were written: the field half of change tracking.

Systems change components in place (`transform.x += dx`), and esper keeps no change
ticks, so nothing tells a server which of its thousands of components changed since the
last snapshot short of comparing them all. The structural half (entities created and
despawned, components added, replaced and removed) goes through the World, which notes
it (`World.watch_structure`). The field half is noted here: a server's encoder hooks
`__setattr__` of each replicated component type (`watch`), and every field write then
appends the component's id to one journal; each encoder reads what was written since its last
capture (`JournalReader.read`) and compares only those components with what it sent.

Why a hook on the type, and not the alternatives:

- marking through World calls (`world.changed(entity, Transform)`) is cheaper per write
  but silently wrong the first time a system or mod forgets it;
- comparing every component every tick in C (the encoder before this) costs about
  130 ns per component per tick however little changed: 1,000 idle entities with four
  components cost half a millisecond a tick;
- a hook is right for any write through the attribute, by any code, and costs one
  Python call per write (about 0.2 us here), nothing for components nobody writes.

Writes that bypass `__setattr__` (`object.__setattr__`, mutating a list held in a field)
are not seen: replicated fields are assigned, as the components' docs say. Types are
hooked only in a process with a server encoder; a client never pays for it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

JOURNAL_LIMIT = 1 << 20  # entries kept for a reader that does not read; past it, it rescans


class _Journal:
    """The ids of components written, in order, since the slowest reader read. An id, not
    the component: a reader looks it up among the components it tracks (and keeps alive),
    so an id reused by another object can only cost it a needless comparison."""

    def __init__(self) -> None:
        self.entries: list[Any] = []
        self.base = 0  # the absolute position of entries[0]
        self.readers: weakref.WeakSet[JournalReader] = weakref.WeakSet()
        self.hooked: dict[type, tuple[Callable[..., None] | None, int]] = {}
        self.epochs = 0

    def watch(self, component_type: type) -> int:
        """Hook `component_type`'s field writes into the journal (once); its hook epoch."""
        found = self.hooked.get(component_type)
        if found is not None:
            return found[1]
        params = getattr(component_type, "__dataclass_params__", None)
        frozen = params is not None and params.frozen
        own = component_type.__dict__.get("__setattr__")
        self.epochs += 1
        self.hooked[component_type] = (own, self.epochs)
        if not frozen:  # a frozen type changes only by replacement: structure
            component_type.__setattr__ = _hook(
                own or super(component_type, component_type).__setattr__,
                self.entries.append,
            )
        return self.epochs

    def unwatch(self, component_type: type) -> None:
        found = self.hooked.pop(component_type, None)
        if found is None:
            return
        own = found[0]
        if own is None:
            if "__setattr__" in component_type.__dict__:
                del component_type.__setattr__
        else:
            component_type.__setattr__ = own

    def epoch(self, component_type: type) -> int | None:
        """The epoch of the type's hook (a new one each time it is hooked), None if unhooked."""
        found = self.hooked.get(component_type)
        return None if found is None else found[1]

    def read(self, reader: JournalReader) -> list[Any] | None:
        """What was written since `reader` last read (None: some was lost, rescan)."""
        entries = self.entries
        end = self.base + len(entries)
        lost = reader.lost
        got = None if lost else entries[reader.cursor - self.base :]
        reader.cursor = end
        reader.lost = False
        slowest = min((r.cursor for r in self.readers), default=end)
        if slowest > self.base:
            del entries[: slowest - self.base]
            self.base = slowest
        if len(entries) > JOURNAL_LIMIT:  # someone stopped reading: it rescans when it reads
            for other in self.readers:
                if other.cursor < end:
                    other.lost = True
                    other.cursor = end
            entries.clear()
            self.base = end
        return got


def _hook(setter: Callable[..., None], append: Callable[[Any], None]) -> Callable[..., None]:
    def __setattr__(self: Any, name: str, value: Any, _id: Callable[[Any], int] = id) -> None:  # noqa: N807
        setter(self, name, value)
        append(_id(self))

    return __setattr__


JOURNAL = _Journal()


class JournalReader:
    """One encoder's place in the journal."""

    __slots__ = ("cursor", "lost", "__weakref__")

    def __init__(self) -> None:
        self.cursor = JOURNAL.base + len(JOURNAL.entries)
        self.lost = False
        JOURNAL.readers.add(self)

    def read(self) -> list[Any] | None:
        """The ids of the components written since the last read, in write order, with
        repeats; None when the journal dropped some (the reader must compare all it tracks)."""
        return JOURNAL.read(self)


def watch(component_type: type) -> int:
    """Journal every field write of `component_type` from now on; the epoch of its hook.
    A reader's journal is complete for a type only while the epoch it saw still holds."""
    return JOURNAL.watch(component_type)


def unwatch(component_type: type) -> None:
    JOURNAL.unwatch(component_type)


def epoch(component_type: type) -> int | None:
    return JOURNAL.epoch(component_type)


def plain_setattr(component_type: type) -> Callable[[Any, str, Any], None]:
    """`component_type`'s __setattr__ without the journal's hook: for writes no encoder
    needs to see (a client's decoder writing what the server sent, in a process that also
    runs a server)."""
    found = JOURNAL.hooked.get(component_type)
    if found is None:
        return component_type.__setattr__  # type: ignore[return-value]
    own = found[0]
    return own or super(component_type, component_type).__setattr__  # type: ignore[return-value]
