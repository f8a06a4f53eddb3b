"""Training: one configuration for one seed (`loop`), several runs as one vectorised model (`vectorised`), and
the job that trains one configuration's seed block into one run file (`job`).

Importing the package imports no torch: a training job's supervisor stays light, and torch is
imported by the modules that train.
"""

import importlib

EXPORTS = {
    "BlockJob": "job",
    "run_block_job": "job",
    "train_block": "job",
    "RunResult": "result",
    "train_run": "loop",
    "Member": "vectorised",
    "train_vectorised": "vectorised",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str):
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{EXPORTS[name]}", __name__), name)
