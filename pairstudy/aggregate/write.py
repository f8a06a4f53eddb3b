"""Write a study's aggregate tables: data only (Parquet and CSV), each Parquet carrying the study, its provenance
and its task's metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pairstudy.metrics import read_run_metadata, write_table
from pairstudy.tasks.metrics import MetricSpec

from .tables import (
    configurations,
    factor_names,
    final_rows,
    learning_curves,
    read_epochs,
    run_status,
    summarize,
    with_factor_columns,
)


def best_config(summary: pd.DataFrame, spec: MetricSpec) -> str | None:
    """The configuration with the best mean headline (highest, or lowest where lower is better; the first of
    ties in study order); None while no configuration has one."""
    means = summary.set_index("config")[f"{spec.headline_run_metric}_mean"].astype(float).dropna()
    if means.empty:
        return None
    return str(means.idxmax() if spec.headline_metric.higher_is_better else means.idxmin())


def best_run_errors(finals: pd.DataFrame, summary: pd.DataFrame, run_files: dict, spec: MetricSpec) -> dict:
    """The stored wrongly predicted test examples of the best configuration's first finished seed."""
    config = best_config(summary, spec)
    if config is None:
        return {}
    finished = finals[(finals["config"] == config) & (finals["status"] == "ok")].sort_values("seed")
    seed = int(finished["seed"].iloc[0])
    examples = read_run_metadata(run_files[(config, seed)]).get("misclassified", {}).get(str(seed), [])
    return {"config": config, "seed": seed, "examples": examples}


def write_study_tables(expected: list[dict], outputs: dict, *, study: dict, provenance: dict, min_seeds: int) -> None:
    """Read every run file once, checked against `expected`, and write the study's tables to `outputs`.

    `outputs` maps epochs, finals, curves, summary, configurations, run_status, misclassified to paths.
    Every Parquet's metadata holds the study spec, the provenance, the ordered factor names and the task's
    metrics (under "metrics", as MetricSpec.to_dict: what statistics and report read the metrics from).
    """
    epochs, spec = read_epochs(expected)
    declared = [*study.get("factors", {}), *(key for entry in study.get("include", []) for key in entry)]
    names = factor_names(epochs, list(dict.fromkeys(declared)))
    finals = final_rows(epochs, names, spec)
    summary = summarize(finals, names, min_seeds, spec)
    run_files = {(entry["config"], seed): entry["path"] for entry in expected for seed in entry["seeds"]}
    metadata = {"study": study, "provenance": provenance, "factors": names, "metrics": spec.to_dict()}
    for path in outputs.values():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_table(with_factor_columns(epochs, names).drop(columns=["hyperparameters"]), outputs["epochs"], metadata)
    write_table(finals, outputs["finals"], metadata)
    write_table(learning_curves(epochs, spec), outputs["curves"], metadata)
    write_table(configurations(epochs, names), outputs["configurations"], metadata)
    write_table(summary, outputs["summary"], metadata)
    summary.to_csv(outputs["summary_csv"], index=False)
    run_status(finals, run_files).to_csv(outputs["run_status"], index=False)
    Path(outputs["misclassified"]).write_text(json.dumps(best_run_errors(finals, summary, run_files, spec)))
