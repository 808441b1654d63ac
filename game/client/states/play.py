"""Playing: the battlefield and HUD, local input for two seats (keyboard and pads), pause,
mission end, loss."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from engine.client.gamepad import is_pad_event, menu_event, pad_button
from engine.client.states import State
from engine.client.ui import Menu, draw_panel, draw_text
from engine.hooks import ControlHooks, DrawHooks
from engine.net.sync import ClientNet
from engine.phases import Phase
from engine.world import World
from game.client.autoplay import fly_by_autopilot
from game.client.effects import EffectsPlugin
from game.client.hints import FinishHint
from game.client.hud import Hud, fit_text
from game.client.session import Session
from game.client.settings import ACTIONS
from game.net.claims import ClientSession
from game.net.protocol import Explosion, MissionEnd, Outcome8, PickupCollected
from game.net.schema import BattlefieldState
from game.rules.campaign import Campaign, mission_title
from game.rules.components import Projectile, Score, Side
from game.rules.sets import Effects

SEATS = (0, 1)


class CueRecorder:
    """A PRESENT-phase system noting which sounds this frame calls for (the cues of every
    step since the last frame)."""

    def __init__(self) -> None:
        self.cues: list[str] = []
        self.outcome: MissionEnd | None = None

    def update(self, world: World, dt: float) -> None:
        for explosion in world.events.read(Explosion):
            self.cues.append("explosion2" if explosion.large else "explosion1")
        if world.events.read(PickupCollected):
            self.cues.append("pickup")
        for end in world.events.read(MissionEnd):
            self.outcome = end

    def on_spawn(self, world: World, entity: int, net_id: int) -> None:
        projectile = world.try_component(entity, Projectile)
        if projectile is None:
            return
        if projectile.kind == "missile":
            self.cues.append("missile_launch")
        else:
            self.cues.append("gunfire_allied" if projectile.side is Side.ALLY else "gunfire_enemy")


class GameState(State):
    """The mission, as this client sees it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.hud = Hud()
        self.finish_hint = FinishHint()
        self.cues = CueRecorder()

    @property
    def client(self):  # noqa: ANN201
        return self.session.client

    def enter(self) -> None:
        world = self.client.world
        world.add_system(self.cues, Phase.PRESENT, in_set=Effects)
        if not self.client.mode:
            world.add_plugin(EffectsPlugin())
            world.resource(ClientNet).decoder.on_spawn.append(self.cues.on_spawn)
        self.context.play_music("mission")
        self.context.pads.release_buttons()  # A on the menu's Play is not a shot
        if self.context.autopilot and not self.client.mode:
            fly_by_autopilot(world, self.context.autopilot)
        if self.context.frame_meter is not None:
            self.context.frame_meter.lap()  # the mission's frames from here, not the menus'

    @property
    def autopilot(self) -> bool:
        """The local seats fly themselves (--autopilot): the keys fly nothing."""
        return bool(self.context.autopilot) and not self.client.mode

    def exit(self) -> None:
        self.session.close()

    def pause(self) -> None:
        self.context.input.release_all()
        self.stack.push(PauseState(self))

    def handle_event(self, event: pygame.event.Event) -> None:
        app = self.context
        if is_pad_event(event):
            self._pad_event(event)
            return
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.pause()
                return
            if event.key == pygame.K_F3:
                self.hud.net_graph.visible = not self.hud.net_graph.visible
                return
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER) and not self.client.mode:
                if 1 not in self.client.own_aircraft():
                    self.client.request_partner()
                return
        app.input.handle_event(event)

    def _pad_event(self, event: pygame.event.Event) -> None:
        """Start pauses; on player 2's pad it first brings player 2 in, as Enter does. The
        App's Gamepads already follows every button and stick (`_fly` reads them); a pad
        plugged in or out is told on the HUD."""
        seat = getattr(event, "seat", None)
        if event.type == pygame.CONTROLLERBUTTONDOWN and pad_button(event) == "start":
            if seat == 1 and not self.client.mode and self.hud.partner_wanted(self.client.world):
                self.client.request_partner()
            else:
                self.pause()
            return
        if self.client.mode or event.type not in (
            pygame.CONTROLLERDEVICEADDED,
            pygame.CONTROLLERDEVICEREMOVED,
        ):
            return
        name = getattr(event, "pad_name", None)
        if name is None or seat is None:
            return
        plugged = "connected" if event.type == pygame.CONTROLLERDEVICEADDED else "disconnected"
        notice = f"Pad {plugged}: player {seat + 1} ({name})"
        self.client.world.resource(ClientSession).hear(notice)

    def update(self, dt: float) -> None:
        active = not isinstance(self.stack.top, PauseState)  # multiplayer: the world goes on
        if self.client.mode:
            self._mode_controls(active=active)
        elif not self.autopilot:
            self._fly(active=active)
        self.session.step_due()
        self.session.present(dt)
        if not self.client.mode:
            self.hud.update(dt, self.client.world)
            self.finish_hint.update(dt)
        self._sounds()
        if self.session.failed:
            from game.client.states.message import MessageState, explain_loss

            self.stack.clear(MessageState(*explain_loss(self.session.failed)))
            return
        if self.cues.outcome is not None:
            end = MissionEndState(self.cues.outcome, self.client.world)
            self._report(end)
            self.stack.push(end)
            self.cues.outcome = None

    def _report(self, end: MissionEndState) -> None:
        """With a frame meter (--autopilot): one line per mission, its frame times."""
        meter = self.context.frame_meter
        figures = meter.lap() if meter is not None else None
        if figures is not None:
            verdict = "success" if end.success else "failure"
            name = end.title or "mission"
            print(f"{name}: {verdict}; frame time {figures.line()}", flush=True)
            if end.complete:
                print("campaign complete", flush=True)

    def _fly(self, *, active: bool = True) -> None:
        """Each seat's keys and pad to its aircraft; nothing while paused (in multiplayer
        the world goes on under the pause menu, and a pad's stick is still followed)."""
        controls = self.context.controls
        for seat in SEATS:
            if not active:
                controls.take_presses(seat, "missile")
                self.client.control(seat, fire=False)
                continue
            self.client.control(
                seat,
                move_x=controls.axis(seat, "move_left", "move_right"),
                move_y=controls.axis(seat, "move_up", "move_down"),
                fire=controls.held(seat, "fire"),
                missile=controls.take_presses(seat, "missile") > 0,
            )

    def _mode_controls(self, *, active: bool = True) -> None:
        """A game mode reacts to presses of the bound actions through its ControlHooks (not
        to a pad working the pause menu)."""
        world = self.client.world
        handlers = ControlHooks.of(world).press if active else []
        for seat in SEATS:
            for action in ACTIONS:
                for _ in range(self.context.controls.take_presses(seat, action)):
                    for handler in handlers:
                        handler(world, seat, action)

    def _sounds(self) -> None:
        audio = self.context.audio
        for name in dict.fromkeys(self.cues.cues):  # once per kind per frame
            audio.play(name, 0.5 if name.startswith("gunfire") else 1.0)
        self.cues.cues.clear()

    def draw(self, surface: pygame.Surface) -> None:
        world = self.client.world
        if not self.client.mode:
            self.context.renderer.draw(surface, world)
            self.finish_hint.draw(surface, world)
            self.hud.draw(surface, world)
            return
        surface.fill((10, 16, 32))
        hooks = DrawHooks.of(world)
        for layer in hooks.world:
            layer(surface, world, None)
        for layer in hooks.hud:
            layer(surface, world)


