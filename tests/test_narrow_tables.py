"""How the report marks its tables for a narrow screen, read from the markup and the page's CSS (the browser test,
tests/test_report_browser.py, measures the same page in Chromium): each statistics table keeps its key columns, a
difference table says what it compares, every column stays in an "All columns" box, and configuration names sit in
spans that CSS keeps on one line while the page's text is the names as written."""

import re

import pandas as pd
import pytest

from pairstudy.report.page import NARROW_SCREEN, STYLE
from pairstudy.report.tables import ALL_COLUMNS, collapsing_table_html, column_classes, html_table, table_markdown
from tests.helpers import ODD_NAME, read_report, section_of, study_report, visible_text

# the columns a narrow screen keeps of each statistics table, in page order, and what a difference table compares
KEYS = [
    ["configuration", "mean (%)", "95% interval"],
    ["kind", "configuration", "compared with", "difference (points)", "95% family-wise interval", "verdict"],
    ["comparison", "difference (points)", "95% family-wise interval", "verdict"],
    ["block", "effect", "effect (points)", "95% family-wise interval", "verdict"],
]
WHAT = [[], ["kind", "configuration", "compared with"], ["comparison"], ["block", "effect"]]
WHOLE = [[], ["kind"], ["comparison"], []]  # what has a line of its own


def rules(style: str, selector: str) -> str:
    """The declarations of every CSS rule whose selector list holds `selector`."""
    found = [
        body
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", style)
        if selector in [part.strip() for part in selectors.split(",")]
    ]
    assert found, selector
    return " ".join(found)


def narrow_style() -> str:
    match = re.search(rf"@media \(max-width: {NARROW_SCREEN}px\) \{{(.*)\}}\s*$", STYLE, flags=re.DOTALL)
    assert match
    return match.group(1)


def headings(table: str, mark: str = "") -> list[str]:
    return [
        html_text
        for classes, html_text in re.findall(r"<th(?: class=\"([^\"]*)\")?>([^<]*)</th>", table)
        if mark in classes.split() or not mark
    ]


@pytest.fixture(scope="module")
def statistics(tmp_path_factory) -> tuple[str, str]:
    _, page, markdown = read_report(study_report(tmp_path_factory.getbasetemp(), "ablation", charts=()))
    return section_of(page, "Statistics in detail"), markdown


def test_each_statistics_table_marks_its_key_columns_and_what_it_compares(statistics):
    section, _ = statistics
    main = re.findall(r'<div class="scroll keys-main">(<table class="([^"]*)">.*?</table>)</div>', section)
    assert [classes for _, classes in main] == ["statistics keys"] + ["statistics keys stacked"] * 3
    assert [headings(table, "key") for table, _ in main] == KEYS
    assert [headings(table, "what") for table, _ in main] == WHAT
    assert [headings(table, "whole") for table, _ in main] == WHOLE
    # the columns left out on a narrow screen are there, unmarked
    assert {"seeds", "std", "s.e."} <= set(headings(main[0][0])) - set(headings(main[0][0], "key"))
    assert {"t-test p", "d_z", "seeds needed", "beats it on"} <= set(headings(main[1][0]))


def test_every_column_stays_in_an_all_columns_box_that_only_a_narrow_screen_shows(statistics):
    section, markdown = statistics
    full = re.findall(
        rf'<details class="keys-full"><summary>{ALL_COLUMNS}</summary><div class="scroll">(.*?)</div>', section
    )
    main = re.findall(r'<div class="scroll keys-main">(.*?)</div>', section)
    assert len(full) == len(main) == 4
    for whole, kept in zip(full, main):
        assert whole.startswith('<table class="statistics full">') and 'class="key' not in whole
        assert headings(whole) == headings(kept)
    assert "display: none" in rules(STYLE, ".keys-full") and "display: block" in rules(narrow_style(), ".keys-full")
    # the Markdown twin has each table once, with every column
    assert markdown.count("| kind | configuration | compared with |") == 1 and "| seeds needed |" in markdown


def test_a_narrow_screen_hides_the_other_columns_and_sets_a_difference_row_on_lines_of_its_own():
    narrow = narrow_style()
    assert "display: none" in rules(narrow, ".keys-main td:not(.key)")
    assert "display: none" in rules(narrow, ".keys-main th:not(.key)")
    assert "display: flex" in rules(narrow, "table.stacked tr") and "wrap" in rules(narrow, "table.stacked tr")
    assert "flex-basis: 100%" in rules(narrow, "table.stacked .what.whole")
    assert "order: 1" in rules(narrow, "table.stacked .what") and "order: 3" in rules(narrow, "table.stacked td")
    # wide screens see the whole table as it was
    assert "table.stacked" not in STYLE.split("@media")[0]


def test_configuration_names_are_kept_on_one_line_by_css_and_read_as_written(statistics):
    name = rules(STYLE, ".name")
    assert "white-space: nowrap" in name and "hyphens: none" in name
    section, _ = statistics
    assert '<span class="name">twin-nosharing-noaux</span>' in section
    # a comparison's two names each in a span, the arrow between them free to wrap
    pairs = [cell for cell in re.findall(r'<td class="key what whole text">(.*?)</td>', section) if "→" in cell]
    assert pairs and all(
        re.fullmatch(r'<span class="name">[^<]+</span> → <span class="name">[^<]+</span>', cell) for cell in pairs
    )
    text = visible_text(section)
    assert "twin-nosharing-noaux → twin-sharing-noaux" in text and ODD_NAME in text
    assert "\u2011" not in section  # no look-alike hyphens: text search finds the names


def test_html_table_keeps_its_marks_and_escapes_names_once():
    table = pd.DataFrame({"configuration": ["twin_<a>", "b-c"], "comparison": ["a → b-c", "x"], "n": ["1", "2"]})
    fragment = html_table(table, "t", ["configuration"])
    assert '<th class="key text">configuration</th>' in fragment and "<th>n</th>" in fragment
    assert '<td class="key text"><span class="name">twin_&lt;a&gt;</span></td>' in fragment
    assert '<span class="name">a</span> → <span class="name">b-c</span>' in fragment
    assert column_classes(table, ["n"], ["comparison"]) == [
        ' class="text"',
        ' class="key what whole text"',
        ' class="key"',
    ]
    assert column_classes(table, [], [("configuration", "comparison")])[:2] == [' class="key what text"'] * 2
    collapsed = collapsing_table_html(table, ["n"], ["comparison"], "t")
    assert collapsed.startswith('<div class="scroll keys-main"><table class="t keys stacked">')
    assert collapsing_table_html(table, ["n"]).startswith('<div class="scroll keys-main"><table class="keys">')
    assert table_markdown(table).splitlines()[2] == "| twin\\_\\<a\\> | a → b-c | 1 |"
