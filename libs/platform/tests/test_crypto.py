"""The key ring and envelope encryption: round trips, rotation, and loud failures."""

import base64
import dataclasses
import os

import pytest

from safetynet.platform.crypto import DecryptionError, KeyRing, Sealed, new_key

KEY_A, KEY_B = new_key(), new_key()
CONTEXT = b"intake_reports/r-1"
SECRET = "陳美玲 A223456781 0912-345-678".encode()


def ring(text: str) -> KeyRing:
    return KeyRing.parse(text)


def flip(data: bytes, at: int = -1) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_sealed_record_opens_and_hides_its_plaintext() -> None:
    sealed = ring(f"a:{KEY_A}").seal(SECRET, context=CONTEXT)
    assert sealed.key_id == "a"
    assert len(sealed.nonce) == 12 and len(sealed.wrapped_key) == 12 + 32 + 16
    assert SECRET not in sealed.ciphertext and "陳美玲".encode() not in sealed.ciphertext
    assert ring(f"a:{KEY_A}").open(sealed, context=CONTEXT) == SECRET


def test_every_record_gets_its_own_data_key_and_nonces() -> None:
    keys = ring(f"a:{KEY_A}")
    one, two = keys.seal(SECRET, context=CONTEXT), keys.seal(SECRET, context=CONTEXT)
    assert one.wrapped_key != two.wrapped_key and one.nonce != two.nonce and one.ciphertext != two.ciphertext


def test_the_newest_key_seals_and_older_ones_still_open() -> None:
    old = ring(f"a:{KEY_A}").seal(SECRET, context=CONTEXT)
    both = ring(f"a:{KEY_A},b:{KEY_B}")
    assert both.active_id == "b" and both.ids == ["a", "b"]
    assert both.open(old, context=CONTEXT) == SECRET
    new = both.seal(SECRET, context=CONTEXT)
    assert new.key_id == "b"
    assert ring(f"b:{KEY_B}").open(new, context=CONTEXT) == SECRET
    with pytest.raises(DecryptionError, match="not in the key ring"):
        ring(f"b:{KEY_B}").open(old, context=CONTEXT)  # A removed before the record was moved


def test_a_wrong_key_under_the_same_id_fails_loudly() -> None:
    sealed = ring(f"a:{KEY_A}").seal(SECRET, context=CONTEXT)
    with pytest.raises(DecryptionError, match="does not open"):
        ring(f"a:{KEY_B}").open(sealed, context=CONTEXT)


@pytest.mark.parametrize("field", ["wrapped_key", "nonce", "ciphertext"])
def test_any_changed_byte_fails_loudly(field: str) -> None:
    keys = ring(f"a:{KEY_A}")
    sealed = keys.seal(SECRET, context=CONTEXT)
    for at in (0, -1):
        tampered = dataclasses.replace(sealed, **{field: flip(getattr(sealed, field), at)})
        with pytest.raises(DecryptionError):
            keys.open(tampered, context=CONTEXT)


def test_a_record_moved_to_another_context_fails() -> None:
    keys = ring(f"a:{KEY_A}")
    sealed = keys.seal(SECRET, context=CONTEXT)
    with pytest.raises(DecryptionError):
        keys.open(sealed, context=b"intake_reports/r-2")


def test_a_relabelled_key_id_fails() -> None:
    keys = ring(f"a:{KEY_A},b:{KEY_A}")  # same bytes, two ids: the id is bound too
    sealed = keys.seal(SECRET, context=CONTEXT)
    with pytest.raises(DecryptionError):
        keys.open(Sealed("a", sealed.wrapped_key, sealed.nonce, sealed.ciphertext), context=CONTEXT)


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("a", "id:base64key"),
        ("a:not base64!", "not valid base64"),
        (f"a:{base64.b64encode(os.urandom(16)).decode()}", "not 32 bytes"),
        (f"a:{KEY_A},a:{KEY_B}", "twice"),
        (f"bad id:{KEY_A}", "key id"),
    ],
)
def test_a_malformed_ring_is_refused_without_quoting_a_key(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        KeyRing.parse(text)
    assert KEY_A not in str(refused.value) and KEY_B not in str(refused.value)
