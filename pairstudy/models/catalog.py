"""The architecture registry: names, their knobs with defaults, and where each builder lives.

Torch-free on purpose: config validation and `pairstudy grid` read it without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Architecture:
    name: str
    builder: str  # "module:function", imported only when a model is built
    factors: dict[str, object]  # model knobs the builder takes, with their defaults (JSON values)
    predicts_digits: bool  # forward returns digit logits, so an auxiliary loss applies
    description: str


ARCHITECTURES: dict[str, Architecture] = {}


def register(name: str, builder: str, factors: dict, predicts_digits: bool, description: str) -> Architecture:
    """Add an architecture to the registry; a name registered twice is an error."""
    if name in ARCHITECTURES:
        raise ValueError(f"architecture {name!r} is registered twice")
    ARCHITECTURES[name] = Architecture(name, builder, dict(factors), predicts_digits, description)
    return ARCHITECTURES[name]


def get_architecture(name: str) -> Architecture:
    """The registered architecture `name`; an unknown name is refused with the known ones."""
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; registered: {sorted(ARCHITECTURES)}") from None


# Single-stream models: the two digits enter as two channels of one network.
register(
    "mlp",
    "pairstudy.models.flat:build_mlp",
    {"hidden": [256, 128, 64], "batch_norm": True, "dropout": 0.2, "init": "torch"},
    predicts_digits=False,
    description="fully connected on the 392 flattened inputs; defaults: report 000's FCN (142,786 parameters)",
)
register(
    "cnn",
    "pairstudy.models.flat:build_cnn",
    {"channels": [32, 64], "hidden": 128, "batch_norm": True, "dropout": 0.2, "init": "torch"},
    predicts_digits=False,
    description="plain CNN on the 2-channel input: report 000's ConvNet (52,450 parameters)",
)

# Two-tower models: each digit goes through a tower to 10 digit logits, a head compares them.
register(
    "twin",
    "pairstudy.models.twin:build_twin",
    {"sharing": True, "channels": [16, 32], "hidden": 32, "batch_norm": True, "dropout": 0.25, "comparator": "logits"},
    predicts_digits=True,
    description="report 004's TwinNet: LeNet-style tower, head on the 20 digit logits (9,574 parameters shared, 18,896 not)",
)
register(
    "auxnet",
    "pairstudy.models.twin:build_auxnet",
    {
        "sharing": True,
        "channels": [32, 64],
        "hidden": 128,
        "head": [128, 32],
        "dropout": 0.2,
        "init": "torch",
        "comparator": "softmax",
    },
    predicts_digits=True,
    description="report 000's AuxNet: its ConvNet as digit tower, 128-32-2 head on the digit probabilities (60,396 parameters shared); comparator as for twin",
)
register(
    "siamese",
    "pairstudy.models.twin:build_siamese",
    {"sharing": True, "channels": [32, 64], "hidden": 128, "head": 32, "dropout": 0.3},
    predicts_digits=True,
    description="report 001's Siamese net: conv 32 and 64 (3x3, tanh, average pooling), dropout, two FC layers to 10 digit logits",
)
register(
    "lenet",
    "pairstudy.models.towers:build_lenet",
    {"sharing": True, "kernel_size": 5, "batch_norm": True, "dropout": 0.0},
    predicts_digits=True,
    description="report 002's LeNet tower (conv 6 and 16, pooling, FC 120-84-10) in the twin structure",
)
register(
    "resnet",
    "pairstudy.models.towers:build_resnet",
    {"sharing": True, "blocks": 2, "channels": 16, "kernel_size": 7, "batch_norm": True, "dropout": 0.0},
    predicts_digits=True,
    description="report 002's residual tower (one conv, blocks of two convs with a skip, FC) in the twin structure",
)
register(
    "alexnet",
    "pairstudy.models.towers:build_alexnet",
    {"sharing": True, "dropout": 0.5},
    predicts_digits=True,
    description="report 002's AlexNet tower (5 conv, 3 FC) shrunk for 14x14: ~0.3M parameters where the report had ~1.8M",
)
register(
    "linear",
    "pairstudy.models.towers:build_linear",
    {"sharing": True, "layers": 2, "nodes": 128, "dropout": 0.0},
    predicts_digits=True,
    description="report 002's fully connected tower (layers x nodes, ReLU) in the twin structure",
)
