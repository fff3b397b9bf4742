"""A partner agency's generated client, end to end.

Partner agencies generate their clients from the served OpenAPI document. This test does
what they do: it fetches `/openapi.json` from intake (the whole system in this process),
generates a client with openapi-python-client (the version pinned in pyproject.toml),
fails on any warning the generator prints, imports the generated package and drives the
README's walk-through through it: a partner agency posts a report, the dispatcher reads
its decision, the unit acknowledges its referral and the SLA is met.
"""

import asyncio
import importlib
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from safetynet.intake.entrypoints.api.examples import REPORT
from tests.support.system import EmbeddedSystem, embedded_system

pytestmark = pytest.mark.e2e

PACKAGE = "safetynet_intake_client"


def generate_client(document: Path, out: Path) -> str:
    """Run the generator; return everything it printed."""
    venv_bin = str(Path(sys.executable).parent)  # its ruff post-hook: ruff comes with the generator
    env = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(out),
            "--meta",
            "none",
            "--overwrite",
        ],
        check=False,  # the assertion below shows what it printed
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    printed = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, printed
    return printed


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Import modules of the generated package from tmp_path, and forget them after."""
    sys.path.insert(0, str(tmp_path))
    yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


async def _until(read: Callable[[], Awaitable[Any]], holds: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if holds(value):
            return value
        assert asyncio.get_running_loop().time() < deadline, f"never held; last: {value}"
        await asyncio.sleep(0.05)


async def test_a_generated_client_drives_the_readme_walk_through(
    tmp_path: Path, importable: Callable[[str], ModuleType]
) -> None:
    (tmp_path / "system").mkdir()
    async with embedded_system(tmp_path / "system") as system:
        served = await system.client.get("/openapi.json")
        assert served.status_code == 200
        document = tmp_path / "openapi.json"
        document.write_bytes(served.content)

        printed = await asyncio.to_thread(generate_client, document, tmp_path / PACKAGE)
        # A clean run prints exactly one line; anything else is a warning (a response or
        # a model the client would lack) or a skipped post-hook.
        assert printed.splitlines() == [f"Generating {tmp_path / PACKAGE}"], printed

        await _walk_through(system, importable)


def _client(importable: Callable[[str], ModuleType], system: EmbeddedSystem, headers: dict[str, str]) -> Any:
    token = headers["Authorization"].removeprefix("Bearer ")
    return importable("client").AuthenticatedClient(
        base_url="http://intake", token=token, httpx_args={"transport": httpx.ASGITransport(app=system.app)}
    )


async def _walk_through(system: EmbeddedSystem, importable: Callable[[str], ModuleType]) -> None:
    models = importable("models")
    create_report, get_report = importable("api.reports.create_report"), importable("api.reports.get_report")
    acknowledge = importable("api.actions.acknowledge_referral")
    agency = _client(importable, system, await system.key("agency", name="苗栗縣警察局", agency_type="police"))
    dispatcher = _client(importable, system, await system.key("dispatcher", name="值班社工"))
    unit = _client(importable, system, await system.key("unit", name="苗栗家防中心", unit="苗栗縣/protection"))

    # A partner agency posts a report (Idempotency-Key makes retries safe).
    body = models.ReportSubmission.from_dict(REPORT)
    posted = await create_report.asyncio_detailed(client=agency, body=body, idempotency_key="police-2026-000123")
    assert posted.status_code == 202, posted.content
    assert isinstance(posted.parsed, models.ReportAccepted)
    report_id = posted.parsed.report_id
    assert posted.parsed.status_url.endswith(f"/v1/reports/{report_id}")
    replayed = await create_report.asyncio_detailed(client=agency, body=body, idempotency_key="police-2026-000123")
    assert (replayed.status_code, replayed.parsed.report_id) == (202, report_id)

    # The dispatcher reads the decision: red, a direct dispatch, assigned to 苗栗縣/protection.
    async def dispatcher_view() -> Any:
        return await get_report.asyncio(client=dispatcher, report_id=report_id)

    decided = await _until(dispatcher_view, lambda v: v.status != "received" and v.referrals)
    assert isinstance(decided, models.DispatcherReportView)
    assert (decided.status, decided.risk_level, decided.direct_dispatch, decided.urgent) == (
        "assigned",
        "red",
        True,
        True,
    )
    assert {"RED_TIPVDA_HIGH", "DIRECT_IPV_CHILD_UNDER_6"} <= {r.code for r in decided.reasons}, decided.reasons
    [referral] = decided.referrals
    assert (referral.kind, referral.unit, referral.status) == ("protection", "苗栗縣/protection", "assigned")

    # The agency that posted sees only the status, the SLA and the destination kinds.
    progress = await get_report.asyncio(client=agency, report_id=report_id)
    assert isinstance(progress, models.AgencyReportView)
    assert [d.kind for d in progress.destinations] == ["protection"]

    # Errors come back typed too: an agency may not acknowledge, a bad report is a 422.
    refused = await acknowledge.asyncio_detailed(client=agency, referral_id=referral.referral_id)
    assert refused.status_code == 403 and isinstance(refused.parsed, models.Error), refused.content
    invalid = await create_report.asyncio_detailed(
        client=agency, body=models.ReportSubmission.from_dict({**REPORT, "county": "火星縣"})
    )
    assert invalid.status_code == 422 and isinstance(invalid.parsed, models.ValidationErrors), invalid.content
    assert ["body", "county"] in [problem.loc for problem in invalid.parsed.detail]

    # The unit acknowledges its referral: the report becomes acknowledged and the SLA met.
    taken = await acknowledge.asyncio_detailed(client=unit, referral_id=referral.referral_id)
    assert taken.status_code == 202 and isinstance(taken.parsed, models.ActionAccepted), taken.content
    done = await _until(dispatcher_view, lambda v: v.status == "acknowledged" and v.sla.state == "met")
    assert [r.status for r in done.referrals] == ["acknowledged"]
