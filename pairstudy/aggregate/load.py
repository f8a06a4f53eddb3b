"""A finished study's tables for a notebook: `load_study("results/<study>")`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pairstudy.metrics import dotted_keys, read_table, spec_of
from pairstudy.tasks.metrics import MetricSpec

from .tables import tabular

STATISTICS = ("intervals", "comparisons", "effects", "baselines")


@dataclass
class StudyTables:
    """One study's tables: one column per factor, and each configuration's resolved hyperparameters as `hp.<key>`
    columns (nested keys dotted: `hp.model.dropout`) on the per-run and summary tables; `spec` is the task's
    metrics (which run metric is the headline, which way is better)."""

    epochs: pd.DataFrame
    finals: pd.DataFrame
    summary: pd.DataFrame
    curves: pd.DataFrame
    configurations: pd.DataFrame
    run_status: pd.DataFrame
    factors: list[str]
    study: dict
    provenance: dict
    spec: MetricSpec
    statistics: dict[str, pd.DataFrame] = field(default_factory=dict)


def hyperparameter_columns(configurations: pd.DataFrame) -> pd.DataFrame:
    """config -> one `hp.` column per resolved hyperparameter (a key a configuration does not use is empty)."""
    flat = [dotted_keys(json.loads(text), "hp.") for text in configurations["hyperparameters"]]
    keys = list(dict.fromkeys(key for row in flat for key in row))
    columns = {key: tabular([row.get(key) for row in flat]) for key in keys}
    return pd.DataFrame({"config": configurations["config"], **columns})


def read_optional_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return pd.DataFrame()


def load_study(folder: str | Path) -> StudyTables:
    """The tables the workflow wrote to `folder` (results/<study>), its statistics where computed."""
    folder = Path(folder)
    if not (folder / "finals.parquet").exists():
        raise FileNotFoundError(f"{folder} holds no aggregated study (no finals.parquet): run the workflow first")
    epochs, metadata = read_table(folder / "epochs.parquet")
    configurations = read_table(folder / "configurations.parquet")[0]
    hyperparameters = hyperparameter_columns(configurations)
    return StudyTables(
        epochs=epochs,
        finals=read_table(folder / "finals.parquet")[0].merge(hyperparameters, on="config", how="left"),
        summary=read_table(folder / "summary.parquet")[0].merge(hyperparameters, on="config", how="left"),
        curves=read_table(folder / "curves.parquet")[0],
        configurations=configurations,
        run_status=read_optional_csv(folder / "run_status.csv"),
        factors=metadata.get("factors", []),
        study=metadata.get("study", {}),
        provenance=metadata.get("provenance", {}),
        spec=spec_of(metadata, folder / "epochs.parquet"),
        statistics={name: read_optional_csv(folder / "statistics" / f"{name}.csv") for name in STATISTICS},
    )
