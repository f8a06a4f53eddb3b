"""Choosing the device a run trains on."""

from __future__ import annotations

import torch


def requested_device(requested: str = "auto") -> torch.device:
    """'auto' -> the first GPU when one is usable, else the CPU; others as named, unchecked."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(requested)


def resolve_device(requested: str = "auto") -> torch.device:
    """The requested device; 'cuda' without a GPU is an error."""
    device = requested_device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device {requested!r} was asked for but torch sees no CUDA GPU (torch {torch.__version__}); use device: auto or cpu"
        )
    return device


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)
