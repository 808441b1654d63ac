"""Key files: written once, private, read back exactly; every bad file is one clear line."""

from __future__ import annotations

import os
import stat

import pytest

from engine.net.keyfile import KEY_BYTES, KeyFileError, read_key, write_new_key


def test_a_new_key_is_written_private_and_reads_back(tmp_path):
    path = tmp_path / "server.key"
    key = write_new_key(path)
    assert len(key) == KEY_BYTES
    assert read_key(path) == key
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text() == key.hex() + "\n"


def test_two_new_keys_differ(tmp_path):
    assert write_new_key(tmp_path / "a") != write_new_key(tmp_path / "b")


def test_an_existing_key_is_never_overwritten(tmp_path):
    path = tmp_path / "server.key"
    key = write_new_key(path)
    with pytest.raises(KeyFileError, match="already exists; remove it first"):
        write_new_key(path)
    assert read_key(path) == key


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a key file"),
        (b"00" * 31, "not a key file"),
        (b"00" * 33, "not a key file"),
        (b"zz" * 32, "not a key file"),
        (b"\xff\xfe" * 32, "not a key file"),
    ],
)
def test_a_malformed_key_file_is_named_in_one_line(tmp_path, content, message):
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match=message) as error:
        read_key(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_surrounding_whitespace_is_forgiven(tmp_path):
    path = tmp_path / "k"
    path.write_text("  " + "ab" * 32 + "\n\n")
    assert read_key(path) == bytes([0xAB]) * 32


def test_a_missing_key_file_says_how_to_make_one(tmp_path):
    with pytest.raises(KeyFileError, match="no such key file \\(make one with --new-key\\)"):
        read_key(tmp_path / "missing.key")


def test_an_unwritable_place_is_one_line(tmp_path):
    with pytest.raises(KeyFileError, match="cannot write"):
        write_new_key(tmp_path / "no-such-dir" / "k")
