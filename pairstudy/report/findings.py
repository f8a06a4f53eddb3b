"""What helped: the study's answer. The best configuration first, then every declared factor's levels compared
configuration against configuration one factor apart (architecture included, baselines or not; levels that no such
pair compares are named with why), then the 2x2 factor effects, then the best against the baselines and the
runner-up; each difference with how many seeds it needs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd

from pairstudy.aggregate import best_config
from pairstudy.charts import FACTOR_LABELS
from pairstudy.stats.sentences import effect_sentence, level_text, seeds_text, smallest_text, verdict
from pairstudy.stats.units import decimals, direction_text, value_unit
from pairstudy.stats.words import CHOSEN_ON_TEST, FAMILIES, LEADER_VS_BASELINE, LEADER_VS_RUNNER_UP, PLANNED_POWER
from pairstudy.tasks.metrics import Metric, MetricSpec

from .sections import Content, Section
from .statistics import TOO_FEW_FOR_AN_INTERVAL, interval_cell, median_cell, methods
from .tables import metric_mean_std

TITLE = "What helped"


Failures = dict[str, tuple[int, int]]  # configuration -> (runs failed or diverged, runs)


class Reading(NamedTuple):
    """How the stored rows read: the headline metric, the configurations with failed runs, what the best was
    chosen on."""

    metric: Metric
    failures: Failures
    chosen_on: str


def failures_of(intervals: pd.DataFrame) -> Failures:
    """The configurations with failed or diverged runs, from the stored intervals."""
    if intervals.empty or "failed" not in intervals:
        return {}
    failed = intervals[intervals["failed"].fillna(0).astype(int) > 0]
    return {str(row["config"]): (int(row["failed"]), int(row["runs"])) for _, row in failed.iterrows()}


def finding(row: pd.Series, reading: Reading, prefix: str = "") -> str:
    """One stored row as a sentence (effect_sentence: the difference in the metric's unit and direction, its
    family's interval or "too few seeds for an interval", verdict and p-value), what its seeds settle (or how
    many would) and the runs of its configurations that failed, which the difference leaves out."""
    metric, failures = reading.metric, reading.failures
    text = f"{prefix}{effect_sentence(row, metric, labels=FACTOR_LABELS)}; {seeds_text(row, metric)}"
    failed = [
        f"{config}: {failures[config][0]} of {failures[config][1]} runs failed or diverged"
        for config in dict.fromkeys(str(row[key]) for key in ("config_a", "config_b") if key in row)
        if config in failures
    ]
    if failed:
        text += f" ({'; '.join(failed)}, left out of this difference)"
    return text + "."


def chosen_row(intervals: pd.DataFrame) -> pd.Series | None:
    """The stored intervals' row of the best configuration (the one that says what it was chosen on)."""
    if intervals.empty or "chosen_on" not in intervals:
        return None
    chosen = intervals[intervals["chosen_on"].fillna("").astype(str) != ""]
    return None if chosen.empty else chosen.iloc[0]


def best_configuration(intervals: pd.DataFrame, summary: pd.DataFrame, spec: MetricSpec) -> str | None:
    """The best the statistics step chose (stats.selection), else the best summary mean (by the headline's
    direction) while no statistics are stored."""
    chosen = chosen_row(intervals)
    return str(chosen["config"]) if chosen is not None else best_config(summary, spec)


def lead_sentence(best: str, summary: pd.DataFrame, intervals: pd.DataFrame, spec: MetricSpec) -> str:
    row = summary.set_index("config").loc[best]
    metric, column = spec.headline_metric, spec.headline_run_metric
    text = (
        f"Best configuration: {best}, final test {metric.title} "
        f"{metric_mean_std(row[f'{column}_mean'], row[f'{column}_std'], metric)}{value_unit(metric)} "
        f"({direction_text(metric)}; mean ± sample std over {int(row['n_seeds'])} seeds"
    )
    chosen = chosen_row(intervals)
    if chosen is None or str(chosen["config"]) != best:
        return text + ")."
    corrected = interval_cell(
        chosen.drop(["ci_low", "ci_high"]).rename({"best_ci_low": "ci_low", "best_ci_high": "ci_high"}), metric
    )
    if corrected.startswith("["):
        text += f"; interval {corrected}, corrected for choosing the best of {int(chosen['candidates'])}"
    else:
        text += f"; {corrected}"
    if chosen["chosen_on"] == CHOSEN_ON_TEST:
        text += "). It is chosen on these same test runs, so its mean is more likely too high than too low"
    else:
        text += f"). It is chosen on its validation {metric.title} and judged on the test data"
    return text + f"{failure_text(chosen, metric)}."


def failure_text(row: pd.Series, metric: Metric) -> str:
    """ ", though 1 of its 10 runs failed or diverged and the interval assumes none did; ..." with the median that
    counts them as the worst outcome, where runs failed."""
    failed, runs = int(row.get("failed", 0) or 0), int(row.get("runs", 0) or 0)
    if not failed:
        return ""
    return (
        f", though {failed} of its {runs} runs failed or diverged and the interval assumes none did; counting each "
        f"as the worst outcome, its median is {median_cell(row, metric, decimals(metric, [row['mean']]))}"
    )


