"""The shooter over the network, as two plugins: the server's rules and the client's.

Server (authority over everything but each player's own flying): seats players
as they join (spectators wait in line for a seat), checks every command,
announces cues and the mission's end and start, and mirrors the battlefield
into the replicated BattlefieldState.

Client: claims its own aircraft and predicts them with the shared control and
movement systems, eases in corrections, follows the replicated battlefield, and
sends its aircraft's inputs (positions, fire, missiles) every tick, repeating the last few.
"""

from __future__ import annotations

from engine.net.replication import Replicated
from engine.net.sync import ClientNetPlugin, NetReceive, NetSend, ServerNetPlugin, client_connected
from engine.phases import Phase
from engine.plugin import Plugin
from engine.schedule import on_network_tick
from engine.world import World
from game.net.claims import (
    ClaimSystem,
    ClientSession,
    ConnectionSystem,
    CorrectionSystem,
    FollowBattlefieldSystem,
    SessionLogSystem,
)
from game.net.commands import InputSystem, MarkerSystem, PartnerSystem
from game.net.cues import CueSystem
from game.net.mission import BattlefieldMirror, MirrorSystem, MissionEndSystem, ReseatSystem
from game.net.relevance import shooter_hooks
from game.net.schema import BattlefieldState
from game.net.seats import Roster, SeatingSystem
from game.net.sending import ClientActionSystem, ClientInputSystem
from game.net.sets import Claims, Commands, Cues, MissionNews, Seating, Sending
from game.rules.battlefield import Battlefield
from game.rules.mission import hold_mission
from game.rules.plugin import ShooterPlugin
from game.rules.sets import MissionLifecycle


class ShooterServerNetPlugin(Plugin):
    """The shooter's server-side network rules. Add after ServerNetPlugin and ShooterPlugin."""

    name = "cloudbreak-net-server"
    requires = (ShooterPlugin, ServerNetPlugin)

    def __init__(self, max_players: int = 8) -> None:
        self.max_players = max_players

    def build_server(self, world: World) -> None:
        world.insert_resource(Roster(self.max_players))
        world.insert_resource(shooter_hooks())  # what a budget-bound snapshot carries first
        view_top = world.resource(Battlefield).view_top
        entity = world.create(Replicated(), BattlefieldState(view_top, seats=self.max_players))
        world.insert_resource(BattlefieldMirror(entity))
        hold_mission(world)  # nobody is seated yet
        world.configure_set(Seating, after=NetReceive)
        world.configure_set(Commands, after=Seating)
        world.configure_set(Cues, after=MissionLifecycle)
        world.configure_set(MissionNews, after=(MissionLifecycle, Cues))
        world.add_system(SeatingSystem(), Phase.INPUT, in_set=Seating)
        world.add_system(InputSystem(), Phase.INPUT, in_set=Commands)
        world.add_system(PartnerSystem(), Phase.INPUT, in_set=Commands)
        world.add_system(MarkerSystem(), Phase.INPUT, in_set=Commands)
        world.add_system(CueSystem(), Phase.SPAWN, in_set=Cues)
        world.add_system(MissionEndSystem(), Phase.SPAWN, in_set=MissionNews)
        world.add_system(ReseatSystem(), Phase.SPAWN, in_set=MissionNews)
        world.add_system(MirrorSystem(), Phase.SPAWN, in_set=MissionNews)


class ShooterClientNetPlugin(Plugin):
    """The shooter's client-side network rules. Add after ClientNetPlugin and ShooterPlugin."""

    name = "cloudbreak-net-client"
    requires = (ShooterPlugin, ClientNetPlugin)

    def build_client(self, world: World) -> None:
        world.insert_resource(ClientSession())
        world.configure_set(Claims, after=NetReceive)
        world.configure_set(Sending, before=NetSend, run_if=client_connected)
        world.add_system(SessionLogSystem(), Phase.INPUT, in_set=Claims)
        world.add_system(ClaimSystem(), Phase.INPUT, in_set=Claims)
        world.add_system(ConnectionSystem(), Phase.INPUT, in_set=Claims, after=ClaimSystem)
        world.add_system(CorrectionSystem(), Phase.INPUT, in_set=Claims)
        world.add_system(FollowBattlefieldSystem(), Phase.INPUT, in_set=Claims)
        world.add_system(ClientActionSystem(), Phase.NETWORK, in_set=Sending)
        world.add_system(
            ClientInputSystem(),
            Phase.NETWORK,
            in_set=Sending,
            after=ClientActionSystem,
            run_if=on_network_tick,
        )
