"""Write a working mod skeleton: `python -m tools.new_mod NAME [--dir DIR]`.

DIR/NAME/ gets a mod that counts each player's kills in a replicated component: the
plugin, its TOML, one system, and tests (the system alone in a bare world, and the
component reaching clients over the shooter's in-memory network). Its tests pass as
written (`python -m pytest DIR/NAME`); change them with the mod. docs/MODDING.md
explains every part.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

MODULE = '''"""{name}: every player's kills, counted on the server and shown to every client."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine import Phase, Plugin, World
from engine.data import load_toml
from engine.net.codec import UVarint
from engine.net.replication import ReplicationRegistry
from game.api import Deaths, Destroyed, Player, ShooterPlugin, Side

__version__ = "0.1"

DATA = Path(__file__).with_name("{name}.toml")


@dataclass(slots=True)
class Kills:
    """Enemies this player's aircraft brought down, and the points they earned."""

    count: int = 0
    points: int = 0


@dataclass(frozen=True, slots=True)
class Settings:
    points_per_kill: int


def load_settings(path: Path = DATA) -> Settings:
    table = load_toml(path).table("{name}")
    settings = Settings(points_per_kill=table.integer("points_per_kill", min=0, max=1000))
    table.finish()
    return settings


class KillSystem:
    """A destroyed enemy counts for the player whose hit brought it down."""

    def update(self, world: World, dt: float) -> None:
        settings = world.resource(Settings)
        for destroyed in world.events.read(Destroyed):
            if destroyed.side is not Side.ENEMY or not world.is_alive(destroyed.by):
                continue
            if not world.has_component(destroyed.by, Player):
                continue
            kills = world.try_component(destroyed.by, Kills)
            if kills is None:
                kills = Kills()
                world.add_component(destroyed.by, kills)
            kills.count += 1
            kills.points += settings.points_per_kill


class {plugin_class}(Plugin):
    name = "{name}"
    requires = (ShooterPlugin,)

    def build(self, world: World) -> None:
        world.insert_resource(load_settings())
        registry = world.try_resource(ReplicationRegistry)
        if registry is not None:  # a networked world: clients see every player's kills
            registry.register(Kills, {{"count": UVarint(100_000), "points": UVarint(10**8)}})

    def build_server(self, world: World) -> None:
        world.add_system(KillSystem(), Phase.RESOLVE, after=Deaths)


def plugin() -> Plugin:
    """The mod's entry: a fresh plugin for each world."""
    return {plugin_class}()
'''

DATA = """# {name}'s numbers.
[{name}]
points_per_kill = 10
"""

TESTS = '''"""{name}: its system alone, then its component over the shooter's in-memory network."""

from __future__ import annotations

from engine import Phase
from engine.net.replication import Replicated
from engine.testing import run
from game.api import Destroyed, Player, Side, bare_world, shooter_network
from game.rules.spawn import spawn_player

from {module} import Kills, KillSystem, {plugin_class}, load_settings


def test_a_kill_counts_for_the_player_who_made_it():
    world = bare_world()  # the game's resources, none of its systems
    try:
        world.insert_resource(load_settings())
        world.add_system(KillSystem(), Phase.RESOLVE)
        player = spawn_player(world, 1)
        world.flush()

        def shot_down(w, dt):  # feed the system the event it reads
            w.events.emit(Destroyed(0, "raptor", Side.ENEMY, 0.0, 0.0, by=player))

        world.add_system(shot_down, Phase.RESOLVE, before=KillSystem)
        run(world, 2)
        assert world.component(player, Kills) == Kills(count=2, points=20)
    finally:
        world.close()


def test_kills_reach_every_client():
    net = shooter_network(lambda: [{plugin_class}()], clients=2)
    try:
        net.step(12)  # the handshakes and the seats: each client flies an aircraft
        player = min(entity for entity, _ in net.server.query_one(Player))
        net.server.add_component(player, Kills(3, 30))
        net.step(6)  # a network tick later
        net_id = net.server.component(player, Replicated).net_id
        for index, client in enumerate(net.clients):
            entity = net.client_entity(index, net_id)
            assert client.component(entity, Kills) == Kills(3, 30)
    finally:
        net.close()
'''


def write(name: str, directory: Path) -> Path:
    """The skeleton of mod `name` in directory/name; FileExistsError if it is there."""
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"a mod's name must be a Python identifier, not {name!r}")
    folder = directory / name
    folder.mkdir(parents=True, exist_ok=False)
    plugin_class = "".join(part.title() for part in name.split("_")) + "Plugin"
    values = {"name": name, "plugin_class": plugin_class, "module": name}
    (folder / "__init__.py").write_text(MODULE.format(**values), encoding="utf-8")
    (folder / f"{name}.toml").write_text(DATA.format(**values), encoding="utf-8")
    (folder / f"test_{name}.py").write_text(TESTS.format(**values), encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.new_mod", description=__doc__)
    parser.add_argument("name", help="the mod's module name (a Python identifier)")
    parser.add_argument("--dir", type=Path, default=Path("."), help="where (default: here)")
    args = parser.parse_args(argv)
    try:
        folder = write(args.name, args.dir)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {folder}: run it with python -m game.server --mod {args.name}")
    print(f"test it with python -m pytest {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
