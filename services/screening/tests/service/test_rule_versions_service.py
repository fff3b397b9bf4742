"""Rule versions through screening's real handlers and database (SQLite): every decision
keeps its input and version, activation is audited and followed, referral outcomes are
learnt, and a replay over a generated month changes exactly what a hand count says,
writing nothing.

The month is seeded (the same every run) and its facts are kept next to each envelope,
so each expectation is counted here by hand from the generated facts, not by the rules.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from safetynet.contracts.envelope import Envelope
from safetynet.screening import domain
from safetynet.screening.adapters import orm
from safetynet.screening.service_layer import rule_versions

COUNTY = "南投縣"
TOWNSHIP = "南投市"
START = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 2026-11-01 00:00 in Taipei


@dataclass(frozen=True)
class Generated:
    report_id: str
    envelope: Envelope
    categories: tuple[str, ...]
    indicators: dict[str, Any]


def generated_month(*, per_day: int = 6, seed: int = 13) -> list[Generated]:
    rng = random.Random(seed)
    reports = []
    for day in range(30):
        for n in range(per_day):
            report_id = f"m-{day:02d}-{n}"
            received = START + timedelta(days=day, minutes=97 * n + 5)
            categories = rng.choice(
                [("intimate_partner_violence",), ("other_family_violence",), ("vulnerable_family",), ("other",)]
            )
            indicators: dict[str, Any] = {}
            if rng.random() < 0.7:
                indicators["tipvda_score"] = rng.randint(0, 15)
            if rng.random() < 0.15:
                indicators["weapon"] = True
            if rng.random() < 0.1:
                indicators["threat_to_kill"] = True
            injury = rng.choice(["none", "none", "minor", "severe"])
            indicators["injury"] = injury
            if rng.random() < 0.3:
                indicators["suspected_mental_illness"] = True
            if rng.random() < 0.1:
                indicators["suicide_ideation"] = True
            payload = {
                "report_id": report_id,
                "county": COUNTY,
                "township": TOWNSHIP,
                "agency_type": "police",
                "received_at": received.isoformat(),
                "sla_due_at": (received + timedelta(hours=24)).isoformat(),
                "categories": list(categories),
                # Adults only, no IDs: no child rule and no repeat applies, so a hand
                # count needs only the indicators.
                "subjects": [
                    {"role": "victim", "age": 34, "subject_hash": None},
                    {"role": "offender", "age": 36, "subject_hash": None},
                ],
                "household": {},
                "indicators": indicators,
            }
            envelope = Envelope(type="ReportReceived", report_id=report_id, producer="intake", payload=payload)
            reports.append(Generated(report_id, envelope, categories, indicators))
    return reports


def referral_event(
    type_: str, *, report_id: str, referral_id: str, kind: str, unit: str, status: str, **extra: Any
) -> Envelope:
    payload = {
        "report_id": report_id,
        "referral_id": referral_id,
        "county": COUNTY,
        "kind": kind,
        "unit": unit,
        "status": status,
        "urgent": False,
        "at": datetime.now(UTC).isoformat(),
        "actor": "unit",
        **extra,
    }
    return Envelope(type=type_, report_id=report_id, producer="routing", payload=payload)


V1 = "v1.0.0"
V1_1 = "v1.1.0"
MONTH_FROM, MONTH_TO = date(2026, 11, 1), date(2026, 11, 30)
MENTAL_HEALTH = "南投縣/mental_health"


def candidate(version: str, **changes: Any) -> dict[str, Any]:
    """v1's document under another version, with `changes` (dotted keys) applied."""
    document = copy.deepcopy(domain.SHIPPED_DOCUMENTS[V1].model_dump(mode="json"))
    document["version"] = version
    for dotted, value in changes.items():
        *path, last = dotted.split(".")
        target = document
        for key in path:
            target = target[key]
        target[last] = value
    return document


async def rows(engine, table) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.execute(select(table)))


async def every_table(engine) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: sorted(tuple(map(repr, row)) for row in await rows(engine, table))
        for table in orm.metadata.sorted_tables
    }


