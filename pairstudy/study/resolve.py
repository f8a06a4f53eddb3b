"""A configuration's hyperparameters, resolved once, and the one decision of which factors apply to it.

Resolution: schema defaults <- the study's training settings <- the architecture's overrides <-
the configuration's factor levels; model knobs start from the architecture's registered defaults,
data settings from the task's. The result keeps only what changes training: no setting of a task
other than the study's (augmentation, auxiliary terms), no aux_weight without the auxiliary terms
(and no auxiliary terms for a model the task says cannot have them), no momentum for Adam, no
lr_gamma without a step schedule. A factor applies to a configuration exactly when that dict keeps it.
"""

from __future__ import annotations

import copy

from pairstudy.models import get_architecture
from pairstudy.tasks import TASKS, get_task
from pairstudy.tasks.registry import data_defaults

from .schema import schema_defaults

TRAINING_KEYS = tuple(key for key in schema_defaults("training") if key != "model")


def task_training_keys() -> set[str]:
    """The training settings some task reads (the auxiliary terms, augmentation); a task that does not drops them."""
    return {key for task in TASKS.values() for key in task.uses_training_keys}


def used(hyperparameters: dict) -> dict:
    """The resolved dict without the settings that cannot change this configuration's training."""
    for key in task_training_keys() - set(get_task(hyperparameters["task"]).uses_training_keys):
        hyperparameters.pop(key, None)
    task = get_task(hyperparameters["task"])
    if "aux" in hyperparameters and not task.has_aux_terms(get_architecture(hyperparameters["architecture"])):
        hyperparameters["aux"] = False
    if not hyperparameters.get("aux"):
        hyperparameters.pop("aux_weight", None)
    if hyperparameters["optimizer"] != "sgd":
        del hyperparameters["momentum"]
    if hyperparameters["lr_step"] == 0:
        del hyperparameters["lr_gamma"]
    return hyperparameters


def resolve(study: dict, architecture: str, levels: dict) -> dict:
    """Everything a run of `architecture` with these factor `levels` needs, and nothing it does not use."""
    spec = get_architecture(architecture)
    training = {**schema_defaults("training"), **copy.deepcopy(study["training"])}
    overrides = copy.deepcopy(study["overrides"].get(architecture, {}))
    model = dict(spec.defaults)
    model.update({knob: value for knob, value in training.pop("model").items() if spec.takes(knob)})
    model.update(overrides.pop("model", {}))
    training.update(overrides)
    for factor, level in levels.items():
        if factor in TRAINING_KEYS:
            training[factor] = copy.deepcopy(level)
        elif factor != "architecture" and spec.takes(factor):
            model[factor] = copy.deepcopy(level)
    data = {**data_defaults(study["task"]), **copy.deepcopy(study["data"])}
    return used({"task": study["task"], "architecture": architecture, "model": model, **training, "data": data})


def applies(study: dict, point: dict, factor: str) -> bool:
    """Whether `factor` changes what the configuration at `point` trains: a training setting its resolved dict
    keeps (the auxiliary terms only for a model the task gives them to), or a model knob its architecture takes."""
    architecture = point["architecture"]
    if factor == "architecture":
        return True
    if factor == "aux":
        task = get_task(study["task"])
        return "aux" in task.uses_training_keys and task.has_aux_terms(get_architecture(architecture))
    if factor in TRAINING_KEYS:
        return factor in resolve(study, architecture, point)
    return get_architecture(architecture).takes(factor)
