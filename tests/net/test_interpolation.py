"""Client-side smoothing: the client's clock of server ticks, sampling a track at a fractional
tick, and the PRESENT system that writes interpolated components from their samples."""

from __future__ import annotations

import pytest

from engine import Role, World
from engine.components import Transform, Velocity
from engine.net.codec import Quantized
from engine.net.interpolation import InterpolationSystem, NetClock, sample
from engine.net.replication import Interpolated, Predicted, ReplicationRegistry
from engine.phases import Phase

POS = Quantized(8, -10000, 10000)


def test_a_net_clock_starts_unset_and_jumps_to_its_first_snapshot():
    clock = NetClock()
    assert (clock.tick_rate, clock.delay_ticks, clock.latest_tick, clock.estimate) == (
        20.0,
        2.0,
        -1,
        -1.0,
    )
    clock.advance(0.5)  # nothing to run forward yet
    assert clock.estimate == -1.0
    clock.on_snapshot(7)
    assert (clock.latest_tick, clock.estimate, clock.render_tick) == (7, 7.0, 5.0)


def test_a_net_clock_keeps_its_estimate_near_the_newest_tick_and_jumps_when_far_off():
    clock = NetClock(delay_ticks=3)
    clock.on_snapshot(20)
    clock.estimate = 20.5
    clock.on_snapshot(30)  # ten ticks off: kept, and nudged by advance
    assert (clock.latest_tick, clock.estimate) == (30, 20.5)
    clock.on_snapshot(31)  # more than ten off: jump
    assert clock.estimate == 31.0
    assert clock.render_tick == 28.0
    clock.on_snapshot(21)  # back by ten: kept
    assert clock.estimate == 31.0
    clock.on_snapshot(20)
    assert clock.estimate == 20.0


def test_advancing_runs_the_estimate_at_the_tick_rate_and_pulls_it_to_the_newest_tick():
    clock = NetClock(tick_rate=20)
    clock.on_snapshot(10)
    clock.advance(0.05)  # one tick ahead, pulled back a tenth of the way
    assert clock.estimate == pytest.approx(10.9)
    clock.advance(2.0)  # a long frame: the pull is capped at the whole error
    assert clock.estimate == pytest.approx(10.0)
    zero = NetClock(latest_tick=0, estimate=0.0)
    zero.advance(0.05)
    assert zero.estimate == pytest.approx(0.9)


def test_sampling_holds_the_ends_and_blends_inside_the_right_pair():
    track = [(2, (0,)), (4, (80,)), (5, (80,)), (6, (0,))]
    linear = (0.0,)
    assert sample(track, 1, linear) == (0,)
    assert sample(track, 2, linear) == (0,)
    assert sample(track, 3, linear) == (40,)
    assert sample(track, 3.5, linear) == (60,)
    assert sample(track, 4, linear) == (80,)
    assert sample(track, 5.25, linear) == (60,)
    assert sample(track, 6, linear) == (0,)
    assert sample(track, 9, linear) == (0,)
    assert sample([(1, (3, 5))], 4, (0.0, None)) == (3, 5)


def test_a_held_field_keeps_the_older_key_until_the_next_sample():
    track = [(1, (0, 10)), (3, (30, 20))]
    assert sample(track, 2.9, (0.0, None)) == (pytest.approx(28.5), 10)
    assert sample(track, 3, (0.0, None)) == (30, 20)


def registry():
    reg = ReplicationRegistry()
    reg.register(Transform, {"x": POS, "y": POS}, interpolate=True)
    reg.register(Velocity, {"x": POS}, interpolate=True)
    return reg


@pytest.fixture
def client():
    world = World(Role.CLIENT)
    world.insert_resource(NetClock(tick_rate=20, delay_ticks=2))
    world.add_system(InterpolationSystem(registry()), Phase.PRESENT)
    yield world
    world.close()


def render_at(world, tick):
    """Make the next frame (dt 0) draw at `tick`."""
    clock = world.resource(NetClock)
    clock.latest_tick = round(tick + clock.delay_ticks)
    clock.estimate = tick + clock.delay_ticks


def test_each_frame_writes_every_interpolated_component_at_the_render_tick(client):
    track = [(1, (0, 80)), (2, (80, 0))]
    entity = client.create(
        Transform(), Velocity(), Interpolated({1: list(track), 2: [(1, (8,)), (2, (24,))]})
    )
    render_at(client, 1.25)
    client.present(0.0)
    assert client.component(entity, Transform) == Transform(2.5, 7.5)
    assert client.component(entity, Velocity) == Velocity(1.5, 0)
    assert client.component(entity, Interpolated).written == {1: (20, 60), 2: (12,)}


def test_a_frame_advances_the_net_clock_by_its_time(client):
    clock = client.resource(NetClock)
    clock.on_snapshot(10)
    client.present(0.05)
    assert clock.estimate == pytest.approx(10.9)


def test_samples_older_than_the_one_before_the_render_tick_are_dropped(client):
    entity = client.create(Transform(), Interpolated({1: [(t, (8 * t, 0)) for t in range(1, 6)]}))
    render_at(client, 3)
    client.present(0.0)
    assert [t for t, _ in client.component(entity, Interpolated).tracks[1]] == [3, 4, 5]
    assert client.component(entity, Transform).x == 3
    render_at(client, 9)
    client.present(0.0)
    assert [t for t, _ in client.component(entity, Interpolated).tracks[1]] == [4, 5]
    assert client.component(entity, Transform).x == 5


def test_predicted_entities_and_missing_components_are_left_alone(client):
    track = {1: [(1, (0, 0)), (2, (80, 80))]}
    mine = client.create(Transform(3, 3), Predicted(), Interpolated({1: list(track[1])}))
    bare = client.create(Velocity(), Interpolated({1: list(track[1])}))
    render_at(client, 1.5)
    client.present(0.0)
    assert client.component(mine, Transform) == Transform(3, 3)
    assert client.component(mine, Interpolated).written == {}
    assert client.component(bare, Interpolated).written == {}


def test_a_component_at_rest_is_not_written_again(client):
    entity = client.create(Transform(), Interpolated({1: [(1, (8, 8)), (2, (8, 8))]}))
    render_at(client, 1.5)
    client.present(0.0)
    assert client.component(entity, Transform) == Transform(1, 1)
    client.component(entity, Transform).x = 50  # something else moved it since
    render_at(client, 1.75)
    client.present(0.0)
    assert client.component(entity, Transform).x == 50
