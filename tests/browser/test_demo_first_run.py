"""A new user's first run: `safetynet dev --demo` prints demo keys; the bare address leads
to the console; the printed dispatcher key signs in to a queue that already holds the
seeded reports, and the KPI and ops pages use the queue's labels and risk lights."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.demo import printed_key, wait_for_banner
from tests.support.processes import Process, free_port

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium fonts-noto-cjk)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

COUNTY = "苗栗縣"
PATIENCE_S = 90  # a busy 2-core machine: wait on conditions, generously


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {"SAFETYNET_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db"}
    port = free_port()
    process = Process("dev", "--demo", "--port", str(port), env=env, log=tmp_path / "dev.log")
    try:
        output = wait_for_banner(tmp_path / "dev.log", timeout=PATIENCE_S)
        base = f"http://127.0.0.1:{port}"
        process.wait_http(f"{base}/healthz")
        yield {"base": base, "dispatcher": printed_key(output, "dispatcher", COUNTY)}
    finally:
        process.stop()


def test_signing_in_with_the_printed_demo_key_shows_a_populated_console(demo: dict[str, str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-TW", timezone_id="Asia/Taipei")
            page.set_default_timeout(PATIENCE_S * 1000)
            expect.set_options(timeout=PATIENCE_S * 1000)

            page.goto(demo["base"] + "/")  # the address the banner's first line suggests
            expect(page).to_have_url(f"{demo['base']}/console/sign-in?next=%2Fconsole")
            page.get_by_label("派案人員金鑰").fill(demo["dispatcher"])
            page.get_by_role("button", name="登入 Sign in").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("派案佇列")

            # The seeded reports are there, screened: lights with their words, Chinese categories.
            rows = page.locator("#review-table tbody tr, #ack-table tbody tr")
            expect(rows.first).to_be_visible()
            expect(page.locator("#ack-table")).to_contain_text("紅燈 Red")
            expect(page.locator("main")).to_contain_text("親密關係暴力")

            # The KPI and ops pages speak the same labels, never the raw codes.
            page.goto(demo["base"] + "/console/kpis")
            main = page.locator("main")
            expect(main).to_contain_text("親密關係暴力")
            expect(main.locator(".risk-red .light").first).to_be_visible()
            assert "intimate_partner_violence" not in main.inner_text()
            page.goto(demo["base"] + "/console/ops")
            expect(main).to_contain_text("待單位簽收")
            expect(main).to_contain_text("苗栗縣家庭暴力及性侵害防治中心")
            text = main.inner_text()
            assert "awaiting_review" not in text and "苗栗縣/protection" not in text
        finally:
            browser.close()
