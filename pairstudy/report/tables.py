"""The report's tables: the summary's display form, and every display table as HTML, Markdown, LaTeX and CSV."""

from __future__ import annotations

import html
import re

import pandas as pd

from pairstudy.stats.units import decimals
from pairstudy.tasks.metrics import Metric, MetricSpec

CONFIGURATION = "configuration"
NONE = "–"


def missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def format_mean_std(mean, std, percent: bool = True, decimals: int = 2) -> str:
    """'93.76 ± 0.85' from fractions 0.9376 and 0.0085 (with percent False: the numbers as they are); just the mean
    when there is no std (one seed); '–' without a mean."""
    if missing(mean):
        return NONE
    scale = 100 if percent else 1
    if missing(std):
        return f"{float(mean) * scale:.{decimals}f}"
    return f"{float(mean) * scale:.{decimals}f} ± {float(std) * scale:.{decimals}f}"


def metric_mean_std(mean, std, metric: Metric, places: int | None = None) -> str:
    """A metric's mean ± std as the metric reads: a fraction in percent, a plain number with `places` decimals
    (by default as many as its size needs)."""
    if places is None:
        places = decimals(metric, [mean])
    return format_mean_std(mean, std, percent=metric.percent, decimals=places)


def headline_title(spec: MetricSpec) -> str:
    """The results table's title of the headline run metric, e.g. "test accuracy (%) (final)"."""
    return spec.run_metrics()[spec.headline_run_metric][1]


def shown_metrics(summary: pd.DataFrame, spec: MetricSpec) -> dict[str, tuple[Metric, str]]:
    """The run metrics some configuration has a mean of (none measured validation: no validation columns)."""
    return {
        name: described
        for name, described in spec.run_metrics().items()
        if f"{name}_mean" in summary and summary[f"{name}_mean"].notna().any()
    }


def display_table(summary: pd.DataFrame, factor_names, spec: MetricSpec) -> pd.DataFrame:
    """One row per configuration with formatted cells, in the summary's order, one column per run metric of the
    task under its title.

    A metric no configuration has (validation metrics without validation data, say) is left out; a metric some
    configurations have and others not (one their model does not give) is "–" where it is missing. A plain
    number metric gets one number of decimals per column, enough for its smallest mean.
    """
    factor_names = [name for name in factor_names if name != "architecture"]
    shown = shown_metrics(summary, spec)
    places = {
        name: decimals(metric, summary[f"{name}_mean"].dropna().abs().nsmallest(1))
        for name, (metric, _) in shown.items()
    }
    rows = []
    for _, row in summary.iterrows():
        cells = {CONFIGURATION: row["config"]}
        for name in factor_names:
            value = row.get(name)
            cells[name] = NONE if missing(value) else str(value)
        cells["seeds"] = str(int(row["n_seeds"]))
        count = row["parameter_count"]
        cells["parameters"] = NONE if missing(count) else f"{int(count):,}"
        for name, (metric, title) in shown.items():
            cells[title] = metric_mean_std(row[f"{name}_mean"], row[f"{name}_std"], metric, places[name])
        seconds = row.get("run_seconds_mean")
        cells["seconds / run"] = NONE if missing(seconds) else f"{seconds:.1f}"
        rows.append(cells)
    return pd.DataFrame(rows)


def markdown_text(value) -> str:
    """Text that Markdown shows as written: no HTML tags, no emphasis, no table breaks, on one line."""
    text = str(value).replace("\\", "\\\\")
    for character in "<>|*_`":
        text = text.replace(character, "\\" + character)
    return " ".join(text.splitlines())


