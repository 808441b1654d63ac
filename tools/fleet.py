"""A fleet on one machine: the lobby with its local backend, servers each beside an Agones
SDK stand-in, and bots in parties joining through the lobby; checked, and measured.

    python -m tools.fleet [--servers 4] [--bots 64] [--party 2] [--seconds 20]
        [--seats 8] [--spectators 8] [--seed 1] [--netns]

Starts `python -m game.lobby --servers N` (which starts and watches the servers), waits for
every server to be Ready, runs the bots (`tools.bots` with `--lobby`, in parties of a seeded
size from 1 to `--party`) for `--seconds`, then waits for each server whose match ended and
emptied to ask Agones for Shutdown and for the lobby to start its replacement, and stops the
lobby. The checks:

- every bot placed: it got a ticket from the lobby and played, and was not dropped;
- every party on one server;
- no server over seats + spectators (its own metrics, sampled while everyone plays);
- the lobby's metrics agree with the servers': players per server, as the lobby exports
  them, equal each server's `cloudbreak_players`; players placed equal the bots;
- every server that was played on shut down and was replaced by a fresh one, Ready;
- the lobby stops cleanly (exit 0) and leaves no server behind.

The figures: placements per second (parties placed over the time from the first request
to the last answer, all asked at once) and the time from asking the lobby to playing (p50,
p99). With `--netns` (root, `ip netns`), the lobby and the servers run in two network
namespaces joined to this one by veth pairs (addresses in 198.18.0.0/15, the range set
aside for benchmarks), so tickets carry a real address other than the lobby's; without it
all run on 127.0.0.1. Exit status 0 if every check passed, 1 otherwise, 2 for bad flags.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from engine import cli
from engine.net.keyfile import write_new_key
from tools.bots import (
    BotOptions,
    Progress,
    Report,
    percentile,
    plan_bots,
    run_plans,
    run_processes,
)

START_WAIT = 60.0  # seconds for the lobby and every server to be ready
SETTLE_WAIT = 10.0  # seconds for the lobby's view and the servers' metrics to agree
REPLACE_WAIT = 60.0  # seconds for played servers to shut down and be replaced
STOP_WAIT = 20.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}" + (
            f": {self.detail}" if self.detail else ""
        )


@dataclass
class FleetReport:
    checks: list[Check] = field(default_factory=list)
    bots: Report | None = None
    placements_per_second: float = 0.0
    parties: int = 0
    to_playing_p50: float = 0.0
    to_playing_p99: float = 0.0
    lobby_p50: float = 0.0
    lobby_p99: float = 0.0
    addresses: dict[str, str] = field(default_factory=dict)  # lobby, servers
    lobby_log: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def lines(self) -> list[str]:
        out = [check.line() for check in self.checks]
        if self.bots is not None:
            span = self.parties / max(self.placements_per_second, 1e-9)
            out.append(
                f"placements: {self.parties} parties in {span:.2f} s"
                f" = {self.placements_per_second:.1f} per second"
            )
            out.append(
                f"asking the lobby to its answer: p50 {self.lobby_p50 * 1000:.0f} ms, "
                f"p99 {self.lobby_p99 * 1000:.0f} ms; to playing: p50 "
                f"{self.to_playing_p50 * 1000:.0f} ms, p99 {self.to_playing_p99 * 1000:.0f} ms"
            )
        if self.addresses:
            out.append(", ".join(f"{k} at {v}" for k, v in self.addresses.items()))
        return out


# -- network namespaces -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Namespaces:
    """Two namespaces (lobby, servers), each joined to this one by a veth pair."""

    lobby: str
    servers: str
    lobby_ip: str = "198.18.0.2"
    servers_ip: str = "198.18.0.6"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


@contextlib.contextmanager
def namespaces() -> Iterator[Namespaces]:
    """Make the namespaces (root and `ip` needed), remove them afterwards."""
    tag = f"{os.getpid() % 100000}"
    made = Namespaces(lobby=f"cbl{tag}", servers=f"cbs{tag}")
    pairs = [
        (made.lobby, "198.18.0.1", made.lobby_ip),
        (made.servers, "198.18.0.5", made.servers_ip),
    ]
    forward = Path("/proc/sys/net/ipv4/ip_forward")
    before = forward.read_text().strip()
    try:
        for ns, outside, inside in pairs:
            _ip("netns", "add", ns)
            _ip("link", "add", f"{ns}o", "type", "veth", "peer", "name", f"{ns}i")
            _ip("link", "set", f"{ns}i", "netns", ns)
            _ip("addr", "add", f"{outside}/30", "dev", f"{ns}o")
            _ip("link", "set", f"{ns}o", "up")
            _ip("-n", ns, "addr", "add", f"{inside}/30", "dev", f"{ns}i")
            _ip("-n", ns, "link", "set", f"{ns}i", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "route", "add", "default", "via", outside)
        forward.write_text("1\n")
        yield made
    finally:
        with contextlib.suppress(OSError):
            forward.write_text(before + "\n")
        for ns, _, _ in pairs:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _ip("link", "del", f"{ns}o")
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _ip("netns", "del", ns)


def netns_problem() -> str | None:
    """Why network namespaces cannot be used here, or None."""
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    if os.geteuid() != 0:
        return "not root"
    probe = f"cbprobe{os.getpid() % 100000}"
    try:
        _ip("netns", "add", probe)
        _ip("netns", "del", probe)
    except (subprocess.SubprocessError, OSError) as error:
        return f"ip netns add failed ({getattr(error, 'stderr', '') or error})".strip()
    return None


# -- talking to the lobby and the servers --------------------------------------------------


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310
        return json.loads(answer.read())


def get_metrics(
    url: str, timeout: float = 5.0
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310
        text = answer.read().decode()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return found


def wait_for(what: str, predicate: Callable[[], bool], timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            if predicate():
                return True
        time.sleep(every)
    return False


class LobbyProcess:
    """`python -m game.lobby` as a child, its log kept; `url` once it listens."""

    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.url: str | None = None
        self._listening = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            if self.url is None and "listening on http://" in line:
                self.url = line.split("listening on ", 1)[1].split()[0]
                self._listening.set()
        self._listening.set()

    def wait_listening(self, timeout: float) -> str | None:
        self._listening.wait(timeout)
        return self.url

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            return None


# -- the run ---------------------------------------------------------------------------------


def run_fleet(
    *,
    servers: int = 4,
    bots: int = 64,
    party: int = 2,
    seconds: float = 20.0,
    seats: int = 8,
    spectators: int = 8,
    seed: int = 1,
    netns: bool = False,
    processes: int = 1,
    say: Callable[[str], None] = lambda line: None,
) -> FleetReport:
    report = FleetReport()
    work = Path(tempfile.mkdtemp(prefix="cloudbreak-fleet-"))
    key_file = work / "fleet.key"
    write_new_key(key_file)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, True)
        command = [sys.executable, "-m", "game.lobby", "--key-file", str(key_file)]
        command += ["--port", "0", "--servers", str(servers), "--rate-limit", "1000/second"]
        command += ["--seats", str(seats), "--spectators", str(spectators)]
        command += [f"--server-arg=--seed={seed}", "--log-format", "text"]
        if netns:
            ns = stack.enter_context(namespaces())
            command = ["ip", "netns", "exec", ns.lobby, *command, "--host", ns.lobby_ip]
            command += ["--server-host", ns.servers_ip, "--launcher", f"ip netns exec {ns.servers}"]
        lobby = LobbyProcess(command)
        try:
            _run(
                report,
                lobby,
                servers,
                bots,
                party,
                seconds,
                seats,
                spectators,
                seed,
                processes,
                say,
            )
        finally:
            status = lobby.stop()
            report.lobby_log = lobby.lines
            report.check("the lobby stopped cleanly (exit 0)", status == 0, f"exit status {status}")
    return report


def _run(
    report: FleetReport,
    lobby: LobbyProcess,
    servers: int,
    bots: int,
    party: int,
    seconds: float,
    seats: int,
    spectators: int,
    seed: int,
    processes: int,
    say: Callable[[str], None],
) -> None:
    url = lobby.wait_listening(START_WAIT)
    if not report.check("the lobby listens", url is not None, _tail(lobby, url is None)):
        return
    assert url is not None
    report.addresses["lobby"] = url
    say(f"lobby listening on {url}")

    def all_ready() -> bool:
        listed = get_json(url + "/v1/servers")["servers"]
        return len(listed) == servers and all(s["state"] == "Ready" for s in listed)

    ready = wait_for("servers ready", all_ready, START_WAIT)
    if not report.check(f"{servers} servers Ready", ready, _tail(lobby, not ready)):
        return
    first = get_json(url + "/v1/servers")["servers"]
    report.addresses["servers"] = ", ".join(s["address"] for s in first)
    say(f"{servers} servers ready: {report.addresses['servers']}")
    capacity = seats + spectators
    options = BotOptions(
        lobby=url, party=party, party_mix=True, coop_fraction=0.0, rejoin_fraction=0.0
    )
    plans = plan_bots(bots, seconds, seed, "bot", options)
    samples: list[dict[str, Any]] = []  # what was seen while everyone played

    def on_progress(progress: Progress) -> None:
        say(progress.line())
        if progress.connected == bots and not samples:
            samples.append(_agreement(url, bots))

    if processes > 1:
        report.bots = run_processes(
            "", 0, bots, seconds, seed, processes, options=options, on_progress=on_progress
        )
    else:
        report.bots = run_plans("", 0, plans, seconds, options=options, on_progress=on_progress)
    stats = report.bots.bots
    placed = [b for b in stats if b.server and b.ever_connected and b.dropped is None]
    report.check(
        f"every bot placed ({len(placed)}/{bots})",
        len(placed) == bots,
        "; ".join(f"{b.name}: {b.dropped or 'no server'}" for b in stats if b not in placed)[:500],
    )
    by_party: dict[int, set[str]] = {}
    for plan, bot in zip(plans, stats, strict=True):
        by_party.setdefault(plan.party, set()).add(bot.server)
    split = {p: s for p, s in by_party.items() if len(s) != 1}
    sizes = sorted(sum(1 for p in plans if p.party == n) for n in by_party)
    report.check(
        f"every party on one server ({len(by_party)} parties: "
        f"{sizes.count(1)} of one, {len(sizes) - sizes.count(1)} larger)",
        not split,
        str(split),
    )
    per_server: dict[str, int] = {}
    for bot in placed:
        per_server[bot.server] = per_server.get(bot.server, 0) + 1
    over = {s: n for s, n in per_server.items() if n > capacity}
    report.check(
        f"no server over {seats} seats + {spectators} spectators by placements",
        not over,
        f"bots per server {dict(sorted(per_server.items()))}",
    )
    if not report.check("everyone played at once (the metrics sample)", bool(samples)):
        return
    sample = samples[0]
    peak = sample["server_players"]
    report.check(
        "no server over seats + spectators by its own metrics",
        all(n <= capacity for n in peak.values())
        and all(n <= seats for n in sample["server_seats"].values()),
        f"players {peak}, seats {sample['server_seats']}",
    )
    report.check(
        "the lobby's metrics agree with the servers'",
        sample["agree"],
        f"lobby {sample['lobby_players']}, servers {peak}, placed "
        f"{sample['lobby_placed']:g} of {bots} bots",
    )
    played_slots = {int(s.split("-")[1].split(".")[0]) for s in per_server}

    def replaced() -> bool:
        listed = get_json(url + "/v1/servers")
        fresh = {
            s["slot"] for s in listed["servers"] if s["generation"] > 1 and s["state"] == "Ready"
        }
        return played_slots <= fresh

    ok = wait_for("replacements", replaced, REPLACE_WAIT)
    listed = get_json(url + "/v1/servers")
    ended = [f"{s['id']}: {s['ended']}" for s in listed.get("retired", [])]
    report.check(
        f"every played server shut down and was replaced ({len(played_slots)})",
        ok and all("Shutdown" in line for line in ended[: len(played_slots)]),
        "; ".join(ended),
    )
    waits = sorted(b.to_playing_seconds or 0.0 for b in placed)
    lobby_waits = sorted(b.lobby_seconds or 0.0 for b in placed)
    report.parties = len(by_party)
    span = max(lobby_waits) if lobby_waits else 0.0
    report.placements_per_second = report.parties / span if span > 0 else 0.0
    report.to_playing_p50, report.to_playing_p99 = percentile(waits, 0.5), percentile(waits, 0.99)
    report.lobby_p50 = percentile(lobby_waits, 0.5)
    report.lobby_p99 = percentile(lobby_waits, 0.99)


def _tail(lobby: LobbyProcess, failed: bool) -> str:
    return "\n".join(lobby.lines[-8:]) if failed else ""


def _agreement(url: str, bots: int) -> dict[str, Any]:
    """Once every bot plays: the lobby's exported players per server against each server's
    own metrics, retried until they agree or SETTLE_WAIT passes (both are polled views)."""
    deadline = time.monotonic() + SETTLE_WAIT
    while True:
        listed = get_json(url + "/v1/servers")["servers"]
        lobby = get_metrics(url + "/metrics")
        mine = {
            dict(labels)["server"]: int(value)
            for (name, labels), value in lobby.items()
            if name == "cloudbreak_lobby_server_players"
        }
        theirs, seated = {}, {}
        for server in listed:
            figures = get_metrics(server["metrics_url"])
            theirs[f"server-{server['slot']}"] = int(figures[("cloudbreak_players", ())])
            seated[f"server-{server['slot']}"] = int(figures[("cloudbreak_seats", ())])
        placed = lobby.get(("cloudbreak_lobby_players_placed_total", ()), 0.0)
        agree = mine == theirs and placed == bots and sum(theirs.values()) == bots
        if agree or time.monotonic() > deadline:
            return {
                "agree": agree,
                "lobby_players": mine,
                "server_players": theirs,
                "server_seats": seated,
                "lobby_placed": placed,
            }
        time.sleep(0.25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.fleet", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--servers", type=cli.number(int, low=1, high=16), default=4)
    parser.add_argument("--bots", type=cli.number(int, low=1), default=64)
    parser.add_argument("--party", type=cli.number(int, low=1, high=4), default=2)
    parser.add_argument("--seconds", type=cli.number(above=0), default=20.0)
    parser.add_argument("--seats", type=cli.number(int, low=1, high=16), default=8)
    parser.add_argument("--spectators", type=cli.number(int, low=0, high=64), default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--processes",
        type=cli.number(int, low=1),
        default=2,
        metavar="P",
        help="bot processes (default 2)",
    )
    parser.add_argument(
        "--netns",
        action="store_true",
        help="run the lobby and the servers in network namespaces of their own (root)",
    )
    args = parser.parse_args(argv)
    if args.netns and (problem := netns_problem()):
        print(f"error: --netns: {problem}", file=sys.stderr)
        return 2
    report = run_fleet(
        servers=args.servers,
        bots=args.bots,
        party=args.party,
        seconds=args.seconds,
        seats=args.seats,
        spectators=args.spectators,
        seed=args.seed,
        netns=args.netns,
        processes=args.processes,
        say=lambda line: print(line, file=sys.stderr, flush=True),
    )
    if report.bots is not None:
        print(report.bots.table())
    print("\n".join(report.lines()))
    if not report.ok:
        print("\n".join(report.lobby_log[-30:]), file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
