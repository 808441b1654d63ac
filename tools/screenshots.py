"""Save the README's screenshots: `python -m tools.screenshots [--out docs/screenshots]`.

Runs the real game headless (SDL dummy video and audio), drives it with
synthetic keys and a manual clock, lets the autopilot fly both local seats of
a single-player mission, and saves: the title, the menu, the settings, a
two-player mission with an explosion on screen, the net graph (F3), and the results at the
mission's end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from engine.mods import ModError, load_mods  # noqa: E402
from engine.phases import Phase  # noqa: E402
from engine.time import ManualClock  # noqa: E402
from game.client.app import App  # noqa: E402
from game.client.effects import Blast  # noqa: E402
from game.client.states.title import TitleState  # noqa: E402
from game.net.claims import LocalSeat  # noqa: E402
from game.rules.autopilot import AutopilotSystem  # noqa: E402
from game.rules.components import Autopilot  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
STEP = 1 / 60


class _Wingmen:
    """Autopilot on every local seat; seat 1 flies 110 px to the right of seat 0."""

    def update(self, world, dt: float) -> None:  # noqa: ANN001
        for entity, (seat,) in world.query(LocalSeat):
            if not world.has_component(entity, Autopilot):
                world.add_component(entity, Autopilot(offset_x=110.0 * seat.local_index))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--mod", action="append", default=[], metavar="MODULE", help="play with a mod (repeatable)"
    )
    args = parser.parse_args(argv)
    try:
        mods = tuple(load_mods(args.mod))
    except ModError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    clock = ManualClock(10.0)
    with tempfile.TemporaryDirectory() as config:
        app = App.create(settings_path=Path(config) / "settings.toml", mute=True)
        app.clock = clock
        app.mods = mods  # Play builds them into its server and client worlds
        app.settings.player_name = "Maverick"

        def frames(count: int = 1, events: tuple = ()) -> None:
            for index in range(count):
                clock.advance(STEP)
                app.frame(list(events) if index == 0 else [], STEP)

        def key(code: int) -> None:
            frames(1, (pygame.event.Event(pygame.KEYDOWN, key=code, mod=0, unicode=""),))
            frames(1, (pygame.event.Event(pygame.KEYUP, key=code, mod=0),))

        saved = []

        def shot(name: str) -> None:
            saved.append(app.display.screenshot(args.out / f"{name}.png"))

        app.stack.push(TitleState())
        frames(10)
        shot("title")
        key(pygame.K_SPACE)
        frames(5)
        shot("menu")
        for _ in range(3):
            key(pygame.K_DOWN)
        key(pygame.K_RETURN)  # Settings: keys and pad buttons of both players
        frames(5)
        shot("settings")
        key(pygame.K_ESCAPE)
        for _ in range(3):
            key(pygame.K_UP)
        key(pygame.K_RETURN)  # Play
        for _ in range(120):
            frames()
            if type(app.stack.top).__name__ == "GameState":
                break
        game = app.stack.top
        world = game.client.world
        world.add_system(_Wingmen(), Phase.INPUT)
        world.add_system(AutopilotSystem(), Phase.INPUT)
        key(pygame.K_RETURN)  # player 2
        frames(60 * 20)
        for _ in range(60 * 40):  # until a blast is on screen, mid-way through
            frames()
            blasts = [b for _, (b,) in world.query(Blast) if 0.2 < b.age < 0.5]
            if blasts and len(game.client.own_aircraft()) == 2:
                break
        shot("mission")
        key(pygame.K_F3)
        frames(150)
        shot("netgraph")
        game.hud.net_graph.visible = False  # (F3 would not reach it if the mission ended)
        for _ in range(60 * 240):  # the autopilots fly on to the mission's end: the results
            frames()
            if type(app.stack.top).__name__ == "MissionEndState":
                break
        frames(30)
        shot("results")
        app.quit()
        app.close()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
