"""Checkpoints of a run in progress: model, optimiser, schedule, RNG states and rows so far."""

from __future__ import annotations

from pathlib import Path

import torch

from pairstudy.metrics import hyperparameter_hash, write_atomically


def save_checkpoint(path, model, optimizer, scheduler, order_generator, rows, hyperparameters, seed) -> None:
    """Write atomically, so a kill during the write leaves the previous checkpoint intact."""
    path = Path(path)
    state = {
        "config_hash": hyperparameter_hash(hyperparameters),
        "seed": seed,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "order_generator": order_generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "rows": rows,
    }
    write_atomically(path, lambda temporary: torch.save(state, temporary))


def load_checkpoint(path, model, optimizer, scheduler, order_generator, hyperparameters, seed) -> list[dict]:
    """Restore the state saved by `save_checkpoint` and return the rows recorded so far.

    A checkpoint of other hyperparameters or another seed is ignored (and removed).
    """
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["config_hash"] != hyperparameter_hash(hyperparameters) or state["seed"] != seed:
        remove_checkpoint(path)
        return []
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    order_generator.set_state(state["order_generator"])
    torch.set_rng_state(state["torch_rng"])
    if state["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return state["rows"]


def remove_checkpoint(path) -> None:
    if path is not None:
        Path(path).unlink(missing_ok=True)
