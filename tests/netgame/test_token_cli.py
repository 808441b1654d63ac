"""python -m game.token: a key for the servers, and tokens that name a player and a server."""

from __future__ import annotations

import pytest

from engine.net.keyfile import read_key
from engine.net.netcode import decrypt_private_token
from engine.net.tickets import decode_token, protocol_id, read_token_file, ticket_name
from game import token as token_cli
from game.net.protocol import GAME


def opened(token, key):
    return decrypt_private_token(
        token.private_data,
        private_key=key,
        protocol_id=token.protocol_id,
        expire_timestamp=token.expire_timestamp,
        nonce=token.nonce,
    )


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "server.key"
    assert token_cli.main(["--new-key", str(path)]) == 0
    return path


def test_a_new_key_is_written_and_said(tmp_path, capsys):
    path = tmp_path / "fresh.key"
    assert token_cli.main(["--new-key", str(path)]) == 0
    assert len(read_key(path)) == 32
    assert capsys.readouterr().err == f"wrote a new key to {path}\n"


def test_a_token_names_the_player_and_every_address_of_the_server(key_file, tmp_path, capsys):
    out = tmp_path / "ada.token"
    argv = ["--key-file", str(key_file), "--server", "localhost:5000", "--name", "Ada"]
    assert token_cli.main([*argv, "--out", str(out), "--expire", "60"]) == 0
    assert capsys.readouterr().err == f"wrote a token for Ada to {out}\n"
    token = read_token_file(out)
    private = opened(token, read_key(key_file))
    assert ticket_name(private.user_data) == "Ada"
    assert token.protocol_id == protocol_id(GAME)
    assert ("127.0.0.1", 5000) == token.server_addresses[0] == private.server_addresses[0]
    assert token.expire_timestamp - token.create_timestamp == 60


def test_without_out_the_token_goes_to_stdout_as_one_line(key_file, capsys):
    argv = ["--key-file", str(key_file), "--server", "127.0.0.1:7000", "--name", "Bo"]
    assert token_cli.main(argv) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert decode_token(line).server_addresses == (("127.0.0.1", 7000),)


def test_fallback_servers_are_tried_in_the_order_given(key_file, capsys):
    argv = ["--key-file", str(key_file), "--name", "Bo"]
    argv += ["--server", "127.0.0.1:7000", "--server", "[::1]:7001"]
    assert token_cli.main(argv) == 0
    token = decode_token(capsys.readouterr().out)
    assert token.server_addresses == (("127.0.0.1", 7000), ("::1", 7001))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "a token needs --key-file, --server, --name"),
        (["--server", "1.2.3.4:5"], "a token needs --key-file, --name"),
        (["--new-key", "k", "--name", "x"], "--new-key makes a key and nothing else"),
        (["--server", "nowhere"], "argument --server: bad address 'nowhere': must be HOST:PORT"),
        (["--expire", "0"], "argument --expire: must be at least 1"),
    ],
)
def test_usage_mistakes_are_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        token_cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"python -m game.token: error: {message}")


def test_a_missing_key_or_a_bad_name_is_one_line(key_file, tmp_path, capsys):
    argv = ["--server", "127.0.0.1:5000", "--name", "Ada"]
    assert token_cli.main(["--key-file", str(tmp_path / "none"), *argv]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'none'}: no such key file (make one with --new-key)\n"
    )
    argv = ["--key-file", str(key_file), "--server", "127.0.0.1:5000", "--name", "x" * 40]
    assert token_cli.main(argv) == 2
    assert capsys.readouterr().err == "error: the name is longer than 32 bytes\n"


def test_an_unknown_host_is_one_line(key_file, capsys):
    argv = ["--key-file", str(key_file), "--server", "no-such-host.invalid:5000", "--name", "A"]
    assert token_cli.main(argv) == 2
    assert capsys.readouterr().err.startswith("error: cannot find host no-such-host.invalid")
