"""The per-run and per-configuration metrics that tables, statistics, charts and the report name, with their titles.

One ordered map each: a table shows its metrics in this order under these titles.
"""

from __future__ import annotations

HEADLINE_METRIC = "final_test_accuracy"

# one row per run (finals) and mean/std per configuration (summary); fractions in [0, 1]
RUN_METRICS: dict[str, str] = {
    "final_test_accuracy": "test acc. (final, %)",
    "selected_test_accuracy": "test acc. (epoch chosen on validation, %)",
    "final_train_accuracy": "train acc. (%)",
    "final_test_digit_accuracy": "digit acc. (%)",
    "final_validation_accuracy": "validation acc. (%)",
}

# the learning curves: per configuration, epoch and metric, mean and spread over seeds
CURVE_METRICS: dict[str, str] = {
    "train_comparison_loss": "train comparison loss",
    "train_accuracy": "train accuracy (%)",
    "test_accuracy": "test accuracy (%)",
}
