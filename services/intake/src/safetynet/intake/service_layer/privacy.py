"""Key rotation and retention over every report, in batches, each its own transaction.

Both run beside the live services: readers keep working during a rotation because the
key ring holds the old keys and the new one, and each batch commits on its own, so a
stopped run loses at most one batch and the next run goes on where the work remains.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from safetynet.intake.domain import retention
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.platform.counties import CountyDirectory
from safetynet.platform.crypto import DecryptionError

UowFactory = Callable[[], IntakeUnitOfWork]


class RotationFailed(Exception):
    """A report's personal part did not open: the run stops, naming it. `counts`: what
    the batches before it did (committed)."""

    def __init__(self, message: str, counts: "RotationCounts"):
        super().__init__(message)
        self.counts = counts


@dataclass
class RotationCounts:
    key_id: str = ""
    resealed: int = 0  # sealed under an older key, now under the active one
    encrypted: int = 0  # written before encryption, now sealed
    skipped: int = 0  # changed by someone else between read and write
    batches: int = 0


@dataclass
class RetentionCounts:
    closed: int = 0  # closed reports whose personal data was still kept
    due: int = 0  # of those, past their county's retention period
    purged: int = 0
    batches: int = 0


async def rotate_keys(*, uow: UowFactory, batch_size: int = 200) -> RotationCounts:
    """Seal every report's personal part under the key ring's active key (a fresh data
    key each). Idempotent: a second run finds nothing to do."""
    counts = RotationCounts()
    after = ""
    while True:
        async with uow() as unit:
            counts.key_id = unit.privacy.cipher.active_key_id
            rows = await unit.privacy.not_on_active_key(after=after, limit=batch_size)
            if not rows:
                return counts
            batch = RotationCounts()
            for row in rows:
                try:
                    done = await unit.privacy.reseal(row)
                except DecryptionError as error:
                    raise RotationFailed(f"report {row['report_id']}: {error}", counts) from None
                if not done:
                    batch.skipped += 1
                elif row["personal_key_id"] is None:
                    batch.encrypted += 1
                else:
                    batch.resealed += 1
            await unit.commit()
        counts.resealed += batch.resealed
        counts.encrypted += batch.encrypted
        counts.skipped += batch.skipped
        counts.batches += 1
        after = rows[-1]["report_id"]


async def run_retention(
    *, uow: UowFactory, directory: CountyDirectory, now: datetime, dry_run: bool = False, batch_size: int = 200
) -> RetentionCounts:
    """Purge the personal part of every closed report past its county's retention
    period; with `dry_run`, only count them."""
    counts = RetentionCounts()
    after = ""
    while True:
        async with uow() as unit:
            closed = await unit.privacy.closed_reports(after=after, limit=batch_size)
            if not closed:
                return counts
            batch = RetentionCounts(closed=len(closed))
            for report in closed:
                if not retention.purge_due(
                    report.referrals, now=now, retention_days=directory.retention_days(report.county)
                ):
                    continue
                batch.due += 1
                if not dry_run and await unit.privacy.purge(report.report_id, at=now):
                    batch.purged += 1
            if not dry_run:
                await unit.commit()
        counts.closed += batch.closed
        counts.due += batch.due
        counts.purged += batch.purged
        counts.batches += 1
        after = closed[-1].report_id
