"""Issue 13, parts 4 and 5, in a real browser against the real `safetynet dev`: three
reports about the same child have come in from partners; a fourth comes in by the 113
hotline, and the dispatcher keys it into the console's form by keyboard. A mistyped
national ID comes back in Chinese next to its field with everything else kept; once
corrected, the report's page shows the first three reports of the child.

Screenshots (docs/console-phone-report.png, docs/console-history.png) show no valid
national ID: the form's is the mistyped one, and the history shows none.
"""

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
DOCS = REPO / "docs"
COUNTY = "南投縣"
CHILD_ID = "A123456789"  # the contract's own example ID; never on a screenshot
MISTYPED = "A123456788"  # its checksum fails
PATIENCE_S = 90


def earlier_report(narrative: str, categories: list[str], **rest: Any) -> dict[str, Any]:
    return {
        "county": COUNTY,
        "township": "草屯鎮",
        "categories": categories,
        "subjects": [{"role": "child", "name": "陳小安", "national_id": CHILD_ID, "age": 6, "sex": "F"}],
        "narrative": narrative,
        "source": {"agency_type": "school", "agency_name": "草屯國小", "mandated_reporter": True},
        **rest,
    }


EARLIER = [
    earlier_report("學童多日未到校，家長聯絡不上。", ["vulnerable_family"], indicators={"economic_hardship": True}),
    earlier_report("學童手臂有瘀青，表示被母親男友打。", ["child_maltreatment"], indicators={"injury": "minor"}),
    earlier_report("學童在校哭泣，說家裡沒有食物。", ["child_maltreatment", "vulnerable_family"]),
]


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[dict[str, str]]:
    with running_dev(
        tmp_path,
        agency=["--role", "agency", "--name", "草屯國小", "--county", COUNTY, "--agency-type", "school"],
        dispatcher=["--role", "dispatcher", "--name", "值班社工 林怡君", "--county", COUNTY],
        unit=["--role", "unit", "--name", "南投縣家防中心", "--county", COUNTY, "--unit", f"{COUNTY}/protection"],
    ) as started:
        yield started


def _as(dev: dict[str, str], role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev[role]}"}


def wait_for(http: httpx.Client, dev: dict[str, str], rid: str, until: Any) -> dict[str, Any]:
    deadline, view = time.monotonic() + PATIENCE_S, {}
    while time.monotonic() < deadline:
        view = http.get(f"/v1/reports/{rid}", headers=_as(dev, "dispatcher")).json()
        if until(view):
            return view
        time.sleep(0.2)
    raise AssertionError(f"timed out on {rid}: {view}")


def post_and_wait(dev: dict[str, str], body: dict[str, Any]) -> str:
    with httpx.Client(base_url=dev["base"], timeout=10) as http:
        response = http.post("/v1/reports", json=body, headers=_as(dev, "agency"))
        assert response.status_code == 202, response.text
        rid = str(response.json()["report_id"])
        wait_for(http, dev, rid, lambda v: v["risk_level"] is not None and v["status"] != "received")
        return rid


def protection_unit_closes(dev: dict[str, str], rid: str) -> None:
    """The protection unit acknowledges the report's referral, then closes it: no case opened."""
    with httpx.Client(base_url=dev["base"], timeout=10) as http:
        view = wait_for(http, dev, rid, lambda v: any(r["kind"] == "protection" for r in v["referrals"]))
        referral = next(r["referral_id"] for r in view["referrals"] if r["kind"] == "protection")
        acknowledged = http.post(f"/v1/referrals/{referral}/acknowledge", headers=_as(dev, "unit"))
        assert acknowledged.status_code == 202, acknowledged.text
        wait_for(http, dev, rid, lambda v: any(r["status"] == "acknowledged" for r in v["referrals"]))
        closing = {"outcome": "not_opened", "reason": "assessed_no_need"}
        closed = http.post(f"/v1/referrals/{referral}/close", json=closing, headers=_as(dev, "unit"))
        assert closed.status_code == 202, closed.text
        wait_for(http, dev, rid, lambda v: any(r.get("outcome") == "not_opened" for r in v["referrals"]))


