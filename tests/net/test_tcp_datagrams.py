"""Datagrams over TCP on 127.0.0.1 (port 0, bounded waits): the same DatagramSocket as UDP."""

from __future__ import annotations

import select
import socket
import time

import pytest

from engine.net.tcp_datagrams import HttpResponse, TcpDatagramClient, TcpDatagramServer

DEADLINE = 5.0


def pump(*sockets, until, seconds: float = DEADLINE) -> dict:
    """Receive on every socket until `until(got)`; got maps socket -> [(datagram, from)]."""
    got: dict = {sock: [] for sock in sockets}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for sock in sockets:
            got[sock] += sock.receive(time.monotonic())
        if until(got):
            return got
        select.select([fd for sock in sockets for fd in sock.filenos()], [], [], 0.01)
    raise AssertionError(f"gave up after {seconds} s with {got}")


@pytest.fixture
def server():
    sock = TcpDatagramServer("127.0.0.1", 0)
    yield sock
    sock.close()


def test_datagrams_cross_both_ways_whole_and_in_order(server):
    client = TcpDatagramClient(*server.address, now=time.monotonic())
    try:
        datagrams = [bytes([i]) * (i * 10 + 1) for i in range(20)]
        for datagram in datagrams:
            client.send_to(datagram, server.address, time.monotonic())
        got = pump(server, client, until=lambda got: len(got[server]) == 20)
        assert [d for d, _ in got[server]] == datagrams
        (address,) = {a for _, a in got[server]}
        assert address == client.address  # the connection is the client's address
        server.send_to(b"welcome", address, 0.0)
        got = pump(server, client, until=lambda got: got[client])
        assert got[client] == [(b"welcome", server.address)]
    finally:
        client.close()


def test_each_connection_is_its_own_address(server):
    a = TcpDatagramClient(*server.address, now=time.monotonic())
    b = TcpDatagramClient(*server.address, now=time.monotonic())
    try:
        a.send_to(b"a", server.address, time.monotonic())
        b.send_to(b"b", server.address, time.monotonic())
        got = pump(server, a, b, until=lambda got: len(got[server]) == 2)
        by_datagram = dict(got[server])
        assert by_datagram[b"a"] != by_datagram[b"b"]
        server.send_to(b"to b", by_datagram[b"b"], 0.0)
        got = pump(server, a, b, until=lambda got: got[b])
        assert got[b] == [(b"to b", server.address)] and got[a] == []
        assert server.connections == 2
    finally:
        a.close()
        b.close()


def test_a_datagram_to_an_address_with_no_connection_vanishes(server):
    server.send_to(b"nobody", ("127.0.0.1", 9), 0.0)  # no error, nothing sent
    assert server.receive(0.0) == []


def test_a_closed_client_connection_is_forgotten(server):
    client = TcpDatagramClient(*server.address, now=time.monotonic())
    client.send_to(b"hi", server.address, time.monotonic())
    pump(server, client, until=lambda got: got[server])
    client.close()
    deadline = time.monotonic() + DEADLINE
    while server.connections and time.monotonic() < deadline:
        server.receive(0.0)
    assert server.connections == 0


def test_garbage_on_a_connection_closes_it_and_the_server_carries_on(server):
    raw = socket.create_connection(server.address, timeout=DEADLINE)
    good = TcpDatagramClient(*server.address, now=time.monotonic())
    try:
        raw.sendall(b"\xff\xff\xff\xffnot a frame")  # a length far past any datagram
        good.send_to(b"still here", server.address, time.monotonic())
        got = pump(server, good, until=lambda got: got[server])
        assert [d for d, _ in got[server]] == [b"still here"]
        deadline = time.monotonic() + DEADLINE
        while server.connections > 1 and time.monotonic() < deadline:
            server.receive(0.0)
        assert server.connections == 1
    finally:
        raw.close()
        good.close()


def test_the_server_closing_ends_the_client_with_a_reason(server):
    client = TcpDatagramClient(*server.address, now=time.monotonic())
    client.send_to(b"hi", server.address, time.monotonic())
    pump(server, client, until=lambda got: got[server])
    server.close()
    deadline = time.monotonic() + DEADLINE
    while not client.closed and time.monotonic() < deadline:
        client.receive(time.monotonic())
    assert client.closed and client.error == "closed by peer"


