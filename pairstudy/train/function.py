"""A researcher's own training function: code that will not fit a task runs behind a run handle, and everything
around it (grid, seed blocks, jobs, resume, Parquet, statistics, report) is pairstudy's.

    @training_function(metrics=[Metric("accuracy")], headline="accuracy", target="...")
    def train(run, lr: float = 0.01, epochs: int = 5):
        state = run.restore()                  # what run.save gave the last time, when the run resumes
        for epoch in range(run.epoch + 1, epochs + 1):
            ...
            run.log(train_loss=..., test_accuracy=..., validation_accuracy=...)
            run.save({"model": model.state_dict(), ...})

A study names it with `trainer: file.py:function`; its keyword parameters (each with a default, typed like model
knobs) are its settings, set under the study's `settings:` or varied as factors, and checked before any job.
`run.log` takes one row per epoch: the epoch columns of the declared metrics (`<split>_<metric>`), plus optional
`train_loss` and `learning_rate`; the test value of the headline is required. A function that raises, logs an
unknown column or logs nothing gives a failed run with the reason.

Importing this module imports no torch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from pairstudy.models.registry import Knob, ModelRegistrationError, knobs_of
from pairstudy.tasks.metrics import Metric, MetricSpec, MetricSpecError

OPTIONAL_COLUMNS = ("train_loss", "learning_rate")


class TrainingFunctionError(ValueError):
    """A training function that cannot be used: no declaration, bad metrics, a setting without a default."""


@dataclass(frozen=True)
class Declaration:
    """What `training_function` records on a function: its metrics and its settings (name -> Knob)."""

    spec: MetricSpec
    settings: dict[str, Knob]


def training_function(*, metrics: list[Metric], headline: str, target: str = "") -> Callable:
    """Declare `function(run, **settings)` as a training function with these metrics; returns it unchanged."""

    def declare(function: Callable) -> Callable:
        place = f"{function.__code__.co_filename}:{function.__code__.co_firstlineno}: {function.__qualname__}"
        try:
            spec = MetricSpec(function.__name__, tuple(metrics), headline, target)
            settings = knobs_of(function.__name__, function, skip=1, kind="training function")
        except (MetricSpecError, ModelRegistrationError) as error:
            raise TrainingFunctionError(f"{place}: {error}") from None
        if not function.__code__.co_argcount:
            raise TrainingFunctionError(f"{place}: its first parameter must take the run handle")
        function.pairstudy_declaration = Declaration(spec, settings)
        return function

    return declare


def declaration_of(function, where: str) -> Declaration:
    found = getattr(function, "pairstudy_declaration", None)
    if found is None:
        raise TrainingFunctionError(
            f"{where}: {getattr(function, '__qualname__', function)!r} is not declared with "
            "@pairstudy.training_function(metrics=..., headline=...)"
        )
    return found


class RunLogError(ValueError):
    """A row a training function logs that does not fit its declared metrics."""


class Run:
    """The handle a training function gets: its seed, device and settings; `log` one row per epoch; `save` and
    `restore` a checkpoint for resume."""

    def __init__(
        self, spec: MetricSpec, seed: int, device: str, settings: dict, checkpoint=None, owner=None, log=print
    ):
        from pairstudy.metrics import epoch_columns

        self.spec, self.seed, self.device, self.settings = spec, seed, device, settings
        self.rows: list[dict] = []
        self._columns = list(epoch_columns(spec))
        self._checkpoint, self._owner, self._print = checkpoint, owner, log
        self._state = None
        self._since = time.perf_counter()
        if checkpoint is not None:
            from .checkpoint import load_checkpoint

            saved = load_checkpoint(checkpoint, owner, log)
            if saved is not None:
                self.rows, self._state = saved["rows"], saved["state"]
        self.resumed_from = len(self.rows)

    @property
    def epoch(self) -> int:
        """Epochs logged so far (on resume, those before the checkpoint)."""
        return len(self.rows)

    def restore(self):
        """What `save` stored last, when this run resumes from a checkpoint; None otherwise."""
        return self._state

    def log(self, **values) -> dict:
        """Record one epoch: columns of the declared metrics (and train_loss, learning_rate)."""
        allowed = [column for column in self._columns if column not in ("epoch", "epoch_seconds")]
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise RunLogError(f"run.log got unknown column(s) {unknown}; the declared columns: {allowed}")
        headline = self.spec.headline_column
        if values.get(headline) is None:
            raise RunLogError(f"run.log needs the headline {headline!r} every epoch")
        row = dict.fromkeys(self._columns)
        row.update({column: None if value is None else float(value) for column, value in values.items()})
        now = time.perf_counter()
        row.update(epoch=len(self.rows) + 1, epoch_seconds=now - self._since)
        self._since = now
        self.rows.append(row)
        self._print(f"epoch {row['epoch']}: {headline} {row[headline]:.4f}")
        return row

    def save(self, state) -> None:
        """Keep `state` (tensors, dicts, lists, numbers) with the rows so far, to resume from."""
        if self._checkpoint is None:
            return
        from .checkpoint import save_checkpoint

        save_checkpoint(self._checkpoint, self._owner, {"rows": self.rows, "state": state})


def run_training_function(
    function: Callable, settings: dict, seed: int, *, device: str = "auto", checkpoint=None, log=print
):
    """Call the function once for `seed` with its settings; its logged rows as a RunResult. The global random
    generators (torch, numpy, random) are seeded with the seed first."""
    import random

    import numpy as np
    import torch

    from pairstudy.metrics import hyperparameter_hash

    from .device import device_name, resolve_device
    from .result import RunResult

    spec = declaration_of(function, "trainer").spec
    torch_device = resolve_device(device)
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    owner = {"config_hash": hyperparameter_hash(settings), "seeds": [seed]}
    run = Run(spec, seed, device_name(torch_device), dict(settings), checkpoint, owner, log)
    returned = function(run, **settings)
    if not run.rows:
        raise RunLogError("the training function logged no epoch (call run.log once per epoch)")
    losses = [row["train_loss"] for row in run.rows if row["train_loss"] is not None]
    headline = [row[spec.headline_column] for row in run.rows]
    diverged = not all(math.isfinite(value) for value in [*losses, *headline])
    parameter_count = returned if isinstance(returned, int) and not isinstance(returned, bool) else None
    status = "diverged" if diverged else "ok"
    return RunResult(run.rows, status, device_name(torch_device), parameter_count, run.resumed_from)
