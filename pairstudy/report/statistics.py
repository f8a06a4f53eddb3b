"""The stored statistics as display tables (page, Markdown and paper), and the detail and run-status sections.

How an interval was computed is read from each table's stored ci_method column, never assumed.
"""

from __future__ import annotations

import pandas as pd

from pairstudy.charts import FACTOR_LABELS
from pairstudy.stats.sentences import confidence_percent, effect_label, format_pvalue, level_text, seeds_text, verdict
from pairstudy.stats.units import decimals, direction_text, heading_unit, scale
from pairstudy.stats.words import TOO_FEW_SEEDS
from pairstudy.tasks.metrics import Metric, MetricSpec

from .sections import Content, Section, section
from .tables import CONFIGURATION, NONE, collapsing_table_html, missing, table_markdown, what_lines

__all__ = ["PAPER_TABLES", "Section", "run_status_section", "section", "statistics_section"]

TOO_FEW_FOR_AN_INTERVAL = "too few seeds for an interval"


def methods(table: pd.DataFrame) -> str:
    """How a stored table's intervals were computed, as its ci_method column says."""
    found = table["ci_method"].dropna().unique().tolist() if "ci_method" in table else []
    return "; ".join(found) or "none computed"


def interval_heading(table: pd.DataFrame) -> str:
    """'95% interval' from a ci_method such as 't interval, 95%, n-1 degrees of freedom'."""
    level = confidence_percent(methods(table))
    wide = " family-wise" if "family-wise" in methods(table) else ""
    return f"{level}%{wide} interval" if level else "interval"


def interval_cell(row: pd.Series, metric: Metric, places: int | None = None) -> str:
    """'[1.23, 4.56]' (a fraction shown in percent or points, a plain number as it is), or why there is no
    interval."""
    if missing(row["ci_low"]) or missing(row["ci_high"]):
        return TOO_FEW_FOR_AN_INTERVAL if row.get("note") == TOO_FEW_SEEDS else "no interval"
    low, high = row["ci_low"] * scale(metric), row["ci_high"] * scale(metric)
    if places is None:
        places = decimals(metric, [row["ci_low"], row["ci_high"]])
    return f"[{low:.{places}f}, {high:.{places}f}]"


def pvalue_cell(p) -> str:
    """'0.012', '< 0.001' or 'n/a'."""
    return format_pvalue(float(p)).removeprefix("p = ").removeprefix("p ")


def number_cell(value, template: str) -> str:
    return NONE if missing(value) else template.format(value)


def levels_cell(low, high) -> str:
    low, high = level_text(low), level_text(high)
    return NONE if low is None and high is None else f"{low or NONE} → {high or NONE}"


def column_decimals(metric: Metric, values: pd.Series) -> int:
    """One number of decimals for a column of `metric`'s values: enough for its smallest non-zero size."""
    sizes = values.astype(float).abs()
    return decimals(metric, sizes[sizes > 0].nsmallest(1))


