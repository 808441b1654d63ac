"""`python -m game` (or `cloudbreak`): the game window.

python -m game                          title screen
python -m game --connect HOST:PORT      join a server at once
python -m game --host-game [PORT]       start a server here and join it
python -m game --mission coast          play the campaign from its second mission at once
python -m game --autopilot dodge        every local seat flies itself (Xvfb runs, demos)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from engine.cli import address, number  # noqa: E402
from game.client.settings import (  # noqa: E402  (after the banner is hidden)
    DEFAULT_PORT,
    clean_player_name,
    default_path,
)
from game.rules.autopilot import STYLES  # noqa: E402

log = logging.getLogger(__name__)


def _name(text: str) -> str:
    from engine.net.handshake import name_problem

    problem = name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cloudbreak", description="Cloudbreak: a co-op sky battle."
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--connect", type=address(DEFAULT_PORT), metavar="HOST:PORT", help="join this server"
    )
    mode.add_argument(
        "--ticket",
        metavar="FILE",
        help="join the server a ticket file names (python -m game.token makes one)",
    )
    mode.add_argument(
        "--host-game",
        type=number(int, low=1, high=65535),
        nargs="?",
        const=DEFAULT_PORT,
        metavar="PORT",
        help=f"host a game on PORT (default {DEFAULT_PORT}) and join it",
    )
    parser.add_argument(
        "--transport",
        choices=["udp", "tcp"],
        default="udp",
        help="with --connect or --ticket: udp (default) or tcp, for networks that block UDP",
    )
    parser.add_argument("--name", type=_name, help="your player name (saved in the settings)")
    parser.add_argument(
        "--mod",
        action="append",
        default=[],
        metavar="MODULE",
        help="load a mod (repeatable); installed cloudbreak.mods are loaded too",
    )
    parser.add_argument(
        "--mission",
        metavar="NAME",
        help="begin the campaign at this mission (sea, coast, storm): single-player at once, "
        "or with --host-game the hosted game",
    )
    parser.add_argument(
        "--autopilot",
        choices=STYLES,
        metavar="STYLE",
        help="every local seat flies itself in this style (dodge, edge, centre), and each "
        "mission's frame times are printed as it ends",
    )
    parser.add_argument("--fullscreen", action="store_true", help="start in fullscreen")
    parser.add_argument("--mute", action="store_true", help="no sound or music")
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"settings file (default {default_path()})",
    )
    parser.add_argument(
        "--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser.parse_args(argv)


NO_PYGAME = 'cloudbreak: the game window needs pygame-ce: pip install "cloudbreak[client]"'


def mission_problem(args: argparse.Namespace) -> str | None:
    """Why --mission cannot be used as given (one line), or None."""
    if args.mission is None:
        return None
    if args.connect or args.ticket:
        return "--mission is for single-player and --host-game: a server you join chooses"
    from game.rules.content import load_content

    names = list(load_content().missions)
    if args.mission not in names:
        return f"mission must be one of {', '.join(names)}, got {args.mission!r}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    problem = mission_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    try:  # the window is optional (the client extra); the server and the sim run without it
        import pygame

        from game.client.app import App
        from game.client.states.lobby import ConnectingState
        from game.client.states.menu import MenuState
        from game.client.states.title import TitleState
    except ModuleNotFoundError as error:
        if error.name != "pygame" and not (error.name or "").startswith("pygame."):
            raise
        print(NO_PYGAME, file=sys.stderr)
        return 2
    from engine.mods import ModError, load_mods
    from game.client.session import Session

    try:
        mods = tuple(load_mods(args.mod))
    except ModError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        app = App.create(
            settings_path=args.config or default_path(),
            fullscreen=True if args.fullscreen else None,
            mute=args.mute,
        )
    except pygame.error as error:
        print(f"error: cannot open a window: {error}", file=sys.stderr)
        return 2
    app.mods = mods
    app.mission = args.mission
    if args.autopilot:
        from game.client.autoplay import FrameMeter

        app.autopilot, app.frame_meter = args.autopilot, FrameMeter()
    if args.name:  # kept for the next run too, as --help promises
        app.settings.player_name = clean_player_name(args.name)
        warning = app.settings_warning  # a reset settings file is still news on the menu
        problem = app.save_settings()
        if problem:
            log.warning("%s", problem)
        app.settings_warning = problem or warning
    name = app.settings.player_name
    transport = args.transport
    if args.connect:
        host, port = args.connect
        first = ConnectingState(
            lambda: Session.join(host, port, name, mods=mods, transport=transport)
        )
        app.stack.push(MenuState())
    elif args.ticket:
        path = args.ticket
        first = ConnectingState(
            lambda: Session.join_with_ticket(path, name, mods=mods, transport=transport)
        )
        app.stack.push(MenuState())
    elif args.host_game:
        port = args.host_game
        difficulty = app.settings.difficulty
        mission = args.mission
        first = ConnectingState(
            lambda: Session.host(port, name, mods=mods, difficulty=difficulty, mission=mission)
        )
        app.stack.push(MenuState())
    elif args.mission:  # straight into single-player, at that mission
        mission, difficulty = args.mission, app.settings.difficulty
        first = ConnectingState(
            lambda: Session.single_player(name, mods=mods, difficulty=difficulty, mission=mission)
        )
        app.stack.push(MenuState())
    else:
        first = TitleState()
    with contextlib.suppress(KeyboardInterrupt):  # run() closes sessions and the window
        app.run(first)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
