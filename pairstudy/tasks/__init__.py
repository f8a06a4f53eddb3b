"""Tasks: what a study trains for. A task owns its data (train / validation / test tensors per seed), its
objective and its metrics (name, direction, unit, headline); `digit_pairs` is the default, `digits` a plain
classification of single digits. A task of one's own registers with `@register_task` in a file the config lists.

Importing the package imports no torch: config validation reads the registry and the tasks' metrics.
"""

from pairstudy.lazy import lazy_exports

from .metrics import Metric, MetricSpec, MetricSpecError

EXPORTS = {
    "Task": "base",
    "Splits": "base",
    "TaskConfigError": "registry",
    "TaskRegistrationError": "registry",
    "register_task": "registry",
    "get_task": "registry",
    "TASKS": "registry",
    "DEFAULT_TASK": "registry",
}

__all__ = [*EXPORTS, "Metric", "MetricSpec", "MetricSpecError"]  # noqa: PLE0604

__getattr__ = lazy_exports(__name__, EXPORTS)
