"""The handshake's rules: what a server accepts in a Hello, and what it answers otherwise.

Pure policy, no I/O: the server calls `check_hello` and sends the Reject it
returns, if any; then `unique_name` gives the name the player goes by. The
schema hash (`engine.net.schema.NetSchema.hash`) covers every replicated
component and every message type, so two builds that would misread each other
never start talking; the mod lists say which mods differ, so the player is told
what to fix.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from engine.net.codec import clip_utf8
from engine.net.messages import (
    MAGIC,
    MAX_NAME_BYTES,
    PROTOCOL_VERSION,
    Hello,
    Reject,
    RejectReason,
)


def name_problem(name: str) -> str | None:
    """Why a player name is unacceptable, or None: 1..32 bytes of printable characters."""
    if not name.strip():
        return "the player name is empty"
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"the player name is longer than {MAX_NAME_BYTES} bytes"
    if name != name.strip():
        return "the player name starts or ends with spaces"
    for char in name:
        if unicodedata.category(char)[0] in "CZ" and char != " ":
            return f"the player name contains the character {char!r}"
    return None


def unique_name(name: str, taken: Iterable[str]) -> str:
    """`name`, or when another player has it (case-insensitively) `name 2`, `name 3`, ...:
    the first free one, clipped so it still fits MAX_NAME_BYTES.

    The default name is the OS user, so two players on one LAN may well share it;
    they both get in, told apart by the number."""
    used = {n.casefold() for n in taken}
    if name.casefold() not in used:
        return name
    number = 2
    while True:
        suffix = f" {number}"
        candidate = clip_utf8(name, MAX_NAME_BYTES - len(suffix)).rstrip() + suffix
        if candidate.casefold() not in used:
            return candidate
        number += 1


def check_hello(
    hello: Hello,
    *,
    schema: int,
    mods: tuple[str, ...],
    full: bool,
) -> Reject | None:
    """The Reject a server sends for this Hello, or None to accept it."""
    if hello.magic != MAGIC:
        return Reject(RejectReason.PROTOCOL, "this is not a Cloudbreak client")
    if hello.version != PROTOCOL_VERSION:
        return Reject(
            RejectReason.VERSION,
            f"protocol version {hello.version} is not the server's {PROTOCOL_VERSION}; "
            "update the game",
        )
    if hello.schema_hash != schema:
        return Reject(RejectReason.SCHEMA, _schema_detail(hello.mods, mods))
    problem = name_problem(hello.name)
    if problem:
        return Reject(RejectReason.BAD_NAME, problem)
    if full:
        return Reject(RejectReason.FULL, "the server is full")
    return None


def _schema_detail(theirs: tuple[str, ...], ours: tuple[str, ...]) -> str:
    """Name the mods that differ (entries look like "name@version")."""
    mine = {m.split("@")[0]: m for m in ours}
    yours = {m.split("@")[0]: m for m in theirs}
    parts = []
    missing = sorted(set(mine) - set(yours))
    extra = sorted(set(yours) - set(mine))
    differ = sorted(n for n in set(mine) & set(yours) if mine[n] != yours[n])
    if missing:
        parts.append("missing mods: " + ", ".join(mine[n] for n in missing))
    if extra:
        parts.append("mods the server does not have: " + ", ".join(yours[n] for n in extra))
    if differ:
        versions = ", ".join(f"{yours[n]} (server {mine[n]})" for n in differ)
        parts.append("different versions: " + versions)
    if not parts:
        parts.append("the game's data schema differs from the server's; update the game")
    return clip_utf8("; ".join(parts), 255)
