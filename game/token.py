"""Connect tokens for Cloudbreak servers, from the command line.

    python -m game.token --new-key server.key
    python -m game.token --key-file server.key --server 203.0.113.7:5000 --name Ada \\
        --out ada.token

A dedicated server started with `--key-file server.key` lets in whoever holds a
token made with the same key for its address; the player joins with the token
file. The token is base64 text on one line; without --out it goes to stdout.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time

from engine.cli import address, number
from engine.net.keyfile import KeyFileError, read_key, write_new_key
from engine.net.netcode import Address
from engine.net.tickets import (
    TICKET_SECONDS,
    TicketError,
    encode_token,
    issue_ticket,
    write_token_file,
)
from game.net.protocol import GAME

DEFAULT_EXPIRE = 300


def resolve(host: str, port: int) -> list[Address]:
    """Every IP address of `host` (a token names servers by IP), IPv4 first."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TicketError(f"cannot find host {host}: {getattr(error, 'strerror', error)}") from None
    found: list[Address] = []
    for family in (socket.AF_INET, socket.AF_INET6):
        for info in infos:
            ip = (info[4][0], port)
            if info[0] == family and ip not in found:
                found.append(ip)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m game.token",
        description="Make the key a server and its token issuers share, or a connect token "
        "that lets one player into servers holding that key.",
    )
    parser.add_argument("--new-key", metavar="FILE", help="write a fresh key to FILE and stop")
    parser.add_argument("--key-file", metavar="FILE", help="the servers' key")
    parser.add_argument(
        "--server",
        type=address(),
        action="append",
        metavar="HOST:PORT",
        help="a server the token is for (repeat for fallbacks, tried in order)",
    )
    parser.add_argument("--name", help="the player the token is issued to")
    parser.add_argument(
        "--expire",
        type=number(int, low=1),
        default=DEFAULT_EXPIRE,
        metavar="SECONDS",
        help=f"how long the token may wait before it is used (default {DEFAULT_EXPIRE}; "
        f"a lobby uses {TICKET_SECONDS})",
    )
    parser.add_argument("--out", metavar="FILE", help="write the token here (default: stdout)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.new_key:
            if args.key_file or args.server or args.name:
                parser.error("--new-key makes a key and nothing else")
            write_new_key(args.new_key)
            print(f"wrote a new key to {args.new_key}", file=sys.stderr)
            return 0
        missing = [flag for flag in ("key_file", "server", "name") if not getattr(args, flag)]
        if missing:
            names = ", ".join("--" + flag.replace("_", "-") for flag in missing)
            parser.error(f"a token needs {names} (or make a key with --new-key FILE)")
        key = read_key(args.key_file)
        servers = [ip for host, port in args.server for ip in resolve(host, port)]
        token = issue_ticket(
            key=key,
            game=GAME,
            servers=servers[:32],
            name=args.name,
            now_unix=time.time(),
            expire_seconds=args.expire,
        )
    except (KeyFileError, TicketError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.out:
        try:
            write_token_file(args.out, token)
        except TicketError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"wrote a token for {args.name} to {args.out}", file=sys.stderr)
    else:
        print(encode_token(token))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
