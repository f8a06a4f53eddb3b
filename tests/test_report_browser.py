"""Report pages in a real headless Chromium, with no network: charts render, no console errors."""

from pathlib import Path

from system_packages import ensure_debian_package
from test_report import write_synthetic_report

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


def open_in_chromium(page_path: Path, screenshot: Path) -> dict:
    """Load a page from file://; return what rendered and every console error or failed request."""
    ensure_debian_package("chromium", CHROMIUM)
    from playwright.sync_api import sync_playwright

    errors, failed = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(page_path.resolve().as_uri())
        page.wait_for_load_state("load")
        seen = {
            "charts": page.locator("div.chart > svg").count(),
            "marks": page.locator("div.chart svg path, div.chart svg line, div.chart svg circle").count(),
            "table_rows": page.locator("table.summary tbody tr").count(),
            "errors": errors,
            "failed": failed,
        }
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return seen


def test_report_renders_in_chromium_offline(tmp_path):
    paths, chart_count = write_synthetic_report(tmp_path / "report")
    seen = open_in_chromium(paths["html"], tmp_path / "report.png")
    assert seen["charts"] == chart_count and seen["marks"] > 20 and seen["table_rows"] == 3
    assert seen["errors"] == [] and seen["failed"] == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
