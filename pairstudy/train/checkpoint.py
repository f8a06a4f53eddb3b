"""Checkpoints of training in progress: plain tensors, dicts, lists and numbers only, loaded without running code.

A checkpoint names what it belongs to (`owner`: hyperparameter hash and seeds). One that belongs to
something else is ignored; one that cannot be loaded is moved aside to `<name>.corrupt` and named in the
log, so training starts over instead of failing the same way on every attempt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch

from pairstudy.atomic import write_atomically


def save_checkpoint(path: str | Path, owner: dict, state: dict) -> None:
    """Write atomically, so a kill during the write leaves the previous checkpoint intact."""
    write_atomically(path, lambda temporary: torch.save({"owner": owner, "state": state}, temporary))


def load_checkpoint(path: str | Path | None, owner: dict, log: Callable[[str], None] = print) -> dict | None:
    """The state saved for `owner` at `path`, or None when there is none to resume from."""
    if path is None or not Path(path).exists():
        return None
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        found, state = saved["owner"], saved["state"]
    except Exception as error:  # anything unreadable: truncated, foreign, or holding more than plain data
        set_aside(path, f"could not be loaded ({type(error).__name__}: {error})", log)
        return None
    if found != owner:
        log(f"checkpoint {path} belongs to {found}, not {owner}; starting over")
        return None
    return state


class StartOver(Exception):
    """A checkpoint that does not fit what it is resumed into was set aside: train again from the start."""


def resume(checkpoint, every: int, owner: dict, restore: Callable[[dict], object], what: str, log=print):
    """What `restore` makes of `owner`'s checkpoint, None when there is none to resume from (or `every` is 0).

    A checkpoint that `restore` cannot put back (saved by other code for the same run) is set aside, since resuming
    it would fail every attempt, and StartOver is raised: the caller builds everything again and starts over.
    """
    state = load_checkpoint(checkpoint, owner, log) if every > 0 else None
    if state is None:
        return None
    try:
        return restore(state)
    except Exception as error:
        set_aside(checkpoint, f"does not fit {what} ({type(error).__name__}: {error})", log)
        raise StartOver from error


def checkpoint_due(checkpoint, every: int, epoch: int, epochs: int) -> bool:
    """Whether a checkpoint is saved after `epoch`: every `every` epochs, never after the last."""
    return checkpoint is not None and every > 0 and epoch % every == 0 and epoch < epochs


def set_aside(path: str | Path, reason: str, log: Callable[[str], None] = print) -> None:
    """Move a checkpoint that cannot be resumed to `<path>.corrupt`, saying why, so training starts over."""
    aside = Path(f"{path}.corrupt")
    os.replace(path, aside)
    log(f"checkpoint {path} {reason}; moved to {aside}, starting over")


def remove_checkpoint(path: str | Path | None) -> None:
    if path is not None:
        Path(path).unlink(missing_ok=True)


def rng_state() -> dict:
    """The global CPU (and CUDA) random states, which dropout draws from."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def restore_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
