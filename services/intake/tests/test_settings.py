"""Intake's settings: it alone holds secrets, and requires each (issue 11, item 4): the
console has a secret of its own, rotatable; every HMAC key is at least 32 bytes; the key
ring for personal data is parsed, never shown, and never the development one in production."""

import pytest
from pydantic import ValidationError

from safetynet.intake.settings import IntakeSettings
from safetynet.platform.crypto import DEV_KEY_RING, new_key

KEY_A, KEY_B = new_key(), new_key()

STRONG = "0123456789abcdef0123456789abcdef"  # 32 bytes
INTAKE = {
    "kafka_bootstrap": "kafka:9092",
    "subject_hash_key": "s" + STRONG,
    "console_secret": "c" + STRONG,
    "audit_key": "a" + STRONG,
    "key_ring": "k1:" + "A" * 43 + "=",
}


@pytest.mark.parametrize(
    "missing, variable",
    [
        ("subject_hash_key", "SAFETYNET_SUBJECT_HASH_KEY"),
        ("console_secret", "SAFETYNET_CONSOLE_SECRET"),
        ("audit_key", "SAFETYNET_AUDIT_KEY"),
    ],
)
def test_intake_refuses_each_development_secret(missing: str, variable: str) -> None:
    IntakeSettings(**INTAKE).require_production()
    settings = {k: v for k, v in INTAKE.items() if k != missing}
    with pytest.raises(ValueError, match=variable):
        IntakeSettings(**settings).require_production()


@pytest.mark.parametrize("field", ["subject_hash_key", "audit_key", "console_secret"])
def test_a_key_under_32_bytes_is_refused_without_quoting_it(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        IntakeSettings(**{field: STRONG[:-1]})
    assert "32 bytes" in str(refused.value) and STRONG[:-1] not in str(refused.value)
    IntakeSettings(**{field: STRONG})


def test_the_console_secret_is_its_own_and_rotates() -> None:
    settings = IntakeSettings(subject_hash_key="s" + STRONG, console_secret=f"new{STRONG},old{STRONG}")
    assert settings.console_secrets() == [f"new{STRONG}".encode(), f"old{STRONG}".encode()]
    assert settings.subject_hash_key.get_secret_value().encode() not in settings.console_secrets()
    with pytest.raises(ValidationError):
        IntakeSettings(console_secret=f"new{STRONG},short")


def test_settings_take_the_ring_and_never_show_it() -> None:
    settings = IntakeSettings(key_ring=f"k1:{KEY_A}, k2:{KEY_B}")
    assert settings.key_ring_keys().active_id == "k2"
    assert KEY_A not in repr(settings) and KEY_B not in repr(settings)
    assert KEY_A not in repr(settings.key_ring_keys())
    with pytest.raises(ValidationError) as refused:
        IntakeSettings(key_ring=f"k1:{KEY_A[:-8]}")
    assert KEY_A[:-8] not in str(refused.value)


def test_production_refuses_the_development_ring_where_personal_data_is_kept() -> None:
    base = {
        "subject_hash_key": "a-real-secret-for-the-hash-0123456789",
        "kafka_bootstrap": "kafka:9092",
        "console_secret": "a-real-console-secret-0123456789abcdef",
        "audit_key": "a-real-audit-key-0123456789abcdef",
    }
    with pytest.raises(ValueError, match="SAFETYNET_KEY_RING"):
        IntakeSettings(**base).require_production()
    with pytest.raises(ValueError, match="SAFETYNET_KEY_RING"):
        IntakeSettings(**base, key_ring=f"{DEV_KEY_RING},k2:{KEY_A}").require_production()
    IntakeSettings(**base, key_ring=f"k1:{KEY_A}").require_production()
