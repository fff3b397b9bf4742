"""Console sessions: started at sign-in, resumed on each request, ended at sign-out.

The cookie is signed (entrypoints/console/session.py) but is only a pointer: the session
lives here, so a copied cookie stops working when its owner signs out, when the key is
revoked (keys.revoke_key ends its sessions; resuming also checks the key is still live),
after `idle_seconds` unused, and at its absolute expiry.
"""

from datetime import UTC, datetime, timedelta

from safetynet.intake.domain.access import Principal
from safetynet.intake.service_layer import audit
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork

# Writing last_seen_at on every request would be a write per page view and fragment
# poll; a minute's slack on an idle timeout of many minutes changes nothing.
TOUCH_EVERY = timedelta(seconds=60)


def _now() -> datetime:
    return datetime.now(UTC)


async def start_session(*, session_id: str, principal: Principal, expires_at: datetime, uow: IntakeUnitOfWork) -> None:
    """Start a session; the sign-in is on the audit trail (who, when, from where), as the
    reads and actions done with it are."""
    async with uow:
        await uow.sessions.start(session_id=session_id, key_id=principal.key_id, now=_now(), expires_at=expires_at)
        await audit.record(uow, [audit.entry(audit.actor_of(principal), "console_sign_in", county=principal.county)])
        await uow.commit()


async def resume_session(
    *, session_id: str, idle_seconds: int, uow: IntakeUnitOfWork, now: datetime | None = None
) -> Principal | None:
    """The principal of a live session whose key is live, or None."""
    now = now or _now()
    async with uow:
        found = await uow.sessions.live(session_id, now=now, idle_since=now - timedelta(seconds=idle_seconds))
        principal = await uow.keys.by_id(found.key_id) if found else None
        if found is None or principal is None:
            return None
        if now - found.last_seen_at >= TOUCH_EVERY:
            await uow.sessions.touch(session_id, now=now)
            await uow.commit()
        return principal


async def end_session(*, session_id: str, principal: Principal, uow: IntakeUnitOfWork) -> None:
    async with uow:
        await uow.sessions.end(session_id, now=_now())
        await audit.record(uow, [audit.entry(audit.actor_of(principal), "console_sign_out", county=principal.county)])
        await uow.commit()
