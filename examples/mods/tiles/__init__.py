"""Tile arena: the design notes' first diagram, as a game mode built on the engine alone.

Each key press moves a player one tile. The client checks the tile, moves its
player at once (prediction) and sends the move with a sequence number; the
server checks the tile again, moves the player (or refuses), records the last
move it processed, and broadcasts the world in its snapshots; the client puts
every object where the server says and replays its own moves the server has
not yet acknowledged (reconciliation). When two players want one tile, the
server's order decides, the same for everyone.

    python -m game --mod examples.mods.tiles          (or "Tile arena" in the menu)
    python -m game.server --mod examples.mods.tiles
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Annotated

from engine import Phase, Plugin, World
from engine.data import load_toml
from engine.hooks import ControlHooks, DrawHooks
from engine.net.codec import U32, Enum8, Str, UVarint
from engine.net.messages import Message, MessageRegistry, Route
from engine.net.replication import Predicted, Replicated, ReplicationRegistry
from engine.net.server import FromPeer, PeerJoined, PeerLeft
from engine.net.sync import ClientNet, NetReceive, ServerNet

__version__ = "1.0"
MODE = "Tile arena"

ARENA = Path(__file__).with_name("arena.toml")


class Direction(IntEnum):
    LEFT = 0
    RIGHT = 1
    UP = 2
    DOWN = 3


STEPS = {
    Direction.LEFT: (-1, 0),
    Direction.RIGHT: (1, 0),
    Direction.UP: (0, -1),
    Direction.DOWN: (0, 1),
}
ACTIONS = {
    "move_left": Direction.LEFT,
    "move_right": Direction.RIGHT,
    "move_up": Direction.UP,
    "move_down": Direction.DOWN,
}


# -- data and rules shared by server and client --------------------------------------------


@dataclass(frozen=True)
class Arena:
    width: int
    height: int
    walls: frozenset[tuple[int, int]]
    starts: tuple[tuple[int, int], ...]

    def open(self, x: int, y: int) -> bool:
        return 0 <= x < self.width and 0 <= y < self.height and (x, y) not in self.walls


def load_arena(path: Path = ARENA) -> Arena:
    table = load_toml(path).table("arena")
    rows = table.get("map")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, str) for r in rows):
        raise table.fail("map", "must be a list of strings", rows)
    width = len(rows[0])
    walls, starts = set(), []
    for y, row in enumerate(rows):
        if len(row) != width:
            raise table.fail(f"map[{y}]", f"must be {width} characters like the first row", row)
        for x, char in enumerate(row):
            if char == "#":
                walls.add((x, y))
            elif char == "S":
                starts.append((x, y))
            elif char != ".":
                raise table.fail(f"map[{y}]", f"has {char!r}; use '#', '.' or 'S'", row)
    if not starts:
        raise table.fail("map", "needs at least one start tile 'S'", rows)
    table.finish()
    return Arena(width, len(rows), frozenset(walls), tuple(starts))


@dataclass(slots=True)
class TilePos:
    x: int = 0
    y: int = 0


@dataclass(slots=True)
class TilePlayer:
    """A player in the arena; `acked` is the last of its owner's moves the server processed."""

    player_id: int = 0
    name: str = ""
    owner: int = 0
    acked: int = 0


@dataclass(frozen=True, slots=True)
class TileMove(Message):
    """Client to server: my move number `seq`, one tile in `direction`."""

    seq: Annotated[int, U32()]
    direction: Annotated[Direction, Enum8(Direction)]


@dataclass(frozen=True, slots=True)
class YouAre(Message):
    """Server to client: this net id is your player."""

    net_id: Annotated[int, UVarint(2**32 - 1)]


def target(pos: TilePos, direction: Direction) -> tuple[int, int]:
    dx, dy = STEPS[direction]
    return pos.x + dx, pos.y + dy


def occupied(world: World, x: int, y: int, *, ignore: int = 0) -> bool:
    return any(
        (p.x, p.y) == (x, y)
        for entity, (p, _) in world.query(TilePos, TilePlayer)
        if entity != ignore and world.is_alive(entity)
    )


