"""`safetynet rules …` on a SQLite database: import, activate (audited), list, show, and a
replay whose --json is the comparison; refusals exit 2 with the reason on stderr."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from safetynet.cli import main as cli
from safetynet.screening.domain import SHIPPED_DOCUMENTS


def safetynet(*argv: str) -> int:
    with pytest.raises(SystemExit) as done:
        cli.main(list(argv))
    return int(done.value.code or 0)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite")
    monkeypatch.chdir(tmp_path)
    assert safetynet("migrate", "--service", "screening") == 0
    return tmp_path


def candidate(folder: Path, **risk: Any) -> Path:
    document = copy.deepcopy(SHIPPED_DOCUMENTS["v1.0.0"].model_dump(mode="json"))
    document["version"] = "v1.0.0-tipvda10"
    document["risk"].update(risk)
    path = folder / "candidate.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_import_activate_list_and_show(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = candidate(database, tipvda_red=10)
    assert safetynet("rules", "import", str(path), "--by", "陳督導") == 0
    assert safetynet("rules", "activate", "v1.0.0-tipvda10", "--by", "陳督導", "--note", "試行") == 0
    capsys.readouterr()
    assert safetynet("rules", "list") == 0
    listing = capsys.readouterr().out
    assert "* v1.0.0-tipvda10" in listing and "active: v1.0.0-tipvda10" in listing
    assert "陳督導: v1.1.0 -> v1.0.0-tipvda10 — 試行" in listing  # from the default, v1.1
    assert safetynet("rules", "show", "v1.0.0-tipvda10") == 0
    assert json.loads(capsys.readouterr().out)["risk"]["tipvda_red"] == 10


def test_v1_1_is_the_default_and_v1_stays_selectable(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert safetynet("rules", "list") == 0
    listing = capsys.readouterr().out
    assert "active: v1.1.0" in listing and "* v1.1.0" in listing and "v1.0.0" in listing
    assert safetynet("rules", "activate", "v1.0.0", "--by", "陳督導", "--note", "回到 v1") == 0
    capsys.readouterr()
    assert safetynet("rules", "list") == 0
    listing = capsys.readouterr().out
    assert "active: v1.0.0" in listing and "陳督導: v1.1.0 -> v1.0.0 — 回到 v1" in listing
    assert safetynet("rules", "show", "v1.1") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["version"], shown["model"], set(shown["v1_1"].values())) == ("v1.1.0", "v1.1", {True})


def test_refusals_exit_2_naming_the_reason(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert safetynet("rules", "activate", "v9", "--by", "x") == 2
    assert "unknown rule version 'v9'" in capsys.readouterr().err
    bad = candidate(database, tipvda_red="10")
    assert safetynet("rules", "replay", "--candidate", str(bad), "--from", "2026-11-01", "--to", "2026-11-30") == 2
    assert "risk.tipvda_red" in capsys.readouterr().err
    assert safetynet("rules", "replay", "--candidate", "nope.json", "--from", "2026-11-01", "--to", "2026-11-30") == 2
    assert "cannot read nope.json" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["rules", "replay", "--candidate", "x", "--from", "2026-13-01", "--to", "2026-11-30"])
    assert "is not a date" in capsys.readouterr().err


def test_a_replay_over_an_empty_history_reports_nothing_changed(database: Path, capsys) -> None:
    path = candidate(database, tipvda_red=10)
    args = ("rules", "replay", "--candidate", str(path), "--from", "2026-11-01", "--to", "2026-11-30")
    assert safetynet(*args, "--county", "南投縣", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["candidate"], result["county"], result["reports"], result["changed"]["reports"]) == (
        "v1.0.0-tipvda10",
        "南投縣",
        0,
        0,
    )
    assert result["changed"]["reasons"] == 0 and result["changes"] == []
    assert safetynet(*args) == 0
    out = capsys.readouterr().out
    assert "0 reports" in out and "reasons changed:     0 reports (none)" in out
