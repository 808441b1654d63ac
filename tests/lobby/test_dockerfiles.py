"""The container images' Dockerfiles follow their rules (no container engine runs on CI's
machine, so the files themselves are checked; docs/OPERATIONS.md says how they were built
and run here): a slim Python base, the server without SDL, a non-root user, the key
mounted rather than copied, a health check, and only the files each needs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined, out = "", []
    for line in path.read_text().splitlines():
        if line.strip().startswith("#") and not joined:
            continue
        if line.rstrip().endswith("\\"):
            joined += line.rstrip()[:-1] + " "
            continue
        joined += line
        if joined.strip():
            word, _, rest = joined.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
        joined = ""
    return out


@pytest.mark.parametrize(
    ("name", "extra", "entry", "port"),
    [
        ("server.Dockerfile", "server", "cloudbreak-server", "7654/udp"),
        ("lobby.Dockerfile", "lobby", "cloudbreak-lobby", "8000/tcp"),
    ],
)
def test_an_image_is_slim_non_root_keyless_and_checks_its_health(name, extra, entry, port):
    steps = instructions(DOCKER / name)
    words = [word for word, _ in steps]
    args = dict(reversed(steps))  # the first of each
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.\d+-slim(-\w+)?", args["ARG"])
    assert [rest for word, rest in steps if word == "FROM"] == [
        "${PYTHON_IMAGE} AS build",
        "${PYTHON_IMAGE}",
    ]
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert f'pip install --no-cache-dir --disable-pip-version-check ".[{extra}]"' in runs
    assert "client" not in runs and "pygame" not in runs and "sdl" not in runs.lower()
    copies = [rest for word, rest in steps if word == "COPY"]
    assert copies[:3] == ["pyproject.toml README.md ./", "engine ./engine", "game ./game"]
    assert not any("key" in c for c in copies)  # the key is mounted, never baked in
    user = [rest for word, rest in steps if word == "USER"]
    assert user == ["10001:10001"] and words.index("USER") > words.index("FROM", 1)
    assert "useradd --system --uid 10001" in runs
    (health,) = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert health.startswith("--interval=") and " CMD " in f" {health}"
    assert port in args["EXPOSE"].split()
    assert args["ENTRYPOINT"] == f'["{entry}"]'
    assert "--key-file=/etc/cloudbreak/key" in args["CMD"]
    assert words[-1] == "CMD" and "ADD" not in words


def test_the_build_context_holds_only_what_the_images_need():
    lines = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!engine/", "!game/"} <= set(lines)
    assert not any(line.startswith("!") and "tools" in line for line in lines)


def test_the_health_checks_are_valid_python():
    for name in ("server.Dockerfile", "lobby.Dockerfile"):
        (health,) = [r for w, r in instructions(DOCKER / name) if w == "HEALTHCHECK"]
        exec_form = health.split(" CMD ", 1)[1]
        argv = shlex.split(exec_form.strip("[]").replace('", "', '" "'))
        assert argv[:2] == ["python", "-c"]
        compile(argv[2], name, "exec")


def flags(argv: list[str]) -> dict[str, str]:
    return dict(a.removeprefix("--").split("=", 1) for a in argv if a.startswith("--") and "=" in a)


def pod(kind: str) -> dict:
    from tests.lobby.test_manifests import manifest

    template = manifest(kind)["spec"]["template"]
    return template["spec"]["template"]["spec"] if kind == "Fleet" else template["spec"]


@pytest.mark.parametrize(
    ("name", "kind"), [("server.Dockerfile", "Fleet"), ("lobby.Dockerfile", "Deployment")]
)
def test_each_image_agrees_with_the_manifest_that_runs_it(name, kind):
    """The user, the key's path and mode, the ports and the health check's port: what the
    image assumes is what deploy/ gives it (a mismatch would only show on a cluster)."""
    steps = instructions(DOCKER / name)
    args = dict(reversed(steps))
    spec = pod(kind)
    (container,) = spec["containers"]
    uid, gid = (int(x) for x in args["USER"].split(":"))
    security = spec["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"], security["fsGroup"]) == (uid, gid, gid)
    assert security["runAsNonRoot"] is True
    image = flags(json.loads(args["CMD"]))
    deployed = flags(container["args"])
    key = PurePosixPath(image["key-file"])
    assert deployed["key-file"] == str(key)
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == str(key.parent)]
    assert mount["readOnly"] is True
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["defaultMode"] & 0o040  # the group (fsGroup) may read the key
    assert key.name == "key"  # the Secret's data key (deploy/secret.yaml)
    exposed = set(args["EXPOSE"].split())
    for port in container["ports"]:
        assert f"{port['containerPort']}/{port.get('protocol', 'TCP').lower()}" in exposed
    assert image["port"] == deployed["port"]
    (health,) = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert f"127.0.0.1:{image['port']}/" in health or f"'127.0.0.1', {image['port']}" in health
    if container["securityContext"]["readOnlyRootFilesystem"]:
        assert "PYTHONDONTWRITEBYTECODE=1" in args["ENV"]  # nothing written beside the code


def test_the_local_base_matches_the_default_one():
    """deploy/build-local-base.sh (for machines with no registry) makes what the Dockerfiles
    expect of `python:3.11-slim-bookworm`: the same Debian release, whose python3 is 3.11,
    with venv and a `python` command."""
    script = (ROOT / "deploy" / "build-local-base.sh").read_text()
    for name in ("server.Dockerfile", "lobby.Dockerfile"):
        default = dict(reversed(instructions(DOCKER / name)))["ARG"]
        assert default == "PYTHON_IMAGE=python:3.11-slim-bookworm"
    assert "SUITE=${SUITE:-bookworm}" in script
    assert "--include=python3,python3-venv,python-is-python3" in script
    assert "IMAGE=${IMAGE:-localhost/debian-python:bookworm}" in script
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script
