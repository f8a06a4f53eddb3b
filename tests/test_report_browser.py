"""The report page in a real headless Chromium, with no network: charts render, no console errors."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from test_report import write_synthetic_report

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=environment, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=environment, capture_output=True)
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing and could not be installed with apt-get")
        pytest.skip("Chromium (Debian package chromium) is not installed and cannot be installed here")


def test_report_renders_in_chromium_offline(tmp_path):
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    paths, chart_count = write_synthetic_report(tmp_path / "report")
    errors, failed = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(paths["html"].resolve().as_uri())
        page.wait_for_load_state("load")
        rendered = page.locator("div.chart > svg").count()
        marks = page.locator("div.chart svg path, div.chart svg line, div.chart svg circle").count()
        table_rows = page.locator("table.summary tbody tr").count()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert rendered == chart_count
    assert marks > 20
    assert table_rows == 3
    assert errors == [] and failed == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
