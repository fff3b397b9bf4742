"""County files' early-intervention contacts (v1.1 rule 4) are checked when the files load:
a malformed one stops the service at start, naming the file and the field."""

import json
from pathlib import Path
from typing import Any

import pytest

from safetynet.platform.counties import PACKAGED_COUNTY_DATA, CountyDirectory


def test_every_packaged_county_designates_a_prosecutor_and_a_police_unit_on_fictional_addresses() -> None:
    directory = CountyDirectory.load()
    for county in directory.counties:
        contacts = directory.early_intervention(county)
        assert contacts is not None, county
        assert {r.role for r in contacts.recipients} == {"prosecutor", "police"}
        addresses = [contacts.center.email] + [a for r in contacts.recipients for a in (r.webhook, r.email) if a]
        assert all(".example.org" in a for a in addresses), addresses


def folder_with(tmp_path: Path, change: Any) -> Path:
    county = json.loads((PACKAGED_COUNTY_DATA / "miaoli.json").read_text("utf-8"))
    change(county["early_intervention"])
    (tmp_path / "miaoli.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    return tmp_path


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(contacts: dict[str, Any]) -> None:
        target = contacts
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(("recipients", 0, "email"), "not-an-address"), "not one e-mail address"),
        (_set(("recipients", 0, "webhook"), "ftp://prosecutor.example.org/x"), "not an https:// URL"),
        (_set(("recipients", 0, "webhook"), "http://prosecutor.example.org/x"), "must use https://"),
        (_set(("center", "email"), "center at example.org"), "not one e-mail address"),
        (_set(("center", "phone"), "call us"), "phone"),
        (_set(("recipients", 1, "email"), None), "needs a webhook, an email or both"),
        (_set(("recipients", 1, "role"), "prosecutor"), "needs a police recipient"),
        (_set(("recipients", 0, "fax"), "+886"), "fax"),
    ],
)
def test_a_malformed_contact_fails_loudly_naming_the_file(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r"miaoli\.json") as raised:
        CountyDirectory.load(folder_with(tmp_path, change))
    assert message in str(raised.value)


def test_a_county_may_designate_nobody_and_loopback_webhooks_may_be_plain_http(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, _set(("recipients", 0, "webhook"), "http://127.0.0.1:8080/hook"))
    assert CountyDirectory.load(folder).early_intervention("苗栗縣") is not None
    county = json.loads((folder / "miaoli.json").read_text("utf-8"))
    del county["early_intervention"]
    (folder / "miaoli.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    assert CountyDirectory.load(folder).early_intervention("苗栗縣") is None
