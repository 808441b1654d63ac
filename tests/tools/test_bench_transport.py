"""The transport bench measures a working transport: every input arrives, nobody drops."""

import pytest

from tools.bench_transport import TICK_EVERY, run_transport


def test_every_client_input_reaches_the_server_and_the_cost_is_counted():
    row = run_transport(3, 1.0, seed=4)
    ticks = row["steps"] // TICK_EVERY
    assert row["steps"] == 60
    assert row["messages_received"] == 3 * ticks  # one input per client per network tick
    assert row["dropped"] == 0
    assert row["ms_per_step"] > 0
    assert row["core_share"] * 1e3 == pytest.approx(row["ms_per_step"] * 60)
