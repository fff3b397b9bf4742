"""A destination unit in the console, in a real browser against the real `safetynet dev`
(issue 13): the unit signs in with its key, sees a new referral arrive in its inbox
without reloading, acknowledges it from the keyboard, later closes it with "opened", and
the dispatcher's report page, open meanwhile, follows by itself.

Drives Debian's chromium through Playwright, as test_console_flow.py does. Screenshots go
to artifacts/screenshots/; the final inbox is copied to docs/unit-inbox.png for the README.
"""

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import running_dev

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium fonts-noto-cjk)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
README_SHOT = REPO / "docs" / "unit-inbox.png"
COUNTY = "南投縣"
UNIT = "南投縣/protection"
PATIENCE_S = 90  # the pipeline on a busy 2-core machine: wait on conditions, never on a clock


def ipv(township: str, victim: str, offender: str, narrative: str, **indicators: Any) -> dict[str, Any]:
    # No national IDs: the screenshots are published, and a random valid ID may be someone's.
    return {
        "county": COUNTY,
        "township": township,
        "categories": ["intimate_partner_violence"],
        "subjects": [
            {"role": "victim", "name": victim, "age": 31, "sex": "F"},
            {"role": "offender", "name": offender, "age": 35, "sex": "M"},
        ],
        "narrative": narrative,
        "household": {"children_under_6": 1},
        "indicators": indicators,
        "source": {
            "agency_type": "police",
            "agency_name": "南投縣政府警察局",
            "reporter_name": "李警員",
            "mandated_reporter": True,
        },
    }


# Sent to the unit before it signs in: one it has already taken, one still new.
TAKEN = ipv("南投市", "周美惠", "周文雄", "案夫酒後推打，案妻手臂瘀傷。", tipvda_score=3)
WAITING = ipv("竹山鎮", "蔡佳玲", "蔡志強", "鄰居聽見爭吵與孩童哭聲。", tipvda_score=2)
# Sent while the unit watches its inbox: red (TIPVDA 9), straight to the unit.
NEW = ipv("埔里鎮", "陳淑芬", "吳建宏", "案妻遭掐脖並被威脅殺害，家中有兩歲幼兒。", tipvda_score=9)


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[dict[str, str]]:
    with running_dev(
        tmp_path,
        agency=["--role", "agency", "--name", "南投縣政府警察局", "--county", COUNTY, "--agency-type", "police"],
        dispatcher=["--role", "dispatcher", "--name", "值班社工 林怡君", "--county", COUNTY],
        unit=["--role", "unit", "--name", "南投家防 張社工", "--county", COUNTY, "--unit", UNIT],
    ) as started:
        yield started


class Api:
    def __init__(self, dev: dict[str, str]):
        self.http = httpx.Client(base_url=dev["base"], timeout=10)
        self.dev = dev

    def _auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.dev[role]}"}

    def post(self, body: dict[str, Any]) -> str:
        response = self.http.post("/v1/reports", json=body, headers=self._auth("agency"))
        assert response.status_code == 202, response.text
        return str(response.json()["report_id"])

    def wait(self, report_id: str, until: Any) -> dict[str, Any]:
        deadline, body = time.monotonic() + PATIENCE_S, {}
        while time.monotonic() < deadline:
            body = self.http.get(f"/v1/reports/{report_id}", headers=self._auth("dispatcher")).json()
            if until(body):
                return body
            time.sleep(0.2)
        raise AssertionError(f"timed out on {report_id}: {body}")

    def assigned_referral(self, report_id: str) -> str:
        body = self.wait(report_id, lambda b: any(r["unit"] == UNIT for r in b.get("referrals", [])))
        return str(next(r["referral_id"] for r in body["referrals"] if r["unit"] == UNIT))

    def acknowledge(self, referral_id: str) -> None:
        response = self.http.post(f"/v1/referrals/{referral_id}/acknowledge", headers=self._auth("unit"))
        assert response.status_code == 202, response.text


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, base: str, key: str, path: str) -> None:
    page.goto(base + path)
    page.get_by_label("派案人員金鑰／單位金鑰").fill(key)
    page.get_by_role("button", name="登入 Sign in").click()


