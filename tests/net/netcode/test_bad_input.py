"""Hostile and broken datagrams: the server and client ignore them (counted by reason), never
raise, never answer an unverified address with more bytes than it sent, and good clients keep
working throughout."""

from __future__ import annotations

import random

import pytest

from engine.net.netcode import server as S
from engine.net.netcode.client import ClientState, NetcodeClient
from engine.net.netcode.packets import (
    KeepAlive,
    PacketType,
    Payload,
    Response,
    read_packet,
    write_packet,
)
from engine.net.netcode.tokens import ChallengeToken
from tests.net.netcode.harness import (
    PROTOCOL_ID,
    SERVER,
    UNIX_START,
    Net,
    client_address,
    make_token,
    other_key,
)

GOOD = client_address(1)
EVIL = client_address(66)


def feed(server, data, address, now=0.0):
    """Receive one datagram and check the amplification rule on whatever comes out."""
    verified = server.client_address(0) == address or address in {
        server.client_address(i) for i in server.connected_clients()
    }
    server.receive(data, address, now)
    out = server.datagrams()
    if not verified:
        assert all(len(d) <= len(data) for d, dst in out if dst == address), (len(data), out)
    return out


@pytest.fixture
def live():
    """A server with one good connected, confirmed client."""
    net = Net()
    server = net.add_server(max_clients=4)
    client = net.add_client(make_token(1), GOOD)
    net.run(0.3)
    assert client.state == ClientState.CONNECTED
    server.events()
    client.events()
    return net, server, client


def assert_still_works(net, server, client):
    client.send_payload(b"still here", net.now)
    server.send_payload(0, b"and here", net.now)
    net.deliver()
    assert S.PayloadReceived(0, b"still here") in server.events()
    assert any(getattr(e, "data", None) == b"and here" for e in client.events())
    assert client.state == ClientState.CONNECTED


def request_bytes(token):
    client = NetcodeClient(token, now=0.0)
    client.connect(0.0)
    ((data, _),) = client.datagrams()
    return data


def test_random_truncated_and_oversized_datagrams(live):
    net, server, client = live
    rng = random.Random(1)
    valid = request_bytes(make_token(5))
    samples = [b"", b"\x00", bytes(17), bytes(18), bytes(5000), valid[:-1], valid + b"\0"]
    samples += [rng.randbytes(rng.randrange(0, 1500)) for _ in range(300)]
    samples += [
        bytes([rng.randrange(256)]) + rng.randbytes(rng.randrange(17, 400)) for _ in range(300)
    ]
    for data in samples:
        for source in (EVIL, GOOD):
            assert feed(server, data, source, net.now) == []
    assert server.stats.total == 2 * len(samples)
    assert server.events() == []
    assert_still_works(net, server, client)


def test_the_client_ignores_garbage_and_strangers(live):
    net, server, client = live
    rng = random.Random(2)
    for _ in range(300):
        client.receive(rng.randbytes(rng.randrange(0, 1400)), SERVER, net.now)
    keep_alive = write_packet(KeepAlive(0, 4), 10**6, other_key(), PROTOCOL_ID)
    client.receive(keep_alive, SERVER, net.now)
    # a genuine server packet arriving from another address is ignored too
    server.send_payload(0, b"x", net.now)
    ((genuine, _),) = server.datagrams()
    client.receive(genuine, EVIL, net.now)
    assert client.stats.ignored["not from the server"] == 1
    client.receive(genuine, ("not an address", 1), net.now)
    assert client.events() == []
    assert client.stats.total == 303
    assert_still_works(net, server, client)


def test_wrong_protocol_id_is_ignored():
    net = Net()
    server = net.add_server()
    feed(server, request_bytes(make_token(protocol_id=PROTOCOL_ID + 1)), EVIL)
    assert server.stats.ignored == {"request: wrong protocol id": 1}


def test_wrong_version_is_ignored():
    net = Net()
    server = net.add_server()
    data = bytearray(request_bytes(make_token()))
    data[11] = ord("3")  # "NETCODE 1.03"
    assert feed(server, bytes(data), EVIL) == []
    assert server.stats.ignored == {"request: version is not NETCODE 1.02": 1}


def test_expired_token_is_ignored():
    net = Net()
    server = net.add_server()
    data = request_bytes(make_token(expire_seconds=30))
    net.now = 29.0
    assert len(feed(server, data, EVIL, net.now)) == 1  # still good: a challenge
    net.now = 30.0  # expire timestamp <= now
    assert feed(server, data, client_address(3), net.now) == []
    assert server.stats.ignored == {"request: connect token expired": 1}


def test_expiry_field_cannot_be_edited():
    net = Net()
    server = net.add_server()
    token = make_token(expire_seconds=30)
    data = bytearray(request_bytes(token))
    data[22:30] = (token.expire_timestamp + 3600).to_bytes(8, "little")
    assert feed(server, bytes(data), EVIL) == []
    assert server.stats.ignored == {"request: connect token does not decrypt": 1}


