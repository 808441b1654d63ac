"""The mission over the network: its end announced once, its restart after a pause, and the
battlefield mirrored into the replicated BattlefieldState."""

from __future__ import annotations

from engine.net.sync import ServerNet
from engine.world import World
from game.net.protocol import MissionEnd, Outcome8
from game.net.schema import BattlefieldState
from game.net.seats import ServerMission, restart_mission, start_mission
from game.rules.battlefield import Battlefield, MissionState
from game.rules.events import MissionEnded, Outcome

RESTART_DELAY = 5.0  # seconds between a mission's end and the next one


class MissionCycleSystem:
    """Announce the mission's end once; restart it after a pause; mirror the battlefield."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        cycle = world.resource(ServerMission)
        for ended in world.events.read(MissionEnded):
            outcome = Outcome8.SUCCESS if ended.outcome is Outcome.SUCCESS else Outcome8.FAILURE
            net.server.broadcast(MissionEnd(outcome, RESTART_DELAY))
            cycle.restart_at = world.time.seconds + RESTART_DELAY
        if cycle.restart_at >= 0 and world.time.seconds >= cycle.restart_at:
            cycle.restart_at = -1.0
            restart_mission(world)
            start_mission(world)
        battlefield = world.resource(Battlefield)
        state = world.component(cycle.battlefield_entity, BattlefieldState)
        state.view_top = battlefield.view_top
        state.running = world.resource(MissionState).running
