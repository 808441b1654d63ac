"""The Python codec against bytes the reference C implementation produced (vectors.txt):
written byte for byte the same where the reference is deterministic, read back field by
field where it is not (random nonces and keys), and the same accept/ignore verdicts."""

from __future__ import annotations

import pytest

from engine.net.netcode.addresses import normalize, write_address
from engine.net.netcode.constants import UINT64_MAX
from engine.net.netcode.packets import (
    Challenge,
    ConnectionRequest,
    Denied,
    Disconnect,
    KeepAlive,
    PacketType,
    Payload,
    Response,
    read_connection_request,
    read_packet,
    write_connection_request,
    write_packet,
)
from engine.net.netcode.replay import ReplayProtection
from engine.net.netcode.tokens import (
    ChallengeToken,
    ConnectToken,
    PrivateToken,
    decrypt_private_token,
)
from tests.net.netcode import vectors

CONSTANTS = vectors.constants()
PROTOCOL_ID = int(CONSTANTS["protocol_id"])
PRIVATE_KEY = bytes.fromhex(CONSTANTS["private_key"])
PACKET_KEY = bytes.fromhex(CONSTANTS["packet_key"])
ALL_TYPES = frozenset(PacketType)


def _canonical(addresses):
    return tuple(normalize(a) for a in addresses)


@pytest.mark.parametrize("vector", vectors.of_kind("generated_token"), ids=lambda v: v["name"])
def test_reference_generated_token_reads_and_opens(vector):
    token = ConnectToken.from_bytes(bytes.fromhex(vector["hex"]))
    public = _canonical(vectors.addresses(vector["public"]))
    internal = _canonical(vectors.addresses(vector["internal"]))
    assert token.protocol_id == PROTOCOL_ID
    assert token.server_addresses == public
    assert token.timeout_seconds == int(vector["timeout"])
    expire_seconds = int(vector["expire_seconds"])
    if expire_seconds < 0:
        assert token.expire_timestamp == UINT64_MAX
    else:
        assert token.expire_timestamp - token.create_timestamp == expire_seconds
    private = decrypt_private_token(
        token.private_data,
        private_key=PRIVATE_KEY,
        protocol_id=token.protocol_id,
        expire_timestamp=token.expire_timestamp,
        nonce=token.nonce,
    )
    assert private.client_id == int(vector["client_id"])
    assert private.timeout_seconds == int(vector["timeout"])
    assert private.server_addresses == internal
    assert private.client_to_server_key == token.client_to_server_key
    assert private.server_to_client_key == token.server_to_client_key
    assert private.user_data == bytes.fromhex(vector["user_data"])
    # and it writes back to the very same 2048 bytes
    assert token.to_bytes().hex() == vector["hex"]


def test_ipv6_groups_are_little_endian_on_the_wire():
    (vector,) = [v for v in vectors.of_kind("generated_token") if v["name"] == "never_expires"]
    raw = bytes.fromhex(vector["hex"])
    # after 13+8+8+8+24+1024 bytes: timeout (4), count (4), then type 2 and 2001:db8::1
    offset = 13 + 24 + 24 + 1024 + 8
    assert raw[offset : offset + 5] == bytes([2, 0x01, 0x20, 0xB8, 0x0D])
    assert raw[offset : offset + 19] == write_address(("2001:db8::1", 1234))
    assert raw[offset + 17 : offset + 19] == (1234).to_bytes(2, "little")


@pytest.mark.parametrize("vector", vectors.of_kind("fixed_token"), ids=lambda v: v["name"])
def test_fixed_tokens_are_written_byte_for_byte(vector):
    private = PrivateToken(
        client_id=int(vector["client_id"]),
        timeout_seconds=int(vector["timeout"]),
        server_addresses=_canonical(vectors.addresses(vector["addresses"])),
        client_to_server_key=bytes.fromhex(vector["c2s"]),
        server_to_client_key=bytes.fromhex(vector["s2c"]),
        user_data=bytes.fromhex(vector["user_data"]),
    )
    expire, create = int(vector["expire"]), int(vector["create"])
    nonce = bytes.fromhex(vector["nonce"])
    assert private.to_bytes().hex() == vector["private_plain"]
    sealed = private.encrypt(
        private_key=PRIVATE_KEY, protocol_id=PROTOCOL_ID, expire_timestamp=expire, nonce=nonce
    )
    assert sealed.hex() == vector["private_sealed"]
    public = ConnectToken(
        protocol_id=PROTOCOL_ID,
        create_timestamp=create,
        expire_timestamp=expire,
        nonce=nonce,
        private_data=sealed,
        timeout_seconds=private.timeout_seconds,
        server_addresses=private.server_addresses,
        client_to_server_key=private.client_to_server_key,
        server_to_client_key=private.server_to_client_key,
    )
    assert public.to_bytes().hex() == vector["hex"]
    assert ConnectToken.from_bytes(bytes.fromhex(vector["hex"])) == public
    opened = decrypt_private_token(
        bytes.fromhex(vector["private_sealed"]),
        private_key=PRIVATE_KEY,
        protocol_id=PROTOCOL_ID,
        expire_timestamp=expire,
        nonce=nonce,
    )
    assert opened == private


