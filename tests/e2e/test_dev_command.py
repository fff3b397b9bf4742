"""`safetynet dev` and `safetynet keys create` as a new user runs them: the README's
curl walk-through, in Python."""

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
        agency = mint_key(env, "--role", "agency", "--name", "苗栗縣警察局", "--county", "苗栗縣",
                          "--agency-type", "police")
        dispatcher = mint_key(env, "--role", "dispatcher", "--name", "值班社工", "--county", "苗栗縣")
        assert agency.startswith("sn_") and dispatcher.startswith("sn_") and agency != dispatcher

        scenario = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")
        base = f"http://127.0.0.1:{port}"
        posted = httpx.post(f"{base}/v1/reports", json=with_fresh_ids(scenario.body),
                            headers={"Authorization": f"Bearer {agency}", "Idempotency-Key": "walkthrough-1"})
        assert posted.status_code == 202, posted.text
        status_url = posted.json()["status_url"]
        assert status_url.endswith(f"/v1/reports/{posted.json()['report_id']}")

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            report = httpx.get(f"{base}/v1/reports/{posted.json()['report_id']}",
                               headers={"Authorization": f"Bearer {dispatcher}"}).json()
            if report["status"] == "assigned":
                break
            time.sleep(0.2)
        assert report["status"] == "assigned", report
        assert report["risk_level"] == "red" and report["urgent"] is True
        assert [(r["kind"], r["unit"]) for r in report["referrals"]] == [("protection", "苗栗縣/protection")]
    finally:
        dev.stop()


def test_keys_create_rejects_an_unknown_county(tmp_path):
    from tests.support.processes import SAFETYNET
    import os
    import subprocess

    done = subprocess.run([SAFETYNET, "keys", "create", "--role", "dispatcher", "--name", "x", "--county", "台北市"],
                          env={**os.environ, "SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/k.db"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "台北市" in done.stderr and "not configured" in done.stderr
