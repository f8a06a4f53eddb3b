"""The summary table in its display forms (HTML, Markdown, LaTeX), defined once."""

from __future__ import annotations

import math

import pandas as pd

from pairstudy.aggregate.tables import factor_columns

METRIC_COLUMNS = {
    "final_test_accuracy": "test acc. (final, %)",
    "best_test_accuracy": "test acc. (best epoch, %)",
    "final_train_accuracy": "train acc. (%)",
    "final_test_digit_accuracy": "digit acc. (%)",
    "final_validation_accuracy": "validation acc. (%)",
}


def format_mean_std(mean, std, percent: bool = True, decimals: int = 2) -> str:
    """'93.76 ± 0.85'; just the mean when there is no std; '–' when there is no mean."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    scale = 100 if percent else 1
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return f"{mean * scale:.{decimals}f}"
    return f"{mean * scale:.{decimals}f} ± {std * scale:.{decimals}f}"


def display_table(summary: pd.DataFrame, factor_names=None) -> pd.DataFrame:
    """One row per configuration with formatted cells, in the summary's order."""
    factor_names = factor_names or []
    rows = []
    for _, row in summary.iterrows():
        cells = {"configuration": row["config"]}
        for name in factor_names:
            value = row.get(name)
            cells[name] = "–" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        cells["seeds"] = str(int(row["n_seeds"]))
        count = row["parameter_count"]
        cells["parameters"] = "–" if pd.isna(count) else f"{int(count):,}"
        for metric, title in METRIC_COLUMNS.items():
            if metric == "final_validation_accuracy" and summary[f"{metric}_mean"].isna().all():
                continue  # a study without validation pairs
            cells[title] = format_mean_std(row[f"{metric}_mean"], row[f"{metric}_std"])
        cells["s / run"] = "–" if pd.isna(row["run_seconds_mean"]) else f"{row['run_seconds_mean']:.1f}"
        rows.append(cells)
    return pd.DataFrame(rows)


def summary_table_markdown(summary: pd.DataFrame) -> str:
    table = display_table(summary, factor_columns(summary))
    header = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.columns))) + "|"
    lines = [header, rule] + ["| " + " | ".join(map(str, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    for plain, escaped in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"), ("#", r"\#"), ("±", r"$\pm$")):
        text = text.replace(plain, escaped)
    return text


def summary_table_latex(summary: pd.DataFrame) -> str:
    table = display_table(summary, factor_columns(summary))
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
    return table.to_html(index=False, escape=True, border=0, classes="summary")
