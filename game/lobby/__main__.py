"""`python -m game.lobby --key-file KEY [--backend local|agones] ...`: run the lobby.

    python -m game.lobby --key-file server.key --servers 4           # a local fleet
    python -m game.lobby --key-file /etc/cloudbreak/key --backend agones --host 0.0.0.0 \\
        --fleet cloudbreak --namespace default                      # in a Kubernetes pod

It logs `listening on http://HOST:PORT` once it serves, stops cleanly on SIGTERM or Ctrl-C
(a local fleet's servers are stopped too) and exits 2 with one line for a bad flag, a
missing key file, a port in use or a backend that cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import shlex
import sys

from engine.cli import number
from engine.net.keyfile import KeyFileError, read_key
from game.lobby.backend import Allocator, AllocatorError
from game.ops.logs import FORMATS, configure_logging

log = logging.getLogger("game.lobby")

DEFAULT_PORT = 8000


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IP address") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m game.lobby",
        description="Run the lobby: players ask it for a match, alone or as a party of up to "
        "four, and get a connect token for a server with room.",
    )
    parser.add_argument("--key-file", required=True, metavar="FILE", help="the servers' key")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port",
        type=number(int, low=0, high=65535),
        default=DEFAULT_PORT,
        help=f"HTTP port (default {DEFAULT_PORT}; 0: any free one)",
    )
    parser.add_argument("--backend", choices=["local", "agones"], default="local")
    parser.add_argument(
        "--rate-limit",
        default=None,
        metavar="LIMITS",
        help="match requests allowed per client address, e.g. '5/second;60/minute' (default)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="proxies whose X-Forwarded-For is believed (comma-separated, or '*'); without "
        "it the rate limits count the address that connected",
    )
    parser.add_argument(
        "--max-connections",
        type=number(int, low=1),
        default=1000,
        metavar="N",
        help="connections served at once; beyond, 503 (default 1000)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    parser.add_argument("--log-format", choices=FORMATS, default="text")
    local = parser.add_argument_group("local backend (servers on this machine)")
    local.add_argument("--servers", type=number(int, low=1, high=64), default=2, metavar="N")
    local.add_argument(
        "--server-host",
        type=_ip,
        default="127.0.0.1",
        metavar="IP",
        help="the address the servers listen on, which tickets name (default 127.0.0.1)",
    )
    local.add_argument("--seats", type=number(int, low=1, high=16), default=8, metavar="N")
    local.add_argument("--spectators", type=number(int, low=0, high=64), default=8, metavar="N")
    local.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for every server (repeatable), e.g. --server-arg=--seed=1",
    )
    local.add_argument(
        "--launcher",
        default="",
        metavar="COMMAND",
        help="a prefix for every server command, e.g. 'ip netns exec cb-servers'",
    )
    agones = parser.add_argument_group("agones backend (a GameServerAllocation on Kubernetes)")
    agones.add_argument(
        "--namespace",
        default=os.environ.get("POD_NAMESPACE") or "default",
        help="where the Fleet is (default: $POD_NAMESPACE, else 'default')",
    )
    agones.add_argument("--fleet", default="cloudbreak", help="the Fleet to allocate from")
    agones.add_argument(
        "--kube-api",
        default=None,
        metavar="URL",
        help="the Kubernetes API (default: in a pod, the pod's service account; "
        "elsewhere, the current kubeconfig context)",
    )
    agones.add_argument(
        "--container-port",
        type=number(int, low=1, high=65535),
        default=7654,
        help="the servers' containerPort in the Fleet (tickets name the pod's address with "
        "it too, which is how a server knows a ticket is for it; default 7654)",
    )
    return parser


def make_allocator(args: argparse.Namespace) -> Allocator:
    if args.backend == "agones":
        from game.lobby.agones import AgonesAllocator, kube_client

        return AgonesAllocator(
            api=kube_client(args.kube_api),
            namespace=args.namespace,
            fleet=args.fleet,
            container_port=args.container_port,
        )
    from game.lobby.local import FleetSettings, LocalFleet

    return LocalFleet(
        FleetSettings(
            size=args.servers,
            key_file=args.key_file,
            host=args.server_host,
            seats=args.seats,
            spectators=args.spectators,
            server_args=tuple(args.server_arg),
            launcher=tuple(shlex.split(args.launcher)),
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_level, args.log_format)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        from game.lobby.api import DEFAULT_RATE, Lobby, RateLimit, bind, serve
        from game.lobby.metrics import LobbyMetrics
    except ImportError as error:
        print(
            f"error: the lobby needs its extra ({error.msg}); pip install cloudbreak[lobby]",
            file=sys.stderr,
        )
        return 2
    try:
        key = read_key(args.key_file)
        rate = RateLimit(args.rate_limit or DEFAULT_RATE)
        allocator = make_allocator(args)
        sock = bind(args.host, args.port)
    except (KeyFileError, ValueError, AllocatorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    metrics = LobbyMetrics()
    fleet_servers = getattr(allocator, "servers", None)
    if args.backend == "local" and fleet_servers is not None:
        metrics.watch_fleet(fleet_servers, lambda: getattr(allocator, "replaced", 0))
    lobby = Lobby(allocator=allocator, key=key, rate=rate, metrics=metrics)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host

    def ready(server: object) -> None:
        log.info(
            "listening on http://%s:%d (%s backend; rate limit %s per address)",
            shown,
            port,
            allocator.name,
            rate.spec,
        )

    try:
        asyncio.run(
            serve(
                lobby,
                sock,
                forwarded_allow_ips=args.forwarded_allow_ips,
                max_connections=args.max_connections,
                ready=ready,
            )
        )
    except AllocatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
