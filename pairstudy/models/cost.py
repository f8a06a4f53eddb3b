"""What a configuration costs to train, in multiply-adds of its convolutions and linear layers.

The workflow starts the costliest training jobs first, so that a machine's last cores are not left waiting on one
long job at the end of a study. Counted by hooks on one small forward pass (torch's own FLOP counter would first
import its compiler, a second or more per workflow start); a ranking, not a time. A count is kept in the user's cache
under the model's code, so a workflow that starts again knows its costs without importing torch.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pairstudy.cache import cache_folder, cached_text
from pairstudy.metrics import canonical_json

from .registry import create_model

BATCH = 4
# forward + backward of a training step, against one forward for an evaluation
TRAINING_PASS = 3


def forward_multiply_adds(architecture: str, knobs: dict, task: str) -> int:
    """Multiply-adds of one example's forward pass through the convolutions and linear layers of the model, on an
    example batch of its task (0 for a task that gives none)."""
    import torch
    from torch import nn

    from pairstudy.tasks import get_task

    counted = []

    def count(module, inputs, output):
        # every output element takes one multiply-add per weight of its output channel (or unit)
        counted.append(output.numel() // BATCH * (module.weight.numel() // module.weight.shape[0]))

    model = create_model(architecture, **knobs).eval()
    layers = [module for module in model.modules() if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))]
    hooks = [layer.register_forward_hook(count) for layer in layers]
    try:
        with torch.no_grad():
            model(get_task(task).example_batch(BATCH)["input"])
    except NotImplementedError:
        return 0
    finally:
        for hook in hooks:
            hook.remove()
    return sum(counted)


def count_path(architecture: str, knobs: dict, task: str, code: str) -> Path:
    key = canonical_json({"architecture": architecture, "knobs": knobs, "task": task, "code": code, "batch": BATCH})
    return cache_folder() / f"cost-{hashlib.sha256(key.encode()).hexdigest()[:16]}.txt"


def stored_count(text: str) -> int:
    count = int(text)
    if count < 0:
        raise ValueError(f"a multiply-add count cannot be negative, got {count}")
    return count


def cached_forward_multiply_adds(architecture: str, knobs: dict, task: str, code: str) -> int:
    """`forward_multiply_adds`, counted once per model code (`code`: the provenance's training code of the
    architecture, which changes with the package or the user's model or task file) and then read from the cache."""
    path = count_path(architecture, knobs, task, code)
    return cached_text(path, lambda: str(forward_multiply_adds(architecture, knobs, task)), stored_count)


def training_multiply_adds(architecture: str, hyperparameters: dict, seeds: int, code: str) -> int:
    """Multiply-adds to train `seeds` runs of one configuration, with its per-epoch evaluations."""
    from pairstudy.tasks import get_task

    sizes = get_task(hyperparameters["task"])(hyperparameters).sizes()
    examples = TRAINING_PASS * sizes["train"] + sizes["test"] + sizes["validation"]
    if hyperparameters["train_metrics"] == "eval":
        examples += sizes["train"]
    task = hyperparameters["task"]
    per_example = cached_forward_multiply_adds(architecture, hyperparameters["model"], task, code)
    return per_example * examples * hyperparameters["epochs"] * seeds