async def replay(engine, directory, document: dict[str, Any]) -> rule_versions.ReplayRun:
    return await rule_versions.run_replay(
        engine, document, start=MONTH_FROM, end=MONTH_TO, county=COUNTY, directory=directory
    )


async def decide_month(engine, handle) -> list[Generated]:
    """The month decided under v1 (pinned: these tests replay candidates made from v1)."""
    await rule_versions.activate(engine, "v1", by="test", note="the month is decided under v1")
    month = generated_month()
    for report in month:
        await handle(report.envelope)
    return month


async def test_every_decision_keeps_its_input_and_the_version_that_made_it(engine, handle) -> None:
    [report] = generated_month(per_day=1)[:1]
    await handle(report.envelope)
    [row] = await rows(engine, orm.decisions)
    # None was activated: the default, v1.1, decides.
    assert row.rule_version == domain.DEFAULT_VERSION == V1_1 and row.decision["rule_version"] == V1_1
    assert row.input["report_id"] == report.report_id and row.input["indicators"]["injury"]
    assert row.input["subjects"][0] == {
        "role": "victim",
        "age": 34,
        "subject_hash": None,
        "named_in_earlier_report": False,
    }
    assert row.received_at == datetime.fromisoformat(report.envelope.payload["received_at"])


async def test_an_activation_is_audited_and_the_next_decision_follows_it(engine, handle) -> None:
    strict = candidate("v1.0.0-tipvda10", **{"risk.tipvda_red": 10})
    assert await rule_versions.import_document(engine, strict, by="陳督導") == "v1.0.0-tipvda10"
    done = await rule_versions.activate(engine, "v1.0.0-tipvda10", by="陳督導", note="試行")
    assert (done.previous_version, done.version, done.activated_by, done.note) == (
        V1_1,  # the default, none having been activated
        "v1.0.0-tipvda10",
        "陳督導",
        "試行",
    )

    report = generated_month()[0].envelope.model_copy(deep=True)
    report.payload["indicators"] = {"tipvda_score": 9}
    await handle(report)
    [row] = await rows(engine, orm.decisions)
    assert (row.rule_version, row.risk_level) == ("v1.0.0-tipvda10", "orange")

    back = await rule_versions.activate(engine, "v1", by="林主任", note=None)
    assert (back.previous_version, back.version, back.seq) == ("v1.0.0-tipvda10", V1, done.seq + 1)
    listing = await rule_versions.listing(engine)
    assert listing.active == V1
    assert [(a.previous_version, a.version, a.activated_by) for a in listing.activations] == [
        (V1_1, "v1.0.0-tipvda10", "陳督導"),
        ("v1.0.0-tipvda10", V1, "林主任"),
    ]
    assert {(e.version, e.source) for e in listing.versions} == {
        (V1, "shipped"),
        (V1_1, "shipped"),
        ("v1.0.0-tipvda10", "imported"),
    }
    assert listing.default == V1_1


async def test_unknown_versions_and_conflicting_documents_are_refused(engine) -> None:
    with pytest.raises(rule_versions.RuleVersionProblem, match="unknown rule version 'v9'"):
        await rule_versions.activate(engine, "v9", by="x", note=None)
    with pytest.raises(rule_versions.RuleVersionProblem, match="who"):
        await rule_versions.activate(engine, "v1", by="  ", note=None)
    await rule_versions.import_document(engine, candidate("v1.0.1"), by="x")
    await rule_versions.import_document(engine, candidate("v1.0.1"), by="x")  # the same again: fine
    with pytest.raises(rule_versions.RuleVersionProblem, match="already exists"):
        await rule_versions.import_document(engine, candidate("v1.0.1", **{"risk.tipvda_red": 9}), by="x")
    with pytest.raises(rule_versions.RuleVersionProblem, match="already exists"):
        await rule_versions.import_document(engine, candidate(V1, **{"risk.tipvda_red": 9}), by="x")
    with pytest.raises(domain.RuleSetError, match=r"risk\.tipvda_red"):
        await rule_versions.import_document(engine, candidate("v1.0.2", **{"risk.tipvda_red": "9"}), by="x")
    assert await rule_versions.listing(engine) is not None and len(await rows(engine, orm.rule_activations)) == 0


