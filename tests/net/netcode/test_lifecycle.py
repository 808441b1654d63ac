"""NetcodeClient and NetcodeServer end to end, datagrams passed by hand on a manual clock."""

from __future__ import annotations

import pytest

from engine.net.netcode import client as C
from engine.net.netcode import server as S
from engine.net.netcode.client import ClientState, NetcodeClient
from engine.net.netcode.constants import SERVER_GLOBAL_SEQUENCE_START, USER_DATA_BYTES
from engine.net.netcode.packets import PacketType, Payload, peek_sequence, write_packet
from tests.net.netcode.harness import (
    PROTOCOL_ID,
    SERVER,
    SERVER_2,
    Net,
    client_address,
    make_token,
)

A = client_address(1)
B = client_address(2)


def _types(datagrams):
    return [PacketType(d[0] & 0x0F) for d, _ in datagrams]


def connected_pair(**token_args):
    net = Net()
    server = net.add_server(max_clients=4)
    token = make_token(client_id=77, user_data=b"pilot", **token_args)
    client = net.add_client(token, A)
    net.step()
    return net, server, client


def test_handshake_connects_both_sides_with_the_standard_transitions():
    net = Net()
    server = net.add_server(max_clients=4)
    seen = []
    client = NetcodeClient(make_token(client_id=77, user_data=b"pilot"), now=0.0)
    net.clients[A] = client
    assert client.state == ClientState.DISCONNECTED
    client.connect(0.0)
    seen.append(client.state)
    (request,) = client.datagrams()
    assert len(request[0]) == 1078 and request[1] == SERVER
    server.receive(request[0], A, 0.0)
    (challenge,) = server.datagrams()
    assert _types([challenge]) == [PacketType.CHALLENGE] and challenge[1] == A
    assert peek_sequence(challenge[0]) == SERVER_GLOBAL_SEQUENCE_START
    client.receive(challenge[0], SERVER, 0.0)
    seen.append(client.state)
    (response,) = client.datagrams()  # answered at once
    assert _types([response]) == [PacketType.RESPONSE]
    server.receive(response[0], A, 0.0)
    (keep_alive,) = server.datagrams()
    assert _types([keep_alive]) == [PacketType.KEEP_ALIVE]
    client.receive(keep_alive[0], SERVER, 0.0)
    seen.append(client.state)
    assert seen == [
        ClientState.SENDING_CONNECTION_REQUEST,
        ClientState.SENDING_CONNECTION_RESPONSE,
        ClientState.CONNECTED,
    ]
    assert client.events() == [C.Connected(client_index=0, max_clients=4)]
    assert client.client_index == 0 and client.max_clients == 4
    (event,) = server.events()
    assert event == S.ClientConnected(0, 77, A, b"pilot".ljust(USER_DATA_BYTES, b"\0"))
    assert server.connected_clients() == (0,)
    assert server.client_address(0) == A and server.client_id(0) == 77
    assert server.num_pending == 0  # the mapping moved into the slot


def test_payloads_both_ways():
    net, server, client = connected_pair()
    server.events(), client.events()
    assert client.send_payload(b"up", net.now)
    assert server.send_payload(0, b"down", net.now)
    net.deliver()
    assert server.events() == [S.PayloadReceived(0, b"up")]
    assert client.events() == [C.PayloadReceived(b"down")]
    big = bytes(range(256)) * 4 + bytes(176)
    assert len(big) == 1200
    client.send_payload(big, net.now)
    net.deliver()
    assert server.events() == [S.PayloadReceived(0, big)]


@pytest.mark.parametrize("bad", [b"", bytes(1201)], ids=["empty", "1201"])
def test_payload_size_limits_are_the_callers_error(bad):
    net, server, client = connected_pair()
    with pytest.raises(ValueError):
        client.send_payload(bad, net.now)
    with pytest.raises(ValueError):
        server.send_payload(0, bad, net.now)


def test_sending_when_not_connected_returns_false():
    net = Net()
    server = net.add_server()
    client = NetcodeClient(make_token(), now=0.0)
    assert not client.send_payload(b"x", 0.0)
    assert not server.send_payload(0, b"x", 0.0)
    assert not server.send_payload(99, b"x", 0.0)
    assert client.datagrams() == [] and server.datagrams() == []


