"""tools/netdemo.py: a short run over each transport reports its figures and saves its burst."""

from __future__ import annotations

import pytest

from tools import netdemo


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_a_short_demo_watches_the_pilot_and_saves_a_burst(transport, tmp_path, capsys):
    out = tmp_path / transport
    argv = ["--transport", transport, "--seconds", "4.5", "--burst", "2", "--out", str(out)]
    assert netdemo.main([*argv, "--latency", "20", "--jitter", "5", "--loss", "5"]) == 0
    line = capsys.readouterr().out
    assert line.startswith(f"{transport}: ") and "snapshots applied" in line
    applied = int(line.split(": ", 1)[1].split(" ", 1)[0])
    assert applied > 5  # the watcher kept getting snapshots through the bad link
    assert sorted(p.name for p in out.iterdir()) == ["frame00.png", "frame01.png"]
