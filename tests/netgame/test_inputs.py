"""Redundant inputs: each PlayerInputs repeats the sender's last INPUT_HISTORY ticks, and the
server applies each step once, oldest first, within the speed budget.

Two halves. Over a lossy in-memory network, real clients fly a scripted path, fire
and launch missiles while the server's copy is compared with what they sent, step by
step. Then forged histories (bare connections on a perfect network, test_authority's
Table) try to gain distance, missiles or someone else's aircraft.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import Phase
from engine.components import Transform
from engine.net.datagrams import Conditions
from game.net.budget import BUDGET_SECONDS, MAX_STEPS_AHEAD, InputLedger, MoveBudget
from game.net.client import GameClient
from game.net.commands import MAX_PENDING_MISSILES
from game.net.protocol import (
    INPUT_HISTORY,
    PlayerAction,
    PlayerEvent,
    PlayerInputs,
    PlayerRealtimeChange,
    PositionCorrection,
)
from game.net.schema import shooter_schema
from game.net.seats import Roster
from game.rules.battlefield import Battlefield
from game.rules.components import Health, PlayerInput, Weapon
from game.server import GameServer
from tests.netgame.conftest import Harness
from tests.netgame.test_authority import CONTENT, STEP, TOP_SPEED, Table, inputs, place

TICK = 3  # client steps between two entries (20 Hz)


# -- the message -----------------------------------------------------------------------------

GRID = st.integers(-16384 * 8, 16384 * 8).map(lambda key: key / 8)  # positions on the wire
ENTRY = st.tuples(GRID, GRID, st.booleans())


@given(
    step=st.integers(INPUT_HISTORY * 60, 2**32 - 1),
    spacing=st.integers(1, 60),
    aircraft=st.dictionaries(
        st.integers(0, 2**32 - 1),
        st.tuples(st.integers(0, 2**32 - 1), st.lists(ENTRY, min_size=1, max_size=INPUT_HISTORY)),
        min_size=1,
        max_size=2,
    ),
)
def test_inputs_cross_the_wire_exactly(step, spacing, aircraft):
    table = shooter_schema().messages.to_server
    message = table.decode(table.encode(PlayerInputs.pack(step, spacing, aircraft)))
    unpacked = {a.aircraft: a for a in message.unpack()}
    assert sorted(unpacked) == sorted(aircraft)
    for net_id, (missiles, entries) in aircraft.items():
        got = unpacked[net_id]
        assert got.missiles == missiles
        assert [(e.x, e.y, e.fire) for e in reversed(got.entries)] == entries
        assert [e.step for e in reversed(got.entries)] == [
            step - i * spacing for i in range(len(entries))
        ]


def test_a_steady_course_costs_a_byte_a_coordinate_per_older_entry():
    table = shooter_schema().messages.to_server
    path = [(500.0 - 10 * i, 4000.0 + 12.5 * i, True) for i in range(INPUT_HISTORY)]
    one = len(table.encode(PlayerInputs.pack(3000, 3, {7: (2, path[:1])})))
    full = len(table.encode(PlayerInputs.pack(3000, 3, {7: (2, path)})))
    # The first move (10 and 12.5 px: 2 bytes a coordinate), then no change of course.
    assert full - one == 2 + 2 + 2 * (INPUT_HISTORY - 2)
    assert (one, full) == (14, 22)


# -- over a lossy network --------------------------------------------------------------------


class Flight:
    """A server, alice on a lossy link flying a scripted path, and bob watching on a perfect
    one; records what alice sent and where the server had her aircraft each step."""

    def __init__(self, loss: float, *, duplicate: float = 0.0, reorder: float = 0.0, seed: int = 5):
        self.harness = Harness(udp=False, seed=seed)
        server: GameServer = self.harness.server
        self.server = server
        lossy = Conditions(loss=loss, duplicate=duplicate, reorder=reorder)
        self.socket = self.harness.network.bind(conditions=lossy)
        self.alice = GameClient.with_ticket(
            server.ticket("alice"), "alice", clock=self.harness.clock, socket=self.socket
        )
        self.harness.clients.append(self.alice)
        self.sent: dict[int, tuple[float, float]] = {}  # alice's step -> (x, y) she sent
        send = self.alice.net.send

        def record(message):  # noqa: ANN001, ANN202
            if isinstance(message, PlayerInputs):
                (mine,) = message.unpack()
                newest = mine.entries[-1]
                self.sent[newest.step] = (newest.x, newest.y)
            send(message)

        self.alice.net.send = record
        self.harness.run_until(lambda: bool(self.alice.own_aircraft()), what="alice's aircraft")
        self.bob = self.harness.join("bob")
        self.heard: list = []  # what bob is told of alice's fire and missiles
        self.bob.world.add_system(
            lambda w, dt: self.heard.extend(
                (*w.events.read(PlayerRealtimeChange), *w.events.read(PlayerEvent))
            ),
            Phase.PRESENT,
        )
        seat = next(s for s in server.world.resource(Roster).seats.values() if s.name == "alice")
        self.net_id, self.entity = seat.net_id, seat.entity
        world = server.world
        health = world.component(self.entity, Health)
        health.hitpoints = health.max_hitpoints = 10**6  # nothing ends the flight
        world.component(self.entity, Weapon).missiles = 10**3
        self.track: list[tuple[int, int, float, float]] = []  # (alice's step, applied, x, y)

    @property
    def ledger(self) -> InputLedger:
        return self.server.world.component(self.entity, InputLedger)

    def fly(self, steps: int, *, presses_every: int = 0, toggle_every: int = 0) -> int:
        """Fly a zigzag for `steps` in the middle of the view, pressing for a missile and
        toggling fire as told; the number of missiles asked for."""
        where = self.server.world.component(self.entity, Transform)
        presses = 0
        for i in range(steps):
            phase = (i // 40) % 4
            move_x = (1.0, 0.3, -1.0, -0.3)[phase]
            move_y = (-0.75, 0.25, -0.75, 0.25)[phase]  # with the view, up at 50 px/s
            fire = None
            if toggle_every and i % toggle_every == 0:
                fire = (i // toggle_every) % 2 == 0
            missile = bool(presses_every) and i % presses_every == 0
            presses += missile
            self.alice.control(0, move_x=move_x, move_y=move_y, fire=fire, missile=missile)
            self.harness.step()
            self.track.append((self.alice.world.time.step, self.ledger.last_step, where.x, where.y))
        return presses

    def settle(self) -> None:
        """Stop sending losses for a moment: a lossless second to end on."""
        self.socket.line.conditions = Conditions()
        self.harness.step(60)

    def close(self) -> None:
        self.harness.close()


@pytest.fixture
def flight(request):
    made = Flight(**request.param)
    yield made
    made.close()


def applied_path(flight: Flight) -> list[tuple[int, int]]:
    """(alice's step, server's last applied step) for every step once inputs were applied."""
    return [(now, applied) for now, applied, _, _ in flight.track if applied >= 0]


@pytest.mark.parametrize("flight", [{"loss": 0.05}], indirect=True)
def test_at_5_percent_loss_the_server_follows_the_path_with_no_gap(flight):
    flight.fly(600)  # ten seconds
    lost = flight.socket.line.lost
    assert lost >= 10  # the run did lose packets
    ledger = flight.ledger
    # Every step the server holds alice's aircraft exactly where she was at the last
    # step it applied (her positions are on the wire's 1/8 px grid, so exactly).
    for _, applied, x, y in flight.track:
        if applied >= 0:
            assert (x, y) == flight.sent[applied], applied
    # No gap: every tick she sent up to the last applied was applied, once.
    assert ledger.applied == sum(1 for step in flight.sent if step <= ledger.last_step)
    # A lost packet costs a tick of delay, never a position: the next one carries it. The
    # server applies her tick 2-4 of her steps later (the packet of her tick arrives in its
    # next step), 5-7 for the three steps after a loss (this run loses no two in a row).
    lags = [now - applied for now, applied in applied_path(flight)]
    assert max(lags) <= 2 * TICK + 1
    assert sum(lag > TICK + 1 for lag in lags) <= TICK * lost
    budget = flight.server.world.component(flight.entity, MoveBudget)
    assert budget.refused == 0 and flight.alice.session.corrections == 0
    assert ledger.ahead == 0


@pytest.mark.parametrize("flight", [{"loss": 0.2, "duplicate": 0.1, "seed": 4}], indirect=True)
def test_at_20_percent_loss_entries_are_lost_only_with_four_packets_in_a_row(flight):
    flight.fly(600)
    assert flight.socket.line.lost >= 30
    ledger = flight.ledger
    for _, applied, x, y in flight.track:
        if applied >= 0:
            assert (x, y) == flight.sent[applied]
    sent_before = sum(1 for step in flight.sent if step <= ledger.last_step)
    # An entry is lost only when the INPUT_HISTORY packets carrying it all are: gaps in
    # the applied steps longer than that are the only ones.
    steps = [applied for _, applied in applied_path(flight)]
    jumps = [b - a for a, b in zip(steps, steps[1:], strict=False) if b != a]
    missing = sum(jump // TICK - INPUT_HISTORY for jump in jumps if jump > INPUT_HISTORY * TICK)
    assert ledger.applied == sent_before - missing
    assert 0 < missing <= 0.01 * sent_before  # (this run has one: five packets lost in a row)
    budget = flight.server.world.component(flight.entity, MoveBudget)
    assert budget.refused == 0 and flight.alice.session.corrections == 0  # never corrected


@pytest.mark.parametrize(
    "flight",
    [{"loss": 0.05, "duplicate": 0.3}, {"loss": 0.2, "duplicate": 0.3, "reorder": 0.2}],
    indirect=True,
    ids=["5%-loss-30%-duplicates", "20%-loss-30%-duplicates-20%-reordered"],
)
def test_each_missile_asked_for_is_launched_once_and_fire_changes_arrive(flight):
    weapon = flight.server.world.component(flight.entity, Weapon)
    before = weapon.missiles
    presses = flight.fly(720, presses_every=25, toggle_every=90)
    flight.settle()
    assert flight.socket.line.duplicated > 20
    assert presses == 29
    assert before - weapon.missiles == presses  # launched: each once, none lost
    assert flight.ledger.missiles == presses
    launch = PlayerEvent(flight.net_id, PlayerAction.LAUNCH_MISSILE)
    told = [m for m in flight.heard if isinstance(m, PlayerEvent)]
    assert told == [launch] * presses  # bob is told of each, once
    changes = [m.active for m in flight.heard if isinstance(m, PlayerRealtimeChange)]
    assert changes == [True, False] * 4  # eight toggles, each heard once, in order
    assert not flight.server.world.component(flight.entity, PlayerInput).fire


# -- forged histories ------------------------------------------------------------------------


@pytest.fixture
def table():
    made = Table()
    yield made
    made.close()


def send_path(table: Table, player, step: int, path, *, spacing: int = TICK, missiles=0):  # noqa: ANN001
    """One PlayerInputs for the player's aircraft: `path` oldest first, the newest at `step`."""
    entries = [(x, y, False) for x, y in reversed(path)]
    player.send(PlayerInputs.pack(step, spacing, {player.aircraft: (missiles, entries)}))
    table.step()


