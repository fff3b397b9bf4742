"""The learning KPIs' rules, one by one, at their boundaries (domain/outcome_kpis.py), and
how a referral's record follows routing's snapshots in any order (domain/referral_outcomes.py)."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from safetynet.intake.domain import outcome_kpis
from safetynet.intake.domain.outcome_kpis import NO_RULE, compute
from safetynet.intake.domain.referral_outcomes import ReferralOutcome, ReportFacts, SnapshotReferral, merge, status_rank

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
H = timedelta(hours=1)
SMI = "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"
REPORT = ReportFacts(report_id="r-1", county="苗栗縣", received_at=T0, agency_type="police")


def referral(
    kind: str = "protection",
    *,
    unit: str | None = None,
    status: str = "assigned",
    codes: tuple[str, ...] = ("DEST_PROTECTION_CATEGORY",),
    acknowledged_after: timedelta | None = None,
    outcome: str | None = None,
    outcome_reason: str | None = None,
    rejection_reason: str | None = None,
    rejected: bool = False,
    agency_type: str = "police",
) -> ReferralOutcome:
    closed = outcome is not None or status == "closed"
    return ReferralOutcome(
        referral_id=f"ref-{id(object())}",
        report_id="r-1",
        county="苗栗縣",
        received_at=T0,
        agency_type=agency_type,
        kind=kind,
        unit=unit or f"苗栗縣/{kind}",
        status="closed" if closed else status,
        reason_codes=codes,
        assigned_at=T0,
        acknowledged_at=T0 + acknowledged_after if acknowledged_after is not None else None,
        rejected_at=T0 + H if rejected or rejection_reason else None,
        closed_at=T0 + 48 * H if closed else None,
        outcome=outcome,
        outcome_reason=outcome_reason,
        rejection_reason=rejection_reason,
    )


# -- opening rate -----------------------------------------------------------------------------


def test_opening_rate_is_opened_over_closed_with_an_outcome() -> None:
    rows = [
        referral(outcome="opened"),
        referral(outcome="not_opened", outcome_reason="declined"),
        referral(outcome="not_opened", outcome_reason="unreachable"),
        referral(status="closed"),  # closed before the vocabulary: no outcome, in no rate
        referral(status="acknowledged"),  # not closed yet
        referral(status="rejected", rejection_reason="wrong_district"),
    ]
    rate = outcome_kpis.opening_rate(rows)
    assert (rate.numerator, rate.denominator) == (1, 3)
    figures = compute(rows)["overall"]
    assert figures["closed_without_outcome"] == 1
    assert figures["not_opened_reasons"] == {"declined": 1, "unreachable": 1}
    assert figures["in_progress"] == 1


def test_opening_rate_without_closures_is_none_not_zero() -> None:
    rate = outcome_kpis.opening_rate([referral(status="acknowledged")])
    assert (rate.numerator, rate.denominator, rate.rate) == (0, 0, None)


# -- rejection rate -----------------------------------------------------------------------------


def test_rejection_rate_is_rejected_over_referred_and_survives_a_reassignment() -> None:
    rows = [
        referral(status="rejected", rejection_reason="not_our_remit"),
        # rejected, then a dispatcher reassigned it: still a rejection by its unit
        referral(status="reassigned", rejection_reason="wrong_district"),
        referral(unit="苗栗縣/protection-2", status="acknowledged"),  # the successor: referred once more
        referral(status="reassigned"),  # moved before its unit answered: referred, not rejected
        referral(status="rejected"),  # a code never recorded
    ]
    rate = outcome_kpis.rejection_rate(rows)
    assert (rate.numerator, rate.denominator) == (3, 5)
    assert compute(rows)["overall"]["rejection_reasons"] == {"not_our_remit": 1, "unrecorded": 1, "wrong_district": 1}
    assert compute(rows)["overall"]["in_progress"] == 1


# -- time to acknowledge -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_hours", "median_hours"),
    [([], None), ([5], 5), ([1, 9], 5), ([1, 2, 30], 2), ([0, 0, 4, 4], 2)],
)
def test_median_time_to_acknowledge(after_hours: list[int], median_hours: float | None) -> None:
    rows = [referral(acknowledged_after=h * H) for h in after_hours] + [referral()]  # one never acknowledged
    got = outcome_kpis.median_seconds_to_acknowledge(rows)
    assert got == (None if median_hours is None else median_hours * 3600)
    assert compute(rows)["overall"]["acknowledged"] == len(after_hours)


# -- suspected mental illness ---------------------------------------------------------------------


def test_suspected_mental_illness_acceptance_counts_only_mental_health_referrals_of_that_rule() -> None:
    rows = [
        referral("mental_health", codes=(SMI,), outcome="opened"),
        referral(
            "mental_health",
            codes=(SMI, "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE"),
            outcome="not_opened",
            outcome_reason="assessed_no_need",
        ),
        referral("mental_health", codes=(SMI,), status="acknowledged"),  # not closed: not counted yet
        referral("mental_health", codes=("DEST_MENTAL_HEALTH_SUICIDE_RISK",), outcome="opened"),  # another rule
        referral("protection", codes=("DEST_PROTECTION_CATEGORY",), outcome="opened"),
        referral("mental_health", codes=(SMI,), status="rejected", rejection_reason="not_our_remit"),
    ]
    smi = compute(rows)["suspected_mental_illness_acceptance"]
    assert (smi["numerator"], smi["denominator"], smi["rate"]) == (1, 2, 0.5)


# -- the groupings ---------------------------------------------------------------------------------


def test_groups_per_kind_unit_source_and_reason_code() -> None:
    rows = [
        referral("protection", outcome="opened", agency_type="police"),
        referral(
            "protection",
            unit="苗栗縣/protection-2",
            outcome="not_opened",
            outcome_reason="duplicate",
            agency_type="school",
        ),
        referral(
            "mental_health",
            codes=(SMI, "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE"),
            outcome="opened",
            agency_type="police",
        ),
        referral("welfare_center", codes=(), status="assigned", agency_type="hospital"),  # a dispatcher's choice
    ]
    k = compute(rows)
    assert k["referrals"] == 4
    assert list(k["by_kind"]) == ["mental_health", "protection", "welfare_center"]
    assert k["by_kind"]["protection"]["opening"] == {"numerator": 1, "denominator": 2, "rate": 0.5}
    assert k["by_unit"]["苗栗縣/protection-2"]["opening"]["numerator"] == 0
    assert {s: f["referred"] for s, f in k["by_source"].items()} == {"hospital": 1, "police": 2, "school": 1}
    # A referral counts under each code that asked for its kind: the groups overlap.
    assert {c: f["referred"] for c, f in k["by_reason_code"].items()} == {
        "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE": 1,
        SMI: 1,
        "DEST_PROTECTION_CATEGORY": 2,
        NO_RULE: 1,
    }


def test_no_referral_at_all() -> None:
    k = compute([])
    assert k["referrals"] == 0 and k["by_kind"] == {} and k["overall"]["median_seconds_to_acknowledge"] is None
    assert k["suspected_mental_illness_acceptance"]["rate"] is None


# -- following the snapshots ---------------------------------------------------------------------


def snapshot(status: str, at: timedelta, **extra: str | None) -> SnapshotReferral:
    return SnapshotReferral(
        referral_id="ref-1",
        kind="mental_health",
        unit="苗栗縣/mental_health",
        status=status,
        assigned_at=T0,
        updated_at=T0 + at,
        outcome=extra.get("outcome"),
        outcome_reason=extra.get("outcome_reason"),
    )


CODES = ["RED_SUICIDE_ATTEMPT", SMI, "DEST_PROTECTION_CATEGORY"]


def follow(snapshots: list[SnapshotReferral]) -> ReferralOutcome:
    record = None
    for s in snapshots:
        record = merge(record, s, report=REPORT, decision_codes=CODES)
    assert record is not None
    return record


def test_status_rank_follows_the_lifecycle() -> None:
    assert status_rank("assigned") < status_rank("acknowledged") < status_rank("closed")
    assert status_rank("assigned") < status_rank("rejected") < status_rank("reassigned")


def test_a_closed_referral_in_any_order_of_its_snapshots() -> None:
    snapshots = [
        snapshot("assigned", 0 * H),
        snapshot("acknowledged", 2 * H),
        snapshot("closed", 50 * H, outcome="not_opened", outcome_reason="declined"),
    ]
    records = {follow(list(order)) for order in itertools.permutations(snapshots)}
    assert len(records) == 1
    [record] = records
    assert (record.status, record.acknowledged_at, record.closed_at) == ("closed", T0 + 2 * H, T0 + 50 * H)
    assert (record.outcome, record.outcome_reason, record.rejection_reason) == ("not_opened", "declined", None)
    assert record.reason_codes == (SMI,) and record.agency_type == "police"


def test_a_rejected_then_reassigned_referral_in_any_order() -> None:
    snapshots = [
        snapshot("assigned", 0 * H),
        snapshot("rejected", 1 * H, outcome_reason="not_our_remit"),
        snapshot("reassigned", 3 * H, outcome_reason="not_our_remit"),
    ]
    records = {follow(list(order)) for order in itertools.permutations(snapshots)}
    assert len(records) == 1
    [record] = records
    assert (record.status, record.rejected_at, record.rejection_reason) == ("reassigned", T0 + H, "not_our_remit")
    assert record.rejected and record.outcome is None


def test_a_free_text_outcome_from_before_the_vocabulary_is_no_outcome() -> None:
    record = follow([snapshot("closed", 5 * H, outcome="已開案服務")])
    assert record.closed_at == T0 + 5 * H and record.outcome is None
