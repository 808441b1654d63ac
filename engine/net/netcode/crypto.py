"""Thin wrappers over libsodium's AEADs (PyNaCl), so the rest of the package never handles
`CryptoError` or nonce layout itself.

Every packet is encrypted once and decrypted once, so the packet AEAD calls libsodium
through PyNaCl's cffi library directly: PyNaCl's Python-level argument checks cost about
two thirds of each call (measured: 15 µs against 4.6 µs per encrypt + decrypt of 200 bytes).
The sizes those checks guard are checked here, once, more cheaply.
"""

from __future__ import annotations

import os

from nacl import bindings
from nacl._sodium import ffi, lib  # PyNaCl's own cffi binding of libsodium
from nacl.exceptions import CryptoError

from engine.net.netcode.constants import KEY_BYTES, UINT64_MAX


def new_key() -> bytes:
    """A fresh random 32-byte key (private keys, per-token keys, the server's challenge key)."""
    return os.urandom(KEY_BYTES)


def sequence_nonce(sequence: int) -> bytes:
    """The 96-bit nonce of packets and challenge tokens: four zero bytes, then the sequence as a
    little-endian u64 (IMPLEMENTERS.md erratum: the order most likely to be built backwards)."""
    if not 0 <= sequence <= UINT64_MAX:
        raise ValueError(f"sequence {sequence} outside u64")
    return b"\x00\x00\x00\x00" + sequence.to_bytes(8, "little")


_MAC = 16
_NONCE = 12


def encrypt(plaintext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes:
    """ChaCha20-Poly1305 (IETF, 12-byte nonce): ciphertext followed by the 16-byte MAC."""
    if len(key) != KEY_BYTES or len(nonce) != _NONCE:
        raise ValueError("a ChaCha20-Poly1305 key is 32 bytes and its nonce 12")
    size = len(plaintext) + _MAC  # always: libsodium need not report it (NULL length)
    out = ffi.new("unsigned char[]", size)
    extra = aad if aad is not None else ffi.NULL
    extra_len = len(aad) if aad is not None else 0
    lib.crypto_aead_chacha20poly1305_ietf_encrypt(
        out, ffi.NULL, plaintext, len(plaintext), extra, extra_len, ffi.NULL, nonce, key
    )
    return ffi.buffer(out, size)[:]


def decrypt(ciphertext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes | None:
    """The plaintext, or None when the MAC does not verify (tampered, wrong key or nonce)."""
    if len(key) != KEY_BYTES or len(nonce) != _NONCE or len(ciphertext) < _MAC:
        return None
    size = len(ciphertext) - _MAC
    out = ffi.new("unsigned char[]", max(1, size))
    extra = aad if aad is not None else ffi.NULL
    extra_len = len(aad) if aad is not None else 0
    failed = lib.crypto_aead_chacha20poly1305_ietf_decrypt(
        out, ffi.NULL, ffi.NULL, ciphertext, len(ciphertext), extra, extra_len, nonce, key
    )
    if failed:
        return None
    return ffi.buffer(out, size)[:]


def encrypt_x(plaintext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes:
    """XChaCha20-Poly1305 (24-byte random nonce): for the private connect token."""
    return bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def decrypt_x(ciphertext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes | None:
    """The private connect token plaintext, or None when it does not verify."""
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)
    except CryptoError:
        return None
