"""The `transport` bench scenario: what engine/net costs the server per client, alone.

The `lossy` scenario measures the transport inside a real game, but there the bots' process
competes with the server for this machine's two cores, so its share of a core is inflated
by preemption and cache misses it did not cause. Here the server's NetServer and K
NetClients share one process and one MemoryNetwork (no socket: the in-memory link single
player uses), driven by a manual clock at 60 steps a second, and only the server's calls
are timed, in CPU time of the thread (`time.thread_time`), so what other processes do
costs it little:

- each client sends one unreliable 40-byte message (inputs) every network tick (every
  third step, 20 Hz) and polls and flushes every step, as the game's clients do;
- the server polls every step, sends each joined client one unreliable 200-byte message
  (a snapshot the size the `lossy` scenario's lossless row sends) every network tick, and
  flushes every step.

Per K: the server's engine/net CPU per step and as a share of one core at 60 steps a
second, and per client per network tick (one packet in, one out, and the idle polls
between them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

from engine.net.client import NetClient
from engine.net.codec import Str
from engine.net.datagrams import MemoryNetwork
from engine.net.messages import Message, Route, Welcome
from engine.net.netcode import new_key
from engine.net.schema import NetSchema
from engine.net.server import NetServer, Peer
from engine.net.tickets import issue_ticket, protocol_id

STEP_HZ = 60
TICK_EVERY = 3  # the game's network tick: every third step (20 Hz)
INPUT_BYTES = 40
SNAPSHOT_BYTES = 200
GAME = "bench-transport"
SERVER = ("10.0.0.1", 5000)
UNIX_START = 1_800_000_000.0
JOIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class BenchInputs(Message):
    """Client to server, unreliable: stands for PlayerInputs."""

    data: Annotated[str, Str(255)]


@dataclass(frozen=True, slots=True)
class BenchSnapshot(Message):
    """Server to client, unreliable: stands for UpdateClientState."""

    data: Annotated[str, Str(255)]


def _schema() -> NetSchema:
    schema = NetSchema()
    schema.messages.register(BenchInputs, Route.TO_SERVER, reliable=False)
    schema.messages.register(BenchSnapshot, Route.TO_CLIENT, reliable=False)
    return schema


def run_transport(clients: int, seconds: float, *, seed: int = 0) -> dict[str, Any]:
    """One row: `clients` joined clients for `seconds` of simulated time."""
    now = 100.0
    network = MemoryNetwork(seed)
    key = new_key()
    server = NetServer(
        schema=_schema(),
        key=key,
        protocol_id=protocol_id(GAME),
        public_addresses=[SERVER],
        welcome=lambda peer: Welcome(peer.client_id, STEP_HZ, TICK_EVERY, 1),
        now=now,
        sockets=[network.bind(SERVER)],
        max_peers=clients,
        unix_time=lambda: UNIX_START + now,
    )
    ends = [
        NetClient(
            name=f"bot{index}",
            schema=_schema(),
            token=issue_ticket(
                key=key, game=GAME, servers=[SERVER], name=f"bot{index}", now_unix=UNIX_START + now
            ),
            socket=network.bind(),
            now=now,
        )
        for index in range(clients)
    ]
    step = 1 / STEP_HZ
    deadline = now + JOIN_SECONDS
    while not all(end.connected for end in ends):
        if now > deadline:
            raise RuntimeError("transport bench: the clients did not all join")
        now += step
        for end in ends:
            end.poll(now)
            end.flush(now)
        server.poll(now)
        server.flush(now)
    snapshot = server.sends.encode(BenchSnapshot("s" * (SNAPSHOT_BYTES - 2)))
    inputs = BenchInputs("i" * (INPUT_BYTES - 2))
    steps = round(seconds * STEP_HZ)
    spent = 0.0
    received = 0
    peers: list[Peer] = server.joined_peers()
    for index in range(steps):
        now += step
        tick = index % TICK_EVERY == 0
        for end in ends:
            end.poll(now)
            if tick:
                end.send(inputs)
            end.flush(now)
        started = time.thread_time()
        received += len(server.poll(now))
        if tick:
            for peer in peers:
                server.send_encoded(peer, snapshot, reliable=False)
        server.flush(now)
        spent += time.thread_time() - started
    ticks = steps / TICK_EVERY
    return {
        "clients": clients,
        "steps": steps,
        "messages_received": received,
        "ms_per_step": spent / steps * 1e3,
        "core_share": spent / seconds,
        "us_per_client_tick": spent / ticks / clients * 1e6,
        "dropped": server.dropped,
    }


__all__ = ["run_transport"]
