"""Seats: who flies, who watches and waits in line, and what joining and leaving do.

A connection gets a seat (a player id, 1..max_players, and an aircraft) when one
is free; once every seat is taken it watches the mission and waits in line,
first come first seated, for the next seat that frees up. The server holds the
mission at the start while nobody is seated, and starts it when the first
player sits down (the rules' hold_mission and start_mission).

A connection lost without a goodbye (PeerLeft `resumable`) is away, not gone: its
seats stay, their aircraft Held (where they are, with their hit points and
missiles, out of the fight), its place in line is kept, and nobody is told. If
it comes back (PeerJoined `resumed_from`) its seats and place move to the new
connection, which is sent its aircraft again, and everyone hears "NAME
reconnected". If not (ResumeExpired), it leaves as on a quit. Away seats count
as seated: the mission is not held for them.

Names: a newcomer whose name another player (present or away) goes by is let in
under a numbered one ("root 2", engine.net.handshake.unique_name): the default
name is the OS user, so two players on one LAN often share it. It is told so, and
everyone else hears the numbered name, the one its aircraft carries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from engine.components import Transform
from engine.net.messages import BroadcastMessage
from engine.net.server import Peer, PeerJoined, PeerLeft, ResumeExpired
from engine.net.sync import ServerNet
from engine.world import World
from game.net.budget import InputLedger, full_budget
from game.net.protocol import (
    AcceptCoopPartner,
    PlayerConnect,
    PlayerDisconnect,
    SpawnSelf,
    Spectating,
)
from game.rules.battlefield import Battlefield
from game.rules.components import Held, Player, PlayerInput
from game.rules.mission import MissionState, hold_mission, start_mission
from game.rules.spawn import spawn_player

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Seat:
    """One player: a connection's seat (0 or 1) and the aircraft flying for it, if any."""

    player_id: int
    peer: Peer
    local_index: int
    name: str
    entity: int = 0
    net_id: int = 0
    mission: int = 0  # the mission (MissionState.number) its aircraft was given for


@dataclass(slots=True)
class Roster:
    """Who is playing, and who waits to. Player ids are 1..max_players, reused after a leave.

    A connection that finds every seat taken (co-op partners take seats too) is
    not turned away: it watches the mission and waits in `waiting`, first come
    first seated, until a seat frees up.
    """

    max_players: int
    seats: dict[int, Seat] = field(default_factory=dict)
    waiting: list[Peer] = field(default_factory=list)
    told: dict[Peer, int] = field(default_factory=dict)  # the place each waiting peer last heard
    away: set[Peer] = field(default_factory=set)  # lost their connection; may come back

    def free_id(self) -> int | None:
        return next((i for i in range(1, self.max_players + 1) if i not in self.seats), None)

    def of_peer(self, peer: Peer) -> list[Seat]:
        return [s for s in self.seats.values() if s.peer is peer]

    def by_net_id(self, peer: Peer, net_id: int) -> Seat | None:
        for seat in self.seats.values():
            if seat.net_id == net_id and seat.peer is peer:
                return seat
        return None


def renamed(asked: str, given: str) -> str:
    """What a newcomer is told when the name it asked for is taken."""
    return f"{asked} is already playing: you are {given}"


def seat_player(world: World, net: ServerNet, seat: Seat) -> None:
    """Spawn the seat's aircraft and tell its owner (SpawnSelf or AcceptCoopPartner). The
    aircraft of a seat whose owner is away is Held until it is back."""
    seat.mission = world.resource(MissionState).number
    seat.net_id = net.ids.allocate()
    away = seat.peer in world.resource(Roster).away
    seat.entity = spawn_player(
        world,
        seat.player_id,
        owner=seat.peer.client_id,
        local_index=seat.local_index,
        name=seat.name,
        net_id=seat.net_id,
        remote=True,
        extra=(
            full_budget(world),
            InputLedger(),
            *((Held(world.time.seconds),) if away else ()),
        ),
    )
    x, y = world.resource(Battlefield).start_position(seat.player_id - 1)
    give_aircraft(net, seat, x, y)
    net.server.broadcast(PlayerConnect(seat.net_id, seat.player_id, seat.name), exclude=seat.peer)


def give_aircraft(net: ServerNet, seat: Seat, x: float, y: float) -> None:
    """Tell the seat's owner the aircraft at (x, y) is theirs to fly."""
    if seat.local_index == 0:
        net.server.send(seat.peer, SpawnSelf(seat.net_id, seat.player_id, 0, x, y))
    else:
        net.server.send(seat.peer, AcceptCoopPartner(seat.net_id, seat.player_id, x, y))


