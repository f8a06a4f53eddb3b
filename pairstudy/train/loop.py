"""Train one configuration for one seed: the plain loop.

`hyperparameters` is a configuration's resolved dict (see `pairstudy.study`); the loop reads
nothing else and supplies no default: a key the configuration does not use (momentum for Adam,
aux_weight without the auxiliary loss, lr_gamma without a step schedule) is absent from it.
Each epoch trains on shuffled batches, then evaluates the test (and validation) pairs in eval
mode and records one row of `EPOCH_COLUMNS`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from pairstudy.data import PairSet, generate_pair_sets, load_pools
from pairstudy.metrics import epoch_row, hyperparameter_hash
from pairstudy.models import count_parameters, create_model

from .augment import augment_batch, repaired, uses_augmentation
from .checkpoint import load_checkpoint, restore_rng_state, rng_state, save_checkpoint, set_aside
from .device import device_name, resolve_device
from .misclassified import misclassified_pairs
from .optim import SGD, Adam, Optimizer, StepSchedule
from .result import RunResult


def aux_weight(hyperparameters: dict) -> float | None:
    """alpha of the objective, or None when the configuration trains without the digit losses."""
    return hyperparameters["aux_weight"] if hyperparameters["aux"] else None


def objective(comparison_logits, digit_logits, target, classes, alpha: float | None):
    """(alpha * target_loss + (1 - alpha) / 2 * (aux1 + aux2), target_loss); the target loss alone without aux."""
    target_loss = F.cross_entropy(comparison_logits, target)
    if alpha is None:
        return target_loss, target_loss
    aux1 = F.cross_entropy(digit_logits[:, 0], classes[:, 0])
    aux2 = F.cross_entropy(digit_logits[:, 1], classes[:, 1])
    return alpha * target_loss + (1 - alpha) / 2 * (aux1 + aux2), target_loss


def make_optimizer(parameters, hyperparameters: dict) -> Optimizer:
    if hyperparameters["optimizer"] == "adam":
        return Adam(parameters, lr=hyperparameters["lr"], weight_decay=hyperparameters["weight_decay"])
    return SGD(
        parameters,
        lr=hyperparameters["lr"],
        momentum=hyperparameters["momentum"],
        weight_decay=hyperparameters["weight_decay"],
    )


def make_scheduler(optimizer: Optimizer, hyperparameters: dict) -> StepSchedule | None:
    if hyperparameters["lr_step"] > 0:
        return StepSchedule(optimizer, hyperparameters["lr_step"], hyperparameters["lr_gamma"])
    return None


@torch.inference_mode()
def evaluate(model, pairs: PairSet) -> dict:
    """Comparison loss and accuracy, digit accuracy and the logits on a whole pair set, in eval mode."""
    was_training = model.training
    model.eval()
    comparison_logits, digit_logits = model(pairs.input)
    model.train(was_training)
    return {
        "loss": F.cross_entropy(comparison_logits, pairs.target).item(),
        "accuracy": (comparison_logits.argmax(1) == pairs.target).sum().item() / pairs.target.numel(),
        "digit_accuracy": None
        if digit_logits is None
        else (digit_logits.argmax(2) == pairs.classes).sum().item() / pairs.classes.numel(),
        "logits": (comparison_logits, digit_logits),
    }


def load_pairs(data: dict, seed: int, device: torch.device):
    """The seed's train, test (and validation) pairs on `device`."""
    pools = load_pools(data["source"], data["root"])
    pairs = generate_pair_sets(
        data["n_pairs"], seed, pools, normalize=data["normalize"], validation=data["validation_pairs"]
    )
    for split in (pairs.train, pairs.test, pairs.validation):
        if split is not None:
            split.input, split.target, split.classes = (
                t.to(device) for t in (split.input, split.target, split.classes)
            )
    return pairs


