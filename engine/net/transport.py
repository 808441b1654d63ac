"""TCP streams: move raw bytes between a socket and whatever parses them.

Used by the TCP fallback (tcp_datagrams.py: datagrams as frames) and by
tools.netsim's relay. Nothing here knows about frames or messages. Every call
is non-blocking: a loop calls `receive()`, parses, `send()`s and `flush()`es. Failures never raise
out of a stream; the stream closes itself with a human reason instead, so the
caller has one thing to check (`closed` / `close_reason`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import selectors
import socket
from collections.abc import Iterable
from typing import Protocol, TypeVar, runtime_checkable

DEFAULT_MAX_OUTBOUND = 1024 * 1024
"""Queued unsent bytes a stream tolerates before it gives up on a peer that is not reading."""

RECEIVE_CAP = 1024 * 1024
"""Most bytes one `receive()` returns, so one chatty peer cannot stall a server tick."""

_RECV_SIZE = 64 * 1024

SEND_BUFFER_FULL = "send buffer full (peer not reading)"
CLOSED_BY_PEER = "closed by peer"

# connect_ex results meaning "under way"; Windows reports WSAEWOULDBLOCK (10035).
_CONNECT_PENDING = {errno.EINPROGRESS, errno.EALREADY, getattr(errno, "WSAEWOULDBLOCK", 10035)}


class ConnectError(OSError):
    """A client connect failed; `str(err)` is a one-line message fit to show a player.

    A subclass of OSError, like the built-in ConnectionRefusedError, so code that
    already handles socket errors catches it too.
    """


class ListenError(OSError):
    """A server could not listen; `str(err)` is a one-line message fit to show a player."""


@runtime_checkable
class ByteStream(Protocol):
    """A non-blocking, bidirectional byte pipe to one peer."""

    def send(self, data: bytes) -> None:
        """Queue bytes; closes the stream (never raises) if the peer left more than
        max_outbound bytes unread from earlier sends."""
        ...

    def flush(self) -> None:
        """Push as much queued data as the peer accepts right now."""
        ...

    def receive(self) -> bytes:
        """All bytes available now (b"" if none); EOF or an error closes the stream."""
        ...

    def close(self, reason: str) -> None:
        """Close once, remembering the first reason; best-effort flush, no waiting."""
        ...

    def fileno(self) -> int:
        """The socket's descriptor for selectors, or -1 once closed."""
        ...

    @property
    def closed(self) -> bool: ...

    @property
    def close_reason(self) -> str | None: ...

    @property
    def pending_bytes(self) -> int: ...

    @property
    def bytes_sent(self) -> int: ...

    @property
    def bytes_received(self) -> int: ...

    @property
    def peer(self) -> str: ...


def _format_address(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)


class _StreamBase:
    """Bookkeeping shared by both streams: outbound queue, counters, close state."""

    def __init__(self, max_outbound: int) -> None:
        self.max_outbound = max_outbound
        self._out = bytearray()
        self._closed = False
        self._close_reason: str | None = None
        self._bytes_sent = 0
        self._bytes_received = 0

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def close_reason(self) -> str | None:
        return self._close_reason

    @property
    def pending_bytes(self) -> int:
        return len(self._out)

    @property
    def bytes_sent(self) -> int:
        return self._bytes_sent

    @property
    def bytes_received(self) -> int:
        return self._bytes_received

    def send(self, data: bytes) -> None:
        """Queue `data`. On a closed stream this does nothing (the caller checks `closed`)."""
        if self._closed or not data:
            return
        # The cap judges the backlog the peer has not read yet, not this message: one big
        # message (a joiner's full state) is always queued for a peer that keeps up.
        if len(self._out) > self.max_outbound:
            self.close(SEND_BUFFER_FULL)
            return
        self._out += data

    def close(self, reason: str) -> None:
        raise NotImplementedError


