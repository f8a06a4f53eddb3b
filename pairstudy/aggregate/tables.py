"""Runs -> long epoch table, one row per run, learning curves, one row per configuration, the configurations.

Which columns there are comes from the task's metrics (its MetricSpec, stored in every run file): a final value
of every epoch column, the headline at the epoch chosen on validation, mean and std of every run metric. Fraction
metrics stay fractions in [0, 1]; presentation turns them into percent. Everything about a configuration (its
factor levels, resolved hyperparameters) comes from the runs' stored columns.
"""

from __future__ import annotations

import json
import numbers

import numpy as np
import pandas as pd

from pairstudy.metrics import RunFileError, RunIdentity, canonical_json, read_run_spec, read_runs
from pairstudy.tasks.metrics import Metric, MetricSpec


def study_spec(paths: list) -> MetricSpec:
    """The task metrics every run file of a study carries; files of two tasks (or of two versions of a task's
    metrics) in one study are refused, naming one file of each."""
    first = paths[0]
    spec = read_run_spec(first)
    for path in paths[1:]:
        other = read_run_spec(path)
        if other.task != spec.task:
            raise RunFileError(
                f"run files of different tasks in one study: {first} holds task {spec.task!r}, "
                f"{path} holds task {other.task!r}"
            )
        if other != spec:
            raise RunFileError(
                f"run files of task {spec.task!r} with different metrics in one study: {first} and {path} "
                "(written by different versions of the task); train the older ones again"
            )
    return spec


def expected_run(study: str, config: str, block: int, seeds, hyperparameters: dict) -> dict:
    """What one block's run file must hold, as `read_epochs` checks it: path, study, config, seeds, config_hash and
    code, the fingerprint of the code that trains the configuration now (the one its training job is given)."""
    from pairstudy.metrics import hyperparameter_hash
    from pairstudy.paths import run_file
    from pairstudy.provenance import configuration_code

    return {
        "path": run_file(study, config, block),
        "study": study,
        "config": config,
        "seeds": list(seeds),
        "config_hash": hyperparameter_hash(hyperparameters),
        "code": configuration_code(hyperparameters),
    }


def read_epochs(expected: list[dict]) -> tuple[pd.DataFrame, MetricSpec]:
    """Every epoch of every run file in `expected` (path, study, config, seeds, config_hash and, optionally, code:
    see `expected_run`), each checked against where it belongs and the code that trains it, and the task metrics
    they all carry; a seed can enter only once."""
    if not expected:
        raise ValueError("no run files to aggregate")
    spec = study_spec([entry["path"] for entry in expected])
    frames = []
    for entry in expected:
        identity = RunIdentity(
            entry["study"], entry["config"], tuple(entry["seeds"]), entry["config_hash"], entry.get("code")
        )
        frames.append(read_runs(entry["path"], identity))
    epochs = pd.concat(frames, ignore_index=True)
    runs = epochs.drop_duplicates(["config", "seed", "epoch"])
    if len(runs) != len(epochs):
        duplicated = epochs[epochs.duplicated(["config", "seed", "epoch"])][["config", "seed"]].drop_duplicates()
        raise RunFileError(f"seeds appear in more than one run file: {duplicated.to_dict('records')}")
    return epochs, spec


def factor_names(epochs: pd.DataFrame, declared=()) -> list[str]:
    """The factors the runs carry, in the order the study declares them (`declared`), any other after."""
    found: list[str] = []
    for factors in epochs["factors"].drop_duplicates().map(json.loads):
        found += [name for name in factors if name not in found]
    return [name for name in declared if name in found] + [name for name in found if name not in declared]


def tabular(values: list) -> list:
    """One factor's levels as a column: kept when they share one scalar type, else canonical JSON text."""
    present = [value for value in values if value is not None]
    kinds = {
        "bool" if isinstance(v, bool) else "number" if isinstance(v, numbers.Number) else type(v).__name__
        for v in present
    }
    if len(kinds) <= 1 and kinds <= {"bool", "number", "str"}:
        return values
    return [None if value is None else canonical_json(value) for value in values]


def with_factor_columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """`frame` with one column per factor (architecture aside, which is a column already) from its JSON factors."""
    factors = frame["factors"].map(json.loads)
    columns = {name: tabular([levels.get(name) for levels in factors]) for name in names if name != "architecture"}
    return frame.assign(
        **{name: pd.Series(values, index=frame.index, dtype=object) for name, values in columns.items()}
    )