def test_idle_connection_is_kept_alive_at_10hz_and_never_times_out():
    net, server, client = connected_pair(timeout_seconds=2)
    net.log.clear()
    net.run(20.0)
    assert client.state == ClientState.CONNECTED
    assert server.connected_clients() == (0,)
    from_server = [d for d, src, _ in net.log if src == SERVER]
    from_client = [d for d, src, _ in net.log if src == A]
    assert all(PacketType(d[0] & 15) == PacketType.KEEP_ALIVE for d in from_server + from_client)
    # about 10 a second each way (20 s), not one per 50 ms tick
    assert 150 <= len(from_server) <= 210 and 150 <= len(from_client) <= 210


def test_payload_traffic_replaces_keep_alives():
    net, server, client = connected_pair()
    net.run(0.2)  # the client's first keep-alive confirms it
    net.log.clear()
    for _ in range(40):
        client.send_payload(b"p", net.now)
        server.send_payload(0, b"q", net.now)
        net.step(0.05)
    kinds = {PacketType(d[0] & 15) for d, _, _ in net.log}
    assert kinds == {PacketType.PAYLOAD}


def test_unconfirmed_client_gets_a_keep_alive_before_each_payload_until_it_speaks():
    net = Net()
    server = net.add_server()
    client = NetcodeClient(make_token(), now=0.0)
    net.clients[A] = client
    client.connect(0.0)
    server.receive(client.datagrams()[0][0], A, 0.0)
    client.receive(server.datagrams()[0][0], SERVER, 0.0)
    server.receive(client.datagrams()[0][0], A, 0.0)
    lost_keep_alive = server.datagrams()  # never reaches the client
    assert _types(lost_keep_alive) == [PacketType.KEEP_ALIVE]
    assert client.state == ClientState.SENDING_CONNECTION_RESPONSE

    assert server.send_payload(0, b"first", 0.01)
    first = server.datagrams()
    assert _types(first) == [PacketType.KEEP_ALIVE, PacketType.PAYLOAD]
    for data, _ in first:
        client.receive(data, SERVER, 0.01)
    # the keep-alive in front of the payload completes the handshake, so the payload counts
    assert client.state == ClientState.CONNECTED
    assert client.events() == [C.Connected(0, 4), C.PayloadReceived(b"first")]

    server.send_payload(0, b"second", 0.02)
    assert _types(server.datagrams()) == [PacketType.KEEP_ALIVE, PacketType.PAYLOAD]
    client.update(0.2)  # idle client sends a keep-alive: the server marks it confirmed
    (keep_alive,) = client.datagrams()
    server.receive(keep_alive[0], A, 0.2)
    server.send_payload(0, b"third", 0.2)
    assert _types(server.datagrams()) == [PacketType.PAYLOAD]


def test_payload_from_server_before_connected_is_discarded():
    net = Net()
    net.add_server()
    token = make_token()
    client = NetcodeClient(token, now=0.0)
    client.connect(0.0)
    forged_early = write_packet(Payload(b"early"), 0, token.server_to_client_key, PROTOCOL_ID)
    client.receive(forged_early, SERVER, 0.0)
    assert client.events() == []
    assert client.state == ClientState.SENDING_CONNECTION_REQUEST
    assert client.stats.ignored["PAYLOAD while SENDING_CONNECTION_REQUEST"] == 1


def test_server_times_out_a_silent_client_after_the_token_timeout():
    net, server, client = connected_pair(timeout_seconds=3)
    server.events()
    net.drop = lambda data, src, dst: src == A
    net.run(2.9)
    assert server.connected_clients() == (0,)
    net.run(0.2)
    assert server.connected_clients() == ()
    assert server.events() == [S.ClientDisconnected(0, "timed out")]


def test_client_times_out_a_silent_server():
    net, server, client = connected_pair(timeout_seconds=3)
    client.events()
    net.drop = lambda data, src, dst: src == SERVER
    net.run(2.9)
    assert client.state == ClientState.CONNECTED
    net.run(0.2)
    assert client.state == ClientState.CONNECTION_TIMED_OUT
    assert client.events() == [C.Disconnected(ClientState.CONNECTION_TIMED_OUT)]


def test_negative_timeout_disables_timeouts():
    net, server, client = connected_pair(timeout_seconds=-1)
    net.drop = lambda data, src, dst: True
    net.run(60.0, dt=0.5)
    assert client.state == ClientState.CONNECTED
    assert server.connected_clients() == (0,)