@pytest.mark.parametrize("offset", [0, 54, 100, 600, 1060, 1077])
def test_forged_token_with_a_flipped_byte_is_ignored(offset):
    net = Net()
    server = net.add_server()
    data = bytearray(request_bytes(make_token()))
    data[offset] ^= 0x40
    assert feed(server, bytes(data), EVIL) == []
    assert server.stats.total == 1 and server.num_pending == 0


def test_token_signed_with_another_private_key_is_ignored():
    net = Net()
    server = net.add_server()
    assert feed(server, request_bytes(make_token(private_key=other_key())), EVIL) == []
    assert server.stats.ignored == {"request: connect token does not decrypt": 1}


def test_token_for_another_server_address_is_ignored():
    net = Net()
    server = net.add_server()
    token = make_token(addresses=(("10.9.9.9", 40000), ("10.0.0.1", 40001)))
    assert feed(server, request_bytes(token), EVIL) == []
    assert server.stats.ignored == {"request: token does not name this server": 1}


def test_token_reused_from_another_address_is_ignored(live):
    net, server, client = live
    same_id = request_bytes(make_token(1))  # a fresh token for client id 1, who is online
    token = make_token(2)
    data = request_bytes(token)
    assert len(feed(server, data, client_address(5), net.now)) == 1  # first use: challenged
    assert feed(server, data, EVIL, net.now) == []  # same token, other address
    assert server.stats.ignored["request: token already used from another address"] == 1
    assert len(feed(server, data, client_address(5), net.now)) == 1  # same address: fine
    assert feed(server, same_id, EVIL, net.now) == []
    assert server.stats.ignored["request: client id already connected"] == 1
    assert_still_works(net, server, client)


def test_request_from_a_connected_address_is_ignored(live):
    net, server, client = live
    assert feed(server, request_bytes(make_token(9)), client_address(1), net.now) == []
    assert server.stats.ignored == {"request: address already connected": 1}
    assert_still_works(net, server, client)


def test_replayed_packets_are_ignored(live):
    net, server, client = live
    client.send_payload(b"once", net.now)
    ((data, _),) = client.datagrams()
    for _ in range(3):
        server.receive(data, GOOD, net.now)
    assert server.events() == [S.PayloadReceived(0, b"once")]
    assert server.stats.ignored == {"encrypted: replayed or too old": 2}
    assert_still_works(net, server, client)


def test_packets_older_than_the_window_are_ignored(live):
    net, server, client = live
    sent = []
    for i in range(300):
        client.send_payload(i.to_bytes(2, "little"), net.now)
        sent += client.datagrams()
    for data, _ in sent[1:]:
        server.receive(data, GOOD, net.now)
    assert len(server.events()) == 299
    server.receive(sent[0][0], GOOD, net.now)  # never seen, but 299 behind
    assert server.events() == []
    assert server.stats.ignored == {"encrypted: replayed or too old": 1}


def test_the_client_ignores_replays_too(live):
    net, server, client = live
    server.send_payload(0, b"once", net.now)
    ((data, _),) = server.datagrams()
    client.receive(data, SERVER, net.now)
    client.receive(data, SERVER, net.now)
    assert [e.data for e in client.events()] == [b"once"]
    assert client.stats.ignored == {"encrypted: replayed or too old": 1}


def test_packets_from_unknown_addresses_are_ignored(live):
    net, server, client = live
    client.send_payload(b"moved?", net.now)
    ((data, _),) = client.datagrams()
    assert feed(server, data, EVIL, net.now) == []
    assert server.stats.ignored == {"encrypted: no key for this address": 1}
    server.receive(data, GOOD, net.now)  # the original still counts: nothing was consumed
    assert server.events() == [S.PayloadReceived(0, b"moved?")]


def test_a_forged_packet_does_not_advance_the_replay_window(live):
    net, server, client = live
    forged = write_packet(Payload(b"evil"), 10**9, other_key(), PROTOCOL_ID)
    server.receive(forged, GOOD, net.now)
    assert server.stats.ignored == {"encrypted: does not decrypt": 1}
    assert_still_works(net, server, client)  # a low sequence is still inside the window


def test_flood_of_valid_requests_keeps_pending_handshakes_bounded(live):
    net, server, client = live
    tokens = [make_token(1000 + i) for i in range(200)]
    for i, token in enumerate(tokens):
        out = feed(server, request_bytes(token), client_address(100 + i), net.now)
        assert len(out) == 1  # each gets a (smaller) challenge
        assert server.num_pending <= 4 * 4
    assert server.num_pending == 16
    assert_still_works(net, server, client)
    # and a newcomer still gets in
    late = net.add_client(make_token(7), client_address(9))
    net.run(0.2)
    assert late.state == ClientState.CONNECTED


def test_flood_of_garbage_requests_gets_no_answer_at_all():
    net = Net()
    server = net.add_server()
    rng = random.Random(3)
    for i in range(500):
        data = b"\x00" + rng.randbytes(1077)
        assert feed(server, data, client_address(i)) == []
    assert server.num_pending == 0
    assert server.stats.ignored == {"request: version is not NETCODE 1.02": 500}