class PauseState(State):
    """Esc or a pad's Start. Single-player stops the world; in multiplayer it keeps running
    underneath. Esc, Start or B resumes; the d-pad and A work the menu."""

    transparent = True

    def __init__(self, game: GameState) -> None:
        self.game = game
        self.blocks_update = not game.session.multiplayer
        self.menu = Menu()

    def enter(self) -> None:
        from game.client.states.base import BUTTON_SIZE

        app = self.context
        self.menu = Menu(theme=app.theme)
        self.game.session.paused = not self.game.session.multiplayer
        from engine.client.ui import Button

        for row, (text, action) in enumerate((("Resume", self.resume), ("Leave", self.leave))):
            rect = pygame.Rect(0, 0, *BUTTON_SIZE)
            rect.center = (512, 380 + row * 70)
            self.menu.add(
                Button(
                    text,
                    action,
                    rect,
                    image=app.image("ui_button"),
                    hover_image=app.image("ui_button_hover"),
                )
            )
        self.menu.focus_first()

    def resume(self) -> None:
        self.context.click()
        self.context.pads.release_buttons()  # A on Resume is not a shot
        self.game.session.paused = False
        self.stack.pop()

    def leave(self) -> None:
        from game.client.states.menu import MenuState

        self.context.click()
        self.stack.clear(MenuState())

    def handle_event(self, event: pygame.event.Event) -> None:
        if is_pad_event(event):
            if event.type == pygame.CONTROLLERBUTTONDOWN and pad_button(event) == "start":
                self.resume()
                return
            event = menu_event(event)
            if event is None:
                return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.resume()
            return
        self.menu.handle_event(event, self.context.logical_mouse(event))

    def update(self, dt: float) -> None:
        self.menu.update(dt)

    def draw(self, surface: pygame.Surface) -> None:
        shade = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        shade.fill((4, 10, 24, 150))
        surface.blit(shade, (0, 0))
        note = "the game goes on" if self.game.session.multiplayer else "the world is paused"
        draw_text(surface, "Paused", (512, 250), 72, self.context.theme.accent)
        draw_text(surface, note, (512, 305), 26, self.context.theme.text_dim)
        self.menu.draw(surface)


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One player's line in the results: as the replicated Score said last."""

    player_id: int
    name: str
    points: int
    kills: int
    accuracy: float  # 0..1
    damage_taken: int


