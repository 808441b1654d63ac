"""Cues: what clients cannot see in the snapshots, told as it happens (why things vanished)."""

from __future__ import annotations

from engine.net.replication import Replicated
from engine.net.sync import ServerNet
from engine.world import World
from game.net.protocol import Explosion, PickupCollected
from game.rules.components import Side
from game.rules.events import Destroyed, PickupTaken


class CueSystem:
    """An aircraft destroyed (not culled): Explosion, naming it (its net id as the snapshots
    had it; the entity is gone by now), large for the bigger enemies. A pickup taken:
    PickupCollected, naming the aircraft that took it."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for destroyed in world.events.read(Destroyed):
            large = destroyed.kind != "raptor" and destroyed.side is Side.ENEMY
            net_id = net.encoder.net_id_of(destroyed.entity)
            net.server.broadcast(Explosion(net_id, destroyed.x, destroyed.y, large))
        for taken in world.events.read(PickupTaken):
            replicated = world.try_component(taken.player, Replicated)
            if replicated is not None:
                net.server.broadcast(PickupCollected(replicated.net_id, taken.kind))
