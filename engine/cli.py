"""Command-line arguments every Cloudbreak program reads the same way: addresses and numbers.

Each function gives argparse a `type=` that turns text into a value or raises
argparse.ArgumentTypeError with a one-line reason, so every CLI rejects bad
input with the same words (and no traceback).
"""

from __future__ import annotations

import argparse
import ipaddress
import math
from collections.abc import Callable


def _port(text: str, whole: str, lowest: int) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"bad address {whole!r}: the port must be a number, got {text!r}")
    port = int(text)
    if not lowest <= port <= 65535:
        raise ValueError(
            f"bad address {whole!r}: the port must be between {lowest} and 65535, got {port}"
        )
    return port


def parse_address(
    text: str, default_port: int | None = None, *, lowest_port: int = 1
) -> tuple[str, int]:
    """("host", port) from "host:port", "[::1]:port", or (with a default port) "host", "::1".

    Raises ValueError with a one-line message naming what is wrong.
    """
    whole = text.strip()
    need = "host:port" if default_port is None else "host or host:port"
    if not whole:
        raise ValueError(f"the address is empty (expected {need})")
    if whole.startswith("["):
        host, sep, rest = whole[1:].partition("]")
        if not sep:
            raise ValueError(f"bad address {whole!r}: missing ']' after the IPv6 address")
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"bad address {whole!r}: {host!r} is not an IPv6 address") from None
        if rest.startswith(":"):
            return host, _port(rest[1:], whole, lowest_port)
        if rest:
            raise ValueError(f"bad address {whole!r}: expected ':port' after ']'")
        port_text = None
    elif whole.count(":") > 1:  # a bare IPv6 address cannot carry a port
        try:
            ipaddress.IPv6Address(whole)
        except ValueError:
            raise ValueError(
                f"bad address {whole!r}: write IPv6 addresses with a port as [addr]:port"
            ) from None
        host, port_text = whole, None
    else:
        host, sep, port_text = whole.partition(":")
        if not host:
            raise ValueError(f"bad address {whole!r}: the host is missing")
        if any(c.isspace() or c in "/@?#" for c in host):
            raise ValueError(f"bad address {whole!r}: {host!r} is not a host name")
        if sep:
            return host, _port(port_text, whole, lowest_port)
        port_text = None
    if default_port is None:
        raise ValueError(f"bad address {whole!r}: must be HOST:PORT")
    return host, default_port


def address(default_port: int | None = None, *, lowest_port: int = 1) -> Callable[[str], tuple]:
    """An argparse type for HOST:PORT (the port may be left out when there is a default)."""

    def parse(text: str) -> tuple[str, int]:
        try:
            return parse_address(text, default_port, lowest_port=lowest_port)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def number(
    kind: type[int] | type[float] = float,
    *,
    low: float | None = None,
    high: float | None = None,
    above: float | None = None,
) -> Callable[[str], float]:
    """An argparse type for a finite number (`kind` int: a whole one) within bounds."""
    what = "a whole number" if kind is int else "a number"

    def parse(text: str):  # noqa: ANN202
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if low is not None and high is not None and not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:g} and {high:g}, got {text}")
        if low is not None and value < low:
            word = "must not be negative" if low == 0 else f"must be at least {low:g}"
            raise argparse.ArgumentTypeError(f"{word}, got {text}")
        if above is not None and value <= above:
            raise argparse.ArgumentTypeError(f"must be more than {above:g}, got {text}")
        return value

    return parse
