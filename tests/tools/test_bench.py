"""tools/bench.py: each scenario runs small and gives figures of the right shape.

Only shapes and orderings are checked (bytes with 10% moving < bytes with 100% moving <
naive, times > 0, a JSON file that parses); the figures are never held against the
performance targets here, since they depend on the machine.
"""

from __future__ import annotations

import json
import random

import pytest

from tools import bench


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert bench.percentile(values, 0.99) == 99
    assert bench.percentile(values, 0.5) == 50
    assert bench.percentile([7.0], 0.99) == 7.0
    assert bench.percentile([], 0.99) == 0.0
    assert bench.summarize([0.001, 0.003], 1000)["median"] == pytest.approx(2.0)


def test_replication_quick_figures_have_the_right_shape():
    rows = bench.run_replication(sizes=(100,), fractions=(0.1, 1.0), ticks=5)
    ten, full = rows
    assert (ten["entities"], ten["moving_fraction"]) == (100, 0.1)
    assert (full["entities"], full["moving_fraction"]) == (100, 1.0)
    assert ten["moving"] == 10 and full["moving"] == 100
    for row in rows:
        assert row["encode_ms"]["median"] > 0
        assert row["decode_ms"]["median"] > 0
        assert row["encode_ms"]["p99"] >= row["encode_ms"]["median"]
        assert row["encode_ms"]["samples"] == 5
        assert row["encode_old_baseline_ms"]["samples"] == 4  # from tick 6 on
        assert row["encode_old_baseline_ms"]["median"] > 0
        assert row["client_matches_server"]
        assert 0 < row["ratio_to_naive"] < 1
    assert ten["updates_per_tick"] == 10 and full["updates_per_tick"] == 100
    assert ten["bytes"]["median"] < full["bytes"]["median"] < full["naive_bytes"]["median"]
    assert ten["naive_bytes"]["median"] == full["naive_bytes"]["median"]
    assert ten["bytes"]["median"] > bench.HEADER_BYTES


def test_client_matches_notices_a_wrong_value():
    from engine.net.replication import SnapshotDecoder, SnapshotEncoder
    from engine.phases import Role
    from engine.world import World
    from game.net.schema import shooter_schema
    from game.rules.components import Health
    from game.rules.plugin import shooter_world

    registry = shooter_schema().components
    server = shooter_world(Role.SERVER, seed=1)
    client = World(Role.CLIENT)
    try:
        bench.populate(server, 20, random.Random(1), top=0.0, height=2000.0)
        encoder, decoder = SnapshotEncoder(registry), SnapshotDecoder(registry)
        decoder.apply(client, 1, 0, encoder.encode_delta(server))
        assert bench.client_matches(server, client, registry, decoder)
        _, health = client.query_one(Health)[0]
        health.hitpoints += 1
        assert not bench.client_matches(server, client, registry, decoder)
    finally:
        client.close()
        server.close()


