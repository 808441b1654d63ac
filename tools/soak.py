"""Soak a dedicated server: bots for a given time, its memory and step time sampled, a verdict.

    python -m tools.soak --minutes 30 [--bots 32] [--warmup-minutes 10] [--sample-seconds 10]
        [--processes 2] [--max-players 16] [--spectators 16] [--csv FILE]

It starts `python -m game.server` (with `--metrics-port 0`) and `python -m tools.bots`
against it as child processes, and every `--sample-seconds` reads the server's resident
memory (VmRSS in /proc/PID/status) and, from its metrics endpoint, the players, the missions
and the step times of the interval (mean, and the 99th percentile as the upper edge of
its histogram bucket). A line per minute goes to stdout, then the verdict.

The target (issue 15): over two hours with 32 bots, memory grows by at most 5 MB after the
first 10 minutes. The verdict scales it to the run: it fits a straight line to the samples
after the warm-up (least squares, so the allocator's ups and downs even out) and compares
the growth that line gives over the measured window with 5 MB x window / 110 min; it also
gives the growth the line projects over the 110 minutes of the target. PASS or FAIL; exit 0
on PASS, 1 on FAIL (or when the bots report a drop), 2 when the run could not be made.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import math
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine import cli

TARGET_MB = 5.0
TARGET_MINUTES = 110.0  # two hours, less the first ten
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Sample:
    seconds: float  # since the server started
    rss_mb: float
    players: int = 0
    missions: int = 0
    step_mean_ms: float | None = None  # over the interval since the last sample
    step_p99_ms: float | None = None
    steps_per_second: float | None = None  # 60 when the server keeps up


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    window_minutes: float  # the measured stretch after the warm-up
    growth_mb: float  # what the fitted line grew over it
    slope_mb_per_minute: float
    projected_mb: float  # the line over TARGET_MINUTES
    allowed_mb: float  # the target scaled to the window
    first_mb: float  # RSS at the warm-up's end and at the last sample
    last_mb: float
    samples: int

    def line(self) -> str:
        word = "PASS" if self.passed else "FAIL"
        return (
            f"{word}: after the warm-up, resident memory went {self.first_mb:.1f} -> "
            f"{self.last_mb:.1f} MB over {self.window_minutes:.1f} min; the fitted line grew "
            f"{self.growth_mb:+.2f} MB ({self.slope_mb_per_minute * 60:+.2f} MB/h, "
            f"{self.projected_mb:+.2f} MB over {TARGET_MINUTES:g} min); allowed "
            f"{self.allowed_mb:.2f} MB in this window ({TARGET_MB:g} MB over "
            f"{TARGET_MINUTES:g} min)"
        )


def fit_slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 for fewer than two distinct x)."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def judge(
    samples: Sequence[Sample],
    warmup_seconds: float,
    *,
    target_mb: float = TARGET_MB,
    target_minutes: float = TARGET_MINUTES,
) -> Verdict:
    """The verdict on the samples after `warmup_seconds`. ValueError if fewer than two."""
    measured = [s for s in samples if s.seconds >= warmup_seconds]
    if len(measured) < 2:
        raise ValueError("fewer than two samples after the warm-up: run longer")
    points = [(s.seconds / 60, s.rss_mb) for s in measured]
    slope = fit_slope(points)
    window = points[-1][0] - points[0][0]
    growth = slope * window
    allowed = target_mb * window / target_minutes
    return Verdict(
        passed=growth <= allowed,
        window_minutes=window,
        growth_mb=growth,
        slope_mb_per_minute=slope,
        projected_mb=slope * target_minutes,
        allowed_mb=allowed,
        first_mb=measured[0].rss_mb,
        last_mb=measured[-1].rss_mb,
        samples=len(measured),
    )


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (10^6 bytes), from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    raise OSError(f"no VmRSS for process {pid}")


def read_metrics(url: str) -> dict[str, float]:
    """The samples of a Prometheus text page, by name with labels (`name{le="0.1"}`)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our own child)
        text = answer.read().decode()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


def steps_between(before: dict[str, float], after: dict[str, float]) -> float:
    name = "cloudbreak_step_seconds_count"
    return after.get(name, 0) - before.get(name, 0)


