"""A fair challenge (issue 13, bug 3): enemy paths and fire cover the whole width, so hugging
a side edge is no safer than flying mid-screen. Avengers aim at the players; Raptors drift
towards the player below them; random waves come in formations over the whole width."""

from __future__ import annotations

import dataclasses

import pytest

from engine import Phase, Role
from engine.components import Transform
from game import sim
from game.rules.battlefield import Battlefield
from game.rules.components import FlightPattern, Player, Projectile, Side
from game.rules.events import Damaged
from game.rules.plugin import shooter_world
from game.rules.sets import Damage, Deaths
from game.rules.spawn import spawn_enemy, spawn_player
from game.rules.systems.spawning import formation_places


@pytest.fixture
def quiet(content):
    """The shipped rules with no script and no random waves: only what a test spawns."""
    waves = dataclasses.replace(content.waves, interval_min=1e6, interval_max=1e6)
    return dataclasses.replace(content, script=(), waves=waves)


@pytest.fixture
def field(quiet):
    """A whole server world (every rule), its mission running, nothing in the sky."""
    worlds = []

    def make(seed=1):
        world = shooter_world(Role.SERVER, seed=seed, content=quiet)
        worlds.append(world)
        return world

    yield make
    for world in worlds:
        world.close()


def hits_by_shots(world):
    """A list that fills with (step, player) each time an enemy bullet hits a player."""
    hits = []

    def watch(w, dt):
        for damaged in w.events.read(Damaged):
            shot = w.try_component(damaged.source, Projectile)
            if shot is not None and shot.side is Side.ENEMY:
                hits.append((w.time.step, damaged.entity))

    world.add_system(watch, Phase.RESOLVE, after=Damage, before=Deaths)
    return hits


def player_at(world, x, view_y=None):
    """A player at x, `view_y` px below the view's top (default: its start)."""
    player = spawn_player(world, 1)
    world.flush()
    if view_y is not None:
        world.component(player, Transform).y = world.resource(Battlefield).view_top + view_y
    world.component(player, Transform).x = x
    return player


@pytest.mark.parametrize("x", [40.0, 512.0, 984.0])
def test_an_avenger_mid_screen_hits_a_player_who_holds_still_anywhere_across_the_width(field, x):
    world = field()
    player = player_at(world, x)
    view_top = world.resource(Battlefield).view_top
    spawn_enemy(world, "avenger", 512.0, view_top + 120)
    hits = hits_by_shots(world)
    world.run(3 * 60)
    assert hits and {entity for _, entity in hits} == {player}


def test_an_aimed_shot_misses_a_player_who_moves_aside_after_it_is_fired(field):
    world = field()
    player = player_at(world, 100.0)
    view_top = world.resource(Battlefield).view_top
    enemy = spawn_enemy(world, "avenger", 512.0, view_top + 120)
    world.flush()
    shots = []
    world.add_system(
        lambda w, dt: shots.extend(
            e for e, (p,) in w.query(Projectile) if p.side is Side.ENEMY and e not in shots
        ),
        Phase.NETWORK,
    )
    while not shots:
        world.step()
    world.despawn(enemy)  # one shot only
    hits = hits_by_shots(world)
    world.component(player, Transform).x += 120.0  # it moved: the shot flies where it was
    world.run(3 * 60)
    assert hits == []


def test_aimed_fire_turns_no_further_than_the_aim_cone_from_straight_down(field, content):
    world = field()
    cone = content.aircraft["avenger"].aim_cone
    assert 0 < cone < 90
    player = player_at(world, 984.0)
    view_top = world.resource(Battlefield).view_top
    world.component(player, Transform).y = view_top + 130  # nearly level with it, far aside
    spawn_enemy(world, "avenger", 40.0, view_top + 100)
    world.run(30)
    [angle] = [t.angle for _, (p, t) in world.query(Projectile, Transform) if p.side]
    assert angle == pytest.approx(180.0 - cone)


