"""A bare server world for the network systems: the shooter's resources, a roster and a
stand-in for the NetServer that keeps what was sent. No sockets, no other systems."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import Role, World
from engine.net.messages import Message
from engine.net.schema import NetSchema
from engine.net.server import Peer
from engine.net.sync import ServerNet
from engine.time import ManualClock
from game.net.schema import shooter_schema
from game.net.seats import Roster, Seat, seat_player
from game.rules.battlefield import Battlefield
from game.rules.content import load_content
from game.rules.mission import MissionState


@dataclass
class Outbox:
    """Stands in for the NetServer (`ServerNet(Outbox(), clock)`): keeps what the systems
    sent, and to whom."""

    schema: NetSchema = field(default_factory=shooter_schema)
    sent: list[tuple[str, Message]] = field(default_factory=list)

    def send(self, peer: Peer, message: Message) -> None:
        self.sent.append((peer.name, message))

    def broadcast(self, message: Message, *, exclude: Peer | None = None) -> None:
        self.sent.append(("everyone" if exclude is None else f"all but {exclude.name}", message))


def a_peer(client_id: int, name: str) -> Peer:
    """A peer for a bare world: only its id, name and address are ever read."""
    address = (f"10.0.0.{client_id}", 5000)
    return Peer(client_id - 1, address, None, 0.0, name=name)  # type: ignore[arg-type]


def bare_server(max_players: int = 4) -> tuple[World, Outbox]:
    """A server world in mission 1 with content, battlefield, mission, ServerNet and Roster."""
    content = load_content()
    world = World(Role.SERVER, seed=1)
    world.insert_resource(content)
    world.insert_resource(Battlefield.at_start(content.battlefield))
    world.insert_resource(MissionState(number=1))
    outbox = Outbox()
    world.insert_resource(ServerNet(outbox, ManualClock()))  # type: ignore[arg-type]
    world.insert_resource(Roster(max_players))
    return world, outbox


def seat(world: World, player_id: int, peer: Peer, local_index: int = 0) -> Seat:
    """Seat `peer` as player `player_id` and give the seat its aircraft (applied at once)."""
    name = peer.name if local_index == 0 else f"{peer.name} (2)"
    taken = Seat(player_id, peer, local_index, name)
    world.resource(Roster).seats[player_id] = taken
    seat_player(world, world.resource(ServerNet), taken)
    world.flush()
    return taken