def intervals_table(intervals: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """Per configuration: seeds, mean, std, standard error and interval of the headline (a fraction in %)."""
    places = column_decimals(metric, intervals["mean"])
    template = "{:." + str(places) + "f}"
    table = pd.DataFrame(
        {
            "configuration": intervals["config"],
            "seeds": intervals["n"].astype(int).astype(str),
            f"mean{heading_unit(metric)}": [number_cell(v * scale(metric), template) for v in intervals["mean"]],
            "std": [number_cell(value * scale(metric), template) for value in intervals["std"]],
            "s.e.": [number_cell(value * scale(metric), template) for value in intervals["sem"]],
            interval_heading(intervals): [interval_cell(row, metric, places) for _, row in intervals.iterrows()],
        }
    )
    if any_failed(intervals):
        # the interval is over the finished seeds: beside it, how many runs it leaves out and a median counting them
        table["failed or diverged"] = [
            f"{int(failed)} of {int(runs)}" for failed, runs in zip(intervals["failed"], intervals["runs"])
        ]
        table["median, failures as worst (interval)"] = [
            median_cell(row, metric, places) for _, row in intervals.iterrows()
        ]
    return table


def any_failed(intervals: pd.DataFrame) -> bool:
    return "failed" in intervals and bool(intervals["failed"].fillna(0).astype(int).any())


def median_cell(row: pd.Series, metric: Metric, places: int) -> str:
    """'81.20 [79.90, 82.40]', the median alone where its interval needs more runs, or why there is none."""
    if missing(row["median"]):
        return "none: half the runs or more failed"

    def shown(value) -> str:
        return f"{value * scale(metric):.{places}f}"

    if missing(row["median_ci_high"]):
        return f"{shown(row['median'])} (too few runs for an interval)"
    low = "a failed run" if missing(row["median_ci_low"]) else shown(row["median_ci_low"])
    return f"{shown(row['median'])} [{low}, {shown(row['median_ci_high'])}]"


def beats_cell(row: pd.Series) -> str:
    """'9 of 10 seeds [0.55, 1.00]': the seeds on which the configuration beats the other, ties aside."""
    if missing(row.get("decided")) or int(row["decided"]) == 0:
        return NONE
    return f"{int(row['wins'])} of {int(row['decided'])} seeds [{row['wins_ci_low']:.2f}, {row['wins_ci_high']:.2f}]"


def difference_columns(
    table: pd.DataFrame, metric: Metric, estimate: str, wilcoxon: bool = False, name: str = "difference"
) -> dict[str, list[str]]:
    """The columns every difference table shares: seeds, the difference (or effect) in the metric's unit, its
    family's interval, adjusted p (t test, and Wilcoxon where asked), the verdict, d_z, seeds needed."""
    places = column_decimals(metric, table[estimate])
    template = "{:+." + str(places) + "f}"
    columns = {
        "seeds": table["n"].astype(int).astype(str).tolist(),
        f"{name}{heading_unit(metric, difference=True)}": [
            number_cell(value * scale(metric), template) for value in table[estimate]
        ],
        interval_heading(table): [interval_cell(row, metric, places) for _, row in table.iterrows()],
        "t-test p": [pvalue_cell(p) for p in table["adjusted_t_pvalue"]],
    }
    if wilcoxon:
        columns["Wilcoxon p"] = [
            pvalue_cell(row["adjusted_wilcoxon_pvalue"])
            + ("" if row.get("wilcoxon_can_reject", True) else f" (cannot reject at {int(row['n'])} seeds)")
            for _, row in table.iterrows()
        ]
    columns["verdict"] = [verdict(row, metric) or TOO_FEW_FOR_AN_INTERVAL for _, row in table.iterrows()]
    columns["d_z"] = [number_cell(value, "{:.2f}") for value in table["effect_size"]]
    columns["seeds needed"] = [seeds_text(row, metric) for _, row in table.iterrows()]
    return columns


def comparisons_table(comparisons: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """One-factor comparisons: second minus first, p-values adjusted within their family."""
    return pd.DataFrame(
        {
            "comparison": [f"{a} → {b}" for a, b in zip(comparisons["config_a"], comparisons["config_b"])],
            "factor": [FACTOR_LABELS.get(factor, factor) for factor in comparisons["factor"]],
            "levels": [levels_cell(a, b) for a, b in zip(comparisons["level_a"], comparisons["level_b"])],
            **difference_columns(comparisons, metric, "mean_difference", wilcoxon=True),
        }
    )


def effects_table(effects: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """2x2 factorial effects per block: estimate, the family's interval, the one-sample t p-value adjusted within
    it."""
    return pd.DataFrame(
        {
            "block": effects["block"].astype(str),
            "effect": [effect_label(row, FACTOR_LABELS) for _, row in effects.iterrows()],
            **difference_columns(effects, metric, "estimate", name="effect"),
        }
    )


def baselines_table(baselines: pd.DataFrame, metric: Metric) -> pd.DataFrame:
    """Each configuration against each baseline, and the best against the baselines and the runner-up:
    configuration minus the one it is compared with."""
    return pd.DataFrame(
        {
            "kind": baselines["kind"].astype(str),
            "configuration": baselines["config_b"].astype(str),
            "compared with": baselines["config_a"].astype(str),
            "tested in": [
                f"{family} ({int(size)})" for family, size in zip(baselines["family"], baselines["family_size"])
            ],
            **difference_columns(baselines, metric, "mean_difference"),
            "beats it on": [beats_cell(row) for _, row in baselines.iterrows()],
        }
    )


# what a row of each difference table compares, line by line on a narrow screen (a tuple: columns sharing a line)
WHAT_COMPARED = {
    "baselines": ["kind", ("configuration", "compared with")],
    "comparisons": ["comparison"],
    "effects": [("block", "effect")],
}


def key_columns(name: str, stored: pd.DataFrame, metric: Metric) -> tuple[list, list[str]]:
    """What a narrow screen keeps of a statistics table: (what a row compares, the key numbers). Per configuration:
    the configuration, its mean and interval; a difference table: what is compared, the difference (or effect), its
    interval and the verdict."""
    if name == "intervals":
        return [], [CONFIGURATION, f"mean{heading_unit(metric)}", interval_heading(stored)]
    estimate = "effect" if name == "effects" else "difference"
    return WHAT_COMPARED[name], [
        f"{estimate}{heading_unit(metric, difference=True)}",
        interval_heading(stored),
        "verdict",
    ]


# the statistics tables a paper \inputs, by file stem
PAPER_TABLES = {"comparisons": comparisons_table, "effects": effects_table, "baselines": baselines_table}


def statistics_section(stored: dict[str, pd.DataFrame], spec: MetricSpec) -> Section | None:
    """Every stored statistic as a table, each with how it was computed; None when nothing was computed."""
    metric = spec.headline_metric
    headline = f"final test {metric.title}"
    unit = "in percentage points" if metric.percent else f"in {metric.title}"
    content = Content()
    parts = [
        (
            "intervals",
            f"{headline[:1].upper()}{headline[1:]} per configuration",
            "Mean, sample standard deviation, standard error and interval over the finished seeds"
            + (", in percent" if metric.percent else "")
            + "; each interval is the configuration's own (not corrected for choosing the best, which What helped "
            "gives) and assumes that runs which failed or diverged would not have changed the mean. Where any did, "
            "they are counted beside it, with the median over all runs that counts each as the worst outcome and "
            "its distribution-free (order-statistic) 95% interval.",
            intervals_table,
        ),
        (
            "baselines",
            "Against the baselines and the runner-up",
            "Configuration minus the configuration it is compared with, paired by seed, "
            f"{unit} ({direction_text(metric)}); each comparison tested once, in the family it is tested in (a "
            "comparison one factor apart in that family, with the same numbers as there), its interval that family's "
            "and its p the paired t test's times the family's size (Bonferroni). Beats it on: the seeds on which "
            "the configuration beats the other, a failed or diverged run losing to any finished one and ties left "
            "out, with the exact (Clopper-Pearson) 95% interval of that share.",
            baselines_table,
        ),
        (
            "comparisons",
            "Configurations one factor apart",
            f"Second minus first, paired by seed, {unit} ({direction_text(metric)}); one family: intervals at its "
            "family-wise level, p from the paired t test and the Wilcoxon signed-rank test, each times the number "
            "of comparisons shown (Bonferroni); d_z = mean / sd of the paired differences.",
            comparisons_table,
        ),
        (
            "effects",
            "Factor effects of 2 x 2 blocks",
            "Per seed, a main effect is the mean change from switching the factor on over both levels of the other, "
            f"the interaction half the difference between those changes, {unit} ({direction_text(metric)}); one "
            "family: intervals at its family-wise level, p from a one-sample t test over seeds times the number of "
            "effects shown (Bonferroni).",
            effects_table,
        ),
    ]
    for name, heading, note, build in parts:
        if stored[name].empty:
            continue
        table = build(stored[name], metric)
        what, keys = key_columns(name, stored[name], metric)
        assert {column for line in what_lines(what) for column in line} | set(keys) <= set(table.columns), name
        content.heading(heading).paragraph(f"{note} Intervals: {methods(stored[name])}.")
        content.raw(collapsing_table_html(table, keys, what, "statistics"), table_markdown(table))
    if not content.html:
        return None
    return content.section("Statistics in detail")


def run_status_section(status: pd.DataFrame, min_seeds: int) -> Section:
    """Finished seeds per configuration; where seeds diverged, failed or are too few, the command that reruns them.
    `status` is run_status.csv read as text (empty cells empty)."""
    problems = status[
        (status["diverged_seeds"] != "") | (status["failed_seeds"] != "") | (status["finished"].astype(int) < min_seeds)
    ]
    note = (
        f"Finished seeds per configuration; a configuration needs at least {min_seeds} finished seeds to enter "
        "the tables."
    )
    if problems.empty:
        return section("Runs", note + " Every run finished.", status[["config", "finished"]])
    rerun = [f"{row['config']}: rerun with {row['rerun']}" for _, row in problems.iterrows() if row["rerun"]]
    return section("Runs", note, status, rerun)
