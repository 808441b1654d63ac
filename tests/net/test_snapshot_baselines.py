"""Deltas from any acknowledged tick: what the encoder writes from an older baseline (read off
the wire), which encodings peers share, and what a client makes of snapshots lost, late or
twice over."""

from __future__ import annotations

import pytest

from engine import Role, World
from engine.components import Transform, Velocity
from engine.net.replication import (
    CHAIN_TICKS,
    FLAG_SPAWN_ONLY,
    Outcome,
    Replicated,
    SnapshotDecoder,
    SnapshotEncoder,
    StateView,
)
from engine.net.sync import ClientNet, ServerNet
from engine.testing import STEP, LoopbackNetwork
from tests.net.replicated import HULL, TRANSFORM, VELOCITY, Hull, registry
from tests.net.snapshot_wire import WireView, write_body
from tests.net.test_net_plugins import schema
from tests.net.test_replication_properties import assert_shows, wire_state

IDLE = write_body(registry())  # a body with no records


class Link:
    """A server world, its encoder, and a client world with its decoder: ticks are captured
    one by one and delivered (or not) by hand."""

    def __init__(self, history: int = 32) -> None:
        self.reg = registry()
        self.server = World(Role.SERVER)
        self.client = World(Role.CLIENT)
        self.encoder = SnapshotEncoder(self.reg, history=history)
        self.decoder = SnapshotDecoder(self.reg, smooth=False, history=history)
        self.states: dict[int, dict] = {}
        self.sent: dict[tuple[int, int], bytes] = {}  # (tick, baseline) -> body

    def capture(self) -> int:
        tick = self.encoder.tick + 1
        self.encoder.capture(self.server, tick)
        self.states[tick] = wire_state(self.server, self.reg)
        self.server.flush()
        return tick

    def encode(self, baseline: int) -> tuple[int, bytes]:
        used, body = self.encoder.encode(baseline)
        self.sent[(self.encoder.tick, used)] = body
        return used, body

    def deliver(self, tick: int, baseline: int):
        result = self.decoder.apply(self.client, tick, baseline, self.sent[(tick, baseline)])
        self.client.flush()
        return result

    def step(self, baseline: int):
        """Capture a tick, encode it from `baseline` and deliver it."""
        tick = self.capture()
        used, _ = self.encode(baseline)
        return self.deliver(tick, used)

    def wire(self, baseline: int) -> WireView:
        """A reader of bodies primed with what the client decoded at `baseline`."""
        view = WireView(self.reg)
        for net_id, components in StateView(self.decoder.states[baseline]).items():
            view.keys[net_id] = {t: list(keys) for t, keys in components.items()}
        return view

    def shows(self, tick: int) -> None:
        assert self.decoder.last_tick == tick
        assert_shows(self.client, self.decoder, self.states[tick], self.reg)

    def local(self, entity: int) -> int:
        return self.decoder.entities[self.server.component(entity, Replicated).net_id]

    def close(self) -> None:
        self.server.close()
        self.client.close()


@pytest.fixture
def link():
    made = Link()
    yield made
    made.close()


def test_peers_on_the_same_baseline_share_one_encoding(link):
    ship = link.server.create(Replicated(), Transform(0, 0), Hull(1))
    link.capture()
    link.server.component(ship, Transform).x = 5
    link.capture()
    link.server.component(ship, Transform).x = 9
    link.capture()
    before = link.encoder.encodings
    shared = [link.encoder.encode(2) for _ in range(3)]  # three peers that hold tick 2
    assert link.encoder.encodings == before + 1
    assert all(pair is shared[0] or pair == shared[0] for pair in shared)
    assert shared[0][1] is shared[1][1]  # the very same bytes
    link.encoder.encode(1)  # a peer two ticks behind: one more encoding
    link.encoder.encode(99)  # never captured: the full state...
    link.encoder.encode(0)  # ...which a joiner shares
    assert link.encoder.encodings == before + 3
    link.capture()  # a new tick: nothing of the old one is served again
    link.encoder.encode(3)
    assert link.encoder.encodings == before + 4


def test_the_server_encodes_once_per_baseline_whatever_the_number_of_peers():
    made = LoopbackNetwork(schema, clients=3)
    made.server_net.idle_every = 1  # a snapshot every tick: this counts encodings per tick
    try:
        made.server.create(Replicated(), Transform(5, 5))
        made.step(9)
        net = made.server.resource(ServerNet)
        encoder = net.encoder
        peers = made.net_server.joined_peers()
        # An ack comes back with the client's next packet: a tick behind, on a perfect link.
        assert len(peers) == 3 and all(p.acked_tick == net.last_tick - 1 for p in peers)
        tick, count = encoder.tick, encoder.encodings
        made.step(3)  # one tick: every peer on the previous one
        assert encoder.tick == tick + 1 and encoder.encodings == count + 1
        for peer in peers[1:]:
            peer.session.take_acked = list  # their acknowledgements stop reaching the server
        made.step(3)  # two peers still on `tick`: the chain of one-tick deltas, encoded once
        made.step(3)  # and again: each tick's delta encoded once, whoever lags
        assert encoder.encodings == count + 3
        assert [p.acked_tick for p in peers] == [tick + 2, tick, tick]
        made.step(3 * (CHAIN_TICKS - 1))  # further behind: one folded delta for both of them
        assert encoder.encodings == count + 3 + 2 * (CHAIN_TICKS - 1)
        for client in made.clients:
            assert len(client.resource(ClientNet).decoder.entities) == 1
    finally:
        made.close()


