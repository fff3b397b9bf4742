"""Issue 11, item 5: tampering with the audit trail shows to someone outside the database.

The chain is keyed (HMAC under SAFETYNET_AUDIT_KEY, which the database never holds), and
`safetynet audit checkpoint` writes the signed head to a file outside it. Whoever can
write the database can remove a record and recompute the chain; before, that verified
as intact. On PostgreSQL the service's role may only read and append the trail."""

import asyncio
import os
import subprocess
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, text, update

from safetynet.intake.adapters import orm
from safetynet.intake.domain.audit import GENESIS, Actor, Entry, chain_hash
from safetynet.intake.service_layer.audit import verify_trail
from tests.support.processes import SAFETYNET

ON_POSTGRES = bool(os.environ.get("SAFETYNET_TEST_POSTGRES_URL"))
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="the trigger and the role refuse the rewrite on PostgreSQL")


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        record_id=row["record_id"],
        at=row["at"],
        actor=Actor(row["actor_key_id"], row["actor_name"], row["actor_role"]),
        action=row["action"],
        endpoint=row["endpoint"],
        client=row["client"],
        county=row["county"],
        report_id=row["report_id"],
        referral_id=row["referral_id"],
        detail=row["detail"],
    )


async def rows_of(engine: Any) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [
            dict(r._mapping) for r in await conn.execute(select(orm.audit_records).order_by(orm.audit_records.c.seq))
        ]


async def rechain_without_the_key(engine: Any, *, keep_key_id: bool) -> None:
    """What a database writer can do: recompute every link with plain SHA-256."""
    prev, rows = GENESIS, await rows_of(engine)
    async with engine.begin() as conn:
        for row in rows:
            digest = chain_hash(prev, _entry(row))
            await conn.execute(
                update(orm.audit_records)
                .where(orm.audit_records.c.seq == row["seq"])
                .values(prev_hash=prev, hash=digest, key_id=row["key_id"] if keep_key_id else None)
            )
            prev = digest


async def some_records(client: httpx.AsyncClient, keys: Any, report: Any) -> None:
    posted = await client.post("/v1/reports", json=report(), headers=keys.police.headers)
    for _ in range(4):
        assert (
            await client.get(f"/v1/reports/{posted.json()['report_id']}", headers=keys.dispatcher_miaoli.headers)
        ).status_code == 200


@sqlite_only
@pytest.mark.parametrize("keep_key_id", [True, False])
async def test_a_removed_record_with_a_recomputed_chain_no_longer_verifies(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any, keep_key_id: bool
) -> None:
    await some_records(client, keys, report)
    assert (await verify_trail(engine)).broken is None
    async with engine.begin() as conn:
        await conn.execute(delete(orm.audit_records).where(orm.audit_records.c.seq == 6))
    await rechain_without_the_key(engine, keep_key_id=keep_key_id)
    assert (await verify_trail(engine)).broken is not None


def cli(command: str, database_url: str, checkpoints: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SAFETYNET, "audit", command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SAFETYNET_DATABASE_URL": database_url, "SAFETYNET_AUDIT_CHECKPOINT_FILE": str(checkpoints)},
    )


@sqlite_only
async def test_checkpoints_outside_the_database_show_a_cut_or_a_rebuilt_trail(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any, database_url: str, tmp_path: Any
) -> None:
    checkpoints = tmp_path / "outside" / "checkpoints.jsonl"
    await some_records(client, keys, report)
    written = await asyncio.to_thread(cli, "checkpoint", database_url, checkpoints)
    assert written.returncode == 0, written.stdout + written.stderr
    assert (await asyncio.to_thread(cli, "verify", database_url, checkpoints)).returncode == 0

    # The newest records cut off the end: the chain that is left is still whole.
    async with engine.begin() as conn:
        await conn.execute(delete(orm.audit_records).where(orm.audit_records.c.seq > 6))
    assert (await verify_trail(engine)).broken is None
    cut = await asyncio.to_thread(cli, "verify", database_url, checkpoints)
    assert cut.returncode == 1 and "cut off the end" in cut.stdout

    # A forged checkpoint line is refused.
    checkpoints.write_text(checkpoints.read_text().replace('"seq": ', '"seq": 1'))
    forged = await asyncio.to_thread(cli, "verify", database_url, checkpoints)
    assert forged.returncode == 1 and "not signed" in forged.stdout


@sqlite_only
async def test_the_whole_trail_rebuilt_without_the_key_contradicts_a_checkpoint(
    client: httpx.AsyncClient, engine: Any, keys: Any, report: Any, database_url: str, tmp_path: Any
) -> None:
    checkpoints = tmp_path / "checkpoints.jsonl"
    await some_records(client, keys, report)
    assert (await asyncio.to_thread(cli, "checkpoint", database_url, checkpoints)).returncode == 0
    await rechain_without_the_key(engine, keep_key_id=False)  # every record "from before the key"
    rebuilt = await asyncio.to_thread(cli, "verify", database_url, checkpoints)
    assert rebuilt.returncode == 1 and "rewritten" in rebuilt.stdout


@pytest.mark.skipif(not os.environ.get("SAFETYNET_TEST_POSTGRES_URL"), reason="roles exist on PostgreSQL only")
async def test_the_service_role_may_only_read_and_append_the_trail(engine: Any) -> None:  # pragma: no cover
    async with engine.connect() as conn:
        if not (
            await conn.execute(text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"))
        ).scalar():
            pytest.skip("the migrating role may not create roles here: the migration leaves them to the DBA")
        may = {
            p: (
                await conn.execute(
                    text(f"SELECT has_table_privilege('safetynet_intake_app', 'intake.intake_audit', '{p}')")
                )
            ).scalar()
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
    assert may == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}
