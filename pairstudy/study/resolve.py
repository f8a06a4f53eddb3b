"""A configuration's hyperparameters, resolved once, and the one decision of which factors apply to it.

Resolution: schema defaults <- the study's training settings <- the architecture's overrides <-
the configuration's factor levels; model knobs start from the architecture's registered defaults.
The result keeps only what changes training: no aux_weight without the auxiliary loss (and no
auxiliary loss for a model without digit outputs), no momentum for Adam, no lr_gamma without a
step schedule. A factor applies to a configuration exactly when that dict keeps it.
"""

from __future__ import annotations

import copy

from pairstudy.models import get_architecture

from .schema import schema_defaults

TRAINING_KEYS = tuple(key for key in schema_defaults("training") if key != "model")


def used(hyperparameters: dict) -> dict:
    """The resolved dict without the settings that cannot change this configuration's training."""
    if not get_architecture(hyperparameters["architecture"]).predicts_digits:
        hyperparameters["aux"] = False
    if not hyperparameters["aux"]:
        del hyperparameters["aux_weight"]
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
    data = {**schema_defaults("data"), **copy.deepcopy(study["data"])}
    return used({"architecture": architecture, "model": model, **training, "data": data})


def applies(study: dict, point: dict, factor: str) -> bool:
    """Whether `factor` changes what the configuration at `point` trains: a training setting its resolved dict
    keeps (the auxiliary loss only for a model with digit outputs), or a model knob its architecture takes."""
    architecture = point["architecture"]
    if factor == "architecture":
        return True
    if factor == "aux":
        return get_architecture(architecture).predicts_digits
    if factor in TRAINING_KEYS:
        return factor in resolve(study, architecture, point)
    return get_architecture(architecture).takes(factor)