def in_training_layout(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The model on `device`; on the CPU with its convolution weights channels-last, so that every convolution's
    output is too: torch's CPU convolution and pooling kernels run faster on such tensors (bench/layout.py). The
    layout changes the order of float sums and of dropout masks over feature maps, not what is computed."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last) if device.type == "cpu" else model


def train_run(
    hyperparameters: dict,
    seed: int,
    *,
    device: str = "auto",
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 0,
    on_epoch: Callable[[dict], None] | None = None,
    log: Callable[[str], None] = print,
) -> RunResult:
    """Train one configuration for one seed and return its per-epoch rows.

    With `checkpoint` and `checkpoint_every` > 0 the full state is saved every that many epochs,
    and a checkpoint of the same hyperparameters and seed is resumed instead of starting over.
    """
    torch_device = resolve_device(device)
    torch.manual_seed(seed)
    pairs = load_pairs(hyperparameters["data"], seed, torch_device)
    model = in_training_layout(create_model(hyperparameters["architecture"], **hyperparameters["model"]), torch_device)
    optimizer = make_optimizer(model.parameters(), hyperparameters)
    scheduler = make_scheduler(optimizer, hyperparameters)
    order_generator = torch.Generator().manual_seed(seed)
    alpha = aux_weight(hyperparameters)
    augmented = uses_augmentation(hyperparameters)
    eval_train_pass = hyperparameters["train_metrics"] == "eval"
    n_train, batch_size, epochs = len(pairs.train.target), hyperparameters["batch_size"], hyperparameters["epochs"]
    owner = {"config_hash": hyperparameter_hash(hyperparameters), "seeds": [seed]}

    rows: list[dict] = []
    state = load_checkpoint(checkpoint, owner, log) if checkpoint_every > 0 else None
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            if scheduler is not None:
                scheduler.load_state_dict(state["scheduler"])
            order_generator.set_state(state["order_generator"])
            restore_rng_state(state["rng"])
            rows = state["rows"]
        except Exception as error:  # saved by other code for the same run: resuming it would fail every attempt
            set_aside(checkpoint, f"does not fit this run ({type(error).__name__}: {error})", log)
            return train_run(
                hyperparameters,
                seed,
                device=device,
                checkpoint=checkpoint,
                checkpoint_every=checkpoint_every,
                on_epoch=on_epoch,
                log=log,
            )
    resumed_from = len(rows)

    status = "ok"
    test_eval = None
    for epoch in range(resumed_from + 1, epochs + 1):
        started = time.perf_counter()
        learning_rate = optimizer.lr
        model.train()
        epoch_pairs = repaired(pairs.train, order_generator) if hyperparameters["repair_pairs"] else pairs.train
        order = torch.randperm(n_train, generator=order_generator).to(torch_device)
        loss_sum = torch.zeros((), device=torch_device)
        comparison_loss_sum = torch.zeros((), device=torch_device)
        correct = torch.zeros((), device=torch_device, dtype=torch.long)
        n_batches = 0
        for first in range(0, n_train, batch_size):
            batch = order[first : first + batch_size]
            x, target, classes = epoch_pairs.input[batch], epoch_pairs.target[batch], epoch_pairs.classes[batch]
            if augmented:
                x, target, classes = augment_batch(x, classes, hyperparameters, order_generator)
            comparison_logits, digit_logits = model(x)
            loss, comparison_loss = objective(comparison_logits, digit_logits, target, classes, alpha)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            comparison_loss_sum += comparison_loss.detach()
            correct += (comparison_logits.detach().argmax(1) == target).sum()
            n_batches += 1
        if scheduler is not None:
            scheduler.step()
        train_loss = (loss_sum / n_batches).item()
        if eval_train_pass:
            train_eval = evaluate(model, pairs.train)
            train_comparison_loss, train_accuracy = train_eval["loss"], train_eval["accuracy"]
        else:
            train_comparison_loss, train_accuracy = (comparison_loss_sum / n_batches).item(), correct.item() / n_train
        test_eval = evaluate(model, pairs.test)
        row = epoch_row(
            epoch=epoch,
            train_loss=train_loss,
            train_comparison_loss=train_comparison_loss,
            train_accuracy=train_accuracy,
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
        if checkpoint is not None and checkpoint_every > 0 and epoch % checkpoint_every == 0 and epoch < epochs:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
                "order_generator": order_generator.get_state(),
                "rng": rng_state(),
                "rows": rows,
            }
            save_checkpoint(checkpoint, owner, state)

    misclassified = []
    if status == "ok":
        misclassified = misclassified_pairs(pairs, *(test_eval or evaluate(model, pairs.test))["logits"])
    return RunResult(
        rows, status, device_name(torch_device), count_parameters(model), resumed_from, misclassified=misclassified
    )
