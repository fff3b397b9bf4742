"""The outcome vocabulary: why a unit closed a referral (and whether it opened a case),
or why it rejected one. DOMAIN.md, "Outcomes and learning".

One table serves the API (validation), routing (the command it applies), the read model
and the learning KPIs (grouping), and the console (the forms' choices and their labels):
a code added here appears everywhere at once, and no service can accept a code another
would not recognise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, get_args

Outcome = Literal["opened", "not_opened"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
OUTCOME_LABELS: Mapping[str, str] = MappingProxyType({"opened": "開案 / Opened", "not_opened": "未開案 / Not opened"})

# The reason that asks for a written note: "other" says nothing by itself.
NOTE_REQUIRED: str = "other"


@dataclass(frozen=True)
class OutcomeReason:
    code: str
    label_zh: str
    label_en: str
    on_close: bool
    on_reject: bool

    @property
    def label(self) -> str:
        return f"{self.label_zh} / {self.label_en}"


_REASONS: tuple[OutcomeReason, ...] = (
    OutcomeReason("assessed_no_need", "評估無需介入", "Assessed, no need", on_close=True, on_reject=False),
    OutcomeReason("already_in_service", "已在服務中", "Already in service", on_close=True, on_reject=True),
    OutcomeReason("referred_elsewhere", "轉介其他資源", "Referred elsewhere", on_close=True, on_reject=False),
    OutcomeReason("unreachable", "聯繫不上／查無此人", "Unreachable", on_close=True, on_reject=False),
    OutcomeReason("declined", "案家拒絕服務", "Family declined", on_close=True, on_reject=False),
    OutcomeReason("not_our_remit", "非本單位業務", "Not our remit", on_close=False, on_reject=True),
    OutcomeReason("wrong_district", "非本轄區", "Wrong district", on_close=False, on_reject=True),
    OutcomeReason(
        "insufficient_information", "通報資訊不足", "Insufficient information", on_close=False, on_reject=True
    ),
    OutcomeReason("duplicate", "重複通報", "Duplicate report", on_close=True, on_reject=True),
    OutcomeReason("other", "其他（須說明）", "Other (explain)", on_close=True, on_reject=True),
)

OUTCOME_REASONS: Mapping[str, OutcomeReason] = MappingProxyType({r.code: r for r in _REASONS})
CLOSE_REASONS: tuple[str, ...] = tuple(r.code for r in _REASONS if r.on_close)
REJECT_REASONS: tuple[str, ...] = tuple(r.code for r in _REASONS if r.on_reject)


def close_problem(*, outcome: str, reason: str | None, note: str | None) -> tuple[str, str] | None:
    """(field, message) of what is wrong with a closing outcome, or None when it is valid.

    `opened` needs no reason (one may be given only from the close list); `not_opened`
    needs one from the close list; `other` needs a note.
    """
    if outcome not in OUTCOMES:
        return "outcome", f"must be one of {', '.join(OUTCOMES)}"
    if reason is None:
        if outcome == "not_opened":
            return "reason", f"is required when the outcome is not_opened: one of {', '.join(CLOSE_REASONS)}"
        return None
    if reason not in CLOSE_REASONS:
        return "reason", f"is not a reason for closing: one of {', '.join(CLOSE_REASONS)}"
    if reason == NOTE_REQUIRED and not (note or "").strip():
        return "note", "is required when the reason is other"
    return None


def reject_problem(*, reason: str, note: str | None) -> tuple[str, str] | None:
    """(field, message) of what is wrong with a rejection's reason, or None when valid."""
    if reason not in REJECT_REASONS:
        return "reason", f"is not a reason for rejecting: one of {', '.join(REJECT_REASONS)}"
    if reason == NOTE_REQUIRED and not (note or "").strip():
        return "note", "is required when the reason is other"
    return None
