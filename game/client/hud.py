"""The heads-up display: hit points, missiles and score per local seat, messages, players, net
graph, the mission's name ("Mission 2: The Coast": large as it begins, then small at the
top), and "Reconnecting…" while a lost connection is being taken up again.

The HUD reads the client world and the connection's counters; it keeps only
presentation state of its own (which broadcast is showing, the net graph's
samples, how see-through each panel is, when the partner prompt shows), never
game state.

The panels sit in the corners of the play area, where aircraft fly too: a panel
with an aircraft or a name tag under it is drawn see-through at once, and comes
back when it has gone, so nothing in the fight is hidden. Every text is fitted to
its panel at the longest name allowed (smaller type, then an ellipsis).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

import pygame

from engine.client.ui import draw_text, font
from engine.components import Transform
from engine.hooks import DrawHooks, HudRegions
from engine.movement import DrawnTransform
from engine.net.interpolation import NetClock
from engine.net.sync import ClientNet
from game.net.claims import ClientSession, LocalSeat
from game.net.schema import BattlefieldState
from game.rules.battlefield import Battlefield
from game.rules.campaign import mission_title
from game.rules.components import Aircraft, Health, Held, Player, Score, Weapon

BROADCAST_SECONDS = 2.5
RECONNECTING = "Reconnecting…"
BLINK_SECONDS = 0.6
PARTNER_PROMPT = "Press Enter (or Start on pad 2) to spawn player 2"
PARTNER_HINT = "Enter or pad 2 Start: player 2"
PROMPT_SECONDS = 10.0  # the prompt blinks this long after a mission starts (or a seat frees)
INTRO_SECONDS = 3.0  # the mission's name shows large this long after it begins
TEXT = (235, 240, 255)
HINT = (170, 182, 210)
ACCENT = (255, 196, 72)
PANEL = (10, 22, 48, 170)
SEAT_COLOURS = ((96, 160, 255), (120, 220, 110))
MARGIN = 14  # px between a panel and the edge of the screen
PADDING = 12  # px between a panel's edge and its text
ELLIPSIS = "…"
FADED = 85  # a panel's opacity (of 255) with an aircraft under it
FADE_IN_SECONDS = 0.4  # back to opaque, once nothing is under it
AIRCRAFT_REACH = 40  # px from an aircraft's centre its sprite may cover (the largest is 80 px)
TAG_OFFSET = 40  # px below an aircraft where the renderer writes another player's name
TAG_SIZE = 20


@dataclass
class NetGraph:
    """Once-a-second samples of the connection, for the F3 overlay."""

    visible: bool = False
    last_at: float = -1.0
    last_in: int = 0
    last_out: int = 0
    last_snapshots: int = 0
    bytes_in: float = 0.0
    bytes_out: float = 0.0
    snapshot_rate: float = 0.0
    history: deque[float] = field(default_factory=lambda: deque(maxlen=60))  # bytes in per s

    def sample(self, now: float, net: ClientNet) -> None:
        if self.last_at < 0:
            self.last_at = now
            self.last_in, self.last_out = net.client.bytes_in, net.client.bytes_out
            self.last_snapshots = net.snapshots
            return
        elapsed = now - self.last_at
        if elapsed < 1.0:
            return
        self.bytes_in = (net.client.bytes_in - self.last_in) / elapsed
        self.bytes_out = (net.client.bytes_out - self.last_out) / elapsed
        self.snapshot_rate = (net.snapshots - self.last_snapshots) / elapsed
        self.history.append(self.bytes_in)
        self.last_at = now
        self.last_in, self.last_out = net.client.bytes_in, net.client.bytes_out
        self.last_snapshots = net.snapshots


class Hud:
    """Draws the HUD over the battlefield."""

    def __init__(self, *, can_add_partner: bool = True) -> None:
        self.can_add_partner = can_add_partner
        self.net_graph = NetGraph()
        self._shown = 0  # lines shown and gone (the one on screen, if any, is the next)
        self._shown_for = 0.0
        self._clock = 0.0
        self._dt = 0.0  # the last frame's time, for the panels' fading
        self._opacity: dict[str, float] = {}  # panel -> 0..255
        self._covers: list[pygame.Rect] = []  # what flies on screen this frame (aircraft, tags)
        self._mission: int | None = None  # the last mission number seen
        self._could_add = False  # a partner could be added at the last update
        self._prompt_until = -math.inf  # the partner prompt blinks until then (self._clock)
        self._intro_until = -math.inf  # the mission's name shows large until then

    def update(self, dt: float, world) -> None:  # noqa: ANN001
        """Advance the message queue, the net graph's clock and the partner prompt's time."""
        self._clock += dt
        self._dt = dt
        mission = next((state.mission for _, state in world.query_one(BattlefieldState)), None)
        could_add = self.partner_wanted(world)
        if mission != self._mission or (could_add and not self._could_add):
            self._prompt_until = self._clock + PROMPT_SECONDS  # a mission began, or a seat freed
        if mission != self._mission and mission:
            self._intro_until = self._clock + INTRO_SECONDS
        self._mission, self._could_add = mission, could_add
        session = world.resource(ClientSession)
        self._shown = max(self._shown, session.heard - len(session.broadcasts))  # (too far behind)
        if self._shown < session.heard:
            self._shown_for += dt
            if self._shown_for >= BROADCAST_SECONDS:
                self._shown += 1
                self._shown_for = 0.0
        net = world.try_resource(ClientNet)
        if net is not None:
            self.net_graph.sample(self._clock, net)

    def current_broadcast(self, world) -> str | None:  # noqa: ANN001
        session = world.resource(ClientSession)
        waiting = min(session.heard - self._shown, len(session.broadcasts))  # not shown yet
        return session.broadcasts[-waiting] if waiting > 0 else None

    def connection_notice(self, world) -> str | None:  # noqa: ANN001
        """The banner about the connection, if any: RECONNECTING while it is lost."""
        return RECONNECTING if world.resource(ClientSession).reconnecting else None

    def partner_wanted(self, world) -> bool:  # noqa: ANN001
        """Could Enter (or Start on the second pad) give this machine's second player an
        aircraft now? Player 1 flies, and this connection has no second seat (a partner shot
        down keeps its seat, and flies again next mission)."""
        session = world.resource(ClientSession)
        if not self.can_add_partner or session.reconnecting or 1 in session.own.values():
            return False
        return any(seat.local_index == 0 for _, seat in world.query_one(LocalSeat))

    def partner_prompt(self, world) -> str | None:  # noqa: ANN001
        """The line about player 2: the blinking prompt for PROMPT_SECONDS after a mission
        starts (or a second seat frees), then the small hint; None when it cannot join."""
        if not self.partner_wanted(world):
            return None
        return PARTNER_PROMPT if self._clock < self._prompt_until else PARTNER_HINT

    def draw(self, surface: pygame.Surface, world) -> None:  # noqa: ANN001
        seats = {}
        for entity, (seat, health, weapon) in world.query(LocalSeat, Health, Weapon):
            seats[seat.local_index] = (health, weapon, entity)
        scores = {score.player_id: score for _, score in world.query_one(Score)}
        width, height = surface.get_size()
        self._covers = self._what_flies(world)
        for index in (0, 1):
            if index in seats:
                health, weapon, entity = seats[index]
                player = world.try_component(entity, Player)
                score = scores.get(player.player_id) if player is not None else None
                self._seat_panel(surface, index, health, weapon, score)
        session = world.resource(ClientSession)
        prompt = self.partner_prompt(world)
        if prompt == PARTNER_PROMPT and int(self._clock / BLINK_SECONDS) % 2 == 0:
            self.text(surface, prompt, (width / 2, height - 28), 30, ACCENT)
        elif prompt == PARTNER_HINT:
            self.text(surface, prompt, (width / 2, height - 16), 18, HINT)
        notice = self.connection_notice(world)
        if notice:
            self._reconnecting(surface, notice, session.gives_up_in)
        elif session.spectating and not seats:
            self._spectating(surface, session.spectating)
        right = self._players(surface, world)  # the panels on either side of the broadcasts
        left = self._net_graph(surface, world) if self.net_graph.visible else None
        message = self.current_broadcast(world)
        title = mission_title(world)
        if title and self._clock < self._intro_until:
            self.text(surface, title, (width / 2, height * 0.36), 52, ACCENT, width=width - 80)
        elif title and not message:
            self.text(surface, title, (width / 2, 16), 18, HINT, width=width / 3, smallest=14)
        if message:
            # Centred between the top panels (they may hold a long name: "W…W reconnected").
            room = min(
                width / 2 - (left.right + PADDING if left else MARGIN),
                (right.left - PADDING if right else width - MARGIN) - width / 2,
            )
            at = (width / 2, 36)  # cut in the middle, so "… reconnected" keeps its verb
            self.text(surface, message, at, 30, TEXT, width=2 * room, smallest=20, middle=True)
        hooks = world.try_resource(DrawHooks)
        if hooks is not None:
            regions(world, surface.get_size(), left, right)
            for layer in hooks.hud:
                layer(surface, world)

    # -- pieces -----------------------------------------------------------------------------

    def text(
        self,
        surface: pygame.Surface,
        text: str,
        pos: tuple[float, float],
        size: int,
        colour: tuple[int, int, int],
        anchor: str = "center",
        *,
        width: float | None = None,
        smallest: int | None = None,
        middle: bool = False,
    ) -> pygame.Rect:
        """Shadowed text, fitted to `width` px if given (smaller type down to `smallest`,
        then cut with an ellipsis: at the end, or in the `middle` to keep both ends); the
        rendered words are cached (the HUD redraws them every frame)."""
        if width is not None:
            text, size = fit_text(text, size, int(width), smallest=smallest, middle=middle)
        return draw_text(surface, text, pos, size, colour, anchor=anchor)

    def _what_flies(self, world) -> list[pygame.Rect]:  # noqa: ANN001
        """Where aircraft, and the name tags under other players', are on screen."""
        battlefield = world.try_resource(Battlefield)
        if battlefield is None:
            return []
        drawn = dict(world.query_one(DrawnTransform))
        reach = AIRCRAFT_REACH
        covers = []
        for entity, (_, transform) in world.query(Aircraft, Transform):
            at = drawn.get(entity, transform)
            x, y = at.x, at.y - battlefield.view_top
            covers.append(pygame.Rect(round(x - reach), round(y - reach), 2 * reach, 2 * reach))
            player = world.try_component(entity, Player)
            if player is not None and player.name and not world.has_component(entity, LocalSeat):
                tag = pygame.Rect((0, 0), font(TAG_SIZE).size(player.name)).inflate(4, 4)
                tag.center = (round(x), round(y + TAG_OFFSET))
                covers.append(tag)
        return covers

    @contextmanager
    def _fading_panel(self, surface: pygame.Surface, name: str, rect: pygame.Rect) -> Iterator:
        """Draw a panel and what the block draws in it; see-through while anything flies
        under it (at once), opaque again over FADE_IN_SECONDS once nothing does."""
        covered = rect.collidelist(self._covers) >= 0
        opacity = self._opacity.get(name, 255.0)
        if covered:
            opacity = FADED
        else:
            opacity = min(255.0, opacity + (255 - FADED) * self._dt / FADE_IN_SECONDS)
        self._opacity[name] = opacity
        area = rect.clip(surface.get_rect())
        # What was under the panel, laid back over it: the panel shows `opacity` of itself.
        under = surface.subsurface(area).copy() if opacity < 255 and area else None
        _panel(surface, rect)
        yield
        if under is not None:
            under.set_alpha(round(255 - opacity))
            surface.blit(under, area)

    def _seat_panel(
        self,
        surface: pygame.Surface,
        index: int,
        health: Health,
        weapon: Weapon,
        score: Score | None = None,
    ) -> None:
        width, height = surface.get_size()
        panel = pygame.Rect(0, 0, 250, 62 if score is None else 86)
        if index == 0:
            panel.bottomleft = (MARGIN, height - MARGIN)
        else:
            panel.bottomright = (width - MARGIN, height - MARGIN)
        with self._fading_panel(surface, f"seat{index}", panel):
            colour = SEAT_COLOURS[index]
            self.text(surface, f"P{index + 1}", (panel.x + 14, panel.y + 8), 30, colour, "topleft")
            bar = pygame.Rect(panel.x + 56, panel.y + 12, 140, 14)
            fraction = max(0.0, health.hitpoints / max(1, health.max_hitpoints))
            pygame.draw.rect(surface, (30, 30, 40), bar, border_radius=4)
            fill = bar.copy()
            fill.width = round(bar.width * fraction)
            tone = (
                (90, 220, 90)
                if fraction > 0.5
                else (240, 200, 60)
                if fraction > 0.25
                else (230, 70, 50)
            )
            if fill.width:
                pygame.draw.rect(surface, tone, fill, border_radius=4)
            # Beside the bar, on the dark panel: readable whatever the bar's colour.
            number = (panel.right - PADDING, bar.centery)
            room = panel.right - PADDING - (bar.right + 6)
            hitpoints = f"{max(0, health.hitpoints)}"
            self.text(surface, hitpoints, number, 20, TEXT, "midright", width=room, smallest=14)
            loadout = (
                f"missiles {weapon.missiles}  spread {weapon.spread_level}"
                f"  rate {weapon.fire_rate_level}"
            )
            room = panel.right - PADDING - bar.x
            at = (bar.x, panel.y + 36)
            self.text(surface, loadout, at, 20, TEXT, "topleft", width=room, smallest=16)
            if score is not None:
                room = panel.right - PADDING - (panel.x + 14)
                at = (panel.x + 14, panel.y + 60)
                line = score_line(score)
                self.text(surface, line, at, 20, ACCENT, "topleft", width=room, smallest=14)

    def _banner(self, surface: pygame.Surface, title: str, line: str) -> None:
        """The panel at the top centre, under the broadcasts and clear of the start
        positions: the lost connection, or the spectators' line."""
        panel = pygame.Rect(0, 0, 420, 64)
        panel.midtop = (surface.get_width() // 2, 64)
        room = panel.width - 2 * PADDING
        with self._fading_panel(surface, "banner", panel):
            at = (panel.centerx, panel.y + 20)
            self.text(surface, title, at, 30, ACCENT, width=room, smallest=20)
            at = (panel.centerx, panel.y + 46)
            self.text(surface, line, at, 20, TEXT, width=room, smallest=16)

    def _reconnecting(self, surface: pygame.Surface, notice: str, seconds: float) -> None:
        """The connection was lost: say so, and how long the client keeps trying."""
        self._banner(surface, notice, f"your aircraft waits for you - {seconds:.0f} s left")

    def _spectating(self, surface: pygame.Surface, place: int) -> None:
        """Every seat is taken: say so, and where this player stands in line."""
        line = "next in line" if place == 1 else f"{_ordinal(place)} in line"
        self._banner(surface, "Spectating: every aircraft is taken", line)

    def _players(self, surface: pygame.Surface, world) -> pygame.Rect | None:  # noqa: ANN001
        """Everyone's name and hit points, top right; each name cut to fit beside its
        number. The panel's rect, if drawn."""
        rows = sorted(
            (player.player_id, player.name, health.hitpoints, world.has_component(entity, Held))
            for entity, (player, health) in world.query(Player, Health)
        )
        if not rows:
            return None
        width = surface.get_width()
        panel = pygame.Rect(0, 12, 220, 30 + 22 * len(rows))
        panel.right = width - MARGIN
        with self._fading_panel(surface, "players", panel):
            self.text(surface, "Players", (panel.x + PADDING, panel.y + 8), 20, ACCENT, "topleft")
            for row, (_, name, hitpoints, held) in enumerate(rows):
                y = panel.y + 28 + 22 * row
                status = "away" if held else str(max(0, hitpoints))
                at = (panel.right - PADDING, y)
                shown = self.text(surface, status, at, 20, TEXT, "topright")
                room = shown.left - 10 - (panel.x + PADDING)
                self.text(surface, name, (panel.x + PADDING, y), 20, TEXT, "topleft", width=room)
        return panel

    def _net_graph(self, surface: pygame.Surface, world) -> pygame.Rect | None:  # noqa: ANN001
        """F3: ping, snapshots, bytes and the interpolation delay, top left. Its rect."""
        net = world.try_resource(ClientNet)
        clock = world.try_resource(NetClock)
        if net is None or clock is None:
            return None
        graph = self.net_graph
        panel = pygame.Rect(MARGIN, 12, 250, 150)
        room = panel.width - 2 * PADDING
        with self._fading_panel(surface, "net", panel):
            rtt = net.client.rtt
            lines = [
                f"ping {rtt * 1000:.0f} ms" if rtt is not None else "ping -",
                f"snapshots {graph.snapshot_rate:.1f}/s",
                f"in {graph.bytes_in / 1024:.2f} KiB/s   out {graph.bytes_out / 1024:.2f} KiB/s",
                f"interpolation {clock.delay_ticks / clock.tick_rate * 1000:.0f} ms",
            ]
            for row, line in enumerate(lines):
                at = (panel.x + PADDING, panel.y + 10 + 20 * row)
                self.text(surface, line, at, 20, TEXT, "topleft", width=room, smallest=16)
            area = pygame.Rect(panel.x + PADDING, panel.y + 96, room, 44)
            pygame.draw.rect(surface, (20, 36, 70), area)
            peak = max(graph.history, default=1.0) or 1.0
            for index, value in enumerate(graph.history):
                bar = round(area.height * value / peak)
                x = area.x + index * area.width // graph.history.maxlen
                pygame.draw.line(surface, ACCENT, (x, area.bottom), (x, area.bottom - bar))
        return panel


REGION_WIDTH = 250  # px: as wide as a seat's panel
REGION_TOP = 176  # px: below the top panels (the net graph ends at 162)
SEAT_PANEL_TALLEST = 86  # px: a seat's panel with its score line


def regions(world, size: tuple[int, int], left, right) -> None:  # noqa: ANN001
    """The HUD's free regions for mods (engine.hooks.HudRegions), this frame: `left` and
    `right`, columns along the screen's sides between the top panels and the seats' panels
    (each filled from the bottom up)."""
    width, height = size
    bottom = height - MARGIN - SEAT_PANEL_TALLEST - PADDING
    tops = [max(REGION_TOP, panel.bottom + PADDING if panel else 0) for panel in (left, right)]
    HudRegions.of(world).free = {
        "left": (MARGIN, tops[0], REGION_WIDTH, max(0, bottom - tops[0])),
        "right": (width - MARGIN - REGION_WIDTH, tops[1], REGION_WIDTH, max(0, bottom - tops[1])),
    }


@lru_cache(maxsize=1024)
def fit_text(
    text: str, size: int, width: int, *, smallest: int | None = None, middle: bool = False
) -> tuple[str, int]:
    """(text, size) that draws at most `width` px wide (its shadow included): the largest
    size from `size` down to `smallest` (every other px) at which it fits whole, or else at
    `smallest`, cut with an ellipsis at the end (or in the `middle`)."""
    smallest = size if smallest is None else min(size, smallest)
    width -= max(1, smallest // 16)  # the shadow's offset
    for tried in range(size, smallest - 1, -2):
        if font(tried).size(text)[0] <= width:
            return text, tried
    face = font(smallest)
    if face.size(text)[0] <= width:
        return text, smallest

    def cut(kept: int) -> str:
        if not middle:
            return text[:kept].rstrip() + ELLIPSIS
        tail = kept // 2
        return text[: kept - tail].rstrip() + ELLIPSIS + text[len(text) - tail :].lstrip()

    low, high = 0, len(text)  # the most characters that fit with the ellipsis
    while low < high:
        kept = (low + high + 1) // 2
        if face.size(cut(kept))[0] <= width:
            low = kept
        else:
            high = kept - 1
    return cut(low), smallest


def score_line(score: Score) -> str:
    """A seat's score in a line: "Score 1,250  Kills 12  Acc 43%"."""
    return f"Score {score.points:,}  Kills {score.kills}  Acc {score.accuracy:.0%}"


def _ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st."""
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


_panels: dict[tuple[int, int], pygame.Surface] = {}


def _panel(surface: pygame.Surface, rect: pygame.Rect) -> None:
    """A translucent rounded panel, made once per size."""
    overlay = _panels.get(rect.size)
    if overlay is None:
        overlay = pygame.Surface(rect.size, pygame.SRCALPHA)
        pygame.draw.rect(overlay, PANEL, overlay.get_rect(), border_radius=10)
        pygame.draw.rect(overlay, (90, 130, 200, 200), overlay.get_rect(), 1, border_radius=10)
        _panels[rect.size] = overlay
    surface.blit(overlay, rect)