def test_a_lost_snapshot_costs_only_its_own_bytes(link):
    ships = [link.server.create(Replicated(), Transform(i, 0), Hull(i)) for i in range(50)]
    link.step(0)  # tick 1
    link.server.component(ships[3], Transform).y = 10
    link.step(1)  # tick 2: acknowledged
    link.server.component(ships[3], Transform).y = 20
    link.server.component(ships[4], Hull).hitpoints = 99
    link.capture()  # tick 3: lost
    link.encode(2)
    link.server.component(ships[3], Transform).y = 30
    tick = link.capture()  # tick 4, from the tick the client acknowledged
    used, body = link.encode(2)
    full = link.encoder.full_state(link.server)
    assert used == 2 and len(body) < 20 < len(full) // 10
    assert link.wire(2).read(body).updates == [(4, [(TRANSFORM, 0b10)]), (5, [(HULL, 1)])]
    assert link.deliver(tick, 2).applied
    link.shows(4)


def test_a_late_snapshot_is_kept_but_not_shown_and_a_duplicate_is_ignored(link):
    ship = link.server.create(Replicated(), Transform(0, 0), Hull(1))
    link.step(0)
    link.server.component(ship, Hull).hitpoints = 2
    link.capture()  # tick 2: late
    link.encode(1)
    link.server.component(ship, Hull).hitpoints = 3
    link.step(1)  # tick 3 arrives first
    hull = link.client.component(link.local(ship), Hull)
    late = link.deliver(2, 1)
    assert late.outcome is Outcome.STORED and late.held and not late.applied
    assert (late.spawned, late.despawned, late.updated) == ([], [], 0)
    link.shows(3)
    assert hull.hitpoints == 3
    again = link.deliver(3, 1)
    assert again.outcome is Outcome.DUPLICATE and again.held
    link.shows(3)
    # The late tick serves as a baseline: tick 4 from 2 goes back over 3's change.
    link.server.component(ship, Hull).hitpoints = 4
    assert link.step(2).applied
    link.shows(4)


def test_a_baseline_out_of_the_ring_gets_the_full_state_and_entities_stay_in_place():
    link = Link(history=3)
    try:
        ship = link.server.create(Replicated(), Transform(0, 0), Hull(1))
        gone = link.server.create(Replicated(), Transform(1, 1))
        link.step(0)  # tick 1: acknowledged, then everything is lost
        local = link.local(ship)
        for tick in range(2, 5):
            link.server.component(ship, Hull).hitpoints = tick
            if tick == 3:
                link.server.despawn(gone)
            link.capture()
            assert link.encoder.has_baseline(1) == (tick < 4)
        used, body = link.encode(1)
        assert used == 0 and body == link.encoder.full_state(link.server)
        result = link.deliver(4, 0)
        assert result.applied and result.spawned == [] and result.updated == 1
        assert len(result.despawned) == 1
        link.shows(4)
        assert link.local(ship) == local  # updated in place, not spawned anew
    finally:
        link.close()


def test_an_entity_spawned_and_despawned_since_the_baseline_never_appears(link):
    link.server.create(Replicated(), Transform(0, 0))
    link.step(0)
    brief = link.server.create(Replicated(), Transform(5, 5), Hull(1))
    link.capture()  # tick 2: spawned (lost)
    link.server.despawn(brief)
    tick = link.capture()  # tick 3: despawned
    used, body = link.encode(1)
    wire = link.wire(1).read(body)
    assert (wire.spawns, wire.updates, wire.removals, wire.despawns) == ([], [], [], [])
    assert body == IDLE
    assert link.deliver(tick, used).applied
    link.shows(3)


