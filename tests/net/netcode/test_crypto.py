"""The packet AEAD calls libsodium directly: it must agree with PyNaCl's checked bindings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from nacl import bindings

from engine.net.netcode import crypto

keys = st.binary(min_size=32, max_size=32)
nonces = st.binary(min_size=12, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1300), st.one_of(st.none(), st.binary(max_size=40)), nonces, keys)
def test_encrypt_and_decrypt_agree_with_pynacl(plaintext, aad, nonce, key):
    sealed = crypto.encrypt(plaintext, aad, nonce, key)
    assert sealed == bindings.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)
    assert crypto.decrypt(sealed, aad, nonce, key) == plaintext


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=200), nonces, keys, st.integers(0, 10_000))
def test_any_flipped_bit_or_a_wrong_key_fails_to_decrypt(plaintext, nonce, key, where):
    sealed = bytearray(crypto.encrypt(plaintext, b"ad", nonce, key))
    sealed[where % len(sealed)] ^= 1 << (where % 8)
    assert crypto.decrypt(bytes(sealed), b"ad", nonce, key) is None
    good = crypto.encrypt(plaintext, b"ad", nonce, key)
    other_key = bytes(byte ^ 1 for byte in key)
    assert crypto.decrypt(good, b"ad", nonce, other_key) is None
    assert crypto.decrypt(good, b"other", nonce, key) is None


def test_short_or_malformed_input_fails_quietly():
    key, nonce = bytes(32), bytes(12)
    assert crypto.decrypt(b"", None, nonce, key) is None
    assert crypto.decrypt(bytes(15), None, nonce, key) is None
    assert crypto.decrypt(crypto.encrypt(b"x", None, nonce, key), None, bytes(11), key) is None
    assert crypto.decrypt(crypto.encrypt(b"", None, nonce, key), None, nonce, key) == b""
