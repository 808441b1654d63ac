"""The HUD as a player reads it: every text fits its panel at the longest name allowed, the
hit points read on any bar, panels let through what flies under them, and the partner
prompt does not stay the whole mission.

The HUD draws a bare client world (the components it reads, no network) onto an
offscreen surface; what it draws is recorded by wrapping the module's draw_text and
_panel, so a test sees each text's rect and each panel's rect in screen pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pygame
import pytest

import game.client.hud as hud_module
from engine.components import Transform
from engine.net.interpolation import NetClock
from engine.net.messages import MAX_NAME_BYTES
from engine.net.sync import ClientNet
from engine.phases import Role
from engine.world import World
from game.client.hud import BROADCAST_SECONDS, Hud
from game.net.claims import BROADCASTS_KEPT, ClientSession, LocalSeat
from game.net.schema import BattlefieldState
from game.rules.battlefield import Battlefield
from game.rules.components import Aircraft, Health, Player, Side, Weapon
from game.rules.content import load_content

SIZE = (1024, 768)
LONGEST = "W" * MAX_NAME_BYTES  # the widest name a player may have
WHITE = (255, 255, 255)
FRAME = 1 / 60


@dataclass
class Scene:
    """A client world as the HUD reads it."""

    world: World
    hud: Hud = field(default_factory=Hud)
    ids: int = 0

    @property
    def session(self) -> ClientSession:
        return self.world.resource(ClientSession)

    @property
    def top(self) -> float:
        return self.world.resource(Battlefield).view_top

    def aircraft(self, x: float, y: float, *, name: str = "", seat: int | None = None, hp=100):  # noqa: ANN001, ANN201
        """An aircraft at screen (x, y): another player's (with `name`), this client's
        (`seat` 0 or 1), or an enemy's (neither)."""
        self.ids += 1
        parts = [Aircraft("eagle", Side.ENEMY if not name and seat is None else Side.ALLY)]
        parts += [Transform(x, self.top + y), Health(hp, 100)]
        if name:
            parts.append(Player(self.ids, 0, seat or 0, name))
        if seat is not None:
            parts += [LocalSeat(seat), Weapon(missiles=20, spread_level=3, fire_rate_level=3)]
            self.session.own[self.ids] = seat
        return self.world.create(*parts)

    def frame(self, dt: float = FRAME) -> pygame.Surface:
        surface = pygame.Surface(SIZE)
        surface.fill(WHITE)
        self.hud.update(dt, self.world)
        self.hud.draw(surface, self.world)
        return surface


@pytest.fixture
def scene():
    world = World(Role.CLIENT)
    world.insert_resource(ClientSession())
    world.insert_resource(Battlefield.at_start(load_content().battlefield))
    world.create(BattlefieldState(mission=1, seats=8))
    yield Scene(world)
    world.close()


@dataclass
class Drawn:
    texts: list[tuple[str, pygame.Rect, tuple]] = field(default_factory=list)
    panels: list[pygame.Rect] = field(default_factory=list)

    def clear(self) -> None:
        self.texts.clear()
        self.panels.clear()

    def said(self) -> list[str]:
        return [text for text, _, _ in self.texts]


@pytest.fixture
def drawn(monkeypatch):
    """What the HUD draws; texts named in `drawn.hidden` take their place but are not drawn."""
    record = Drawn()
    record.hidden = set()
    real_text, real_panel = hud_module.draw_text, hud_module._panel

    def text(surface, words, pos, size, colour, **options):  # noqa: ANN001, ANN003, ANN202
        target = pygame.Surface(surface.get_size()) if words in record.hidden else surface
        rect = real_text(target, words, pos, size, colour, **options)
        record.texts.append((words, rect, tuple(colour)))
        return rect

    def panel(surface, rect):  # noqa: ANN001, ANN202
        record.panels.append(pygame.Rect(rect))
        return real_panel(surface, rect)

    monkeypatch.setattr(hud_module, "draw_text", text)
    monkeypatch.setattr(hud_module, "_panel", panel)
    return record


def fake_net(world: World) -> None:
    """The counters the net graph reads, at their widest."""
    client = SimpleNamespace(rtt=9.999, bytes_in=0, bytes_out=0)
    world.insert_resource(SimpleNamespace(client=client, snapshots=0), as_type=ClientNet)
    world.insert_resource(NetClock(tick_rate=20.0, delay_ticks=2.0))


