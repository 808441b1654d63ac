"""Command-line addresses and numbers: what a server operator types, and the one-line reason
every Cloudbreak program gives when it is wrong."""

from __future__ import annotations

import argparse

import pytest

from engine.cli import address, number, parse_address

# -- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default_port", "expected"),
    [
        ("127.0.0.1:5000", None, ("127.0.0.1", 5000)),
        ("example.org:1", None, ("example.org", 1)),
        ("example.org", 7000, ("example.org", 7000)),
        ("[::1]:65535", None, ("::1", 65535)),
        ("[::1]", 7000, ("::1", 7000)),
        ("fe80::1", 7000, ("fe80::1", 7000)),
        ("\t host:9 \n", None, ("host", 9)),
        ("XBOX-1.example:80", None, ("XBOX-1.example", 80)),
    ],
)
def test_an_address_gives_its_host_and_port(text, default_port, expected):
    assert parse_address(text, default_port) == expected


@pytest.mark.parametrize(
    ("text", "default_port", "message"),
    [
        ("", None, "the address is empty (expected host:port)"),
        ("  ", 5000, "the address is empty (expected host or host:port)"),
        ("host", None, "bad address 'host': must be HOST:PORT"),
        ("[::1]", None, "bad address '[::1]': must be HOST:PORT"),
        ("::1", None, "bad address '::1': must be HOST:PORT"),
        ("[::1", None, "bad address '[::1': missing ']' after the IPv6 address"),
        ("[::1]]:5", None, "bad address '[::1]]:5': expected ':port' after ']'"),
        ("[x]:5", None, "bad address '[x]:5': 'x' is not an IPv6 address"),
        ("[::1]:x", None, "bad address '[::1]:x': the port must be a number, got 'x'"),
        ("[::1]:0", None, "bad address '[::1]:0': the port must be between 1 and 65535, got 0"),
        ("1:2:x", None, "bad address '1:2:x': write IPv6 addresses with a port as [addr]:port"),
        (":80", None, "bad address ':80': the host is missing"),
        ("a/b:80", None, "bad address 'a/b:80': 'a/b' is not a host name"),
        ("a@b:80", None, "bad address 'a@b:80': 'a@b' is not a host name"),
        ("a?b:80", None, "bad address 'a?b:80': 'a?b' is not a host name"),
        ("a#b:80", None, "bad address 'a#b:80': 'a#b' is not a host name"),
        ("a b:80", None, "bad address 'a b:80': 'a b' is not a host name"),
        ("h:65536", None, "bad address 'h:65536': the port must be between 1 and 65535, got 65536"),
        ("h:²", None, "bad address 'h:²': the port must be a number, got '²'"),
    ],
)
def test_a_bad_address_is_refused_with_a_one_line_reason(text, default_port, message):
    with pytest.raises(ValueError) as caught:
        parse_address(text, default_port)
    assert str(caught.value) == message


def test_port_zero_is_accepted_only_where_the_program_allows_it():
    """A relay may listen on port 0 (any free port); a client must name a real one."""
    assert parse_address("127.0.0.1:0", lowest_port=0) == ("127.0.0.1", 0)
    assert parse_address("[::1]:0", lowest_port=0) == ("::1", 0)
    with pytest.raises(ValueError, match="between 1 and 65535, got 0"):
        parse_address("127.0.0.1:0")
    with pytest.raises(ValueError, match="between 1024 and 65535, got 80"):
        parse_address("h:80", lowest_port=1024)
    assert parse_address("h:1024", lowest_port=1024) == ("h", 1024)


def test_the_address_type_gives_argparse_the_reason_and_the_value():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", type=address(5000))
    parser.add_argument("--listen", type=address(lowest_port=0))
    args = parser.parse_args(["--connect", "example.org", "--listen", "[::1]:0"])
    assert args.connect == ("example.org", 5000)
    assert args.listen == ("::1", 0)
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        address()("example.org")
    assert str(caught.value) == "bad address 'example.org': must be HOST:PORT"
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        address(5000)("h:0")
    assert str(caught.value) == "bad address 'h:0': the port must be between 1 and 65535, got 0"


# -- numbers --------------------------------------------------------------------------------


def test_a_number_within_its_bounds_is_read_as_its_kind():
    assert number()("2.5") == 2.5
    assert number(int, low=1, high=16)("16") == 16
    assert isinstance(number(int)("3"), int)
    assert number(low=0)("0") == 0.0
    assert number(int, low=1, high=65535)("1") == 1
    assert number(above=0)("0.001") == 0.001
    assert number(low=0, high=1)("1") == 1.0


@pytest.mark.parametrize(
    ("make", "text", "message"),
    [
        (lambda: number(), "fast", "must be a number, got 'fast'"),
        (lambda: number(int), "2.5", "must be a whole number, got '2.5'"),
        (lambda: number(), "nan", "must be a finite number, got 'nan'"),
        (lambda: number(), "inf", "must be a finite number, got 'inf'"),
        (lambda: number(int, low=1, high=16), "17", "must be between 1 and 16, got 17"),
        (lambda: number(int, low=1, high=16), "0", "must be between 1 and 16, got 0"),
        (lambda: number(low=0, high=0.5), "0.75", "must be between 0 and 0.5, got 0.75"),
        (lambda: number(low=0), "-1", "must not be negative, got -1"),
        (lambda: number(low=2.5), "2", "must be at least 2.5, got 2"),
        (lambda: number(above=0), "0", "must be more than 0, got 0"),
        (lambda: number(above=1.5), "-3", "must be more than 1.5, got -3"),
    ],
)
def test_a_bad_number_is_refused_with_a_one_line_reason(make, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        make()(text)
    assert str(caught.value) == message
