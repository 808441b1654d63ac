"""A STAND-IN for the Kubernetes API endpoint the lobby's Agones backend calls: a real HTTP
server on 127.0.0.1 that answers

    POST /apis/allocation.agones.dev/v1/namespaces/{namespace}/gameserverallocations

as Agones v1.56.0 documents a GameServerAllocation (site/content/en/docs/Reference/
gameserverallocation.md, pkg/apis/allocation/v1): selectors tried in order (matchLabels,
gameServerState, lists minAvailable), Packed with List priorities (the fullest first),
list addValues applied on allocation, the status (state Allocated / UnAllocated,
gameServerName, ports, address, addresses, nodeName). It is not Kubernetes and not Agones:
it holds a few GameServers in memory and records every request. A test can make it answer
an error status (`fail_with`), hold requests unanswered (`hang`), or answer garbage.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AGONES_VERSION = "1.56.0"
PATH = re.compile(r"^/apis/allocation\.agones\.dev/v1/namespaces/([^/]+)/gameserverallocations$")


@dataclass
class GameServer:
    name: str
    labels: dict[str, str]
    state: str = "Ready"
    address: str = "203.0.113.10"
    port: int = 7001
    pod_ip: str = "10.4.0.7"
    node: str = "node-a"
    capacity: int = 16
    players: list[str] = field(default_factory=list)

    @property
    def available(self) -> int:
        return self.capacity - len(self.players)


class KubeStandIn:
    def __init__(self) -> None:
        self.gameservers: list[GameServer] = []
        self.requests: list[tuple[str, str, Any]] = []
        self.fail_with: tuple[int, dict[str, Any]] | None = None
        self.garbage = False
        self._hold = threading.Event()
        self._hold.set()
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                owner._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> KubeStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._hold.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def hang(self, hang: bool = True) -> None:
        if hang:
            self._hold.clear()
        else:
            self._hold.set()

    def add(self, name: str, fleet: str = "cloudbreak", **options: Any) -> GameServer:
        server = GameServer(name, {"agones.dev/fleet": fleet}, **options)
        self.gameservers.append(server)
        return server

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"null")
        with self.lock:
            self.requests.append((request.command, request.path, body))
        if not self._hold.wait(30):
            return
        found = PATH.match(request.path)
        if self.garbage:
            status, answer = 201, b"<html>not json"
        elif self.fail_with is not None:
            status, answer = self.fail_with[0], json.dumps(self.fail_with[1]).encode()
        elif found is None:
            status, answer = (
                404,
                json.dumps(
                    _status(404, "NotFound", "the server could not find the requested resource")
                ).encode(),
            )
        else:
            with self.lock:
                status, answer = 201, json.dumps(self.allocate(found.group(1), body)).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(answer)))
        request.end_headers()
        request.wfile.write(answer)

    def allocate(self, namespace: str, gsa: dict[str, Any]) -> dict[str, Any]:
        spec = gsa.get("spec", {})
        chosen = None
        for selector in spec.get("selectors", []):
            matches = [gs for gs in self.gameservers if _selects(selector, gs)]
            if matches:
                # Packed with a List priority, Ascending: the least available first.
                chosen = min(matches, key=lambda gs: (gs.available, gs.name))
                break
        out = {
            "apiVersion": gsa.get("apiVersion"),
            "kind": "GameServerAllocation",
            "metadata": {"namespace": namespace},
            "spec": spec,
        }
        if chosen is None:
            out["status"] = {"state": "UnAllocated", "gameServerName": "", "source": "local"}
            return out
        chosen.state = "Allocated"
        for value in spec.get("lists", {}).get("players", {}).get("addValues", []):
            if value not in chosen.players and len(chosen.players) < chosen.capacity:
                chosen.players.append(value)
        out["status"] = {
            "state": "Allocated",
            "gameServerName": chosen.name,
            "ports": [{"name": "default", "port": chosen.port}],
            "address": chosen.address,
            "addresses": [
                {"type": "InternalIP", "address": "10.128.0.5"},
                {"type": "ExternalIP", "address": chosen.address},
                {"type": "PodIP", "address": chosen.pod_ip},
            ],
            "nodeName": chosen.node,
            "source": "local",
            "metadata": {"labels": dict(chosen.labels), "annotations": {}},
            "lists": {"players": {"capacity": chosen.capacity, "values": list(chosen.players)}},
        }
        return out


def _selects(selector: dict[str, Any], gs: GameServer) -> bool:
    if any(gs.labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    if gs.state != selector.get("gameServerState", "Ready"):
        return False
    wanted = selector.get("lists", {}).get("players", {})
    return gs.available >= int(wanted.get("minAvailable", 0))


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
