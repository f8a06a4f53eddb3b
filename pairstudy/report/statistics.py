"""Report sections drawn from the stored statistics and run-status tables."""

from __future__ import annotations

import html

import pandas as pd

from pairstudy.stats import effect_sentence

from .tables import table_markdown

FACTOR_LABELS = {"aux": "auxiliary loss", "sharing": "weight sharing", "architecture": "architecture"}


def methods(table: pd.DataFrame) -> str:
    """How a stored table's intervals were computed, as its ci_method column says."""
    found = table["ci_method"].dropna().unique().tolist() if "ci_method" in table else []
    return "; ".join(found) or "none computed"


def section(
    title: str, note: str, table: pd.DataFrame | None = None, items: list[str] | None = None
) -> tuple[str, str, str]:
    """(title, HTML, Markdown) of a note followed by a table or a list."""
    body_html, body_markdown = f"<p>{html.escape(note)}</p>", note + "\n\n"
    if table is not None:
        body_html += table.to_html(index=False, border=0)
        body_markdown += table_markdown(table) + "\n"
    if items:
        body_html += "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"
        body_markdown += "\n".join(f"- {item}" for item in items)
    return title, body_html, body_markdown


def interval_section(intervals: pd.DataFrame):
    table = pd.DataFrame(
        {
            "configuration": intervals["config"],
            "n": intervals["n"],
            "mean (%)": (intervals["mean"] * 100).round(2),
            "std": (intervals["std"] * 100).round(2),
            "s.e.": (intervals["sem"] * 100).round(2),
            "95% CI": [
                f"[{low * 100:.2f}, {high * 100:.2f}]" for low, high in zip(intervals["ci_low"], intervals["ci_high"])
            ],
        }
    )
    return section(
        "Confidence intervals", f"Final test accuracy per configuration; 95% CI: {methods(intervals)}.", table
    )


def comparison_section(comparisons: pd.DataFrame):
    table = pd.DataFrame(
        {
            "comparison": comparisons["config_a"] + " → " + comparisons["config_b"],
            "factor": comparisons["factor"],
            "n": comparisons["n"],
            "difference (points)": (comparisons["mean_difference"] * 100).round(2),
            "95% CI": [
                f"[{l * 100:.2f}, {h * 100:.2f}]" for l, h in zip(comparisons["ci_low"], comparisons["ci_high"])
            ],
            "paired t p (Holm)": comparisons["holm_t_pvalue"].map(lambda p: f"{p:.3g}"),
            "Wilcoxon p (Holm)": comparisons["holm_wilcoxon_pvalue"].map(lambda p: f"{p:.3g}"),
            "d_z": comparisons["effect_size"].round(2),
        }
    )
    note = (
        "Configurations that differ in exactly one factor, paired by seed (a seed fixes the data pairs). Difference = second "
        "minus first, in percentage points of final test accuracy; p-values Holm-corrected across the comparisons shown; "
        f"d_z = mean / sd of the paired differences; CI: {methods(comparisons)}."
    )
    return section("Paired comparisons", note, table)


def effects_section(effects: pd.DataFrame):
    sentences = [f"{row['block']}: {effect_sentence(row, labels=FACTOR_LABELS)}" for _, row in effects.iterrows()]
    note = (
        "Main effects and interaction of each full 2 x 2 factorial block, estimated per seed on final test accuracy "
        f"(95% CI: {methods(effects)}; one-sample t test over seeds)."
    )
    return section("What helped", note, items=sentences)


def run_status_section(status: pd.DataFrame, min_seeds: int):
    problems = status[
        (status["diverged_seeds"].fillna("") != "")
        | (status["failed_seeds"].fillna("") != "")
        | (status["finished"] < min_seeds)
    ]
    note = f"Finished seeds per configuration; a configuration needs at least {min_seeds} finished seeds to enter the tables."
    if problems.empty:
        return section("Runs", note + " Every run finished.", status[["config", "finished"]])
    items = [f"{row['config']}: rerun with `{row['rerun']}`" for _, row in problems.iterrows() if row["rerun"]]
    return section("Runs", note, status.fillna(""), items)


def statistics_sections(statistics: dict[str, pd.DataFrame], status: pd.DataFrame, min_seeds: int) -> list:
    sections = []
    if not statistics["effects"].empty:
        sections.append(effects_section(statistics["effects"]))
    if not statistics["intervals"].empty:
        sections.append(interval_section(statistics["intervals"]))
    if not statistics["comparisons"].empty:
        sections.append(comparison_section(statistics["comparisons"]))
    sections.append(run_status_section(status, min_seeds))
    return sections