async def test_referral_outcomes_are_learnt_with_or_without_the_outcome_fields(engine, handle) -> None:
    ids = dict(report_id="r-1", kind="mental_health", unit=MENTAL_HEALTH)
    await handle(referral_event("ReferralAssigned", referral_id="f-1", status="assigned", **ids))
    await handle(referral_event("ReferralAcknowledged", referral_id="f-1", status="acknowledged", **ids))
    await handle(referral_event("ReferralAssigned", referral_id="f-2", status="assigned", **ids))
    [assigned, _] = sorted(await rows(engine, orm.referral_outcomes), key=lambda r: r.referral_id)
    assert (assigned.status, assigned.outcome) == ("assigned", None)  # an acknowledgement changes nothing kept

    closed = referral_event(
        "ReferralClosed", referral_id="f-1", status="closed", outcome="not_opened", outcome_reason="declined", **ids
    )
    await handle(closed)
    await handle(closed)  # redelivered: once
    await handle(referral_event("ReferralClosed", referral_id="f-2", status="closed", **ids))  # an older producer
    rejected = dict(ids, referral_id="f-3")
    await handle(referral_event("ReferralAssigned", status="assigned", **rejected))
    await handle(referral_event("ReferralRejected", status="rejected", outcome_reason="wrong_district", **rejected))
    await handle(referral_event("ReferralReassigned", status="reassigned", **rejected))
    first, second, third = sorted(await rows(engine, orm.referral_outcomes), key=lambda r: r.referral_id)
    assert (first.status, first.outcome, first.outcome_reason) == ("closed", "not_opened", "declined")
    assert (second.status, second.outcome, second.outcome_reason) == ("closed", None, None)
    # The unit's rejection stays its answer after the dispatcher reassigns the referral.
    assert (third.status, third.outcome_reason) == ("rejected", "wrong_district")


def hand_count_red_to_orange(month: list[Generated]) -> set[str]:
    """Red under v1 only by a TIPVDA score of 8 or 9: orange once red needs 10."""
    changed = set()
    for report in month:
        ind = report.indicators
        other_red = ind.get("weapon") or ind.get("threat_to_kill") or ind["injury"] == "severe"
        if ind.get("tipvda_score") in (8, 9) and not other_red:
            changed.add(report.report_id)
    return changed


async def test_raising_the_tipvda_red_threshold_to_10_changes_exactly_the_hand_counted_reports(
    engine, handle, directory
) -> None:
    month = await decide_month(engine, handle)
    expected = hand_count_red_to_orange(month)
    assert 5 <= len(expected) < len(month)  # the month exercises the rule, and not only it

    run = await replay(engine, directory, candidate("v1.0.0-tipvda10", **{"risk.tipvda_red": 10}))

    summary = run.summary
    assert summary.reports == len(month) and summary.recorded_versions == {V1: len(month)}
    assert set(summary.changed_report_ids) == expected
    assert (summary.risk_changed, summary.risk_transitions) == (len(expected), {"red→orange": len(expected)})
    assert (summary.destinations_changed, summary.direct_dispatch_changed) == (0, 0)
    assert summary.weekly_load and all(w.before == w.after for w in summary.weekly_load)
    weeks = {w.week for w in summary.weekly_load}
    assert min(weeks) == date(2026, 10, 26) and max(weeks) == date(2026, 11, 30)  # Mondays, Taipei


async def test_v1_replayed_over_its_own_decisions_changes_nothing(engine, handle, directory) -> None:
    month = await decide_month(engine, handle)
    run = await replay(engine, directory, candidate("v1.0.0-copy"))
    assert run.summary.reports == len(month) and run.summary.changed_report_ids == ()


async def test_a_replay_writes_nothing(engine, handle, directory) -> None:
    await decide_month(engine, handle)
    before = await every_table(engine)
    await replay(engine, directory, candidate("v1.0.0-tipvda10", **{"risk.tipvda_red": 10}))
    assert await every_table(engine) == before