def type_into(page: Page, selector: str, text: str) -> None:
    """Focus a field and type, as a keyboard user would."""
    page.focus(selector)
    page.keyboard.type(text)


def test_a_hotline_report_keyed_in_shows_the_childs_earlier_reports(dev: dict[str, str]) -> None:
    earlier = [post_and_wait(dev, body) for body in EARLIER]
    protection_unit_closes(dev, earlier[1])  # the bruise: assessed, no case opened

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-TW", timezone_id="Asia/Taipei")
            page.set_default_timeout(PATIENCE_S * 1000)
            expect.set_options(timeout=PATIENCE_S * 1000)
            page.goto(dev["base"] + "/console")
            page.get_by_label("派案人員金鑰").fill(dev["dispatcher"])
            page.get_by_role("button", name="登入 Sign in").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("派案佇列")

            page.get_by_role("link", name="電話／臨櫃通報 New report").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("電話／臨櫃通報")
            expect(page.locator("#channel-hotline_113")).to_be_checked()
            page.select_option("#f-source-agency_type", "public")
            type_into(page, "#f-source-reporter_name", "鄰居 張太太")
            type_into(page, "#f-source-reporter_phone", "049-2222222")
            type_into(page, "#f-township", "草屯鎮")
            page.focus("#category-child_maltreatment")
            page.keyboard.press("Space")
            page.select_option("#f-subjects-0-role", "child")
            type_into(page, "#f-subjects-0-name", "陳小安")
            type_into(page, "#f-subjects-0-national_id", MISTYPED)
            type_into(page, "#f-subjects-0-age", "6")
            type_into(page, "#f-narrative", "鄰居來電：深夜聽到孩子哭喊與打罵聲，已持續數晚。")
            page.focus("#submit-report")
            page.keyboard.press("Enter")

            # Refused: the message is next to the ID field, and nothing typed is lost.
            error = page.locator("#err-subjects-0-national_id")
            expect(error).to_contain_text("身分證字號不正確")
            expect(page.locator("#error-summary")).to_contain_text("當事人 1 身分證字號")
            expect(page.locator("#f-subjects-0-national_id")).to_have_attribute("aria-invalid", "true")
            expect(page.locator("#f-subjects-0-national_id")).to_have_value(MISTYPED)
            expect(page.locator("#f-narrative")).to_have_value("鄰居來電：深夜聽到孩子哭喊與打罵聲，已持續數晚。")
            expect(page.locator("#f-source-reporter_name")).to_have_value("鄰居 張太太")
            expect(page.locator("#category-child_maltreatment")).to_be_checked()
            page.locator("fieldset.subject-row").first.scroll_into_view_if_needed()
            page.screenshot(path=str(DOCS / "console-phone-report.png"))

            page.fill("#f-subjects-0-national_id", "")
            type_into(page, "#f-subjects-0-national_id", CHILD_ID)
            page.focus("#submit-report")
            page.keyboard.press("Enter")

            # The fourth report's page: the history lists the first three, newest first.
            expect(page.locator(".message-ok")).to_contain_text("已登錄電話／臨櫃通報")
            history = page.locator("#history")
            expect(history).to_contain_text("共 3 筆")
            rows = history.locator("tbody tr[data-relation='earlier']")
            expect(rows).to_have_count(3)
            assert [rows.nth(i).get_attribute("data-report-id") for i in range(3)] == earlier[::-1]
            expect(history).to_contain_text("兒童 陳小安")
            expect(history).to_contain_text("兒少虐待")
            expect(rows.nth(1)).to_contain_text("未開案")  # what the unit did with it
            expect(rows.nth(1)).to_contain_text("評估無需介入")
            expect(page.locator("#content")).to_contain_text("鄰居 張太太")
            history.scroll_into_view_if_needed()
            history.screenshot(path=str(DOCS / "console-history.png"))

            # Each earlier report is a link away, by keyboard too.
            rows.first.get_by_role("link").focus()
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{dev['base']}/console/reports/{earlier[-1]}")
        finally:
            browser.close()