def luminance(colour) -> float:  # noqa: ANN001
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour[:3]
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a, b) -> float:  # noqa: ANN001
    """WCAG 2 contrast ratio: 1 (none) to 21 (black on white); 4.5 reads as body text."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# -- bug 4 and deliverable 5: every text fits its panel at the longest name ------------------


def test_every_text_fits_its_panel_with_the_longest_names(scene, drawn):
    scene.aircraft(400, 400, name=LONGEST, seat=0, hp=100)
    scene.aircraft(600, 400, name=LONGEST[:-4] + " (2)", seat=1, hp=7)
    for n in range(2, 8):
        scene.aircraft(100 * n, 300, name=LONGEST[:-2] + f" {n}", hp=100)
    scene.session.hear(f"{LONGEST} reconnected")
    scene.session.reconnecting, scene.session.gives_up_in = True, 30.0
    fake_net(scene.world)
    scene.hud.net_graph.visible = True
    scene.frame()
    screen = pygame.Rect((0, 0), SIZE)
    assert len(drawn.panels) == 5  # two seats, the banner, players, the net graph
    for index, panel in enumerate(drawn.panels):
        assert screen.contains(panel)
        assert panel.collidelist(drawn.panels[index + 1 :]) < 0, "panels overlap"
    names_shown = 0
    for index, (text, rect, _) in enumerate(drawn.texts):
        homes = [p for p in drawn.panels if p.colliderect(rect)]
        if homes:  # inside its panel, clear of the edge
            (home,) = homes
            assert home.inflate(-8, -4).contains(rect), f"{text!r} sticks out of its panel"
        else:  # a line of its own (the broadcast): on screen
            assert screen.contains(rect), f"{text!r} is off the screen"
        others = [r for _, r, _ in drawn.texts[index + 1 :]]
        assert rect.collidelist(others) < 0, f"{text!r} covers another text"
        names_shown += text.startswith("WWW")
    assert names_shown == 9  # eight names in Players, and the broadcast
    assert "reconnected" in drawn.said()[-1]  # a cut broadcast keeps what happened


# -- bug 8: the hit points read on any colour of bar ------------------------------------------


@pytest.mark.parametrize("hp", [100, 50, 20])  # green, yellow, red: each up to the middle
def test_the_hit_point_number_stands_out_from_what_is_behind_it(scene, drawn, hp):
    scene.aircraft(400, 400, seat=0, hp=hp)  # no Player: only the seat panel shows the number
    scene.frame()
    ((_, rect, colour),) = [t for t in drawn.texts if t[0] == str(hp)]
    drawn.hidden.add(str(hp))
    behind = scene.frame().subsurface(rect)  # the same frame without the number
    pixels = {tuple(behind.get_at((x, y))) for x in range(rect.w) for y in range(rect.h)}
    worst, pixel = min((contrast(colour, pixel), pixel) for pixel in pixels)
    assert worst >= 4.5, f"{hp} hit points: contrast {worst:.1f} against {pixel}"


# -- bug 8 and deliverable 5: panels let through what flies under them -----------------------


def panel_at(drawn: Drawn, x: int, y: int) -> pygame.Rect:
    (panel,) = [p for p in drawn.panels if p.collidepoint(x, y)]
    return panel


def see_through(surface: pygame.Surface, panel: pygame.Rect) -> float:
    """How much of the white under an empty spot of the panel shows (0 to 1)."""
    spot = surface.get_at((panel.x + 6, panel.bottom - 10))
    return sum(spot[:3]) / (3 * 255)


CORNERS = {  # a spot in each corner panel, and where an aircraft there sits on screen
    "P1": ((30, 740), (60, 720)),
    "P2": ((994, 740), (964, 720)),
    "players": ((994, 30), (964, 50)),
    "net graph": ((30, 30), (60, 50)),
}


@pytest.mark.parametrize("corner", list(CORNERS))
@pytest.mark.parametrize("who", ["enemy", "other player", "own"])
def test_a_panel_with_an_aircraft_under_it_lets_it_show(scene, drawn, corner, who):
    (spot, under) = CORNERS[corner]
    scene.aircraft(500, 300, name="Ann", seat=0)
    scene.aircraft(560, 300, name="Ann (2)", seat=1)
    fake_net(scene.world)
    scene.hud.net_graph.visible = True
    clear = scene.frame()
    panel = panel_at(drawn, *spot)
    assert see_through(clear, panel) < 0.5  # a plain panel hides what is under it
    if who == "own":
        entity = next(e for e, (s,) in scene.world.query(LocalSeat) if s.local_index == 0)
        where = scene.world.component(entity, Transform)
        where.x, where.y = under[0], scene.top + under[1]
    else:
        scene.aircraft(*under, name="Bob" if who == "other player" else "")
    drawn.clear()
    assert see_through(scene.frame(), panel) > 0.6, f"{corner} hides the {who}'s aircraft"


def test_a_name_tag_under_the_p1_panel_fades_it_until_it_has_gone(scene, drawn):
    scene.aircraft(500, 300, name="Ann", seat=0)
    clear = scene.frame()
    panel = panel_at(drawn, 30, 740)
    assert see_through(clear, panel) < 0.5
    # Above the panel, but its name tag (written under it) reaches into the panel.
    bob = scene.aircraft(60, panel.top - 44, name=LONGEST)
    assert see_through(scene.frame(), panel) > 0.6
    scene.world.component(bob, Transform).y -= 200
    assert see_through(scene.frame(), panel) > 0.6  # it comes back gently
    for _ in range(60):
        surface = scene.frame()
    assert see_through(surface, panel) < 0.5  # and is whole again once nothing is under it


# -- bug 9: the partner prompt blinks for a while, then a small hint --------------------------


def prompts(scene: Scene, drawn: Drawn, seconds: float) -> set[str]:
    """What the HUD says about player 2 over the next `seconds`."""
    said = set()
    for _ in range(round(seconds / FRAME)):
        drawn.clear()
        scene.frame()
        said.update(t for t in drawn.said() if "player 2" in t)
    return said


def test_the_partner_prompt_shows_at_a_missions_start_then_gives_way_to_a_hint(scene, drawn):
    prompt = "Press Enter (or Start on pad 2) to spawn player 2"
    hint = "Enter or pad 2 Start: player 2"
    scene.aircraft(500, 600, name="Ann", seat=0)
    assert prompts(scene, drawn, 9.5) == {prompt}
    prompts(scene, drawn, 1.0)
    assert prompts(scene, drawn, 5.0) == {hint}  # after 10 s: a small static hint
    (_, state), *_ = scene.world.query_one(BattlefieldState)
    state.mission = 2  # the next mission: shown again
    assert prompts(scene, drawn, 9.5) == {prompt}
    prompts(scene, drawn, 1.0)
    assert prompts(scene, drawn, 1.0) == {hint}
    partner = scene.aircraft(560, 600, name="Ann (2)", seat=1)
    assert prompts(scene, drawn, 2.0) == set()  # player 2 flies
    scene.world.despawn(partner)
    scene.world.flush()
    assert prompts(scene, drawn, 2.0) == set()  # shot down: its seat waits for the next mission
    scene.session.own.clear()  # the seat is gone: player 2 may join again
    assert prompts(scene, drawn, 2.0) == {prompt}


def test_no_partner_prompt_for_a_spectator_or_while_reconnecting(scene, drawn):
    assert prompts(scene, drawn, 1.0) == set()  # nothing to fly yet
    scene.aircraft(500, 600, name="Ann", seat=0)
    scene.session.reconnecting = True
    assert prompts(scene, drawn, 1.0) == set()


# -- issue 13, score and results: a score line per local seat ----------------------------------


def test_each_local_seat_shows_its_own_score_in_a_line(scene, drawn):
    from game.rules.components import Score

    first = scene.aircraft(400, 400, name="Ada", seat=0)
    second = scene.aircraft(600, 400, name="Bo", seat=1)
    ada, bo = (scene.world.component(e, Player).player_id for e in (first, second))
    scene.world.create(Score(ada, "Ada", points=1250, kills=12, shots=100, hits=43))
    scene.world.create(Score(bo, "Bo", points=100, kills=1, shots=4, hits=1, damage_taken=9))
    scene.world.create(Score(99, "someone else", points=5))
    scene.frame()
    said = drawn.said()
    assert "Score 1,250  Kills 12  Acc 43%" in said
    assert "Score 100  Kills 1  Acc 25%" in said
    assert not any("Score 5 " in text for text in said)


def test_the_score_line_fits_its_panel_at_its_longest(scene, drawn):
    from game.rules.components import Score

    seat = scene.aircraft(400, 400, name=LONGEST, seat=0)
    player_id = scene.world.component(seat, Player).player_id
    scene.world.create(Score(player_id, LONGEST, points=9_999_999, kills=9999, shots=1, hits=1))
    scene.frame()
    [(text, rect, _)] = [t for t in drawn.texts if t[0].startswith("Score")]
    assert text.endswith("Acc 100%")  # all of it, in smaller type if need be
    [home] = [p for p in drawn.panels if p.colliderect(rect)]
    assert home.inflate(-8, -4).contains(rect)
    others = [r for t, r, _ in drawn.texts if t != text and home.colliderect(r)]
    assert rect.collidelist(others) < 0


def test_broadcasts_show_in_turn_and_a_long_session_keeps_only_the_latest(scene):
    scene.session.hear("alice joined")
    scene.session.hear("bob joined")
    shown = []
    for _ in range(2):
        shown.append(scene.hud.current_broadcast(scene.world))
        scene.frame(BROADCAST_SECONDS)
    assert shown == ["alice joined", "bob joined"]
    assert scene.hud.current_broadcast(scene.world) is None
    for n in range(3 * BROADCASTS_KEPT):  # hours of joins and leaves, nobody reading
        scene.session.hear(f"pilot{n} joined")
    assert len(scene.session.broadcasts) == BROADCASTS_KEPT
    scene.frame(0.0)
    oldest_kept = f"pilot{2 * BROADCASTS_KEPT} joined"
    assert scene.hud.current_broadcast(scene.world) == oldest_kept  # the rest went unread
    scene.frame(BROADCAST_SECONDS)
    assert scene.hud.current_broadcast(scene.world) == f"pilot{2 * BROADCASTS_KEPT + 1} joined"