def test_client_disconnect_sends_redundant_packets_and_frees_the_slot():
    net, server, client = connected_pair()
    server.events(), client.events()
    client.disconnect(net.now)
    sent = client.datagrams()
    assert _types(sent) == [PacketType.DISCONNECT] * 10
    assert client.state == ClientState.DISCONNECTED
    assert client.events() == [C.Disconnected(ClientState.DISCONNECTED)]
    for data, _ in sent:
        server.receive(data, A, net.now)
    assert server.events() == [S.ClientDisconnected(0, "client disconnected")]
    assert server.connected_clients() == ()
    assert server.stats.ignored["encrypted: no key for this address"] == 9  # the other copies


def test_server_disconnect_reaches_the_client():
    net, server, client = connected_pair()
    server.events(), client.events()
    server.disconnect(0, net.now)
    assert server.events() == [S.ClientDisconnected(0, "server disconnected")]
    sent = server.datagrams()
    assert _types(sent) == [PacketType.DISCONNECT] * 10
    for data, _ in sent:
        client.receive(data, SERVER, net.now)
    assert client.state == ClientState.DISCONNECTED
    assert client.events() == [C.Disconnected(ClientState.DISCONNECTED)]


def test_disconnect_all():
    net = Net()
    server = net.add_server(max_clients=3)
    clients = [net.add_client(make_token(i), client_address(i)) for i in range(3)]
    net.step()
    server.events()
    server.disconnect_all(net.now)
    net.deliver()
    assert server.connected_clients() == ()
    assert [e.reason for e in server.events()] == ["server disconnected"] * 3
    assert all(c.state == ClientState.DISCONNECTED for c in clients)


def test_full_server_denies_and_the_denial_is_smaller_than_the_request():
    net = Net()
    server = net.add_server(max_clients=1)
    first = net.add_client(make_token(1), A)
    net.step()
    assert first.state == ClientState.CONNECTED
    net.log.clear()
    second = net.add_client(make_token(2), B)
    net.step()
    assert second.state == ClientState.CONNECTION_DENIED
    assert second.events()[-1] == C.Disconnected(ClientState.CONNECTION_DENIED)
    denials = [d for d, src, dst in net.log if src == SERVER and dst == B]
    assert _types([(d, None) for d in denials]) == [PacketType.DENIED]
    assert len(denials[0]) == 1 + 8 + 16  # prefix, 8-byte global sequence (>= 2**63), MAC
    assert server.connected_clients() == (0,)


def test_client_falls_back_to_the_next_server_when_the_first_is_silent():
    net = Net()
    server = net.add_server(SERVER_2)
    token = make_token(addresses=(SERVER, SERVER_2), timeout_seconds=2, expire_seconds=30)
    client = net.add_client(token, A)  # nothing listens at SERVER
    assert client.server_address == SERVER
    net.run(1.9)
    assert client.state == ClientState.SENDING_CONNECTION_REQUEST
    net.run(0.5)
    assert client.state == ClientState.CONNECTED
    assert client.server_address == SERVER_2
    assert server.connected_clients() == (0,)


def test_client_falls_back_to_the_next_server_when_the_first_is_full():
    net = Net()
    full = net.add_server(SERVER, max_clients=1)
    spare = net.add_server(SERVER_2)
    net.add_client(make_token(1, addresses=(SERVER,)), B)
    net.step()
    client = net.add_client(make_token(2, addresses=(SERVER, SERVER_2)), A)
    net.step(times=3)
    assert client.state == ClientState.CONNECTED and client.server_address == SERVER_2
    assert full.connected_clients() == (0,) and spare.client_id(0) == 2


def test_request_and_response_timeouts_when_no_server_is_left():
    net = Net()
    client = net.add_client(make_token(timeout_seconds=2, addresses=(SERVER, SERVER_2)), A)
    net.run(4.5)
    assert client.state == ClientState.CONNECTION_REQUEST_TIMED_OUT
    assert client.events() == [C.Disconnected(ClientState.CONNECTION_REQUEST_TIMED_OUT)]

    net = Net()
    net.add_server()
    # the server hears requests but never responses: the client is stuck answering a challenge
    net.drop = lambda data, src, dst: data[0] & 15 == PacketType.RESPONSE
    client = net.add_client(make_token(timeout_seconds=2), A)
    net.run(1.0)
    assert client.state == ClientState.SENDING_CONNECTION_RESPONSE
    net.run(1.5)
    assert client.state == ClientState.CONNECTION_RESPONSE_TIMED_OUT


