"""A sequential study's decision step: the runs of a stage -> results/<study>/seeds/stage<k>.yaml (see
pairstudy.stats.stages for what is decided and how)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pairstudy.atomic import write_atomically
from pairstudy.stats.stages import stage_decision, study_drivers
from pairstudy.stats.study import crossed_factors
from pairstudy.stats.units import scale, smallest_effect_of

from .tables import factor_names, final_rows, read_epochs


def stored_until(until, metric):
    """`until` with a precision in the metric's stored unit (the config gives it in the unit the report shows)."""
    if until == "resolved":
        return until
    return {**until, "precision": float(until["precision"]) / scale(metric)}


def decide_stage(
    expected: list[dict], stage: int, looks: list[int], until, smallest_effect, declared_factors: list[str]
) -> dict:
    """The decision after `stage` from the run files `expected` lists (every configuration's seeds so far)."""
    epochs, spec = read_epochs(expected)
    factors = factor_names(epochs, declared_factors)
    finals = final_rows(epochs, factors, spec)
    metric = spec.headline_metric
    of = until.get("of", "comparisons") if isinstance(until, dict) else "comparisons"
    drivers = study_drivers(finals, factors, crossed_factors(finals, factors), of)
    return stage_decision(
        finals,
        spec.headline_run_metric,
        drivers,
        tuple(looks),
        stage,
        stored_until(until, metric),
        smallest_effect_of(smallest_effect, metric),
    )


def write_decision(decision: dict, path: str | Path) -> None:
    text = yaml.safe_dump(decision, sort_keys=False, allow_unicode=True)
    write_atomically(path, lambda target: Path(target).write_text(text))