class SeatingSystem:
    """Joins, leaves and comebacks: seats, aircraft, PlayerConnect/Disconnect and the
    broadcasts."""

    def update(self, world: World, dt: float) -> None:
        net = world.resource(ServerNet)
        roster = world.resource(Roster)
        for joined in world.events.read(PeerJoined):
            peer = joined.peer
            old = joined.resumed_from
            if old is not None and (roster.of_peer(old) or old in roster.waiting):
                self._resume(world, net, roster, old, peer)
                continue
            if peer.name != joined.hello.name:
                net.server.send(peer, BroadcastMessage(renamed(joined.hello.name, peer.name)))
            if roster.waiting or roster.free_id() is None:  # nobody jumps the line
                roster.waiting.append(peer)
                log.info(
                    "%s watches: every seat is taken (%d in line)", peer.name, len(roster.waiting)
                )
                net.server.broadcast(BroadcastMessage(f"{peer.name} is watching"), exclude=peer)
                continue
            self._seat(world, net, roster, peer)
            net.server.broadcast(BroadcastMessage(f"{peer.name} joined"), exclude=peer)
        for left in world.events.read(PeerLeft):
            if left.resumable:
                self._away(world, roster, left.peer)
            else:
                self._leave(world, net, roster, left.peer)
        for expired in world.events.read(ResumeExpired):
            if expired.peer in roster.away:
                self._leave(world, net, roster, expired.peer)
        if roster.waiting:
            self._seat_waiting(world, net, roster)
        if not roster.seats and not world.resource(MissionState).held:
            hold_mission(world)

    @staticmethod
    def _leave(world: World, net: ServerNet, roster: Roster, peer: Peer) -> None:
        """Gone for good: its seats and aircraft go, its place in line too; all are told."""
        roster.away.discard(peer)
        for seat in roster.of_peer(peer):
            del roster.seats[seat.player_id]
            if seat.entity and world.is_alive(seat.entity):
                world.despawn(seat.entity)
            net.server.broadcast(PlayerDisconnect(seat.net_id, seat.player_id, seat.name))
        if peer in roster.waiting:
            roster.waiting.remove(peer)
            roster.told.pop(peer, None)
        net.server.broadcast(BroadcastMessage(f"{peer.name} left"))

    @staticmethod
    def _away(world: World, roster: Roster, peer: Peer) -> None:
        """Its connection was lost: hold its aircraft and its place; tell nobody yet."""
        seats = roster.of_peer(peer)
        if not seats and peer not in roster.waiting:
            return  # nothing to keep (it came back in this very step)
        roster.away.add(peer)
        log.info("%s is away: holding %d seat(s) for a comeback", peer.name, len(seats))
        for seat in seats:
            if seat.entity and world.is_alive(seat.entity):
                world.add_component(seat.entity, Held(world.time.seconds))
                world.component(seat.entity, PlayerInput).fire = False  # its trigger let go

    @staticmethod
    def _resume(world: World, net: ServerNet, roster: Roster, old: Peer, peer: Peer) -> None:
        """`old` came back as `peer`: its seats, aircraft and place are the new connection's."""
        roster.away.discard(old)
        for seat in sorted(roster.of_peer(old), key=lambda s: s.local_index):
            seat.peer = peer
            if not (seat.entity and world.is_alive(seat.entity)):
                continue
            if world.has_component(seat.entity, Held):
                world.remove_component(seat.entity, Held)
            world.component(seat.entity, Player).owner = peer.client_id
            intent = world.component(seat.entity, PlayerInput)
            intent.fire, intent.missile_requests = False, 0  # what it asks from now on
            at = world.component(seat.entity, Transform)
            give_aircraft(net, seat, at.x, at.y)
        if old in roster.waiting:
            roster.waiting[roster.waiting.index(old)] = peer
            roster.told.pop(old, None)  # told again, on this connection
        log.info("%s is back", peer.name)
        net.server.broadcast(BroadcastMessage(f"{peer.name} reconnected"))

    @staticmethod
    def _seat(world: World, net: ServerNet, roster: Roster, peer: Peer) -> None:
        player_id = roster.free_id()
        assert player_id is not None, "seated without a free player id"
        seat = Seat(player_id, peer, 0, peer.name)
        roster.seats[player_id] = seat
        if world.resource(MissionState).held:
            start_mission(world)  # first player in: the held mission begins
        seat_player(world, net, seat)

    def _seat_waiting(self, world: World, net: ServerNet, roster: Roster) -> None:
        """Give freed seats to the longest-waiting spectators; tell the rest their place."""
        while roster.free_id() is not None:
            peer = next((p for p in roster.waiting if p not in roster.away), None)
            if peer is None:
                break  # an away spectator keeps its place, but a seat waits for nobody
            roster.waiting.remove(peer)
            roster.told.pop(peer, None)
            log.info("%s takes a freed seat", peer.name)
            self._seat(world, net, roster, peer)
        for place, peer in enumerate(roster.waiting, start=1):
            if roster.told.get(peer) != place:
                roster.told[peer] = place
                net.server.send(peer, Spectating(place))
