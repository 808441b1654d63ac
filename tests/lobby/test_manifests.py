"""deploy/'s manifests against their schemas (tools/manifests.py): the core types with
kubernetes-validate, Agones' Fleet and FleetAutoscaler with the CRD schemas of Agones 1.56.0
kept in deploy/schemas/; and proof that a malformed manifest fails."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tools.manifests import DEFAULT, ManifestError, check, documents, main, problems_in

DEPLOY = Path(DEFAULT)


def manifest(kind: str) -> dict:
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in documents(path):
            if document["kind"] == kind:
                return copy.deepcopy(document)
    raise AssertionError(f"no {kind} in deploy/")


def test_every_manifest_in_deploy_is_valid_and_they_are_all_there():
    assert check([DEPLOY]) == []
    kinds = {d["kind"] for p in DEPLOY.glob("*.yaml") for d in documents(p)}
    assert {"Fleet", "FleetAutoscaler", "Deployment", "Service", "Secret", "Role"} <= kinds
    assert main([str(DEPLOY)]) == 0


def test_the_fleet_says_what_the_lobby_and_the_server_rely_on():
    fleet = manifest("Fleet")
    spec = fleet["spec"]["template"]["spec"]
    (port,) = spec["ports"]
    assert (port["name"], port["portPolicy"], port["protocol"]) == ("default", "Dynamic", "TCPUDP")
    (container,) = spec["template"]["spec"]["containers"]
    args = container["args"]
    assert f"--port={port['containerPort']}" in args and "--agones" in args
    seats = int(next(a for a in args if a.startswith("--max-players=")).split("=")[1])
    watchers = int(next(a for a in args if a.startswith("--spectators=")).split("=")[1])
    assert spec["lists"]["players"]["capacity"] == seats + watchers
    lobby = manifest("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--container-port={port['containerPort']}" in lobby
    assert "--fleet=" + fleet["metadata"]["name"] in lobby


@pytest.mark.parametrize(
    ("kind", "break_it", "expected"),
    [
        (
            "Fleet",
            lambda d: d["spec"]["template"]["spec"]["ports"][0].update(portPolicy="Dynamo"),
            "spec.template.spec.ports[0].portPolicy: 'Dynamo' is not one of",
        ),
        (
            "Fleet",
            lambda d: d["spec"]["template"]["spec"].update(helth={}),
            "spec.template.spec: Additional properties are not allowed ('helth' was unexpected)",
        ),
        (
            "FleetAutoscaler",
            lambda d: d["spec"]["policy"]["buffer"].update(maxReplicas="lots"),
            "spec.policy.buffer.maxReplicas: 'lots' is not of type 'integer'",
        ),
        (
            "Deployment",
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagee="x"),
            "spec.template.spec.containers[0]",
        ),
        (
            "Service",
            lambda d: d["spec"]["ports"][0].update(port="eighty"),
            "spec.ports[0].port",
        ),
    ],
)
def test_a_malformed_manifest_is_refused_with_where_and_why(kind, break_it, expected):
    document = manifest(kind)
    assert problems_in(document) == []
    break_it(document)
    found = problems_in(document)
    assert found and any(line.startswith(expected) or expected in line for line in found), found


def test_a_broken_file_fails_the_check(tmp_path, capsys):
    bad = tmp_path / "fleet.yaml"
    fleet = manifest("Fleet")
    del fleet["spec"]["template"]["spec"]["ports"][0]["containerPort"]
    fleet["spec"]["replicas"] = -1
    bad.write_text(yaml.safe_dump(fleet))
    assert main([str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith(f"{bad}: Fleet cloudbreak: ") for line in lines)
    assert any("spec.replicas: -1 is less than the minimum of 0" in line for line in lines)
    (tmp_path / "oops.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(ManifestError, match="not YAML"):
        check([tmp_path / "oops.yaml"])
    assert main([str(tmp_path / "oops.yaml")]) == 2
