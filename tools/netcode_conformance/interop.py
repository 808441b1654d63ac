"""Interop over real UDP on loopback: our NetcodeServer against the reference C client, and our
NetcodeClient against the reference C server (mas-bandwidth/netcode's client.c and server.c).

Run by hand, not in CI (it needs a C compiler and a checkout of the reference):

    python -m tools.netcode_conformance.interop build /tmp/netcode-ref   # -> /tmp/netcode-interop
    python -m tools.netcode_conformance.interop run [--ipv6]

The reference programs use a fixed private key and protocol id and exchange 1200-byte
payloads holding bytes 0..1199 mod 256 (they assert on anything else). This module is the
socket-and-clock shell around the sans-I/O objects: the only place here that reads clocks.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from engine.net.netcode import client as nc_client
from engine.net.netcode import server as nc_server
from engine.net.netcode.client import ClientState, NetcodeClient
from engine.net.netcode.server import NetcodeServer
from engine.net.netcode.tokens import generate_connect_token

BIN = Path(os.environ.get("NETCODE_INTEROP_BIN", "/tmp/netcode-interop"))
PROTOCOL_ID = 0x1122334455667788
PRIVATE_KEY = bytes.fromhex("606abe6ec91910ea9a6562f66f2b30e44371d62cd19927266b3c60f4b715aba1")
PATTERN = bytes(i % 256 for i in range(1200))


@dataclass
class Result:
    ok: bool
    detail: str
    payloads_in: int = 0
    payloads_out: int = 0


def build(reference: Path, out: Path = BIN) -> None:
    """Compile the reference client and server (assertions on) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    sodium, netcode = out / "sodium.o", out / "netcode.o"
    common = [f"-I{reference}", f"-I{reference / 'sodium'}", "-O1", "-w"]
    subprocess.run(
        [cc, *common, "-c", str(reference / "sodium/sodium.c"), "-o", sodium], check=True
    )
    subprocess.run(
        [cc, *common, "-DNETCODE_DEBUG", "-c", str(reference / "netcode.c"), "-o", netcode],
        check=True,
    )
    for program in ("client", "server"):
        source = reference / f"{program}.c"
        subprocess.run(
            [cc, *common, str(source), str(netcode), str(sodium), "-o", out / program, "-lm"],
            check=True,
        )


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


def _recv_all(sock: socket.socket, wait: float):
    ready, _, _ = select.select([sock], [], [], wait)
    while ready:
        try:
            data, address = sock.recvfrom(2048)
        except BlockingIOError:
            return
        yield data, (address[0], address[1])


def python_server_vs_reference_client(host: str = "127.0.0.1", seconds: float = 3.0) -> Result:
    """Our server on host:40000; the reference client connects, trades payloads, and must
    leave cleanly when we disconnect it (it exits 0 on reaching 'disconnected')."""
    port = 40000
    sock = _socket(host, port)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    server = NetcodeServer(
        protocol_id=PROTOCOL_ID,
        private_key=PRIVATE_KEY,
        public_addresses=((host, port),),
        max_clients=4,
        now=time.monotonic(),
        unix_time=time.time,
    )
    proc = subprocess.Popen(
        [str(BIN / "client"), target], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    result = Result(False, "no connection")
    connected_at = None
    dismissed = False
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            for data, address in _recv_all(sock, 1 / 60):
                server.receive(data, address, time.monotonic())
            now = time.monotonic()
            server.update(now)
            for event in server.events():
                if isinstance(event, nc_server.ClientConnected):
                    connected_at = now
                elif isinstance(event, nc_server.PayloadReceived):
                    if event.data != PATTERN:
                        result.detail = "payload from the reference client differs"
                        return result
                    result.payloads_in += 1
                elif isinstance(event, nc_server.ClientDisconnected) and not dismissed:
                    result.detail = f"client left early: {event.reason}"
                    return result
            if connected_at is not None:
                server.send_payload(0, PATTERN, now)
                result.payloads_out += 1
                if now - connected_at > seconds:
                    server.disconnect(0, now)
                    dismissed = True
                    connected_at = None
                    deadline = min(deadline, now + 3)
            for data, address in server.datagrams():
                sock.sendto(data, address)
            if proc.poll() is not None:
                break
        output = proc.communicate(timeout=5)[0] if proc.poll() is not None else ""
        result.ok = proc.returncode == 0 and result.payloads_in > 0 and "connected" in output
        result.detail = f"reference client exit {proc.returncode}; log: " + " | ".join(
            line for line in output.splitlines() if "client" in line
        )
        return result
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


def python_client_vs_reference_server(host: str = "127.0.0.1", seconds: float = 3.0) -> Result:
    """The reference server on host:40000; our client connects with a token we generated,
    trades payloads, then disconnects; the server must log both ends."""
    port = 40000
    arg = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    proc = subprocess.Popen(
        [str(BIN / "server"), arg], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    sock = _socket(host, 0)
    token = generate_connect_token(
        private_key=PRIVATE_KEY,
        protocol_id=PROTOCOL_ID,
        client_id=0xC10D,
        server_addresses=((host, port),),
        expire_seconds=30,
        timeout_seconds=5,
        now_unix=int(time.time()),
    )
    result = Result(False, "no connection")
    try:
        time.sleep(0.3)  # let the server bind
        client = NetcodeClient(token, now=time.monotonic())
        client.connect(time.monotonic())
        connected_at = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and client.state > ClientState.DISCONNECTED:
            for data, address in _recv_all(sock, 1 / 60):
                client.receive(data, address, time.monotonic())
            now = time.monotonic()
            client.update(now)
            for event in client.events():
                if isinstance(event, nc_client.Connected):
                    connected_at = now
                elif isinstance(event, nc_client.PayloadReceived):
                    if event.data != PATTERN:
                        result.detail = "payload from the reference server differs"
                        return result
                    result.payloads_in += 1
            if client.state == ClientState.CONNECTED:
                client.send_payload(PATTERN, now)
                result.payloads_out += 1
                if now - connected_at > seconds:
                    client.disconnect(now)
            for data, address in client.datagrams():
                sock.sendto(data, address)
        time.sleep(0.5)  # the server logs the disconnect on its next update
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=5)[0]
        lines = [line for line in output.splitlines() if "client" in line]
        result.ok = (
            result.payloads_in > 0
            and client.state == ClientState.DISCONNECTED
            and any("connected" in line for line in lines)
            and proc.returncode == 0
        )
        result.detail = f"final state {client.state.name}; server log: " + " | ".join(lines)
        return result
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build").add_argument("reference", type=Path)
    run = sub.add_parser("run")
    run.add_argument("--ipv6", action="store_true", help="use ::1 instead of 127.0.0.1")
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.reference)
        print(f"built {BIN}/client and {BIN}/server")
        return 0
    host = "::1" if args.ipv6 else "127.0.0.1"
    failures = 0
    for check in (python_server_vs_reference_client, python_client_vs_reference_server):
        result = check(host)
        failures += not result.ok
        print(f"{'PASS' if result.ok else 'FAIL'} {check.__name__} on {host}: {result}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
