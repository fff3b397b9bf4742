"""The settings base: what every service reads, and the one production check they share."""

import pytest
from pydantic import ValidationError

from safetynet.platform.settings import CountyDataFolder, PlatformSettings


def test_pasted_database_urls_get_the_async_driver() -> None:
    assert PlatformSettings(database_url="postgres://u:p@db/x").database_url == "postgresql+asyncpg://u:p@db/x"
    assert PlatformSettings(database_url="postgresql://u:p@db/x").database_url == "postgresql+asyncpg://u:p@db/x"
    assert PlatformSettings(database_url="sqlite:///var/a.db").database_url == "sqlite+aiosqlite:///var/a.db"


def test_a_bad_database_url_is_refused_without_printing_its_password() -> None:
    with pytest.raises(ValidationError) as refused:
        PlatformSettings(database_url="mysql://u:hunter2-secret@db/x")
    assert "hunter2-secret" not in str(refused.value)


def test_production_needs_kafka_and_no_secret() -> None:
    # screening, routing and notify hold no secret: the base asks for the broker only.
    PlatformSettings(kafka_bootstrap="kafka:9092").require_production()
    with pytest.raises(ValueError, match="SAFETYNET_KAFKA_BOOTSTRAP"):
        PlatformSettings(kafka_bootstrap=None).require_production()


def test_variables_come_from_the_environment_with_the_safetynet_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYNET_KAFKA_PARTITIONS", "6")
    monkeypatch.setenv("SAFETYNET_SMTP_URL", "smtp://relay")  # another service's: ignored here
    settings = PlatformSettings()
    assert settings.kafka_partitions == 6 and not hasattr(settings, "smtp_url")


class _CountyReader(PlatformSettings):
    county_data: CountyDataFolder = None


def test_county_data_must_be_a_folder(tmp_path) -> None:
    assert _CountyReader(county_data=tmp_path).county_data == tmp_path
    with pytest.raises(ValidationError, match="not a folder of county files"):
        _CountyReader(county_data=tmp_path / "missing")
