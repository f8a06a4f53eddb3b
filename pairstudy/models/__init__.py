"""The model registry: `create_model(name, **factors)` builds any registered architecture."""

from __future__ import annotations

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
    model = builder(**{**spec.factors, **factors})
    model.predicts_digits = spec.predicts_digits
    return model


def count_parameters(model) -> int:
    """Trainable parameters, a shared parameter counted once."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)


__all__ = ["ARCHITECTURES", "Architecture", "count_parameters", "create_model", "get_architecture"]
