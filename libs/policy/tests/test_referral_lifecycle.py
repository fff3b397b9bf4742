"""The referral lifecycle, written out by hand from DOMAIN.md ("Lifecycle and SLA")."""

import pytest

from safetynet.policy.referral_lifecycle import (
    AWAITING_ACTION,
    DISPATCHED,
    ENDED,
    LIVE,
    LIVE_STATUSES,
    REFERRAL_STATUSES,
    TERMINAL,
    TRANSITIONS,
    ReferralAction,
    ReferralState,
    Slot,
    after,
    allows,
    dispatch_complete,
    pending_destinations,
    refusal,
    report_status,
)

# (action, status) -> the status it ends in, or None when the action does not apply.
EXPECTED = {
    ("acknowledge", "assigned"): "acknowledged",
    ("reject", "assigned"): "rejected",
    ("close", "acknowledged"): "closed",
    ("reassign", "assigned"): "reassigned",
    ("reassign", "rejected"): "reassigned",
    # Long-term care households (decision model v1.1 rule 2)
    ("long_term_care", "acknowledged"): "long_term_care",
    ("long_term_care", "long_term_care"): "long_term_care",  # renewed, with a new review date
    ("close", "long_term_care"): "closed",
}


@pytest.mark.parametrize("action", ["acknowledge", "reject", "close", "reassign", "long_term_care"])
@pytest.mark.parametrize("status", ["assigned", "acknowledged", "rejected", "closed", "reassigned", "long_term_care"])
def test_every_action_from_every_status(action: ReferralAction, status: str) -> None:
    expected = EXPECTED.get((action, status))
    assert allows(action, status) is (expected is not None)
    if expected is None:
        assert refusal(action, status) is not None
        with pytest.raises(ValueError):
            after(action, status)
    else:
        assert refusal(action, status) is None
        assert after(action, status) == expected


def test_a_refusal_says_what_the_referral_is_and_what_the_action_needs() -> None:
    assert (
        refusal("close", "assigned", referral_id="R1") == "referral R1 is assigned, not acknowledged or long_term_care"
    )
    assert refusal("reassign", "closed") == "the referral is closed, not assigned or rejected"


def test_the_status_sets() -> None:
    assert set(REFERRAL_STATUSES) == {"assigned", "acknowledged", "rejected", "closed", "reassigned", "long_term_care"}
    assert {"rejected", "reassigned"} == ENDED
    assert {"assigned", "acknowledged", "closed", "long_term_care"} == LIVE
    assert {"assigned", "acknowledged", "long_term_care"} == LIVE_STATUSES  # open cases (v1.1 rule 1)
    assert {"acknowledged", "closed", "long_term_care"} == DISPATCHED
    assert {"assigned", "rejected"} == AWAITING_ACTION
    assert {"closed", "reassigned"} == TERMINAL  # an acknowledged referral belongs to its unit until closed
    assert set(TRANSITIONS) == {"acknowledge", "reject", "close", "reassign", "long_term_care"}


P, W = Slot("protection", "苗栗縣/protection"), Slot("welfare_center", "苗栗縣/welfare_center/頭份區")


def ref(d: Slot, status: str) -> ReferralState:
    assert d.unit is not None
    return ReferralState(d.kind, d.unit, status)


@pytest.mark.parametrize(
    ("destinations", "referrals", "status"),
    [
        ([], [], "awaiting_review"),  # nothing to send anywhere
        ([P], [], "awaiting_review"),  # waits for a dispatcher
        ([P, Slot("welfare_center", None)], [ref(P, "acknowledged")], "awaiting_review"),  # a unit to pick
        ([P], [ref(P, "rejected")], "awaiting_review"),  # back to the queue
        ([P, W], [ref(P, "closed"), ref(W, "rejected")], "awaiting_review"),  # closed, but a hole remains
        ([P], [ref(P, "assigned")], "assigned"),
        ([P, W], [ref(P, "acknowledged"), ref(W, "assigned")], "assigned"),
        ([P, W], [ref(P, "acknowledged"), ref(W, "closed")], "acknowledged"),
        ([P], [ref(P, "reassigned"), ref(P, "acknowledged")], "acknowledged"),  # the successor counts
        ([P, W], [ref(P, "closed"), ref(W, "closed")], "closed"),
        # A long-term care household counts as acknowledged (the SLA is met), never as closed.
        ([W], [ref(W, "long_term_care")], "acknowledged"),
        ([P, W], [ref(P, "closed"), ref(W, "long_term_care")], "acknowledged"),
        ([P, W], [ref(P, "assigned"), ref(W, "long_term_care")], "assigned"),
    ],
)
def test_report_status_follows_the_referrals(
    destinations: list[Slot], referrals: list[ReferralState], status: str
) -> None:
    assert report_status(destinations, referrals) == status
    assert dispatch_complete(destinations, referrals) is (status in ("acknowledged", "closed"))


def test_pending_destinations_are_those_no_referral_stands_for() -> None:
    unmapped = Slot("welfare_center", None)
    # A rejected referral still stands for its destination (it waits for a reassignment);
    # a reassigned one stands for nothing; a destination without a unit is always pending.
    assert pending_destinations([P, W, unmapped], [ref(P, "rejected"), ref(W, "reassigned")]) == [W, unmapped]
    assert pending_destinations([P], [ref(P, "assigned")]) == []


def test_a_status_the_table_does_not_know_keeps_its_destination_and_the_sla_open() -> None:
    later = ref(P, "on_hold")  # not a status today: it must not count as dispatched, nor vanish
    assert report_status([P], [later]) == "assigned"
    assert not dispatch_complete([P], [later])
