"""The dispatch console in a real browser, against the real `safetynet dev`: a dispatcher
signs in, sees a new report appear without reloading, confirms it, watches it move to
"awaiting acknowledgement", and sees a unit's acknowledgement (sent through the API)
arrive on the page.

Drives Debian's chromium (apt `chromium`, with `fonts-noto-cjk` for the Chinese text)
through Playwright; no browser download. Screenshots go to artifacts/screenshots/.
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
SCREENSHOTS = REPO / "artifacts" / "screenshots"
COUNTY = "南投縣"


def person(role: str, name: str, age: int, sex: str) -> dict[str, Any]:
    # No national IDs: the screenshots are published, and a random valid ID may be someone's.
    return {"role": role, "name": name, "age": age, "sex": sex}


def report(
    township: str, categories: list[str], subjects: list[dict[str, Any]], narrative: str, **rest: Any
) -> dict[str, Any]:
    return {
        "county": COUNTY,
        "township": township,
        "categories": categories,
        "subjects": subjects,
        "narrative": narrative,
        "source": {
            "agency_type": "police",
            "agency_name": "南投縣政府警察局",
            "reporter_name": "李警員",
            "mandated_reporter": True,
        },
        **rest,
    }


# Already in the county's queue when the dispatcher signs in: one of each light.
BACKGROUND = [
    report(
        "南投市",
        ["suicide_risk"],
        [person("adult", "黃志明", 22, "M")],
        "家屬通報：案主今晚服藥過量，已送醫。",
        indicators={"suicide_attempt": True},
    ),
    report(
        "埔里鎮",
        ["intimate_partner_violence"],
        [person("victim", "陳淑芬", 29, "F"), person("offender", "吳建宏", 33, "M")],
        "案妻遭推打，家中有兩歲幼兒。",
        household={"children_under_6": 1},
        indicators={"tipvda_score": 3},
    ),
    report(
        "竹山鎮",
        ["youth_deviance"],
        [person("youth", "張小凱", 15, "M")],
        "少年多次深夜未歸，涉及竊盜。",
        indicators={"youth_law_violation": True},
    ),
    report(
        "草屯鎮",
        ["vulnerable_family"],
        [person("adult", "林秀英", 41, "F")],
        "單親家庭，主要照顧者失業，房租積欠三個月。",
        indicators={"economic_hardship": True},
    ),
]
# Posted while the dispatcher watches: yellow, so it waits for review.
NEW = report(
    "草屯鎮",
    ["elder_abuse"],
    [person("victim", "王阿嬤", 81, "F"), person("offender", "王大明", 52, "M")],
    "里長通報：獨居長者疑遭兒子言語恐嚇、拿走存款。",
)


# How long any wait on the pipeline may take before the test fails: generous, since the
# product has no deadline of its own (the console follows changes for as long as it is open).
PATIENCE_S = 90


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[dict[str, str]]:
    with running_dev(
        tmp_path,
        agency=["--role", "agency", "--name", "南投縣政府警察局", "--county", COUNTY, "--agency-type", "police"],
        dispatcher=["--role", "dispatcher", "--name", "值班社工 林怡君", "--county", COUNTY],
        unit=["--role", "unit", "--name", "南投縣家防中心", "--county", COUNTY, "--unit", "南投縣/protection"],
    ) as started:
        yield started


class Api:
    def __init__(self, dev: dict[str, str]):
        self.dev = dev
        self.http = httpx.Client(base_url=dev["base"], timeout=10)

    def _auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.dev[role]}"}

    def post(self, body: dict[str, Any]) -> str:
        response = self.http.post("/v1/reports", json=body, headers=self._auth("agency"))
        assert response.status_code == 202, response.text
        return str(response.json()["report_id"])

    def wait(self, report_id: str, until: Any, timeout: float = PATIENCE_S) -> dict[str, Any]:
        deadline, body = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            body = self.http.get(f"/v1/reports/{report_id}", headers=self._auth("dispatcher")).json()
            if until(body):
                return body
            time.sleep(0.2)
        raise AssertionError(f"timed out on {report_id}: {body}")

    def acknowledge(self, referral_id: str) -> None:
        response = self.http.post(f"/v1/referrals/{referral_id}/acknowledge", headers=self._auth("unit"))
        assert response.status_code == 202, response.text


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def mark_document(page: Page) -> None:
    """A flag that survives only as long as the page is not reloaded."""
    page.evaluate("window.__sameDocument = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"


def test_a_dispatcher_follows_a_report_live_from_review_to_acknowledgement(dev: dict[str, str]) -> None:
    api = Api(dev)
    for body in BACKGROUND:
        rid = api.post(body)
        api.wait(rid, lambda b: b["risk_level"] is not None and b["status"] != "received")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-TW", timezone_id="Asia/Taipei")
            # Playwright's `expect` gives up after 5 s unless told otherwise, and on a busy
            # 2-core machine the pipeline may take longer: wait on the condition instead.
            page.set_default_timeout(PATIENCE_S * 1000)
            expect.set_options(timeout=PATIENCE_S * 1000)

            # Sign in: the console sends us to the sign-in page and back.
            page.goto(dev["base"] + "/console")
            expect(page).to_have_url(f"{dev['base']}/console/sign-in?next=%2Fconsole")
            page.get_by_label("派案人員金鑰").fill(dev["dispatcher"])
            page.get_by_role("button", name="登入 Sign in").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("派案佇列")
            expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

            # A report posted now appears in the review queue without a reload.
            mark_document(page)
            rid = api.post(NEW)
            review_row = page.locator(f"#review-table tr[data-report-id='{rid}']")
            expect(review_row).to_be_visible()
            expect(review_row).to_contain_text("黃燈 Yellow")  # screened: the light has its words too
            assert_not_reloaded(page)
            shot(page, "01-queue-new-report")

            # Its page: narrative, subjects, decision with reason codes, timeline.
            review_row.get_by_role("link").click()
            expect(page.locator("#report-status")).to_have_attribute("data-status", "awaiting_review")
            expect(page.locator("#content")).to_contain_text("王阿嬤")
            expect(page.locator("#content")).to_contain_text("獨居長者")
            expect(page.get_by_role("heading", name="篩派決策 Decision")).to_be_visible()
            expect(page.locator(".reasons")).to_contain_text("YELLOW_PROTECTION_CATEGORY")
            shot(page, "02-report-awaiting-review", full_page=True)

            # Confirm: routing assigns it, and the page follows.
            page.get_by_role("button", name="確認派案 Confirm destinations").click()
            expect(page.locator(".message-ok")).to_contain_text("已送出確認派案")
            expect(page.locator("#report-status")).to_have_attribute("data-status", "assigned")
            referral_status = page.locator("#referrals .referral-status").first
            expect(referral_status).to_have_attribute("data-status", "assigned")

            # Back in the queue it has moved from review to awaiting acknowledgement.
            page.get_by_role("navigation", name="主選單 Main").get_by_role("link", name="派案佇列 Queue").click()
            expect(page.locator(f"#ack-table tr[data-report-id='{rid}']")).to_be_visible()
            expect(page.locator(f"#review-table tr[data-report-id='{rid}']")).to_have_count(0)
            expect(page.locator(f"#ack-table tr[data-report-id='{rid}']")).to_contain_text(
                "南投縣家庭暴力及性侵害防治中心"
            )
            shot(page, "03-queue-awaiting-acknowledgement")

            # The unit acknowledges through the API: the open report page updates by itself.
            page.locator(f"#ack-table tr[data-report-id='{rid}']").get_by_role("link").click()
            expect(page.locator("#report-status")).to_have_attribute("data-status", "assigned")
            mark_document(page)
            report_view = api.wait(rid, lambda b: b["referrals"])
            api.acknowledge(report_view["referrals"][0]["referral_id"])
            expect(page.locator("#report-status")).to_have_attribute("data-status", "acknowledged")
            expect(page.locator("#referrals .referral-status").first).to_have_attribute("data-status", "acknowledged")
            expect(page.locator("#timeline")).to_contain_text("派案：已簽收")
            assert_not_reloaded(page)
            shot(page, "04-report-acknowledged", full_page=True)

            # And it has left the queue.
            page.goto(dev["base"] + "/console")
            expect(page.locator(f"tr[data-report-id='{rid}']")).to_have_count(0)
            shot(page, "05-queue-after-acknowledgement")

            # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
            page.keyboard.press("Tab")
            expect(page.get_by_role("link", name="跳到主要內容 Skip to main content")).to_be_focused()
            page.keyboard.press("Enter")
            expect(page.locator("main")).to_be_focused()

            # Sign out ends the session.
            page.get_by_role("button", name="登出 Sign out").click()
            expect(page.get_by_role("status")).to_contain_text("您已登出")
            page.goto(dev["base"] + "/console")
            expect(page).to_have_url(f"{dev['base']}/console/sign-in?next=%2Fconsole")
        finally:
            browser.close()  # before `dev` stops: an open event stream would hold its shutdown