def test_a_refused_connection_is_an_error_not_an_exception():
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    client = TcpDatagramClient("127.0.0.1", port, now=time.monotonic())
    deadline = time.monotonic() + DEADLINE
    while not client.closed and time.monotonic() < deadline:
        client.send_to(b"x", ("127.0.0.1", port), time.monotonic())
        assert client.receive(time.monotonic()) == []
    assert client.error == f"connection refused by 127.0.0.1:{port}"


def test_the_listening_port_and_connections_are_what_to_wait_on(server):
    assert len(server.filenos()) == 1
    client = TcpDatagramClient(*server.address, now=time.monotonic())
    try:
        client.send_to(b"x", server.address, time.monotonic())
        pump(server, client, until=lambda got: got[server])
        assert len(server.filenos()) == 2 and len(client.filenos()) == 1
    finally:
        client.close()
    assert client.filenos() == []


# -- HTTP on the datagram port -------------------------------------------------------------


def http_get(server: TcpDatagramServer, request: bytes) -> bytes:
    """Send a raw request, run the server until the connection closes; the raw answer."""
    raw = socket.create_connection(server.address, timeout=DEADLINE)
    raw.setblocking(False)
    answer = bytearray()
    try:
        raw.sendall(request)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            server.receive(0.0)
            ready, _, _ = select.select([raw], [], [], 0.01)
            if ready:
                chunk = raw.recv(65536)
                if not chunk:
                    return bytes(answer)
                answer += chunk
        raise AssertionError(f"no complete answer in time: {bytes(answer)!r}")
    finally:
        raw.close()


def test_a_get_request_is_answered_by_the_handler_and_closed():
    seen = []

    def handler(request):
        seen.append(request)
        return HttpResponse(200, b'{"ok": true}')

    server = TcpDatagramServer("127.0.0.1", 0, http=handler)
    try:
        answer = http_get(
            server, b"GET /ticket?name=Ada+Lovelace&x=%C3%A9 HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Content-Type: application/json" in head and b"Content-Length: 12" in head
        assert body == b'{"ok": true}'
        (request,) = seen
        assert request.path == "/ticket"
        assert request.query == {"name": "Ada Lovelace", "x": "é"}
        assert request.local == server.address
        assert server.connections == 0
    finally:
        server.close()


def test_datagrams_and_requests_share_the_port(server):
    server.http = lambda request: HttpResponse(404, b"{}")
    client = TcpDatagramClient(*server.address, now=time.monotonic())
    try:
        client.send_to(b"game", server.address, time.monotonic())
        got = pump(server, client, until=lambda got: got[server])
        assert [d for d, _ in got[server]] == [b"game"]
        assert http_get(server, b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404 Not Found")
        client.send_to(b"still", server.address, time.monotonic())
        got = pump(server, client, until=lambda got: got[server])
        assert [d for d, _ in got[server]] == [b"still"]
    finally:
        client.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /x HTTP/1.1\r\n" + b"X-Long: " + b"a" * 5000 + b"\r\n\r\n", b"400"),
        (b"GET\r\n\r\n", b"400"),
        (b"GIVE /x HTTP/1.1\r\n\r\n", b"400"),
    ],
)
def test_a_bad_request_gets_a_400_and_the_handler_never_runs(request_bytes, status):
    calls = []
    server = TcpDatagramServer("127.0.0.1", 0, http=lambda r: calls.append(r))
    try:
        assert http_get(server, request_bytes).startswith(b"HTTP/1.1 " + status)
        assert calls == []
    finally:
        server.close()


def test_without_a_handler_a_request_is_just_a_bad_frame(server):
    answer = http_get(server, b"GET / HTTP/1.1\r\n\r\n")
    assert answer == b""  # closed without a word
    assert server.connections == 0


def test_a_request_whose_asker_hangs_up_at_once_is_dropped_and_the_server_carries_on():
    """The request's bytes and the asker's EOF arrive in one read: the stream is closed by
    the time the request is whole (once, under load, this crashed a server with EBADF)."""
    paths = []

    def handler(request):
        paths.append(request.path)
        return HttpResponse(200, b"{}")

    server = TcpDatagramServer("127.0.0.1", 0, http=handler)
    try:
        raw = socket.create_connection(server.address, timeout=DEADLINE)
        raw.sendall(b"GET /gone HTTP/1.1\r\nHost: a\r\n\r\n")
        raw.close()
        # Accepted in order: by the time the next request is answered, the first was read.
        assert http_get(server, b"GET /next HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 200")
        assert paths == ["/next"]  # nobody was there to hear an answer to /gone
        assert server.connections == 0
    finally:
        server.close()
