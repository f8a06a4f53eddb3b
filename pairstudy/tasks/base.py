"""The task contract: what a task class gives the trainers. Torch-free to import; the methods that build
tensors import torch themselves.

A task class declares, in one place:
- its metrics (`metrics`, `headline`) and what its target means (`target`);
- its data: `load(seed, device)` gives the train / test (and validation) sets as `Splits`, each a dict of
  tensors with at least "input" and "target" (other entries, such as auxiliary targets, ride along through
  batching); the keyword parameters of `data_settings` are its data keys (`data:` in a study), with their
  types and defaults, checked like model knobs; `check_data` refuses settings the data cannot give, before
  any job;
- its objective: `objective(outputs, batch, aux_weight)` -> the loss to minimise; `aux_weight` is None when the
  configuration trains without the task's auxiliary terms, else their weight from its settings (`aux_weight()`,
  a per-member tensor when seeds train as one vectorised stack);
- its measurements: `measure(outputs, batch)` -> per-example values of each metric (None where a metric does
  not apply to this model), averaged by the trainers over a split or an epoch's training batches.

An instance is made per run from the run's resolved hyperparameters (`self.settings`), so the objective can
read the auxiliary-loss settings and the data its data settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .metrics import Metric, MetricSpec


@dataclass
class Splits:
    """A seed's data: name -> tensor dicts (each with "input" and "target", all of one length per split)."""

    train: dict
    test: dict
    validation: dict | None = None
    info: dict[str, Any] = field(default_factory=dict)  # what examples need, e.g. the normalisation to undo


class Task:
    """Subclass, set the class attributes, write `data_settings`, `load`, `objective` and `measure`."""

    name: str = ""  # set by register_task
    metrics: tuple[Metric, ...] = ()
    headline: str = ""
    target: str = ""  # one sentence: what the target is, for the report
    # training settings of the schema this task reads (others are dropped from its runs' hyperparameters)
    uses_training_keys: tuple[str, ...] = ()

    def __init__(self, settings: dict):
        self.settings = settings
        self.data = settings["data"]

    @classmethod
    def spec(cls) -> MetricSpec:
        return MetricSpec(cls.name, cls.metrics, cls.headline, cls.target)

    @staticmethod
    def data_settings() -> None:
        """Override with keyword parameters, each with a default: the task's data keys."""

    @classmethod
    def has_aux_terms(cls, architecture) -> bool:
        """Whether the auxiliary terms (settings aux, aux_weight) apply to a model of this registered architecture;
        by default whenever the task reads those settings."""
        return "aux" in cls.uses_training_keys

    @classmethod
    def settings_problem(cls, settings: dict) -> str | None:
        """Why a configuration's resolved settings cannot train on this task (checked before any job); None."""
        return None

    @classmethod
    def check_data(cls, data: dict) -> None:
        """Raise ValueError when the data settings cannot give what they ask for (run before any job)."""

    def load(self, seed: int, device) -> Splits:
        raise NotImplementedError

    def sizes(self) -> dict[str, int]:
        """Examples per split for these data settings (train, validation, test), for ranking jobs by cost."""
        return {"train": 1, "validation": 0, "test": 1}

    @classmethod
    def example_batch(cls, size: int) -> dict:
        """A small random batch shaped like the task's data, for checking a model before any job."""
        raise NotImplementedError

    def aux_weight(self):
        """The weight of the auxiliary terms for this run's settings, None without them (the default)."""
        return None

    def objective(self, outputs, batch: dict, aux_weight=None):
        raise NotImplementedError

    def measure(self, outputs, batch: dict) -> dict:
        raise NotImplementedError

    def reports(self, metric: str) -> bool:
        """Whether this run's metric means something (a task may leave one empty for some settings); yes by default."""
        return True

    def epoch_train_set(self, train: dict, generator) -> dict:
        """The training set of one epoch (a task may redraw it); the same set by default."""
        return train

    def augment(self, batch: dict, generator) -> dict:
        """A training batch as the step sees it (a task may augment it); unchanged by default."""
        return batch

    @property
    def augments(self) -> bool:
        """Whether `augment` or `epoch_train_set` change anything for these settings (such runs train alone)."""
        return False

    def shown(self, tensors: dict, info: dict, count: int) -> list[dict]:
        """The first `count` examples of a split as the report draws them (none by default)."""
        return []

    def examples(self, outputs, test: dict, info: dict, limit: int) -> list[dict]:
        """Up to `limit` wrongly predicted test examples: {"images": [[pixels]...], "shape": [h, w], "label": str}."""
        return []
