"""The mission's lifecycle in the rules alone (no network): held, started, ended, restarted
after the pause, each start announced as MissionStarted(number)."""

from __future__ import annotations

import pytest

from engine import Phase, Plugin, Role, World
from engine.components import Transform
from engine.movement import MovementPlugin
from engine.physics import PhysicsPlugin
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Pickup, Player, Projectile, Side
from game.rules.mission import (
    RESTART_DELAY,
    MissionEnded,
    MissionStarted,
    MissionState,
    Outcome,
    hold_mission,
    start_mission,
)
from game.rules.plugin import ShooterPlugin, shooter_world
from game.rules.sets import MissionLifecycle
from game.rules.spawn import spawn_bullet, spawn_enemy, spawn_pickup, spawn_player
from game.rules.systems.spawning import MissionScript
from game.rules.systems.stats import MissionStats

PAUSE_STEPS = round(RESTART_DELAY * 60)


@pytest.fixture
def rules():
    """The shooter's rules alone: a server world with no network plugin at all."""
    world = shooter_world(Role.SERVER, seed=4)
    yield world
    world.close()


def win(world: World) -> None:
    """The climb done and a player over the finish line: the mission ends in success."""
    battlefield = world.resource(Battlefield)
    battlefield.view_top = 0.0
    player = spawn_player(world, 1)
    world.flush()
    world.component(player, Transform).y = battlefield.spec.finish_line_y - 1


def lose(world: World) -> None:
    """Every player shot down."""
    for _, (_, health) in world.query(Player, Health):
        health.hitpoints = 0


def run_until(world: World, condition, steps: int = 2 * PAUSE_STEPS) -> None:
    for _ in range(steps):
        if condition():
            return
        world.step()
    raise AssertionError("waited too long")


def test_mission_started_is_emitted_with_an_increasing_number_on_start_and_every_restart(
    rules, record
):
    log = record(rules, MissionStarted, MissionEnded)
    assert "cloudbreak-net-server" not in rules.plugins
    start_mission(rules)
    rules.step()
    assert log.seen == [(0, MissionStarted(1))]
    win(rules)
    run_until(rules, lambda: len(log.of(MissionStarted)) == 2)
    spawn_player(rules, 1)
    rules.run(2)
    lose(rules)
    run_until(rules, lambda: len(log.of(MissionStarted)) == 3)
    assert log.of(MissionStarted) == [MissionStarted(1), MissionStarted(2), MissionStarted(3)]
    assert log.of(MissionEnded) == [MissionEnded(Outcome.SUCCESS), MissionEnded(Outcome.FAILURE)]
    ends, starts = log.steps_of(MissionEnded), log.steps_of(MissionStarted)[1:]
    for ended, started in zip(ends, starts, strict=True):  # each after the pause, not before
        assert PAUSE_STEPS <= started - ended <= PAUSE_STEPS + 1
    assert rules.resource(MissionState).number == 3


def test_the_rules_restart_after_the_pause_without_any_network(rules, content):
    start_mission(rules)
    win(rules)
    rules.step()
    mission = rules.resource(MissionState)
    assert mission.outcome is Outcome.SUCCESS and not mission.running
    rules.run(PAUSE_STEPS - 2)  # the pause: nothing restarts yet
    assert mission.outcome is Outcome.SUCCESS and mission.number == 1
    spawn_enemy(rules, "raptor", 300.0, 300.0)  # in view, so nothing culls them first
    spawn_pickup(rules, "health", 700.0, 400.0)
    spawn_bullet(rules, "bullet_enemy", Side.ENEMY, 800.0, 350.0, 0)
    rules.step()
    assert rules.query(Aircraft) and rules.query(Pickup) and rules.query(Projectile)
    rules.step()
    assert mission.running and mission.outcome is None and mission.number == 2
    start = content.for_mission("coast").battlefield.start_view_top  # won: the next mission
    assert rules.resource(Battlefield).view_top == start
    assert rules.query(Aircraft) == rules.query(Projectile) == rules.query(Pickup) == []
    assert rules.resource(MissionStats) == MissionStats()
    assert rules.resource(MissionScript).next_index == 0
    rules.run(3)
    assert rules.resource(Battlefield).view_top < start  # climbing


def test_a_held_mission_waits_at_the_start_until_it_is_started(rules, content, record):
    log = record(rules, MissionStarted)
    hold_mission(rules)
    rules.run(120)
    assert rules.resource(Battlefield).view_top == content.battlefield.start_view_top
    assert rules.query(Aircraft) == [] and log.seen == []
    start_mission(rules)
    rules.run(2)
    assert log.of(MissionStarted) == [MissionStarted(1)]
    assert rules.resource(Battlefield).view_top < content.battlefield.start_view_top
    assert rules.resource(MissionState).running


class Watcher:
    """A mod's system: what it saw of MissionStarted, and the mission as it stood then."""

    def __init__(self) -> None:
        self.seen: list[tuple[MissionStarted, int, float]] = []

    def update(self, world: World, dt: float) -> None:
        for started in world.events.read(MissionStarted):
            number = world.resource(MissionState).number
            self.seen.append((started, number, world.resource(Battlefield).view_top))


class WatcherPlugin(Plugin):
    """Built before the game's own plugin, so only `after=` puts its systems after the game's."""

    name = "watcher"

    def __init__(self) -> None:
        self.ordered = Watcher()
        self.unordered = Watcher()

    def build_server(self, world: World) -> None:
        world.add_system(self.unordered, Phase.SPAWN)
        world.add_system(self.ordered, Phase.SPAWN, after=MissionLifecycle)


def test_a_mod_system_ordered_after_the_lifecycle_set_sees_every_mission_started(content):
    world = World(Role.SERVER, seed=4)
    mod = WatcherPlugin()
    world.add_plugins([MovementPlugin(), PhysicsPlugin(), mod, ShooterPlugin(content)])
    try:
        start_mission(world)
        world.step()
        win(world)
        run_until(world, lambda: world.resource(MissionState).number == 2)
        start = content.for_mission("coast").battlefield.start_view_top  # won: the next one
        # After the lifecycle: both starts, the restart's with the world already reset.
        seen = [(started, number) for started, number, _ in mod.ordered.seen]
        assert seen == [(MissionStarted(1), 1), (MissionStarted(2), 2)]
        assert mod.ordered.seen[-1][2] == start
        # Unordered, it ran before the restart in that step and missed it.
        assert [started for started, _, _ in mod.unordered.seen] == [MissionStarted(1)]
    finally:
        world.close()
