"""What was run: the study as configured and the settings its runs really used (their stored hyperparameters)."""

from __future__ import annotations

import json

import pandas as pd

from pairstudy.metrics import canonical_json
from pairstudy.stats.units import direction_text
from pairstudy.tasks.metrics import MetricSpec

from .definitions import definition_list_html, definition_list_markdown, label
from .sections import Section

# the description keys the report knows, in the order a reader wants them; any other key follows under its own name
STUDY_LABELS = {
    "name": "study",
    "description": "description",
    "task": "task",
    "target": "target",
    "headline": "headline metric",
    "data": "data settings",
    "factors": "factors and levels",
    "baselines": "baselines",
    "seeds": "seeds",
    "epochs": "epochs",
    "n_runs": "number of runs",
}


def settings_by_configuration(configurations: pd.DataFrame) -> tuple[dict, dict]:
    """(settings every configuration shares, {configuration: its own settings}), from the runs' stored
    hyperparameters: what the runs really used, per-architecture overrides included."""
    resolved = {row["config"]: json.loads(row["hyperparameters"]) for _, row in configurations.iterrows()}
    keys = list(dict.fromkeys(key for settings in resolved.values() for key in settings if key != "architecture"))
    shared, own = {}, {config: {} for config in resolved}
    for key in keys:
        values = [settings.get(key) for settings in resolved.values()]
        if all(canonical_json(value) == canonical_json(values[0]) for value in values) and values[0] is not None:
            shared[key] = values[0]
            continue
        for config, settings in resolved.items():
            if key in settings:
                own[config][key] = settings[key]
    return shared, own


def headline_text(spec: MetricSpec) -> str:
    """E.g. "final test accuracy, in percent (higher is better)"."""
    metric = spec.headline_metric
    unit = ", in percent" if metric.percent else ""
    return f"final test {metric.title}{unit} ({direction_text(metric)})"


def study_description(
    study: dict, finals: pd.DataFrame, configurations: pd.DataFrame, spec: MetricSpec, baselines=()
) -> dict:
    """What the report's "What was run" shows: the study's keys, its task (what the target means, the headline),
    its data settings as the study wrote them, then the settings the runs used."""
    epochs = sorted(finals["epochs"].unique().tolist()) if "epochs" in finals else []
    shared, own = settings_by_configuration(configurations)
    return {
        "name": study["name"],
        "title": study.get("title", ""),
        "description": study.get("description", "").strip(),
        "task": spec.task,
        "target": spec.target,
        "headline": headline_text(spec),
        "data": study.get("data", {}),
        "factors": study["factors"],
        "baselines": list(baselines),
        "seeds": sorted(int(seed) for seed in finals["seed"].unique()),
        "epochs": epochs[0] if len(epochs) == 1 else epochs,
        "n_runs": len(finals),
        "finished runs": int((finals["status"] == "ok").sum()),
        "shared training settings": shared,
        "settings per configuration": {config: settings for config, settings in own.items() if settings},
    }


def page_title(study: dict) -> str:
    """The study's title, else its description, else "Study <name>"."""
    return (study.get("title") or "").strip() or (study.get("description") or "").strip() or f"Study {study['name']}"


def study_items(description: dict) -> list[tuple[str, object]]:
    """(label, value) of each description key worth showing: the known keys first, then the rest."""
    keys = [key for key in STUDY_LABELS if key in description] + [
        key for key in description if key not in STUDY_LABELS and key != "title"
    ]
    return [
        (STUDY_LABELS.get(key, label(key)), description[key])
        for key in keys
        if description[key] not in (None, "", {}, [], ())
    ]


def what_was_run(description: dict) -> Section:
    items = study_items(description)
    return Section("What was run", definition_list_html(items), definition_list_markdown(items))
