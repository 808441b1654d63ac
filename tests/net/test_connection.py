"""The sans-I/O connection and the handshake rules, driven by bytes alone."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.components import Transform
from engine.net.codec import Quantized
from engine.net.connection import client_connection, server_connection
from engine.net.errors import ProtocolError
from engine.net.framing import encode_frame
from engine.net.handshake import check_hello, name_problem
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    BroadcastMessage,
    Hello,
    MessageRegistry,
    Ping,
    Reject,
    RejectReason,
    UpdateClientState,
    Welcome,
)
from engine.net.schema import NetSchema

MESSAGES = MessageRegistry()


def server_end(**limits):
    return server_connection(MESSAGES, 0.0, **limits)


def client_end(**limits):
    return client_connection(MESSAGES, 0.0, **limits)


def hello(name="ann", schema=1, mods=()):
    return Hello(MAGIC, PROTOCOL_VERSION, name, schema, mods)


def test_messages_cross_in_any_chunking():
    client, server = client_end(), server_end()
    client.send(hello())
    client.send(Ping(5))
    data = client.data_to_send()
    got = []
    for index in range(len(data)):  # one byte at a time
        got += server.receive_data(data[index : index + 1], now=1.0)
    assert got == [hello(), Ping(5)]
    assert server.last_heard == 1.0
    assert server.bytes_in == len(data) == client.bytes_out


def test_a_message_bigger_than_a_frame_is_fragmented_and_rebuilt():
    client, server = client_end(max_frame=256), server_end(max_frame=256)
    server.send(Welcome(1, 60, 3, 0))
    big = UpdateClientState(9, 0, bytes(range(256)) * 40)  # 10 KiB through 256-byte frames
    server.send(big)
    assert client.receive_data(server.data_to_send(), now=0.0) == [Welcome(1, 60, 3, 0), big]


def test_the_first_message_must_be_the_handshake():
    server = server_end()
    client = client_end()
    client.send(Ping(1))
    with pytest.raises(ProtocolError, match="expected Hello, got Ping"):
        server.receive_data(client.data_to_send(), now=0.0)
    with pytest.raises(ProtocolError):  # and it stays failed
        server.receive_data(b"\x00", now=0.0)
    other = client_end()
    with pytest.raises(ProtocolError, match="expected Welcome or Reject"):
        other.receive_data(encode_frame(b"\x85\x02hi"), now=0.0)


def test_after_the_handshake_anything_in_the_set_is_accepted():
    client = client_end()
    welcome = MESSAGES.to_client.encode(Welcome(1, 60, 3, 0))
    frames = encode_frame(welcome) + encode_frame(b"\x85\x02hi")
    assert client.receive_data(frames, now=0.0)[1] == BroadcastMessage("hi")


def test_each_end_decodes_only_what_its_side_may_receive():
    server = server_end()
    server.receive_data(encode_frame(MESSAGES.to_server.encode(hello())), now=0.0)
    with pytest.raises(ProtocolError, match=r"Welcome \(0x80\) is not a client-to-server"):
        server.receive_data(encode_frame(MESSAGES.to_client.encode(Welcome(1, 60, 3, 0))), 0.0)
    client = client_end()
    client.receive_data(encode_frame(MESSAGES.to_client.encode(Welcome(1, 60, 3, 0))), now=0.0)
    with pytest.raises(ProtocolError, match=r"Ping \(0x02\) is not a server-to-client"):
        client.receive_data(encode_frame(MESSAGES.to_server.encode(Ping(1))), now=0.0)
    with pytest.raises(TypeError, match="Welcome is not a client-to-server message"):
        client_end().send(Welcome(1, 60, 3, 0))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_only_ever_raise_protocol_error(data):
    server = server_end()
    try:
        server.receive_data(data, now=0.0)
    except ProtocolError:
        assert server.failed


def test_oversize_length_is_refused_from_the_header():
    server = server_end()
    with pytest.raises(ProtocolError):
        server.receive_data((10**6).to_bytes(4, "big"), now=0.0)


def test_check_hello_accepts_a_good_client_and_names_each_problem():
    ok = dict(schema=1, mods=(), full=False)
    assert check_hello(hello(), **ok) is None
    assert check_hello(Hello(1, PROTOCOL_VERSION, "a", 1, ()), **ok).reason is RejectReason.PROTOCOL
    assert check_hello(Hello(MAGIC, 99, "a", 1, ()), **ok).reason is RejectReason.VERSION
    assert check_hello(hello("   "), **ok).reason is RejectReason.BAD_NAME
    assert check_hello(hello(), schema=1, mods=(), full=True).reason is RejectReason.FULL
    taken = check_hello(hello("Ann"), **ok, taken_names=["ann"])
    assert taken.reason is RejectReason.BAD_NAME and "already" in taken.detail


def test_schema_mismatch_names_the_mods_that_differ():
    reject = check_hello(
        hello(schema=2, mods=("shield@1", "extra@1")),
        schema=1,
        mods=("shield@2", "tiles@1"),
        full=False,
    )
    assert reject.reason is RejectReason.SCHEMA
    assert "missing mods: tiles@1" in reject.detail
    assert "mods the server does not have: extra@1" in reject.detail
    assert "shield@1 (server shield@2)" in reject.detail


@pytest.mark.parametrize(
    ("name", "problem"),
    [("", "empty"), ("x" * 33, "longer"), (" ann", "spaces"), ("a\x07b", "character")],
)
def test_bad_names(name, problem):
    assert problem in name_problem(name)


def test_schema_hash_depends_on_replicated_components():
    empty = NetSchema()
    with_transform = NetSchema()
    with_transform.components.register(Transform, {"x": Quantized(8, 0, 10)})
    assert empty.hash() != with_transform.hash()
    assert empty.hash() == NetSchema().hash()


@pytest.mark.parametrize(
    ("theirs", "ours", "detail"),
    [
        (
            ("a@1", "b@1"),
            ("a@1", "b@1", "c@2", "d@1"),
            "missing mods: c@2, d@1",
        ),
        (
            ("x@1", "y@3"),
            (),
            "mods the server does not have: x@1, y@3",
        ),
        (
            ("a@1", "b@1"),
            ("a@2", "b@2"),
            "different versions: a@1 (server a@2), b@1 (server b@2)",
        ),
        (
            ("b@1", "z@1"),
            ("a@1", "b@2"),
            "missing mods: a@1; mods the server does not have: z@1; "
            "different versions: b@1 (server b@2)",
        ),
        (
            ("a@1",),
            ("a@1",),
            "the game's data schema differs from the server's; update the game",
        ),
    ],
)
def test_a_schema_mismatch_tells_the_player_which_mods_to_fix(theirs, ours, detail):
    reject = check_hello(hello(schema=2, mods=theirs), schema=1, mods=ours, full=False)
    assert reject == Reject(RejectReason.SCHEMA, detail)


def test_a_schema_mismatch_over_many_mods_still_fits_a_reject():
    ours = tuple(f"mod{i:03}@1" for i in range(40))
    reject = check_hello(hello(schema=2), schema=1, mods=ours, full=False)
    assert reject.detail.startswith("missing mods: mod000@1, mod001@1")
    assert len(reject.detail.encode()) == 255
    assert server_end().sends.encode(reject)  # a Reject's detail is at most 255 bytes


def test_each_handshake_refusal_says_what_to_do():
    ok = dict(schema=1, mods=(), full=False)
    assert check_hello(Hello(1, PROTOCOL_VERSION, "a", 1, ()), **ok) == Reject(
        RejectReason.PROTOCOL, "this is not a Cloudbreak client"
    )
    assert check_hello(Hello(MAGIC, 99, "a", 1, ()), **ok) == Reject(
        RejectReason.VERSION,
        f"protocol version 99 is not the server's {PROTOCOL_VERSION}; update the game",
    )
    assert check_hello(hello("ann"), **ok, taken_names=["bob", "ANN"]) == Reject(
        RejectReason.BAD_NAME, "the name 'ann' is already playing"
    )
    assert check_hello(hello("ann"), schema=1, mods=(), full=True) == Reject(
        RejectReason.FULL, "the server is full"
    )
    # A bad name is named before a full server: the player can fix that one.
    assert check_hello(hello(""), schema=1, mods=(), full=True).reason is RejectReason.BAD_NAME


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "the player name is empty"),
        ("   ", "the player name is empty"),
        ("x" * 33, "the player name is longer than 32 bytes"),
        ("é" * 17, "the player name is longer than 32 bytes"),
        (" ann", "the player name starts or ends with spaces"),
        ("ann ", "the player name starts or ends with spaces"),
        ("a\x07b", "the player name contains the character '\\x07'"),
        ("a\u200bb", "the player name contains the character '\\u200b'"),
        ("a\tb", "the player name contains the character '\\t'"),
    ],
)
def test_a_bad_player_name_is_explained(name, problem):
    assert name_problem(name) == problem


@pytest.mark.parametrize("name", ["x" * 32, "é" * 16, "Ann Lee", "日本", "a"])
def test_printable_names_up_to_32_bytes_are_fine(name):
    assert name_problem(name) is None
