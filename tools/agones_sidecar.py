"""A STAND-IN for the Agones SDK sidecar: a real HTTP server that answers the REST API of
Agones v1.56.0 and records every call. It is not Agones and runs no Kubernetes: it keeps
one GameServer's state in memory, for tests and for a fleet on one machine.

    python -m tools.agones_sidecar [--host 127.0.0.1] [--port 0]

prints `listening on HOST:PORT` and serves until interrupted; start the server beside it with
`AGONES_SDK_HTTP_PORT=PORT python -m game.server --agones ...`.

What it answers (paths, verbs and bodies as in the release's rest.md and proto/sdk/*.proto;
JSON as grpc-gateway writes it, int64 values as strings, errors as {"code", "message"}):

    POST /ready /allocate /shutdown /health     {}           state Ready, Allocated, Shutdown
    POST /reserve                               {"seconds"}  state Reserved
    GET  /gameserver                                          the GameServer: object_meta
                                                              (labels, annotations), status
                                                              (state, address, ports, players)
    PUT  /metadata/label /metadata/annotation   {"key", "value"}   stored as agones.dev/sdk-KEY;
                                                              a label must be a valid Kubernetes
                                                              label (400 otherwise)
    PUT  /alpha/player/capacity {"count"}; GET /alpha/player/capacity, /alpha/player/count,
         /alpha/player/connected, /alpha/player/connected/{playerID}
    POST /alpha/player/connect /alpha/player/disconnect   {"playerID"} -> {"bool"}; connecting
                                                              past the capacity is an error
    GET  /v1beta1/lists/{name}                                the List {"name", "capacity",
                                                              "values"} (beta Counters and Lists)
    POST /v1beta1/lists/{name}:addValue :removeValue  {"value"} -> the List; NOT_FOUND (404)
                                                              for a List the Fleet does not
                                                              declare or a value to remove that
                                                              is not there, ALREADY_EXISTS (409)
                                                              for one to add that is, OUT_OF_RANGE
                                                              (400) past the capacity

Lists are declared when the stand-in is made (`lists={"players": 16}`, `--list players=16`),
as a Fleet's GameServer spec declares them, and `allocate(lists={"players": [...]})` adds
values as a GameServerAllocation's `lists.addValues` does (duplicates ignored).

A test can make it fail every call with a status (`fail_with`), hold every call unanswered
(`silent`), allocate the GameServer as a GameServerAllocation would (`allocate()`), and wait
for calls with a bounded wait (`wait_for`).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AGONES_VERSION = "1.56.0"
PREFIX = "agones.dev/sdk-"
_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")  # Kubernetes label syntax
_DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def label_problem(key: str, value: str) -> str | None:
    """Why Kubernetes would refuse label `PREFIX + key` = `value`, or None."""
    full = PREFIX + key
    prefix, _, name = full.rpartition("/")
    if not name or len(name) > 63 or not _NAME.match(name):
        return f"invalid label key {full!r}"
    if len(prefix) > 253 or not _DNS.match(prefix):
        return f"invalid label key prefix {prefix!r}"
    if len(value) > 63 or not _NAME.match(value):
        return f"invalid label value {value!r}"
    return None


@dataclass(frozen=True, slots=True)
class Record:
    method: str
    path: str
    body: Any
    at: float  # time.monotonic() when it arrived
    status: int = 0  # what it was answered (0: not answered)


@dataclass
class GameServerList:
    capacity: int
    values: list[str] = field(default_factory=list)

    def to_json(self, name: str) -> dict[str, Any]:
        return {"name": name, "capacity": str(self.capacity), "values": list(self.values)}


@dataclass
class GameServerState:
    name: str = "cloudbreak-standin"
    state: str = "Scheduled"
    address: str = "127.0.0.1"
    port: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    capacity: int = 0
    players: list[str] = field(default_factory=list)
    lists: dict[str, GameServerList] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "object_meta": {
                "name": self.name,
                "namespace": "default",
                "uid": "standin",
                "resource_version": "1",
                "generation": "1",
                "creation_timestamp": "0",
                "annotations": dict(self.annotations),
                "labels": dict(self.labels),
            },
            "status": {
                "state": self.state,
                "address": self.address,
                "ports": [{"name": "default", "port": self.port}],
                "players": {
                    "count": str(len(self.players)),
                    "capacity": str(self.capacity),
                    "ids": list(self.players),
                },
                "lists": {
                    name: {"capacity": str(kept.capacity), "values": list(kept.values)}
                    for name, kept in self.lists.items()
                },
            },
        }


class StandInSidecar:
    """The stand-in: `start()` it, point the server at `port`, read `calls`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        game_port: int = 0,
        lists: Mapping[str, int] | None = None,
    ) -> None:
        self.gameserver = GameServerState(port=game_port)
        for name, capacity in (lists or {}).items():
            self.gameserver.lists[name] = GameServerList(capacity)
        self.calls: list[Record] = []
        self.fail_with: int | None = None  # answer every call with this HTTP status
        self.silent = False  # hold every call unanswered until this is False again
        self.on_shutdown: Callable[[], None] | None = None
        self._changed = threading.Condition()
        self._released = threading.Event()
        self._released.set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                owner._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._handle(self, "POST")

            def do_PUT(self) -> None:  # noqa: N802
                owner._handle(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------------------------

    def start(self) -> StandInSidecar:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="agones stand-in", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self.hold(False)
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> StandInSidecar:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def hold(self, silent: bool = True) -> None:
        """Leave every call unanswered (True) until released (False)."""
        self.silent = silent
        if silent:
            self._released.clear()
        else:
            self._released.set()

    def allocate(self, lists: Mapping[str, list[str]] | None = None) -> None:
        """What a GameServerAllocation does to a Ready GameServer: Allocated, and each
        List's `addValues` added (duplicates ignored, up to the capacity)."""
        with self._changed:
            self.gameserver.state = "Allocated"
            for name, values in (lists or {}).items():
                kept = self.gameserver.lists[name]
                for value in values:
                    if value not in kept.values and len(kept.values) < kept.capacity:
                        kept.values.append(value)
            self._changed.notify_all()

    def paths(self, method: str | None = None) -> list[str]:
        with self._changed:
            return [c.path for c in self.calls if method is None or c.method == method]

    def calls_to(self, path: str) -> list[Record]:
        with self._changed:
            return [c for c in self.calls if c.path == path]

    def wait_for(self, predicate: Callable[[StandInSidecar], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate(self)` holds (checked at every call); AssertionError after
        `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"stand-in sidecar: gave up waiting; calls: {self.calls}")
                self._changed.wait(min(left, 0.1))

    # -- the API -------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode("latin-1")
        if self.silent:
            self._record(method, request.path, body, 0)
            self._released.wait(30)
            request.close_connection = True
            return
        if self.fail_with is not None:
            status, answer = self.fail_with, {"code": 13, "message": "stand-in told to fail"}
        else:
            with self._changed:
                status, answer = self._answer(method, request.path, body)
        self._record(method, request.path, body, status)
        data = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        if method == "POST" and request.path == "/shutdown" and status == 200 and self.on_shutdown:
            self.on_shutdown()

    def _record(self, method: str, path: str, body: Any, status: int) -> None:
        with self._changed:
            self.calls.append(Record(method, path, body, time.monotonic(), status))
            self._changed.notify_all()

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        gs = self.gameserver
        fields = body if isinstance(body, dict) else {}
        route = (method, path)
        states = {"/ready": "Ready", "/allocate": "Allocated", "/shutdown": "Shutdown"}
        if method == "POST" and path in states:
            if gs.state != "Shutdown":
                gs.state = states[path]
            return 200, {}
        if route == ("POST", "/health"):
            return 200, {}
        if route == ("POST", "/reserve"):
            gs.state = "Reserved"
            return 200, {}
        if route == ("GET", "/gameserver"):
            return 200, gs.to_json()
        if method == "PUT" and path in ("/metadata/label", "/metadata/annotation"):
            key, value = str(fields.get("key", "")), str(fields.get("value", ""))
            if path == "/metadata/label":
                problem = label_problem(key, value)
                if problem:
                    return 400, {"code": 3, "message": problem}
                gs.labels[PREFIX + key] = value
            else:
                gs.annotations[PREFIX + key] = value
            return 200, {}
        if route == ("PUT", "/alpha/player/capacity"):
            try:
                gs.capacity = int(fields.get("count", 0))
            except (TypeError, ValueError):
                return 400, {"code": 3, "message": "count must be a whole number"}
            return 200, {}
        if route == ("GET", "/alpha/player/capacity"):
            return 200, {"count": str(gs.capacity)}
        if route == ("GET", "/alpha/player/count"):
            return 200, {"count": str(len(gs.players))}
        if route == ("GET", "/alpha/player/connected"):
            return 200, {"list": list(gs.players)}
        if method == "GET" and path.startswith("/alpha/player/connected/"):
            return 200, {"bool": path.rsplit("/", 1)[1] in gs.players}
        if method == "POST" and path in ("/alpha/player/connect", "/alpha/player/disconnect"):
            player = str(fields.get("playerID", ""))
            if not player:
                return 400, {"code": 3, "message": "playerID is required"}
            if path.endswith("/connect"):
                if player in gs.players:
                    return 200, {"bool": False}
                if len(gs.players) >= gs.capacity:
                    return 500, {"code": 2, "message": "players are already at capacity"}
                gs.players.append(player)
                return 200, {"bool": True}
            if player not in gs.players:
                return 200, {"bool": False}
            gs.players.remove(player)
            return 200, {"bool": True}
        if path.startswith("/v1beta1/lists/"):
            return self._list(method, path.removeprefix("/v1beta1/lists/"), fields)
        return 404, {"code": 5, "message": "Not Found"}

    def _list(self, method: str, rest: str, fields: dict[str, Any]) -> tuple[int, Any]:
        name, _, verb = rest.partition(":")
        kept = self.gameserver.lists.get(name)
        if kept is None:
            return 404, {"code": 5, "message": f"List not found: {name}"}
        if method == "GET" and not verb:
            return 200, kept.to_json(name)
        if method != "POST" or verb not in ("addValue", "removeValue"):
            return 404, {"code": 5, "message": "Not Found"}
        value = str(fields.get("value", ""))
        if not value:
            return 400, {"code": 3, "message": "value is required"}
        if verb == "removeValue":
            if value not in kept.values:
                return 404, {"code": 5, "message": f"Value: {value} not found in List: {name}"}
            kept.values.remove(value)
        else:
            if value in kept.values:
                return 409, {"code": 6, "message": f"Value: {value} already in List: {name}"}
            if len(kept.values) >= kept.capacity:
                return 400, {"code": 11, "message": f"List: {name} is at capacity"}
            kept.values.append(value)
        return 200, kept.to_json(name)


def list_capacity(text: str) -> tuple[str, int]:
    """`NAME=CAPACITY` for --list."""
    name, _, capacity = text.partition("=")
    if not name or not capacity.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=CAPACITY, got {text!r}")
    return name, int(capacity)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.agones_sidecar",
        description=f"A stand-in for the Agones SDK sidecar (REST API of Agones {AGONES_VERSION}).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (default)")
    parser.add_argument(
        "--list",
        type=list_capacity,
        action="append",
        default=[],
        metavar="NAME=CAPACITY",
        help="declare a List (beta Counters and Lists), as a Fleet does (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        sidecar = StandInSidecar(args.host, args.port, lists=dict(args.list))
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 2
    sidecar.start()
    print(f"listening on {sidecar.host}:{sidecar.port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    seen = 0
    while not stop.wait(0.2):
        with sidecar._changed:
            new = sidecar.calls[seen:]
        for record in new:
            print(f"{record.method} {record.path} {json.dumps(record.body)} -> {record.status}")
        seen += len(new)
        sys.stdout.flush()
    sidecar.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
