"""Mental-health acceptance per BSRS-5 band (decision model v1.1, rule 3): the learning
KPIs group `mental_health` referrals by their report's band, every band listed."""

from datetime import UTC, datetime, timedelta

from safetynet.intake.domain.outcome_kpis import compute
from safetynet.intake.domain.referral_outcomes import ReferralOutcome, ReportFacts, SnapshotReferral, merge
from safetynet.policy import bsrs5

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
SMI = "DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS"


def referral(n: int, band: str | None, outcome: str | None, *, kind: str = "mental_health", codes=(SMI,)):
    return ReferralOutcome(
        referral_id=f"ref-{n}",
        report_id=f"r-{n}",
        county="新竹市",
        received_at=T0,
        agency_type="hospital",
        kind=kind,
        unit=f"新竹市/{kind}",
        status="closed" if outcome else "assigned",
        reason_codes=codes,
        assigned_at=T0,
        closed_at=T0 + timedelta(days=3) if outcome else None,
        outcome=outcome,
        bsrs5_band=band,
    )


def test_acceptance_is_grouped_by_band_with_every_band_listed() -> None:
    rows = [
        referral(1, "severe", "opened", codes=("BSRS5_SEVERE",)),
        referral(2, "severe", "opened", codes=("BSRS5_SEVERE", SMI)),
        referral(3, "moderate", "not_opened", codes=("BSRS5_MODERATE",)),
        referral(4, "normal", "not_opened"),
        referral(5, "normal", "not_opened"),
        referral(6, "normal", "opened"),
        referral(7, "normal", None),  # still open: in no rate
        referral(8, None, "opened"),  # no score
        referral(
            9, "severe", "not_opened", kind="protection", codes=("DEST_PROTECTION_CATEGORY",)
        ),  # not mental health
    ]
    by_band = compute(rows)["mental_health_acceptance_by_bsrs5_band"]

    assert list(by_band) == ["normal", "mild", "moderate", "severe", "not_screened"]
    pairs = {
        band: (
            (f["mental_health"]["numerator"], f["mental_health"]["denominator"]),
            (f["suspected_mental_illness"]["numerator"], f["suspected_mental_illness"]["denominator"]),
        )
        for band, f in by_band.items()
    }
    assert pairs == {
        "normal": ((1, 3), (1, 3)),
        "mild": ((0, 0), (0, 0)),
        "moderate": ((0, 1), (0, 0)),
        "severe": ((2, 2), (1, 1)),
        "not_screened": ((1, 1), (1, 1)),
    }
    assert by_band["mild"]["mental_health"]["rate"] is None


def test_a_referrals_record_keeps_its_reports_band() -> None:
    facts = ReportFacts(report_id="r-1", county="新竹市", received_at=T0, agency_type="hospital", bsrs5_band="mild")
    seen = SnapshotReferral("ref-1", "mental_health", "新竹市/mental_health", "assigned", T0, T0)
    record = merge(None, seen, report=facts, decision_codes=[SMI])
    assert record.bsrs5_band == "mild"
    closed = SnapshotReferral("ref-1", "mental_health", "新竹市/mental_health", "closed", T0, T0, outcome="opened")
    assert merge(record, closed, report=facts, decision_codes=[SMI]).bsrs5_band == "mild"


def test_bands_and_the_stored_score_are_read_as_the_scale_says() -> None:
    assert [bsrs5.band(t) for t in (0, 5, 6, 9, 10, 14, 15, 20)] == [
        "normal",
        "normal",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]
    assert bsrs5.band_of_indicators({"bsrs5": {"items": [4, 4, 4, 3, 0], "suicide": 1}}) == "severe"
    assert bsrs5.band_of_indicators({"weapon": True}) is None and bsrs5.band_of_indicators(None) is None