class TcpStream(_StreamBase):
    """A connected TCP socket, made non-blocking with Nagle off (small game messages go out now)."""

    def __init__(self, sock: socket.socket, *, max_outbound: int = DEFAULT_MAX_OUTBOUND) -> None:
        super().__init__(max_outbound)
        self._sock = sock
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._peer = _format_address(sock.getpeername())
        except OSError:  # the peer may already be gone; receive()/flush() will say so
            self._peer = "unknown"

    @property
    def peer(self) -> str:
        return self._peer

    @property
    def socket(self) -> socket.socket:
        """The underlying socket, for options such as buffer sizes."""
        return self._sock

    def fileno(self) -> int:
        return -1 if self._closed else self._sock.fileno()

    def flush(self) -> None:
        if self._closed:
            return
        try:
            self._drain()
        except BrokenPipeError:
            self.close("connection lost (peer closed)")
        except ConnectionResetError:
            self.close("connection reset by peer")
        except OSError as err:
            self.close(f"send failed: {err.strerror or err}")

    def _drain(self) -> None:
        """Send until the queue is empty or the OS would block; socket errors propagate."""
        while self._out:
            try:
                sent = self._sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                return
            if sent <= 0:
                return
            del self._out[:sent]  # O(1) at the front of a bytearray in CPython
            self._bytes_sent += sent

    def receive(self) -> bytes:
        """Bytes available now, up to RECEIVE_CAP. Bytes that arrived before an EOF are
        still returned, with the stream already closed: process them, then check `closed`."""
        if self._closed:
            return b""
        chunks: list[bytes] = []
        total = 0
        while total < RECEIVE_CAP:
            try:
                data = self._sock.recv(min(_RECV_SIZE, RECEIVE_CAP - total))
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                self.close("connection reset by peer")
                break
            except OSError as err:
                self.close(f"receive failed: {err.strerror or err}")
                break
            if not data:
                self.close(CLOSED_BY_PEER)
                break
            chunks.append(data)
            total += len(data)
        self._bytes_received += total
        return b"".join(chunks)

    def close(self, reason: str) -> None:
        """Close once. Queued bytes get one non-blocking send attempt, the rest is dropped.

        Unread inbound bytes are discarded first: closing a socket with unread
        data makes the kernel send a reset, which can destroy what we just sent.
        """
        if self._closed:
            return
        self._closed = True
        self._close_reason = reason
        with contextlib.suppress(OSError):
            self._drain()
        self._out.clear()
        with contextlib.suppress(OSError):
            for _ in range(RECEIVE_CAP // _RECV_SIZE):
                if not self._sock.recv(_RECV_SIZE):
                    break
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


def _connect_status(sock: socket.socket) -> int | None:
    """None while a non-blocking connect is pending, else its result (0 or an errno)."""
    if hasattr(select, "poll"):  # no FD_SETSIZE limit
        poller = select.poll()
        poller.register(sock, select.POLLOUT)
        done = bool(poller.poll(0))
    else:  # Windows reports a failed connect in the exception set
        _, writable, failed = select.select([], [sock], [sock], 0)
        done = bool(writable or failed)
    if not done:
        return None
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)


