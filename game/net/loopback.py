"""The shooter over engine.testing's in-memory network: a server world and client worlds
with the game, its network rules (seats, commands, mission news) and a mod's plugins."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from engine.net.datagrams import PERFECT, Conditions
from engine.plugin import Plugin
from engine.testing import LoopbackNetwork
from game.net.plugin import ShooterClientNetPlugin, ShooterServerNetPlugin
from game.net.schema import shooter_schema
from game.rules.plugin import ShooterPlugin, core_plugins


def shooter_network(
    plugins: Callable[[], Iterable[Plugin]] = lambda: (),
    *,
    clients: int = 2,
    seed: int = 0,
    latency_steps: int = 0,
    conditions: Conditions = PERFECT,
) -> LoopbackNetwork:
    """`clients` players on a shooter server, one manual clock, no sockets: every client is
    seated as it joins and flies its aircraft (player `index + 1`). `plugins` is a
    factory, called once per world (a mod's plugin: `lambda: [ShieldPlugin()]`)."""

    def server() -> list[Plugin]:
        return [*core_plugins(), ShooterPlugin(), ShooterServerNetPlugin(), *plugins()]

    def client() -> list[Plugin]:
        return [*core_plugins(), ShooterPlugin(), ShooterClientNetPlugin(), *plugins()]

    return LoopbackNetwork(
        shooter_schema,
        server_plugins=server,
        client_plugins=client,
        clients=clients,
        seed=seed,
        latency_steps=latency_steps,
        conditions=conditions,
    )
