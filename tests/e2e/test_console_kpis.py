"""The KPI page of the console: the programme's rates and counts as charts."""

import re

import pytest

from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e


async def test_the_kpi_page_charts_the_periods_rates_and_counts(tmp_path):
    red = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")
    elder = next(s for s in SCENARIOS if s.name == "elder_abuse_no_injury")
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        unit = await system.key("unit", unit="苗栗縣/protection")
        posted = (await system.client.post("/v1/reports", json=with_fresh_ids(red.body), headers=agency)).json()
        await system.client.post(
            "/v1/reports", json={**with_fresh_ids(elder.body), "county": "苗栗縣", "township": "苗栗市"}, headers=agency
        )
        report = await system.wait_for(posted["report_id"], dispatcher, lambda b: b["status"] == "assigned")
        await system.client.post(f"/v1/referrals/{report['referrals'][0]['referral_id']}/acknowledge", headers=unit)
        await system.wait_for(posted["report_id"], dispatcher, lambda b: b["sla"]["state"] == "met")

        page = await system.client.get("/console/kpis", headers=dispatcher)
        assert page.status_code == 200, page.text
        html = page.text
        assert "24小時內派案比率" in html and "保護性案件再通報率" in html
        # One of the two reports is dispatched; the other's deadline has not passed yet: 1 / 1.
        assert re.search(r'<meter class="bar" min="0" max="1" value="1.0"', html)
        assert "1 / 1" in html
        # Counts as bars: two protection reports (IPV, elder abuse), both from the police.
        assert re.search(r'<th scope="row">警政</th>\s*<td><progress class="bar" max="2" value="2"', html)
        # The queue's labels, not the contract's codes, with the risk lights.
        assert "親密關係暴力" in html and "老人虐待" in html and '<span class="risk risk-red">' in html
        assert not re.search(r'<th scope="row">(intimate_partner_violence|police|red|unscreened)</th>', html)
        assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles

        bad = await system.client.get("/console/kpis?from=2026-12-01&to=2026-11-01", headers=dispatcher)
        assert bad.status_code == 200 and 'role="alert"' in bad.text
        assert (await system.client.get("/console/kpis", headers=agency)).status_code in (401, 403)
