"""This study's numbers beside the published ones, like with like, whether ours reproduce them, differ from them
or cannot tell yet (presets.RULE_TEXT), and whether the published findings hold; and the presets' tables that
`pairstudy presets` prints (every preset's verdicts, a sweep's ranking) as Markdown.

It reads and formats: the verdicts are computed by the statistics step (pairstudy.presets.published_comparison ->
results/<study>/statistics/published.csv) or, for the command line, by pairstudy.presets; never here.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd

from pairstudy.presets import (
    DIFFERS,
    EMBEDDED_DATA_NOTE,
    INCONCLUSIVE,
    KIND_TEXT,
    KINDS,
    NOT_COMPARABLE,
    REPRODUCES,
    RULE_TEXT,
    STUDIES_DIR,
    Verdict,
    preset_comparisons,
    preset_sweep,
)
from pairstudy.study.published import LEVELS_KEY
from pairstudy.tasks.metrics import MetricSpec

from .statistics import section
from .tables import table_markdown


def decimals_of(value: float) -> int:
    """The decimals a published number was written with, at least 2 (4.59 -> 2, 2.085 -> 3)."""
    text = repr(float(value))
    return max(2, len(text.split(".")[1])) if "." in text and "e" not in text else 2


def format_percent(mean: float, std: float = float("nan"), decimals: int = 2) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.{decimals}f}" if math.isnan(std) else f"{mean:.{decimals}f} ± {std:.{decimals}f}"


def interval_text(low: float, high: float) -> str:
    return "–" if math.isnan(low) else f"[{low:+.2f}, {high:+.2f}]"


def outcome_text(verdict: Verdict) -> str:
    """The verdict in words (see presets.RULE_TEXT): how far ours is from the published number, or how wide the
    interval that could not decide is against the margin."""
    if verdict.outcome == DIFFERS:
        return f"differs by {verdict.difference:+.2f} points"
    if verdict.outcome == REPRODUCES:
        text = f"reproduces within ±{verdict.margin:.2f} points"
        if verdict.difference_low > 0 or verdict.difference_high < 0:
            text += f" (a difference of {verdict.difference:+.2f} points is shown, inside the margin)"
        return text
    if verdict.outcome == INCONCLUSIVE:
        width = verdict.equivalence_high - verdict.equivalence_low
        return (
            f"inconclusive: the 90 % interval of ours - published, "
            f"{interval_text(verdict.equivalence_low, verdict.equivalence_high)}, is {width:.2f} points wide and "
            f"reaches beyond the ±{verdict.margin:.2f} margin ({2 * verdict.margin:.2f} wide); the 95 % one includes 0"
        )
    return verdict.outcome


def verdict_rows(verdicts: list[Verdict]) -> pd.DataFrame:
    """The verdicts as a display table (text cells), one row per published number and configuration; a source column
    where some numbers name their own source. The explanation lists each candidate cause with its mark (measured, by
    what and by how many points, or not tested)."""
    sources = any(found.source for found in verdicts)
    rows = []
    for found in verdicts:
        rows.append(
            {
                "configuration": found.config,
                **({"source": found.source or "–"} if sources else {}),
                "published (%)": format_percent(
                    found.published_mean,
                    found.published_std,
                    max(decimals_of(found.published_mean), decimals_of(found.published_std)),
                )
                + (f" (n={found.published_n})" if found.published_n else ""),
                "ours (%)": format_percent(found.ours_mean, found.ours_std)
                + (f" (n={found.ours_n})" if found.ours_n else ""),
                "± published s.e.": f"{found.published_se:.2f}",
                "ours - published": "–" if math.isnan(found.ours_mean) else f"{found.difference:+.2f}",
                "its 90 % t interval": interval_text(found.equivalence_low, found.equivalence_high),
                "its 95 % t interval": interval_text(found.difference_low, found.difference_high),
                "verdict": outcome_text(found),
                "explanation": found.explanation or "–",
            }
        )
    return pd.DataFrame(rows)


def on_headline_scale(value: float, kind: str) -> float:
    """A compared number (percent) on the headline's own scale: an error rate turned back into 100 - it."""
    return 100 - value if KINDS[kind][1] else value


