"""The fleet test, CI-sized: the lobby (a child process) with its local backend, two servers
each beside an Agones SDK stand-in, eight bots in parties of one and two joining through
the lobby (tools/fleet.py runs the full one: four servers, 64 bots)."""

from __future__ import annotations

import pytest

from tools.fleet import run_fleet

pytestmark = pytest.mark.process


def test_a_small_fleet_places_every_party_together_and_replaces_finished_servers():
    lines: list[str] = []
    report = run_fleet(
        servers=2, bots=8, party=2, seconds=5.0, seats=3, spectators=2, say=lines.append
    )
    shown = "\n".join(report.lines() + lines[-10:] + report.lobby_log[-20:])
    assert report.ok, shown
    names = [check.name for check in report.checks]
    for wanted in (
        "every bot placed (8/8)",
        "no server over seats + spectators by its own metrics",
        "the lobby's metrics agree with the servers'",
        "every played server shut down and was replaced",
        "the lobby stopped cleanly (exit 0)",
    ):
        assert any(name.startswith(wanted) for name in names), (wanted, names)
    assert any(name.startswith("every party on one server") for name in names)
    assert report.placements_per_second > 0 and report.to_playing_p99 >= report.to_playing_p50
