"""The Case aggregate: opening, dispatcher decisions, the referral lifecycle and the
derived report status. Pure domain: no database, no broker."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from safetynet.routing import domain
from safetynet.routing.domain import Case, Destination, Referral

T0 = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)
T2 = T0 + timedelta(minutes=30)

MIAOLI = "苗栗縣"
PROTECTION = "苗栗縣/protection"
MENTAL = "苗栗縣/mental_health"
YOUTH = "苗栗縣/youth_counseling"
W_TOUFEN = "苗栗縣/welfare_center/頭份區"
W_MIAOLI = "苗栗縣/welfare_center/苗栗區"
NANTOU_PROTECTION = "南投縣/protection"

P = Destination("protection", PROTECTION)
M = Destination("mental_health", MENTAL)
W = Destination("welfare_center", W_TOUFEN)
W_NONE = Destination("welfare_center", None)

DISPATCHER = domain.Actor(role="dispatcher", name="王小明", key_id="key-d1")
UNIT = domain.Actor(role="unit", name="林社工", key_id="key-u1")


class Units:
    """The county data routing checks units against (a stand-in for CountyDirectory)."""

    KINDS: ClassVar[dict[str, tuple[str, str]]] = {
        PROTECTION: (MIAOLI, "protection"),
        MENTAL: (MIAOLI, "mental_health"),
        YOUTH: (MIAOLI, "youth_counseling"),
        W_TOUFEN: (MIAOLI, "welfare_center"),
        W_MIAOLI: (MIAOLI, "welfare_center"),
        NANTOU_PROTECTION: ("南投縣", "protection"),
    }

    def unit_kind(self, unit_id: str) -> tuple[str, str] | None:
        return self.KINDS.get(unit_id)


UNITS = Units()


def ids() -> domain.NewId:
    counter = itertools.count(1)
    return lambda: f"ref-{next(counter)}"


def screened(*destinations: Destination, urgent: bool = False, direct: bool = False) -> domain.ScreenedReport:
    return domain.ScreenedReport(
        report_id="r-1",
        county=MIAOLI,
        risk_level="red" if urgent else "orange",
        urgent=urgent,
        direct_dispatch=direct,
        recommended=destinations,
        subject_hashes=("h1", "h2"),
        received_at=T0,
    )


def opened(*destinations: Destination, urgent: bool = False, direct: bool = False) -> Case:
    case, _ = Case.open(screened(*destinations, urgent=urgent, direct=direct), at=T0, new_id=ids())
    return case


def with_referrals(destinations: list[Destination], statuses: list[tuple[Destination, str]]) -> Case:
    """A case in a given state, built directly (as the repository does)."""
    case = opened(*destinations)
    case.referrals = [
        Referral(
            referral_id=f"ref-{i}",
            kind=d.kind,
            unit=d.unit or "",
            status=s,
            urgent=False,
            assigned_at=T0,
            updated_at=T0,
        )
        for i, (d, s) in enumerate(statuses, start=1)
    ]
    return case


def statuses(case: Case) -> dict[str, str]:
    return {r.referral_id: r.status for r in case.referrals}


# Opening ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destinations", "urgent", "direct", "status", "referred"),
    [
        ((P, M), True, False, "assigned", [P, M]),  # red: at once, every unit
        ((P, W), False, True, "assigned", [P, W]),  # direct dispatch: at once
        ((P, W_NONE), True, False, "awaiting_review", [P]),  # a unit is missing: wait for it
        ((P, W_NONE), False, True, "awaiting_review", [P]),
        ((P, M), False, False, "awaiting_review", []),  # neither: a dispatcher decides
        ((), True, False, "awaiting_review", []),  # nothing to refer
        ((), False, True, "awaiting_review", []),
        ((W_NONE,), True, False, "awaiting_review", []),
    ],
)
def test_open_refers_at_once_only_when_urgent_or_direct(destinations, urgent, direct, status, referred) -> None:
    case, changes = Case.open(screened(*destinations, urgent=urgent, direct=direct), at=T1, new_id=ids())

    assert case.status == status
    assert [r.destination for r in case.referrals] == referred
    assert all(r.status == "assigned" and r.urgent is urgent and r.assigned_at == T1 for r in case.referrals)
    assert case.recommended == case.destinations == destinations
    assert case.seq == 1 and case.updated_at == T1 and case.received_at == T0
    assert isinstance(changes[0], domain.CaseOpened) and changes[0].status == status
    assigned = [c for c in changes[1:] if isinstance(c, domain.ReferralAssigned)]
    assert [c.referral.destination for c in assigned] == referred
    assert all(c.actor.label == "routing" for c in changes)
    assert len(changes) == 1 + len(referred)


def test_open_gives_each_referral_its_own_id_and_says_why() -> None:
    case, changes = Case.open(screened(P, M, urgent=True), at=T0, new_id=ids())
    assert [r.referral_id for r in case.referrals] == ["ref-1", "ref-2"]
    assert [c.detail for c in changes] == ["urgent", "urgent", "urgent"]
    _, changes = Case.open(screened(P, direct=True), at=T0, new_id=ids())
    assert changes[1].detail == "direct_dispatch"


def test_open_drops_repeated_destinations() -> None:
    case = opened(P, W, P)
    assert case.destinations == (P, W)


# Status derivation --------------------------------------------------------------------

P2 = Destination("protection", "苗栗縣/protection")  # same destination, another referral


@pytest.mark.parametrize(
    ("destinations", "referrals", "status"),
    [
        ([], [], "awaiting_review"),
        ([P], [], "awaiting_review"),
        ([P], [(P, "assigned")], "assigned"),
        ([P, M], [(P, "assigned"), (M, "acknowledged")], "assigned"),
        ([P, M], [(P, "acknowledged"), (M, "acknowledged")], "acknowledged"),
        ([P, M], [(P, "acknowledged"), (M, "closed")], "acknowledged"),
        ([P, M], [(P, "closed"), (M, "closed")], "closed"),
        ([P], [(P, "rejected")], "awaiting_review"),
        ([P, M], [(P, "closed"), (M, "rejected")], "awaiting_review"),  # rejected is never closed
        ([P, W_NONE], [(P, "acknowledged")], "awaiting_review"),  # a unit is still missing
        ([P, M], [(P, "assigned")], "awaiting_review"),  # M not referred yet
        # A reassigned referral was superseded: only its successor counts.
        ([P], [(Destination("protection", "old"), "reassigned"), (P, "assigned")], "assigned"),
        ([P], [(Destination("protection", "old"), "reassigned"), (P, "acknowledged")], "acknowledged"),
        ([P], [(Destination("protection", "old"), "reassigned"), (P, "closed")], "closed"),
    ],
)
def test_status_is_derived_from_destinations_and_referrals(destinations, referrals, status) -> None:
    assert with_referrals(destinations, referrals).status == status


# Referral transitions -------------------------------------------------------------------


def _act(case: Case, action: str, referral_id: str = "ref-1") -> list[domain.Event]:
    if action == "acknowledge":
        return case.acknowledge(referral_id=referral_id, actor=UNIT, at=T2)
    if action == "reject":
        return case.reject(referral_id=referral_id, reason="wrong_district", actor=UNIT, at=T2)
    if action == "close":
        return case.close(referral_id=referral_id, outcome="opened", actor=UNIT, at=T2)
    return case.reassign(
        referral_id=referral_id,
        unit=W_MIAOLI,
        reason="個案已遷居",
        actor=DISPATCHER,
        at=T2,
        units=UNITS,
        new_id=lambda: "ref-new",
    )


ALLOWED = {
    ("assigned", "acknowledge"): ("acknowledged", domain.ReferralAcknowledged),
    ("assigned", "reject"): ("rejected", domain.ReferralRejected),
    ("acknowledged", "close"): ("closed", domain.ReferralClosed),
    ("assigned", "reassign"): ("reassigned", domain.ReferralReassigned),
    ("rejected", "reassign"): ("reassigned", domain.ReferralReassigned),
}
STATES = ("assigned", "acknowledged", "rejected", "closed", "reassigned")
ACTIONS = ("acknowledge", "reject", "close", "reassign")


@pytest.mark.parametrize(("start", "action"), [(s, a) for s in STATES for a in ACTIONS])
def test_every_referral_transition(start: str, action: str) -> None:
    case = with_referrals([W], [(W, start)])
    seq_before = case.seq
    if (start, action) not in ALLOWED:
        with pytest.raises(domain.InvalidTransition, match=f"referral ref-1 is {start}"):
            _act(case, action)
        assert statuses(case) == {"ref-1": start}
        assert case.seq == seq_before and case.updated_at == T0
        return
    end, event_type = ALLOWED[(start, action)]
    changes = _act(case, action)
    assert case.referral("ref-1").status == end
    assert case.referral("ref-1").updated_at == T2 and case.updated_at == T2
    assert case.seq == seq_before + 1
    assert type(changes[0]) is event_type and changes[0].referral.status == end
    assert changes[0].at == T2


def test_reject_records_the_reason_and_sends_the_report_back_to_review() -> None:
    case = opened(P, W, urgent=True)
    assert case.status == "assigned"
    changes = case.reject(referral_id="ref-2", reason="wrong_district", note=" 住竹南 ", actor=UNIT, at=T1)
    assert case.status == "awaiting_review"
    rejected = case.referral("ref-2")
    assert (rejected.reason, rejected.outcome_reason, rejected.note, rejected.outcome) == (
        "wrong_district",
        "wrong_district",
        "住竹南",
        None,
    )
    assert changes[0].detail == "wrong_district — 住竹南" and changes[0].actor.label == "unit:林社工"
    assert changes[0].referral.outcome_reason == "wrong_district"


def test_a_rejections_code_survives_the_reassignment() -> None:
    case = opened(P, W, urgent=True)
    case.reject(referral_id="ref-2", reason="not_our_remit", actor=UNIT, at=T1)
    case.reassign(
        referral_id="ref-2",
        unit=W_MIAOLI,
        reason="個案已遷居",
        actor=DISPATCHER,
        at=T2,
        units=UNITS,
        new_id=lambda: "n",
    )
    old = case.referral("ref-2")
    assert (old.status, old.reason, old.outcome_reason) == ("reassigned", "個案已遷居", "not_our_remit")


@pytest.mark.parametrize(
    ("outcome", "reason", "note", "detail"),
    [
        ("opened", None, None, "opened"),
        ("opened", "already_in_service", None, "opened: already_in_service"),
        ("not_opened", "declined", "案母拒絕", "not_opened: declined — 案母拒絕"),
        ("not_opened", "other", "已轉長照", "not_opened: other — 已轉長照"),
    ],
)
def test_close_records_the_outcome_its_reason_and_note(
    outcome: str, reason: str | None, note: str | None, detail: str
) -> None:
    case = with_referrals([P], [(P, "acknowledged")])
    [change] = case.close(referral_id="ref-1", outcome=outcome, reason=reason, note=note, actor=UNIT, at=T1)
    closed = case.referral("ref-1")
    assert (closed.outcome, closed.outcome_reason, closed.note) == (outcome, reason, note)
    assert change.detail == detail and change.referral.outcome == outcome
    assert case.status == "closed"


@pytest.mark.parametrize(
    ("outcome", "reason", "note", "field"),
    [
        ("結案", None, None, "outcome"),  # free text is no longer an outcome
        ("", None, None, "outcome"),
        ("not_opened", None, None, "reason"),  # not opened: say why
        ("not_opened", "wrong_district", None, "reason"),  # a reason for rejecting, not closing
        ("opened", "nonsense", None, "reason"),
        ("not_opened", "other", "   ", "note"),  # other: explain
    ],
)
def test_close_refuses_what_the_vocabulary_does_not_allow(
    outcome: str, reason: str | None, note: str | None, field: str
) -> None:
    case = with_referrals([P], [(P, "acknowledged")])
    with pytest.raises(domain.InvalidOutcome, match=f"^{field} "):
        case.close(referral_id="ref-1", outcome=outcome, reason=reason, note=note, actor=UNIT, at=T1)
    assert statuses(case) == {"ref-1": "acknowledged"} and case.referral("ref-1").outcome is None


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [("非本轄", None, "reason"), ("", None, "reason"), ("assessed_no_need", None, "reason"), ("other", "", "note")],
)
def test_reject_refuses_what_the_vocabulary_does_not_allow(reason: str, note: str | None, field: str) -> None:
    case = with_referrals([P], [(P, "assigned")])
    with pytest.raises(domain.InvalidOutcome, match=f"^{field} "):
        case.reject(referral_id="ref-1", reason=reason, note=note, actor=UNIT, at=T1)
    assert statuses(case) == {"ref-1": "assigned"} and case.referral("ref-1").reason is None


def test_unknown_referral() -> None:
    case = opened(P, urgent=True)
    with pytest.raises(domain.UnknownReferral, match="no referral nope"):
        case.acknowledge(referral_id="nope", actor=UNIT, at=T1)


# Reassignment ---------------------------------------------------------------------------


def test_reassign_after_reject_supersedes_the_old_referral_with_a_new_one() -> None:
    case = opened(P, W, urgent=True)
    case.reject(referral_id="ref-2", reason="wrong_district", actor=UNIT, at=T1)
    changes = case.reassign(
        referral_id="ref-2",
        unit=W_MIAOLI,
        reason="個案已遷居苗栗市",
        actor=DISPATCHER,
        at=T2,
        units=UNITS,
        new_id=lambda: "ref-3",
    )

    old, new = case.referral("ref-2"), case.referral("ref-3")
    assert (old.status, old.reason, old.unit) == ("reassigned", "個案已遷居苗栗市", W_TOUFEN)
    assert (new.status, new.unit, new.kind, new.urgent, new.assigned_at) == (
        "assigned",
        W_MIAOLI,
        "welfare_center",
        True,
        T2,
    )
    assert case.destinations == (P, Destination("welfare_center", W_MIAOLI))
    assert case.recommended == (P, W)  # the system's decision stays as it was
    assert case.status == "assigned"
    assert [type(c) for c in changes] == [domain.ReferralReassigned, domain.ReferralAssigned]
    assert changes[0].successor_id == "ref-3" and changes[0].referral.status == "reassigned"
    assert changes[1].referral.referral_id == "ref-3" and changes[1].actor.label == "dispatcher:王小明"


def test_reassign_to_the_same_unit_is_allowed_only_after_a_rejection() -> None:
    case = opened(P, urgent=True)
    with pytest.raises(domain.InvalidTransition, match="already assigned to"):
        case.reassign(
            referral_id="ref-1",
            unit=PROTECTION,
            reason="再派",
            actor=DISPATCHER,
            at=T1,
            units=UNITS,
            new_id=lambda: "ref-2",
        )
    case.reject(referral_id="ref-1", reason="insufficient_information", actor=UNIT, at=T1)
    case.reassign(
        referral_id="ref-1",
        unit=PROTECTION,
        reason="已補充資料",
        actor=DISPATCHER,
        at=T2,
        units=UNITS,
        new_id=lambda: "ref-2",
    )
    assert statuses(case) == {"ref-1": "reassigned", "ref-2": "assigned"}
    assert case.destinations == (P,) and case.status == "assigned"


@pytest.mark.parametrize(
    ("unit", "error", "message"),
    [
        ("苗栗縣/welfare_center/不存在", domain.UnknownUnit, "unknown unit"),
        (MENTAL, domain.UnknownUnit, "not a welfare_center unit of 苗栗縣"),  # another kind
        (NANTOU_PROTECTION, domain.UnknownUnit, "not a welfare_center unit"),  # another county
        (W_MIAOLI, domain.InvalidTransition, "already a destination"),  # a second one
    ],
)
def test_reassign_refuses_a_unit_that_does_not_fit(unit: str, error: type, message: str) -> None:
    case = opened(P, W, Destination("welfare_center", W_MIAOLI), urgent=True)
    with pytest.raises(error, match=message):
        case.reassign(
            referral_id="ref-2", unit=unit, reason="r", actor=DISPATCHER, at=T1, units=UNITS, new_id=lambda: "x"
        )
    assert len(case.referrals) == 3 and case.seq == 1


def test_reassign_needs_a_reason() -> None:
    case = opened(P, urgent=True)
    with pytest.raises(domain.InvalidTransition, match="reason"):
        case.reassign(
            referral_id="ref-1", unit=PROTECTION, reason=" ", actor=DISPATCHER, at=T1, units=UNITS, new_id=lambda: "x"
        )


# Dispatcher decisions on the destinations ---------------------------------------------


def test_confirm_refers_every_recommended_destination() -> None:
    case = opened(P, M)
    changes = case.confirm(actor=DISPATCHER, at=T1, new_id=ids())
    assert case.status == "assigned" and case.seq == 2
    assert [(r.referral_id, r.destination, r.assigned_at) for r in case.referrals] == [
        ("ref-1", P, T1),
        ("ref-2", M, T1),
    ]
    assert isinstance(changes[0], domain.DestinationsConfirmed) and changes[0].destinations == (P, M)
    assert [c.detail for c in changes[1:]] == ["confirmed", "confirmed"]
    with pytest.raises(domain.InvalidTransition, match="already has a referral"):
        case.confirm(actor=DISPATCHER, at=T2, new_id=ids())
    assert case.seq == 2


def test_confirm_leaves_a_destination_without_unit_waiting() -> None:
    case = opened(P, W_NONE)
    case.confirm(actor=DISPATCHER, at=T1, new_id=ids())
    assert [r.destination for r in case.referrals] == [P]
    assert case.status == "awaiting_review"
    with pytest.raises(domain.InvalidTransition, match="has a unit: change the destinations"):
        case.confirm(actor=DISPATCHER, at=T2, new_id=ids())


def test_confirm_refuses_a_report_without_destinations() -> None:
    with pytest.raises(domain.InvalidTransition, match="no destination to confirm"):
        opened().confirm(actor=DISPATCHER, at=T1, new_id=ids())


def test_change_keeps_the_recommendation_beside_the_dispatchers_destinations() -> None:
    case = opened(P, W_NONE)
    changes = case.change(
        destinations=(P, W, M), reason="家訪後另需心理衛生", actor=DISPATCHER, at=T1, units=UNITS, new_id=ids()
    )
    assert case.recommended == (P, W_NONE)
    assert case.destinations == (P, W, M)
    assert case.status == "assigned"
    assert [r.destination for r in case.referrals] == [P, W, M]
    first = changes[0]
    assert isinstance(first, domain.DestinationsChanged)
    assert (first.recommended, first.previous, first.destinations, first.detail) == (
        (P, W_NONE),
        (P, W_NONE),
        (P, W, M),
        "家訪後另需心理衛生",
    )


def test_change_names_the_missing_unit_after_a_partial_direct_dispatch() -> None:
    case = opened(P, W_NONE, direct=True)
    assert statuses(case) == {"ref-1": "assigned"}
    case.change(
        destinations=(P, W), reason="依地址改派頭份區", actor=DISPATCHER, at=T1, units=UNITS, new_id=lambda: "ref-9"
    )
    assert statuses(case) == {"ref-1": "assigned", "ref-9": "assigned"}  # P keeps its referral
    assert case.status == "assigned"


def test_change_gives_a_report_without_destinations_its_first_ones() -> None:
    case = opened()
    case.change(
        destinations=(Destination("youth_counseling", YOUTH),),
        reason="少年曝險",
        actor=DISPATCHER,
        at=T1,
        units=UNITS,
        new_id=ids(),
    )
    assert case.status == "assigned" and case.recommended == ()


@pytest.mark.parametrize(
    ("destinations", "reason", "error", "message"),
    [
        ((P,), "", domain.InvalidTransition, "written reason"),
        ((P,), "  ", domain.InvalidTransition, "written reason"),
        ((), "r", domain.InvalidTransition, "at least one destination"),
        ((Destination("protection", "苗栗縣/nowhere"),), "r", domain.UnknownUnit, "unknown unit"),
        ((Destination("protection", MENTAL),), "r", domain.UnknownUnit, "not a protection unit"),
        ((Destination("protection", NANTOU_PROTECTION),), "r", domain.UnknownUnit, "of 苗栗縣"),
    ],
)
def test_change_refuses_bad_input(destinations, reason, error, message) -> None:
    case = opened(P, M)
    with pytest.raises(error, match=message):
        case.change(destinations=destinations, reason=reason, actor=DISPATCHER, at=T1, units=UNITS, new_id=ids())
    assert case.destinations == (P, M) and case.referrals == [] and case.seq == 1


def test_change_cannot_drop_a_destination_that_holds_a_referral() -> None:
    case = opened(P, W_NONE, direct=True)
    with pytest.raises(domain.InvalidTransition, match="already holds referral ref-1"):
        case.change(destinations=(W,), reason="r", actor=DISPATCHER, at=T1, units=UNITS, new_id=ids())
    assert case.destinations == (P, W_NONE)


def test_change_is_refused_once_every_destination_is_referred() -> None:
    case = opened(P, urgent=True)
    with pytest.raises(domain.InvalidTransition, match="every destination already has a referral"):
        case.change(destinations=(P, M), reason="r", actor=DISPATCHER, at=T1, units=UNITS, new_id=ids())
    case.reject(referral_id="ref-1", reason="duplicate", actor=UNIT, at=T1)
    # Back in review, but for a rejection: that is for a reassignment, not a change.
    with pytest.raises(domain.InvalidTransition, match="reassign the rejected one"):
        case.change(destinations=(P, M), reason="r", actor=DISPATCHER, at=T2, units=UNITS, new_id=ids())
    with pytest.raises(domain.InvalidTransition, match="reassign the rejected one"):
        case.confirm(actor=DISPATCHER, at=T2, new_id=ids())


# Commands and the whole lifecycle -------------------------------------------------------


def test_execute_checks_the_report_and_county_first() -> None:
    command = domain.AcknowledgeReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-1")
    with pytest.raises(domain.UnknownReport, match="no case for report r-1"):
        domain.execute(None, command, at=T1, units=UNITS)
    case = opened(P, urgent=True)
    elsewhere = domain.AcknowledgeReferral(report_id="r-1", county="南投縣", actor=UNIT, referral_id="ref-1")
    with pytest.raises(domain.WrongCounty, match="not in 南投縣"):
        domain.execute(case, elsewhere, at=T1, units=UNITS)
    assert statuses(case) == {"ref-1": "assigned"}
    domain.execute(case, command, at=T1, units=UNITS)
    assert statuses(case) == {"ref-1": "acknowledged"}


def test_execute_never_dates_a_change_before_the_last_one() -> None:
    case = opened(P, urgent=True)  # at T0
    late_clock = T0 - timedelta(seconds=2)
    command = domain.AcknowledgeReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-1")
    [change] = domain.execute(case, command, at=late_clock, units=UNITS)
    assert change.at == T0 and case.referral("ref-1").updated_at == T0


def test_a_case_from_opening_to_closure() -> None:
    case, _ = Case.open(screened(P, M, urgent=True), at=T0, new_id=ids())
    steps = [
        (domain.AcknowledgeReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-1"), "assigned"),
        (
            domain.RejectReferral(
                report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-2", reason="not_our_remit"
            ),
            "awaiting_review",
        ),
        (
            domain.ReassignReferral(
                report_id="r-1",
                county=MIAOLI,
                actor=DISPATCHER,
                referral_id="ref-2",
                unit=MENTAL,
                reason="已補充就醫紀錄",
            ),
            "assigned",
        ),
        (domain.AcknowledgeReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-3"), "acknowledged"),
        (
            domain.CloseReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-1", outcome="opened"),
            "acknowledged",
        ),
        (
            domain.CloseReferral(report_id="r-1", county=MIAOLI, actor=UNIT, referral_id="ref-3", outcome="opened"),
            "closed",
        ),
    ]
    for seq, (command, status) in enumerate(steps, start=2):
        domain.execute(case, command, at=T1, units=UNITS, new_id=lambda: "ref-3")
        assert (case.status, case.seq) == (status, seq), command
    assert statuses(case) == {"ref-1": "closed", "ref-2": "reassigned", "ref-3": "closed"}