def rested(table: Table, player) -> Transform:  # noqa: ANN001
    """The player's aircraft mid-view with a full budget, and one entry applied there at the
    server's step (the client's clock, for these bare players)."""
    where = place(table, player, 500, table.world.resource(Battlefield).view_bottom - 300)
    step = table.world.time.step
    player.send(inputs(step, player.aircraft, where.x, where.y))
    table.step(31)  # half a second: the budget is full again
    return where


def distance(a: tuple[float, float], b: Transform) -> float:
    return math.hypot(b.x - a[0], b.y - a[1])


def test_a_client_reporting_every_tick_cannot_bank_a_rest_and_burst(table):
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    start = (where.x, where.y)
    # A tick after her last entry she claims to be 100 px on: the budget has 143 px, but a
    # tick of flying covers 14.4.
    send_path(table, alice, ledger.last_step + TICK, [(where.x, where.y - 100)])
    assert distance(start, where) == pytest.approx(TOP_SPEED * TICK * STEP)
    assert alice.got(PositionCorrection)


def test_invented_steps_far_ahead_are_refused_and_the_next_true_ones_apply(table):
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    start, last = (where.x, where.y), ledger.last_step
    far = last + 10_000  # claims three minutes passed
    send_path(table, alice, far, [(where.x, where.y - 140)])
    assert (where.x, where.y) == start and ledger.last_step == last and ledger.ahead == 1
    step = table.world.time.step
    send_path(table, alice, step, [(where.x + 5, where.y)])  # her true clock goes on
    assert (where.x, where.y) == (start[0] + 5, start[1]) and ledger.last_step == step


