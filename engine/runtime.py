"""Process-wide settings for a long-running game loop: a dedicated server or a game window."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between young-generation collections (CPython: 700)


def settle_garbage_collector() -> None:
    """Keep CPython's cyclic garbage collector out of the step budget.

    A step allocates thousands of short-lived tuples and records, nearly all of
    them freed at once by reference counting. At the default threshold the
    collector still runs every few hundred allocations, and now and then a full
    collection walks every object the world holds: 10-20 ms at a time with 1000
    entities, a whole frame. Freezing what exists when the loop starts (modules,
    content, registries: they live as long as the process) keeps it out of every
    later collection, and a higher young threshold makes collections rarer.
    Call once, just before the loop; calling again freezes what was added since.
    """
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_THRESHOLD), middle, old)
