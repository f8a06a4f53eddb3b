"""The run store: finished runs and checkpoints, kept by what trained them, outside the workflow's outputs.

A run is kept under `<store>/<run key>/seed<k>.parquet`, the run key hashing the resolved
hyperparameters and the code that trains them. A job that runs again (more seeds in its block,
an interrupted job, a deleted run file) takes a kept run instead of training it, and Snakemake,
which deletes a job's outputs before it runs, never deletes the store.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pairstudy.metrics import RunFileError, read_run_metadata, read_runs, run_key, write_runs
from pairstudy.paths import resolved_path


class RunStore:
    """Where one configuration's runs and checkpoints are kept; `folder` None keeps no finished runs."""

    def __init__(self, folder: str | Path | None, hyperparameters: dict, code: str, beside: str | Path, spec):
        self.spec = spec  # the task's MetricSpec, which the kept run files carry
        self.key = run_key(hyperparameters, code)
        # resolved once, so the store read and written is the one checked (pairstudy.paths.run_store), whatever
        # a link in its path is changed to while the job runs
        self.folder = resolved_path(folder) / self.key if folder is not None else None
        self.beside = Path(beside)

    def run_path(self, seed: int) -> Path | None:
        return None if self.folder is None else self.folder / f"seed{seed}.parquet"

    def checkpoint_path(self, seeds) -> Path:
        """One seed's checkpoint, or the checkpoint of several seeds trained as one stack."""
        name = "seed" + "-".join(str(seed) for seed in seeds) + ".ckpt"
        return self.folder / name if self.folder is not None else self.beside.with_name(f"{self.beside.name}.{name}")

    def load(self, seed: int, config_hash: str) -> tuple[pd.DataFrame, list] | None:
        """A kept finished run of this seed (its table and misclassified pairs), or None."""
        path = self.run_path(seed)
        if path is None or not path.exists():
            return None
        try:
            table = read_runs(path)
        except RunFileError:
            return None
        if table["config_hash"].iloc[0] != config_hash or table["seed"].unique().tolist() != [seed]:
            return None
        return table, read_run_metadata(path).get("misclassified", {}).get(str(seed), [])

    def keep(self, table: pd.DataFrame, seed: int, misclassified: list) -> None:
        path = self.run_path(seed)
        if path is not None:
            write_runs(table, path, self.spec, misclassified={seed: misclassified})
