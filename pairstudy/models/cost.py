"""What a configuration costs to train, in multiply-adds of its convolutions and linear layers.

The workflow starts the costliest training jobs first, so that a machine's last cores are not left waiting on one
long job at the end of a study. Counted by hooks on one small forward pass (torch's own FLOP counter would first
import its compiler, a second or more per workflow start); a ranking, not a time.
"""

from __future__ import annotations

from .registry import create_model

BATCH = 4
# forward + backward of a training step, against one forward for an evaluation
TRAINING_PASS = 3


def forward_multiply_adds(architecture: str, knobs: dict) -> int:
    """Multiply-adds of one pair's forward pass through the convolutions and linear layers of the model."""
    import torch
    from torch import nn

    counted = []

    def count(module, inputs, output):
        # every output element takes one multiply-add per weight of its output channel (or unit)
        counted.append(output.numel() // BATCH * (module.weight.numel() // module.weight.shape[0]))

    model = create_model(architecture, **knobs).eval()
    layers = [module for module in model.modules() if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))]
    hooks = [layer.register_forward_hook(count) for layer in layers]
    try:
        with torch.no_grad():
            model(torch.zeros(BATCH, 2, 14, 14))
    finally:
        for hook in hooks:
            hook.remove()
    return sum(counted)


def training_multiply_adds(architecture: str, hyperparameters: dict, seeds: int) -> int:
    """Multiply-adds to train `seeds` runs of one configuration, with its per-epoch evaluations."""
    data = hyperparameters["data"]
    pairs = TRAINING_PASS * data["n_pairs"] + data["n_pairs"] + data["validation_pairs"]
    if hyperparameters["train_metrics"] == "eval":
        pairs += data["n_pairs"]
    return forward_multiply_adds(architecture, hyperparameters["model"]) * pairs * hyperparameters["epochs"] * seeds