def configurations(epochs: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per configuration, from its runs' stored identity: factors, hyperparameters, parameter count."""
    rows = []
    for config, runs in epochs.groupby("config", sort=False):
        first = runs.iloc[0]
        rows.append(
            {
                "config": config,
                "architecture": first["architecture"],
                "factors": first["factors"],
                "hyperparameters": first["hyperparameters"],
                "config_hash": first["config_hash"],
                "parameter_count": runs["parameter_count"].max(),
            }
        )
    return with_factor_columns(pd.DataFrame(rows), names)


def best_epoch(run: pd.DataFrame, column: str, metric: Metric) -> pd.Series | None:
    """The row of `run` (sorted by epoch) with the best `column` by `metric`'s direction, the earliest of ties;
    None when the column has no value."""
    values = run[column].astype(float)
    if values.isna().all():
        return None
    return run.loc[values.idxmax() if metric.higher_is_better else values.idxmin()]


def oracle_run_metric(spec: MetricSpec) -> str:
    """The per-run column of the best test epoch's headline (chosen on the test set itself)."""
    return f"oracle_best_{spec.headline_column}"


def value_of(row: pd.Series | None, column: str):
    return None if row is None else row[column]


def epoch_of(row: pd.Series | None):
    return None if row is None else int(row["epoch"])


def run_metric_values(last: pd.Series, chosen: pd.Series | None, spec: MetricSpec) -> dict:
    """Each run metric of the task: the last epoch's value of its column, the headline at the chosen epoch."""
    values = {}
    for name in spec.run_metrics():
        if name == spec.selected_run_metric:
            values[name] = value_of(chosen, spec.headline_column)
            values["selected_epoch"] = epoch_of(chosen)
        else:
            values[name] = last[name.removeprefix("final_")]
    return values


def final_rows(epochs: pd.DataFrame, names: list[str], spec: MetricSpec) -> pd.DataFrame:
    """One row per run: last-epoch values of every metric column, the headline at the epoch chosen on the
    validation headline where there is one, and the best test epoch labelled as what it is (chosen on the test
    set: an upper bound, not an estimate). Best means highest or lowest, as the headline's direction says."""
    headline = spec.headline_metric
    rows = []
    for (config, seed), run in epochs.groupby(["config", "seed"], sort=False):
        run = run.sort_values("epoch")
        last = run.iloc[-1]
        chosen = None if spec.validation_column is None else best_epoch(run, spec.validation_column, headline)
        oracle = best_epoch(run, spec.headline_column, headline)
        rows.append(
            {
                "study": last["study"],
                "config": config,
                "architecture": last["architecture"],
                "factors": last["factors"],
                "seed": int(seed),
                "status": last["status"],
                "parameter_count": last["parameter_count"],
                "epochs": int(last["epoch"]),
                **run_metric_values(last, chosen, spec),
                oracle_run_metric(spec): value_of(oracle, spec.headline_column),
                "oracle_best_epoch": epoch_of(oracle),
                "run_seconds": float(run["epoch_seconds"].astype(float).sum(min_count=1)),
                "device": last["device"],
                "config_hash": last["config_hash"],
                "message": last["message"],
            }
        )
    return with_factor_columns(pd.DataFrame(rows), names)


def learning_curves(epochs: pd.DataFrame, spec: MetricSpec) -> pd.DataFrame:
    """Per configuration, epoch and curve metric (`spec.curve_columns()`): mean, sample std, mean -/+ std, n runs,
    over the finished runs (those the summary averages)."""
    epochs = epochs[epochs["status"] == "ok"]
    long = epochs.melt(id_vars=["config", "seed", "epoch"], value_vars=spec.curve_columns(), var_name="metric")
    long["value"] = long["value"].astype(float)
    grouped = long.groupby(["config", "epoch", "metric"], sort=False)["value"]
    curves = grouped.agg(mean="mean", std=lambda values: values.std(ddof=1), n="count").reset_index()
    curves["low"] = curves["mean"] - curves["std"].fillna(0)
    curves["high"] = curves["mean"] + curves["std"].fillna(0)
    return curves[["config", "epoch", "metric", "mean", "std", "low", "high", "n"]]


def summarize(finals: pd.DataFrame, names: list[str], min_seeds: int, spec: MetricSpec) -> pd.DataFrame:
    """One row per configuration over its finished (status ok) seeds: mean and sample std of each of the task's
    run metrics (NaN where a configuration has fewer than `min_seeds` finished seeds, or no value)."""
    ok = finals[finals["status"] == "ok"]
    factor_columns = [name for name in names if name != "architecture"]
    rows = []
    for config, runs in finals.groupby("config", sort=False):
        finished = ok[ok["config"] == config]
        first = runs.iloc[0]
        row = {"config": config, "architecture": first["architecture"]}
        row.update({name: first[name] for name in factor_columns})
        row["n_seeds"] = len(finished)
        row["parameter_count"] = runs["parameter_count"].max()
        for metric in spec.run_metrics():
            values = finished[metric].astype(float)
            enough = len(finished) >= min_seeds and values.notna().any()
            row[f"{metric}_mean"] = values.mean() if enough else np.nan
            row[f"{metric}_std"] = values.std(ddof=1) if enough and values.notna().sum() > 1 else np.nan
        row["run_seconds_mean"] = runs["run_seconds"].astype(float).mean()
        rows.append(row)
    summary = pd.DataFrame(rows)
    for name in factor_columns:
        summary[name] = summary[name].astype(object)
    return summary


def run_status(finals: pd.DataFrame, run_files: dict[tuple[str, int], str]) -> pd.DataFrame:
    """Per configuration: finished, diverged and failed seeds, and the command that trains those again.

    `run_files` maps (config, seed) to the run file that holds it.
    """
    rows = []
    for config, runs in finals.groupby("config", sort=False):
        diverged = sorted(runs.loc[runs["status"] == "diverged", "seed"].tolist())
        failed = sorted(runs.loc[runs["status"] == "failed", "seed"].tolist())
        redo = list(dict.fromkeys(run_files[(config, seed)] for seed in diverged + failed))
        messages = sorted(set(runs.loc[runs["status"] == "failed", "message"].tolist()))
        rows.append(
            {
                "config": config,
                "finished": int((runs["status"] == "ok").sum()),
                "diverged_seeds": " ".join(map(str, diverged)),
                "failed_seeds": " ".join(map(str, failed)),
                "errors": " | ".join(messages),
                "rerun": f"snakemake --cores all --forcerun {' '.join(redo)}" if redo else "",
            }
        )
    return pd.DataFrame(rows)