def legal(world: World, entity: int, direction: Direction) -> tuple[int, int] | None:
    """The tile a move leads to, if it is open and free; else None."""
    x, y = target(world.component(entity, TilePos), direction)
    if world.resource(Arena).open(x, y) and not occupied(world, x, y, ignore=entity):
        return x, y
    return None


# -- server ----------------------------------------------------------------------------------


@dataclass
class Players:
    """Server: which entity each connection plays, and how many moves were refused."""

    by_peer: dict[int, int] = field(default_factory=dict)  # client id -> entity
    refused: int = 0


class TileSessionSystem:
    """Seat joiners on free start tiles; remove leavers."""

    def update(self, world: World, dt: float) -> None:
        players = world.resource(Players)
        arena = world.resource(Arena)
        net = world.resource(ServerNet)
        for joined in world.events.read(PeerJoined):
            start = next((s for s in arena.starts if not occupied(world, *s)), None)
            if start is None:
                net.server.drop(joined.peer, "the arena is full")
                continue
            net_id = net.ids.allocate()
            entity = world.create(
                Replicated(net_id),
                TilePos(*start),
                TilePlayer(len(players.by_peer) + 1, joined.peer.name, joined.peer.client_id),
            )
            players.by_peer[joined.peer.client_id] = entity
            net.server.send(joined.peer, YouAre(net_id))
        for left in world.events.read(PeerLeft):
            entity = players.by_peer.pop(left.peer.client_id, None)
            if entity is not None:
                world.despawn(entity)


class TileMoveSystem:
    """Check every move in arrival order; the first to claim a tile gets it."""

    def update(self, world: World, dt: float) -> None:
        players = world.resource(Players)
        for event in world.events.read(FromPeer[TileMove]):
            entity = players.by_peer.get(event.peer.client_id)
            if entity is None:
                continue
            player = world.component(entity, TilePlayer)
            if event.message.seq <= player.acked:
                continue  # an old or repeated move: already processed
            destination = legal(world, entity, event.message.direction)
            if destination is None:
                players.refused += 1
            else:
                pos = world.component(entity, TilePos)
                pos.x, pos.y = destination
            player.acked = event.message.seq


# -- client ----------------------------------------------------------------------------------


@dataclass
class Pilot:
    """Client: my player's net id, my next move number, and my moves not yet acknowledged."""

    net_id: int = 0
    next_seq: int = 1
    pending: list[tuple[int, Direction]] = field(default_factory=list)
    predicted: tuple[int, int] | None = None  # where this client last put its player
    corrections: int = 0


def press(world: World, seat: int, action: str) -> None:
    """A key press: predict the move at once and send it (seat 0 only: one player a client)."""
    direction = ACTIONS.get(action)
    pilot = world.resource(Pilot)
    entity = own_entity(world)
    if seat != 0 or direction is None or entity is None:
        return
    destination = legal(world, entity, direction)
    if destination is None:
        return  # the client's own check: no move, nothing sent
    pos = world.component(entity, TilePos)
    pos.x, pos.y = destination
    pilot.predicted = destination
    seq = pilot.next_seq
    pilot.next_seq += 1
    pilot.pending.append((seq, direction))
    world.resource(ClientNet).client.send(TileMove(seq, direction))


def own_entity(world: World) -> int | None:
    pilot = world.resource(Pilot)
    return world.resource(ClientNet).decoder.entities.get(pilot.net_id) if pilot.net_id else None


class ReconcileSystem:
    """Put my player where the server last put it, then replay my unacknowledged moves."""

    def update(self, world: World, dt: float) -> None:
        pilot = world.resource(Pilot)
        for you in world.events.read(YouAre):
            pilot.net_id = you.net_id
            pilot.pending.clear()
            pilot.predicted = None
        entity = own_entity(world)
        if entity is None:
            return
        if not world.has_component(entity, Predicted):
            world.add_component(entity, Predicted())
        decoder = world.resource(ClientNet).decoder
        registry = world.resource(ReplicationRegistry)
        keys = decoder.state[pilot.net_id]
        server_x, server_y = keys[registry.by_type[TilePos].type_id]
        acked = keys[registry.by_type[TilePlayer].type_id][3]
        pilot.pending = [(seq, d) for seq, d in pilot.pending if seq > acked]
        pos = world.component(entity, TilePos)
        pos.x, pos.y = server_x, server_y
        for _, direction in pilot.pending:
            destination = legal(world, entity, direction)
            if destination is not None:
                pos.x, pos.y = destination
        if pilot.predicted is not None and (pos.x, pos.y) != pilot.predicted:
            pilot.corrections += 1  # the server saw it differently: we were put right
        pilot.predicted = (pos.x, pos.y)