def test_quick_run_writes_parseable_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert bench.main(["replication", "--quick", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["quick"] is True
    assert data["scenarios"] == ["replication"]
    machine = data["machine"]
    assert machine["cores"] >= 1 and machine["python"] and machine["cpu"] and machine["date"]
    sizes = {(row["entities"], row["moving_fraction"]) for row in data["replication"]}
    assert sizes == {(n, f) for n in bench.REPLICATION_SIZES_QUICK for f in (0.1, 1.0)}
    names = [target["name"] for target in data["targets"]]
    assert "bytes, 1000 entities, 10% moving" in names
    measured = {t["name"]: t["met"] for t in data["targets"]}
    assert measured[bench.TARGET_CLIENT] is None  # not run
    assert isinstance(measured["bytes, 1000 entities, 100% moving"], bool)
    printed = capsys.readouterr().out
    assert "entities" in printed and "targets" in printed


def test_client_quick_runs_offscreen():
    row = bench.run_client(entities=120, frames=3)
    assert row["video_driver"] == "dummy"
    assert row["frame_ms"]["samples"] == 3
    assert row["frame_ms"]["median"] > 0
    assert row["render_world_ms"]["median"] > 0
    assert row["apply_ms"]["median"] > 0
    assert row["moving"] == 60
    assert row["snapshot_bytes"] > bench.HEADER_BYTES


def test_mission_times_real_window_frames_in_play():
    row = bench.run_mission(frames=90)
    assert row["video_driver"] == "dummy"
    assert row["frames"] == 90 and row["outcome"] is None  # 1.5 s: the mission goes on
    assert row["frame_ms"]["samples"] == 90
    assert 0 < row["frame_ms"]["median"] <= row["frame_ms"]["p99"] <= row["frame_ms"]["max"]
    assert 0 <= row["over_budget"] <= 90
    assert "unended" in bench.MISSION_TABLE.row(row)


def test_server_scenario_with_one_bot_over_tcp():
    (row,) = bench.run_server([1], 1.0, settle=0.2)
    server = row["server"]
    assert row["bots"] == 1
    assert not row["any_dropped"], row["dropped"]
    assert server["steps"] > 0 and server["step_ms"]["median"] > 0
    assert server["clients_seen"] == 1
    assert server["bytes_per_client_s"] > 0
    assert server["cpu_share"] > 0
    assert row["clients"]["bytes_in_per_client_s"] > 0


def test_targets_say_met_or_not_from_the_figures():
    def ms(median: float, p99: float) -> dict:
        return {"median": median, "p99": p99}

    results = {
        "replication": [
            {
                "entities": 1000,
                "moving_fraction": 0.1,
                "encode_ms": ms(1.0, 3.0),
                "ratio_to_naive": 0.05,
            },
            {
                "entities": 1000,
                "moving_fraction": 1.0,
                "encode_ms": ms(9.0, 9.0),
                "ratio_to_naive": 0.7,
            },
        ],
        "server": [
            {
                "bots": 32,
                "any_dropped": False,
                "dropped": [],
                "server": {"step_ms": ms(1.0, 9.5), "steps_per_second": 60.0},
            },
        ],
    }
    met = {t.name: t.met for t in bench.evaluate(results)}
    assert met["encode, 1000 entities, 10% moving"] is True
    assert met["bytes, 1000 entities, 10% moving"] is True
    assert met["bytes, 1000 entities, 100% moving"] is False
    assert met["server, 32 bots"] is False  # p99 over 8 ms
    assert met["client frame, 500 sprites"] is None


def test_unknown_scenario_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["nonsense"])
    assert exit_.value.code == 2
    assert "unknown scenario" in capsys.readouterr().err


def test_lossy_quick_run_reports_every_figure(tmp_path, capsys):
    out = tmp_path / "lossy.json"
    assert (
        bench.main(["lossy", "--quick", "--bots", "2", "--seconds", "1", "--json", str(out)]) == 0
    )
    data = json.loads(out.read_text())
    assert data["scenarios"] == ["lossy"]
    rows = {row["config"]: row for row in data["lossy"]}
    assert list(rows) == ["udp lossless", "udp lossy", "tcp stalls"]
    for row in rows.values():
        clients, server = row["clients"], row["server"]
        assert row["bots"] == 2 and not row["any_dropped"], row["dropped"]
        gaps = clients["snapshot_gap_ms"]
        assert gaps["samples"] > 0 and 0 < gaps["median"] <= gaps["p99"] <= gaps["max"]
        assert clients["snapshots_per_bot_s"] > 0
        assert clients["pass_ms"]["samples"] > 0 and clients["pass_ms"]["p99"] > 0
        assert clients["corrections_per_min"] >= 0 and clients["flying"] == 2
        assert clients["bytes_in_per_client_s"] > 0 and server["bytes_per_client_s"] > 0
        assert row["bytes_vs_lossless"] > 0 and row["overhead_vs_lossless"] > 0
        assert server["message_bytes_per_client_s"] > 0
        assert server["wire_per_message_byte"] > 1  # headers and acks on top
        assert server["transport_wall_share"] > 0
        assert 0 < server["step_ms"]["median"] <= server["step_ms"]["p99"]
        assert server["cpu_share"] > 0
        assert 0 < server["transport_core_share"] < 1  # a share of one core
        assert server["transport_cpu_fraction"] > 0
        assert row["udp_rcvbuf_errors"] is None or row["udp_rcvbuf_errors"] >= 0
    assert rows["udp lossless"]["relay"] is None
    assert rows["udp lossless"]["bytes_vs_lossless"] == 1.0
    assert rows["udp lossless"]["overhead_vs_lossless"] == 1.0
    udp = rows["udp lossy"]["relay"]
    assert udp["kind"] == "udp" and udp["total"]["lost"] > 0 and udp["window"]["datagrams"] > 0
    assert rows["udp lossy"]["server"]["rtt_ms_mean"] >= 80  # 50 ms each way
    tcp = rows["tcp stalls"]["relay"]
    assert tcp["kind"] == "tcp" and tcp["total"]["chunks"] > 0 and tcp["window"]["bytes"] > 0
    assert rows["tcp stalls"]["transport"] == "tcp"
    measured = {t["name"]: t for t in data["targets"]}
    assert isinstance(measured[bench.TARGET_LOSSY_GAP]["met"], bool)
    assert isinstance(measured[bench.TARGET_LOSSY_BYTES]["met"], bool)
    assert measured[bench.TARGET_LOSSY_STEP]["met"] is None  # 2 bots: not judged
    assert measured[bench.TARGET_SERVER]["met"] is None  # not run
    printed = capsys.readouterr().out
    assert "udp lossy" in printed and "tcp stalls" in printed and "targets" in printed


def test_lossy_targets_are_judged_on_the_lossy_udp_row():
    def row(config: str, gap_p99: float, ratio: float, step_p99: float, net: float) -> dict:
        return {
            "config": config,
            "bots": 32,
            "bytes_vs_lossless": ratio * 0.9,
            "overhead_vs_lossless": ratio,
            "clients": {"snapshot_gap_ms": {"p99": gap_p99, "max": gap_p99 * 2}},
            "server": {"step_ms": {"p99": step_p99}, "transport_core_share": net},
        }

    results = {
        "lossy": [
            row("udp lossless", 50.0, 1.0, 3.0, 0.02),
            row("udp lossy", 140.0, 1.3, 7.0, 0.06),
            row("tcp stalls", 400.0, 1.0, 3.0, 0.01),
        ]
    }
    met = {t.name: t.met for t in bench.evaluate(results)}
    assert met[bench.TARGET_LOSSY_GAP] is True
    assert met[bench.TARGET_LOSSY_BYTES] is False
    assert met[bench.TARGET_LOSSY_STEP] is True
    assert met[bench.TARGET_LOSSY_TRANSPORT] is False
    assert all(met[name] is None for name in (bench.TARGET_SERVER, bench.TARGET_CLIENT))