def test_a_raptor_drifts_towards_the_player_below_it_even_at_the_edge(field, content):
    pursuit = content.aircraft["raptor"].pursuit
    assert pursuit > 0
    ends = []
    for quarry in (True, False):  # the same raptor with a player at the edge, and with none
        world = field()
        if quarry:
            player_at(world, 40.0)
        view_top = world.resource(Battlefield).view_top
        raptor = spawn_enemy(world, "raptor", 512.0, view_top + 20)
        world.flush()
        assert world.component(raptor, FlightPattern).pursuit == pursuit
        world.run(4 * 60)
        ends.append(world.component(raptor, Transform).x)
    chased, weaved = ends
    assert weaved - chased == pytest.approx(pursuit * 4, rel=0.05)


def test_a_raptor_pursues_no_player_above_it(field):
    world = field()
    player_at(world, 40.0, view_y=100.0)
    view_top = world.resource(Battlefield).view_top
    raptor = spawn_enemy(world, "raptor", 512.0, view_top + 400)
    world.flush()
    world.run(60)
    assert abs(world.component(raptor, Transform).x - 512.0) < 80.0  # its weave only


# -- formations cover the whole width ------------------------------------------------------


def formation(content, shape, **changes):
    [found] = [f for f in content.waves.formations if f.shape == shape]
    return dataclasses.replace(found, **changes)


def test_the_shipped_waves_include_edge_columns_lines_and_groups_over_a_player(content):
    shapes = {f.shape for f in content.waves.formations if f.weight > 0}
    assert shapes == {"scatter", "column", "line", "above_player"}


def test_a_column_comes_down_one_side_and_flies_its_pattern_mirrored_on_the_right(field, content):
    world = field(seed=3)
    column = formation(content, "column")
    width = content.battlefield.view_width
    sides = set()
    for _ in range(12):
        places = formation_places(world, column, 4)
        xs = {x for _, x, _, _ in places}
        assert xs in ({column.inset}, {width - column.inset})
        ys = [y for _, _, y, _ in places]
        assert [a - b for a, b in zip(ys, ys[1:], strict=False)] == [column.spacing] * 3
        right = xs == {width - column.inset}
        sides.add(right)
        for kind, _, _, pattern in places:
            own = content.aircraft[kind].pattern
            assert pattern == (tuple((-a, d) for a, d in own) if right else own)
    assert sides == {False, True}  # both edges


def test_a_line_spans_the_whole_width(field, content):
    world = field()
    places = formation_places(world, formation(content, "line"), 5)
    xs = sorted(x for _, x, _, _ in places)
    width, margin = content.battlefield.view_width, content.battlefield.player_margin
    gap = (width - 2 * margin) / 5
    assert xs == pytest.approx([margin + (i + 0.5) * gap for i in range(5)])


def test_a_group_above_a_player_follows_that_player_to_the_edge(field, content):
    world = field()
    player_at(world, 40.0)
    places = formation_places(world, formation(content, "above_player", spacing=90.0), 2)
    margin = content.battlefield.player_margin
    assert sorted(x for _, x, _, _ in places) == [margin, 40.0 + 45.0]


def test_scattered_waves_reach_both_edges(field, content):
    world = field()
    scatter = formation(content, "scatter")
    xs = [x for _ in range(200) for _, x, _, _ in formation_places(world, scatter, 1)]
    width = content.battlefield.view_width
    assert min(xs) < 0.1 * width and max(xs) > 0.9 * width


# -- the mission as a player meets it ------------------------------------------------------


@pytest.mark.parametrize("players", [1, 2])
def test_hugging_an_edge_and_holding_fire_no_longer_wins_the_mission(players):
    """Bug 3: hold Left (co-op: one player Left, one Right) for 3 s, then hold fire. It used
    to win at full health; now the enemies' fire finds the edge as it finds mid-screen."""
    for seed in range(3):
        summary = sim.run(600, players, seed, style="edge")
        assert summary.outcome == "failure", (seed, summary)


def test_holding_fire_mid_screen_fares_no_better():
    for seed in range(3):
        assert sim.run(600, 1, seed, style="centre").outcome == "failure"


def test_the_edge_style_really_hugs_the_edges_one_player_on_each(content):
    world = sim.build(2, seed=1, style="edge")
    try:
        world.run(4 * 60)
        xs = sorted(t.x for _, (_, t) in world.query(Player, Transform))
        margin = content.battlefield.player_margin
        assert xs == [margin, content.battlefield.view_width - margin]
    finally:
        world.close()
