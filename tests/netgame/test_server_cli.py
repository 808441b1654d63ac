"""The dedicated server as an operator runs it: `game.server.main` in-process, and its summary.

`main` builds a GameServer and serves until told to stop. These tests stand in a
GameServer that runs on a manual clock and drives a short scripted session from
`serve`, so the real `main` parses, starts, stops and prints on one thread.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time

import pytest

import game.server
from engine.mods import load_mods
from engine.net.client import NetClient
from engine.net.datagrams import MemoryNetwork
from engine.net.sync import ServerNet
from engine.time import ManualClock
from game.net.client import GameClient
from game.rules.components import Health, Player
from game.rules.content import load_content
from game.rules.difficulty import Difficulty
from game.rules.mission import RESTART_DELAY
from game.server import (
    DEFAULT_MAX_PLAYERS,
    DEFAULT_PORT,
    DEFAULT_SPECTATORS,
    GameServer,
    main,
)

STEP = 1 / 60
NOT_MY_PARENT = str(os.getppid() + 1)  # --exit-with-parent of a process that is not the parent


@pytest.fixture(autouse=True)
def keep_signal_handlers():
    """main() installs SIGINT/SIGTERM handlers: put pytest's back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


class Started:
    """Servers main() started, with what each saw while serving."""

    def __init__(self) -> None:
        self.servers: list[GameServer] = []
        self.script = None  # run inside serve(): script(server, should_stop)
        self.stopped_at_once: list[bool] = []


@pytest.fixture
def started(monkeypatch) -> Started:
    record = Started()

    class ScriptedServer(GameServer):
        def __init__(self, **options) -> None:
            super().__init__(clock=ManualClock(500.0), **options)
            record.servers.append(self)

        def serve(self, should_stop) -> None:
            if record.script is not None:
                record.script(self, should_stop)
            record.stopped_at_once.append(should_stop())
            super().serve(should_stop)

    monkeypatch.setattr(game.server, "GameServer", ScriptedServer)
    return record


def summary_lines(capsys) -> list[str]:
    return capsys.readouterr().out.strip().splitlines()


def test_an_idle_server_started_and_stopped_prints_an_empty_summary(started, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="game.server"):
        code = main(["--port", "0", "--exit-with-parent", NOT_MY_PARENT])
    assert code == 0
    assert summary_lines(capsys) == [
        "uptime: 0.0 s, 0 steps",
        "players joined: 0, dropped for errors or timeouts: 0",
        "missions started: 0",
        "step time: median 0.000 ms, p99 0.000 ms",
    ]
    (server,) = started.servers
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0].startswith("listening on 127.0.0.1:")
    port = int(messages[0].split("listening on 127.0.0.1:", 1)[1].split(" ", 1)[0])
    assert port > 0
    assert messages[0].endswith(" (UDP+TCP); open to anyone who asks")
    assert f"the hosting game (pid {NOT_MY_PARENT}) is gone" in messages
    assert messages[-1] == "stopped"
    assert server.world.closed


def test_the_defaults_are_8_seats_8_spectators_port_5000_on_localhost(started, monkeypatch):
    asked = {}

    class Socket:
        """Stands in for both sockets: records where the server asked to listen."""

        def __init__(self, host, port, **options) -> None:
            asked.setdefault("addresses", []).append((host, port))
            self.address = (host, port)

        @classmethod
        def bind(cls, host, port):
            return cls(host, port)

        def filenos(self):
            return []

        def close(self) -> None:
            pass

        def __getattr__(self, name):  # accept and do nothing for the rest
            return lambda *args, **kwargs: []

    monkeypatch.setattr(game.server, "UdpSocket", Socket)
    monkeypatch.setattr(game.server, "TcpDatagramServer", Socket)
    assert main(["--exit-with-parent", NOT_MY_PARENT]) == 0
    (server,) = started.servers
    assert asked["addresses"] == [("127.0.0.1", DEFAULT_PORT)] * 2  # UDP, then TCP
    assert DEFAULT_PORT == 5000
    assert server.max_players == DEFAULT_MAX_PLAYERS == 8
    assert server.net.max_peers == DEFAULT_MAX_PLAYERS + DEFAULT_SPECTATORS == 16


def test_seats_spectators_host_and_seed_reach_the_server(started, capsys):
    seen = {}

    def script(server, should_stop):
        seen["address"] = server.address
        seen["first draw"] = server.world.rng.random()

    started.script = script
    args = ["--host", "127.0.0.2", "--port", "0", "--max-players", "3", "--spectators", "5"]
    assert main([*args, "--seed", "42", "--exit-with-parent", NOT_MY_PARENT]) == 0
    (server,) = started.servers
    assert server.max_players == 3
    assert server.net.max_peers == 3 + 5
    assert seen["address"][0] == "127.0.0.2" and seen["address"][1] > 0  # a loopback too
    same_seed = GameServer(listen=False, seed=42, max_players=3)
    try:
        assert seen["first draw"] == same_seed.world.rng.random()
    finally:
        same_seed.close()


