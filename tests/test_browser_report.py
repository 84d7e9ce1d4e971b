"""The HTML report in a real browser: Debian's headless Chromium driven by Playwright.

Skipped cleanly when /usr/bin/chromium or the playwright package is missing. Playwright's own
browser download is never used. The screenshot goes to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import datacert
from datacert.demo import demo_frame, demo_roles

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
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

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


def test_report_renders_without_errors_and_filters(browser, tmp_path):
    cert = datacert.check(demo_frame(), **demo_roles().to_dict())
    path = tmp_path / "report.html"
    path.write_text(cert.to_html(), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    verdict = page.locator("#verdict")
    assert verdict.is_visible() and verdict.inner_text().strip().lower() == cert.verdict
    assert page.locator("#reasons li").count() == len(cert.reasons)
    rows = page.locator("tr.finding")
    assert rows.count() == len(cert.findings) > 0
    plots = page.locator("svg.plot")
    assert plots.count() >= 5
    for i in range(plots.count()):
        box = plots.nth(i).bounding_box()
        assert box and box["width"] > 50 and box["height"] > 20
    assert page.locator("svg.scores rect.bar").count() >= 5
    assert page.locator("svg.map circle").count() > 100
    # filter: errors only
    for severity in ("critical", "warning", "info"):
        page.locator(f"input.f-sev[value={severity}]").uncheck()
    n_errors = sum(1 for f in cert.findings if f.severity == "error")
    assert page.locator("tr.finding:visible").count() == n_errors
    assert page.locator("#f-count").inner_text() == str(n_errors)
    page.locator("input.f-sev[value=warning]").check()
    page.locator("#f-text").fill("duplicate")
    expected = sum(
        1
        for f in cert.findings
        if f.severity in ("error", "warning")
        and "duplicate" in (f.check + f.message + f.remedy + " ".join(f.columns)).lower()
    )
    shown = page.locator("tr.finding:visible").count()
    assert 1 <= expected <= shown <= sum(1 for f in cert.findings if f.severity in ("error", "warning"))
    page.locator("#f-text").fill("")
    for severity in ("critical", "info"):
        page.locator(f"input.f-sev[value={severity}]").check()
    assert page.locator("tr.finding:visible").count() == len(cert.findings)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert errors == []
    assert requests == []
    page.close()
