"""Classifiers of one 1 x 14 x 14 image (the digits task): forward(x) -> class logits (N, classes)."""

from __future__ import annotations

from torch import nn

from .flat import conv_stack


def build_image_mlp(hidden, batch_norm, dropout, classes) -> nn.Module:
    """Linear -> [BatchNorm] -> ReLU -> [Dropout] per hidden width, then Linear to the classes."""
    layers: list[nn.Module] = [nn.Flatten()]
    width = 14 * 14
    for size in hidden:
        layers.append(nn.Linear(width, size))
        if batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(nn.ReLU())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def build_image_cnn(channels, hidden, batch_norm, dropout, classes) -> nn.Module:
    """1 or 2 conv blocks (conv_stack), a hidden layer, class logits."""
    features, width = conv_stack(1, channels, batch_norm, dropout)
    return nn.Sequential(features, nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, classes))
