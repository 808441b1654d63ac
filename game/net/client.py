"""The client as a library: a client world that follows a server. Used by the window and bots.

`GameClient` owns a NetClient and a client world running the same movement and
control systems as the server, so the player's own aircraft answers input at
once (prediction) while everything else follows the server's snapshots.
Headless: nothing here imports pygame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.components import Transform
from engine.mods import Mod, ModError, build_mods, game_mode
from engine.net.client import NetClient
from engine.net.datagrams import DatagramSocket
from engine.net.interpolation import NetClock
from engine.net.messages import Welcome
from engine.net.netcode import ConnectToken
from engine.net.schema import NetSchema
from engine.net.sync import ClientNet, ClientNetPlugin, NetReceive
from engine.phases import Phase, Role
from engine.plugin import Plugin
from engine.time import Clock, FixedStepLoop, MonotonicClock
from engine.world import World
from game.net.claims import ClientSession, LocalSeat
from game.net.plugin import ShooterClientNetPlugin
from game.net.schema import shooter_schema
from game.net.sending import request_partner
from game.net.sets import Claims
from game.rules.components import Player, PlayerInput
from game.rules.content import GameContent
from game.rules.plugin import shooter_world


class WelcomeSystem:
    """Adopt the server's tick rate for interpolation once welcomed."""

    def update(self, world: World, dt: float) -> None:
        for welcome in world.events.read(Welcome):
            world.resource(NetClock).tick_rate = welcome.step_hz / welcome.tick_every


def client_schema(mods: Sequence[Mod]) -> NetSchema:
    """The schema a client starts from: the shooter's, or a bare one for a game mode (its
    mods add their components and messages while the world is built)."""
    return shooter_schema() if game_mode(mods) is None else NetSchema()


class GameClient:
    """A player's (or a bot's) view of a game on a server."""

    def __init__(
        self,
        net: NetClient,
        *,
        clock: Clock | None = None,
        content: GameContent | None = None,
        mods: Sequence[Mod] = (),
        smooth: bool = True,
    ) -> None:
        """`net` was made with `client_schema(mods)`. `smooth=False` for a client that never
        draws (a bot): remote entities jump to each snapshot instead of being interpolated,
        which saves the bulk of a step."""
        self.clock = clock or MonotonicClock()
        self.net = net
        if game_mode(mods) is None:
            self.world = shooter_world(Role.CLIENT, content=content)
            game_plugins: list[Plugin] = [ShooterClientNetPlugin()]
        else:  # a game mode brings its own rules
            self.world = World(Role.CLIENT)
            game_plugins = []
        self.world.add_plugins([ClientNetPlugin(net, self.clock, smooth=smooth), *game_plugins])
        self.world.add_system(WelcomeSystem(), Phase.INPUT, in_set=Claims, after=NetReceive)
        try:
            build_mods(self.world, mods)
        except ModError:
            net.fail("a mod could not be built")
            self.world.close()
            raise
        # The Hello goes out on the first poll, with the schema the mods have shaped.
        net.mods = tuple(mod.ident for mod in mods)
        self.loop = FixedStepLoop(self.clock, step_hz=self.world.time.step_hz)
        self._presented_at = self.clock.now()

    @classmethod
    def connect(
        cls,
        host: str,
        port: int,
        name: str,
        *,
        clock: Clock | None = None,
        transport: str = "udp",
        mods: Sequence[Mod] = (),
        smooth: bool = True,
    ) -> GameClient:
        """Join host:port: ask its ticket endpoint for a ticket, then connect (non-blocking;
        step the client to make progress)."""
        clock = clock or MonotonicClock()
        net = NetClient.join(
            host,
            port,
            name=name,
            now=clock.now(),
            transport=transport,
            schema=client_schema(mods),
        )
        return cls(net, clock=clock, mods=mods, smooth=smooth)

    @classmethod
    def with_ticket(
        cls,
        ticket: ConnectToken,
        name: str,
        *,
        clock: Clock | None = None,
        socket: DatagramSocket | None = None,
        transport: str = "udp",
        mods: Sequence[Mod] = (),
        smooth: bool = True,
        renew_ticket: Callable[[], ConnectToken] | None = None,
        open_socket: Callable[[], DatagramSocket] | None = None,
    ) -> GameClient:
        """Connect with a ticket: over UDP (or `transport` "tcp"), or over `socket` (the
        in-memory network of single-player). With `renew_ticket` (a fresh ticket each
        call) a lost connection is taken up again (over `open_socket`'s sockets, when
        `socket` was given); without, it ends."""
        clock = clock or MonotonicClock()
        net = NetClient(
            name=name,
            schema=client_schema(mods),
            now=clock.now(),
            token=ticket,
            socket=socket,
            transport=transport,
            renew_ticket=renew_ticket,
            open_socket=open_socket,
        )
        return cls(net, clock=clock, mods=mods, smooth=smooth)

    # -- running ---------------------------------------------------------------------------

    def step(self) -> None:
        """One fixed step. A client that draws also presents once per frame (`present`)."""
        self.world.step()

    def present(self, dt: float, alpha: float = 1.0) -> None:
        """One frame's presentation: interpolation, drawing between steps, effects."""
        self.world.present(dt, alpha)

    def run_due_steps(self) -> int:
        """One frame of a headless client: the steps the clock owes, then present."""
        frame = self.loop.advance()
        for _ in range(frame.steps):
            self.step()
        now = self.clock.now()
        self.present(now - self._presented_at, frame.alpha)
        self._presented_at = now
        return frame.steps

    def close(self) -> None:
        """Leave politely and free the world."""
        self.net.close(self.clock.now())
        self.world.close()

    # -- what the player sees and does -----------------------------------------------------

    @property
    def mode(self) -> bool:
        """True when a mod's game mode runs instead of the shooter."""
        return not self.world.has_resource(ClientSession)

    @property
    def session(self) -> ClientSession:
        return self.world.resource(ClientSession)

    @property
    def connected(self) -> bool:
        return self.net.connected

    @property
    def reconnecting(self) -> bool:
        """The connection was lost; the client is trying to take it up again."""
        return self.net.reconnecting

    @property
    def close_reason(self) -> str | None:
        return self.net.close_reason

    def own_aircraft(self) -> dict[int, int]:
        """local index -> entity of the aircraft this client flies."""
        return {
            seat.local_index: entity
            for entity, (seat,) in self.world.query(LocalSeat)
            if self.world.is_alive(entity)
        }

    def control(
        self,
        local_index: int = 0,
        *,
        move_x: float = 0.0,
        move_y: float = 0.0,
        fire: bool | None = None,
        missile: bool = False,
    ) -> bool:
        """Set a seat's intent; False if that seat has no aircraft right now."""
        entity = self.own_aircraft().get(local_index)
        if entity is None:
            return False
        intent = self.world.component(entity, PlayerInput)
        intent.move_x, intent.move_y = move_x, move_y
        if fire is not None:
            intent.fire = fire
        if missile:
            intent.missile_requests += 1
        return True

    def request_partner(self) -> None:
        request_partner(self.world)

    def players(self) -> dict[int, tuple[str, float, float]]:
        """player id -> (name, x, y) of every aircraft this client knows of."""
        return {
            player.player_id: (player.name, transform.x, transform.y)
            for _, (player, transform) in self.world.query(Player, Transform)
        }

    def entity_of(self, net_id: int) -> int | None:
        return self.world.resource(ClientNet).decoder.entities.get(net_id)
