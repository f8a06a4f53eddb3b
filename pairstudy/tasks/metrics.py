"""What a task measures: its metrics (name, direction, unit, title) and the run-file columns and run metrics
they give. Torch-free: tables, statistics, charts and the report read a task's metrics from here.

A metric is measured on some of the splits train, validation and test; each (split, metric) is one
epoch column `<split>_<metric>` of a run file. A run's metrics are the last epoch's value of each
column (`final_<column>`) and, with validation data, the test value of the headline metric at the
epoch chosen on the validation headline (`selected_test_<headline>`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

SPLITS = ("train", "validation", "test")
DIRECTIONS = ("higher", "lower")
UNITS = ("fraction", "number")
# epoch columns every run file has, whatever its task; a task's columns may not take these names
COMMON_EPOCH_COLUMNS = ("epoch", "train_loss", "epoch_seconds", "learning_rate")


class MetricSpecError(ValueError):
    """A task's metrics that cannot be used: a bad direction, unit, split or name, or no headline."""


@dataclass(frozen=True)
class Metric:
    """One quantity a task measures on a split: `direction` says which way is better, `unit` how it reads
    (a fraction in [0, 1] shown as percent, or a plain number)."""

    name: str
    direction: str = "higher"
    unit: str = "fraction"
    title: str = ""
    description: str = ""
    splits: tuple[str, ...] = SPLITS

    def __post_init__(self):
        if not self.name.isidentifier():
            raise MetricSpecError(f"metric name {self.name!r} must be a Python identifier, e.g. accuracy")
        if self.direction not in DIRECTIONS:
            raise MetricSpecError(f"metric {self.name!r}: direction {self.direction!r} must be one of {DIRECTIONS}")
        if self.unit not in UNITS:
            raise MetricSpecError(f"metric {self.name!r}: unit {self.unit!r} must be one of {UNITS}")
        unknown = [split for split in self.splits if split not in SPLITS]
        if unknown or not self.splits:
            raise MetricSpecError(f"metric {self.name!r}: splits {list(self.splits)} must be among {SPLITS}")
        object.__setattr__(self, "splits", tuple(self.splits))
        if not self.title:
            object.__setattr__(self, "title", self.name.replace("_", " "))

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def percent(self) -> bool:
        return self.unit == "fraction"

    def column_title(self, split: str) -> str:
        return f"{split} {self.title}" + (" (%)" if self.percent else "")


@dataclass(frozen=True)
class MetricSpec:
    """A task's metrics, its headline and what its target means: stored with every run file and table."""

    task: str
    metrics: tuple[Metric, ...]
    headline: str
    target: str = ""
    metric_names: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "metrics", tuple(self.metrics))
        names = [metric.name for metric in self.metrics]
        object.__setattr__(self, "metric_names", tuple(names))
        if len(set(names)) != len(names):
            raise MetricSpecError(f"task {self.task!r}: a metric name appears twice in {names}")
        if self.headline not in names:
            raise MetricSpecError(f"task {self.task!r}: headline {self.headline!r} is not one of its metrics {names}")
        if "test" not in self.headline_metric.splits:
            raise MetricSpecError(f"task {self.task!r}: the headline metric {self.headline!r} must be measured on test")
        taken = [column for column in self.epoch_columns() if column in COMMON_EPOCH_COLUMNS]
        if taken:
            raise MetricSpecError(
                f"task {self.task!r}: column(s) {taken} are every run file's own; rename the metric(s)"
            )

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"task {self.task!r} has no metric {name!r}; its metrics: {list(self.metric_names)}")

    def epoch_columns(self) -> dict[str, tuple[Metric, str]]:
        """Run-file column -> (metric, split), split by split in SPLITS order, metrics in declared order."""
        return {
            f"{split}_{metric.name}": (metric, split)
            for split in SPLITS
            for metric in self.metrics
            if split in metric.splits
        }

    @property
    def headline_metric(self) -> Metric:
        return self.metric(self.headline)

    @property
    def headline_column(self) -> str:
        """The epoch column of the headline: the headline metric on the test split."""
        return f"test_{self.headline}"

    @property
    def validation_column(self) -> str | None:
        """The epoch column an epoch is chosen on: the headline on the validation split, if it is measured there."""
        return f"validation_{self.headline}" if "validation" in self.headline_metric.splits else None

    @property
    def headline_run_metric(self) -> str:
        """The per-run headline: the headline's final test value, e.g. final_test_accuracy."""
        return f"final_{self.headline_column}"

    @property
    def selected_run_metric(self) -> str:
        return f"selected_{self.headline_column}"

    def run_metrics(self) -> dict[str, tuple[Metric, str]]:
        """Per-run metric -> (metric, title): the headline first, then the value at the epoch chosen on validation,
        then every other column's final value (test, then train, then validation)."""
        columns = self.epoch_columns()
        order = [self.headline_column]
        order += [column for column in columns if column.startswith("test_") and column != self.headline_column]
        order += [column for column in columns if column.startswith("train_")]
        order += [column for column in columns if column.startswith("validation_")]
        headline = self.headline_metric
        metrics = {
            self.headline_run_metric: (headline, f"{headline.column_title('test')} (final)"),
            self.selected_run_metric: (headline, f"{headline.column_title('test')} (epoch chosen on validation)"),
        }
        for column in order[1:]:
            metric, split = columns[column]
            metrics[f"final_{column}"] = (metric, metric.column_title(split))
        return metrics

    def curve_columns(self) -> list[str]:
        """The epoch columns drawn as learning curves: every metric's train and test values."""
        return [column for column, (_, split) in self.epoch_columns().items() if split in ("train", "test")]

    def better(self, first: float, second: float) -> bool:
        """Whether `first` beats `second` on the headline."""
        return first > second if self.headline_metric.higher_is_better else first < second

    def to_dict(self) -> dict:
        return {
            "task": self.task,
            "headline": self.headline,
            "target": self.target,
            "metrics": [{**asdict(metric), "splits": list(metric.splits)} for metric in self.metrics],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> MetricSpec:
        metrics = tuple(Metric(**{**metric, "splits": tuple(metric["splits"])}) for metric in values["metrics"])
        return cls(values["task"], metrics, values["headline"], values.get("target", ""))
