"""tools.soak: the verdict's arithmetic, and one short soak of a real server with real bots."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.soak import (
    TARGET_MB,
    TARGET_MINUTES,
    Sample,
    _listening,
    fit_slope,
    judge,
    main,
    step_figures,
)

ROOT = Path(__file__).resolve().parents[2]


def samples(mb_per_minute: float, minutes: int = 40, start: float = 30.0) -> list[Sample]:
    return [Sample(m * 60.0, start + mb_per_minute * m) for m in range(minutes + 1)]


def test_the_slope_is_the_least_squares_fit():
    assert fit_slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert fit_slope([(0, 1.0), (1, 0.0), (2, 1.0), (3, 0.0)]) == pytest.approx(-0.2)
    assert fit_slope([(1, 5.0)]) == 0.0
    assert fit_slope([(1, 5.0), (1, 6.0)]) == 0.0


def test_flat_memory_after_the_warm_up_passes_whatever_the_warm_up_did():
    warm = [Sample(m * 60.0, 20.0 + m) for m in range(10)]  # +1 MB a minute while warming
    flat = [Sample(m * 60.0, 30.0) for m in range(10, 41)]
    verdict = judge(warm + flat, 600)
    assert verdict.passed
    assert verdict.growth_mb == pytest.approx(0.0)
    assert (verdict.first_mb, verdict.last_mb, verdict.samples) == (30.0, 30.0, 31)
    assert verdict.window_minutes == pytest.approx(30.0)
    assert verdict.allowed_mb == pytest.approx(TARGET_MB * 30 / TARGET_MINUTES)


def test_the_target_is_scaled_to_the_window():
    limit = TARGET_MB / TARGET_MINUTES  # MB a minute
    assert judge(samples(limit * 0.9), 0).passed
    failing = judge(samples(limit * 1.1), 0)
    assert not failing.passed
    assert failing.projected_mb == pytest.approx(TARGET_MB * 1.1)
    assert failing.line().startswith("FAIL: after the warm-up, resident memory went 30.0 -> ")
    assert "allowed 1.82 MB in this window (5 MB over 110 min)" in failing.line()
    assert judge(samples(0.3), 0).line().count("+18.00 MB/h") == 1  # the growth


def test_noise_evens_out_in_the_fit():
    noisy = [Sample(m * 60.0, 30.0 + (0.8 if m % 2 else -0.8)) for m in range(41)]
    assert judge(noisy, 0).passed  # a 1.6 MB swing between samples is not growth


def test_too_few_samples_after_the_warm_up_is_an_error():
    with pytest.raises(ValueError, match="fewer than two samples after the warm-up"):
        judge(samples(0.0, minutes=5), 5 * 60)


def test_step_figures_are_the_interval_mean_and_the_p99_bucket():
    name = "cloudbreak_step_seconds"
    before = {f"{name}_count": 100, f"{name}_sum": 0.2, f'{name}_bucket{{le="0.001"}}': 50,
              f'{name}_bucket{{le="0.004"}}': 100, f'{name}_bucket{{le="+Inf"}}': 100}  # fmt: skip
    after = {f"{name}_count": 300, f"{name}_sum": 0.6, f'{name}_bucket{{le="0.001"}}': 150,
             f'{name}_bucket{{le="0.004"}}': 299, f'{name}_bucket{{le="+Inf"}}': 300}  # fmt: skip
    mean, p99 = step_figures(before, after)
    assert mean == pytest.approx(2.0)  # 0.4 s over 200 steps
    assert p99 == pytest.approx(4.0)  # 198 of 200 within 4 ms
    assert step_figures(after, after) == (None, None)


def test_addresses_are_read_from_the_servers_log_lines():
    assert _listening("listening on 127.0.0.1:5000 (UDP+TCP); open to anyone who asks") == (
        "127.0.0.1",
        5000,
    )
    assert _listening("metrics on http://127.0.0.1:9100/metrics") == ("127.0.0.1", 9100)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--minutes", "0"], "--minutes"),
        (["--minutes", "5", "--warmup-minutes", "5"], "--warmup-minutes must be less"),
        (["--minutes", "5", "--bots", "0"], "--bots"),
    ],
)
def test_bad_arguments_are_one_line_errors(capsys, args, words):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.process
def test_a_short_soak_samples_a_real_server_and_gives_a_verdict(tmp_path):
    csv_file = tmp_path / "soak.csv"
    run = subprocess.run(
        [sys.executable, "-m", "tools.soak", "--minutes", "0.5", "--warmup-minutes", "0.1",
         "--bots", "2", "--processes", "1", "--sample-seconds", "2", "--csv", str(csv_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr  # a verdict either way (30 s is all warm-up)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("soak: server pid ")
    assert lines[1].split() == [
        "min",
        "RSS",
        "MB",
        "players",
        "missions",
        "steps/s",
        "step",
        "ms",
        "p99",
        "ms",
    ]
    assert any(line.startswith("bots: all 2/2") and line.endswith("(exit 0)") for line in lines)
    assert lines[-1].startswith(("PASS: after the warm-up", "FAIL: after the warm-up"))
    rows = csv_file.read_text().splitlines()
    assert rows[0] == "seconds,rss_mb,players,missions,steps_per_second,step_mean_ms,step_p99_ms"
    assert len(rows) >= 8
    samples = [row.split(",") for row in rows[1:]]
    assert all(float(sample[1]) > 10 for sample in samples)  # a real server's resident memory
    # Both bots were seen playing (the last sample may come after they left), and the server
    # was still stepping at a believable rate at the end.
    assert max(int(sample[2]) for sample in samples) == 2
    assert 0 < float(samples[-1][4]) <= 70
