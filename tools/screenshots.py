"""Save the README's screenshots: `python -m tools.screenshots [--out docs/screenshots]`.

Runs the real game headless (SDL dummy video and audio), drives it with
synthetic keys and a manual clock, lets the autopilot fly both local seats of
a single-player mission, and saves: the title, the menu, the settings, a
two-player mission with an explosion on screen, the net graph (F3), the results at the
mission's end, and each mission of the campaign in flight (mission1.png, ...: its look).
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
from engine.time import ManualClock  # noqa: E402
from game.client.app import App  # noqa: E402
from game.client.effects import Blast  # noqa: E402
from game.client.states.lobby import start_single_player  # noqa: E402
from game.client.states.menu import MenuState  # noqa: E402
from game.client.states.title import TitleState  # noqa: E402
from game.rules.content import load_content  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
STEP = 1 / 60


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
        app.autopilot = "dodge"  # both local seats fly themselves (game.client.autoplay)

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

        def in_action(game) -> None:  # noqa: ANN001
            """On until a blast is on screen with both seats flying (at most 40 s)."""
            for _ in range(60 * 40):
                frames()
                blasts = [b for _, (b,) in game.client.world.query(Blast) if 0.2 < b.age < 0.5]
                if blasts and len(game.client.own_aircraft()) == 2:
                    return

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
        key(pygame.K_RETURN)  # player 2
        frames(60 * 20)
        in_action(game)
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
        for number, name in enumerate(load_content().missions, start=1):
            app.stack.clear(MenuState())
            app.mission = name  # as --mission NAME: single-player from there
            start_single_player(app)
            for _ in range(240):
                frames()
                if type(app.stack.top).__name__ == "GameState":
                    break
            game = app.stack.top
            key(pygame.K_RETURN)  # player 2
            frames(60 * 12)  # its name has shown large; into the mission
            in_action(game)
            shot(f"mission{number}")
        app.quit()
        app.close()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
