"""Hypothesis fuzzing of every decoder: each returns a value, returns None, or raises its one
documented error (TokenError) -- nothing else, whatever the bytes."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.net.netcode.client import NetcodeClient
from engine.net.netcode.constants import UINT64_MAX
from engine.net.netcode.packets import (
    Challenge,
    Denied,
    Disconnect,
    KeepAlive,
    PacketType,
    Payload,
    Response,
    read_connection_request,
    read_packet,
    write_packet,
)
from engine.net.netcode.replay import ReplayProtection
from engine.net.netcode.tokens import (
    ChallengeToken,
    ConnectToken,
    PrivateToken,
    TokenError,
    decrypt_private_token,
)
from tests.net.netcode.harness import (
    PRIVATE_KEY,
    PROTOCOL_ID,
    SERVER,
    UNIX_START,
    Net,
    client_address,
    make_token,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = bytes(range(100, 132))
TOKEN = make_token(client_id=5, user_data=b"fuzz")
TOKEN_BYTES = TOKEN.to_bytes()
ALL = frozenset(PacketType)
u64 = st.integers(0, UINT64_MAX)


def mutations(seed: bytes):
    """`seed` with a few bytes overwritten, cut short or extended."""

    @st.composite
    def mutate(draw):
        data = bytearray(seed)
        for _ in range(draw(st.integers(1, 4))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
        tail = draw(st.binary(max_size=8))
        return bytes(data[:cut]) + tail if cut is not None else bytes(data)

    return mutate()


def _request_bytes():
    client = NetcodeClient(TOKEN, now=0.0)
    client.connect(0.0)
    return client.datagrams()[0][0]


REQUEST = _request_bytes()

packets = st.one_of(
    st.just(Denied()),
    st.just(Disconnect()),
    st.builds(Challenge, u64, st.binary(min_size=300, max_size=300)),
    st.builds(Response, u64, st.binary(min_size=300, max_size=300)),
    st.builds(KeepAlive, st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)),
    st.builds(Payload, st.binary(min_size=1, max_size=1200)),
)


@FUZZ
@given(st.one_of(st.binary(max_size=2100), mutations(TOKEN_BYTES)))
def test_connect_token_from_bytes_raises_only_token_error(data):
    try:
        token = ConnectToken.from_bytes(data)
    except TokenError as err:
        assert "\n" not in str(err)
    else:
        assert ConnectToken.from_bytes(token.to_bytes()) == token
        assert 1 <= len(token.server_addresses) <= 32


@FUZZ
@given(st.one_of(st.binary(max_size=1100), mutations(bytes(1008))))
def test_private_token_from_bytes_raises_only_token_error(data):
    with contextlib.suppress(TokenError):
        PrivateToken.from_bytes(data)


@FUZZ
@given(st.one_of(st.binary(max_size=1100), mutations(TOKEN.private_data)), u64, u64)
def test_decrypt_private_token_raises_only_token_error(data, protocol_id, expire):
    for pid, exp in ((protocol_id, expire), (TOKEN.protocol_id, TOKEN.expire_timestamp)):
        with contextlib.suppress(TokenError):
            decrypt_private_token(
                data,
                private_key=PRIVATE_KEY,
                protocol_id=pid,
                expire_timestamp=exp,
                nonce=TOKEN.nonce,
            )


@FUZZ
@given(
    st.one_of(st.binary(max_size=400), mutations(ChallengeToken(1).encrypt(sequence=3, key=KEY))),
    st.one_of(u64, st.integers(-5, -1), st.integers(2**64, 2**66)),
)
def test_challenge_decrypt_raises_only_token_error(data, sequence):
    with contextlib.suppress(TokenError):
        ChallengeToken.decrypt(data, sequence=sequence, key=KEY)


@FUZZ
@given(st.one_of(st.binary(max_size=1300), mutations(REQUEST)), st.integers(0, 2**64))
def test_read_connection_request_returns_value_or_none(data, now_unix):
    result = read_connection_request(
        data, protocol_id=PROTOCOL_ID, private_key=PRIVATE_KEY, now_unix=now_unix
    )
    if result is not None:
        request, private = result
        assert private.client_id == 5 and len(request.private_data) == 1024


@FUZZ
@given(packets, u64)
def test_write_read_round_trip(packet, sequence):
    data = write_packet(packet, sequence, KEY, PROTOCOL_ID)
    replay = ReplayProtection()
    assert (
        read_packet(
            data, protocol_id=PROTOCOL_ID, key_for=lambda _t: KEY, replay=replay, allowed=ALL
        )
        == packet
    )


@FUZZ
@given(st.data())
def test_read_packet_returns_value_or_none(data):
    seed = write_packet(data.draw(packets), data.draw(u64), KEY, PROTOCOL_ID)
    datagram = data.draw(st.one_of(st.binary(max_size=1400), mutations(seed), mutations(REQUEST)))
    reasons = []
    packet = read_packet(
        datagram,
        protocol_id=PROTOCOL_ID,
        key_for=lambda t: PRIVATE_KEY if t == PacketType.REQUEST else KEY,
        replay=ReplayProtection(),
        allowed=ALL,
        now_unix=UNIX_START,
        on_ignore=reasons.append,
    )
    assert (packet is None) == (len(reasons) == 1)


@FUZZ
@given(st.lists(st.integers(0, 2000) | st.integers(UINT64_MAX - 600, UINT64_MAX), max_size=200))
def test_replay_protection_matches_a_simple_model(sequences):
    """Refuse iff seen before, or at least 256 behind the most recent accepted."""
    replay, seen, most_recent = ReplayProtection(), set(), 0
    for sequence in sequences:
        expected = sequence in seen or (most_recent >= 256 and sequence <= most_recent - 256)
        assert replay.already_received(sequence) == expected
        if not expected:
            replay.advance(sequence)
            seen.add(sequence)
            most_recent = max(most_recent, sequence)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.binary(max_size=1300), mutations(REQUEST)), max_size=30), st.data())
def test_server_and_client_survive_any_datagrams(datagrams, data):
    net = Net()
    server = net.add_server(max_clients=2)
    good = net.add_client(make_token(1), client_address(1))
    net.run(0.3)
    captured = [d for d, _, _ in net.log]
    for datagram in datagrams + [
        data.draw(mutations(c)) for c in captured[: data.draw(st.integers(0, 10))]
    ]:
        source = data.draw(st.sampled_from([client_address(1), client_address(2), SERVER]))
        server.receive(datagram, source, net.now)
        for out, destination in server.datagrams():
            if destination != client_address(1):
                assert len(out) <= len(datagram)
        good.receive(datagram, source, net.now)
    net.run(0.3)
    assert good.client_index == 0 and server.connected_clients() == (0,)
    good.send_payload(b"ok", net.now)
    net.deliver()
    assert any(getattr(e, "data", None) == b"ok" for e in server.events())
