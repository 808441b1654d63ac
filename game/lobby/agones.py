"""The Agones backend: a `GameServerAllocation` through the Kubernetes API, with the
official Kubernetes Python client (`kubernetes`).

Followed: **Agones v1.56.0**, `allocation.agones.dev/v1` (site/content/en/docs/Reference/
gameserverallocation.md and pkg/apis/allocation/v1 of that release). One allocation per
party, created with

    POST /apis/allocation.agones.dev/v1/namespaces/{namespace}/gameserverallocations

    spec:
      scheduling: Packed
      priorities: [{type: List, key: players, order: Ascending}]   # the fullest first
      selectors:                       # tried in order
        - matchLabels: {agones.dev/fleet: FLEET}
          gameServerState: Allocated   # a match under way with room for the whole party
          lists: {players: {minAvailable: N}}
        - matchLabels: {agones.dev/fleet: FLEET}
          gameServerState: Ready       # else a fresh server
          lists: {players: {minAvailable: N}}
      lists: {players: {addValues: [the party's names]}}

Room is the GameServer's `players` List (Counters and Lists: Beta, on by default in
1.56.0; the Fleet in deploy/ declares it with capacity seats + spectators). Adding the
party's names in the allocation itself makes the check and the taking of room one atomic
step in Agones, so two lobbies, or two requests at once, never overfill a server. A
draining server is not allocated: Kubernetes is deleting its pod, or it has called Shutdown.

The answer's `status.state` is Allocated (the tickets name `status.address` with the host
port of the `default` port, then the pod's own address with the container port: the
server knows itself by that one), UnAllocated (no room: 503 to the player) or Contention
(tried again, up to CONTENTION_TRIES). The client is synchronous: each allocation runs on
a worker thread, with a connect and read timeout and no retries of its own, so a
Kubernetes API that fails or hangs costs one request, not the lobby.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import json
import logging
import os
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.rest import ApiException

from engine.net.netcode import Address
from engine.net.netcode.addresses import normalize
from game.lobby.backend import AllocatorError, NoRoom, Party, Placement
from game.ops.agones import PLAYERS_LIST  # the List the servers take leavers out of

log = logging.getLogger(__name__)

AGONES_VERSION = "1.56.0"
GROUP, VERSION, PLURAL = "allocation.agones.dev", "v1", "gameserverallocations"
FLEET_LABEL = "agones.dev/fleet"
PORT_NAME = "default"
CONTAINER_PORT = 7654
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0
CONTENTION_TRIES = 3
RECENT_KEPT = 32


def kube_client(api_url: str | None = None) -> k8s.ApiClient:
    """A Kubernetes API client: for `api_url` (a proxy, a stand-in), else the pod's service
    account (in a cluster), else the current kubeconfig context. AllocatorError if none."""
    configuration = k8s.Configuration()
    if api_url:
        configuration.host = api_url.rstrip("/")
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)
        except k8s_config.ConfigException as error:
            raise AllocatorError(f"cannot use the pod's service account: {error}") from None
    else:
        try:
            k8s_config.load_kube_config(client_configuration=configuration)
        except (k8s_config.ConfigException, OSError, TypeError) as error:
            raise AllocatorError(
                f"no Kubernetes API to talk to: no --kube-api, not in a pod, and no usable "
                f"kubeconfig ({str(error).splitlines()[0] if str(error) else type(error).__name__})"
            ) from None
    configuration.retries = urllib3.Retry(total=0, connect=0, read=0, redirect=0, status=0)
    configuration.connection_pool_maxsize = 16
    return k8s.ApiClient(configuration)


def allocation_body(fleet: str, party: Party) -> dict[str, Any]:
    """The GameServerAllocation for `party` (see the module's description)."""
    room = {"lists": {PLAYERS_LIST: {"minAvailable": party.size}}}
    labels = {FLEET_LABEL: fleet}
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "GameServerAllocation",
        "spec": {
            "scheduling": "Packed",
            "priorities": [{"type": "List", "key": PLAYERS_LIST, "order": "Ascending"}],
            "selectors": [
                {"matchLabels": labels, "gameServerState": "Allocated", **room},
                {"matchLabels": labels, "gameServerState": "Ready", **room},
            ],
            "lists": {PLAYERS_LIST: {"addValues": list(party.players)}},
        },
    }


def _ip(text: object) -> str | None:
    try:
        return str(ipaddress.ip_address(str(text)))
    except ValueError:
        return None


