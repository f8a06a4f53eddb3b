"""The package's own architectures, registered like any user's: each builder's parameters are its knobs.

Torch-free on purpose: the builders import their torch code when called, so reading the registry stays fast.
"""

# ruff: noqa: B006  (knob defaults are copied on every build, so list defaults are never shared or changed)

from __future__ import annotations

from typing import Literal

from .registry import register_model

# Single-stream models: the two digits enter as two channels of one network.


@register_model("mlp", predicts_digits=False)
def mlp(
    hidden: list[int] = [256, 128, 64],
    batch_norm: bool = True,
    dropout: float = 0.2,
    init: Literal["torch", "xavier"] = "torch",
    output: Literal["logits", "probabilities"] = "logits",
):
    """fully connected on the 392 flattened inputs; defaults: report 000's FCN (142,786 parameters)

    output: "probabilities" ends the network in a softmax, whose probabilities the task's cross-entropy then reads
    as logits (a second softmax), as report 000's code trains it; "logits" feeds the cross-entropy logits.
    """
    from .flat import build_mlp

    return build_mlp(hidden, batch_norm, dropout, init, output)


@register_model("cnn", predicts_digits=False)
def cnn(
    channels: list[int] = [32, 64],
    hidden: int = 128,
    batch_norm: bool = True,
    dropout: float = 0.2,
    init: Literal["torch", "xavier"] = "torch",
    output: Literal["logits", "probabilities"] = "logits",
):
    """plain CNN on the 2-channel input: report 000's ConvNet (52,450 parameters)

    output as for mlp ("probabilities": a softmax the cross-entropy reads as logits, as report 000's code).
    """
    from .flat import build_cnn

    return build_cnn(channels, hidden, batch_norm, dropout, init, output)


# Two-tower models: each digit goes through a tower to 10 digit logits, a head compares them.


@register_model("twin", predicts_digits=True)
def twin(
    sharing: bool = True,
    channels: list[int] = [16, 32],
    hidden: int = 32,
    batch_norm: bool = True,
    dropout: float = 0.25,
    activation: Literal["none", "relu"] = "none",
    comparator: Literal["logits", "softmax", "probability", "digits"] = "logits",
):
    """report 004's TwinNet: LeNet-style tower, head on the 20 digit logits (9,574 parameters shared, 18,896 not)

    activation: "relu" after the tower's hidden layer (the report has none). comparator: the head reads the digit
    logits ("logits") or probabilities ("softmax"); "probability" has no head and gives the exact probability that
    the first digit is <= the second; "digits" has no head and reads the order off the two predicted digits, with
    no gradient, so such a model learns only through its digit losses.
    """
    from .twin import build_twin

    return build_twin(sharing, channels, hidden, batch_norm, dropout, activation, comparator)


@register_model("auxnet", predicts_digits=True)
def auxnet(
    sharing: bool = True,
    channels: list[int] = [32, 64],
    hidden: int = 128,
    head: list[int] = [128, 32],
    dropout: float = 0.2,
    init: Literal["torch", "xavier"] = "torch",
    comparator: Literal["logits", "softmax", "probability", "digits"] = "softmax",
    output: Literal["logits", "probabilities"] = "logits",
):
    """report 000's AuxNet: its ConvNet as digit tower, 128-32-2 head on the digit probabilities (60,396 shared)

    comparator as for twin ("digits": no head, no gradient through the comparison, trained by the digit losses).
    output: "probabilities" ends the comparison and both digit outputs in a softmax, whose probabilities the
    cross-entropies then read as logits (a second softmax), as report 000's code trains it; the head still reads
    the digit probabilities once. "logits" feeds the cross-entropies logits.
    """
    from .twin import build_auxnet

    return build_auxnet(sharing, channels, hidden, head, dropout, init, comparator, output)


@register_model("siamese", predicts_digits=True)
def siamese(
    sharing: bool = True,
    channels: list[int] = [32, 64],
    hidden: int = 128,
    head: int = 32,
    dropout: float = 0.3,
):
    """report 001's Siamese net: conv 32, 64 (3x3, tanh, average pooling), dropout, two FC to 10 digit logits"""
    from .twin import build_siamese

    return build_siamese(sharing, channels, hidden, head, dropout)


# Report 002's towers. comparator "logits" learns the comparison in a head; "digits" reads it off the two predicted
# digits as the report does, with no head and no gradient, so such a model learns only through its digit losses.


@register_model("lenet", predicts_digits=True)
def lenet(
    sharing: bool = True,
    kernel_size: Literal[3, 5, 7] = 5,
    batch_norm: bool = True,
    dropout: float = 0.0,
    comparator: Literal["logits", "digits"] = "logits",
):
    """report 002's LeNet tower (conv 6 and 16, pooling, FC 120-84-10) in the twin structure"""
    from .towers import build_lenet

    return build_lenet(sharing, kernel_size, batch_norm, dropout, comparator)


@register_model("resnet", predicts_digits=True)
def resnet(
    sharing: bool = True,
    blocks: int = 2,
    channels: int = 16,
    kernel_size: int = 7,
    batch_norm: bool = True,
    dropout: float = 0.0,
    comparator: Literal["logits", "digits"] = "logits",
):
    """report 002's residual tower (one conv, blocks of two convs with a skip, FC) in the twin structure"""
    from .towers import build_resnet

    return build_resnet(sharing, blocks, channels, kernel_size, batch_norm, dropout, comparator)


@register_model("alexnet", predicts_digits=True)
def alexnet(
    sharing: bool = True,
    dropout: float = 0.5,
    comparator: Literal["logits", "digits"] = "logits",
):
    """report 002's AlexNet tower (5 conv, 3 FC) shrunk for 14x14: ~0.3M parameters where the report had ~1.8M"""
    from .towers import build_alexnet

    return build_alexnet(sharing, dropout, comparator)


@register_model("linear", predicts_digits=True)
def linear(
    sharing: bool = True,
    layers: int = 2,
    nodes: int = 128,
    dropout: float = 0.0,
    comparator: Literal["logits", "digits"] = "logits",
):
    """report 002's fully connected tower (layers x nodes, ReLU) in the twin structure"""
    from .towers import build_linear

    return build_linear(sharing, layers, nodes, dropout, comparator)


# Single-image classifiers (task digits): one 1 x 14 x 14 image -> class logits.


@register_model("image_mlp", tasks=("digits",))
def image_mlp(hidden: list[int] = [128], batch_norm: bool = False, dropout: float = 0.0, classes: int = 10):
    """fully connected on the 196 flattened pixels of one image, to class logits"""
    from .classifiers import build_image_mlp

    return build_image_mlp(hidden, batch_norm, dropout, classes)


@register_model("image_cnn", tasks=("digits",))
def image_cnn(
    channels: list[int] = [16, 32], hidden: int = 64, batch_norm: bool = False, dropout: float = 0.0, classes: int = 10
):
    """small CNN on one image: 3x3 conv blocks with max-pooling, a hidden layer, class logits"""
    from .classifiers import build_image_cnn

    return build_image_cnn(channels, hidden, batch_norm, dropout, classes)
