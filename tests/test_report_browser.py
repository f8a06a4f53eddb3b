"""The report page in a real headless Chromium from file://, at 1400 and 420 pixels wide: charts render, nothing
is fetched, no chart, no main results column and no statistics table overflows the screen, no label is clipped,
and no configuration name is broken across lines.

Screenshots go to the test's folder and to screenshots/ in the repository (not committed) to be looked at.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.helpers import ALL_CHARTS, DIGIT_PAIRS, ODD_NAME, PNG_MAGIC, ROOT, ensure_debian_package, study_report

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
WIDTHS = (1400, 420)
SCREENSHOTS = ROOT / "screenshots"
# what the page shows at one width, measured in the browser: every drawn chart's box, every SVG text that leaves
# its SVG's box or was cut short with an ellipsis, every cell of the main results table that is shown, every shown
# cell of the statistics tables (not the "All columns" copies, which scroll in their own box) with the headings its
# table shows, and every configuration name in a table cell that is shown, with the lines it takes
MEASURE = """() => {
  const viewport = document.documentElement.clientWidth;
  const seen = {viewport, page: document.documentElement.scrollWidth, charts: [], clipped: [], cut: [], cells: [],
                statistics: [], headings: [], names: []};
  for (const svg of document.querySelectorAll('.chart svg')) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0) continue;  // the other layout's drawing, hidden at this width
    const figure = svg.closest('figure').id;
    seen.charts.push({figure, left: box.left, right: box.right, texts: svg.querySelectorAll('text').length});
    for (const text of svg.querySelectorAll('text')) {
      const inner = text.getBoundingClientRect();
      if (inner.width === 0 && inner.height === 0) continue;
      const outside = inner.left < box.left - 1 || inner.right > box.right + 1
        || inner.top < box.top - 1 || inner.bottom > box.bottom + 1;
      if (outside) seen.clipped.push({figure, text: text.textContent});
      if (text.textContent.includes('\u2026')) seen.cut.push({figure, text: text.textContent});
    }
  }
  for (const cell of document.querySelectorAll('table.main th, table.main td')) {
    const box = cell.getBoundingClientRect();
    if (box.width === 0) continue;  // a column a narrow screen hides
    seen.cells.push({text: cell.textContent, header: cell.tagName === 'TH', right: box.right,
                     scroll: cell.scrollWidth, client: cell.clientWidth});
  }
  for (const table of document.querySelectorAll('#statistics-in-detail table')) {
    if (table.closest('details')) continue;
    const shown = [...table.querySelectorAll('th')].filter(cell => cell.getBoundingClientRect().width > 0);
    seen.headings.push(shown.map(cell => cell.textContent));
    for (const cell of table.querySelectorAll('th, td')) {
      const box = cell.getBoundingClientRect();
      if (box.width === 0) continue;
      seen.statistics.push({text: cell.textContent, left: box.left, right: box.right,
                            scroll: cell.scrollWidth, client: cell.clientWidth});
    }
  }
  for (const name of document.querySelectorAll('td .name')) {
    if (name.getBoundingClientRect().width === 0 || name.closest('details')) continue;
    const lineHeight = parseFloat(getComputedStyle(name).lineHeight);
    seen.names.push({text: name.textContent, lines: name.getClientRects().length,
                     tall: name.getBoundingClientRect().height > 1.5 * lineHeight});
  }
  return seen;
}"""


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


def measure(page, page_path: Path, width: int) -> dict:
    """What MEASURE sees of the page at `width`, its console errors and the requests refused (any not local)."""
    errors, refused = [], []

    def local_only(route):
        if route.request.url.startswith(("file:", "data:")):
            return route.continue_()
        refused.append(route.request.url)
        return route.abort()

    page.set_viewport_size({"width": width, "height": 900})
    page.route("**/*", local_only)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    return {**page.evaluate(MEASURE), "errors": errors, "refused": refused, "url": page.url}


def open_in_chromium(page_path: Path, screenshots: Path) -> dict[int, dict]:
    """Load the page from file:// at each of WIDTHS in a fresh profile, refusing every request that is not a
    local file; return per width what MEASURE saw, console errors and refused requests, and save a screenshot."""
    ensure_debian_package("chromium", CHROMIUM)
    seen = {}
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True, viewport={"width": WIDTHS[0], "height": 900}
        )
        for width in WIDTHS:
            page = context.new_page()
            seen[width] = measure(page, page_path, width)
            page.screenshot(path=str(screenshots / f"report-{width}.png"), full_page=True)
            page.close()
        context.close()
    return seen


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    paths = study_report(tmp_path_factory.getbasetemp(), "ablation")
    folder = tmp_path_factory.mktemp("screenshots")
    seen = open_in_chromium(paths["html"], folder)
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        shutil.copy(folder / f"report-{width}.png", SCREENSHOTS / f"report-{width}.png")
    return seen, folder


@pytest.mark.parametrize("width", WIDTHS)
def test_every_listed_chart_renders_offline(measured, width):
    seen, folder = measured
    at = seen[width]
    assert at["url"].startswith("file://") and at["errors"] == [] and at["refused"] == []
    assert [chart["figure"] for chart in at["charts"]] == [f"chart-{name}" for name in ALL_CHARTS]
    assert all(chart["texts"] > 3 for chart in at["charts"])
    screenshot = (folder / f"report-{width}.png").read_bytes()
    assert screenshot[:8] == PNG_MAGIC and len(screenshot) > 50_000


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_overflows_and_no_label_is_clipped(measured, width):
    at = measured[0][width]
    assert at["page"] <= at["viewport"], "the page scrolls sideways"
    for chart in at["charts"]:
        assert chart["left"] >= 0 and chart["right"] <= at["viewport"] + 0.5, chart
    assert at["clipped"] == [] and at["cut"] == []
    for cell in at["cells"]:
        assert cell["right"] <= at["viewport"] + 0.5 and cell["scroll"] <= cell["client"], cell


def test_a_narrow_screen_keeps_configuration_and_final_accuracy_in_view(measured):
    seen, _ = measured
    narrow = [cell["text"] for cell in seen[420]["cells"] if cell["header"]]
    titles = DIGIT_PAIRS.run_metrics()
    assert narrow == ["configuration", titles[DIGIT_PAIRS.headline_run_metric][1]]
    wide = [cell["text"] for cell in seen[1400]["cells"] if cell["header"]]
    assert wide[:2] == ["configuration", "sharing"] and titles["final_test_digit_accuracy"][1] in wide


# the columns a narrow screen keeps of each statistics table, in page order (ablation has all four)
STATISTICS_KEYS = [
    ["configuration", "mean (%)", "95% interval"],
    ["kind", "configuration", "compared with", "difference (points)", "95% family-wise interval", "verdict"],
    ["comparison", "difference (points)", "95% family-wise interval", "verdict"],
    ["block", "effect", "effect (points)", "95% family-wise interval", "verdict"],
]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_statistics_cell_overflows_and_no_configuration_name_breaks(measured, width):
    at = measured[0][width]
    assert len(at["headings"]) == 4 and at["statistics"]
    if width == 420:
        for cell in at["statistics"]:
            assert cell["left"] >= 0 and cell["right"] <= at["viewport"] + 0.5, cell
            assert cell["scroll"] <= cell["client"], cell
    broken = [name for name in at["names"] if name["lines"] != 1 or name["tall"]]
    assert broken == [] and at["names"] and {ODD_NAME, "twin-nosharing-noaux"} <= {name["text"] for name in at["names"]}


def test_a_narrow_screen_keeps_the_key_columns_of_each_statistics_table(measured):
    seen, _ = measured
    assert seen[420]["headings"] == STATISTICS_KEYS
    wide = seen[1400]["headings"]
    assert [len(shown) for shown in wide] > [len(keys) for keys in STATISTICS_KEYS]
    assert all(set(keys) < set(shown) for keys, shown in zip(STATISTICS_KEYS, wide))
    assert "seeds needed" in wide[1] and "Wilcoxon p" in wide[2]


def test_the_measurement_catches_a_clipped_label_and_an_overflowing_cell(tmp_path):
    """A page built to fail: an SVG label running past its SVG's edge, a results cell wider than a phone."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
        '<figure class="chart" id="chart-bad"><svg width="200" height="40" viewBox="0 0 200 40">'
        '<text x="120" y="25">a label running past the edge</text>'
        '<text x="5" y="30" font-size="10">cut…</text></svg></figure>'
        '<table class="main"><tr><td style="white-space: nowrap">' + "wide " * 120 + "</td></tr></table>"
        '<table class="main"><tr><td style="max-width: 5em"><span class="name">twin-nosharing-noaux</span></td></tr>'
        "</table>"
        '<section id="statistics-in-detail"><table><tr><td style="white-space: nowrap">'
        + "wide " * 120
        + "</td></tr></table></section></body></html>"
    )
    at = open_in_chromium(bad, tmp_path)[420]
    assert [item["text"] for item in at["clipped"]] == ["a label running past the edge"]
    assert [item["text"] for item in at["cut"]] == ["cut…"]
    assert at["page"] > at["viewport"] and at["cells"][0]["right"] > at["viewport"]
    assert at["statistics"][0]["right"] > at["viewport"]
    assert [(name["text"], name["lines"] > 1 or name["tall"]) for name in at["names"]] == [
        ("twin-nosharing-noaux", True)
    ]
