"""The SLA clock's rules, without a database."""

from datetime import UTC, datetime, timedelta

import pytest

from safetynet.notify.domain import ReferralFact, SlaClock, SlaPolicy, Timer, dispatch_complete

T0 = datetime(2026, 11, 20, 13, 30, tzinfo=UTC)
H = timedelta(hours=1)
DEFAULT = SlaPolicy(sla_seconds=24 * 3600, warn_seconds=(16 * 3600, 22 * 3600))
BOSSES = ["苗栗縣/dispatch_supervisor"]


def snapshot(*statuses: str) -> dict:
    """A snapshot whose destinations are exactly those its live referrals hold (one unit
    per referral), so only the referral statuses decide."""
    referrals = [ReferralFact("protection", f"unit-{i}", s) for i, s in enumerate(statuses)]
    destinations = [(r.kind, r.unit) for r in referrals if r.status not in ("rejected", "reassigned")]
    if not destinations and referrals:  # every referral sent back: the destination still waits
        destinations = [("protection", "unit-0")]
    return {"destinations": destinations, "referrals": referrals}


def started(hours: float = 24) -> SlaClock:
    clock = SlaClock(report_id="r1", county="苗栗縣")
    clock.start(received_at=T0, due_at=T0 + hours * H, supervisors=BOSSES)
    return clock


# Warning times


def test_default_deadline_warns_at_16_and_22_hours() -> None:
    assert DEFAULT.warning_times(received_at=T0, due_at=T0 + 24 * H) == [T0 + 16 * H, T0 + 22 * H]


def test_shorter_deadline_scales_the_warnings_in_proportion() -> None:
    # A 4 h red deadline: 16/24 and 22/24 of 4 h are 2 h 40 min and 3 h 40 min.
    assert DEFAULT.warning_times(received_at=T0, due_at=T0 + 4 * H) == [
        T0 + timedelta(hours=2, minutes=40),
        T0 + timedelta(hours=3, minutes=40),
    ]


def test_warnings_scale_for_a_non_default_sla_setting() -> None:
    policy = SlaPolicy(sla_seconds=6, warn_seconds=(5, 4))
    assert policy.warning_times(received_at=T0, due_at=T0 + timedelta(seconds=3)) == [
        T0 + timedelta(seconds=2),
        T0 + timedelta(seconds=2.5),
    ]


def test_timers_are_the_warnings_then_the_deadline() -> None:
    assert DEFAULT.timers(received_at=T0, due_at=T0 + 24 * H) == [
        Timer("warning", 0, T0 + 16 * H),
        Timer("warning", 1, T0 + 22 * H),
        Timer("deadline", 0, T0 + 24 * H),
    ]


# The met rule


@pytest.mark.parametrize(
    "statuses, complete",
    [
        ([], False),  # no referral: stays open
        (["assigned"], False),
        (["acknowledged"], True),
        (["closed"], True),
        (["acknowledged", "assigned"], False),  # one unit still has to acknowledge
        (["acknowledged", "rejected"], True),  # the rejected one is back in the queue
        (["reassigned", "acknowledged"], True),  # the old one was replaced by the new one
        (["reassigned", "assigned"], False),  # the replacement is not acknowledged yet
        (["rejected"], False),  # back with a dispatcher: not dispatched
        (["rejected", "reassigned"], False),
        (["acknowledged", "closed", "rejected", "reassigned"], True),
    ],
)
def test_dispatch_is_complete_when_every_live_referral_is_acknowledged(statuses: list[str], complete: bool) -> None:
    assert dispatch_complete(**snapshot(*statuses)) is complete


P, W, M = (
    ("protection", "苗栗縣/protection"),
    ("welfare_center", "苗栗縣/welfare_center/頭份區"),
    ("mental_health", "苗栗縣/mental_health"),
)


def fact(destination: tuple[str, str], status: str) -> ReferralFact:
    return ReferralFact(destination[0], destination[1], status)


@pytest.mark.parametrize(
    "destinations, referrals, complete",
    [
        ([P], [fact(P, "acknowledged")], True),
        ([], [], False),  # nothing to dispatch yet
        ([P, ("welfare_center", None)], [fact(P, "acknowledged")], False),  # unmapped township waits for a unit
        ([P, W], [fact(P, "acknowledged")], False),  # W not confirmed yet
        ([P, W], [fact(P, "acknowledged"), fact(W, "rejected")], False),  # W back in the queue
        ([P, W], [fact(P, "acknowledged"), fact(W, "acknowledged")], True),
        ([P, M], [fact(P, "closed"), fact(M, "acknowledged")], True),
        ([P, W], [fact(P, "acknowledged"), fact(W, "reassigned"), fact(W, "acknowledged")], True),
        ([P, W], [fact(P, "acknowledged"), fact(W, "reassigned")], False),  # the successor is missing
    ],
)
def test_dispatch_is_complete_only_when_every_destination_has_an_acknowledged_live_referral(
    destinations: list, referrals: list, complete: bool
) -> None:
    assert dispatch_complete(destinations, referrals) is complete


def test_a_destination_without_a_unit_keeps_the_sla_open() -> None:
    clock = started()
    events = clock.observe(
        seq=1,
        destinations=[P, ("welfare_center", None)],
        referrals=[fact(P, "acknowledged")],
        at=T0 + H,
        supervisors=BOSSES,
    )
    assert events == [] and clock.state == "open"
    events = clock.observe(
        seq=2,
        destinations=[P, W],
        referrals=[fact(P, "acknowledged"), fact(W, "acknowledged")],
        at=T0 + 2 * H,
        supervisors=BOSSES,
    )
    assert [(e.type, e.state, e.closed_at) for e in events] == [("SlaMet", "met", T0 + 2 * H)]


