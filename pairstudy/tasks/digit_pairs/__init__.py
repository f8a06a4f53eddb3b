"""The digit-pair task, the default: two 14x14 digits as a 2-channel image; the target is 1 when the first digit's
class is <= the second's. Models return (comparison logits N x 2, digit logits N x 2 x 10 or None); with `aux`
the digit logits are trained too, by the auxiliary digit-class losses."""

from __future__ import annotations

from typing import Literal

from pairstudy.data.sources import SOURCES

from ..base import Splits, Task
from ..metrics import Metric
from ..registry import register_task


@register_task("digit_pairs")
class DigitPairs(Task):
    metrics = (
        Metric("accuracy", "higher", "fraction", "accuracy", "share of pairs whose comparison is predicted right"),
        Metric("comparison_loss", "lower", "number", "comparison loss", "cross-entropy of the comparison"),
        Metric(
            "digit_accuracy",
            "higher",
            "fraction",
            "digit accuracy",
            "share of both digits' classes read right, where the auxiliary digit losses train the digit outputs",
            splits=("test",),
        ),
    )
    headline = "accuracy"
    target = "two 14x14 MNIST digits side by side; the target is 1 when the first digit is <= the second"
    uses_training_keys = ("aux", "aux_weight", "augment_swap", "augment_shift", "repair_pairs")

    @staticmethod
    def data_settings(
        source: Literal[SOURCES] = "mnist5k",
        root: str = "",
        n_pairs: int = 1000,
        normalize: bool = True,
        validation_pairs: int = 0,
        normalize_by: Literal["train_set", "each_set"] = "train_set",
    ):
        """source: where the digits come from; root: its folder or file (idx, npz, torchvision download);
        n_pairs: train and test pairs each; normalize: standardise the inputs, with the statistics normalize_by
        names: the train set's mean and std for every set (train_set), or each set's own mean and std (each_set, as
        report 000's code normalises its train and test sets separately); validation_pairs: extra pairs from
        train-pool digits no training pair uses, evaluated every epoch (for choosing an epoch)."""

    @classmethod
    def has_aux_terms(cls, architecture) -> bool:
        """The digit losses need digit outputs."""
        return architecture.predicts_digits

    @classmethod
    def settings_problem(cls, settings: dict) -> str | None:
        if settings["model"].get("comparator") == "digits" and not settings.get("aux"):
            return (
                "reads the comparison off the predicted digits (comparator: digits), so it learns only through the "
                "digit losses: set aux: true (and aux_weight: 0.0 to train on them alone)"
            )
        return None

    @classmethod
    def check_data(cls, data: dict) -> None:
        from pairstudy.data import check_pairs_fit
        from pairstudy.data.sources import check_source

        if data["n_pairs"] < 1 or data["validation_pairs"] < 0:
            raise ValueError("n_pairs must be at least 1 and validation_pairs at least 0")
        if data["normalize_by"] != "train_set" and not data["normalize"]:
            raise ValueError(f"normalize_by {data['normalize_by']!r} needs normalize: true (it says whose statistics)")
        check_source(data["source"], data["root"] or None)
        check_pairs_fit(data["source"], data["root"] or None, data["n_pairs"], data["validation_pairs"])

    def sizes(self) -> dict[str, int]:
        return {
            "train": self.data["n_pairs"],
            "validation": self.data["validation_pairs"],
            "test": self.data["n_pairs"],
        }

    def load(self, seed: int, device) -> Splits:
        from pairstudy.data import generate_pair_sets, load_pools

        data = self.data
        pools = load_pools(data["source"], data["root"] or None)
        pairs = generate_pair_sets(
            data["n_pairs"],
            seed,
            pools,
            normalize=data["normalize"],
            validation=data["validation_pairs"],
            normalize_by=data["normalize_by"],
        )

        def tensors(split):
            if split is None:
                return None
            return {name: getattr(split, name).to(device) for name in ("input", "target", "classes")}

        info = {"mean": pairs.mean, "std": pairs.std, "statistics": pairs.statistics}
        return Splits(tensors(pairs.train), tensors(pairs.test), tensors(pairs.validation), info)

    def aux_weight(self):
        """alpha of the objective, or None when the configuration trains without the digit losses."""
        return self.settings["aux_weight"] if self.settings.get("aux") else None

    def objective(self, outputs, batch: dict, aux_weight=None):
        """alpha * comparison loss + (1 - alpha) / 2 * (digit loss 1 + digit loss 2); the comparison loss alone
        without aux (alpha may be a per-member tensor in a vectorised stack)."""
        import torch.nn.functional as F

        comparison_logits, digit_logits = outputs
        target_loss = F.cross_entropy(comparison_logits, batch["target"])
        if aux_weight is None:
            return target_loss
        classes = batch["classes"]
        aux1 = F.cross_entropy(digit_logits[:, 0], classes[:, 0])
        aux2 = F.cross_entropy(digit_logits[:, 1], classes[:, 1])
        return aux_weight * target_loss + (1 - aux_weight) / 2 * (aux1 + aux2)

    def measure(self, outputs, batch: dict) -> dict:
        import torch.nn.functional as F

        comparison_logits, digit_logits = outputs
        target = batch["target"]
        return {
            "accuracy": (comparison_logits.argmax(-1) == target).double(),
            "comparison_loss": F.cross_entropy(comparison_logits, target, reduction="none"),
            "digit_accuracy": (digit_logits.argmax(-1) == batch["classes"]).double().mean(-1)
            if digit_logits is not None
            else None,
        }

    def reports(self, metric: str) -> bool:
        """Digit accuracy only where the digit losses train the digit outputs: an untrained head's means nothing."""
        return metric != "digit_accuracy" or bool(self.settings.get("aux"))

    @property
    def augments(self) -> bool:
        from .augment import uses_augmentation

        return uses_augmentation(self.settings)

    def epoch_train_set(self, train: dict, generator) -> dict:
        if not self.settings["repair_pairs"]:
            return train
        from .augment import repaired

        return repaired(train, generator)

    def augment(self, batch: dict, generator) -> dict:
        if not (self.settings["augment_swap"] or self.settings["augment_shift"]):
            return batch
        from .augment import augment_batch

        return augment_batch(batch, self.settings, generator)

    def shown(self, tensors: dict, info: dict, count: int) -> list[dict]:
        from .examples import shown_pairs

        return shown_pairs(tensors, info, count)

    @classmethod
    def example_batch(cls, size: int) -> dict:
        import torch

        classes = torch.arange(2 * size).view(size, 2) % 10
        return {
            "input": torch.randn(size, 2, 14, 14),
            "target": (classes[:, 0] <= classes[:, 1]).long(),
            "classes": classes,
        }

    def examples(self, outputs, test: dict, info: dict, limit: int) -> list[dict]:
        from .examples import misclassified_pairs

        return misclassified_pairs(test, info, outputs, limit)