@pytest.mark.parametrize(("flags", "level"), [([], "normal"), (["--difficulty", "hard"], "hard")])
def test_the_difficulty_reaches_the_rules_normal_by_default(started, caplog, flags, level):
    with caplog.at_level(logging.INFO, logger="game.server"):
        assert main(["--port", "0", *flags, "--exit-with-parent", NOT_MY_PARENT]) == 0
    (server,) = started.servers
    assert server.difficulty == level
    assert f"difficulty: {level}" in [r.getMessage() for r in caplog.records]
    same = GameServer(listen=False, seed=1, difficulty=level)
    try:
        assert same.world.resource(Difficulty) == load_content().difficulty(level)
    finally:
        same.close()


@pytest.mark.parametrize(("flags", "cap"), [([], None), (["--snapshot-budget", "600"], 600)])
def test_the_snapshot_budget_reaches_the_replication_none_by_default(started, flags, cap):
    assert main(["--port", "0", *flags, "--exit-with-parent", NOT_MY_PARENT]) == 0
    (server,) = started.servers
    assert server.world.resource(ServerNet).snapshot_budget == cap


def test_an_unknown_difficulty_is_refused():
    with pytest.raises(ValueError, match="difficulty must be one of easy, normal, hard, got 'x'"):
        GameServer(listen=False, difficulty="x")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_stop_the_server_cleanly(started, capsys, signum):
    started.script = lambda server, should_stop: signal.raise_signal(signum)
    assert main(["--port", "0"]) == 0
    assert started.stopped_at_once == [True]
    assert summary_lines(capsys)[0] == "uptime: 0.0 s, 0 steps"


def test_a_server_not_told_to_stop_keeps_serving(started, capsys):
    checks = []

    def script(server, should_stop):
        checks.append(should_stop())
        signal.raise_signal(signal.SIGTERM)

    started.script = script
    assert main(["--port", "0", "--exit-with-parent", str(os.getppid())]) == 0
    assert checks == [False]  # its parent is alive and no signal came


def test_the_summary_counts_steps_players_and_missions_of_the_session(started, capsys):
    def script(server, should_stop):
        clock = server.clock
        network = MemoryNetwork()
        at = server.join_memory_network(network)
        alice = GameClient.with_ticket(
            server.ticket("alice", servers=[at]), "alice", clock=clock, socket=network.bind()
        )
        try:
            for _ in range(90):
                clock.advance(STEP)
                server.step()
                alice.step()
            assert alice.own_aircraft()
        finally:
            alice.close()
        signal.raise_signal(signal.SIGTERM)  # the first drains (alice's goodbye is unread),
        signal.raise_signal(signal.SIGTERM)  # a second stops at once: no step more

    started.script = script
    assert main(["--port", "0"]) == 0
    assert summary_lines(capsys)[:3] == [
        "uptime: 1.5 s, 90 steps",
        "players joined: 1, dropped for errors or timeouts: 0",
        "missions started: 1",
    ]


def test_a_busy_port_is_a_one_line_error_and_exit_2(capsys):
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    finally:
        taken.close()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use"
    ]


