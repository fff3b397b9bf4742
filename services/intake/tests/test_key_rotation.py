"""Personal data sealed at rest: what is stored, key rotation, and loud failures.

Reports are posted through the API under key ring A; `safetynet crypto rotate` moves them
to B; a reader with only B reads everything; wrong keys, changed bytes and a sealed part
moved to another report fail with an error, never with missing data.
"""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from safetynet.cli import main as cli
from safetynet.intake.adapters import orm
from safetynet.intake.adapters.crypto import SEALED_COLUMNS, ReportCipher
from safetynet.intake.domain.views import ReportView
from safetynet.intake.service_layer import privacy
from safetynet.intake.service_layer.unit_of_work import IntakeUnitOfWork
from safetynet.intake.settings import IntakeSettings
from safetynet.platform.crypto import DecryptionError, new_key
from tests.support.personal import personal_report

KEY_A, KEY_B, KEY_C = new_key(), new_key(), new_key()
RING_A, RING_AB, RING_B = f"a:{KEY_A}", f"a:{KEY_A},b:{KEY_B}", f"b:{KEY_B}"


@pytest.fixture
def settings(database_url: str) -> IntakeSettings:
    return IntakeSettings(database_url=database_url, kafka_bootstrap=None, key_ring=RING_A)


def uow_with(engine: Any, ring: str) -> Callable[[], IntakeUnitOfWork]:
    cipher = ReportCipher(IntakeSettings(key_ring=ring).key_ring_keys())
    return lambda: IntakeUnitOfWork(engine, cipher=cipher)


async def stored(engine: Any) -> dict[str, dict[str, Any]]:
    async with engine.connect() as conn:
        return {r.report_id: dict(r._mapping) for r in await conn.execute(select(orm.reports))}


async def insert_legacy(engine: Any, body: dict[str, Any], report_id: str, like: dict[str, Any]) -> None:
    """A report as stored before encryption: its personal data readable in `submission`."""
    async with IntakeUnitOfWork(engine) as uow:
        values = {k: v for k, v in like.items() if k not in (*SEALED_COLUMNS, "pseudonymised_at")}
        await uow.session.execute(orm.reports.insert().values(**{**values, "report_id": report_id, "submission": body}))
        await uow.views.add(ReportView.received(report_id, sla_due_at=like["sla_due_at"]), county=like["county"])
        await uow.commit()


@pytest.fixture
async def reader(settings: IntakeSettings, engine: Any, broker: Any) -> Callable[[str], Any]:
    """`async with reader(ring) as client`: the API of an intake that has only `ring`."""
    from contextlib import asynccontextmanager

    from safetynet.cli.services import service_module

    @asynccontextmanager
    async def open_with(ring: str) -> AsyncIterator[httpx.AsyncClient]:
        other = service_module("intake").bootstrap(
            settings=IntakeSettings(database_url=settings.database_url, kafka_bootstrap=None, key_ring=ring),
            engine=engine,
            broker=broker,
        )
        transport = httpx.ASGITransport(app=other.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
            yield client

    return open_with


async def post_three(post_report: Any, engine: Any) -> dict[str, dict[str, Any]]:
    """Two reports through the API (sealed under A) and one stored before encryption."""
    bodies = {}
    for _ in range(2):
        body, _ = personal_report()
        response = await post_report(body)
        assert response.status_code == 202, response.text
        bodies[response.json()["report_id"]] = body
    legacy, _ = personal_report()
    rows = await stored(engine)
    await insert_legacy(engine, legacy, "00000000-0000-4000-8000-000000000001", next(iter(rows.values())))
    bodies["00000000-0000-4000-8000-000000000001"] = legacy
    return bodies


def assert_whole(view: dict[str, Any], body: dict[str, Any]) -> None:
    assert view["subjects"] == body["subjects"] and view["source"] == body["source"]
    assert view["narrative"] == body["narrative"]


async def test_the_stored_row_keeps_facts_readable_and_personal_data_sealed(post_report: Any, engine: Any) -> None:
    body, values = personal_report()
    report_id = (await post_report(body)).json()["report_id"]
    row = (await stored(engine))[report_id]
    assert row["personal_key_id"] == "a" and row["pseudonymised_at"] is None
    public = row["submission"]
    assert public["county"] == "苗栗縣" and public["indicators"] == body["indicators"]
    assert public["source"] == {"agency_type": "police", "mandated_reporter": True}
    assert public["subjects"] == [
        {"role": "victim", "sex": "F"},
        {"role": "offender", "age": 41, "sex": "M"},
        {"role": "child"},
    ]
    assert "narrative" not in public
    readable = repr(row).encode()
    assert not [v for v in values if v.encode() in readable or v.encode() in row["personal_ciphertext"]]


async def test_rotation_moves_every_report_to_the_new_key_and_old_keys_can_go(
    post_report: Any, engine: Any, keys: Any, reader: Any
) -> None:
    bodies = await post_three(post_report, engine)
    async with reader(RING_A) as client:  # before rotation: sealed and legacy rows both read
        for report_id, body in bodies.items():
            assert_whole(
                (await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)).json(), body
            )

    counts = await privacy.rotate_keys(uow=uow_with(engine, RING_AB), batch_size=2)
    assert (counts.key_id, counts.resealed, counts.encrypted, counts.skipped, counts.batches) == ("b", 2, 1, 0, 2)
    again = await privacy.rotate_keys(uow=uow_with(engine, RING_AB))
    assert (again.resealed, again.encrypted, again.batches) == (0, 0, 0)  # idempotent
    rows = await stored(engine)
    assert {r["personal_key_id"] for r in rows.values()} == {"b"}
    assert all("narrative" not in r["submission"] for r in rows.values())

    async with reader(RING_B) as client:  # A removed from the ring
        for report_id, body in bodies.items():
            response = await client.get(f"/v1/reports/{report_id}", headers=keys.dispatcher_miaoli.headers)
            assert response.status_code == 200
            assert_whole(response.json(), body)
    async with reader(RING_A) as client:  # a reader without B fails loudly, never answers empty
        first = next(iter(bodies))
        assert (await client.get(f"/v1/reports/{first}", headers=keys.dispatcher_miaoli.headers)).status_code == 500