def test_a_teleport_split_over_the_entries_of_one_packet_moves_what_their_steps_allow(table):
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    start = (where.x, where.y)
    # Four entries a step apart, 30 px each: 120 px in the three steps the entries cover
    # since the last applied (plus the one from it to the first).
    first = ledger.last_step + 1
    path = [(where.x, where.y - 30 * (i + 1)) for i in range(INPUT_HISTORY)]
    send_path(table, alice, first + INPUT_HISTORY - 1, path, spacing=1)
    assert ledger.applied == 1 + INPUT_HISTORY
    assert distance(start, where) == pytest.approx(TOP_SPEED * INPUT_HISTORY * STEP)
    assert alice.got(PositionCorrection)[-1].y == pytest.approx(where.y, abs=0.125)


@pytest.mark.parametrize("hack", ["runaway clock", "clock at the limit"])
def test_invented_steps_buy_no_more_distance_than_the_servers_clock_gives(table, hack):
    """Speed hacks: every tick a packet of entries half a second apart (the most a gap is
    credited), each 140 px on from the last. "runaway clock": each packet's steps claim two
    seconds more; "clock at the limit": its newest entry is half a second past the latest
    step the server believes, the others within it. Over two seconds of the server's time
    the aircraft flies at most two and a half seconds' worth (the rested budget and what the
    server's steps refill), however far the steps run."""
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    budget = table.world.component(table.aircraft(alice), MoveBudget)
    start = (where.x, where.y)
    spacing, claimed, x = 30, ledger.last_step, where.x
    seconds, cap, spent = 2.0, TOP_SPEED * BUDGET_SECONDS, 0.0
    for _ in range(round(seconds / (TICK * STEP))):
        if hack == "runaway clock":
            claimed += INPUT_HISTORY * spacing
        else:
            claimed = ledger.limit(table.world.time.step) + spacing
        path = []
        for _ in range(INPUT_HISTORY):
            x = 60 + (x + 140 - 60) % 900  # back and forth across the view
            path.append((x, where.y, False))
        alice.send(PlayerInputs.pack(claimed, spacing, {alice.aircraft: (0, path)}))
        for _ in range(TICK):  # each step refills the budget, then a packet may spend it
            before = budget.pixels
            table.step()
            spent += min(cap, before + TOP_SPEED * STEP) - budget.pixels
    allowed = TOP_SPEED * (seconds + BUDGET_SECONDS)
    assert spent <= allowed + 1e-6  # the length of the path the server flew it
    assert distance(start, where) <= allowed
    assert ledger.ahead > 10  # the steps past the limit were refused
    assert ledger.last_step <= table.world.time.step + MAX_STEPS_AHEAD + 3  # clock bounded
    if hack == "clock at the limit":
        assert budget.refused > 10  # corrected, again and again
        assert spent > 0.9 * allowed  # (it did fly flat out: as fast as an honest pilot)


