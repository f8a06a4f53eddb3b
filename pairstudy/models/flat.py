"""Single-stream models on the whole 2 x 14 x 14 input (no digit outputs), and report 000's shared pieces."""

from __future__ import annotations

import torch
from torch import nn

INITS = ("torch", "xavier")
OUTPUTS = ("logits", "probabilities")


def check_output(output: str) -> str:
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {list(OUTPUTS)}, got {output!r}")
    return output


def as_output(scores: torch.Tensor, output: str) -> torch.Tensor:
    """Scores over the last dimension as the model returns them: unchanged ("logits"), or their softmax
    ("probabilities": report 000's code ends every network so and feeds the result to a cross-entropy, which
    applies its own log-softmax on top)."""
    return scores.softmax(-1) if output == "probabilities" else scores


class SingleStream(nn.Module):
    """Wraps a network mapping the pair to 2 comparison logits into the (comparison, digits) contract."""

    predicts_digits = False

    def __init__(self, network: nn.Module, output: str = "logits"):
        super().__init__()
        self.network = network
        self.output = check_output(output)

    def forward(self, x: torch.Tensor):
        return as_output(self.network(x), self.output), None


def initialise(model: nn.Module, init: str) -> nn.Module:
    """'torch' keeps PyTorch's default init; 'xavier' redraws every conv and linear weight (report 000)."""
    if init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}, got {init!r}")
    if init == "xavier":
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
    return model


def mlp(width: int, hidden, batch_norm: bool, dropout: float, outputs: int) -> nn.Sequential:
    """Flatten, then Linear -> [BatchNorm] -> ReLU -> [Dropout] per hidden width, then Linear to `outputs`."""
    layers: list[nn.Module] = [nn.Flatten()]
    for size in hidden:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


def build_mlp(hidden, batch_norm, dropout, init, output="logits") -> nn.Module:
    """The MLP on the flattened 2 x 14 x 14 pair, to 2 comparison logits (or their softmax, see as_output)."""
    return initialise(SingleStream(mlp(2 * 14 * 14, hidden, batch_norm, dropout, 2), output), init)


def conv_stack(in_channels: int, channels, batch_norm: bool, dropout: float) -> tuple[nn.Sequential, int]:
    """3x3 conv -> ReLU -> 2x2 max-pool -> [BatchNorm] -> [Dropout] per channel count; returns it and its flat width."""
    layers: list[nn.Module] = []
    size = 14
    for out_channels in channels:
        layers += [nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(), nn.MaxPool2d(2)]
        if batch_norm:
            layers.append(nn.BatchNorm2d(out_channels))
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        in_channels, size = out_channels, (size - 2) // 2
    if size < 1:
        raise ValueError(f"{len(channels)} conv blocks shrink a 14x14 input to nothing; use at most 2")
    return nn.Sequential(*layers, nn.Flatten()), in_channels * size * size


def build_cnn(channels, hidden, batch_norm, dropout, init, output="logits") -> nn.Module:
    """Report 000's ConvNet on the 2-channel input: 1 or 2 conv blocks, FC hidden, FC 2 (see as_output)."""
    features, width = conv_stack(2, channels, batch_norm, dropout)
    network = nn.Sequential(features, nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, 2))
    return initialise(SingleStream(network, output), init)
