"""The device a run trains on: 'auto' is decided here, on the host that trains, and nowhere else."""

from __future__ import annotations

import torch


def resolve_device(requested: str = "auto") -> torch.device:
    """'auto' -> the first GPU when torch sees one, else the CPU; 'cuda' without a GPU is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(requested)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device {requested!r} was asked for but torch sees no CUDA GPU on this host "
                f"(torch {torch.__version__}, built for CUDA: {'yes' if torch.version.cuda else 'no'}); "
                "use device: auto or cpu"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(f"device {requested!r}: this host has {torch.cuda.device_count()} GPU(s)")
    return device


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)