class TcpConnector:
    """A non-blocking client connect, driven by `poll(now)` once per frame.

    `start` resolves the host with getaddrinfo, which can block briefly on a
    DNS lookup (never for a literal IP or /etc/hosts names like localhost).
    Every resolved address is tried in turn (localhost may be ::1 and
    127.0.0.1) within one overall deadline. All failures, resolution included,
    are raised as ConnectError by `poll`, so callers handle errors in one place.
    Time only comes from the `now` arguments.
    """

    def __init__(
        self, host: str, port: int, timeout: float, deadline: float, max_outbound: int
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.deadline = deadline
        self._max_outbound = max_outbound
        self._addresses: list[tuple[int, tuple]] = []
        self._sock: socket.socket | None = None
        self._last_errno = 0
        self._failure: ConnectError | None = None
        self._stream: TcpStream | None = None

    @classmethod
    def start(
        cls,
        host: str,
        port: int,
        timeout: float,
        now: float,
        *,
        max_outbound: int = DEFAULT_MAX_OUTBOUND,
    ) -> TcpConnector:
        """Begin connecting to host:port; give up `timeout` seconds after `now`."""
        connector = cls(host, port, timeout, now + timeout, max_outbound)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as err:
            detail = getattr(err, "strerror", None) or str(err)
            connector._failure = ConnectError(f"cannot find host {host}: {detail}")
            return connector
        connector._addresses = [(info[0], info[4]) for info in infos]
        connector._try_next()
        return connector

    @property
    def name(self) -> str:
        return _format_address((self.host, self.port))

    def _try_next(self) -> None:
        """Start connecting to the next address; record the failure once none is left."""
        while self._addresses:
            family, address = self._addresses.pop(0)
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
            except OSError as err:
                self._last_errno = err.errno or 0
                continue
            sock.setblocking(False)
            result = sock.connect_ex(address)
            if result == 0 or result in _CONNECT_PENDING:
                self._sock = sock
                return
            sock.close()
            self._last_errno = result
        if self._last_errno in (errno.ECONNREFUSED, getattr(errno, "WSAECONNREFUSED", -1)):
            message = f"connection refused by {self.name}"
        else:
            message = f"cannot connect to {self.name}: {_strerror(self._last_errno)}"
        self._failure = ConnectError(message)

    def poll(self, now: float) -> TcpStream | None:
        """The stream once connected (again on later calls), None while pending.

        A connect found finished wins over a passed deadline (a slow frame
        does not throw away a working connection). Raises ConnectError.
        """
        if self._stream is not None:
            return self._stream
        while self._failure is None and self._sock is not None:
            try:
                status = _connect_status(self._sock)
            except OSError as err:
                status = err.errno or errno.EBADF
            if status is None:
                break
            sock, self._sock = self._sock, None
            if status == 0:
                self._stream = TcpStream(sock, max_outbound=self._max_outbound)
                return self._stream
            sock.close()
            self._last_errno = status
            self._try_next()
        if self._failure is None and now >= self.deadline:
            self.cancel()
            self._failure = ConnectError(f"no answer from {self.name} after {self.timeout:.1f} s")
        if self._failure is not None:
            raise self._failure
        return None

    def cancel(self) -> None:
        """Abandon a pending connect (e.g. the player pressed Back)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._addresses.clear()


def _strerror(code: int) -> str:
    try:
        return os.strerror(code)
    except ValueError:
        return f"error {code}"


class TcpListener:
    """A non-blocking listening socket that hands out TcpStreams.

    SO_REUSEADDR (via socket.create_server; exclusive use on Windows) lets a
    restarted server rebind at once while old connections linger in TIME_WAIT;
    it still refuses a port another server is listening on.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        backlog: int = 16,
        max_outbound: int = DEFAULT_MAX_OUTBOUND,
    ) -> None:
        self._max_outbound = max_outbound
        try:
            family, _, _, _, address = socket.getaddrinfo(
                host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
            self._sock = socket.create_server(address, family=family, backlog=backlog)
        except socket.gaierror as err:
            raise ListenError(f"cannot listen on {host}: {err.strerror}") from None
        except OSError as err:
            if err.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                raise ListenError(f"port {port} on {host} is already in use") from None
            raise ListenError(
                f"cannot listen on port {port} of {host}: {_strerror(err.errno or 0)}"
            ) from None
        self._sock.setblocking(False)
        self._closed = False

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the real port when 0 was asked for."""
        host, port = self._sock.getsockname()[:2]
        return host, port

    @property
    def closed(self) -> bool:
        return self._closed

    def fileno(self) -> int:
        return -1 if self._closed else self._sock.fileno()

    def accept(self) -> list[TcpStream]:
        """Every connection waiting right now (possibly none)."""
        streams: list[TcpStream] = []
        while not self._closed:
            try:
                sock, _ = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionAbortedError:  # the client gave up while queued
                continue
            except OSError:  # e.g. out of file descriptors: try again next tick
                break
            streams.append(TcpStream(sock, max_outbound=self._max_outbound))
        return streams

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._sock.close()


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


T = TypeVar("T", bound=_HasFileno)


def wait_readable(entries: Iterable[T], timeout: float) -> list[T]:
    """Sleep until a socket entry is readable (data, EOF or a pending accept) or `timeout`.

    Returns the ready entries. Entries with fileno() < 0 (closed sockets) are
    ignored; with no socket entry at all it returns [] at once instead of sleeping.
    """
    entries = [entry for entry in entries if entry.fileno() >= 0]
    if not entries:
        return []
    with selectors.DefaultSelector() as selector:
        for entry in entries:
            selector.register(entry.fileno(), selectors.EVENT_READ, entry)
        ready = selector.select(max(0.0, timeout))
    return [key.data for key, _ in ready]