async def test_a_replay_counts_the_referrals_the_candidate_would_not_send_by_their_outcome(
    engine, handle, directory
) -> None:
    month = await decide_month(engine, handle)
    results = ["opened", "not_opened", "rejected", None]
    # Each report's mental-health referral gets a result in turn; count by hand those
    # whose only mental-health trigger is suspected mental illness, which the candidate
    # switches off.
    expected = {"opened": 0, "not_opened": 0, "open": 0}
    mental = [r for r in month if r.indicators.get("suspected_mental_illness") or r.indicators.get("suicide_ideation")]
    for n, report in enumerate(mental):
        result = results[n % len(results)]
        ids = dict(report_id=report.report_id, referral_id=f"f-{n}", kind="mental_health", unit=MENTAL_HEALTH)
        await handle(referral_event("ReferralAssigned", status="assigned", **ids))
        if result == "rejected":
            await handle(referral_event("ReferralRejected", status="rejected", **ids))
        elif result is not None:
            await handle(referral_event("ReferralClosed", status="closed", outcome=result, **ids))
        if not report.indicators.get("suicide_ideation"):
            expected["open" if result is None else "opened" if result == "opened" else "not_opened"] += 1

    document = candidate(
        "v1.0.0-no-smi",
        disabled_rules=["DEST_MENTAL_HEALTH_SUSPECTED_ILLNESS", "DEST_MENTAL_HEALTH_PROTECTION_CO_CASE"],
    )
    outcomes = (await replay(engine, directory, document)).summary.outcomes

    assert min(expected.values()) >= 3  # the month exercises every result
    assert (outcomes.not_sent_opened, outcomes.not_sent_not_opened, outcomes.not_sent_still_open) == (
        expected["opened"],
        expected["not_opened"],
        expected["open"],
    )
    assert outcomes.referrals_with_result == sum(1 for n in range(len(mental)) if results[n % 4] is not None)


def replay_requested(document: dict[str, Any], *, start: str = "2026-11-01", end: str = "2026-11-30") -> Envelope:
    payload = {
        "replay_id": "replay-1",
        "county": COUNTY,
        "start": start,
        "end": end,
        "candidate": document,
        "requested_by": "陳督導",
        "requested_at": datetime.now(UTC).isoformat(),
    }
    return Envelope(type="ReplayRequested", report_id="replay-1", producer="intake", payload=payload)


async def answers(engine) -> list[Envelope]:
    return [
        Envelope.from_bytes(row.value)
        for row in await rows(engine, orm.outbox)
        if Envelope.from_bytes(row.value).type == "ReplayCompleted"
    ]


async def test_a_replay_asked_for_by_the_console_is_answered_once_with_the_comparison(engine, handle) -> None:
    month = await decide_month(engine, handle)
    request = replay_requested(candidate("v1.0.0-tipvda10", **{"risk.tipvda_red": 10}))
    await handle(request)
    await handle(request)  # redelivered
    [answer] = await answers(engine)
    assert (answer.report_id, answer.producer) == ("replay-1", "screening")
    payload = answer.payload
    assert (payload["status"], payload["candidate_version"], payload["error"]) == ("done", "v1.0.0-tipvda10", None)
    summary = payload["summary"]
    expected = hand_count_red_to_orange(month)
    assert (summary["reports"], summary["changed"]["risk_level"]) == (len(month), len(expected))
    assert set(summary["changed_report_ids"]) == expected and summary["county"] == COUNTY


async def test_a_console_replay_of_a_bad_candidate_is_answered_as_failed_naming_the_field(engine, handle) -> None:
    await handle(replay_requested(candidate("v1.0.0-bad", **{"risk.tipvda_red": "ten"})))
    await handle(
        replay_requested(candidate("v1.0.0-x"), start="2026-11-30", end="2026-11-01").model_copy(
            update={"event_id": "another"}
        )
    )
    bad_document, bad_period = (a.payload for a in await answers(engine))
    assert (bad_document["status"], bad_document["candidate_version"]) == ("failed", "v1.0.0-bad")
    assert "risk.tipvda_red" in bad_document["error"] and bad_document["summary"] is None
    assert bad_period["status"] == "failed" and "before" in bad_period["error"]
