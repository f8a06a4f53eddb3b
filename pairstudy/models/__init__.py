"""The model registry: `create_model(name, **factors)` builds any registered architecture.

Every model maps x (N, 2, 14, 14) to (comparison logits (N, 2), digit logits (N, 2, 10) or None)
and carries `predicts_digits`. Torch is imported only when a model is built or counted.
"""

from __future__ import annotations

import copy
import importlib

from .catalog import ARCHITECTURES, Architecture, get_architecture


def create_model(name: str, **factors):
    """Build a registered architecture; unknown knobs are refused, missing ones take the catalog default."""
    spec = get_architecture(name)
    unknown = sorted(set(factors) - set(spec.factors))
    if unknown:
        raise ValueError(f"architecture {name!r} takes no factor {unknown}; allowed factors: {sorted(spec.factors)}")
    module_name, function_name = spec.builder.split(":")
    builder = getattr(importlib.import_module(module_name), function_name)
    # copied so that no builder can change the catalog's list defaults
    return builder(**copy.deepcopy({**spec.factors, **factors}))


def count_parameters(model) -> int:
    """Trainable parameters, a shared parameter counted once."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)


__all__ = ["ARCHITECTURES", "Architecture", "count_parameters", "create_model", "get_architecture"]
