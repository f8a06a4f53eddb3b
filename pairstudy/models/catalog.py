"""The architecture registry: names, their knobs with defaults, and where each builder lives.

Torch-free on purpose: config validation and `pairstudy grid` read it without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    name: str
    builder: str  # "module:function", imported only when a model is built
    factors: dict  # model knobs the builder takes, with their defaults
    predicts_digits: bool  # forward returns digit logits, so an auxiliary loss applies
    description: str


ARCHITECTURES: dict[str, Architecture] = {}


def register(name: str, builder: str, factors: dict, predicts_digits: bool, description: str) -> None:
    if name in ARCHITECTURES:
        raise ValueError(f"architecture {name!r} is registered twice")
    ARCHITECTURES[name] = Architecture(name, builder, dict(factors), predicts_digits, description)


def get_architecture(name: str) -> Architecture:
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; registered: {sorted(ARCHITECTURES)}") from None


register(
    "mlp", "pairstudy.models.flat:build_mlp",
    {"hidden": [256, 128, 64], "batch_norm": True, "dropout": 0.2},
    predicts_digits=False,
    description="fully connected on the 392 flattened inputs; defaults: the FCN of report 000 (142,786 parameters)",
)
register(
    "cnn", "pairstudy.models.flat:build_cnn",
    {"channels": [32, 64], "hidden": 128, "batch_norm": True, "dropout": 0.2},
    predicts_digits=False,
    description="plain CNN on the 2-channel input (report 000's ConvNet, 52,450 parameters)",
)
register(
    "twin", "pairstudy.models.twin:build_twin",
    {"sharing": True, "channels": [16, 32], "hidden": 32, "batch_norm": True, "dropout": 0.25, "softmax_digits": False},
    predicts_digits=True,
    description="twin net of report 004: LeNet-style tower per digit, head on the 20 digit logits (9,574 / 18,896 parameters)",
)
register(
    "auxnet", "pairstudy.models.twin:build_auxnet",
    {"sharing": True, "channels": [32, 64], "hidden": 128, "head": [128, 32], "dropout": 0.2},
    predicts_digits=True,
    description="AuxNet of report 000: ConvNet digit tower, 128-32-2 head with batch norm (60,396 parameters shared)",
)
register(
    "siamese", "pairstudy.models.twin:build_siamese",
    {"sharing": True, "channels": [32, 64], "hidden": 128, "dropout": 0.3},
    predicts_digits=True,
    description="Siamese net of report 001: conv 32, conv 64, average pooling, tanh, two FC layers to 10 digit logits",
)
register(
    "lenet", "pairstudy.models.towers:build_lenet",
    {"sharing": True, "kernel_size": 5, "batch_norm": True, "dropout": 0.0},
    predicts_digits=True,
    description="report 002's LeNet tower (2 conv + pooling, 3 FC) inside the twin structure",
)
register(
    "resnet", "pairstudy.models.towers:build_resnet",
    {"sharing": True, "blocks": 2, "channels": 16, "kernel_size": 7, "batch_norm": True, "dropout": 0.0},
    predicts_digits=True,
    description="report 002's residual tower (one conv, residual blocks of two convs, FC) inside the twin structure",
)
register(
    "alexnet", "pairstudy.models.towers:build_alexnet",
    {"sharing": True, "dropout": 0.5},
    predicts_digits=True,
    description="a small AlexNet (5 conv, 3 FC) adapted to 14x14, inside the twin structure (report 002 used ~1.8M parameters)",
)
register(
    "linear", "pairstudy.models.towers:build_linear",
    {"sharing": True, "layers": 2, "nodes": 128, "dropout": 0.0},
    predicts_digits=True,
    description="report 002's fully connected tower (layers x nodes) inside the twin structure",
)
