"""Thin wrappers over libsodium's AEADs (PyNaCl), so the rest of the package never handles
`CryptoError` or nonce layout itself."""

from __future__ import annotations

import os

from nacl import bindings
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


def encrypt(plaintext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes:
    """ChaCha20-Poly1305 (IETF, 12-byte nonce): ciphertext followed by the 16-byte MAC."""
    return bindings.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def decrypt(ciphertext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes | None:
    """The plaintext, or None when the MAC does not verify (tampered, wrong key or nonce)."""
    try:
        return bindings.crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)
    except CryptoError:
        return None


def encrypt_x(plaintext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes:
    """XChaCha20-Poly1305 (24-byte random nonce): for the private connect token."""
    return bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)


def decrypt_x(ciphertext: bytes, aad: bytes | None, nonce: bytes, key: bytes) -> bytes | None:
    """The private connect token plaintext, or None when it does not verify."""
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)
    except CryptoError:
        return None