def findings(verdicts: list[Verdict], spec: MetricSpec) -> list[str]:
    """Whether the published best configuration and the published order of configurations hold here, on the
    numbers compared (on the headline's scale, best by its direction whatever the published scale); for each source
    of numbers apart where the numbers name more than one."""
    if any(found.outcome == NOT_COMPARABLE for found in verdicts):
        return ["No finding is checked: the published numbers cannot be compared with this study's (see above)."]
    sources = list(dict.fromkeys(found.source for found in verdicts))
    lines = []
    for source in sources:
        found = source_findings([verdict for verdict in verdicts if verdict.source == source], spec)
        lines += [f"{source}: {line}" if len(sources) > 1 and source else line for line in found]
    return lines


def source_findings(verdicts: list[Verdict], spec: MetricSpec) -> list[str]:
    """findings for the numbers of one source: configurations that share a published number (readings of one
    published configuration) share its rank, and only pairs the published numbers order are counted."""
    if len(verdicts) < 2 or any(math.isnan(found.ours_mean) for found in verdicts):
        return []
    published = {found.config: on_headline_scale(found.published_mean, found.kind) for found in verdicts}
    ours = {found.config: on_headline_scale(found.ours_mean, found.kind) for found in verdicts}
    if len(set(published.values())) < 2:
        return []
    best = max if spec.headline_metric.higher_is_better else min
    top = best(published.values())
    published_best = [config for config, value in published.items() if value == top]
    our_best = best(ours, key=ours.get)
    holds = "holds" if our_best in published_best else "does not hold"
    pairs = [(a, b) for a, b in itertools.combinations(published, 2) if published[a] != published[b]]
    agree = sum((published[a] - published[b]) * (ours[a] - ours[b]) > 0 for a, b in pairs)
    return [
        f"Best configuration: published {' / '.join(published_best)}, here {our_best}: the finding {holds}.",
        f"Order of configurations: {agree} of {len(pairs)} published pairwise orderings hold here.",
    ]


def published_section(
    published: dict, verdicts: list[Verdict], data_source: str | None, spec: MetricSpec
) -> tuple[str, str, str]:
    """The study's `published` block (its source and notes) with its stored `verdicts` (presets.read_verdicts)."""
    kind = published.get("kind", "final")
    note = f"Published numbers: {published['source']}; {KIND_TEXT[kind]}."
    if published.get("note"):
        note += f" {published['note']}"
    note += f" {RULE_TEXT}"
    if data_source == "mnist5k":
        note += f" {EMBEDDED_DATA_NOTE}"
    table = verdict_rows(verdicts) if verdicts else None
    if table is None:
        note += " The source publishes no per-configuration numbers to compare with."
    return section("Published results", note, table, findings(verdicts, spec))


def preset_verdicts(studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results") -> pd.DataFrame:
    """The verdict table of every preset whose results exist (presets.preset_comparisons): a `study` and a `kind`
    column before verdict_rows' columns; a preset without published numbers gets one row saying so."""
    tables = []
    for name, published, verdicts in preset_comparisons(studies_dir, results_dir):
        if published.get("results") or published.get(LEVELS_KEY):
            table = verdict_rows(verdicts)
        else:
            table = pd.DataFrame([{"configuration": "–", "verdict": "no per-configuration numbers published"}])
        tables.append(table.assign(study=name, kind=published.get("kind", "final") if published else "–"))
    if not tables:
        return pd.DataFrame()
    table = pd.concat(tables, ignore_index=True).fillna("–")
    first = ["study", "kind", "configuration", *(["source"] if "source" in table.columns else [])]
    return table[[*first, *(column for column in table.columns if column not in first)]]


def verdicts_markdown(studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results") -> str:
    """preset_verdicts as a Markdown table under the rule it applies; "" when no preset has results."""
    table = preset_verdicts(studies_dir, results_dir)
    if table.empty:
        return ""
    return f"{RULE_TEXT}\n\n{table_markdown(table)}"


def sweep_markdown(preset_name: str, studies_dir: str | Path = STUDIES_DIR, results_dir: str | Path = "results") -> str:
    """The ranking of a preset's sweep (presets.preset_sweep) as a Markdown table under the rule it applies."""
    found = preset_sweep(preset_name, studies_dir, results_dir)
    rule = (
        f"{found.sweep}: each architecture's settings of {', '.join(found.swept)} ranked by mean final validation "
        f"{found.spec.headline_metric.title} over its configurations (never the test data); rank 1 is the choice for "
        f"{found.preset}."
    )
    return f"{rule}\n\n{table_markdown(found.ranking)}"
