"""The heads-up display: hit points and missiles per local seat, messages, players, net graph,
and "Reconnecting…" while a lost connection is being taken up again.

The HUD reads the client world and the connection's counters; it keeps only
presentation state of its own (which broadcast is showing, the net graph's
samples), never game state.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import pygame

from engine.client.ui import draw_text
from engine.hooks import DrawHooks
from engine.net.interpolation import NetClock
from engine.net.sync import ClientNet
from game.net.claims import ClientSession, LocalSeat
from game.rules.components import Health, Held, Player, Weapon

BROADCAST_SECONDS = 2.5
RECONNECTING = "Reconnecting…"
BLINK_SECONDS = 0.6
TEXT = (235, 240, 255)
ACCENT = (255, 196, 72)
PANEL = (10, 22, 48, 170)
SEAT_COLOURS = ((96, 160, 255), (120, 220, 110))


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
        self._shown = 0  # index of the broadcast on screen
        self._shown_for = 0.0
        self._clock = 0.0

    def update(self, dt: float, world) -> None:  # noqa: ANN001
        """Advance the message queue and the net graph's clock."""
        self._clock += dt
        broadcasts = world.resource(ClientSession).broadcasts
        if self._shown < len(broadcasts):
            self._shown_for += dt
            if self._shown_for >= BROADCAST_SECONDS:
                self._shown += 1
                self._shown_for = 0.0
        net = world.try_resource(ClientNet)
        if net is not None:
            self.net_graph.sample(self._clock, net)

    def current_broadcast(self, world) -> str | None:  # noqa: ANN001
        broadcasts = world.resource(ClientSession).broadcasts
        return broadcasts[self._shown] if self._shown < len(broadcasts) else None

    def connection_notice(self, world) -> str | None:  # noqa: ANN001
        """The banner about the connection, if any: RECONNECTING while it is lost."""
        return RECONNECTING if world.resource(ClientSession).reconnecting else None

    def draw(self, surface: pygame.Surface, world) -> None:  # noqa: ANN001
        seats = {}
        for entity, (seat, health, weapon) in world.query(LocalSeat, Health, Weapon):
            seats[seat.local_index] = (health, weapon, entity)
        width, height = surface.get_size()
        for index in (0, 1):
            if index in seats:
                health, weapon, _ = seats[index]
                self._seat_panel(surface, index, health, weapon)
        session = world.resource(ClientSession)
        waiting = len(seats) == 1 and self.can_add_partner and 1 not in seats
        if waiting and not session.reconnecting and int(self._clock / BLINK_SECONDS) % 2 == 0:
            prompt = "Press Enter to spawn player 2"
            self.text(surface, prompt, (width / 2, height - 28), 30, ACCENT)
        notice = self.connection_notice(world)
        if notice:
            self._reconnecting(surface, notice, session.gives_up_in)
        elif session.spectating and not seats:
            self._spectating(surface, session.spectating)
        message = self.current_broadcast(world)
        if message:
            self.text(surface, message, (width / 2, 36), 30, TEXT)
        self._players(surface, world)
        if self.net_graph.visible:
            self._net_graph(surface, world)
        hooks = world.try_resource(DrawHooks)
        if hooks is not None:
            for layer in hooks.hud:
                layer(surface, world)

    # -- pieces -----------------------------------------------------------------------------

    def text(self, surface, text, pos, size, colour, anchor="center") -> pygame.Rect:  # noqa: ANN001
        """Shadowed text; the rendered words are cached (the HUD redraws them every frame)."""
        return draw_text(surface, text, pos, size, colour, anchor=anchor)

    def _seat_panel(self, surface: pygame.Surface, index: int, health: Health, weapon: Weapon):
        width, height = surface.get_size()
        panel = pygame.Rect(0, 0, 250, 62)
        panel.bottomleft = (14, height - 14) if index == 0 else (0, 0)
        if index == 1:
            panel.bottomright = (width - 14, height - 14)
        _panel(surface, panel)
        colour = SEAT_COLOURS[index]
        self.text(surface, f"P{index + 1}", (panel.x + 14, panel.y + 8), 30, colour, "topleft")
        bar = pygame.Rect(panel.x + 56, panel.y + 12, 180, 14)
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
        self.text(surface, f"{max(0, health.hitpoints)}", bar.center, 20, TEXT)
        loadout = f"missiles {weapon.missiles}  spread {weapon.spread_level}"
        self.text(
            surface,
            f"{loadout}  rate {weapon.fire_rate_level}",
            (panel.x + 56, panel.y + 36),
            20,
            TEXT,
            "topleft",
        )

    def _reconnecting(self, surface: pygame.Surface, notice: str, seconds: float) -> None:
        """The connection was lost: say so, and how long the client keeps trying."""
        width = surface.get_width()
        panel = pygame.Rect(0, 0, 420, 64)
        panel.midtop = (width // 2, 64)  # where the spectator banner goes
        _panel(surface, panel)
        self.text(surface, notice, (panel.centerx, panel.y + 20), 30, ACCENT)
        line = f"your aircraft waits for you - {seconds:.0f} s left"
        self.text(surface, line, (panel.centerx, panel.y + 46), 20, TEXT)

    def _spectating(self, surface: pygame.Surface, place: int) -> None:
        """Every seat is taken: say so, and where this player stands in line."""
        width = surface.get_width()
        panel = pygame.Rect(0, 0, 420, 64)
        panel.midtop = (width // 2, 64)  # under the broadcasts, clear of the start positions
        _panel(surface, panel)
        self.text(
            surface,
            "Spectating: every aircraft is taken",
            (panel.centerx, panel.y + 20),
            30,
            ACCENT,
        )
        line = "next in line" if place == 1 else f"{_ordinal(place)} in line"
        self.text(surface, line, (panel.centerx, panel.y + 46), 20, TEXT)

    def _players(self, surface: pygame.Surface, world) -> None:  # noqa: ANN001
        rows = sorted(
            (player.player_id, player.name, health.hitpoints, world.has_component(entity, Held))
            for entity, (player, health) in world.query(Player, Health)
        )
        if not rows:
            return
        width = surface.get_width()
        panel = pygame.Rect(width - 214, 12, 200, 30 + 22 * len(rows))
        _panel(surface, panel)
        self.text(surface, "Players", (panel.x + 12, panel.y + 8), 20, ACCENT, "topleft")
        for row, (_, name, hitpoints, held) in enumerate(rows):
            y = panel.y + 28 + 22 * row
            self.text(surface, name[:18], (panel.x + 12, y), 20, TEXT, "topleft")
            status = "away" if held else str(max(0, hitpoints))
            self.text(surface, status, (panel.right - 12, y), 20, TEXT, "topright")

    def _net_graph(self, surface: pygame.Surface, world) -> None:  # noqa: ANN001
        net = world.try_resource(ClientNet)
        clock = world.try_resource(NetClock)
        if net is None or clock is None:
            return
        graph = self.net_graph
        panel = pygame.Rect(14, 12, 250, 150)
        _panel(surface, panel)
        rtt = net.client.rtt
        lines = [
            f"ping {rtt * 1000:.0f} ms" if rtt is not None else "ping -",
            f"snapshots {graph.snapshot_rate:.1f}/s",
            f"in {graph.bytes_in / 1024:.2f} KiB/s   out {graph.bytes_out / 1024:.2f} KiB/s",
            f"interpolation {clock.delay_ticks / clock.tick_rate * 1000:.0f} ms",
        ]
        for row, line in enumerate(lines):
            self.text(surface, line, (panel.x + 12, panel.y + 10 + 20 * row), 20, TEXT, "topleft")
        area = pygame.Rect(panel.x + 12, panel.y + 96, panel.width - 24, 44)
        pygame.draw.rect(surface, (20, 36, 70), area)
        peak = max(graph.history, default=1.0) or 1.0
        for index, value in enumerate(graph.history):
            bar = round(area.height * value / peak)
            x = area.x + index * area.width // graph.history.maxlen
            pygame.draw.line(surface, ACCENT, (x, area.bottom), (x, area.bottom - bar))


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
