"""Render one study's report from its stored tables and statistics (torch-free)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from pairstudy.charts import CHARTS
from pairstudy.metrics import hyperparameter_hash, read_table, spec_of
from pairstudy.presets import PUBLISHED_TABLE, read_verdicts
from pairstudy.provenance import git_commit, now_utc, package_versions
from pairstudy.stats.pairing import config_levels
from pairstudy.stats.partners import unpaired_levels

from .figures import charts_section, draw_figures
from .findings import what_helped
from .page import write_report
from .paper import clear_paper_folder, paper_tables, write_paper_tables
from .published import published_section
from .results import results_section
from .sections import Section
from .seeds import seeds_section
from .settings import page_title, study_description, what_was_run
from .statistics import run_status_section, statistics_section
from .tables import display_table
from .tuning import tuning_section

TABLES = ("epochs", "finals", "curves", "summary", "configurations")
STATISTICS = ("intervals", "comparisons", "effects", "baselines")


def read_optional_csv(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:  # a study with nothing to compare stores an empty table
        return pd.DataFrame()


def stored_statistics(paths: dict) -> dict[str, pd.DataFrame]:
    """The statistics tables; one with no rows keeps the columns the report reads (kind, ci_method)."""
    stored = {name: read_optional_csv(paths[name]) for name in STATISTICS}
    for name, table in stored.items():
        if table.empty:
            stored[name] = pd.DataFrame(columns=["config", "config_a", "config_b", "kind", "ci_method"])
    return stored


def baseline_names(baselines: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(baselines.loc[baselines["kind"] == "baseline", "config_a"]))


def factor_order(study: dict, stored: list[str]) -> list[str]:
    """The stored factor names in the order the study's config declares them (the order that names configurations)."""
    declared = [name for name in study.get("factors", {}) if name in stored]
    return declared + [name for name in stored if name not in declared]


def unpaired_of(finals: pd.DataFrame, factors: list[str]) -> list[dict]:
    """The factor levels no two finished configurations compare (the statistics pair finished runs only)."""
    finished = finals[finals["status"] == "ok"]
    return unpaired_levels(config_levels(finished, factors), factors) if len(finished) else []


def fresh_chart_files(out_dir: Path, listed) -> None:
    """Remove chart files a previous report wrote for charts this config no longer lists."""
    shutil.rmtree(out_dir / "charts", ignore_errors=True)
    for name in CHARTS:
        if name not in listed:
            (out_dir / f"{name}.png").unlink(missing_ok=True)


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
    tuning: tuple = (),
    seeds: tuple = (),
) -> dict[str, Path]:
    """Read a study's stored tables (Parquet: epochs, finals, curves, summary, configurations), statistics (CSV:
    intervals, comparisons, effects, baselines, and published, the comparison with a study's published numbers),
    run status and wrongly predicted examples, and write out_dir/index.html, report.md, a PNG per listed chart,
    charts/<chart>.html and paper/. Every metric's name, unit and direction comes from the task's metrics the
    tables carry; `tuning`, for a tuned study, the selection step's selected.yaml and ranking.csv; `seeds`, for a
    sequential study, its decision files stage by stage. Returns the paths:
    "html", "markdown" and each chart's PNG by name."""
    out_dir = Path(out_dir)
    frames, metadata = {}, {}
    for name in TABLES:
        frames[name], metadata = read_table(tables[name])
    spec = spec_of(metadata, tables[TABLES[-1]])
    stored = stored_statistics(statistics)
    summary, configurations, finals = frames["summary"], frames["configurations"], frames["finals"]
    factors = factor_order(study, metadata["factors"])
    table = display_table(summary, factors, spec)

    listed = list(report_settings["charts"])
    fresh_chart_files(out_dir, listed)
    paper = clear_paper_folder(out_dir / "paper")
    chart_tables = {
        **frames,
        **stored,
        "misclassified": json.loads(Path(misclassified).read_text()),
        "order": summary["config"].tolist(),
        "spec": spec,
    }
    has_means = summary[f"{spec.headline_run_metric}_mean"].notna().any()
    no_data = "" if has_means else f"no configuration has {min_seeds} finished seeds"
    figures = draw_figures(listed, chart_tables, out_dir, paper, no_data)
    write_paper_tables(paper, paper_tables(table, stored, spec))

    helped = what_helped(stored, summary, min_seeds, spec, factors, unpaired_of(finals, factors))
    sections: list[Section | None] = [helped, results_section(table, spec)]
    if study.get("published"):
        data_source = study.get("data", {}).get("source")
        verdicts = read_verdicts(statistics[PUBLISHED_TABLE])
        sections.append(Section(*published_section(study["published"], verdicts, data_source, spec)))
    description = study_description(study, finals, configurations, spec, baseline_names(stored["baselines"]))
    if tuning:
        sections.append(tuning_section(*tuning, study["tuning"]["space"], spec))
    if seeds:
        sections.append(seeds_section(seeds, spec))
    sections += [
        charts_section(figures),
        statistics_section(stored, spec),
        what_was_run(description),
        run_status_section(pd.read_csv(run_status, dtype=str, keep_default_na=False), min_seeds),
    ]
    devices = sorted(finals.loc[finals["status"] != "failed", "device"].dropna().unique().tolist())
    provenance = {
        "git commit": git_commit(workflow_dir),
        "training code": metadata.get("provenance", {}).get("training code", "unknown"),
        "study config hash": hyperparameter_hash(study),
        "run config hashes": dict(zip(configurations["config"], configurations["config_hash"])),
        "devices": ", ".join(devices),
        "torch (runs)": ", ".join(sorted(frames["epochs"]["torch_version"].dropna().unique().tolist())),
        "packages": package_versions(),
        "generated": now_utc(),
    }
    title = page_title(study)
    subtitle = description["description"] if description["description"] != title else ""
    paths = write_report(
        out_dir,
        title=title,
        subtitle=subtitle,
        sections=[section for section in sections if section is not None],
        provenance=provenance,
    )
    return {**paths, **{name: out_dir / f"{name}.png" for name in listed}}
