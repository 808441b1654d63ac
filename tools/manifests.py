"""Check Kubernetes manifests against their schemas, strictly (an unknown field is an error):

    python -m tools.manifests [FILE_OR_DIR ...]        (default: deploy/)

Core types (Secret, Deployment, Service, RBAC, ...) with kubernetes-validate, for Kubernetes
KUBERNETES_VERSION (one that Agones 1.56.0 supports). Agones' custom resources (Fleet,
FleetAutoscaler) against the openAPIV3Schema of their CustomResourceDefinitions in Agones
v1.56.0's install/yaml/install.yaml, kept in deploy/schemas/agones-1.56.0/ as data, with
jsonschema; as `kubectl apply --validate=strict` would, an object that lists its properties
takes no others unless the schema preserves unknown fields.

One line per problem: `FILE: KIND NAME: PATH: what is wrong`; exit 1 if there is any, 2 for
a file that is not YAML.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUBERNETES_VERSION = "1.33.0"
AGONES_VERSION = "1.56.0"
ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "deploy" / "schemas" / f"agones-{AGONES_VERSION}"
DEFAULT = ROOT / "deploy"


class ManifestError(Exception):
    """A file that cannot be read as YAML manifests (one line)."""


@functools.cache
def custom_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict JSON schema of each custom resource kept as data."""
    found = {}
    for path in sorted(SCHEMAS.glob("*.json")):
        data = json.loads(path.read_text())
        found[(f"{data['group']}/{data['version']}", data["kind"])] = _strict(data["schema"])
    return found


def _strict(schema: Any) -> Any:
    """Unknown fields refused wherever the schema lists the properties and keeps no others."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    properties = schema.setdefault("properties", {})  # what every object has, listed or not
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties.setdefault("metadata", {"type": "object"})
    walk(schema)
    return schema


def documents(path: Path) -> Iterator[dict[str, Any]]:
    try:
        loaded = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError(f"{path}: cannot read it ({error})") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" line {where.line + 1}" if where is not None else ""
        raise ManifestError(
            f"{path}:{line}: not YAML ({getattr(error, 'problem', error)})"
        ) from None
    for document in loaded:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ManifestError(f"{path}: a document that is not a mapping")
        yield document


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top)"


def problems_in(document: dict[str, Any]) -> list[str]:
    """What is wrong with one manifest, each as `PATH: what`."""
    api, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api, str) or not isinstance(kind, str):
        return ["(top): apiVersion and kind are required"]
    schema = custom_schemas().get((api, kind))
    if schema is not None:
        validator = jsonschema.Draft7Validator(schema)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]
    if "agones.dev" in api:
        return [f"(top): no schema kept for {api} {kind} (Agones {AGONES_VERSION})"]
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{_path(error.path)}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"(top): no Kubernetes {KUBERNETES_VERSION} schema for {api} {kind}"]
    return []


def check(paths: list[Path]) -> list[str]:
    """Every problem in these files (directories: their *.yaml), one line each."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    out = []
    for file in files:
        for document in documents(file):
            name = (document.get("metadata") or {}).get("name", "?")
            for problem in problems_in(document):
                out.append(f"{file}: {document.get('kind')} {name}: {problem}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.manifests", description=__doc__.split("\n")[0]
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT])
    args = parser.parse_args(argv)
    try:
        found = check(args.paths)
    except ManifestError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in found:
        print(line)
    if not found:
        print(
            f"{len(args.paths)} path(s): every manifest valid (Kubernetes {KUBERNETES_VERSION}, "
            f"Agones {AGONES_VERSION})"
        )
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
