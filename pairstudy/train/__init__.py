"""Training: one configuration for one seed (`loop`), several runs as one vectorised model (`vectorised`), and
the job that trains one configuration's seed block into one run file (`job`).

Importing the package imports no torch: a training job's supervisor stays light, and torch is
imported by the modules that train.
"""

from pairstudy.lazy import lazy_exports

EXPORTS = {
    "BlockJob": "job",
    "run_block_job": "job",
    "train_block": "block",
    "RunResult": "result",
    "train_run": "loop",
    "Member": "vectorised",
    "train_vectorised": "vectorised",
}

__all__ = sorted(EXPORTS)

__getattr__ = lazy_exports(__name__, EXPORTS)