def test_token_expires_over_the_whole_attempt_not_per_server():
    net = Net()
    token = make_token(addresses=(SERVER, SERVER_2), timeout_seconds=4, expire_seconds=6)
    client = net.add_client(token, A)
    net.run(4.5)
    assert client.state == ClientState.SENDING_CONNECTION_REQUEST
    assert client.server_address == SERVER_2  # moved on after 4 s of silence
    net.run(1.4)
    assert client.state == ClientState.SENDING_CONNECTION_REQUEST
    net.run(0.2)
    assert client.state == ClientState.CONNECT_TOKEN_EXPIRED
    assert client.events() == [C.Disconnected(ClientState.CONNECT_TOKEN_EXPIRED)]


def test_invalid_tokens_end_in_invalid_connect_token():
    for bad in (b"junk", bytes(2048)):
        client = NetcodeClient(bad, now=0.0)
        client.connect(0.0)
        assert client.state == ClientState.INVALID_CONNECT_TOKEN
        assert client.events() == [C.Disconnected(ClientState.INVALID_CONNECT_TOKEN)]
        assert client.datagrams() == []
    token = make_token()
    backwards = type(token)(
        **{
            **{f: getattr(token, f) for f in token.__dataclass_fields__},
            "create_timestamp": token.expire_timestamp + 1,
        }
    )
    client = NetcodeClient(backwards, now=0.0)
    client.connect(0.0)
    assert client.state == ClientState.INVALID_CONNECT_TOKEN


def test_client_index_is_reused_after_a_disconnect():
    net = Net()
    server = net.add_server(max_clients=3)
    clients = [net.add_client(make_token(10 + i), client_address(i)) for i in range(3)]
    net.step()
    assert [c.client_index for c in clients] == [0, 1, 2]
    clients[1].disconnect(net.now)
    net.deliver()
    assert server.connected_clients() == (0, 2)
    late = net.add_client(make_token(99), client_address(7))
    net.step()
    assert late.state == ClientState.CONNECTED and late.client_index == 1
    assert server.client_id(1) == 99


def test_reconnect_after_disconnect_with_the_same_token_from_the_same_address():
    net, server, client = connected_pair()
    client.disconnect(net.now)
    net.deliver()
    client.connect(net.now)
    net.deliver()
    net.step()
    assert client.state == ClientState.CONNECTED


def test_client_sequence_keeps_counting_across_servers():
    """Every server in a token shares its keys, so restarting the sequence for the next
    server would reuse AEAD nonces under the same key."""
    net = Net()
    net.add_server(SERVER_2)
    net.drop = lambda data, src, dst: dst == SERVER and data[0] & 15 != PacketType.REQUEST
    token = make_token(addresses=(SERVER, SERVER_2), timeout_seconds=1)
    # the first server answers the challenge, then goes silent (responses dropped)
    net.add_server(SERVER)
    client = net.add_client(token, A)
    net.run(1.5)
    first_server = [peek_sequence(d) for d, src, dst in net.log if src == A and dst == SERVER]
    later = [peek_sequence(d) for d, src, dst in net.log if src == A and dst == SERVER_2]
    first_server = [s for s in first_server if s is not None]
    later = [s for s in later if s is not None]
    assert first_server and later
    assert min(later) > max(first_server)
    assert client.state == ClientState.CONNECTED


def test_every_challenge_token_gets_its_own_sequence_and_nonce():
    """Challenge tokens are sealed under one server key, so each needs a fresh sequence: a
    repeated nonce under the same key would void ChaCha20-Poly1305's guarantees."""
    net = Net()
    server = net.add_server()
    sequences, global_sequences = [], []
    for i in range(3):
        token = make_token(20 + i)
        client = NetcodeClient(token, now=0.0)
        client.connect(0.0)
        server.receive(client.datagrams()[0][0], client_address(i), 0.0)
        ((challenge, _),) = server.datagrams()
        global_sequences.append(peek_sequence(challenge))
        client.receive(challenge, SERVER, 0.0)
        sequences.append(client._challenge.token_sequence)
    assert sequences == [0, 1, 2]
    assert global_sequences == [SERVER_GLOBAL_SEQUENCE_START + i for i in range(3)]
