"""Render one study's report from its stored tables and statistics (torch-free)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pairstudy.charts import CHARTS, dot_plot_with_ci, forest_plot, placeholder
from pairstudy.charts.pairs import misclassified_chart
from pairstudy.metrics import HEADLINE_METRIC, canonical_json, hyperparameter_hash, read_table
from pairstudy.provenance import git_commit, now_utc, package_versions

from .page import write_report
from .published import published_section
from .statistics import statistics_sections
from .tables import display_table, table_latex, table_markdown


def settings_by_configuration(configurations: pd.DataFrame) -> tuple[dict, dict]:
    """(settings every configuration shares, {configuration: its own settings}), from the runs' stored
    hyperparameters: what the runs really used, per-architecture overrides included."""
    resolved = {row["config"]: json.loads(row["hyperparameters"]) for _, row in configurations.iterrows()}
    keys = list(dict.fromkeys(key for settings in resolved.values() for key in settings if key != "architecture"))
    shared, own = {}, {config: {} for config in resolved}
    for key in keys:
        values = [settings.get(key) for settings in resolved.values()]
        if all(canonical_json(value) == canonical_json(values[0]) for value in values) and values[0] is not None:
            shared[key] = values[0]
            continue
        for config, settings in resolved.items():
            if key in settings:
                own[config][key] = settings[key]
    return shared, own


def study_description(study: dict, finals: pd.DataFrame, configurations: pd.DataFrame) -> dict:
    """What the report's "What was run" shows: the write_report study keys, then the settings the runs used."""
    epochs = sorted(finals["epochs"].unique().tolist()) if "epochs" in finals else []
    data = study["data"]
    shared, own = settings_by_configuration(configurations)
    return {
        "name": study["name"],
        "title": study.get("title", ""),
        "description": study.get("description", "").strip(),
        "data_source": f"{data['source']} ({data['n_pairs']} train and {data['n_pairs']} test pairs)",
        "factors": study["factors"],
        "seeds": sorted(int(seed) for seed in finals["seed"].unique()),
        "epochs": epochs[0] if len(epochs) == 1 else epochs,
        "n_runs": len(finals),
        "finished runs": int((finals["status"] == "ok").sum()),
        "settings shared by every configuration": shared,
        "settings per configuration": {config: settings for config, settings in own.items() if settings},
    }


def read_optional_csv(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:  # a study with nothing to compare stores an empty table
        return pd.DataFrame()


def write_paper_tables(folder: Path, table: pd.DataFrame) -> None:
    """The summary as Markdown and booktabs LaTeX, named as a LaTeX user would \\input them."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.md").write_text(table_markdown(table))
    (folder / "summary.tex").write_text(table_latex(table))


def render_study_report(
    *,
    tables: dict,
    statistics: dict,
    run_status,
    misclassified,
    out_dir,
    study: dict,
    report_settings: dict,
    min_seeds: int,
    workflow_dir=".",
) -> dict:
    """Read the stored tables (Parquet: epochs, finals, curves, summary, configurations) and statistics of a
    study and write its report."""
    frames = {}
    for name, path in tables.items():
        frames[name], metadata = read_table(path)
    factor_names = metadata["factors"]
    configurations = frames["configurations"]
    stored = {name: read_optional_csv(path) for name, path in statistics.items()}
    sections = statistics_sections(stored, pd.read_csv(run_status), min_seeds)
    if study.get("published"):
        sections.insert(0, published_section(study["published"], frames["summary"], study["data"]["source"]))
    summary = frames["summary"]
    if summary[f"{HEADLINE_METRIC}_mean"].notna().any():
        charts = {name: CHARTS[name](frames) for name in report_settings["charts"]}
    else:
        message = f"no configuration has {min_seeds} finished seeds: see Runs"
        charts = {name: placeholder(message) for name in report_settings["charts"]}
    if len(stored["intervals"]):
        charts["final_accuracy_ci"] = dot_plot_with_ci(
            frames["finals"], stored["intervals"], summary["config"].tolist()
        )
    comparisons = stored["comparisons"]
    if len(comparisons):
        labelled = comparisons.assign(label=comparisons["config_a"] + " → " + comparisons["config_b"])
        charts["paired_differences"] = forest_plot(labelled)
    errors = json.loads(Path(misclassified).read_text())
    if errors.get("pairs"):
        charts["misclassified"] = misclassified_chart(errors)
    finals = frames["finals"]
    devices = sorted(finals.loc[finals["status"] != "failed", "device"].unique().tolist())
    provenance = {
        "git commit": git_commit(workflow_dir),
        "study config hash": hyperparameter_hash(study),
        "run config hashes": ", ".join(configurations["config_hash"]),
        "devices": ", ".join(devices),
        "torch (runs)": ", ".join(sorted(frames["epochs"]["torch_version"].dropna().unique().tolist())),
        "packages": package_versions(),
        "generated": now_utc(),
    }
    untrained = configurations.loc[configurations["predicts_digits"] & ~configurations["trains_digits"], "config"]
    table = display_table(summary, factor_names, set(untrained))
    write_paper_tables(Path(out_dir) / "paper", table)
    description = study_description(study, finals, configurations)
    return write_report(
        out_dir, study=description, table=table, charts=charts, provenance=provenance, sections=sections
    )