def test_an_unknown_mod_is_a_one_line_error_and_exit_2(capsys):
    assert main(["--port", "0", "--mod", "no_such_mod_here"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "no_such_mod_here" in err[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--max-players", "0"], "--max-players"),
        (["--max-players", "17"], "--max-players"),
        (["--max-players", "many"], "--max-players"),
        (["--port", "65536"], "--port"),
        (["--port", "-1"], "--port"),
        (["--spectators", "65"], "--spectators"),
        (["--seed", "abc"], "--seed"),
        (["--log-level", "LOUD"], "--log-level"),
        (["--exit-with-parent", "me"], "--exit-with-parent"),
        (["--players", "2"], "unrecognized arguments"),
        (["--difficulty", "insane"], "--difficulty"),
        (["--metrics-port", "65536"], "--metrics-port"),
        (["--metrics-port", "web"], "--metrics-port"),
        (["--drain-seconds", "9"], "--drain-seconds"),
        (["--log-format", "xml"], "--log-format"),
        (["--snapshot-budget", "100"], "--snapshot-budget"),
        (["--snapshot-budget", "lots"], "--snapshot-budget"),
    ],
)
def test_bad_flags_are_one_line_errors_and_exit_2(capsys, args, words):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    error = captured.err.strip().splitlines()[-1]
    assert error.startswith("python -m game.server: error:")
    assert words in error


@pytest.mark.parametrize("seats", [1, 16])
def test_one_to_sixteen_seats_are_accepted(started, seats):
    args = ["--port", "0", "--max-players", str(seats), "--spectators", "0"]
    assert main([*args, "--exit-with-parent", NOT_MY_PARENT]) == 0
    assert started.servers[0].max_players == seats
    assert started.servers[0].net.max_peers == seats
    assert load_content().battlefield.max_players == 16


# -- GameServer.summary ------------------------------------------------------------------------


def join_in_memory(server: GameServer, name: str) -> NetClient:
    """A NetClient on the server's in-memory network (made on first use)."""
    network = getattr(server, "test_network", None)
    if network is None:
        network = server.test_network = MemoryNetwork()
        server.join_memory_network(network)
    return NetClient(
        name=name,
        schema=server.net.schema,
        now=server.clock.now(),
        token=server.ticket(name),
        socket=network.bind(),
    )


def test_summary_reports_uptime_steps_joins_drops_and_missions():
    clock = ManualClock(100.0)
    server = GameServer(listen=False, seed=1, clock=clock)
    try:
        quiet = server.summary()
        assert (quiet.uptime, quiet.steps, quiet.peers_joined, quiet.peers_dropped) == (0, 0, 0, 0)
        assert quiet.missions_started == 0
        alice, bob = join_in_memory(server, "alice"), join_in_memory(server, "bob")
        for step in range(360):
            clock.advance(STEP)
            server.step()
            alice.poll(clock.now())
            alice.flush(clock.now())
            if step < 20:  # bob says hello, then goes silent: dropped after the timeout
                bob.poll(clock.now())
                bob.flush(clock.now())
        summary = server.summary()
        assert summary.uptime == pytest.approx(6.0)
        assert summary.steps == 360
        assert summary.peers_joined == 2
        assert summary.peers_dropped == 1
        assert summary.missions_started == 1
        for _, (_player, health) in server.world.query(Player, Health):
            health.hitpoints = 0  # the mission fails, and restarts after its pause
        for _ in range(round((RESTART_DELAY + 0.5) / STEP)):
            clock.advance(STEP)
            server.step()
            alice.poll(clock.now())
            alice.flush(clock.now())
        assert server.summary().missions_started == 2
        assert server.summary().lines()[2] == "missions started: 2"
    finally:
        server.close()


def test_summary_step_times_are_the_median_and_the_99th_percentile():
    server = GameServer(listen=False, seed=1, clock=ManualClock())
    try:
        server.step_times.extend(i / 1000 for i in range(200, 0, -1))  # 1..200 ms, any order
        summary = server.summary()
        assert summary.step_median_ms == pytest.approx(100.5)
        assert summary.step_p99_ms == pytest.approx(199.0)
        assert summary.lines()[3] == "step time: median 100.500 ms, p99 199.000 ms"
        server.step_times.clear()
        server.step_times.extend(i / 1000 for i in range(1, 101))  # 1..100 ms
        assert server.summary().step_p99_ms == pytest.approx(100.0)
        assert server.summary().step_median_ms == pytest.approx(50.5)
        server.step_times.clear()
        server.step_times.append(0.004)
        assert server.summary().lines()[3] == "step time: median 4.000 ms, p99 4.000 ms"
    finally:
        server.close()


def test_a_server_that_steps_records_each_step_time():
    server = GameServer(listen=False, seed=1, clock=ManualClock())
    try:
        for _ in range(5):
            server.step()
        assert len(server.step_times) == 5
        summary = server.summary()
        assert 0 < summary.step_median_ms <= summary.step_p99_ms
    finally:
        server.close()


# -- what --help tells an operator -------------------------------------------------------------

HELP = {  # option (as the usage shows it) -> what its help says, range and default included
    "--host HOST": "address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)",
    "--port PORT": "port, UDP and TCP alike (default 5000)",
    "--transport {udp,tcp,both}": "udp (the game's own), tcp (a fallback for networks that "
    "block UDP) or both (default)",
    "--key-file FILE": "the key tickets are made with (python -m game.token --new-key FILE): "
    "only their holders get in; without it the server hands out tickets itself (--open)",
    "--open": "hand a ticket to anyone who asks on this port (players Join by address); the "
    "default without --key-file",
    "--public-address HOST:PORT": "an address players reach this server at that it cannot see "
    "itself (behind a NAT); tickets may name it (repeatable)",
    "--max-players MAX_PLAYERS": "aircraft seats, 1..16; a co-op partner takes one too (default 8)",
    "--spectators SPECTATORS": "connections that may watch while every seat is taken, waiting "
    "in line for the next free one, 0..64 (default 8)",
    "--seed SEED": "random seed (default: time)",
    "--difficulty {easy,normal,hard}": "how hard the enemies are: their fire, hit points and "
    "waves (default normal)",
    "--mod MODULE": "load a mod (repeatable); installed cloudbreak.mods are loaded too",
    "--exit-with-parent PID": "stop when process PID (the hosting game) is gone",
    "--log-format {text,json}": "text (default) or json: one JSON object per line with time, "
    "level, logger, message and the record's extra fields",
    "--metrics-port PORT": "serve Prometheus metrics at http://HOST:PORT/metrics, HOST being "
    "--host (0: any free port; default: no metrics)",
    "--agones": "run under Agones: talk to its SDK sidecar on localhost:$AGONES_SDK_HTTP_PORT "
    "(default 9358): Ready, health every 2 s, labels, player tracking, Shutdown",
    "--drain-seconds S": "on SIGTERM or Ctrl-C, admit nobody and let the players play on for up "
    "to S seconds before closing, 0..8 (default 5); a second signal stops at once",
}


def test_help_names_each_option_with_its_range_and_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one line per option
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m game.server ")
    assert "\n\nRun a headless Cloudbreak server.\n\n" in out
    words = " ".join(out.split()) + " "
    for option, text in HELP.items():
        assert f" {option} {text} " in words, option
    assert " --log-level {DEBUG,INFO,WARNING,ERROR} " in words


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--max-players", "2.5"), ("--spectators", "1.5"), ("--port", "80.5"), ("--port", "x")],
)
def test_counts_and_ports_must_be_whole_numbers(capsys, flag, value):
    with pytest.raises(SystemExit) as exit_info:
        main([flag, value])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"argument {flag}: must be a whole number, got '{value}'" in error


