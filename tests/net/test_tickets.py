"""Tickets: connect tokens that name their player, written to and read from token files."""

from __future__ import annotations

import base64

import pytest

from engine.net.keyfile import KEY_BYTES
from engine.net.messages import MAX_NAME_BYTES
from engine.net.netcode import decrypt_private_token
from engine.net.tickets import (
    TicketError,
    decode_token,
    encode_token,
    issue_ticket,
    protocol_id,
    read_token_file,
    ticket_name,
    user_data,
    write_token_file,
)

KEY = bytes(range(KEY_BYTES))
SERVER = ("127.0.0.1", 5000)


def ticket(**options):
    defaults = {"key": KEY, "game": "cloudbreak", "servers": [SERVER], "now_unix": 1_000_000}
    return issue_ticket(**(defaults | options))


def opened(token):
    """The private part, as a server holding KEY reads it."""
    return decrypt_private_token(
        token.private_data,
        private_key=KEY,
        protocol_id=token.protocol_id,
        expire_timestamp=token.expire_timestamp,
        nonce=token.nonce,
    )


def test_a_ticket_names_its_player_inside_the_sealed_part():
    token = ticket(name="Ada", expire_seconds=30, timeout_seconds=5, client_id=77)
    private = opened(token)
    assert ticket_name(private.user_data) == "Ada"
    assert private.client_id == 77
    assert private.server_addresses == (SERVER,)
    assert (token.create_timestamp, token.expire_timestamp) == (1_000_000, 1_000_030)
    assert token.timeout_seconds == 5 == private.timeout_seconds


def test_tickets_for_different_games_or_versions_have_different_protocol_ids():
    assert ticket().protocol_id == protocol_id("cloudbreak")
    assert protocol_id("cloudbreak") != protocol_id("cloudbreak", version=1)
    assert protocol_id("cloudbreak") != protocol_id("another game")
    assert 0 <= protocol_id("cloudbreak") < 2**64


def test_without_a_name_the_ticket_names_nobody():
    assert ticket_name(opened(ticket()).user_data) is None


def test_every_ticket_gets_its_own_client_id_unless_given():
    assert opened(ticket()).client_id != opened(ticket()).client_id


@pytest.mark.parametrize(
    "data",
    [b"", b"\x01", b"\x02\x03abc", b"\x01\x03\xff\xfe\xfd", bytes([1, MAX_NAME_BYTES + 1]) + b"a"],
)
def test_user_data_of_another_layout_names_nobody(data):
    assert ticket_name(data.ljust(256, b"\x00")) is None


def test_a_name_too_long_for_the_handshake_is_refused():
    with pytest.raises(TicketError, match=f"longer than {MAX_NAME_BYTES} bytes"):
        user_data("x" * (MAX_NAME_BYTES + 1))
    with pytest.raises(TicketError, match="longer than"):
        ticket(name="é" * 17)  # 34 bytes


def test_a_bad_server_address_is_a_ticket_error():
    with pytest.raises(TicketError):
        ticket(servers=[("not an address", 5000)])


def test_a_token_survives_its_text_form_and_a_file(tmp_path):
    token = ticket(name="Ada")
    text = encode_token(token)
    assert len(text) == 2732 and "\n" not in text
    assert decode_token(text) == token
    path = tmp_path / "ada.token"
    write_token_file(path, token)
    assert read_token_file(path) == token
    raw = tmp_path / "ada.bin"
    raw.write_bytes(token.to_bytes())
    assert read_token_file(raw) == token


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello", "not a connect token (expected base64 text)"),
        (base64.b64encode(b"short"), "not a connect token (connect token is 5 bytes, not 2048)"),
        (bytes(2048), "not a connect token (connect token version is not 'NETCODE 1.02')"),
    ],
)
def test_a_bad_token_file_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.token"
    path.write_bytes(content)
    with pytest.raises(TicketError) as error:
        read_token_file(path)
    assert str(error.value) == f"{path}: {message}"


def test_a_missing_token_file_is_named(tmp_path):
    with pytest.raises(TicketError, match="no such token file"):
        read_token_file(tmp_path / "none.token")
    with pytest.raises(TicketError, match="cannot write"):
        write_token_file(tmp_path / "no" / "dir.token", ticket())
