"""Train one configuration for one seed: the plain loop.

`hyperparameters` is the run's resolved dict (see `REQUIRED_KEYS`); the loop reads
nothing else. Each epoch trains on shuffled batches, then evaluates the train and
test pairs in eval mode and records one row of `EPOCH_COLUMNS`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from pairstudy.data import PairSet, generate_pair_sets, load_pools
from pairstudy.metrics import EPOCH_COLUMNS, epoch_row
from pairstudy.models import count_parameters, create_model, get_architecture

from .augment import augment_batch, repaired, uses_augmentation
from .checkpoint import load_checkpoint, save_checkpoint
from .device import device_name, resolve_device
from .errors import misclassified_pairs

REQUIRED_KEYS = (
    "architecture",
    "model",
    "aux",
    "aux_weight",
    "optimizer",
    "lr",
    "weight_decay",
    "momentum",
    "lr_step",
    "lr_gamma",
    "batch_size",
    "epochs",
    "data",
)


@dataclass
class RunResult:
    rows: list[dict]
    status: str  # "ok" or "diverged"
    device: str
    parameter_count: int
    resumed_from_epoch: int = 0
    message: str = ""
    misclassified: list = field(default_factory=list)  # wrongly compared test pairs after the last epoch

    def summary(self) -> str:
        if self.status == "failed":
            return f"failed: {self.message}"
        seconds = sum(row["epoch_seconds"] for row in self.rows)
        resumed = f" (resumed from epoch {self.resumed_from_epoch})" if self.resumed_from_epoch else ""
        return f"{self.status} on {self.device}, final test accuracy {self.rows[-1]['test_accuracy']:.4f}, {seconds:.1f} s{resumed}"


def failed_result(error: BaseException, device: str = "unknown") -> RunResult:
    """A run that raised: one row at epoch 0 with no metrics, and the error as its message."""
    row = {name: None for name in EPOCH_COLUMNS} | {"epoch": 0}
    return RunResult([row], "failed", device, None, message=f"{type(error).__name__}: {error}")


def check_hyperparameters(hyperparameters: dict) -> None:
    missing = [key for key in REQUIRED_KEYS if key not in hyperparameters]
    if missing:
        raise ValueError(f"hyperparameters lack {missing}; a run needs {list(REQUIRED_KEYS)}")


def uses_aux_loss(hyperparameters: dict) -> bool:
    return bool(hyperparameters["aux"]) and get_architecture(hyperparameters["architecture"]).predicts_digits


def objective(comparison_logits, digit_logits, target, classes, aux: bool, aux_weight: float):
    """alpha * target_loss + (1 - alpha) / 2 * (aux1 + aux2); alpha = 1 without aux."""
    target_loss = F.cross_entropy(comparison_logits, target)
    if not aux:
        return target_loss
    aux1 = F.cross_entropy(digit_logits[:, 0], classes[:, 0])
    aux2 = F.cross_entropy(digit_logits[:, 1], classes[:, 1])
    return aux_weight * target_loss + (1 - aux_weight) / 2 * (aux1 + aux2)


def make_optimizer(parameters, hyperparameters: dict) -> torch.optim.Optimizer:
    name = hyperparameters["optimizer"]
    if name == "adam":
        return torch.optim.Adam(parameters, lr=hyperparameters["lr"], weight_decay=hyperparameters["weight_decay"])
    if name == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=hyperparameters["lr"],
            momentum=hyperparameters["momentum"],
            weight_decay=hyperparameters["weight_decay"],
        )
    raise ValueError(f"optimizer {name!r} is not one of 'adam', 'sgd'")


def make_scheduler(optimizer, hyperparameters: dict):
    if hyperparameters["lr_step"] and hyperparameters["lr_step"] > 0:
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=hyperparameters["lr_step"], gamma=hyperparameters["lr_gamma"]
        )
    return None


@torch.no_grad()
def evaluate(model, pairs: PairSet) -> dict:
    """Comparison loss/accuracy and digit accuracy on a whole pair set, in eval mode, and the logits."""
    was_training = model.training
    model.eval()
    comparison_logits, digit_logits = model(pairs.input)
    model.train(was_training)
    result = {
        "loss": F.cross_entropy(comparison_logits, pairs.target).item(),
        "accuracy": (comparison_logits.argmax(1) == pairs.target).float().mean().item(),
        "digit_accuracy": None,
        "logits": (comparison_logits, digit_logits),
    }
    if digit_logits is not None:
        result["digit_accuracy"] = (digit_logits.argmax(2) == pairs.classes).float().mean().item()
    return result


def load_pairs(hyperparameters: dict, seed: int, device: torch.device):
    data = hyperparameters["data"]
    pools = load_pools(data["source"], data.get("root"))
    pairs = generate_pair_sets(
        data["n_pairs"], seed, pools, normalize=data.get("normalize", True), validation=data.get("validation_pairs", 0)
    )
    for split in (pairs.train, pairs.test, pairs.validation):
        if split is not None:
            split.input, split.target, split.classes = (
                t.to(device) for t in (split.input, split.target, split.classes)
            )
    return pairs


def train_run(
    hyperparameters: dict,
    seed: int,
    *,
    device: str = "auto",
    on_epoch: Callable[[dict], None] | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_every: int = 0,
    checkpoint_final: bool = False,
) -> RunResult:
    """Train one configuration for one seed and return its per-epoch rows.

    With `checkpoint_path` and `checkpoint_every` > 0 the full state is saved every
    that many epochs, and an existing checkpoint is resumed instead of starting over.
    `checkpoint_final` also saves the finished run, so resuming it trains nothing.
    """
    check_hyperparameters(hyperparameters)
    torch_device = resolve_device(device)
    torch.manual_seed(seed)
    pairs = load_pairs(hyperparameters, seed, torch_device)
    model = create_model(hyperparameters["architecture"], **hyperparameters["model"]).to(torch_device)
    optimizer = make_optimizer(model.parameters(), hyperparameters)
    scheduler = make_scheduler(optimizer, hyperparameters)
    order_generator = torch.Generator().manual_seed(seed)
    aux = uses_aux_loss(hyperparameters)
    augmented = uses_augmentation(hyperparameters)
    n_train, batch_size = len(pairs.train.target), hyperparameters["batch_size"]

    rows: list[dict] = []
    start_epoch = 1
    if checkpoint_path is not None and Path(checkpoint_path).exists():
        rows = load_checkpoint(checkpoint_path, model, optimizer, scheduler, order_generator, hyperparameters, seed)
        start_epoch = len(rows) + 1
    resumed_from = start_epoch - 1

    status = "ok"
    test_eval = None  # stays None when a finished run's checkpoint is resumed
    for epoch in range(start_epoch, hyperparameters["epochs"] + 1):
        started = time.perf_counter()
        learning_rate = optimizer.param_groups[0]["lr"]
        model.train()
        epoch_pairs = repaired(pairs.train, order_generator) if hyperparameters.get("repair_pairs") else pairs.train
        order = torch.randperm(n_train, generator=order_generator).to(torch_device)
        loss_sum = torch.zeros((), device=torch_device)
        n_batches = 0
        for first in range(0, n_train, batch_size):
            batch = order[first : first + batch_size]
            x, target, classes = epoch_pairs.input[batch], epoch_pairs.target[batch], epoch_pairs.classes[batch]
            if augmented:
                x, target, classes = augment_batch(x, classes, hyperparameters, order_generator)
            comparison_logits, digit_logits = model(x)
            loss = objective(comparison_logits, digit_logits, target, classes, aux, hyperparameters["aux_weight"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            n_batches += 1
        if scheduler is not None:
            scheduler.step()
        train_loss = (loss_sum / n_batches).item()
        train_eval, test_eval = evaluate(model, pairs.train), evaluate(model, pairs.test)
        row = epoch_row(
            epoch=epoch,
            train_loss=train_loss,
            train_accuracy=train_eval["accuracy"],
            test_loss=test_eval["loss"],
            test_accuracy=test_eval["accuracy"],
            test_digit_accuracy=test_eval["digit_accuracy"],
            validation_accuracy=evaluate(model, pairs.validation)["accuracy"] if pairs.validation is not None else None,
            epoch_seconds=time.perf_counter() - started,
            learning_rate=learning_rate,
        )
        rows.append(row)
        if on_epoch is not None:
            on_epoch(row)
        if not math.isfinite(train_loss):
            status = "diverged"
            break
        if checkpoint_path is not None and checkpoint_every > 0:
            due = checkpoint_final if epoch == hyperparameters["epochs"] else epoch % checkpoint_every == 0
            if due:
                save_checkpoint(
                    checkpoint_path, model, optimizer, scheduler, order_generator, rows, hyperparameters, seed
                )

    misclassified = []
    if status == "ok":
        misclassified = misclassified_pairs(pairs, *(test_eval or evaluate(model, pairs.test))["logits"])
    return RunResult(
        rows, status, device_name(torch_device), count_parameters(model), resumed_from, misclassified=misclassified
    )
