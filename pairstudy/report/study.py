"""Render one study's report from its aggregate files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pairstudy.charts import CHARTS, dot_plot_with_ci, forest_plot, placeholder
from pairstudy.charts.pairs import misclassified_chart
from pairstudy.metrics import hyperparameter_hash
from pairstudy.provenance import git_commit, now_utc, package_versions

from .page import write_report
from .published import published_section
from .statistics import statistics_sections


def study_description(study: dict, finals: pd.DataFrame) -> dict:
    """What the report's "What was run" shows: the write_report study keys, then the shared settings."""
    epochs = sorted(finals["epochs"].unique().tolist()) if "epochs" in finals else []
    data = study["data"]
    return {
        "name": study["name"],
        "description": study.get("description", "").strip(),
        "data_source": f"{data['source']} ({data['n_pairs']} train and {data['n_pairs']} test pairs)",
        "factors": study["factors"],
        "seeds": sorted(int(seed) for seed in finals["seed"].unique()),
        "epochs": epochs[0] if len(epochs) == 1 else epochs,
        "n_runs": len(finals),
        "finished runs": int((finals["status"] == "ok").sum()),
        # a factor's levels are listed above; an empty model section says nothing
        "shared training settings": {
            key: value
            for key, value in study.get("training", {}).items()
            if key not in study["factors"] and value != {}
        },
        "per-architecture overrides": study.get("overrides", {}),
    }


def read_optional_csv(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:  # a study with nothing to compare stores an empty table
        return pd.DataFrame()


def render_study_report(
    *,
    epochs,
    finals,
    curves,
    summary,
    run_status,
    statistics: dict,
    misclassified=None,
    out_dir,
    study: dict,
    report_settings: dict,
    min_seeds: int = 1,
    workflow_dir=".",
) -> dict:
    """Read the stored tables and statistics of a study and write its report (torch-free)."""
    tables = {
        "epochs": pd.read_parquet(epochs),
        "finals": pd.read_parquet(finals),
        "curves": pd.read_parquet(curves),
        "summary": pd.read_csv(summary),
    }
    stored = {name: read_optional_csv(path) for name, path in statistics.items()}
    sections = statistics_sections(stored, pd.read_csv(run_status), min_seeds)
    if study.get("published"):
        sections.insert(0, published_section(study["published"], tables["summary"], study["data"]["source"]))
    comparisons = stored["comparisons"]
    if tables["summary"]["final_test_accuracy_mean"].notna().any():
        charts = {name: CHARTS[name](tables) for name in report_settings["charts"]}
    else:
        message = f"no configuration has {min_seeds} finished seeds: see Runs"
        charts = {name: placeholder(message) for name in report_settings["charts"]}
    if len(stored["intervals"]):
        charts["final_accuracy_ci"] = dot_plot_with_ci(
            tables["finals"], stored["intervals"], tables["summary"]["config"].tolist()
        )
    if len(comparisons):
        labelled = comparisons.assign(label=comparisons["config_a"] + " → " + comparisons["config_b"])
        charts["paired_differences"] = forest_plot(labelled)
    errors = json.loads(Path(misclassified).read_text()) if misclassified else {}
    if errors.get("pairs"):
        charts["misclassified"] = misclassified_chart(errors)
    devices = sorted(tables["finals"].loc[tables["finals"]["status"] != "failed", "device"].unique().tolist())
    provenance = {
        "git commit": git_commit(workflow_dir),
        "study config hash": hyperparameter_hash(study),
        "run config hashes": len(tables["finals"]["config_hash"].unique()),
        "devices": ", ".join(devices),
        "torch (runs)": ", ".join(sorted(tables["epochs"]["torch_version"].unique().tolist())),
        "packages": package_versions(),
        "generated": now_utc(),
    }
    description = study_description(study, tables["finals"])
    if report_settings.get("title"):
        description["title"] = report_settings["title"]
    return write_report(
        out_dir, study=description, summary=tables["summary"], charts=charts, provenance=provenance, sections=sections
    )
