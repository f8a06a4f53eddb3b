"""Runs -> long epoch table, one row per run, learning curves, one row per configuration.

All accuracies stay fractions in [0, 1]; presentation turns them into percent.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from pairstudy.metrics import read_run

SUMMARY_METRICS = (
    "final_test_accuracy",
    "best_test_accuracy",
    "final_train_accuracy",
    "final_test_digit_accuracy",
    "final_validation_accuracy",
)
CURVE_METRICS = ("train_loss", "train_accuracy", "test_accuracy")


def read_epochs(paths) -> tuple[pd.DataFrame, list[str]]:
    """All epochs of all runs, the JSON factors expanded to one column each; and the factor names."""
    frames = [read_run(path) for path in paths]
    if not frames:
        raise ValueError("no run files to aggregate")
    epochs = pd.concat(frames, ignore_index=True)
    factor_dicts = epochs["factors"].map(json.loads)
    factor_names: list[str] = []
    for factors in factor_dicts.drop_duplicates():
        factor_names += [name for name in factors if name not in factor_names]
    for name in factor_names:
        if name == "architecture":
            continue
        epochs[name] = factor_dicts.map(lambda factors, name=name: factors.get(name))
    return epochs, factor_names


def final_rows(epochs: pd.DataFrame, factor_names: list[str]) -> pd.DataFrame:
    """One row per run: last-epoch and best-epoch numbers, and the run's wall time."""
    rows = []
    for (config, seed), run in epochs.groupby(["config", "seed"], sort=False):
        run = run.sort_values("epoch")
        last = run.iloc[-1]
        best = run.loc[run["test_accuracy"].astype(float).fillna(-1).idxmax()]
        row = {
            "study": last["study"],
            "config": config,
            "architecture": last["architecture"],
            "seed": int(seed),
            "status": last["status"],
            "parameter_count": last["parameter_count"],
            "epochs": int(last["epoch"]),
            "final_test_accuracy": last["test_accuracy"],
            "best_test_accuracy": best["test_accuracy"],
            "best_epoch": int(best["epoch"]),
            "final_train_accuracy": last["train_accuracy"],
            "final_test_digit_accuracy": last["test_digit_accuracy"],
            "final_validation_accuracy": last["validation_accuracy"],
            "run_seconds": float(run["epoch_seconds"].astype(float).sum(min_count=1)),
            "device": last["device"],
            "config_hash": last["config_hash"],
            "message": last["message"],
        }
        row.update({name: last[name] for name in factor_names if name != "architecture"})
        rows.append(row)
    return pd.DataFrame(rows)


def learning_curves(epochs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration, epoch and metric: mean, sample std, mean -/+ std, n runs."""
    epochs = epochs[epochs["status"] != "failed"]
    long = epochs.melt(id_vars=["config", "seed", "epoch"], value_vars=list(CURVE_METRICS), var_name="metric")
    grouped = long.groupby(["config", "epoch", "metric"], sort=False)["value"]
    curves = grouped.agg(mean="mean", std=lambda values: values.std(ddof=1), n="count").reset_index()
    curves["low"] = curves["mean"] - curves["std"].fillna(0)
    curves["high"] = curves["mean"] + curves["std"].fillna(0)
    return curves[["config", "epoch", "metric", "mean", "std", "low", "high", "n"]]


def summarize(finals: pd.DataFrame, factor_names: list[str], min_seeds: int = 1) -> pd.DataFrame:
    """One row per configuration over its finished (status ok) seeds: mean and sample std of each metric."""
    ok = finals[finals["status"] == "ok"]
    rows = []
    for config, runs in finals.groupby("config", sort=False):
        finished = ok[ok["config"] == config]
        first = runs.iloc[0]
        row = {"config": config, "architecture": first["architecture"]}
        row.update({name: first[name] for name in factor_names if name != "architecture"})
        row["n_seeds"] = len(finished)
        row["parameter_count"] = runs["parameter_count"].max()
        for metric in SUMMARY_METRICS:
            values = finished[metric].astype(float)
            enough = len(finished) >= min_seeds and values.notna().any()
            row[f"{metric}_mean"] = values.mean() if enough else np.nan
            row[f"{metric}_std"] = values.std(ddof=1) if enough and len(values) > 1 else np.nan
        row["run_seconds_mean"] = runs["run_seconds"].astype(float).mean()
        rows.append(row)
    return pd.DataFrame(rows)


def run_status(
    finals: pd.DataFrame, study: str, run_path: str = "results/{study}/runs/{config}/seed{seed}.parquet"
) -> pd.DataFrame:
    """Per configuration: finished seeds, diverged and failed seeds, and the command that re-runs those."""
    rows = []
    for config, runs in finals.groupby("config", sort=False):
        diverged = sorted(runs.loc[runs["status"] == "diverged", "seed"].tolist())
        failed = sorted(runs.loc[runs["status"] == "failed", "seed"].tolist())
        redo = [run_path.format(study=study, config=config, seed=seed) for seed in diverged + failed]
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


def factor_columns(summary: pd.DataFrame) -> list[str]:
    """The factor columns of a summary table (architecture aside)."""
    fixed = {"config", "architecture", "n_seeds", "parameter_count", "run_seconds_mean"}
    return [c for c in summary.columns if c not in fixed and not c.endswith(("_mean", "_std"))]
