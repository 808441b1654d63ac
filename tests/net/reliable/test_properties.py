"""Properties: whatever the network does, reliable delivery is exact; garbage is a ProtocolError."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.net.errors import ProtocolError
from engine.net.reliable import Channel, ChannelConfig, ChannelConnection, EndpointConfig
from tests.net.reliable.simulation import Conditions, Simulation

R = Channel.RELIABLE_ORDERED

conditions = st.builds(
    Conditions,
    latency=st.floats(0.0, 0.2),
    jitter=st.floats(0.0, 0.1),
    loss=st.floats(0.0, 0.5),
    duplicate=st.floats(0.0, 0.3),
)
# message sizes: mostly small, some over a packet (parts), a few many parts
sizes = st.one_of(st.integers(0, 200), st.integers(900, 3000), st.integers(10_000, 40_000))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    there=conditions,
    back=conditions,
    schedule=st.lists(st.lists(sizes, max_size=4), min_size=1, max_size=40),
    budget=st.one_of(st.none(), st.integers(1, 20_000)),
    window=st.sampled_from([16, 64, 1024]),
)
def test_any_loss_reordering_and_duplication_keeps_reliable_delivery_exact(
    seed, there, back, schedule, budget, window
):
    config = ChannelConfig(send_window=window)
    sim = Simulation(seed, there, back, config=config, budget=budget)
    sent = []
    for tick, batch in enumerate(schedule):
        for i, size in enumerate(batch):
            message = b"%d.%d:" % (tick, i) + bytes(size)
            sim.a.connection.send(R, message)
            sent.append(message)
        sim.step()
    sim.a.link.conditions = sim.b.link.conditions = Conditions(latency=there.latency)
    assert sim.run_until(lambda: len(sim.b.reliable) >= len(sent), limit=60.0)
    sim.run(0.5)
    assert sim.b.reliable == sent
    assert sim.b.connection.receive_buffered == 0
    assert sim.a.connection.reliable_in_flight <= window


small = ChannelConfig(endpoint=EndpointConfig(max_packet_size=8 * 1024), max_message_size=64 * 1024)


@settings(max_examples=300)
@given(st.lists(st.binary(min_size=1, max_size=1200), max_size=8))
def test_a_connection_fed_random_datagrams_raises_nothing_but_protocol_error(datagrams):
    connection = ChannelConnection(small, now=0.0)
    for datagram in datagrams:
        with contextlib.suppress(ProtocolError):
            connection.receive(datagram, 0.0)


@settings(max_examples=200)
@given(st.binary(max_size=600))
def test_random_payloads_in_well_formed_packets_raise_nothing_but_protocol_error(payload):
    peer = ChannelConnection(small, now=0.0).endpoint
    connection = ChannelConnection(small, now=0.0)
    for datagram in peer.send(payload, 0.0)[1]:
        with contextlib.suppress(ProtocolError):
            connection.receive(datagram, 0.0)
