"""Revoking and rotating API keys (minting is handlers.create_key). Every change is on
the audit trail, with the operator who made it.

Rotating mints a new secret for the same principal (role, name, county, agency type,
unit) and revokes the old key in the same transaction: an agency keeps seeing its
reports, since they are matched on its name. What is keyed on the key id does not carry
over: Idempotency-Keys sent with the old key, and console sessions signed in with it
(they end, as for any revoked key).
"""

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from safetynet.intake.domain.access import Principal
from safetynet.intake.domain.audit import Actor
from safetynet.intake.service_layer import audit
from safetynet.intake.service_layer.handlers import create_key, hash_secret
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork


class UnknownKey(Exception):
    """No such key, or it is already revoked."""


def expiry(days: int | None, *, now: datetime | None = None) -> datetime | None:
    if days is None:
        return None
    if days <= 0:
        raise ValueError("--expires-in-days must be at least 1")
    return (now or datetime.now(UTC)) + timedelta(days=days)


async def revoke_key(*, key_id: str, uow: IntakeUnitOfWork, operator: Actor = audit.OPERATOR) -> Principal:
    """Revoke a key at once: its next request is a 401, its console sessions end."""
    async with uow:
        stored = await uow.keys.stored(key_id)
        now = datetime.now(UTC)
        if stored is None or not await uow.keys.revoke(key_id, at=now):
            raise UnknownKey(key_id)
        await uow.sessions.end_for_key(key_id, now=now)
        revoked = stored.principal
        await audit.record(
            uow,
            [
                audit.entry(
                    operator,
                    "revoke_key",
                    county=revoked.county,
                    at=now,
                    detail={"key_id": key_id, "role": revoked.role, "name": revoked.name},
                )
            ],
        )
        await uow.commit()
    uow.forget_key(key_id)  # this process at once; the others on the NOTIFY sent with it
    return revoked


@dataclass(frozen=True)
class Rotated:
    old: Principal
    new: Principal
    secret: str
    expires_at: datetime | None


async def rotate_key(
    *, key_id: str, uow: IntakeUnitOfWork, expires_in_days: int | None = None, operator: Actor = audit.OPERATOR
) -> Rotated:
    """A new secret for the same principal; the old key is revoked in the same transaction.
    The new key expires after `expires_in_days`, or else after as long as the old one
    was meant to last (never, if it had no expiry)."""
    now = datetime.now(UTC)
    async with uow:
        stored = await uow.keys.stored(key_id)
        if stored is None or not await uow.keys.revoke(key_id, at=now):
            raise UnknownKey(key_id)
        await uow.sessions.end_for_key(key_id, now=now)
        if expires_in_days is not None:
            expires_at = expiry(expires_in_days, now=now)
        elif stored.expires_at is not None:
            expires_at = now + (stored.expires_at - stored.created_at)
        else:
            expires_at = None
        old = stored.principal
        new = replace(old, key_id=str(uuid.uuid4()))
        secret = "sn_" + secrets.token_urlsafe(32)
        await uow.keys.add(new, key_hash=hash_secret(secret), expires_at=expires_at)
        await audit.record(
            uow,
            [
                audit.entry(
                    operator,
                    "rotate_key",
                    county=old.county,
                    at=now,
                    detail={
                        "key_id": key_id,
                        "new_key_id": new.key_id,
                        "role": old.role,
                        "name": old.name,
                        "expires_at": expires_at.isoformat() if expires_at else None,
                    },
                )
            ],
        )
        await uow.commit()
    uow.forget_key(key_id)  # as for revoke_key
    return Rotated(old=old, new=new, secret=secret, expires_at=expires_at)


__all__ = ["Rotated", "UnknownKey", "create_key", "expiry", "revoke_key", "rotate_key"]
