"""The load-testing bots: against an in-process server on 127.0.0.1, mostly on a manual clock.

The manual-clock tests drive the server and the bots in one loop (`tick` steps
the server, `sleep` advances the clock to the next step deadline), so they are
deterministic and take a fraction of a second. One test runs in real time and
one goes through the command line with two worker processes.
"""

from __future__ import annotations

import socket
import threading

import pytest

from engine.components import Transform
from engine.phases import Phase
from engine.time import ManualClock
from game.rules.components import Player
from game.server import GameServer
from tools.bots import (
    DEFAULT_DESYNC_BOUND,
    BotOptions,
    distance_to_path,
    main,
    parse_address,
    plan_bots,
    run_bots,
)

EVERYTHING = BotOptions(
    coop_fraction=1.0,
    coop_after=(0.5, 0.5),
    rejoin_fraction=1.0,
    leave_window=(0.4, 0.6),
    rejoin_delay=(0.5, 0.5),
)
QUIET = BotOptions(coop_fraction=0.0, rejoin_fraction=0.0)


@pytest.fixture
def manual():
    clock = ManualClock(1000.0)
    server = GameServer(port=0, seed=1, clock=clock)
    yield clock, server
    if not server.world.closed:
        server.close()


def _run(clock, server, *, bots=3, seconds=4.0, options=QUIET, tick=None, progress=None):
    host, port = server.address
    return run_bots(
        host,
        port,
        bots,
        seconds,
        seed=1,
        clock=clock,
        sleep=clock.advance,
        tick=tick or server.run_due_steps,
        on_progress=progress.append if progress is not None else None,
        options=options,
    )


def test_bots_fly_ask_for_partners_leave_rejoin_and_measure(manual):
    clock, server = manual
    positions: dict[str, set[float]] = {}

    def tick() -> None:
        server.run_due_steps()
        for _, (player, transform) in server.world.query(Player, Transform):
            positions.setdefault(player.name, set()).add(round(transform.x))

    progress = []
    report = _run(clock, server, options=EVERYTHING, tick=tick, progress=progress)

    assert [bot.name for bot in report.bots] == ["bot1", "bot2", "bot3"]
    for bot in report.bots:
        assert bot.ever_connected and bot.dropped is None, bot
        assert 15 < bot.snapshot_rate < 22
        assert bot.bytes_in > 0 and bot.bytes_out > 0
        assert bot.rtt_ms is not None and bot.rtt_ms < 100
        assert bot.desync_samples > 0 and bot.desync_max < DEFAULT_DESYNC_BOUND
        # one partner per connection: before the leave and after the rejoin
        assert (bot.partners_requested, bot.partners_granted) == (2, 2)
        assert (bot.leaves, bot.rejoins, bot.rejoins_planned) == (1, 1, 1)
    total = report.total()
    assert (total.partners_granted, total.rejoins) == (6, 3)
    assert report.failures() == [] and report.exit_status == 0
    # the autopilot flew them (sideways, off their start columns), partners included
    assert any(len(xs) > 10 for xs in positions.values())
    assert any(name.endswith(" (2)") for name in positions)
    # a progress line a second, and a table with a row per bot and a total
    assert [p.t for p in progress] == [1, 2, 3, 4]
    assert progress[0].line().startswith("t=1s bots 3/3 connected, ")
    assert "snap/s" in progress[0].line() and "desync max" in progress[0].line()
    table = report.table().splitlines()
    assert len(table) == 5 and table[-1].startswith("all 3/3")


def test_the_same_seed_gives_the_same_plan():
    plans = plan_bots(40, 60, seed=5)
    assert plans == plan_bots(40, 60, seed=5)
    assert plans != plan_bots(40, 60, seed=6)
    assert 4 <= sum(p.coop_after is not None for p in plans) <= 18  # about 1 in 4
    leaving = [p for p in plans if p.leave_at is not None]
    assert 6 <= len(leaving) <= 24  # about 1 in 3
    for plan in leaving:  # in the middle of the run, back a second before the end
        assert 18 <= plan.leave_at <= 42 and plan.leave_at + plan.rejoin_delay <= 59
        assert 1.0 <= plan.rejoin_delay <= 3.0
    assert all(p.leave_at is None for p in plan_bots(10, 1.0, seed=5))  # too short to leave


def test_a_wrong_replicated_position_is_desync(manual):
    clock, server = manual

    class ShiftFirstPlayer:  # a server bug: player 1 is replicated 40 px off where it flies
        def update(self, world, dt):
            for _, (player, transform) in world.query(Player, Transform):
                if player.player_id == 1:
                    transform.x += 40.0 if world.time.is_tick else 0.0

    server.world.add_system(ShiftFirstPlayer(), Phase.SPAWN)
    report = _run(clock, server, bots=2, seconds=3.0)

    assert report.desync_max > DEFAULT_DESYNC_BOUND
    assert report.exit_status == 1
    assert any("desync" in line and "> bound 16 px" in line for line in report.failures())


def test_a_server_that_goes_away_drops_the_bots(manual):
    clock, server = manual
    started = clock.now()

    def tick() -> None:
        if server.world.closed:
            return
        if clock.now() - started >= 1.5:
            server.close()
        else:
            server.run_due_steps()

    report = _run(clock, server, seconds=6.0, tick=tick)

    assert report.elapsed < 3.0  # nobody left to run: it stops early
    for bot in report.bots:
        assert bot.ever_connected
        assert bot.dropped == "Disconnected by the server: server shutting down"
    assert report.exit_status == 1
    assert report.failures() == ["bot1, bot2, bot3 dropped: " + report.bots[0].dropped]
    assert "DROPPED: Disconnected by the server" in report.table()


