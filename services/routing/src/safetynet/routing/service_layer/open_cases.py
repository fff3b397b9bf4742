"""Rule 1 (併案) after a reassignment: referrals linked to an open case follow it.

A new report linked to an open referral went to the unit holding it. When a dispatcher
then moves that open referral to another unit (its report and the new one may have
committed in either order, on any replica), the new report's referral, if its unit has
not answered yet, moves with it, linked to the successor: the link always ends at the
unit that holds the open case. Each move is a change of the other case, in the same
transaction as the reassignment, announced like any other.
"""

from datetime import datetime

from safetynet.routing import domain
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def follow_reassigned_open_cases(
    uow: RoutingUnitOfWork,
    changes: list[domain.Event],
    *,
    at: datetime,
    units: domain.UnitDirectory,
    new_id: domain.NewId,
) -> list[tuple[domain.Case, list[domain.Event]]]:
    """The other cases changed because `changes` reassigned an open referral they link to,
    with their changes (saved; the caller records and announces them)."""
    followed: list[tuple[domain.Case, list[domain.Event]]] = []
    # A worklist: a referral that moved may itself be the open case of a later report.
    work = [(c.referral.referral_id, c.successor_id) for c in changes if isinstance(c, domain.ReferralReassigned)]
    successors = {c.referral.referral_id: c.referral for c in changes if isinstance(c, domain.ReferralAssigned)}
    while work:
        moved_id, successor_id = work.pop(0)
        successor = successors.get(successor_id)
        if successor is None:
            continue
        # Locked FOR UPDATE, after the open case's own: links point to older referrals only,
        # so every transaction takes these locks in the same order.
        for report_id, referral_id in await uow.cases.waiting_referrals_linked_to(moved_id):
            case = await uow.cases.get(report_id)
            if case is None:
                continue
            try:
                moves = domain.follow_the_open_case(
                    case,
                    referral_id=referral_id,
                    open_successor=successor,
                    at=max(at, case.updated_at),  # never before the state it changes
                    units=units,
                    new_id=new_id,
                )
            except domain.CommandError:
                continue  # e.g. that unit is already a destination of the report: it stays
            await uow.cases.save(case)
            followed.append((case, moves))
            for move in moves:
                if isinstance(move, domain.ReferralAssigned):
                    successors[move.referral.referral_id] = move.referral
                elif isinstance(move, domain.ReferralReassigned):
                    work.append((move.referral.referral_id, move.successor_id))
    return followed
