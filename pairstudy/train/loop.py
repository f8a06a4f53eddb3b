"""Train one configuration for one seed: the plain loop.

`hyperparameters` is a configuration's resolved dict (see `pairstudy.study`); the loop reads
nothing else and supplies no default: a key the configuration does not use (momentum for Adam,
aux_weight without the auxiliary terms, lr_gamma without a step schedule) is absent from it.
The run's task gives the data, the objective and the measurements. Each epoch trains on
shuffled batches, then measures the test (and validation) set in eval mode and records one
row of the task's epoch columns.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch

from pairstudy.metrics import epoch_row, hyperparameter_hash
from pairstudy.models import count_parameters, create_model
from pairstudy.tasks import get_task

from .checkpoint import StartOver, checkpoint_due, restore_rng_state, resume, rng_state, save_checkpoint
from .device import device_name, resolve_device
from .optim import SGD, Adam, Optimizer, StepSchedule
from .result import RunResult

RECORDED_EXAMPLES = 16  # wrongly predicted test examples kept with a finished run, for the report


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


def create_task(hyperparameters: dict):
    """The run's task, made from its resolved hyperparameters."""
    return get_task(hyperparameters["task"])(hyperparameters)


def split_columns(columns: dict, split: str) -> dict:
    """Column -> metric name, for the columns of `split`."""
    return {column: metric.name for column, (metric, column_split) in columns.items() if column_split == split}


@torch.inference_mode()
def evaluate(model, task, tensors: dict, columns: dict) -> tuple[dict, object]:
    """The given columns (column -> metric: each metric's mean over the whole set, eval mode) and the outputs."""
    was_training = model.training
    model.eval()
    outputs = model(tensors["input"])
    model.train(was_training)
    values = {
        metric: value if task.reports(metric) else None for metric, value in task.measure(outputs, tensors).items()
    }
    means = {
        column: None if values[metric] is None else values[metric].mean().item() for column, metric in columns.items()
    }
    return means, outputs


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
    task = create_task(hyperparameters)
    spec = task.spec()
    columns = spec.epoch_columns()
    data = task.load(seed, torch_device)
    model = in_training_layout(create_model(hyperparameters["architecture"], **hyperparameters["model"]), torch_device)
    optimizer = make_optimizer(model.parameters(), hyperparameters)
    scheduler = make_scheduler(optimizer, hyperparameters)
    order_generator = torch.Generator().manual_seed(seed)
    aux_weight = task.aux_weight()
    eval_train_pass = hyperparameters["train_metrics"] == "eval"
    n_train, batch_size, epochs = len(data.train["target"]), hyperparameters["batch_size"], hyperparameters["epochs"]
    owner = {"config_hash": hyperparameter_hash(hyperparameters), "seeds": [seed]}
    train_columns = split_columns(columns, "train")
    train_pass_columns = {column: metric for column, metric in train_columns.items() if task.reports(metric)}

    def restore(state: dict) -> list[dict]:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
        order_generator.set_state(state["order_generator"])
        restore_rng_state(state["rng"])
        return state["rows"]

    try:
        rows: list[dict] = resume(checkpoint, checkpoint_every, owner, restore, "this run", log) or []
    except StartOver:
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
    test_outputs = None
    for epoch in range(resumed_from + 1, epochs + 1):
        started = time.perf_counter()
        learning_rate = optimizer.lr
        model.train()
        epoch_train = task.epoch_train_set(data.train, order_generator)
        order = torch.randperm(n_train, generator=order_generator).to(torch_device)
        loss_sum = torch.zeros((), device=torch_device)
        measured_sums: dict = {}
        n_batches = 0
        for first in range(0, n_train, batch_size):
            index = order[first : first + batch_size]
            batch = task.augment({name: tensor[index] for name, tensor in epoch_train.items()}, order_generator)
            outputs = model(batch["input"])
            loss = task.objective(outputs, batch, aux_weight)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            if not eval_train_pass:
                with torch.no_grad():
                    values = task.measure(outputs, batch)
                for column, metric in train_pass_columns.items():
                    if values[metric] is not None:
                        measured_sums[column] = measured_sums.get(column, 0) + values[metric].sum()
            n_batches += 1
        if scheduler is not None:
            scheduler.step()
        train_loss = (loss_sum / n_batches).item()
        if eval_train_pass:
            measured, _ = evaluate(model, task, data.train, train_columns)
        else:  # over the epoch's training batches, as the model was before each step
            measured = {column: None for column in train_columns}
            measured.update({column: (total / n_train).item() for column, total in measured_sums.items()})
        test_measured, test_outputs = evaluate(model, task, data.test, split_columns(columns, "test"))
        measured.update(test_measured)
        validation_columns = split_columns(columns, "validation")
        if data.validation is not None:
            measured.update(evaluate(model, task, data.validation, validation_columns)[0])
        else:
            measured.update(dict.fromkeys(validation_columns))
        row = epoch_row(
            spec,
            epoch=epoch,
            train_loss=train_loss,
            epoch_seconds=time.perf_counter() - started,
            learning_rate=learning_rate,
            **measured,
        )
        rows.append(row)
        if on_epoch is not None:
            on_epoch(row)
        if not math.isfinite(train_loss):
            status = "diverged"
            break
        if checkpoint_due(checkpoint, checkpoint_every, epoch, epochs):
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
        if test_outputs is None:
            test_outputs = evaluate(model, task, data.test, {})[1]
        misclassified = task.examples(test_outputs, data.test, data.info, RECORDED_EXAMPLES)
    return RunResult(
        rows, status, device_name(torch_device), count_parameters(model), resumed_from, misclassified=misclassified
    )