def step_figures(before: dict[str, float], after: dict[str, float]) -> tuple[float | None, ...]:
    """(mean ms, p99 ms as its bucket's upper edge) of the steps between two scrapes."""
    name = "cloudbreak_step_seconds"
    count = after.get(f"{name}_count", 0) - before.get(f"{name}_count", 0)
    if count <= 0:
        return None, None
    mean = (after.get(f"{name}_sum", 0) - before.get(f"{name}_sum", 0)) / count
    edges = []
    for key, value in after.items():
        if key.startswith(f'{name}_bucket{{le="'):
            edge = key.split('"')[1]
            edges.append((math.inf if edge == "+Inf" else float(edge), value - before.get(key, 0)))
    edges.sort()
    cumulative = [n for _, n in edges]
    index = bisect.bisect_left(cumulative, 0.99 * count)
    p99 = edges[min(index, len(edges) - 1)][0] if edges else None
    return mean * 1000, None if p99 is None or math.isinf(p99) else p99 * 1000


class _Lines:
    """A child's stderr, read on a thread (so its pipe never fills), line by line."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        self.lines: queue.Queue[str] = queue.Queue()
        self.kept: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:  # noqa: ANN001
        for line in stream:
            self.lines.put(line)
            if len(self.kept) < 200:
                self.kept.append(line.rstrip())
        self.lines.put("")

    def wait_for(self, prefix: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no {prefix!r} line in {seconds:g} s") from None
            if not line:
                raise EOFError("the server ended: " + " | ".join(self.kept[-3:]))
            try:
                message = json.loads(line).get("message", "")
            except ValueError:
                continue
            if message.startswith(prefix):
                return message


def _listening(message: str) -> tuple[str, int]:
    """("host", port) from "listening on HOST:PORT (...)" or "metrics on http://HOST:PORT/..."."""
    text = message.split("://", 1)[1].split("/", 1)[0] if "://" in message else message.split()[2]
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def run(args: argparse.Namespace, out=sys.stdout) -> int:  # noqa: ANN001
    python = sys.executable
    mod_args = [part for name in args.mod for part in ("--mod", name)]  # server and bots alike
    server = subprocess.Popen(
        [
            python, "-m", "game.server", "--port", "0", "--metrics-port", "0",
            "--log-format", "json", "--max-players", str(args.max_players),
            "--spectators", str(args.spectators), "--seed", str(args.seed), *mod_args,
        ],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    started = time.monotonic()
    log = _Lines(server.stderr)
    bots = None
    try:
        try:
            game = _listening(log.wait_for("listening on", 30))
            metrics_host, metrics_port = _listening(log.wait_for("metrics on", 30))
        except (TimeoutError, EOFError) as error:
            print(f"error: the server did not start: {error}", file=sys.stderr)
            return 2
        url = f"http://{metrics_host}:{metrics_port}/metrics"
        seconds = args.minutes * 60
        bots = subprocess.Popen(
            [
                python, "-m", "tools.bots", "--connect", f"{game[0]}:{game[1]}",
                "--bots", str(args.bots), "--seconds", str(seconds),
                "--processes", str(args.processes), "--seed", str(args.seed), *mod_args,
            ],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        print(
            f"soak: server pid {server.pid} on {game[0]}:{game[1]}, {args.bots} bots for "
            f"{args.minutes:g} min, warm-up {args.warmup_minutes:g} min",
            file=out,
            flush=True,
        )
        print(
            f"{'min':>6} {'RSS MB':>8} {'players':>7} {'missions':>8} {'steps/s':>7} "
            f"{'step ms':>8} {'p99 ms':>7}",
            file=out,
        )
        samples: list[Sample] = []
        last, last_at = read_metrics(url), time.monotonic()
        next_sample = time.monotonic() + args.sample_seconds
        next_line = 0.0
        while bots.poll() is None and server.poll() is None:
            time.sleep(max(0.0, min(next_sample - time.monotonic(), 1.0)))
            if time.monotonic() < next_sample:
                continue
            next_sample += args.sample_seconds
            try:
                now = read_metrics(url)
                memory = rss_mb(server.pid)
            except OSError:
                break  # it ended between the check and the read
            mean, p99 = step_figures(last, now)
            rate = steps_between(last, now) / (time.monotonic() - last_at)
            last, last_at = now, time.monotonic()
            sample = Sample(
                time.monotonic() - started,
                memory,
                int(now.get("cloudbreak_players", 0)),
                int(now.get("cloudbreak_mission", 0)),
                mean,
                p99,
                rate,
            )
            samples.append(sample)
            if sample.seconds >= next_line:
                next_line += 60
                print(_row(sample), file=out, flush=True)
        bots_out = bots.communicate(timeout=60)[0] if bots.poll() is None else bots.stdout.read()
        bots_status = bots.returncode
        if server.poll() is not None:
            print(
                f"error: the server ended during the soak (exit {server.returncode})",
                file=sys.stderr,
            )
            print(" | ".join(log.kept[-5:]), file=sys.stderr)
            return 2
        if args.csv:
            with open(args.csv, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(
                    [
                        "seconds",
                        "rss_mb",
                        "players",
                        "missions",
                        "steps_per_second",
                        "step_mean_ms",
                        "step_p99_ms",
                    ]  # fmt: skip
                )
                for s in samples:
                    mean = "" if s.step_mean_ms is None else f"{s.step_mean_ms:.3f}"
                    p99 = "" if s.step_p99_ms is None else f"{s.step_p99_ms:.3f}"
                    rate = "" if s.steps_per_second is None else f"{s.steps_per_second:.1f}"
                    row = [f"{s.seconds:.1f}", f"{s.rss_mb:.3f}", s.players, s.missions, rate]
                    row += [mean, p99]
                    writer.writerow(row)
        try:
            verdict = judge(samples, args.warmup_minutes * 60)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        steps = [s.step_mean_ms for s in samples if s.step_mean_ms is not None]
        rates = [s.steps_per_second for s in samples if s.steps_per_second is not None]
        total = [line for line in (bots_out or "").splitlines() if line.startswith("all ")]
        print(f"bots: {total[-1] if total else '(no report)'} (exit {bots_status})", file=out)
        if steps:
            p99s = [s.step_p99_ms for s in samples if s.step_p99_ms is not None]
            print(
                f"steps: {sum(rates) / len(rates):.1f}/s on average (60 when it keeps up); "
                f"step time: mean {sum(steps) / len(steps):.2f} ms over the run; "
                f"p99 at most {max(p99s) if p99s else float('nan'):.1f} ms in any interval; "
                f"missions begun {samples[-1].missions}",
                file=out,
            )
        print(verdict.line(), file=out, flush=True)
        return 0 if verdict.passed and bots_status == 0 else 1
    finally:
        for child in (bots, server):
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()


def _row(s: Sample) -> str:
    def num(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    return (
        f"{s.seconds / 60:6.1f} {s.rss_mb:8.1f} {s.players:7d} {s.missions:8d} "
        f"{num(s.steps_per_second, '7.1f'):>7} {num(s.step_mean_ms, '8.2f'):>8} "
        f"{num(s.step_p99_ms, '7.1f'):>7}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.soak",
        description="Soak a dedicated server with bots; sample its memory and step time; "
        f"judge against {TARGET_MB:g} MB of growth over {TARGET_MINUTES:g} min after warm-up.",
    )
    parser.add_argument("--minutes", type=cli.number(float, above=0), required=True)
    parser.add_argument("--bots", type=cli.number(int, low=1, high=64), default=32)
    parser.add_argument("--warmup-minutes", type=cli.number(float, low=0), default=10.0)
    parser.add_argument("--sample-seconds", type=cli.number(float, above=0), default=10.0)
    parser.add_argument("--processes", type=cli.number(int, low=1, high=16), default=2)
    parser.add_argument("--max-players", type=cli.number(int, low=1, high=16), default=16)
    parser.add_argument("--spectators", type=cli.number(int, low=0, high=64), default=16)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--csv", metavar="FILE", help="write every sample to FILE")
    parser.add_argument(
        "--mod", action="append", default=[], metavar="MODULE", help="soak a modded server"
    )
    args = parser.parse_args(argv)
    if args.warmup_minutes >= args.minutes:
        parser.error("--warmup-minutes must be less than --minutes")
    if not os.path.exists("/proc/self/status"):
        print("error: the soak reads memory from /proc (Linux only)", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
