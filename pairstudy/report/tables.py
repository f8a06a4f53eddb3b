"""The summary table in its display forms (HTML, Markdown, LaTeX), defined once."""

from __future__ import annotations

import pandas as pd

from pairstudy.metrics import RUN_METRICS


def missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def format_mean_std(mean, std, percent: bool = True, decimals: int = 2) -> str:
    """'93.76 ± 0.85' from fractions 0.9376 and 0.0085; just the mean when there is no std (one seed); '–' without a mean."""
    if missing(mean):
        return "–"
    scale = 100 if percent else 1
    if missing(std):
        return f"{float(mean) * scale:.{decimals}f}"
    return f"{float(mean) * scale:.{decimals}f} ± {float(std) * scale:.{decimals}f}"


def display_table(summary: pd.DataFrame, factor_names=(), untrained_digits=()) -> pd.DataFrame:
    """One row per configuration with formatted cells, in the summary's order.

    A metric no configuration has (validation accuracy without validation pairs, the epoch chosen on them) is
    left out; digit accuracy reads "untrained head" for configurations in `untrained_digits`.
    """
    factor_names = [name for name in factor_names if name != "architecture"]
    rows = []
    for _, row in summary.iterrows():
        cells = {"configuration": row["config"]}
        for name in factor_names:
            value = row.get(name)
            cells[name] = "–" if missing(value) else str(value)
        cells["seeds"] = str(int(row["n_seeds"]))
        count = row["parameter_count"]
        cells["parameters"] = "–" if missing(count) else f"{int(count):,}"
        for metric, title in RUN_METRICS.items():
            if f"{metric}_mean" not in summary or summary[f"{metric}_mean"].isna().all():
                continue
            if metric == "final_test_digit_accuracy" and row["config"] in untrained_digits:
                cells[title] = "untrained head"
                continue
            cells[title] = format_mean_std(row[f"{metric}_mean"], row[f"{metric}_std"])
        cells["seconds / run"] = "–" if missing(row.get("run_seconds_mean")) else f"{row['run_seconds_mean']:.1f}"
        rows.append(cells)
    return pd.DataFrame(rows)


def markdown_text(value) -> str:
    """Text that Markdown shows as written: no HTML tags, no table breaks, on one line."""
    text = str(value).replace("\\", "\\\\")
    for character in "<>|":
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
}


def latex_escape(text: str) -> str:
    """Text safe in a LaTeX table cell (one pass, so an escape is never escaped again)."""
    return "".join(LATEX_SPECIAL.get(character, character) for character in text)


def table_latex(table: pd.DataFrame) -> str:
    """A display table as a booktabs tabular (needs \\usepackage{booktabs})."""
    columns = "l" + "r" * (len(table.columns) - 1)
    lines = [
        r"\begin{tabular}{" + columns + "}",
        r"\toprule",
        " & ".join(latex_escape(c) for c in table.columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(latex_escape(str(v)) for v in row) + r" \\" for row in table.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def html_table(table: pd.DataFrame) -> str:
    """A display table as escaped HTML."""
    return table.to_html(index=False, escape=True, border=0, classes="summary")
