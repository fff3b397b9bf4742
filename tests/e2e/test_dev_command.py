"""`safetynet dev` and `safetynet keys create` as a new user runs them: the README's
curl walk-through, in Python."""

import re
import time

import httpx
import pytest

from tests.support.processes import Process, free_port, mint_key
from tests.support.scenarios import SCENARIOS, with_fresh_ids

pytestmark = pytest.mark.e2e


def test_dev_routes_a_posted_report(tmp_path):
    env = {"SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/dev.db"}
    port = free_port()
    dev = Process("dev", "--port", str(port), env=env, log=tmp_path / "dev.log")
    try:
        dev.wait_http(f"http://127.0.0.1:{port}/healthz")
        # keys create runs while dev holds the database file, as in the README.
        agency = mint_key(
            env, "--role", "agency", "--name", "苗栗縣警察局", "--county", "苗栗縣", "--agency-type", "police"
        )
        dispatcher = mint_key(env, "--role", "dispatcher", "--name", "值班社工", "--county", "苗栗縣")
        assert agency.startswith("sn_") and dispatcher.startswith("sn_") and agency != dispatcher

        scenario = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")
        base = f"http://127.0.0.1:{port}"
        posted = httpx.post(
            f"{base}/v1/reports",
            json=with_fresh_ids(scenario.body),
            headers={"Authorization": f"Bearer {agency}", "Idempotency-Key": "walkthrough-1"},
        )
        assert posted.status_code == 202, posted.text
        status_url = posted.json()["status_url"]
        assert status_url.endswith(f"/v1/reports/{posted.json()['report_id']}")

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            report = httpx.get(
                f"{base}/v1/reports/{posted.json()['report_id']}", headers={"Authorization": f"Bearer {dispatcher}"}
            ).json()
            if report["status"] == "assigned":
                break
            time.sleep(0.2)
        assert report["status"] == "assigned", report
        assert report["risk_level"] == "red" and report["urgent"] is True
        assert [(r["kind"], r["unit"]) for r in report["referrals"]] == [("protection", "苗栗縣/protection")]
    finally:
        dev.stop()


def test_keys_create_rejects_an_unknown_county(tmp_path):
    import os
    import subprocess

    from tests.support.processes import SAFETYNET

    done = subprocess.run(
        [SAFETYNET, "keys", "create", "--role", "dispatcher", "--name", "x", "--county", "台北市"],
        env={**os.environ, "SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "台北市" in done.stderr and "not configured" in done.stderr


def test_a_first_run_says_where_everything_is_and_keys_create_prints_only_the_key(tmp_path):
    from tests.support.demo import wait_for_banner
    from tests.support.processes import safetynet

    env = {"SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/dev.db"}
    port = free_port()
    dev = Process("dev", "--port", str(port), env=env, log=tmp_path / "dev.log")
    try:
        output = wait_for_banner(tmp_path / "dev.log")
        base = f"http://127.0.0.1:{port}"
        for where in (f"{base}/console", f"{base}/docs", f"{base}/v1/reports", "keys create --role dispatcher"):
            assert where in output, output
        dev.wait_http(f"{base}/healthz")
        # The bare address leads to the console, which asks for a key.
        home = httpx.get(base, follow_redirects=True)
        assert home.status_code == 200 and str(home.url).startswith(f"{base}/console/sign-in")
        # Logs on a terminal (here, `dev`) are text, not JSON lines; migrations say nothing.
        output = (tmp_path / "dev.log").read_text(encoding="utf-8")
        log_lines = [line for line in output.splitlines() if "INFO" in line]
        assert log_lines and not any(line.startswith("{") for line in log_lines), output
        assert "alembic" not in output

        stdout = safetynet(
            "keys", "create", "--role", "dispatcher", "--name", "值班社工", "--county", "苗栗縣", env=env
        )
        lines = stdout.strip().splitlines()
        assert len(lines) == 2 and lines[0].startswith("created dispatcher key ") and lines[1].startswith("sn_"), stdout
    finally:
        dev.stop()


def test_demo_mints_printed_keys_and_seeds_every_county_once(tmp_path):
    from tests.support.demo import printed_key, wait_for_banner

    env = {"SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    seen = None
    for run in (1, 2):  # a second --demo run mints new keys and adds no reports
        port = free_port()
        dev = Process("dev", "--demo", "--port", str(port), env=env, log=tmp_path / f"demo{run}.log")
        try:
            output = wait_for_banner(tmp_path / f"demo{run}.log")
            base = f"http://127.0.0.1:{port}"
            dev.wait_http(f"{base}/healthz")
            for role in ("supervisor", "unit", "agency"):
                assert re.search(rf"^ +{role} ", output, re.MULTILINE), output
            totals = {}
            for county in ("新竹市", "新竹縣", "苗栗縣", "南投縣", "屏東縣"):
                auth = {"Authorization": f"Bearer {printed_key(output, 'dispatcher', county)}"}
                deadline, body = time.monotonic() + 60, {}
                while time.monotonic() < deadline:  # until screening and routing have acted on them all
                    body = httpx.get(f"{base}/v1/kpis", params={"county": county, **today()}, headers=auth).json()
                    if body.get("reports") and body["counts"]["by_risk_level"].get("unscreened") == 0:
                        break
                    time.sleep(0.3)
                assert body.get("reports", 0) >= 5, body
                totals[county] = body["reports"]
                queue = httpx.get(f"{base}/v1/queue", headers=auth)
                assert queue.status_code == 200 and queue.json(), queue.text
            assert seen in (None, totals)
            seen = totals
        finally:
            dev.stop()
    assert "none added" in output


def today() -> dict[str, str]:
    from datetime import datetime, timedelta, timezone

    day = datetime.now(timezone(timedelta(hours=8))).date()  # KPI periods are Taipei dates
    return {"from": day.isoformat(), "to": day.isoformat()}
