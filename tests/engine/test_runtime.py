"""The long-running loops' garbage-collector settings."""

from __future__ import annotations

import gc

import pytest

from engine.runtime import YOUNG_THRESHOLD, settle_garbage_collector


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