async def test_wrong_keys_changed_bytes_and_swapped_reports_fail_loudly(post_report: Any, engine: Any) -> None:
    bodies = await post_three(post_report, engine)
    await privacy.rotate_keys(uow=uow_with(engine, RING_AB))
    one, two, legacy = bodies
    async with uow_with(engine, f"b:{KEY_C}")() as uow:  # right id, wrong key
        with pytest.raises(DecryptionError, match="does not open"):
            await uow.reports.get(one)
    async with uow_with(engine, RING_A)() as uow:  # the key is gone from the ring
        with pytest.raises(DecryptionError, match="not in the key ring"):
            await uow.reports.get(one)

    rows = await stored(engine)
    changed = bytearray(rows[one]["personal_ciphertext"])
    changed[5] ^= 0x01
    swapped = {c: rows[two][c] for c in SEALED_COLUMNS}  # report two's sealed part on the legacy row
    async with engine.begin() as conn:
        await conn.execute(
            orm.reports.update().where(orm.reports.c.report_id == one).values(personal_ciphertext=bytes(changed))
        )
        await conn.execute(orm.reports.update().where(orm.reports.c.report_id == legacy).values(**swapped))
    async with uow_with(engine, RING_B)() as uow:
        assert (await uow.reports.get(two))["submission"]["narrative"] == bodies[two]["narrative"]
        for broken in (one, legacy):
            with pytest.raises(DecryptionError):
                await uow.reports.get(broken)
        assert (await uow.reports.get(one, personal=False))["county"] == "苗栗縣"  # facts still read

    with pytest.raises(privacy.RotationFailed, match=f"report ({one}|{legacy}): "):
        await privacy.rotate_keys(uow=uow_with(engine, f"{RING_B},c:{KEY_C}"))


async def test_the_rotate_command_prints_its_counts_and_fails_on_a_record_that_does_not_open(
    post_report: Any,
    engine: Any,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await post_three(post_report, engine)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SAFETYNET_DATABASE_URL", database_url)
    monkeypatch.setenv("SAFETYNET_KEY_RING", RING_AB)
    assert await cli.run(cli._parser().parse_args(["crypto", "rotate", "--batch-size", "1"])) == 0
    assert (
        "key b: 2 reports sealed again, 1 sealed for the first time, 0 changed meanwhile (left), in 3 batches"
        in capsys.readouterr().out
    )
    assert await cli.run(cli._parser().parse_args(["crypto", "rotate"])) == 0
    assert "key b: 0 reports sealed again, 0 sealed for the first time" in capsys.readouterr().out

    monkeypatch.setenv("SAFETYNET_KEY_RING", f"c:{KEY_C}")  # B forgotten: nothing opens
    assert await cli.run(cli._parser().parse_args(["crypto", "rotate"])) == 1
    out = capsys.readouterr().out
    assert "stopped: report" in out and "'b' is not in the key ring" in out
    assert KEY_B not in out and KEY_C not in out
