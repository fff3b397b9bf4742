"""The monthly high-danger list for the network meeting (家暴高危機網絡會議): the month's
reports with TIPVDA 8 or more (safetynet.policy.tipvda), names included, as JSON rows or
a CSV that a spreadsheet cannot take for formulas. No I/O."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from safetynet.contracts.report import TAIPEI
from safetynet.intake.domain.reports import Submission
from safetynet.intake.domain.views import Referral
from safetynet.policy import referral_lifecycle as lifecycle
from safetynet.policy import tipvda

HIGH_DANGER_TIPVDA = tipvda.HIGH_DANGER


@dataclass(frozen=True)
class MonthReport:
    """A report of the month, as the high-danger list reads it (its names opened only if listed)."""

    report_id: str
    received_at: datetime
    township: str
    categories: list[str]
    submission: Submission
    risk_level: str | None  # None: no view yet
    status: str | None
    referrals: list[Referral]


HIGH_DANGER_COLUMNS = (
    "report_id",
    "received_at",
    "township",
    "categories",
    "tipvda_score",
    "risk_level",
    "status",
    "referral_units",
    "subjects",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Named(TypedDict):
    role: str | None
    name: str | None  # None once retention purged it


class HighDangerRow(TypedDict):
    report_id: str
    received_at: str  # Taipei time
    township: str
    categories: list[str]
    tipvda_score: int
    risk_level: str | None
    status: str | None
    referral_units: list[str]
    subjects: list[Named]


def tipvda_score(submission: Submission) -> int | None:
    score = (submission.get("indicators") or {}).get("tipvda_score")
    return score if isinstance(score, int) and not isinstance(score, bool) else None


def high_danger_row(
    *,
    report_id: str,
    received_at: datetime,
    township: str,
    categories: list[str],
    submission: Submission,
    risk_level: str | None,
    status: str | None,
    referrals: list[Referral],
) -> HighDangerRow | None:
    """The meeting's row for a report with TIPVDA 8 or more, else None. Referral units are
    the units holding live referrals (not rejected or reassigned), in order, once each."""
    score = tipvda_score(submission)
    if score is None or not tipvda.is_high_danger(score):
        return None
    units = [r["unit"] for r in referrals if r.get("status") not in lifecycle.ENDED]
    return {
        "report_id": report_id,
        "received_at": received_at.astimezone(TAIPEI).isoformat(),
        "township": township,
        "categories": list(categories),
        "tipvda_score": score,
        "risk_level": risk_level,
        "status": status,
        "referral_units": list(dict.fromkeys(units)),
        "subjects": [{"role": s.get("role"), "name": s.get("name")} for s in submission.get("subjects", [])],
    }


def sort_rows(rows: Iterable[HighDangerRow]) -> list[HighDangerRow]:
    return sorted(rows, key=lambda r: (datetime.fromisoformat(r["received_at"]), r["report_id"]))


def _cell(value: object) -> str:
    """Text for one CSV cell; a leading formula character is quoted so a spreadsheet shows
    it instead of evaluating partner-supplied text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_table(rows: Iterable[HighDangerRow]) -> list[list[str]]:
    """Header and rows, in HIGH_DANGER_COLUMNS order; lists joined with '; ', subjects as role:name."""
    table = [list(HIGH_DANGER_COLUMNS)]
    for r in rows:
        subjects = "; ".join((s["role"] or "") + (f":{s['name']}" if s["name"] else "") for s in r["subjects"])
        values: dict[str, object] = {
            **r,
            "categories": "; ".join(r["categories"]),
            "referral_units": "; ".join(r["referral_units"]),
            "subjects": subjects,
        }
        table.append([_cell(values[c]) for c in HIGH_DANGER_COLUMNS])
    return table