@pytest.mark.parametrize("own_tickets", [False, True], ids=["ticket-endpoint", "own-key"])
def test_bots_whose_server_goes_quiet_for_8_s_reconnect_and_carry_on(manual, own_tickets):
    clock, server = manual
    started = clock.now()

    def tick() -> None:  # the server's machine stalls from 2 s to 10 s into the run
        if not 2.0 <= clock.now() - started < 10.0:
            server.run_due_steps()
        else:
            server.loop.reset()

    key = server.key if own_tickets else None
    options = BotOptions(coop_fraction=0.0, rejoin_fraction=0.0, key=key)
    report = run_bots(
        *server.address,
        2,
        20.0,
        seed=1,
        clock=clock,
        sleep=clock.advance,
        tick=tick,
        options=options,
        desync_bound=1e9,  # the views froze during the stall: not what is measured here
    )

    for bot in report.bots:
        assert bot.dropped is None and bot.resumes == 1, bot
        # connected but for the 3 s between noticing the silence (at 7 s) and coming back
        assert 20.0 - 3.5 < bot.seconds_connected < 20.0 - 2.5
    assert "reconnected 1x" in report.table()
    assert report.exit_status == 0


def test_bots_keep_real_time():
    server = GameServer(port=0, seed=1)
    try:
        host, port = server.address
        report = run_bots(host, port, 2, 1.5, tick=server.run_due_steps, options=QUIET)
    finally:
        server.close()
    assert 1.45 <= report.elapsed < 2.0
    for bot in report.bots:
        assert bot.dropped is None and bot.snapshot_rate > 15, bot
    assert report.busy[0] < 0.9  # it slept between steps
    assert report.exit_status == 0


@pytest.mark.process
def test_the_command_line_runs_bots_in_two_processes(capsys):
    server = GameServer(port=0, seed=1)
    stop = threading.Event()
    thread = threading.Thread(target=server.serve, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        port = server.address[1]
        argv = ["--connect", f"127.0.0.1:{port}", "--bots", "2", "--seconds", "2"]
        status = main([*argv, "--processes", "2", "--name-prefix", "load"])
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()
    out, err = capsys.readouterr()
    assert status == 0, out + err
    rows = out.splitlines()
    assert rows[1].startswith("load1 ") and rows[2].startswith("load2 ")
    assert rows[3].startswith("all 2/2") and "loop busy" in rows[3]
    assert "t=1s bots 2/2 connected" in err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_server_is_status_2(capsys):
    argv = ["--connect", f"127.0.0.1:{_closed_port()}", "--bots", "1", "--seconds", "1"]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("Could not connect: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--connect", "localhost", "--bots", "1", "--seconds", "1"], "HOST:PORT"),
        (["--connect", "127.0.0.1:99999", "--bots", "1", "--seconds", "1"], "port"),
        (["--connect", "127.0.0.1:x", "--bots", "1", "--seconds", "1"], "port"),
        (["--connect", "127.0.0.1:5000", "--bots", "0", "--seconds", "1"], "--bots"),
        (["--connect", "127.0.0.1:5000", "--bots", "1", "--seconds", "0"], "--seconds"),
        (["--connect", "127.0.0.1:5000", "--bots", "1", "--seconds", "-3"], "--seconds"),
        (["--bots", "1", "--seconds", "1"], "--connect"),
    ],
)
def test_bad_arguments_are_status_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_addresses_and_paths():
    assert parse_address("127.0.0.1:5000") == ("127.0.0.1", 5000)
    assert parse_address("[::1]:7") == ("::1", 7)
    with pytest.raises(ValueError):
        parse_address(":5000")
    path = [(0.0, 0.0, 0.0), (0.1, 10.0, 0.0), (0.2, 10.0, 10.0)]
    assert distance_to_path(5.0, 3.0, path) == pytest.approx(3.0)  # beside the first segment
    assert distance_to_path(13.0, 14.0, path) == pytest.approx(5.0)  # past the end
    assert distance_to_path(1.0, 1.0, path[:1]) == pytest.approx(2**0.5)


SHIELD = "examples.mods.shield"  # replicates a component: it changes the schema hash


@pytest.fixture
def modded():
    from engine.mods import load_mods

    clock = ManualClock(1000.0)
    server = GameServer(port=0, seed=1, clock=clock, mods=load_mods([SHIELD], installed=False))
    yield clock, server
    if not server.world.closed:
        server.close()


def test_bots_with_the_servers_mods_load_test_a_modded_server(modded):
    clock, server = modded
    report = _run(
        clock,
        server,
        bots=2,
        seconds=2.0,
        options=BotOptions(coop_fraction=0.0, rejoin_fraction=0.0, mods=(SHIELD,)),
    )
    assert [bot.dropped for bot in report.bots] == [None, None]
    assert all(bot.ever_connected for bot in report.bots)
    assert report.exit_status == 0


def test_bots_without_the_servers_mods_are_refused_with_the_reason(modded):
    clock, server = modded
    report = _run(clock, server, bots=1, seconds=1.0)
    (bot,) = report.bots
    assert bot.dropped is not None and "missing mods: examples.mods.shield@1.0" in bot.dropped
    assert report.exit_status == 1


def test_a_mod_that_cannot_load_is_a_usage_error(capsys):
    assert (
        main(["--connect", "127.0.0.1:1", "--bots", "1", "--seconds", "1", "--mod", "no.such.mod"])
        == 2
    )
    assert "mod 'no.such.mod' failed to import" in capsys.readouterr().err