def test_a_replayed_packet_changes_nothing(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    intent = table.world.component(table.aircraft(alice), PlayerInput)
    weapon = table.world.component(table.aircraft(alice), Weapon)
    missiles = weapon.missiles
    step = ledger.last_step + TICK
    packet = PlayerInputs.pack(
        step, TICK, {alice.aircraft: (2, [(where.x + 6, where.y, True), (where.x, where.y, False)])}
    )
    alice.send(packet)
    table.step()
    after = (where.x, where.y, ledger.applied, ledger.missiles)
    assert where.x == pytest.approx(500 + 6) and ledger.missiles == 2
    told = (len(bob.got(PlayerEvent)), len(bob.got(PlayerRealtimeChange)))
    assert told == (2, 1)
    for _ in range(5):
        alice.send(packet)
        table.step(3)
    table.step(round(3 * CONTENT.firing.missile_interval / STEP))  # time to fly all queued
    assert (where.x, where.y, ledger.applied, ledger.missiles) == after
    assert (len(bob.got(PlayerEvent)), len(bob.got(PlayerRealtimeChange))) == told
    assert missiles - weapon.missiles == 2  # launched once each
    assert intent.fire  # and the trigger is still held: repeats release nothing


def test_an_older_packet_overtaken_by_a_newer_one_is_ignored(table):
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    step = ledger.last_step
    newer = PlayerInputs.pack(
        step + 6, TICK, {alice.aircraft: (0, [(where.x + 8, where.y, False)])}
    )
    older = PlayerInputs.pack(
        step + 3, TICK, {alice.aircraft: (0, [(where.x + 4, where.y, False)])}
    )
    alice.send(newer, older)
    table.step()
    assert where.x == pytest.approx(508) and ledger.last_step == step + 6 and ledger.applied == 2


def test_repeated_entries_in_one_packet_are_applied_once(table):
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    applied, step = ledger.applied, ledger.last_step + TICK
    path = [(where.x + 10 * (i + 1), where.y) for i in range(INPUT_HISTORY)]
    send_path(table, alice, step, path, spacing=0)  # four entries, one step
    assert ledger.applied == applied + 1 and ledger.last_step == step
    assert where.x == pytest.approx(510)  # the oldest; the rest repeat its step


def test_a_running_missile_count_queues_at_most_three_however_large_or_repeated(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    weapon = table.world.component(table.aircraft(alice), Weapon)
    weapon.missiles = 100
    step = ledger.last_step
    drain = round(5 * CONTENT.firing.missile_interval / STEP)
    for i, count in enumerate((2**32 - 1, 5, 2**32 - 1), start=1):  # huge, fallen, repeated
        alice.send(inputs(step + i * TICK, alice.aircraft, where.x, where.y, missiles=count))
        table.step(drain)
        assert len(bob.got(PlayerEvent)) == MAX_PENDING_MISSILES  # not four billion, once
        assert 100 - weapon.missiles == MAX_PENDING_MISSILES
    assert ledger.missiles == 2**32 - 1


def test_a_tap_carried_only_by_a_lost_packet_still_fires_once(table):
    alice, bob = table.sit("alice"), table.sit("bob")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    intent = table.world.component(table.aircraft(alice), PlayerInput)
    step = ledger.last_step + 2 * TICK
    tap = [(where.x, where.y, False), (where.x, where.y, True)]  # newest first: released
    alice.send(PlayerInputs.pack(step, TICK, {alice.aircraft: (0, tap)}))
    table.step()
    assert intent.fire  # held for this step: the press came in the lost packet
    alice.send(inputs(step + TICK, alice.aircraft, where.x, where.y))
    table.step()
    assert not intent.fire
    assert [m.active for m in bob.got(PlayerRealtimeChange)] == [True, False]


def test_at_most_three_missiles_wait_their_turn_across_packets(table):
    alice = table.sit("alice")
    where = rested(table, alice)
    ledger = table.world.component(table.aircraft(alice), InputLedger)
    weapon = table.world.component(table.aircraft(alice), Weapon)
    weapon.missiles = 100
    step = ledger.last_step
    alice.send(inputs(step + TICK, alice.aircraft, where.x, where.y, missiles=3))
    table.step()  # three queued; the first flies at once
    alice.send(inputs(step + 2 * TICK, alice.aircraft, where.x, where.y, missiles=6))
    table.step(round(8 * CONTENT.firing.missile_interval / STEP))
    assert 100 - weapon.missiles == 1 + MAX_PENDING_MISSILES  # two waiting, then three
