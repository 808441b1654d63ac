"""Transports: real sockets on 127.0.0.1 (port 0) and the in-memory pair, bounded waits only."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from engine.net import transport
from engine.net.transport import (
    ByteStream,
    ConnectError,
    ListenError,
    TcpConnector,
    TcpListener,
    TcpStream,
    wait_readable,
)

DEADLINE = 10.0


@pytest.fixture
def listener() -> Iterator[TcpListener]:
    server = TcpListener("127.0.0.1", 0)
    yield server
    server.close()


def connect(listener: TcpListener, **kwargs: int) -> tuple[TcpStream, TcpStream]:
    """A connected (client, server) pair through TcpConnector and the listener."""
    host, port = listener.address
    connector = TcpConnector.start(host, port, timeout=5.0, now=time.monotonic(), **kwargs)
    client: TcpStream | None = None
    accepted: list[TcpStream] = []
    deadline = time.monotonic() + DEADLINE
    while (client is None or not accepted) and time.monotonic() < deadline:
        client = client or connector.poll(time.monotonic())
        accepted += listener.accept()
        if not accepted:
            wait_readable([listener], 0.05)
    assert client is not None and len(accepted) == 1
    return client, accepted[0]


def nodelay(stream: TcpStream) -> int:
    sock = socket.fromfd(stream.fileno(), socket.AF_INET, socket.SOCK_STREAM)  # a dup
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()


def exchange(
    a: ByteStream, b: ByteStream, size: int, wait: Callable[[], object], chunk: int = 64 * 1024
) -> None:
    """Send `size` random bytes each way at once, flushing partial sends; check them intact."""
    rng = random.Random(size)
    outgoing = {id(a): rng.randbytes(size), id(b): rng.randbytes(size)}
    offsets = {id(a): 0, id(b): 0}
    received = {id(a): bytearray(), id(b): bytearray()}
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline and not all(len(r) == size for r in received.values()):
        for stream in (a, b):
            data, pos = outgoing[id(stream)], offsets[id(stream)]
            if pos < size and stream.pending_bytes < 4 * chunk:
                stream.send(data[pos : pos + chunk])
                offsets[id(stream)] = pos + chunk
            stream.flush()
            received[id(stream)] += stream.receive()
            assert not stream.closed, stream.close_reason
        wait()
    assert received[id(a)] == outgoing[id(b)]
    assert received[id(b)] == outgoing[id(a)]
    assert a.bytes_sent == b.bytes_received == size
    assert b.bytes_sent == a.bytes_received == size


# -- TCP ------------------------------------------------------------------------------


def test_tcp_exchange_3mb_both_ways(listener: TcpListener) -> None:
    client, server = connect(listener)
    assert client.peer == f"127.0.0.1:{listener.address[1]}"
    assert server.peer.startswith("127.0.0.1:")

    def wait() -> None:
        if not (client.pending_bytes or server.pending_bytes):
            wait_readable([client, server], 0.05)

    exchange(client, server, 3 * 1024 * 1024, wait)
    client.close("done")
    server.close("done")


def test_tcp_nodelay_is_set(listener: TcpListener) -> None:
    client, server = connect(listener)
    assert nodelay(client) and nodelay(server)
    client.close("done")
    server.close("done")


def test_eof_is_closed_by_peer_after_last_bytes(listener: TcpListener) -> None:
    client, server = connect(listener)
    client.send(b"last words")
    client.close("bye")  # close flushes what the OS takes
    assert client.closed and client.close_reason == "bye"
    got = bytearray()
    deadline = time.monotonic() + DEADLINE
    while not server.closed and time.monotonic() < deadline:
        wait_readable([server], 0.05)
        got += server.receive()
    assert got == b"last words"
    assert server.close_reason == "closed by peer"
    assert server.receive() == b"" and server.fileno() == -1


def test_close_is_idempotent_and_keeps_first_reason(listener: TcpListener) -> None:
    client, server = connect(listener)
    client.close("first")
    client.close("second")
    assert client.close_reason == "first"
    client.send(b"ignored")
    client.flush()
    assert client.pending_bytes == 0 and client.receive() == b""
    server.close("done")


def test_peer_not_reading_hits_send_buffer_cap(listener: TcpListener) -> None:
    client, server = connect(listener)
    server.max_outbound = 64 * 1024
    chunk = b"x" * 16 * 1024
    deadline = time.monotonic() + DEADLINE
    while not server.closed and time.monotonic() < deadline:  # the client never reads
        server.send(chunk)
        server.flush()
    assert server.close_reason == "send buffer full (peer not reading)"
    assert server.bytes_sent > 0
    client.close("done")


def test_accept_returns_every_pending_connection(listener: TcpListener) -> None:
    host, port = listener.address
    clients = [socket.create_connection((host, port), timeout=5) for _ in range(3)]
    accepted: list[TcpStream] = []
    deadline = time.monotonic() + DEADLINE
    while len(accepted) < 3 and time.monotonic() < deadline:
        wait_readable([listener], 0.05)
        accepted += listener.accept()
    assert len(accepted) == 3
    for stream in accepted:
        stream.close("done")
    for sock in clients:
        sock.close()


def test_refused_connect_raises_connect_error() -> None:
    closed = TcpListener("127.0.0.1", 0)
    port = closed.address[1]
    closed.close()
    connector = TcpConnector.start("127.0.0.1", port, timeout=5.0, now=time.monotonic())
    deadline = time.monotonic() + DEADLINE
    with pytest.raises(ConnectError, match=f"connection refused by 127.0.0.1:{port}"):
        while time.monotonic() < deadline:
            assert connector.poll(time.monotonic()) is None


def test_connect_timeout_is_driven_by_now(
    listener: TcpListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "_connect_status", lambda sock: None)  # stuck in progress
    host, port = listener.address
    connector = TcpConnector.start(host, port, timeout=5.0, now=100.0)
    assert connector.poll(100.0) is None
    assert connector.poll(104.9) is None
    with pytest.raises(ConnectError, match=f"no answer from 127.0.0.1:{port} after 5.0 s"):
        connector.poll(106.0)
    with pytest.raises(ConnectError):  # stays failed
        connector.poll(106.1)


def test_finished_connect_wins_over_passed_deadline(listener: TcpListener) -> None:
    host, port = listener.address
    connector = TcpConnector.start(host, port, timeout=5.0, now=0.0)
    accepted: list[TcpStream] = []
    deadline = time.monotonic() + DEADLINE
    while not accepted and time.monotonic() < deadline:  # handshake done once accepted
        wait_readable([listener], 0.05)
        accepted += listener.accept()
    stream = connector.poll(1000.0)
    assert stream is not None and connector.poll(1001.0) is stream
    stream.close("done")
    accepted[0].close("done")


def test_unresolvable_host_raises_connect_error_from_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)  # no real DNS lookups in tests
    connector = TcpConnector.start("nowhere.invalid", 5000, timeout=5.0, now=0.0)
    with pytest.raises(ConnectError, match="cannot find host nowhere.invalid"):
        connector.poll(0.0)


def test_port_in_use_raises_listen_error(listener: TcpListener) -> None:
    port = listener.address[1]
    with pytest.raises(ListenError) as info:
        TcpListener("127.0.0.1", port)
    assert str(info.value) == f"port {port} on 127.0.0.1 is already in use"


def test_wait_readable_times_out_and_reports_ready(listener: TcpListener) -> None:
    start = time.monotonic()
    assert wait_readable([listener], 0.05) == []
    assert time.monotonic() - start >= 0.04
    host, port = listener.address
    sock = socket.create_connection((host, port), timeout=5)
    assert wait_readable([listener], DEADLINE) == [listener]
    sock.close()


def test_closed_sockets_have_no_file_number_and_do_not_wake_a_wait() -> None:
    listener = TcpListener("127.0.0.1", 0)
    client, server = connect(listener)
    assert listener.fileno() >= 0 and client.fileno() >= 0
    listener.close()
    client.close("done")
    assert listener.fileno() == -1 and client.fileno() == -1
    start = time.monotonic()
    assert wait_readable([listener, client], DEADLINE) == []  # nothing left to wait on
    assert time.monotonic() - start < DEADLINE / 2
    server.close("done")


def test_wait_readable_returns_when_its_short_timeout_passes(listener: TcpListener) -> None:
    start = time.monotonic()
    assert wait_readable([listener], 0.01) == []
    assert wait_readable([listener], -5.0) == []  # a deadline already passed: no wait
    assert time.monotonic() - start < 0.5


def test_a_failed_listen_names_the_port_and_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(socket, "create_server", refuse)
    with pytest.raises(ListenError) as info:
        TcpListener("127.0.0.1", 80)
    assert str(info.value) == "cannot listen on port 80 of 127.0.0.1: Permission denied"


def test_an_ipv6_peer_address_is_bracketed_so_its_port_stays_readable():
    try:
        listener = TcpListener("::1", 0)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    client = socket.create_connection(("::1", listener.address[1]), timeout=5)
    try:
        deadline = time.monotonic() + 5
        streams = listener.accept()
        while not streams and time.monotonic() < deadline:
            streams = listener.accept()
        assert streams, "the connection never arrived"
        assert streams[0].peer == f"[::1]:{client.getsockname()[1]}"
        streams[0].close("done")
    finally:
        client.close()
        listener.close()
