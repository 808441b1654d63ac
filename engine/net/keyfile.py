"""The private key that token issuers and servers share, kept in a small text file.

A key file holds 32 random bytes as 64 hexadecimal digits on one line: text,
so it can travel as a Kubernetes Secret or an environment variable and be
compared by eye, and private to its owner (mode 0600) because whoever holds it
can let anyone into the servers that trust it.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine.net.netcode import new_key
from engine.net.netcode.constants import KEY_BYTES


class KeyFileError(Exception):
    """A key file that is missing, unreadable or malformed; the message is one line."""


def write_new_key(path: str | Path) -> bytes:
    """Make a fresh key and write it to `path`, readable by its owner only. Refuses to
    overwrite: replacing a key locks out every token issued with the old one."""
    key = new_key()
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; remove it first to replace the key") from None
    except OSError as error:
        raise KeyFileError(f"cannot write {path}: {error.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key.hex() + "\n")
    return key


def read_key(path: str | Path) -> bytes:
    """The key in `path`; KeyFileError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (make one with --new-key)") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"{path}: not a key file (expected 64 hex digits)") from None
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"{path}: not a key file (expected 64 hex digits)")
    return key
