"""Models: `@register_model` registers a builder as an architecture, `create_model(name, **knobs)` builds it.

An architecture serves the tasks it names (`tasks=`; by default the digit-pair task, whose models map x
(N, 2, 14, 14) to (comparison logits (N, 2), digit logits (N, 2, 10) or None) and carry `predicts_digits`);
a model of the `digits` task maps (N, 1, 14, 14) to class logits. The package's own architectures are in
builtin.py; model files and installed packages (entry-point group `pairstudy.models`) add more. Torch is
imported only when a model is built, counted or checked.
"""

from __future__ import annotations

from . import builtin  # noqa: F401  (registers the package's own architectures)
from .check import ModelCheck, check_architecture, check_models, count_parameters
from .files import (
    ENTRY_POINT_GROUP,
    ModelFileError,
    architecture_code_hash,
    load_entry_point_models,
    load_model_files,
)
from .registry import (
    ARCHITECTURES,
    Architecture,
    Knob,
    ModelConfigError,
    ModelRegistrationError,
    check_knob_value,
    check_knobs,
    create_model,
    get_architecture,
    register_model,
)

__all__ = [
    "ARCHITECTURES",
    "ENTRY_POINT_GROUP",
    "Architecture",
    "Knob",
    "ModelCheck",
    "ModelConfigError",
    "ModelFileError",
    "ModelRegistrationError",
    "architecture_code_hash",
    "check_architecture",
    "check_knob_value",
    "check_knobs",
    "check_models",
    "count_parameters",
    "create_model",
    "get_architecture",
    "load_entry_point_models",
    "load_model_files",
    "register_model",
]
