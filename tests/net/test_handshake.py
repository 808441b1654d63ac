"""The handshake's rules: what a server accepts in a Hello, and what it says otherwise."""

import pytest

from engine.components import Transform
from engine.net.codec import Quantized
from engine.net.handshake import check_hello, name_problem, unique_name
from engine.net.messages import (
    MAGIC,
    PROTOCOL_VERSION,
    Hello,
    MessageRegistry,
    Reject,
    RejectReason,
)
from engine.net.schema import NetSchema


def hello(name="ann", schema=1, mods=()):
    return Hello(MAGIC, PROTOCOL_VERSION, name, schema, mods)


def test_check_hello_accepts_a_good_client_and_names_each_problem():
    ok = dict(schema=1, mods=(), full=False)
    assert check_hello(hello(), **ok) is None
    assert check_hello(Hello(1, PROTOCOL_VERSION, "a", 1, ()), **ok).reason is RejectReason.PROTOCOL
    assert check_hello(Hello(MAGIC, 99, "a", 1, ()), **ok).reason is RejectReason.VERSION
    assert check_hello(hello("   "), **ok).reason is RejectReason.BAD_NAME
    assert check_hello(hello(), schema=1, mods=(), full=True).reason is RejectReason.FULL
    assert unique_name("Ann", ["ann"]) == "Ann 2"  # a taken name is numbered, not refused


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
    assert MessageRegistry().to_client.encode(reject)  # a Reject's detail fits its codec


def test_each_handshake_refusal_says_what_to_do():
    ok = dict(schema=1, mods=(), full=False)
    assert check_hello(Hello(1, PROTOCOL_VERSION, "a", 1, ()), **ok) == Reject(
        RejectReason.PROTOCOL, "this is not a Cloudbreak client"
    )
    assert check_hello(Hello(MAGIC, 99, "a", 1, ()), **ok) == Reject(
        RejectReason.VERSION,
        f"protocol version 99 is not the server's {PROTOCOL_VERSION}; update the game",
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