def leader_items(baselines: pd.DataFrame, reading: Reading) -> list[str]:
    """The best against each baseline, then against the runner-up."""
    items = []
    for _, row in baselines[baselines["kind"] == LEADER_VS_BASELINE].iterrows():
        items.append(finding(row, reading, f"against baseline {row['config_a']}: "))
    known = set(baselines.loc[baselines["kind"] == "baseline", "config_a"])
    for _, row in baselines[baselines["kind"] == LEADER_VS_RUNNER_UP].iterrows():
        also = " (a baseline)" if row["config_a"] in known else ""
        text = finding(row, reading, f"against the runner-up {row['config_a']}{also}: ")
        if reading.chosen_on == CHOSEN_ON_TEST:
            text += " The best is picked on these same runs, so its lead over the runner-up is biased upward."
        items.append(text)
    return items


def differences_note(metric: Metric, tables: list[pd.DataFrame]) -> str:
    """The rule every difference below follows: paired by seed, which sign, one family per comparison with its
    Bonferroni-adjusted p and interval, the verdict words, and the smallest difference worth finding."""
    unit = f"percentage points of final test {metric.title}" if metric.percent else f"final test {metric.title}"
    rows = pd.concat([table for table in tables if not table.empty], ignore_index=True)
    sizes = dict(zip(rows.get("family", []), rows.get("family_size", [])))
    listed = "; ".join(f"{family} ({int(sizes[family])})" for family in FAMILIES if family in sizes)
    smallest = rows["smallest_effect"].dropna() if "smallest_effect" in rows else pd.Series(dtype=float)
    planned = (
        f'"no difference larger than {smallest_text(rows.loc[smallest.index[0]], metric)}" where the interval '
        "lies within that smallest difference worth finding (report.smallest_effect), inconclusive otherwise, "
        f"with the seeds that would find such a difference with {PLANNED_POWER:.0%} power, planned from the "
        "spread of the seeds run (its 80% upper confidence bound), never from the difference seen"
        if len(smallest)
        else "inconclusive otherwise (declare report.smallest_effect to test for no difference and plan seeds)"
    )
    sequential = "seeds_decision" in rows and rows["seeds_decision"].notna().any()
    staged = (
        " The seeds were decided in stages (see Seeds): the comparisons that decided them give instead the "
        "group-sequential test's p at the look they stopped at, times the family's size, its repeated interval, "
        "and where they stopped in place of a planned seed count."
        if sequential
        else ""
    )
    return (
        "Each difference below is paired by seed (a seed fixes the data): in a → b, b minus a; in b vs a, b minus "
        f"a; in {unit} ({direction_text(metric)}). Each comparison is tested once, in one family: {listed}. Its "
        "p-value is the paired t test's times the size of its family (Bonferroni) and its interval is that "
        "family's, so every interval of a family covers its true difference together at 95%; helped (or better) "
        "and hurt (or worse) where the interval lies on one side of zero, which is exactly where the adjusted p is "
        f"below 0.05; {planned}.{staged} Intervals: {methods(rows)}."
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
    content: Content, comparisons: pd.DataFrame, unpaired: list[dict], factor: str, reading: Reading
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
        content.paragraph(" ".join(level_pair_summary(group, reading.metric) for _, group in pairs))
        content.items([finding(row, reading) for _, row in rows.iterrows()])
    if missing_pairs:
        content.paragraph(" ".join(unpaired_sentence(entry) for entry in missing_pairs))


def baseline_findings(content: Content, baselines: pd.DataFrame, best: str, reading: Reading) -> None:
    """Whether the study has baselines, then the best against them and the runner-up."""
    baseline_names = list(dict.fromkeys(baselines.loc[baselines["kind"] == "baseline", "config_a"]))
    if baseline_names and best in baseline_names:
        content.paragraph(f"The best configuration, {best}, is itself a baseline.")
    elif not baseline_names:
        content.paragraph("The study has no baselines.")
    items = leader_items(baselines, reading)
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
    best = best_configuration(stored["intervals"], summary, spec)
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
    chosen = chosen_row(stored["intervals"])
    reading = Reading(
        metric, failures_of(stored["intervals"]), CHOSEN_ON_TEST if chosen is None else str(chosen["chosen_on"])
    )
    compared = list(factors) + [f for f in dict.fromkeys(comparisons.get("factor", [])) if f not in factors]
    for factor in compared:
        factor_findings(content, comparisons, unpaired or [], factor, reading)
    if not effects.empty:
        content.heading("Factor effects (2 x 2)")
        content.items([finding(row, reading, f"{row['block']}: ") for _, row in effects.iterrows()])
    baseline_findings(content, baselines, best, reading)
    return content.section(TITLE)
