"""The long-running loops' garbage-collector settings."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from engine.runtime import YOUNG_THRESHOLD, SampleRing, settle_garbage_collector


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_existing_objects_are_frozen_and_young_collections_are_rarer(restore_gc):
    gc.set_threshold(700, 11, 12)
    kept = [object() for _ in range(10)]
    settle_garbage_collector()
    assert gc.get_freeze_count() > len(kept)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 11, 12)  # the older generations as they were


def test_a_higher_threshold_already_set_is_kept(restore_gc):
    gc.set_threshold(YOUNG_THRESHOLD * 2, 10, 10)
    settle_garbage_collector()
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD * 2


# -- SampleRing ---------------------------------------------------------------------------------


def test_a_ring_keeps_the_last_samples_oldest_first():
    ring = SampleRing(4)
    assert (len(ring), list(ring), ring.total) == (0, [], 0)
    ring.extend([1.0, 2.0, 3.0])
    assert (len(ring), list(ring)) == (3, [1.0, 2.0, 3.0])
    ring.extend([4.0, 5.0, 6.0])
    assert (len(ring), list(ring), ring.total) == (4, [3.0, 4.0, 5.0, 6.0], 6)
    assert sorted(ring) == [3.0, 4.0, 5.0, 6.0]
    ring.clear()
    assert (len(ring), list(ring), ring.total) == (0, [], 0)
    ring.append(7.5)
    assert list(ring) == [7.5]


def test_since_gives_what_is_new_and_at_most_a_ring_of_it():
    ring = SampleRing(5)
    ring.extend([1.0, 2.0])
    seen = ring.total
    assert ring.since(seen) == []
    ring.extend([3.0, 4.0, 5.0, 6.0])  # wraps
    assert ring.since(seen) == [3.0, 4.0, 5.0, 6.0]
    assert ring.since(0) == [2.0, 3.0, 4.0, 5.0, 6.0]  # older ones are gone
    assert ring.since(ring.total - 1) == [6.0]
    ring.extend([7.0, 8.0, 9.0])
    assert ring.since(seen) == [5.0, 6.0, 7.0, 8.0, 9.0]


def test_filling_and_overwriting_a_ring_allocates_nothing_that_stays():
    """The memory of a server's step times is all taken when it starts: filling it over the
    first half hour and overwriting it afterwards add nothing."""
    ring = SampleRing(10_000)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(30_000):
            ring.append(i / 1000)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert grown < 4096
    assert len(ring) == 10_000


def test_a_ring_holds_at_least_one_sample():
    with pytest.raises(ValueError, match="at least one"):
        SampleRing(0)


def test_latest_is_the_newest_sample_across_the_wrap():
    ring = SampleRing(3)
    with pytest.raises(IndexError):
        _ = ring.latest
    for value in (1.0, 2.0, 3.0, 4.0):
        ring.append(value)
        assert ring.latest == value