# -- drawing (client only; pygame is imported inside) --------------------------------------

TILE = 44
COLOURS = [(96, 160, 255), (120, 220, 110), (255, 180, 70), (230, 110, 200), (240, 240, 120)]


def draw_arena(surface, world: World, camera) -> None:  # noqa: ANN001
    import pygame

    arena = world.resource(Arena)
    width, height = surface.get_size()
    left = (width - arena.width * TILE) // 2
    top = (height - arena.height * TILE) // 2 + 20
    for y in range(arena.height):
        for x in range(arena.width):
            rect = pygame.Rect(left + x * TILE, top + y * TILE, TILE, TILE)
            if (x, y) in arena.walls:
                pygame.draw.rect(surface, (74, 92, 138), rect)
                pygame.draw.line(surface, (126, 148, 200), rect.topleft, rect.topright, 3)
                pygame.draw.rect(surface, (40, 52, 84), rect, 1)
            else:
                pygame.draw.rect(surface, (20, 30, 54), rect)
                pygame.draw.rect(surface, (28, 40, 70), rect, 1)
    mine = own_entity(world)
    font = pygame.font.Font(None, 20)
    for entity, (pos, player) in world.query(TilePos, TilePlayer):
        rect = pygame.Rect(left + pos.x * TILE + 5, top + pos.y * TILE + 5, TILE - 10, TILE - 10)
        colour = COLOURS[(player.player_id - 1) % len(COLOURS)]
        pygame.draw.rect(surface, colour, rect, border_radius=8)
        if entity == mine:
            pygame.draw.rect(surface, (255, 255, 255), rect.inflate(6, 6), 3, border_radius=10)
        label = font.render(player.name[:10], True, (235, 240, 255))
        surface.blit(label, label.get_rect(midtop=(rect.centerx, rect.bottom + 2)))


def draw_hud(surface, world: World) -> None:  # noqa: ANN001
    import pygame

    pilot = world.resource(Pilot)
    font = pygame.font.Font(None, 28)
    text = f"Tile arena - arrows move one tile - moves in flight: {len(pilot.pending)}"
    image = font.render(text, True, (255, 196, 72))
    surface.blit(image, image.get_rect(midtop=(surface.get_width() // 2, 14)))


# -- the plugin ------------------------------------------------------------------------------


class TilesPlugin(Plugin):
    name = "tiles"

    def build(self, world: World) -> None:
        world.insert_resource(load_arena())
        registry = world.resource(ReplicationRegistry)
        registry.register(TilePos, {"x": UVarint(255), "y": UVarint(255)})
        registry.register(
            TilePlayer,
            {
                "player_id": UVarint(255),
                "name": Str(32),
                "owner": UVarint(2**32 - 1),
                "acked": UVarint(2**32 - 1),
            },
        )
        messages = world.resource(MessageRegistry)
        messages.register(TileMove, Route.TO_SERVER)  # no type byte: the next free one for mods
        messages.register(YouAre, Route.TO_CLIENT)

    def build_server(self, world: World) -> None:
        world.insert_resource(Players())
        world.add_system(TileSessionSystem(), Phase.INPUT, after=NetReceive)
        world.add_system(TileMoveSystem(), Phase.SIMULATE)

    def build_client(self, world: World) -> None:
        world.insert_resource(Pilot())
        world.add_system(ReconcileSystem(), Phase.INPUT, after=NetReceive)
        ControlHooks.of(world).press.append(press)
        hooks = DrawHooks.of(world)
        hooks.world.append(draw_arena)
        hooks.hud.append(draw_hud)


def plugin() -> Plugin:
    return TilesPlugin()