def test_a_unit_works_a_referral_from_its_inbox_and_the_dispatcher_sees_it(dev: dict[str, str]) -> None:
    api = Api(dev)
    taken = api.assigned_referral(api.post(TAKEN))
    api.acknowledge(taken)
    api.assigned_referral(api.post(WAITING))  # new: still waiting when the story ends

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            options: dict[str, Any] = {
                "viewport": {"width": 1440, "height": 900},
                "locale": "zh-TW",
                "timezone_id": "Asia/Taipei",
            }
            unit = browser.new_context(**options).new_page()
            dispatcher = browser.new_context(**options).new_page()  # its own cookies: another person
            for page in (unit, dispatcher):
                page.set_default_timeout(PATIENCE_S * 1000)
            expect.set_options(timeout=PATIENCE_S * 1000)

            # The unit signs in on the console's sign-in page and lands on its inbox.
            sign_in(unit, dev["base"], dev["unit"], "/console")
            expect(unit).to_have_url(dev["base"] + "/console/inbox")
            expect(unit.get_by_role("heading", level=1)).to_contain_text("單位收件匣")
            expect(unit.locator("#acknowledged-table")).to_contain_text("南投市")
            expect(unit.locator("#live-status")).to_have_attribute("data-state", "live")

            # A red referral sent now appears at the top of "new" without a reload.
            unit.evaluate("window.__sameDocument = true")
            rid = api.post(NEW)
            row = unit.locator(f"#new-table tr[data-report-id='{rid}']")
            expect(row).to_be_visible()
            expect(unit.locator("#new-table tbody tr").first).to_have_attribute("data-report-id", rid)
            expect(row).to_contain_text("紅燈")
            expect(row).to_contain_text("剩")  # time left to the SLA deadline
            assert unit.evaluate("window.__sameDocument === true"), "the inbox reloaded"
            shot(unit, "unit-inbox-new-referral")

            # Its page: what a unit may see, and the actions on its own referral.
            row.get_by_role("link").click()
            expect(unit.locator("#content")).to_contain_text("陳淑芬")
            expect(unit.locator("#content")).not_to_contain_text("李警員")  # not the source
            expect(unit.locator("#referrals .referral-status")).to_have_attribute("data-status", "assigned")

            # The dispatcher has the same report open.
            sign_in(dispatcher, dev["base"], dev["dispatcher"], f"/console/reports/{rid}")
            expect(dispatcher.locator("#referrals .referral-status").first).to_have_attribute("data-status", "assigned")
            expect(dispatcher.locator("#live-status")).to_have_attribute("data-state", "live")
            dispatcher.evaluate("window.__sameDocument = true")

            # Acknowledge from the keyboard.
            acknowledge = unit.get_by_role("button", name="簽收 Acknowledge")
            acknowledge.focus()
            unit.keyboard.press("Enter")
            expect(unit.locator(".message-ok")).to_contain_text("已送出簽收")
            expect(unit.locator("#referrals .referral-status")).to_have_attribute("data-status", "acknowledged")
            expect(dispatcher.locator("#referrals .referral-status").first).to_have_attribute(
                "data-status", "acknowledged"
            )
            shot(unit, "unit-report-acknowledged", full_page=True)

            # Later, close it: a case was opened.
            unit.get_by_label("開案 / Opened").check()
            unit.get_by_label("說明 Note").fill("已於家訪後開案服務。")
            unit.get_by_role("button", name="送出結案 Close referral").click()
            expect(unit.locator(".message-ok")).to_contain_text("已送出結案")
            expect(unit.locator("#referrals .referral-status")).to_have_attribute("data-status", "closed")
            expect(unit.locator("#referrals .outcome")).to_have_attribute("data-outcome", "opened")

            # The dispatcher's page followed by itself, without a reload.
            dispatcher_referral = dispatcher.locator("#referrals .referral-status").first
            expect(dispatcher_referral).to_have_attribute("data-status", "closed")
            assert dispatcher.evaluate("window.__sameDocument === true"), "the dispatcher's page reloaded"
            shot(dispatcher, "unit-dispatcher-sees-closed", full_page=True)

            # Back in the inbox: closed, with its outcome; the other new one still waits.
            unit.get_by_role("navigation", name="主選單 Main").get_by_role("link", name="單位收件匣 Inbox").click()
            closed = unit.locator(f"#closed-table tr[data-report-id='{rid}']")
            expect(closed).to_contain_text("開案")
            expect(unit.locator(f"#new-table tr[data-report-id='{rid}']")).to_have_count(0)
            expect(unit.locator("#new-table")).to_contain_text("竹山鎮")
            final = shot(unit, "unit-inbox", full_page=True)
            README_SHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(final, README_SHOT)
        finally:
            browser.close()  # before `dev` stops: an open event stream would hold its shutdown