def test_stale_handshakes_expire():
    net = Net()
    server = net.add_server()
    feed(server, request_bytes(make_token(timeout_seconds=5)), EVIL, 0.0)
    assert server.num_pending == 1
    server.update(4.0)
    assert server.num_pending == 1
    server.update(5.5)
    assert server.num_pending == 0


def test_responses_with_forged_challenge_tokens_are_ignored():
    net = Net()
    server = net.add_server()
    token = make_token(3)
    ((challenge_datagram, _),) = feed(server, request_bytes(token), EVIL)
    genuine = read_packet(
        challenge_datagram,
        protocol_id=PROTOCOL_ID,
        key_for=lambda _t: token.server_to_client_key,
        replay=None,
        allowed={PacketType.CHALLENGE},
    )
    flipped = bytearray(genuine.token_data)
    flipped[100] ^= 1
    forgeries = [
        (genuine.token_sequence, bytes(flipped)),  # tampered
        (genuine.token_sequence + 1, genuine.token_data),  # right token, wrong sequence
        (0, ChallengeToken(3).encrypt(sequence=0, key=other_key())),  # sealed by someone else
        (0, bytes(300)),
    ]
    for sequence, (token_sequence, sealed) in enumerate(forgeries):
        response = write_packet(
            Response(token_sequence, sealed), sequence, token.client_to_server_key, PROTOCOL_ID
        )
        assert feed(server, response, EVIL) == []
    assert server.stats.ignored == {"response: challenge token does not decrypt": 4}
    assert server.connected_clients() == ()
    # the genuine one still works
    response = write_packet(
        Response(genuine.token_sequence, genuine.token_data),
        9,
        token.client_to_server_key,
        PROTOCOL_ID,
    )
    assert [PacketType(d[0] & 15) for d, _ in feed(server, response, EVIL)] == [
        PacketType.KEEP_ALIVE
    ]
    assert server.connected_clients() == (0,)


def test_genuine_challenge_from_another_server_is_refused():
    net = Net()
    server = net.add_server()
    other = S.NetcodeServer(
        protocol_id=PROTOCOL_ID,
        private_key=bytes(range(32)),
        public_addresses=(SERVER,),
        max_clients=4,
        now=0.0,
        unix_time=lambda: UNIX_START,
    )
    token = make_token(4)
    client = NetcodeClient(token, now=0.0)
    client.connect(0.0)
    ((request, _),) = client.datagrams()
    other.receive(request, EVIL, 0.0)  # challenge sealed with the other server's key
    ((challenge, _),) = other.datagrams()
    server.receive(request, EVIL, 0.0)
    server.datagrams()
    client.receive(challenge, SERVER, 0.0)
    ((response, _),) = client.datagrams()
    assert feed(server, response, EVIL) == []
    assert server.stats.ignored == {"response: challenge token does not decrypt": 1}


def test_response_replayed_for_a_connected_client_is_ignored(live):
    net, server, client = live
    responses = [d for d, src, dst in net.log if src == GOOD and d[0] & 15 == PacketType.RESPONSE]
    assert responses
    server.receive(responses[0], GOOD, net.now)
    assert server.stats.ignored == {"response: address already connected": 1}
    assert server.events() == []


def test_keep_alive_from_a_pending_address_does_not_connect_it():
    net = Net()
    server = net.add_server()
    token = make_token(8)
    feed(server, request_bytes(token), EVIL)
    keep_alive = write_packet(KeepAlive(0, 0), 3, token.client_to_server_key, PROTOCOL_ID)
    assert feed(server, keep_alive, EVIL) == []
    assert server.stats.ignored == {"KEEP_ALIVE from an address not connected": 1}
    assert server.connected_clients() == ()


def test_server_never_sends_a_challenge_to_the_client_side():
    """A challenge packet sent to the server is refused by type before any key lookup."""
    net = Net()
    server = net.add_server()
    from engine.net.netcode.packets import Challenge

    packet = write_packet(Challenge(0, bytes(300)), 1, other_key(), PROTOCOL_ID)
    assert feed(server, packet, EVIL) == []
    assert server.stats.ignored == {"encrypted: CHALLENGE not accepted here": 1}


def test_bad_source_addresses_are_ignored():
    net = Net()
    server = net.add_server()
    for address in (("example.com", 1), ("1.2.3.4", 70000), None, ("1.2.3.4",)):
        server.receive(b"\x00" * 1078, address, 0.0)
    assert server.stats.total == 4 and server.datagrams() == []


def test_amplification_rule_holds_for_challenge_and_denied():
    net = Net()
    server = net.add_server(max_clients=1)
    net.add_client(make_token(1), GOOD)
    net.step()
    token = make_token(2)
    request = request_bytes(token)
    (denied,) = feed(server, request, EVIL)
    assert (
        read_packet(
            denied[0],
            protocol_id=PROTOCOL_ID,
            key_for=lambda _t: token.server_to_client_key,
            replay=None,
            allowed={PacketType.DENIED},
        )
        is not None
    )
    assert len(denied[0]) < len(request)
