"""Run identity helpers shared by every writer of run files."""

from __future__ import annotations

import hashlib
import json


def canonical_json(value) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def dotted_keys(mapping: dict, prefix: str = "") -> dict:
    """A nested dict as one level, nested keys joined by dots: {"model": {"dropout": 0.2}} -> {"model.dropout": 0.2}."""
    flat = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            flat.update(dotted_keys(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def hyperparameter_hash(hyperparameters: dict) -> str:
    """A short stable hash of a resolved hyperparameter dict."""
    return hashlib.sha256(canonical_json(hyperparameters).encode()).hexdigest()[:16]


def run_key(hyperparameters: dict, code: str) -> str:
    """The key a finished run is kept under: its hyperparameters and the code that trains them."""
    return hashlib.sha256(f"{canonical_json(hyperparameters)}\n{code}".encode()).hexdigest()[:16]