def test_met_before_the_deadline() -> None:
    clock = started()
    events = clock.observe(seq=1, **snapshot("acknowledged"), at=T0 + 2 * H, supervisors=BOSSES)
    assert [(e.type, e.state, e.closed_at) for e in events] == [("SlaMet", "met", T0 + 2 * H)]
    assert clock.state == "met" and not clock.running


def test_a_report_with_no_referral_stays_open() -> None:
    clock = started()
    assert clock.observe(seq=1, **snapshot(), at=T0 + H, supervisors=BOSSES) == []
    assert clock.state == "open"
    fired = clock.fire(Timer("deadline", 0, T0 + 24 * H), supervisors=BOSSES)
    assert [(e.type, e.escalated_to) for e in fired] == [("SlaBreached", tuple(BOSSES))]


def test_a_stale_snapshot_is_ignored() -> None:
    clock = started()
    assert clock.observe(seq=5, **snapshot("assigned"), at=T0 + 2 * H, supervisors=BOSSES) == []
    # seq 4 was routing's view before seq 5: it must not close the SLA.
    assert clock.observe(seq=4, **snapshot("acknowledged"), at=T0 + H, supervisors=BOSSES) == []
    assert clock.observe(seq=5, **snapshot("acknowledged"), at=T0 + H, supervisors=BOSSES) == []
    assert clock.state == "open"
    assert [e.type for e in clock.observe(seq=6, **snapshot("acknowledged"), at=T0 + 3 * H, supervisors=BOSSES)] == [
        "SlaMet"
    ]


def test_met_is_not_undone_by_a_later_reassignment() -> None:
    clock = started()
    clock.observe(seq=1, **snapshot("acknowledged"), at=T0 + H, supervisors=BOSSES)
    assert clock.observe(seq=2, **snapshot("reassigned", "assigned"), at=T0 + 2 * H, supervisors=BOSSES) == []
    assert clock.state == "met" and clock.closed_at == T0 + H


def test_completed_after_an_unfired_deadline_is_a_breach_then_a_late_completion() -> None:
    clock = started(hours=4)
    events = clock.observe(seq=1, **snapshot("acknowledged"), at=T0 + 5 * H, supervisors=BOSSES)
    assert [(e.type, e.state) for e in events] == [("SlaBreached", "breached"), ("SlaMet", "breached")]
    assert events[0].at == T0 + 4 * H and events[1].closed_at == T0 + 5 * H


def test_completion_after_a_breach_records_when_dispatch_completed() -> None:
    clock = started()
    clock.fire(Timer("deadline", 0, T0 + 24 * H), supervisors=BOSSES)
    events = clock.observe(seq=1, **snapshot("acknowledged"), at=T0 + 30 * H, supervisors=BOSSES)
    assert [(e.type, e.state, e.closed_at) for e in events] == [("SlaMet", "breached", T0 + 30 * H)]


# Firing


def test_each_warning_fires_while_open_and_nothing_after_met() -> None:
    clock = started()
    warning = clock.fire(Timer("warning", 0, T0 + 16 * H), supervisors=BOSSES)
    assert [(e.type, e.warning_index, e.at) for e in warning] == [("SlaWarning", 0, T0 + 16 * H)]
    clock.observe(seq=1, **snapshot("closed"), at=T0 + 17 * H, supervisors=BOSSES)
    assert clock.fire(Timer("warning", 1, T0 + 22 * H), supervisors=BOSSES) == []
    assert clock.fire(Timer("deadline", 0, T0 + 24 * H), supervisors=BOSSES) == []


def test_breach_fires_once() -> None:
    clock = started()
    assert [e.type for e in clock.fire(Timer("deadline", 0, T0 + 24 * H), supervisors=BOSSES)] == ["SlaBreached"]
    assert clock.fire(Timer("deadline", 0, T0 + 24 * H), supervisors=BOSSES) == []


# Start and reschedule, in either order


def test_screening_shortens_the_deadline() -> None:
    clock = started()
    events = clock.reschedule(received_at=T0, due_at=T0 + 4 * H, at=T0 + timedelta(seconds=1), supervisors=BOSSES)
    assert [(e.type, e.due_at) for e in events] == [("SlaRescheduled", T0 + 4 * H)]
    assert clock.reschedule(received_at=T0, due_at=T0 + 4 * H, at=T0, supervisors=BOSSES) == []


def test_screening_first_starts_the_clock_and_intake_later_changes_nothing() -> None:
    clock = SlaClock(report_id="r1", county="苗栗縣")
    events = clock.reschedule(received_at=T0, due_at=T0 + 4 * H, at=T0, supervisors=BOSSES)
    assert [(e.type, e.due_at, e.at) for e in events] == [("SlaStarted", T0 + 4 * H, T0)]
    assert clock.start(received_at=T0, due_at=T0 + 24 * H, supervisors=BOSSES) == []
    assert clock.due_at == T0 + 4 * H


def test_completion_heard_before_the_start_is_settled_on_start() -> None:
    clock = SlaClock(report_id="r1", county="苗栗縣")
    assert clock.observe(seq=1, **snapshot("acknowledged"), at=T0 + H, supervisors=BOSSES) == []
    events = clock.start(received_at=T0, due_at=T0 + 24 * H, supervisors=BOSSES)
    assert [(e.type, e.state) for e in events] == [("SlaStarted", "open"), ("SlaMet", "met")]
    assert not clock.running
