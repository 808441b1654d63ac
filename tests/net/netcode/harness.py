"""A hand-cranked network for netcode tests: servers and clients exchange datagrams through
lists, on a manual clock, with optional filters that drop traffic. No sockets, no sleeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.net.netcode import crypto
from engine.net.netcode.addresses import Address
from engine.net.netcode.client import NetcodeClient
from engine.net.netcode.server import NetcodeServer
from engine.net.netcode.tokens import ConnectToken, generate_connect_token

PROTOCOL_ID = 0x0C10_0DB4_EA00_0001
UNIX_START = 1_750_000_000
SERVER: Address = ("10.0.0.1", 40000)
SERVER_2: Address = ("10.0.0.2", 40000)
PRIVATE_KEY = bytes(range(32))


def client_address(n: int) -> Address:
    return (f"192.168.{n // 250 % 250}.{n % 250 + 1}", 50000 + n % 10000)


def make_token(
    client_id: int = 1,
    *,
    addresses: tuple[Address, ...] = (SERVER,),
    expire_seconds: int = 30,
    timeout_seconds: int = 5,
    user_data: bytes = b"",
    private_key: bytes = PRIVATE_KEY,
    protocol_id: int = PROTOCOL_ID,
    now_unix: int = UNIX_START,
) -> ConnectToken:
    return generate_connect_token(
        private_key=private_key,
        protocol_id=protocol_id,
        client_id=client_id,
        server_addresses=addresses,
        expire_seconds=expire_seconds,
        timeout_seconds=timeout_seconds,
        now_unix=now_unix,
        user_data=user_data,
    )


Drop = Callable[[bytes, Address, Address], bool]
"""(datagram, source, destination) -> True to lose it."""


@dataclass
class Net:
    """Servers by address, clients by address; `step` advances the clock and delivers."""

    now: float = 0.0
    unix_offset: float = UNIX_START
    servers: dict[Address, NetcodeServer] = field(default_factory=dict)
    clients: dict[Address, NetcodeClient] = field(default_factory=dict)
    drop: Drop | None = None
    log: list[tuple[bytes, Address, Address]] = field(default_factory=list)

    def unix_time(self) -> float:
        return self.unix_offset + self.now

    def add_server(
        self, address: Address = SERVER, *, max_clients: int = 4, **kwargs
    ) -> NetcodeServer:
        server = NetcodeServer(
            protocol_id=kwargs.pop("protocol_id", PROTOCOL_ID),
            private_key=kwargs.pop("private_key", PRIVATE_KEY),
            public_addresses=kwargs.pop("public_addresses", (address,)),
            max_clients=max_clients,
            now=self.now,
            unix_time=self.unix_time,
            **kwargs,
        )
        self.servers[address] = server
        return server

    def add_client(self, token: ConnectToken | bytes, address: Address) -> NetcodeClient:
        client = NetcodeClient(token, now=self.now)
        self.clients[address] = client
        client.connect(self.now)
        self.deliver()
        return client

    def deliver(self) -> None:
        """Move datagrams until nothing is left in flight (replies included)."""
        for _ in range(100):
            moved = False
            for address, client in self.clients.items():
                for data, destination in client.datagrams():
                    moved = True
                    self._send(data, address, destination)
            for address, server in self.servers.items():
                for data, destination in server.datagrams():
                    moved = True
                    self._send(data, address, destination)
            if not moved:
                return
        raise AssertionError("datagrams still in flight after 100 rounds")

    def _send(self, data: bytes, source: Address, destination: Address) -> None:
        self.log.append((data, source, destination))
        if self.drop is not None and self.drop(data, source, destination):
            return
        if destination in self.servers:
            self.servers[destination].receive(data, source, self.now)
        elif destination in self.clients:
            self.clients[destination].receive(data, source, self.now)

    def step(self, seconds: float = 0.05, *, times: int = 1) -> None:
        for _ in range(times):
            self.now += seconds
            for client in self.clients.values():
                client.update(self.now)
            for server in self.servers.values():
                server.update(self.now)
            self.deliver()

    def run(self, seconds: float, dt: float = 0.05) -> None:
        self.step(dt, times=round(seconds / dt))


def other_key() -> bytes:
    return crypto.new_key()
