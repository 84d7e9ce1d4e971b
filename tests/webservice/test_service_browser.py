"""The service in a real browser: Debian's headless Chromium driven by Playwright, against a live
server on loopback (SQLite, in-process worker). Log in, upload the demo cohort, watch the progress,
read the embedded report, upload a second version, compare them, sign off, read the audit trail;
no console error, no request leaves the machine. Screenshots go to test-artifacts/ (git-ignored).

Skipped when /usr/bin/chromium or playwright is missing; Playwright's own browsers are never used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.webservice.helpers import serve_live

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "service"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(tmp_path):
    yield from serve_live(tmp_path, users=[("quality", "cardiology", "admin", "a long passphrase")])


def _wait_for_verdict(page, timeout_ms: int = 180_000) -> str:
    page.wait_for_selector("#version-verdict", timeout=timeout_ms)
    return page.inner_text("#version-verdict").strip()


def test_log_in_submit_watch_report_compare_sign_off(browser, live_server, tmp_path):
    from datacert.demo import N_PATIENTS, demo_frame

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first, second = tmp_path / "demo-cohort.csv", tmp_path / "demo-cohort-dedup.csv"
    demo_frame().write_csv(first)
    demo_frame().head(N_PATIENTS - 10).write_csv(second)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)

    page.goto(live_server + "/")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "quality")
    page.fill("input[name=password]", "a long passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")
    page.screenshot(path=str(ARTIFACTS / "01-empty-datasets.png"))

    def upload(path: Path, dataset_id: str | None = None) -> None:
        page.goto(live_server + "/submit" + (f"?dataset={dataset_id}" if dataset_id else ""))
        page.fill("input[name=dataset]", "demo-cohort")
        page.set_input_files("input[name=file]", str(path))
        if dataset_id is None:
            page.fill("input[name=target]", "readmission_30j")
            page.fill("input[name=group]", "patient_id")
            page.fill("input[name=time]", "date_admission")
            page.fill("input[name=sensitive]", "sexe")
            page.fill("input[name=text]", "compte_rendu")
        page.click("#submit-form button[type=submit]")
        page.wait_for_url("**/versions/*")

    upload(first)
    # progress: the stage list is drawn and updated by the polling script until the page reloads
    stages = page.locator("#progress .stage")
    if stages.count():
        assert stages.count() == 4
        page.wait_for_selector("#progress .stage.running, #progress .stage.done", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "02-progress.png"))
    verdict = _wait_for_verdict(page)
    assert verdict in ("release", "prequalify", "reject")
    frame = page.frame_locator("#report")
    frame.locator("#verdict").wait_for(timeout=30_000)
    assert frame.locator("#verdict").inner_text().strip().lower() == verdict
    page.screenshot(path=str(ARTIFACTS / "03-version.png"))
    page.locator("#report").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "04-embedded-report.png"))
    dataset_link = page.locator("h1 a").get_attribute("href")
    dataset_id = dataset_link.rsplit("/", 1)[-1]

    upload(second, dataset_id)
    _wait_for_verdict(page)
    page.select_option("#compare-form select[name=b]", index=0)
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#comparison")
    assert page.locator("#comparison .side").count() == 2
    assert page.locator("#score-diff tbody tr").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "05-compare.png"), full_page=True)

    page.go_back()
    _wait_for_verdict(page)
    page.fill("#signoff-form input[name=comment]", "Reviewed: duplicates removed, fit for training.")
    page.click("#signoff-form button[value=approved]")
    page.wait_for_selector("#signoffs li")
    assert "approved by quality" in page.inner_text("#signoffs")

    page.goto(live_server + "/")
    row = page.locator("tr.dataset")
    assert row.count() == 1 and "v2" in row.inner_text()
    assert page.locator("tr.dataset svg.spark circle").count() == 2
    page.screenshot(path=str(ARTIFACTS / "06-datasets.png"))
    page.goto(live_server + "/audit")
    assert page.locator("tr.event.signed_off").count() == 1
    assert page.locator("tr.event.version_uploaded").count() == 2
    page.screenshot(path=str(ARTIFACTS / "07-audit.png"))
    page.goto(live_server + "/checks")
    assert page.locator("#checks tbody tr").count() >= 30
    page.close()
    assert errors == []
    assert outside == []
