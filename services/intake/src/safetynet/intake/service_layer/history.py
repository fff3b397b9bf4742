"""Reading a report's subject history (domain/history.py): the county's other reports
about the same people, for dispatch staff; each view is on the audit trail before it is
answered, with the reports it showed."""

from dataclasses import dataclass

from safetynet.intake.adapters.history import SubjectHistoryRepository
from safetynet.intake.domain.access import Principal, can_read
from safetynet.intake.domain.history import HISTORY_LIMIT, HistoryEntry, history_entries
from safetynet.intake.domain.policy import DISPATCH
from safetynet.intake.domain.subjects import subject_hash
from safetynet.intake.service_layer import audit
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


@dataclass(frozen=True)
class SubjectHistory:
    report_id: str
    county: str
    total: int  # how many such reports there are; `entries` holds the newest HISTORY_LIMIT
    entries: list[HistoryEntry]


async def subject_history(
    *, principal: Principal, report_id: str, uow: IntakeUnitOfWork, hash_key: bytes, limit: int = HISTORY_LIMIT
) -> SubjectHistory | None:
    """The history of `report_id`'s subjects within the principal's county, or None when
    the report is not the principal's to see. Audited as `read_subject_history`."""
    if principal.role not in DISPATCH:  # the dispatch desk's tool, as the route's rule says
        return None
    async with uow:
        ownership = await uow.reports.ownership(report_id)
        report = await uow.reports.get(report_id) if ownership and can_read(principal, ownership) else None
        if report is None:
            return None
        repository = SubjectHistoryRepository(uow.session)
        found, total = await repository.same_subjects(report_id, county=principal.county, limit=limit)
        # Which of this report's subjects each entry names: hashed again from the opened
        # submission (the index keeps no order); a purged report has no IDs left.
        hashes = [
            subject_hash(hash_key, s["national_id"]) if "national_id" in s else None
            for s in report["submission"].get("subjects", [])
        ]
        entries = history_entries(found, received_at=report["received_at"], subject_hashes=hashes)
        await audit.record(
            uow,
            [
                audit.entry(
                    audit.actor_of(principal),
                    "read_subject_history",
                    county=report["county"],
                    report_id=report_id,
                    detail={"reports": [e["report_id"] for e in entries], "total": total},
                )
            ],
        )
        await uow.commit()
    return SubjectHistory(report_id=report_id, county=report["county"], total=total, entries=entries)