@pytest.mark.parametrize(("flags", "level"), [([], "INFO"), (["--log-level", "DEBUG"], "DEBUG")])
def test_the_log_shows_time_level_and_message_from_info_by_default(
    started, monkeypatch, flags, level
):
    chosen = {}
    monkeypatch.setattr(
        game.server.logging, "basicConfig", lambda **options: chosen.update(options)
    )
    assert main(["--port", "0", *flags, "--exit-with-parent", NOT_MY_PARENT]) == 0
    assert chosen == {"level": level, "format": "%(asctime)s %(levelname)s %(message)s"}


# -- GameServer's set-up -----------------------------------------------------------------------


def test_a_game_mode_gets_a_seat_per_connection_and_no_spectator_room():
    mods = load_mods(["examples.mods.tiles"], installed=False)
    server = GameServer(listen=False, seed=1, clock=ManualClock(), max_players=3, mods=mods)
    try:
        assert server.net.max_peers == 3
        assert server.mods == tuple(mod.ident for mod in mods) == ("examples.mods.tiles@1.0",)
        server.step()
        summary = server.summary()
        assert summary.missions_started == 0  # the shooter's missions are not the mode's
        assert summary.lines()[2] == "missions started: 0"
    finally:
        server.close()


@pytest.mark.parametrize("seats", [0, -1])
def test_no_seats_is_refused(seats):
    with pytest.raises(ValueError, match=r"max players must be 1\.\.16 \(aircraft on the"):
        GameServer(listen=False, max_players=seats)


def test_a_server_without_a_listener_has_no_address():
    server = GameServer(listen=False, seed=1, clock=ManualClock())
    try:
        with pytest.raises(RuntimeError, match="does not listen"):
            _ = server.address
    finally:
        server.close()


def test_joining_a_closed_server_by_address_says_it_hands_out_no_tickets():
    server = GameServer(host="127.0.0.1", port=0, key=bytes(32), seed=1)
    host, port = server.address
    client = GameClient.connect(host, port, "ada")
    try:
        deadline = time.monotonic() + 10
        while client.close_reason is None and time.monotonic() < deadline:
            server.run_due_steps()
            client.run_due_steps()
        assert client.close_reason == (
            f"Could not connect: {host}:{port} refused a ticket: "
            "this server hands out no tickets; ask its operator for one"
        )
    finally:
        client.world.close()
        server.close()


def test_a_metrics_port_in_use_is_a_one_line_error_and_exit_2(capsys):
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", "0", "--metrics-port", str(port)]) == 2
    finally:
        taken.close()
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: cannot serve metrics on 127.0.0.1:{port}: already in use"
    ]
