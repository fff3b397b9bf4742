"""Each service requires only the secrets it uses; the console has a secret of its own,
rotatable; every HMAC key is at least 32 bytes (issue 11, item 4)."""

import pytest
from pydantic import ValidationError

from safetynet.contracts.settings import Settings

STRONG = "0123456789abcdef0123456789abcdef"  # 32 bytes
INTAKE = {"kafka_bootstrap": "kafka:9092", "subject_hash_key": "s" + STRONG, "console_secret": "c" + STRONG,
          "audit_key": "a" + STRONG, "key_ring": "k1:" + "A" * 43 + "="}


def test_the_other_services_need_none_of_intakes_secrets() -> None:
    # screening, routing and notify start on the development defaults of every intake secret
    Settings(kafka_bootstrap="kafka:9092").require_production(personal_data=False)


@pytest.mark.parametrize("missing, variable", [("subject_hash_key", "SAFETYNET_SUBJECT_HASH_KEY"),
                                               ("console_secret", "SAFETYNET_CONSOLE_SECRET"),
                                               ("audit_key", "SAFETYNET_AUDIT_KEY")])
def test_intake_refuses_each_development_secret(missing: str, variable: str) -> None:
    Settings(**INTAKE).require_production()
    settings = {k: v for k, v in INTAKE.items() if k != missing}
    with pytest.raises(ValueError, match=variable):
        Settings(**settings).require_production()


@pytest.mark.parametrize("field", ["subject_hash_key", "audit_key", "console_secret"])
def test_a_key_under_32_bytes_is_refused_without_quoting_it(field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{field: STRONG[:-1]})
    assert "32 bytes" in str(refused.value) and STRONG[:-1] not in str(refused.value)
    Settings(**{field: STRONG})


def test_the_console_secret_is_its_own_and_rotates() -> None:
    settings = Settings(subject_hash_key="s" + STRONG, console_secret=f"new{STRONG},old{STRONG}")
    assert settings.console_secrets() == [f"new{STRONG}".encode(), f"old{STRONG}".encode()]
    assert settings.subject_hash_key.get_secret_value().encode() not in settings.console_secrets()
    with pytest.raises(ValidationError):
        Settings(console_secret=f"new{STRONG},short")
