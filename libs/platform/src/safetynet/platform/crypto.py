"""Envelope encryption for personal data at rest: AES-256-GCM with a key ring.

Each record gets its own random data key. The data key encrypts the record; the
ring's active key-encryption key (KEK) wraps the data key. A sealed record keeps the
KEK's id, the wrapped data key, the nonce and the ciphertext. Both layers bind a
caller-given context (for example the report id) as associated data, so a sealed
record opens only where it was sealed: moved to another row, it fails.

The ring is configuration (SAFETYNET_KEY_RING): "id1:base64key,id2:base64key", 32-byte
keys, the newest (active) last. Old keys stay in the ring until every record has been
sealed again under the active one, so readers keep working during a rotation.

Anything that does not open (an unknown key id, a wrong key, a changed byte, another
context) raises DecryptionError: never a silent empty value.
"""

import base64
import binascii
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_LABEL = b"safetynet/kek-wrap/v1\x00"
_DATA_LABEL = b"safetynet/record/v1\x00"
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

# Only for the embedded mode's first run; Settings.require_production refuses it.
DEV_KEY = b"dev-only-key-ring-key-change-me!"
DEV_KEY_RING = "dev:" + base64.b64encode(DEV_KEY).decode()


class DecryptionError(Exception):
    """A sealed record did not open: unknown key id, wrong key, tampering or wrong context."""


@dataclass(frozen=True)
class Sealed:
    key_id: str  # the KEK that wrapped the data key
    wrapped_key: bytes  # wrap nonce (12) + AES-GCM(KEK, data key) with its tag
    nonce: bytes  # the data nonce (12)
    ciphertext: bytes  # AES-GCM(data key, plaintext) with its tag


class KeyRing:
    """Key-encryption keys by id; the last one seals, every one opens."""

    def __init__(self, keys: list[tuple[str, bytes]]):
        if not keys:
            raise ValueError("the key ring is empty")
        ids = [key_id for key_id, _ in keys]
        if len(set(ids)) != len(ids):
            raise ValueError("the key ring names a key id twice")
        for key_id, key in keys:
            if not _KEY_ID.match(key_id):
                raise ValueError("a key id is 1-64 letters, digits, '.', '_' or '-'")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} is not {KEY_BYTES} bytes")
        self._keys = dict(keys)
        self.active_id = ids[-1]

    @classmethod
    def parse(cls, text: str) -> "KeyRing":
        """'id1:base64key,id2:base64key', newest last. Errors never quote a key."""
        keys = []
        for entry in (part.strip() for part in text.split(",")):
            if not entry:
                continue
            key_id, colon, encoded = entry.partition(":")
            if not colon:
                raise ValueError("each key ring entry is id:base64key")
            try:
                key = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(f"key {key_id.strip()!r} is not valid base64") from None
            keys.append((key_id.strip(), key))
        return cls(keys)

    @property
    def ids(self) -> list[str]:
        return list(self._keys)

    def holds(self, key: bytes) -> bool:
        return key in self._keys.values()

    def seal(self, plaintext: bytes, *, context: bytes) -> Sealed:
        """Encrypt under a fresh data key, wrapped by the active KEK."""
        data_key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, _DATA_LABEL + context)
        wrap_nonce = os.urandom(NONCE_BYTES)
        kek = AESGCM(self._keys[self.active_id])
        wrapped = wrap_nonce + kek.encrypt(wrap_nonce, data_key, self._wrap_aad(self.active_id, context))
        return Sealed(key_id=self.active_id, wrapped_key=wrapped, nonce=nonce, ciphertext=ciphertext)

    def open(self, sealed: Sealed, *, context: bytes) -> bytes:
        """The plaintext, or DecryptionError."""
        kek = self._keys.get(sealed.key_id)
        if kek is None:
            raise DecryptionError(f"key {sealed.key_id!r} is not in the key ring (SAFETYNET_KEY_RING)")
        wrap_nonce, wrapped = sealed.wrapped_key[:NONCE_BYTES], sealed.wrapped_key[NONCE_BYTES:]
        try:
            data_key = AESGCM(kek).decrypt(wrap_nonce, wrapped, self._wrap_aad(sealed.key_id, context))
            return AESGCM(data_key).decrypt(sealed.nonce, sealed.ciphertext, _DATA_LABEL + context)
        except (InvalidTag, ValueError):
            raise DecryptionError(
                f"a record sealed under key {sealed.key_id!r} does not open: "
                "wrong key, changed data or another record's context"
            ) from None

    @staticmethod
    def _wrap_aad(key_id: str, context: bytes) -> bytes:
        return _WRAP_LABEL + key_id.encode() + b"\x00" + context

    def __repr__(self) -> str:  # never the keys
        return f"KeyRing(ids={self.ids!r}, active={self.active_id!r})"


def new_key() -> str:
    """A fresh random key, base64, for a ring entry."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()
