"""Routing's handlers: open a case per screened report, apply each command to it."""

from datetime import datetime

from safetynet.contracts import topics
from safetynet.policy.repeat_window import repeat_window_start
from safetynet.routing import domain
from safetynet.routing.adapters.contracts import command_rejected, referral_changed, status_changed
from safetynet.routing.service_layer.open_cases import follow_reassigned_open_cases
from safetynet.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def open_case(
    *,
    event_id: str,
    report: domain.ScreenedReport,
    at: datetime,
    uow: RoutingUnitOfWork,
    new_id: domain.NewId = domain.new_referral_id,
) -> domain.Case | None:
    """Open the case of a screened report; refer it at once when urgent or a direct dispatch.

    The re-report rule is applied here, against routing's own committed closures, so a
    closure committed before the report was received counts whatever the timing; so is
    rule 1 (open cases), against routing's own live referrals."""
    async with uow:
        if not await uow.claim(event_id):
            return None
        if await uow.cases.get(report.report_id) is not None:
            await uow.commit()  # keep the claim: a second decision never opens a second case
            return None
        # Rule 1 (併案) first: an open case beats a closed one, so the kinds it linked are
        # hidden from the re-report rule. Read under the open cases' locks (repository).
        open_cases = domain.open_case_rule_on(report)
        open_referrals, history = await uow.cases.referrals_of_subjects(
            report.subject_hashes,
            county=report.county,
            since=repeat_window_start(report.received_at),
            open_cases=open_cases,
        )
        if open_cases:
            report = domain.apply_open_case_rule(report, open_referrals)
        report = domain.apply_rereport_rule(report, [c for c in history if c.kind not in report.links])
        case, changes = domain.Case.open(report, at=at, new_id=new_id)
        await uow.cases.add(case)
        await _record_and_announce(uow, case, changes)
        await uow.commit()
        return case


async def apply_command(
    *,
    event_id: str,
    command: domain.Command,
    at: datetime,
    uow: RoutingUnitOfWork,
    units: domain.UnitDirectory,
    new_id: domain.NewId = domain.new_referral_id,
) -> list[domain.Event]:
    """Apply a dispatcher's or a unit's command, or answer CommandRejected and change nothing."""
    async with uow:
        if not await uow.claim(event_id):
            return []
        case = await uow.cases.get(command.report_id)
        try:
            changes = domain.execute(case, command, at=at, units=units, new_id=new_id)
        except domain.CommandError as error:
            changes = []  # the case object may be half-changed: it is dropped, never saved
            await uow.emit(topics.REFERRALS, command_rejected(command, reason=str(error), at=at))
        if changes and case is not None:
            await uow.cases.save(case)
            await _record_and_announce(uow, case, changes)
            # Rule 1 (併案): a new report linked to an open case that was just moved follows it.
            for other, moves in await follow_reassigned_open_cases(uow, changes, at=at, units=units, new_id=new_id):
                await _record_and_announce(uow, other, moves)
        await uow.commit()
        return changes


async def _record_and_announce(uow: RoutingUnitOfWork, case: domain.Case, changes: list[domain.Event]) -> None:
    """Keep every change in the history, announce each referral change, then the new snapshot."""
    await uow.cases.add_actions(case.report_id, changes)
    for change in changes:
        if isinstance(change, domain.ReferralEvent):
            await uow.emit(topics.REFERRALS, referral_changed(case, change))
    await uow.emit(topics.REFERRALS, status_changed(case, changes[0]))