def ticket_addresses(status: dict[str, Any], container_port: int) -> tuple[Address, ...]:
    """What the tickets name, from an Allocated status: the public address with the host
    port of the `default` port (UDP), then every pod address with the container port.
    AllocatorError if there is no usable address or port."""
    ports = status.get("ports") or []
    chosen = None
    for name in (PORT_NAME + "-udp", PORT_NAME):  # TCPUDP names the UDP port "default-udp"
        chosen = next((p for p in ports if p.get("name") == name), None)
        if chosen is not None:
            break
    if chosen is None and ports:
        chosen = ports[0]
    try:
        host_port = int(chosen["port"]) if chosen is not None else 0
    except (KeyError, TypeError, ValueError):
        host_port = 0
    if not 1 <= host_port <= 65535:
        raise AllocatorError("the allocated game server has no usable port")
    found: list[Address] = []
    entries = status.get("addresses") or []
    public = _ip(status.get("address"))
    if public is None:  # a DNS name: its node's IPs, external first
        for kind in ("ExternalIP", "InternalIP"):
            public = public or next(
                (_ip(a.get("address")) for a in entries if a.get("type") == kind), None
            )
    if public is not None:
        found.append(normalize((public, host_port)))
    for entry in entries:
        ip = _ip(entry.get("address"))
        if entry.get("type") == "PodIP" and ip is not None:
            found.append(normalize((ip, container_port)))
    if not found:
        raise AllocatorError("the allocated game server has no IP address")
    return tuple(dict.fromkeys(found))[:32]


def _api_error(error: ApiException) -> str:
    message = ""
    try:
        body = json.loads(error.body or "")
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
    except (ValueError, TypeError):
        pass
    status = f"{error.status} {error.reason}".strip() if error.status else str(error.reason)
    return f"the Kubernetes API answered {status}" + (f": {message}" if message else "")


class AgonesAllocator:
    """The Agones backend (an `Allocator`)."""

    name = "agones"

    def __init__(
        self,
        *,
        api: k8s.ApiClient,
        namespace: str = "default",
        fleet: str = "cloudbreak",
        container_port: int = CONTAINER_PORT,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> None:
        self.api = api
        self.objects = k8s.CustomObjectsApi(api)
        self.namespace, self.fleet = namespace, fleet
        self.container_port = container_port
        self.timeout = timeout
        self.where = api.configuration.host
        self.recent: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()

    async def start(self) -> None:
        log.info(
            "Agones backend: GameServerAllocations for fleet %s in namespace %s via %s "
            "(allocation.agones.dev/v1, Agones %s)",
            self.fleet,
            self.namespace,
            self.where,
            AGONES_VERSION,
        )

    async def allocate(self, party: Party) -> Placement:
        body = allocation_body(self.fleet, party)
        for _ in range(CONTENTION_TRIES):
            answer = await asyncio.to_thread(self._create, body)
            status = answer.get("status") if isinstance(answer, dict) else None
            if not isinstance(status, dict):
                raise AllocatorError("the Kubernetes API answered an allocation without a status")
            state = status.get("state")
            if state == "Allocated":
                return self._placed(status, party)
            if state == "UnAllocated":
                raise NoRoom(
                    f"no game server of fleet {self.fleet} has room for a party of {party.size}"
                )
            if state != "Contention":
                raise AllocatorError(f"the allocation came back in state {state!r}")
        raise NoRoom(f"fleet {self.fleet} is busy (allocation contention); try again")

    def _create(self, body: dict[str, Any]) -> Any:
        try:
            return self.objects.create_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                body,
                _request_timeout=self.timeout,
            )
        except ApiException as error:
            raise AllocatorError(_api_error(error)) from None
        except urllib3.exceptions.TimeoutError:
            raise AllocatorError(
                f"the Kubernetes API at {self.where} did not answer in {self.timeout[1]:g} s"
            ) from None
        except urllib3.exceptions.HTTPError as error:
            reason = getattr(error, "reason", None) or error
            raise AllocatorError(
                f"cannot reach the Kubernetes API at {self.where} ({_short(reason)})"
            ) from None
        except (ValueError, TypeError) as error:
            unreadable = f"the Kubernetes API answered something unreadable ({error})"
            raise AllocatorError(unreadable) from None

    def _placed(self, status: dict[str, Any], party: Party) -> Placement:
        name = str(status.get("gameServerName") or "?")
        addresses = ticket_addresses(status, self.container_port)
        entry = self.recent.pop(name, {"id": name, "players": 0})
        entry["players"] += party.size
        entry["address"] = ", ".join(f"{h}:{p}" for h, p in addresses)
        entry["node"] = status.get("nodeName", "")
        self.recent[name] = entry
        while len(self.recent) > RECENT_KEPT:
            self.recent.popitem(last=False)
        return Placement(name, addresses, {"node": status.get("nodeName", "")})

    def servers(self) -> list[dict[str, Any]]:
        """The game servers this lobby allocated lately (Agones holds the truth)."""
        return [dict(entry) for entry in reversed(self.recent.values())]

    async def close(self) -> None:
        await asyncio.to_thread(self.api.close)


def _short(reason: object) -> str:
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return text.split(": ", 1)[-1][:160]