def table_markdown(table: pd.DataFrame) -> str:
    """A display table as a Markdown pipe table: the first column left-aligned, the others right-aligned."""
    header = "| " + " | ".join(markdown_text(c) for c in table.columns) + " |"
    rule = "|" + "|".join(":---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
    lines = [header, rule] + [
        "| " + " | ".join(markdown_text(v) for v in row) + " |" for row in table.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "_": r"\_",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "±": r"$\pm$",
    "–": "--",
    "−": "$-$",
    "→": r"$\rightarrow$",
    "×": r"$\times$",
    "≤": r"$\leq$",
}


def latex_escape(text: str) -> str:
    """Text safe in a LaTeX table cell (one pass, so an escape is never escaped again)."""
    return "".join(LATEX_SPECIAL.get(character, character) for character in str(text))


def table_latex(table: pd.DataFrame) -> str:
    """A display table as a booktabs tabular (needs \\usepackage{booktabs})."""
    columns = "l" + "r" * (len(table.columns) - 1)
    lines = [
        r"\begin{tabular}{" + columns + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in table.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(v) for v in row) + r" \\" for row in table.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


NUMBER_CELL = re.compile(r"^[-+−–<>\d\s.,±%\[\]]*$|^n/a$")
# columns that hold configuration names (a comparison holds two, "a → b"): each name is kept on one line, never
# broken at its hyphens, by CSS (span.name) so the page's text stays the names as written
NAME_COLUMNS = (CONFIGURATION, "config", "compared with", "comparison")
ARROW = " → "
ALL_COLUMNS = "All columns"


def what_lines(what) -> list[tuple[str, ...]]:
    """`what` (what a row compares) as its lines on a narrow screen: each entry a column name (a line of its own) or
    a tuple of names sharing a line."""
    return [(line,) if isinstance(line, str) else tuple(line) for line in what]


def column_classes(table: pd.DataFrame, key_columns, what=()) -> list[str]:
    """Per column: "key" for `key_columns` (what a narrow screen keeps), "text" for words (set left); "what" for the
    columns of `what` (what_lines: what a row compares, set above its numbers on a narrow screen), "whole" too for
    one with a line of its own."""
    lines = what_lines(what)
    compared = {column: len(line) == 1 for line in lines for column in line}
    classes = []
    for column in table.columns:
        names = ["key"] if column in key_columns or column in compared else []
        if column in compared:
            names += ["what", "whole"] if compared[column] else ["what"]
        if not all(NUMBER_CELL.match(str(value)) for value in table[column]):
            names.append("text")
        classes.append(f' class="{" ".join(names)}"' if names else "")
    return classes


def name_cell(value) -> str:
    """A configuration name (or "a → b") escaped, each name in a span.name that keeps it on one line."""
    return ARROW.join(f'<span class="name">{html.escape(part)}</span>' for part in str(value).split(ARROW))


def html_table(table: pd.DataFrame, css_class: str = "", key_columns=(), what=()) -> str:
    """A display table as escaped HTML; columns marked as column_classes says, configuration names (NAME_COLUMNS)
    in span.name."""
    marks = column_classes(table, key_columns, what)
    cell = [name_cell if column in NAME_COLUMNS else lambda value: html.escape(str(value)) for column in table.columns]
    head = "".join(f"<th{mark}>{html.escape(str(column))}</th>" for column, mark in zip(table.columns, marks))
    body = "".join(
        "<tr>" + "".join(f"<td{mark}>{show(value)}</td>" for value, mark, show in zip(row, marks, cell)) + "</tr>"
        for row in table.itertuples(index=False)
    )
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def collapsing_table_html(table: pd.DataFrame, key_columns, what=(), css_class: str = "") -> str:
    """A display table that a narrow screen collapses to its key columns, as the results table: the table with every
    column (in a box that scrolls sideways where the screen is too narrow for it), whose other columns a narrow
    screen hides, and below it the whole table again in an "All columns" box that a narrow screen shows.

    With `what` (what a row compares, as what_lines) a narrow screen sets each row on lines of its own (table.stacked):
    what is compared, then the key numbers under their headings, so a row fits beside long names; a line of two
    names that do not fit side by side wraps between them, never inside one."""
    stacked = "stacked" if what else ""
    main = html_table(table, " ".join(filter(None, [css_class, "keys", stacked])), key_columns, what)
    full = html_table(table, " ".join(filter(None, [css_class, "full"])))
    return (
        f'<div class="scroll keys-main">{main}</div>'
        f'<details class="keys-full"><summary>{ALL_COLUMNS}</summary><div class="scroll">{full}</div></details>'
    )
