"""Reads vectors.txt: lines the reference C implementation printed (see
tools/netcode_conformance/README.md), as (kind, fields) pairs."""

from __future__ import annotations

from pathlib import Path

from engine.net.netcode.addresses import Address

VECTORS = Path(__file__).with_name("vectors.txt")


def load() -> list[tuple[str, dict[str, str]]]:
    vectors = []
    for line in VECTORS.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        kind, *pairs = line.split(" ")
        vectors.append((kind, dict(pair.split("=", 1) for pair in pairs)))
    return vectors


def of_kind(kind: str) -> list[dict[str, str]]:
    return [fields for k, fields in load() if k == kind]


def address(text: str) -> Address:
    """'1.2.3.4:5' or '[::1]:5' as the reference prints them."""
    host, _, port = text.rpartition(":")
    return (host.strip("[]"), int(port))


def addresses(text: str) -> tuple[Address, ...]:
    return tuple(address(a) for a in text.split(","))


def constants() -> dict[str, str]:
    (fields,) = of_kind("constants")
    return fields
