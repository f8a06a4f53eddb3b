"""What helped: the study's answer. The best configuration first, then every declared factor's levels compared
configuration against configuration one factor apart (architecture included, baselines or not; levels that no such
pair compares are named with why), then the 2x2 factor effects, then the best against the baselines and the
runner-up; each difference with how many seeds it needs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

from pairstudy.aggregate import best_config
from pairstudy.charts import FACTOR_LABELS
from pairstudy.stats.sentences import NOT_CLEAR_ADJUSTED, effect_sentence, level_text, verdict
from pairstudy.stats.units import direction_text, value_unit
from pairstudy.stats.words import LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP
from pairstudy.tasks.metrics import Metric, MetricSpec

from .sections import Content, Section
from .statistics import TOO_FEW_FOR_AN_INTERVAL, interval_cell, methods
from .tables import metric_mean_std, missing

TITLE = "What helped"
UNADJUSTED = "by the unadjusted test alone, "


def finding(row: pd.Series, metric: Metric, prefix: str = "") -> str:
    """One stored row as a sentence (effect_sentence: the difference in the metric's unit and direction, interval
    or "too few seeds for an interval", p-value, seeds) and its seeds-needed verdict, which says where it holds
    only for the difference tested alone (no clear difference once p is Holm-adjusted)."""
    text = prefix + effect_sentence(row, metric, labels=FACTOR_LABELS)
    seeds = row.get("seeds_verdict")
    if missing(seeds):
        return text + "."
    if verdict(row, metric) == NOT_CLEAR_ADJUSTED and str(seeds).startswith("resolved"):
        seeds = UNADJUSTED + seeds  # the seeds verdict tests each difference alone
    return f"{text}; {seeds}."


def best_configuration(baselines: pd.DataFrame, summary: pd.DataFrame, spec: MetricSpec) -> str | None:
    """The leader the statistics step compared (config_b of its leader rows), else the best summary mean (by the
    headline's direction)."""
    if not baselines.empty:
        leader = baselines.loc[baselines["kind"].isin([LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP]), "config_b"]
        if len(leader):
            return str(leader.iloc[0])
    return best_config(summary, spec)


def lead_sentence(best: str, summary: pd.DataFrame, intervals: pd.DataFrame, spec: MetricSpec) -> str:
    row = summary.set_index("config").loc[best]
    metric, column = spec.headline_metric, spec.headline_run_metric
    text = (
        f"Best configuration: {best}, final test {metric.title} "
        f"{metric_mean_std(row[f'{column}_mean'], row[f'{column}_std'], metric)}{value_unit(metric)} "
        f"({direction_text(metric)}; mean ± sample std over {int(row['n_seeds'])} seeds"
    )
    if not intervals.empty and best in set(intervals["config"]):
        cell = interval_cell(intervals.set_index("config").loc[best], metric)
        text += f"; interval {cell}" if cell.startswith("[") else f"; {cell}"
    return text + ")."


def leader_items(baselines: pd.DataFrame, best: str, metric: Metric) -> list[str]:
    """The best against each baseline, then against the runner-up."""
    items = []
    for _, row in baselines[baselines["kind"] == LEADER_VS_BASELINE].iterrows():
        items.append(finding(row, metric, f"against baseline {row['config_a']}: "))
    known = set(baselines.loc[baselines["kind"] == "baseline", "config_a"])
    for _, row in baselines[baselines["kind"] == LEADER_VS_RUNNER_UP].iterrows():
        also = " (a baseline)" if row["config_a"] in known else ""
        items.append(
            finding(row, metric, f"against the runner-up {row['config_a']}{also}: ")
            + " The best is picked on these same runs, so its lead over the runner-up is biased upward."
        )
    return items


def differences_note(metric: Metric, tables: list[pd.DataFrame]) -> str:
    """How the differences below read: paired by seed, in the headline's unit, which way is better."""
    unit = f"percentage points of final test {metric.title}" if metric.percent else f"final test {metric.title}"
    return (
        "Each difference below is paired by seed (a seed fixes the data): the configuration after the arrow (or "
        f'before "vs") minus the other, in {unit} ({direction_text(metric)}), with its interval (or too few seeds '
        "for one), the paired t test's p-value (Holm-adjusted within its table) and how many seeds resolve it; "
        "helped or better where the interval lies on the good side of zero and the adjusted p-value agrees. "
        f"Intervals: {methods(pd.concat(tables))}."
    )


def factor_label(factor: str) -> str:
    return FACTOR_LABELS.get(factor, factor)


def level_word(level) -> str:
    """A factor level for a sentence: "on"/"off" for a switch, else as the config spelled it."""
    text = level_text(level)
    return {"True": "on", "False": "off"}.get(text, text or "not applicable")


def level_pair_summary(rows: pd.DataFrame, metric: Metric) -> str:
    """E.g. "In 4 comparisons one factor apart, mine against twin: helped in 3, no clear difference in 1." The
    verdicts are those of the sentences listed with it."""
    first = rows.iloc[0]
    verdicts = Counter(verdict(row, metric) or TOO_FEW_FOR_AN_INTERVAL for _, row in rows.iterrows())
    counted = ", ".join(f"{word} in {count}" for word, count in verdicts.most_common())
    apart = "1 comparison" if len(rows) == 1 else f"{len(rows)} comparisons"
    levels = f"{level_word(first['level_b'])} against {level_word(first['level_a'])}"
    return f"In {apart} one factor apart, {levels}: {counted}."


def unpaired_sentence(entry: dict) -> str:
    """Why two levels of a factor have no comparison: no two configurations differ in it alone."""
    also = [factor_label(factor) for factor in entry["also"]]
    why = f"{' and '.join(also)} differ{'s' if len(also) == 1 else ''} too" if also else "another factor differs too"
    return (
        f"Not compared, {level_word(entry['level_a'])} and {level_word(entry['level_b'])}: no two of their "
        f"configurations differ in {factor_label(entry['factor'])} alone ({why})."
    )


def factor_findings(
    content: Content, comparisons: pd.DataFrame, unpaired: list[dict], factor: str, metric: Metric
) -> None:
    """One factor's levels compared: a summary per pair of levels, then each comparison, then the levels that no
    pair compares."""
    rows = comparisons[comparisons["factor"] == factor] if not comparisons.empty else comparisons
    missing_pairs = [entry for entry in unpaired if entry["factor"] == factor]
    if rows.empty and not missing_pairs:
        return
    label = factor_label(factor)
    content.heading(label[:1].upper() + label[1:])
    if not rows.empty:
        pairs = rows.groupby(
            [rows["level_a"].map(level_text), rows["level_b"].map(level_text)], sort=False, dropna=False
        )
        content.paragraph(" ".join(level_pair_summary(group, metric) for _, group in pairs))
        content.items([finding(row, metric) for _, row in rows.iterrows()])
    if missing_pairs:
        content.paragraph(" ".join(unpaired_sentence(entry) for entry in missing_pairs))


def baseline_findings(content: Content, baselines: pd.DataFrame, best: str, metric: Metric) -> None:
    """Whether the study has baselines, then the best against them and the runner-up."""
    baseline_names = list(dict.fromkeys(baselines.loc[baselines["kind"] == "baseline", "config_a"]))
    if baseline_names and best in baseline_names:
        content.paragraph(f"The best configuration, {best}, is itself a baseline.")
    elif not baseline_names:
        content.paragraph("The study has no baselines.")
    items = leader_items(baselines, best, metric)
    if items:
        against_baselines = LEADER_VS_BASELINE in set(baselines["kind"])
        content.heading(f"{best} against the {'baselines and the ' if against_baselines else ''}runner-up")
        content.items(items)


def what_helped(
    stored: dict[str, pd.DataFrame],
    summary: pd.DataFrame,
    min_seeds: int,
    spec: MetricSpec,
    factors: Sequence[str] = (),
    unpaired: list[dict] | None = None,
) -> Section:
    """The answer first: the best configuration, then each of `factors` (in the study's order) compared one factor
    apart, with the level pairs `unpaired` (partners.unpaired_levels of the finished runs) that no such pair
    compares, then the 2x2 effects, then the best against the baselines and the runner-up."""
    content = Content()
    metric = spec.headline_metric
    baselines, effects, comparisons = stored["baselines"], stored["effects"], stored["comparisons"]
    best = best_configuration(baselines, summary, spec)
    if best is None:
        content.paragraph(f"No configuration has {min_seeds} finished seeds yet: nothing to compare (see Runs).")
        return content.section(TITLE)
    content.paragraph(lead_sentence(best, summary, stored["intervals"], spec), css_class="lead")
    short = summary.loc[summary["n_seeds"] < min_seeds]
    if len(short):
        listed = ", ".join(f"{row['config']} ({int(row['n_seeds'])})" for _, row in short.iterrows())
        content.paragraph(f"Fewer than {min_seeds} finished seeds, so no means in the tables: {listed}; see Runs.")
    if not (baselines.empty and effects.empty and comparisons.empty):
        content.paragraph(differences_note(metric, [baselines, effects, comparisons]))
    compared = list(factors) + [f for f in dict.fromkeys(comparisons.get("factor", [])) if f not in factors]
    for factor in compared:
        factor_findings(content, comparisons, unpaired or [], factor, metric)
    if not effects.empty:
        content.heading("Factor effects (2 x 2)")
        content.items([finding(row, metric, f"{row['block']}: ") for _, row in effects.iterrows()])
    baseline_findings(content, baselines, best, metric)
    return content.section(TITLE)