@pytest.mark.parametrize("vector", vectors.of_kind("request"), ids=lambda v: v["token"])
def test_connection_request_written_and_read(vector):
    (token_vector,) = [v for v in vectors.of_kind("fixed_token") if v["name"] == vector["token"]]
    request = ConnectionRequest(
        protocol_id=PROTOCOL_ID,
        expire_timestamp=int(vector["expire"]),
        nonce=bytes.fromhex(token_vector["nonce"]),
        private_data=bytes.fromhex(token_vector["private_sealed"]),
    )
    assert write_connection_request(request).hex() == vector["hex"]
    assert write_packet(request, 0, PACKET_KEY, PROTOCOL_ID).hex() == vector["hex"]
    for verdict in [v for v in vectors.of_kind("request_read") if v["token"] == vector["token"]]:
        result = read_connection_request(
            bytes.fromhex(vector["hex"]),
            protocol_id=PROTOCOL_ID,
            private_key=PRIVATE_KEY,
            now_unix=int(verdict["now"]),
        )
        assert (result is not None) == (verdict["accepted"] == "1"), verdict
        if result is not None:
            assert result[0] == request
            assert result[1].client_id == int(token_vector["client_id"])


def _packet_of(vector):
    kind = PacketType(int(vector["type"]))
    if kind in (PacketType.CHALLENGE, PacketType.RESPONSE):
        cls = Challenge if kind == PacketType.CHALLENGE else Response
        return cls(int(vector["token_sequence"]), bytes.fromhex(vector["token_data"]))
    if kind == PacketType.KEEP_ALIVE:
        return KeepAlive(int(vector["client_index"]), int(vector["max_clients"]))
    if kind == PacketType.PAYLOAD:
        return Payload(bytes.fromhex(vector["data"]))
    return Denied() if kind == PacketType.DENIED else Disconnect()


PACKETS = vectors.of_kind("packet")


def test_packet_vectors_cover_every_type_and_sequence_width():
    widths = {len(bytes.fromhex(v["hex"])) for v in PACKETS}
    assert {int(v["type"]) for v in PACKETS} == {1, 2, 3, 4, 5, 6}
    assert {bytes.fromhex(v["hex"])[0] >> 4 for v in PACKETS} == set(range(1, 9))
    assert len(widths) > 8


@pytest.mark.parametrize(
    "vector", PACKETS, ids=lambda v: f"type{v['type']}-seq{int(v['sequence']):x}"
)
def test_packet_written_byte_for_byte_and_read_back(vector):
    packet = _packet_of(vector)
    sequence = int(vector["sequence"])
    assert write_packet(packet, sequence, PACKET_KEY, PROTOCOL_ID).hex() == vector["hex"]
    replay = ReplayProtection()
    read = read_packet(
        bytes.fromhex(vector["hex"]),
        protocol_id=PROTOCOL_ID,
        key_for=lambda _type: PACKET_KEY,
        replay=replay,
        allowed=ALL_TYPES,
    )
    assert read == packet
    if packet.type in (PacketType.KEEP_ALIVE, PacketType.PAYLOAD, PacketType.DISCONNECT):
        assert replay.most_recent == sequence  # advanced, once it decrypted


@pytest.mark.parametrize("vector", vectors.of_kind("read"), ids=lambda v: v["name"])
def test_read_verdicts_match_the_reference(vector):
    reasons = []
    packet = read_packet(
        bytes.fromhex(vector["hex"]),
        protocol_id=PROTOCOL_ID,
        key_for=lambda _type: PACKET_KEY,
        replay=None,
        allowed=ALL_TYPES,
        on_ignore=reasons.append,
    )
    assert (packet is not None) == (vector["accepted"] == "1"), reasons
    if packet is not None:
        assert packet.type == int(vector["type"])
    else:
        assert len(reasons) == 1


@pytest.mark.parametrize("vector", vectors.of_kind("challenge_token"), ids=lambda v: v["sequence"])
def test_challenge_token_sealed_byte_for_byte(vector):
    token = ChallengeToken(int(vector["client_id"]), bytes.fromhex(vector["user_data"]))
    key, sequence = bytes.fromhex(vector["key"]), int(vector["sequence"])
    assert token.encrypt(sequence=sequence, key=key).hex() == vector["hex"]
    assert ChallengeToken.decrypt(bytes.fromhex(vector["hex"]), sequence=sequence, key=key) == token


@pytest.mark.parametrize("vector", vectors.of_kind("replay"), ids=lambda v: v["name"])
def test_replay_protection_matches_the_reference(vector):
    replay = ReplayProtection()
    steps = [tuple(int(x) for x in step.split(":")) for step in vector["steps"].split(",")]
    seen = set()
    for sequence, reference_already in steps:
        already = replay.already_received(sequence)
        if vector["name"] == "u64_max_twice" and sequence in seen:
            # deliberate difference: the reference's "empty" marker is UINT64_MAX itself, so
            # it accepts 2**64-1 any number of times; an empty slot here is None
            assert (reference_already, already) == (0, True)
            continue
        assert already == bool(reference_already), sequence
        if not already:
            replay.advance(sequence)
            seen.add(sequence)
