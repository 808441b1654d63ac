"""The mission over the network: what clients hear of the rules' mission lifecycle.

The rules announce it (game.rules.mission); this side tells the clients. Every
system here runs in SPAWN, in the `MissionNews` set, after the rules'
`MissionLifecycle` (so a restart is already done) and after the cues:

- MissionEnded: MissionEnd(outcome, seconds until the restart) to everyone, and to
  whoever joins or resumes before the restart;
- MissionStarted: every seat not yet flying in this mission gets a fresh aircraft
  (SpawnSelf, or AcceptCoopPartner for a co-op partner). After a restart that is
  every seat; when the first player starts a held mission, seating gave them one;
- every step: the battlefield mirrored into the replicated BattlefieldState (with
  the campaign's mission, whose look and title the clients show).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.net.server import PeerJoined
from engine.net.sync import ServerNet
from engine.world import World
from game.net.protocol import MissionEnd, Outcome8
from game.net.schema import BattlefieldState
from game.net.seats import Roster, seat_player
from game.rules.battlefield import Battlefield
from game.rules.content import GameContent
from game.rules.mission import MissionEnded, MissionStarted, MissionState, Outcome

OUTCOMES = {Outcome.SUCCESS: Outcome8.SUCCESS, Outcome.FAILURE: Outcome8.FAILURE}


@dataclass(slots=True)
class BattlefieldMirror:
    """The entity holding the replicated BattlefieldState."""

    entity: int


class MissionEndSystem:
    """MissionEnded: MissionEnd to every client, with the seconds until the restart; and
    to whoever joins or comes back before that restart, so its screen shows the results
    too instead of a battlefield that has stopped."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        mission = world.resource(MissionState)
        restart_in = max(0.0, mission.restart_at - world.time.seconds)
        ended = world.events.read(MissionEnded)
        for event in ended:
            net.server.broadcast(MissionEnd(OUTCOMES[event.outcome], restart_in))
        if ended or mission.outcome is None or mission.restart_at < 0:
            return
        for joined in world.events.read(PeerJoined):
            net.server.send(joined.peer, MissionEnd(OUTCOMES[mission.outcome], restart_in))


class ReseatSystem:
    """MissionStarted: a fresh aircraft for every seat not yet flying in this mission."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        for started in world.events.read(MissionStarted):
            for seat in world.resource(Roster).seats.values():
                if seat.mission != started.number:
                    seat_player(world, net, seat)


class MirrorSystem:
    """Every step: the view, whether the mission runs, its number and which mission of the
    campaign it is, for the clients."""

    def update(self, world: World, dt: float) -> None:
        mission = world.resource(MissionState)
        state = world.component(world.resource(BattlefieldMirror).entity, BattlefieldState)
        state.view_top = world.resource(Battlefield).view_top
        state.running = mission.running
        state.mission = mission.number
        state.mission_name = world.resource(GameContent).mission
