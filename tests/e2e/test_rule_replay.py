"""A supervisor tries a rule version on history from the console, through the real event
flow: intake publishes ReplayRequested, screening replays the county's stored decisions
and answers ReplayCompleted, intake shows the comparison (issue 13)."""

import asyncio
import copy
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from safetynet.contracts.report import TAIPEI
from safetynet.screening.domain import SHIPPED_DOCUMENTS
from tests.support.scenarios import SCENARIOS, with_fresh_ids
from tests.support.system import embedded_system

pytestmark = pytest.mark.e2e


async def test_a_supervisor_replays_a_stricter_tipvda_threshold_over_todays_reports(tmp_path):
    red_by_score = next(s for s in SCENARIOS if s.name == "ipv_high_tipvda")  # TIPVDA 9: red under v1
    candidate = copy.deepcopy(SHIPPED_DOCUMENTS["v1.0.0"].model_dump(mode="json"))
    candidate["version"] = "v1.0.0-tipvda10"
    candidate["risk"]["tipvda_red"] = 10
    today = datetime.now(UTC).astimezone(TAIPEI).date()
    async with embedded_system(tmp_path) as system:
        agency = await system.key("agency")
        dispatcher = await system.key("dispatcher")
        supervisor = await system.key("supervisor", name="苗栗督導")
        posted = (
            await system.client.post("/v1/reports", json=with_fresh_ids(red_by_score.body), headers=agency)
        ).json()
        await system.wait_for(posted["report_id"], dispatcher, lambda b: b["risk_level"] == "red")

        asked = await system.client.post(
            "/console/rules/replays",
            data={
                "candidate": json.dumps(candidate),
                "from": (today - timedelta(days=1)).isoformat(),
                "to": today.isoformat(),
            },
            headers=supervisor,
        )
        assert asked.status_code == 303, asked.text
        page_url = asked.headers["location"]

        deadline = asyncio.get_running_loop().time() + 60
        html = ""
        while asyncio.get_running_loop().time() < deadline:
            html = (await system.client.get(page_url, headers=supervisor)).text
            if "試算中" not in html:
                break
            await asyncio.sleep(0.1)
        assert "共 1 件" in html, html
        assert "red→orange 1" in html
        # The unit's load is unchanged: the report still goes to protection, only less urgently.
        assert re.search(
            r'<th scope="row">苗栗縣家庭暴力及性侵害防治中心</th>\s*<td class="num">1</td><td class="num">1</td>', html
        )
        assert "style=" not in html.split("<main", 1)[1]  # the CSP forbids inline styles
