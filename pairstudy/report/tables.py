"""The report's tables: the summary's display form, and every display table as HTML, Markdown, LaTeX and CSV."""

from __future__ import annotations

import html
import re

import pandas as pd

from pairstudy.metrics import HEADLINE_METRIC, RUN_METRICS

CONFIGURATION = "configuration"
HEADLINE = RUN_METRICS[HEADLINE_METRIC]
DIGIT_METRIC = "final_test_digit_accuracy"
# what a configuration's digit outputs are, from configurations.parquet's predicts_digits and trains_digits
TRAINED, UNTRAINED, NO_DIGITS = "trained", "untrained", "none"
UNTRAINED_HEAD = "untrained head"
NONE = "–"


def missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def format_mean_std(mean, std, percent: bool = True, decimals: int = 2) -> str:
    """'93.76 ± 0.85' from fractions 0.9376 and 0.0085; just the mean when there is no std (one seed); '–' without
    a mean."""
    if missing(mean):
        return NONE
    scale = 100 if percent else 1
    if missing(std):
        return f"{float(mean) * scale:.{decimals}f}"
    return f"{float(mean) * scale:.{decimals}f} ± {float(std) * scale:.{decimals}f}"


def digit_heads(configurations: pd.DataFrame) -> dict[str, str]:
    """Configuration -> TRAINED (digit outputs with a digit loss), UNTRAINED (outputs, no loss) or NO_DIGITS."""
    return {
        row["config"]: TRAINED if row["trains_digits"] else UNTRAINED if row["predicts_digits"] else NO_DIGITS
        for _, row in configurations.iterrows()
    }


def digit_cell(row: pd.Series, head: str) -> str:
    """Digit accuracy only where a digit loss trains the outputs: an untrained head's accuracy means nothing."""
    if head == UNTRAINED:
        return UNTRAINED_HEAD
    if head == NO_DIGITS:
        return NONE
    return format_mean_std(row[f"{DIGIT_METRIC}_mean"], row[f"{DIGIT_METRIC}_std"])


def display_table(summary: pd.DataFrame, factor_names=(), heads: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per configuration with formatted cells, in the summary's order.

    A metric no configuration has (validation accuracy without validation pairs, the epoch chosen on them) is
    left out. Digit accuracy follows `heads` (digit_heads; a configuration it does not name has no digits).
    """
    heads = heads or {}
    factor_names = [name for name in factor_names if name != "architecture"]
    shown = [
        metric
        for metric in RUN_METRICS
        if f"{metric}_mean" in summary and (summary[f"{metric}_mean"].notna().any() or metric == DIGIT_METRIC)
    ]
    if DIGIT_METRIC in shown and all(heads.get(config, NO_DIGITS) == NO_DIGITS for config in summary["config"]):
        shown.remove(DIGIT_METRIC)
    rows = []
    for _, row in summary.iterrows():
        cells = {CONFIGURATION: row["config"]}
        for name in factor_names:
            value = row.get(name)
            cells[name] = NONE if missing(value) else str(value)
        cells["seeds"] = str(int(row["n_seeds"]))
        count = row["parameter_count"]
        cells["parameters"] = NONE if missing(count) else f"{int(count):,}"
        for metric in shown:
            if metric == DIGIT_METRIC:
                cells[RUN_METRICS[metric]] = digit_cell(row, heads.get(row["config"], NO_DIGITS))
            else:
                cells[RUN_METRICS[metric]] = format_mean_std(row[f"{metric}_mean"], row[f"{metric}_std"])
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


def column_classes(table: pd.DataFrame, key_columns) -> list[str]:
    """Per column: "key" for `key_columns` (what a narrow screen keeps), "text" for words (set left)."""
    classes = []
    for column in table.columns:
        names = ["key"] if column in key_columns else []
        if not all(NUMBER_CELL.match(str(value)) for value in table[column]):
            names.append("text")
        classes.append(f' class="{" ".join(names)}"' if names else "")
    return classes


def html_table(table: pd.DataFrame, css_class: str = "", key_columns=()) -> str:
    """A display table as escaped HTML; columns marked as column_classes says."""
    marks = column_classes(table, key_columns)
    head = "".join(f"<th{mark}>{html.escape(str(column))}</th>" for column, mark in zip(table.columns, marks))
    body = "".join(
        "<tr>" + "".join(f"<td{mark}>{html.escape(str(value))}</td>" for value, mark in zip(row, marks)) + "</tr>"
        for row in table.itertuples(index=False)
    )
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
