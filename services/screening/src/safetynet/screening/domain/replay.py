"""What-if replay: re-decide stored reports under a candidate version and compare.

Pure: the caller loads the stored inputs, the decisions recorded for them and the
referrals' outcomes; this decides each input again under the candidate and counts the
differences. Nothing is written anywhere, so a replay can never touch live data.

Compared like with like: the recorded decision's recommendation against the
candidate's recommendation (dispatcher overrides and routing's re-report rule are
applied after screening, to either). Outcomes are matched by destination kind: the
candidate would not have sent a referral when it recommends no destination of that
referral's kind (a kind resolves to the same unit under any version, the county
directory being the same).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from safetynet.contracts.report import TAIPEI

from .model import Decision, ScreeningInput, UnitDirectory
from .rules import decide
from .ruleset import RuleSet

# Referral results that count as "the unit did not open it".
NOT_OPENED = frozenset({"not_opened", "rejected"})


@dataclass(frozen=True)
class RecordedDecision:
    rule_version: str
    risk_level: str
    direct_dispatch: bool
    destinations: tuple[tuple[str, str | None], ...]  # (kind, unit), as recommended
    reason_codes: tuple[str, ...] = ()  # the codes recorded with it, in order


@dataclass(frozen=True)
class ReferralResult:
    kind: str
    unit: str
    # opened | not_opened | rejected, or None while the referral is still open
    result: str | None


@dataclass(frozen=True)
class ReplayCase:
    report: ScreeningInput
    recorded: RecordedDecision
    referrals: tuple[ReferralResult, ...] = ()


@dataclass(frozen=True)
class WeeklyLoad:
    unit: str
    week: date  # the Monday (Asia/Taipei) of the week the reports were received
    before: int  # referrals recommended by the recorded decisions
    after: int  # referrals the candidate recommends


@dataclass(frozen=True)
class OutcomeComparison:
    """Referrals actually sent whose kind the candidate would not have recommended."""

    not_sent_not_opened: int  # closed as not_opened, or rejected
    not_sent_opened: int
    not_sent_still_open: int
    referrals_with_result: int  # every referral with a result, sent or not by the candidate


@dataclass(frozen=True)
class ReportChange:
    """One report the candidate decides differently, and why: the reason codes it adds
    (conditions that now hold) and removes (that no longer do)."""

    report_id: str
    risk: str | None  # "orange→red" when the light moved
    destinations: bool
    direct_dispatch: bool
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class ReplaySummary:
    candidate_version: str
    reports: int
    recorded_versions: dict[str, int]
    risk_changed: int
    risk_transitions: dict[str, int]  # "orange→red": how many
    destinations_changed: int
    direct_dispatch_changed: int
    changed_report_ids: tuple[str, ...]  # any of the three changed
    weekly_load: tuple[WeeklyLoad, ...]
    outcomes: OutcomeComparison
    # Every report whose decision differs in any way, reasons included (a rule that only
    # adds a reason, such as EARLY_INTERVENTION, changes what happens next), with why.
    changes: tuple[ReportChange, ...] = ()
    reasons_added: dict[str, int] = field(default_factory=dict)  # code: reports that gain it
    reasons_removed: dict[str, int] = field(default_factory=dict)


def week_of(case: ReplayCase) -> date:
    day = case.report.received_at.astimezone(TAIPEI).date()
    return day - timedelta(days=day.weekday())


def _recommended(decision: Decision) -> tuple[tuple[str, str | None], ...]:
    return tuple((d.kind, d.unit) for d in decision.destinations)


def replay(cases: Iterable[ReplayCase], *, candidate: RuleSet, directory: UnitDirectory) -> ReplaySummary:
    reports = 0
    versions: Counter[str] = Counter()
    transitions: Counter[str] = Counter()
    destinations_changed = direct_changed = 0
    changed: list[str] = []
    changes: list[ReportChange] = []
    codes_added: Counter[str] = Counter()
    codes_removed: Counter[str] = Counter()
    load: Counter[tuple[str, date, str]] = Counter()
    results: Counter[str] = Counter()
    with_result = 0

    for case in cases:
        reports += 1
        recorded = case.recorded
        versions[recorded.rule_version] += 1
        decision = decide(case.report, directory=directory, rules=candidate)
        after = _recommended(decision)
        risk_moved = decision.risk_level != recorded.risk_level
        dests_moved = set(after) != set(recorded.destinations)
        direct_moved = decision.direct_dispatch != recorded.direct_dispatch
        if risk_moved:
            transitions[f"{recorded.risk_level}→{decision.risk_level}"] += 1
        destinations_changed += dests_moved
        direct_changed += direct_moved
        if risk_moved or dests_moved or direct_moved:
            changed.append(case.report.report_id)
        added = tuple(code for code in decision.reason_codes if code not in recorded.reason_codes)
        removed = tuple(code for code in recorded.reason_codes if code not in decision.reason_codes)
        if risk_moved or dests_moved or direct_moved or added or removed:
            changes.append(
                ReportChange(
                    report_id=case.report.report_id,
                    risk=f"{recorded.risk_level}→{decision.risk_level}" if risk_moved else None,
                    destinations=dests_moved,
                    direct_dispatch=direct_moved,
                    added=added,
                    removed=removed,
                )
            )
            codes_added.update(added)
            codes_removed.update(removed)

        week = week_of(case)
        for _, unit in recorded.destinations:
            if unit is not None:
                load[(unit, week, "before")] += 1
        for _, unit in after:
            if unit is not None:
                load[(unit, week, "after")] += 1

        kinds_after = {kind for kind, _ in after}
        for referral in case.referrals:
            with_result += referral.result is not None
            if referral.kind in kinds_after:
                continue
            if referral.result is None:
                results["open"] += 1
            elif referral.result in NOT_OPENED:
                results["not_opened"] += 1
            elif referral.result == "opened":
                results["opened"] += 1

    weeks = sorted({(unit, week) for unit, week, _ in load})
    return ReplaySummary(
        candidate_version=candidate.version,
        reports=reports,
        recorded_versions=dict(sorted(versions.items())),
        risk_changed=sum(transitions.values()),
        risk_transitions=dict(sorted(transitions.items())),
        destinations_changed=destinations_changed,
        direct_dispatch_changed=direct_changed,
        changed_report_ids=tuple(changed),
        weekly_load=tuple(
            WeeklyLoad(unit=unit, week=week, before=load[(unit, week, "before")], after=load[(unit, week, "after")])
            for unit, week in weeks
        ),
        outcomes=OutcomeComparison(
            not_sent_not_opened=results["not_opened"],
            not_sent_opened=results["opened"],
            not_sent_still_open=results["open"],
            referrals_with_result=with_result,
        ),
        changes=tuple(changes),
        reasons_added=dict(sorted(codes_added.items())),
        reasons_removed=dict(sorted(codes_removed.items())),
    )