def results(world: World | None) -> list[ResultRow]:
    """Every player's score this mission (local and remote), best first."""
    if world is None or world.closed:
        return []
    rows = [
        ResultRow(
            score.player_id,
            score.name or f"Player {score.player_id}",
            score.points,
            score.kills,
            score.accuracy,
            score.damage_taken,
        )
        for _, score in world.query_one(Score)
    ]
    return sorted(rows, key=lambda row: (-row.points, -row.kills, row.player_id))


RESULT_COLUMNS = (("Score", 450), ("Kills", 540), ("Accuracy", 660), ("Damage taken", 820))
NAME_RIGHT = 360  # px from the panel's left edge that a name may reach
ROW_HEIGHT = 32


class MissionEndState(State):
    """Mission Successful / Mission Failed over the battlefield until the next one begins,
    with the mission's name, the results (every player's score, kills, accuracy and damage
    taken, the best score highlighted), "Campaign complete!" after the last mission won, and
    what comes next: the next mission after a win (the first after the last), the same one
    after a loss, in a countdown of whole seconds, then "starting…" until the server starts
    it."""

    transparent = True
    blocks_update = False

    def __init__(self, end: MissionEnd, world: World | None = None) -> None:
        self.end = end
        self.left = end.restart_in
        self.world = world
        self.mission = _mission_number(world)  # the one that ended
        self.rows = results(world)  # kept when the next mission's reset clears the scores
        self.title, self.next_title, self.complete = _campaign_news(world, self.success)

    @property
    def success(self) -> bool:
        return self.end.outcome is Outcome8.SUCCESS

    @property
    def countdown(self) -> str:
        """Rounded up: "in 0 s" while the mission has not begun would be a broken promise."""
        seconds = math.ceil(self.left - 1e-6)  # 2.0000001 s left is 2 s, not 3
        upcoming = self.next_title or "next mission"
        return f"{upcoming} in {seconds} s" if seconds > 0 else f"{upcoming} starting…"

    def handle_event(self, event: pygame.event.Event) -> None:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            from game.client.states.menu import MenuState

            self.stack.clear(MenuState())
        elif event.type == pygame.KEYUP:
            # A key let go while this shows is let go for the game too: else the next
            # mission starts with it still held (Up: the aircraft climbs into the enemies).
            self.context.input.handle_event(event)

    def update(self, dt: float) -> None:
        self.left -= dt
        begun = self.mission is not None and _mission_number(self.world) != self.mission
        rows = [] if begun else results(self.world)  # the last ticks' counts may come late
        if rows:
            self.rows = rows
        # Without word of the next mission (none comes, or no BattlefieldState), give up.
        if begun or self.left <= -STARTING_GRACE or (self.mission is None and self.left <= 0):
            self.stack.pop()

    def draw(self, surface: pygame.Surface) -> None:
        theme = self.context.theme
        title = "Mission Successful" if self.success else "Mission Failed"
        colour = (120, 230, 120) if self.success else theme.error
        footer = f"{self.countdown}  -  Esc: back to menu"
        above = 40 if self.title else 0  # the mission's name over the verdict
        below = 40 if self.complete else 0  # "Campaign complete!" under it
        if not self.rows:
            rect = pygame.Rect(0, 0, 720, 200 + above + below)
            rect.center = (512, 330)
            draw_panel(surface, rect, theme)
            self._headline(surface, rect, title, colour)
            draw_text(surface, footer, (512, rect.bottom - 40), 26, theme.text)
            return
        rect = pygame.Rect(0, 0, 880, 200 + above + below + ROW_HEIGHT * len(self.rows))
        rect.center = (512, 384)
        draw_panel(surface, rect, theme)
        self._headline(surface, rect, title, colour)
        self._table(surface, rect, rect.y + 112 + above + below)
        draw_text(surface, footer, (512, rect.bottom - 32), 26, theme.text)

    def _headline(self, surface: pygame.Surface, rect: pygame.Rect, title: str, colour) -> None:  # noqa: ANN001
        """The mission's name, the verdict, and "Campaign complete!" after the last."""
        theme = self.context.theme
        y = rect.y + 52
        if self.title:
            draw_text(surface, self.title, (512, rect.y + 36), 30, theme.text)
            y += 40
        draw_text(surface, title, (512, y), 64, colour)
        if self.complete:
            draw_text(surface, "Campaign complete!", (512, y + 52), 34, theme.accent)

    def _table(self, surface: pygame.Surface, rect: pygame.Rect, top: int) -> None:
        """The results: a header, then a row per player; the best score (and any tie for it)
        on a highlighted row in the accent colour."""
        theme = self.context.theme
        left = rect.x + 40
        draw_text(surface, "Player", (left, top), 22, theme.text_dim, anchor="midleft")
        for label, right in RESULT_COLUMNS:
            at = (rect.x + right, top)
            draw_text(surface, label, at, 22, theme.text_dim, anchor="midright")
        best = max(row.points for row in self.rows)
        for index, row in enumerate(self.rows):
            y = top + ROW_HEIGHT * (index + 1) + 4
            highlight = best > 0 and row.points == best
            if highlight:
                band = pygame.Rect(rect.x + 24, 0, rect.width - 48, ROW_HEIGHT - 4)
                band.centery = y
                pygame.draw.rect(surface, (70, 58, 30), band, border_radius=6)
            colour = theme.accent if highlight else theme.text
            name, size = fit_text(row.name, 26, NAME_RIGHT - 40, smallest=18)
            draw_text(surface, name, (left, y), size, colour, anchor="midleft")
            cells = (
                f"{row.points:,}",
                str(row.kills),
                f"{row.accuracy:.0%}",
                str(row.damage_taken),
            )
            for text, (_, right) in zip(cells, RESULT_COLUMNS, strict=True):
                draw_text(surface, text, (rect.x + right, y), 26, colour, anchor="midright")


STARTING_GRACE = 3.0  # s past the countdown that "starting…" may show before it goes anyway


def _campaign_news(world: World | None, won: bool) -> tuple[str, str, bool]:
    """The mission that ended ("Mission 2: The Coast"), the one that comes next, and
    whether the campaign is complete: as this client's campaign stands at the end."""
    if world is None or world.closed:
        return "", "", False
    campaign = world.try_resource(Campaign)
    if campaign is None:
        return "", "", False
    following = mission_title(world, campaign.following(won))
    return mission_title(world), following, campaign.completes(won)


def _mission_number(world: World | None) -> int | None:
    """The server's count of missions begun, as replicated; None without one."""
    if world is None or world.closed:
        return None
    for _, state in world.query_one(BattlefieldState):
        return state.mission
    return None
