"""Report pages in a real headless Chromium from file://: charts render, nothing fails, nothing is fetched."""

import os
import tempfile
from pathlib import Path

import pytest
from system_packages import ensure_debian_package
from test_report import write_synthetic_report

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def sync_playwright():
    """Playwright's sync API (only the Python package: the browser is the Debian one); in CI its absence fails."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "the Python package playwright is missing: pip install playwright (no browser download needed)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright()


def open_in_chromium(page_path: Path, screenshot: Path) -> dict:
    """Load a page from file:// in a fresh profile; return what rendered, console errors, failed and remote requests."""
    ensure_debian_package("chromium", CHROMIUM)
    errors, failed, requested = [], [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True, viewport={"width": 1300, "height": 900}
        )
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.on("request", lambda request: requested.append(request.url))
        page.goto(page_path.resolve().as_uri(), wait_until="load")
        seen = {
            "url": page.url,
            "charts": page.locator(".chart > svg").count(),
            "marks": page.locator(".chart svg path, .chart svg line, .chart svg circle").count(),
            "table_rows": page.locator("table.summary tbody tr").count(),
            "errors": errors,
            "failed": failed,
            "remote": [url for url in requested if not url.startswith(("file:", "data:"))],
        }
        page.screenshot(path=str(screenshot), full_page=True)
        context.close()
    return seen


def test_report_renders_in_chromium_offline(tmp_path):
    paths, chart_count = write_synthetic_report(tmp_path / "report")
    seen = open_in_chromium(paths["html"], tmp_path / "report.png")
    assert seen["url"].startswith("file://") and seen["url"].endswith("/report/index.html")
    assert seen["charts"] == chart_count and seen["marks"] > 50 and seen["table_rows"] == 3
    assert seen["errors"] == [] and seen["failed"] == [] and seen["remote"] == []
    assert (tmp_path / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "report.png").stat().st_size > 10_000