def test_an_entity_changed_and_changed_back_is_put_back_on_a_client_that_saw_the_change(link):
    ship = link.server.create(Replicated(), Transform(0, 0), Hull(5, "a"))
    other = link.server.create(Replicated(), Transform(0, 0), Hull(1))
    link.step(0)  # tick 1: acknowledged
    link.server.component(ship, Hull).hitpoints = 6
    link.server.component(ship, Transform).x = 3
    link.step(1)  # tick 2: shown, but its acknowledgement is lost
    assert link.client.component(link.local(ship), Hull).hitpoints == 6
    link.server.component(ship, Hull).hitpoints = 5
    link.server.component(ship, Transform).x = 0
    link.server.component(other, Hull).label = "b"
    tick = link.capture()
    used, body = link.encode(1)
    assert link.wire(1).read(body).updates == [(2, [(HULL, 0b10)])]  # ship: back as at 1
    result = link.deliver(tick, used)
    assert result.updated == 2
    link.shows(3)
    assert link.client.component(link.local(ship), Hull) == Hull(5, "a")
    assert link.client.component(link.local(ship), Transform).x == 0


def test_components_added_and_removed_across_a_lost_snapshot(link):
    ship = link.server.create(Replicated(), Transform(0, 0), Hull(5))
    link.step(0)
    link.server.add_component(ship, Velocity(1, 1))
    link.server.remove_component(ship, Hull)
    link.capture()  # tick 2: lost
    link.encode(1)
    link.server.add_component(ship, Hull(9, "new"))  # back, with other values
    link.server.remove_component(ship, Transform)
    tick = link.capture()
    used, body = link.encode(1)
    wire = link.wire(1)
    read = wire.read(body)
    assert read.updates == [(1, [(VELOCITY, 0), (HULL, 0b11)])]
    assert read.removals == [(1, TRANSFORM)]
    assert wire.keys[1] == {VELOCITY: [8, 8], HULL: [9, "new"]}
    assert link.deliver(tick, used).applied
    link.shows(3)
    local = link.local(ship)
    assert link.client.component(local, Hull) == Hull(9, "new")
    assert not link.client.has_component(local, Transform)


def test_a_spawn_only_entity_whose_spawn_was_lost_comes_whole_where_it_is_now(link):
    link.server.create(Replicated(), Transform(0, 0))
    link.step(0)
    bullet = link.server.create(Replicated(spawn_only=True), Transform(0, 0), Velocity(0, -8))
    link.capture()  # tick 2: the spawn (lost)
    spawned, _ = link.encode(1)
    link.server.component(bullet, Transform).y = -4  # flown on (never diffed)
    tick = link.capture()
    assert link.encoder.last_stats.updates == 0
    used, body = link.encode(1)
    wire = link.wire(1)
    read = wire.read(body)
    assert read.spawns == [(2, FLAG_SPAWN_ONLY, [TRANSFORM, VELOCITY])]
    assert wire.keys[2] == {TRANSFORM: [0, -32], VELOCITY: [0, -64]}  # its values at tick 3
    assert link.encode(2)[1] == IDLE  # a client that had the spawn: nothing more
    assert link.deliver(tick, used).applied
    link.shows(3)
    assert link.client.component(link.local(bullet), Transform).y == -4
    assert link.client.component(link.local(bullet), Velocity).y == -8


def test_the_encoder_refuses_ticks_that_do_not_move_forward_and_holds_its_ring(link):
    link.capture()
    with pytest.raises(ValueError, match="does not follow"):
        link.encoder.capture(link.server, 1)
    assert link.encoder.has_baseline(1) and not link.encoder.has_baseline(0)
    assert link.encoder.encode(1) == (1, IDLE)  # from itself: nothing
    small = SnapshotEncoder(registry(), history=2)
    for tick in (1, 2, 3):
        small.capture(link.server, tick)
    assert [small.has_baseline(t) for t in (1, 2, 3)] == [False, True, True]
    with pytest.raises(ValueError):
        SnapshotEncoder(registry(), history=0)


def test_a_joiner_whose_welcome_is_lost_follows_the_snapshots_once_it_is_resent():
    # The full state travels reliably behind the Welcome. If the Welcome's packet is lost
    # and the full state's arrive, the client holds the full state's parts but cannot
    # deliver them until the Welcome is resent: the server must not take the full state as
    # the client's baseline before then, or every delta after it is based on a tick the
    # client never decoded (NO_BASELINE), acknowledged anyway, and so on for ever.
    net = LoopbackNetwork(schema, clients=1)
    net.server_net.idle_every = 1
    try:
        for i in range(4):
            net.server.create(Replicated(), Transform(float(i), 0.0))
        net.clock.advance(STEP)
        net.server.step()  # so that the join falls between network ticks
        client = net.client_net(0)
        for _ in range(300):
            net.clock.advance(STEP)
            net.server.step()
            peers = net.net_server.joined_peers()
            if peers and not client.client.connected and net.outages[0].until < 0:
                assert peers[0].full_state_handle is None  # the Welcome went alone
                net.cut(0, STEP / 2)  # its packet is lost
            for world in net.clients:
                world.step()
        assert net.outages[0].until > 0 and client.client.connected
        assert client.skipped == 0 and client.snapshots > 90
    finally:
        net.close()
