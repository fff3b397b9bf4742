"""Reads of rule 1's links (併案) between reports, from intake's referral index."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from safetynet.intake.adapters import orm
from safetynet.intake.domain.case_links import CaseLink, CaseLinks, one_per_report
from safetynet.intake.domain.views import Referral
from safetynet.policy.referral_lifecycle import SUPERSEDED


async def read_case_links(session: AsyncConnection, referrals: list[Referral]) -> CaseLinks:
    """The links of rule 1 (併案) both ways, for a report with these referrals: to the
    open referrals its own were linked to, and from later reports linked to its own."""
    t = orm.referral_index.c
    own = [r["referral_id"] for r in referrals]
    # A reassigned referral keeps its link, so the report stays linked to its open case
    # even when a dispatcher moved the referral elsewhere (its successor is then unlinked).
    linked = {r["referral_id"]: theirs for r in referrals if (theirs := r.get("linked_to"))}
    linked_to: list[CaseLink] = []
    if linked:
        rows = await session.execute(select(t.referral_id, t.report_id).where(t.referral_id.in_(linked.values())))
        report_of = {row.referral_id: row.report_id for row in rows}
        linked_to = [
            CaseLink(referral_id=mine, other_report_id=report_of[theirs], other_referral_id=theirs)
            for mine, theirs in linked.items()
            if theirs in report_of  # an open case of a report this intake never accepted: not shown
        ]
    linked_from: list[CaseLink] = []
    if own:
        later = await session.execute(
            select(t.referral_id, t.report_id, t.linked_to).where(t.linked_to.in_(own)).order_by(t.report_id)
        )
        linked_from = [
            CaseLink(referral_id=row.linked_to, other_report_id=row.report_id, other_referral_id=row.referral_id)
            for row in later
        ]
    superseded = {r["referral_id"] for r in referrals if r["status"] in SUPERSEDED}
    return CaseLinks(
        linked_to=one_per_report(linked_to, superseded), linked_from=one_per_report(linked_from, superseded)
    )
