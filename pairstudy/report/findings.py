"""What helped: the study's answer, led by the best configuration and how far it is ahead of the baselines and
the runner-up, then the 2x2 factor effects, then the one-factor comparisons, each with how many seeds it needs."""

from __future__ import annotations

import pandas as pd

from pairstudy.charts import FACTOR_LABELS
from pairstudy.metrics import HEADLINE_METRIC
from pairstudy.stats.sentences import effect_sentence
from pairstudy.stats.words import LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP

from .sections import Content, Section
from .statistics import interval_cell, methods
from .tables import format_mean_std, missing

TITLE = "What helped"


def finding(row: pd.Series, prefix: str = "") -> str:
    """One stored row as a sentence (effect_sentence: estimate, interval or "too few seeds for an interval",
    p-value, seeds) and its seeds-needed verdict."""
    text = prefix + effect_sentence(row, labels=FACTOR_LABELS)
    verdict = row.get("seeds_verdict")
    return text + ("" if missing(verdict) else f"; {verdict}") + "."


def best_configuration(baselines: pd.DataFrame, summary: pd.DataFrame) -> str | None:
    """The leader the statistics step compared (config_b of its leader rows), else the best summary mean."""
    if not baselines.empty:
        leader = baselines.loc[baselines["kind"].isin([LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP]), "config_b"]
        if len(leader):
            return str(leader.iloc[0])
    means = summary.set_index("config")[f"{HEADLINE_METRIC}_mean"].dropna()
    return str(means.idxmax()) if len(means) else None


def lead_sentence(best: str, summary: pd.DataFrame, intervals: pd.DataFrame) -> str:
    row = summary.set_index("config").loc[best]
    text = (
        f"Best configuration: {best}, final test accuracy "
        f"{format_mean_std(row[f'{HEADLINE_METRIC}_mean'], row[f'{HEADLINE_METRIC}_std'])} % "
        f"(mean ± sample std over {int(row['n_seeds'])} seeds"
    )
    if not intervals.empty and best in set(intervals["config"]):
        cell = interval_cell(intervals.set_index("config").loc[best])
        text += f"; interval {cell}" if cell.startswith("[") else f"; {cell}"
    return text + ")."


def leader_items(baselines: pd.DataFrame, best: str) -> list[str]:
    """The best against each baseline, then against the runner-up."""
    items = []
    for _, row in baselines[baselines["kind"] == LEADER_VS_BASELINE].iterrows():
        items.append(finding(row, f"ahead of baseline {row['config_a']}: "))
    known = set(baselines.loc[baselines["kind"] == "baseline", "config_a"])
    for _, row in baselines[baselines["kind"] == LEADER_VS_RUNNER_UP].iterrows():
        also = " (a baseline)" if row["config_a"] in known else ""
        items.append(
            finding(row, f"ahead of the runner-up {row['config_a']}{also}: ")
            + " The best is picked on these same runs, so its lead over the runner-up is biased upward."
        )
    return items


def what_helped(stored: dict[str, pd.DataFrame], summary: pd.DataFrame, min_seeds: int) -> Section:
    """The answer first: the best configuration and its lead, then effects and one-factor comparisons."""
    content = Content()
    baselines, effects, comparisons = stored["baselines"], stored["effects"], stored["comparisons"]
    best = best_configuration(baselines, summary)
    if best is None:
        content.paragraph(f"No configuration has {min_seeds} finished seeds yet: nothing to compare (see Runs).")
        return content.section(TITLE)
    content.paragraph(lead_sentence(best, summary, stored["intervals"]), css_class="lead")
    short = summary.loc[summary["n_seeds"] < min_seeds]
    if len(short):
        listed = ", ".join(f"{row['config']} ({int(row['n_seeds'])})" for _, row in short.iterrows())
        content.paragraph(f"Fewer than {min_seeds} finished seeds, so no means in the tables: {listed}; see Runs.")
    if not (baselines.empty and effects.empty and comparisons.empty):
        content.paragraph(
            "Each difference below is paired by seed (a seed fixes the data pairs): the first configuration named "
            "minus the second, in percentage points of final test accuracy, with its interval (or too few seeds "
            "for one), the paired t test's p-value (Holm-adjusted within its table) and how many seeds resolve "
            f"it. Intervals: {methods(pd.concat([baselines, effects, comparisons]))}."
        )
    baseline_names = list(dict.fromkeys(baselines.loc[baselines["kind"] == "baseline", "config_a"]))
    if baseline_names and best in baseline_names:
        content.paragraph(f"The best configuration, {best}, is itself a baseline.")
    elif not baseline_names:
        content.paragraph("The study has no baselines.")
    items = leader_items(baselines, best)
    if items:
        against_baselines = LEADER_VS_BASELINE in set(baselines["kind"])
        content.heading(f"{best} against the {'baselines and the ' if against_baselines else ''}runner-up")
        content.items(items)
    if not effects.empty:
        content.heading("Factor effects (2 x 2)")
        content.items([finding(row, f"{row['block']}: ") for _, row in effects.iterrows()])
    if not comparisons.empty:
        content.heading("One factor at a time")
        content.items([finding(row) for _, row in comparisons.iterrows()])
    return content.section(TITLE)
