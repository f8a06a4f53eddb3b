"""Train several runs at once: one vectorised model over a member axis (`torch.func.vmap`).

A member is one configuration trained with one seed. Members stack when their models have the
same parameter names and shapes and they share architecture, model knobs (dropout rate aside),
optimiser type, batch size, epochs and data: the seeds of one configuration, and configurations
that differ only in learning rate, weight decay, momentum, step schedule, auxiliary loss on/off,
its weight, or dropout rate. Each member keeps its own initialisation (built under its own seed),
pairs, data order and dropout masks; the optimisers update elementwise with per-member settings
(see `stacked`), so with dropout off a member's metrics equal its lone run's to float tolerance.
Augmented configurations train in the plain loop.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from pairstudy.metrics import epoch_row, hyperparameter_hash
from pairstudy.models import count_parameters, create_model

from .checkpoint import StartOver, checkpoint_due, restore_rng_state, resume, rng_state, save_checkpoint
from .device import device_name, resolve_device
from .loop import RECORDED_EXAMPLES, create_task, split_columns
from .result import RunResult
from .stacked import StackedStepSchedule, stacked_optimizer

PER_MEMBER_KEYS = ("lr", "weight_decay", "momentum", "lr_step", "lr_gamma", "aux", "aux_weight")


@dataclass(frozen=True)
class Member:
    hyperparameters: dict
    seed: int


def stack_key(hyperparameters: dict) -> dict:
    """What members must share to stack: everything but the per-member settings and the dropout rate."""
    shared = {key: value for key, value in hyperparameters.items() if key not in PER_MEMBER_KEYS}
    shared["model"] = {knob: value for knob, value in hyperparameters["model"].items() if knob != "dropout"}
    return shared


def vectorisable(hyperparameters: dict) -> bool:
    """Whether the configuration can train in a stack: its task changes no batch or training set as it goes."""
    return not create_task(hyperparameters).augments


class MemberDropout(nn.Module):
    """Dropout whose rate is a buffer, so stacked members can each have their own."""

    def __init__(self):
        super().__init__()
        self.register_buffer("p", torch.zeros(()))

    def forward(self, x):
        if not self.training:
            return x
        return x * (torch.rand_like(x) >= self.p) / (1 - self.p)


# A member without dropout, stacked with members that have some, is built with this rate instead: several
# builders add dropout layers only for a positive rate, and the stack needs one structure. No builder uses
# this rate, so its layers are known to be the placeholders, and they drop nothing for that member.
PLACEHOLDER_RATE = 0.123456789


def dropout_rate(hyperparameters: dict):
    return hyperparameters["model"].get("dropout")


def member_model(hyperparameters: dict, seed: int, device: torch.device, placeholder: bool = False) -> nn.Module:
    """The member's model as its lone run builds it: the same seed, hence the same initialisation."""
    knobs = dict(hyperparameters["model"])
    if placeholder:
        knobs["dropout"] = PLACEHOLDER_RATE
    torch.manual_seed(seed)
    return create_model(hyperparameters["architecture"], **knobs).to(device)


def same_initialisation(first: nn.Module, second: nn.Module) -> bool:
    """Equal parameters and buffers in the same order, whatever their names (dropout layers shift indices)."""
    mine, theirs = list(first.state_dict().values()), list(second.state_dict().values())
    return len(mine) == len(theirs) and all(a.shape == b.shape and torch.equal(a, b) for a, b in zip(mine, theirs))


def build_members(members: list[Member], device: torch.device) -> list[nn.Module]:
    rates = [dropout_rate(member.hyperparameters) for member in members]
    placeholders = len(set(rates)) > 1 and 0 in rates
    models = []
    for member, rate in zip(members, rates):
        placeholder = placeholders and rate == 0
        model = member_model(member.hyperparameters, member.seed, device, placeholder)
        if placeholder and not same_initialisation(model, member_model(member.hyperparameters, member.seed, device)):
            raise ValueError(
                f"{member.hyperparameters['architecture']}: a dropout rate changes more than the dropout layers, "
                "so members with and without dropout cannot train as one stack"
            )
        models.append(model)
    shapes = [{name: tuple(tensor.shape) for name, tensor in model.state_dict().items()} for model in models]
    if any(shape != shapes[0] for shape in shapes):
        raise ValueError("members whose models differ in parameter names or shapes cannot train as one stack")
    return models


def dropout_layers(model: nn.Module) -> list[str]:
    return [name for name, module in model.named_modules() if isinstance(module, nn.modules.dropout._DropoutNd)]


def stacked_model(models: list[nn.Module]):
    """(base module on the meta device, stacked parameters, stacked buffers); per-member dropout rates as buffers."""
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    paths = dropout_layers(models[0])
    rates = [[model.get_submodule(path).p for path in paths] for model in models]
    rates = [[0.0 if rate == PLACEHOLDER_RATE else rate for rate in member_rates] for member_rates in rates]
    if any(member_rates != rates[0] for member_rates in rates):
        device = next(iter(params.values())).device
        for index, path in enumerate(paths):
            if type(models[0].get_submodule(path)) is not nn.Dropout:
                raise ValueError(f"{path}: only nn.Dropout layers can have a rate per member")
            base.set_submodule(path, MemberDropout().to("meta"))
            buffers[f"{path}.p"] = torch.tensor([member_rates[index] for member_rates in rates], device=device)
    return base, params, buffers


def stack_split(splits, split: str) -> dict:
    """One split of every member's data, each tensor stacked over members."""
    sets = [getattr(member_splits, split) for member_splits in splits]
    return {name: torch.stack([tensors[name] for tensors in sets]) for name in sets[0]}


def restore_stack(state: dict, params: dict, buffers: dict, optimizer, schedule, order_generators) -> None:
    """Put a checkpoint's stacked state back; raises when it does not fit (other names, shapes or members)."""
    for saved, mine in ((state["params"], params), (state["buffers"], buffers)):
        if saved.keys() != mine.keys() or any(saved[name].shape != mine[name].shape for name in mine):
            raise ValueError("the stacked parameters or buffers differ from the checkpoint's")
    with torch.no_grad():
        for name, tensor in params.items():
            tensor.copy_(state["params"][name])
        for name, tensor in buffers.items():
            tensor.copy_(state["buffers"][name])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    for generator, generator_state in zip(order_generators, state["order_generators"], strict=True):
        generator.set_state(generator_state)
    restore_rng_state(state["rng"])


def train_vectorised(
    members: list[Member],
    *,
    device: str = "auto",
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 0,
    on_epoch: Callable[[int, list[dict | None]], None] | None = None,
    log: Callable[[str], None] = print,
) -> list[RunResult]:
    """Train every member together; one RunResult per member, in order.

    With `checkpoint` and `checkpoint_every` > 0 every member's state (stacked parameters, optimiser,
    schedule, data orders and random states) is saved every that many epochs, and resumed from when
    the same members train again. `on_epoch(epoch, rows)` gets each member's row (None once it diverged).
    """
    if not members:
        raise ValueError("a stack needs at least one member; there are no members to train")
    settings = [member.hyperparameters for member in members]
    shared = stack_key(settings[0])
    if any(stack_key(hyperparameters) != shared for hyperparameters in settings):
        raise ValueError("members differ in more than their per-member settings and dropout rate")
    if not vectorisable(settings[0]):
        raise ValueError("augmented configurations train in the plain loop")
    torch_device = resolve_device(device)
    models = build_members(members, torch_device)
    parameter_counts = [count_parameters(model) for model in models]
    base, params, buffers = stacked_model(models)
    del models

    tasks = [create_task(hyperparameters) for hyperparameters in settings]
    task = next((member_task for member_task in tasks if member_task.aux_weight() is not None), tasks[0])
    spec = task.spec()
    columns = spec.epoch_columns()
    reported = [{column for column, (metric, _) in columns.items() if t.reports(metric.name)} for t in tasks]
    splits = [member_task.load(member.seed, torch_device) for member_task, member in zip(tasks, members)]
    train, test = stack_split(splits, "train"), stack_split(splits, "test")
    validation = stack_split(splits, "validation") if splits[0].validation is not None else None
    order_generators = [torch.Generator().manual_seed(member.seed) for member in members]
    optimizer = stacked_optimizer(params.values(), settings, torch_device)
    schedule = StackedStepSchedule(optimizer, settings)
    weights = [member_task.aux_weight() for member_task in tasks]
    any_aux = any(weight is not None for weight in weights)
    # a member without the auxiliary terms has weight 1: its objective is exactly the task's own loss
    aux_weight = torch.tensor([1.0 if weight is None else weight for weight in weights], device=torch_device)
    n_members, n_train = len(members), train["target"].shape[1]
    batch_size, epochs = shared["batch_size"], shared["epochs"]
    train_columns = split_columns(columns, "train")

    def measured(values: dict) -> dict:
        return {metric: value for metric, value in values.items() if value is not None}

    def member_step(member_params, member_buffers, batch, member_aux_weight):
        outputs = functional_call(base, (member_params, member_buffers), (batch["input"],))
        loss = task.objective(outputs, batch, member_aux_weight if any_aux else None)
        with torch.no_grad():
            sums = {metric: value.sum() for metric, value in measured(task.measure(outputs, batch)).items()}
        return loss, sums

    def member_measure(member_params, member_buffers, tensors):
        outputs = functional_call(base, (member_params, member_buffers), (tensors["input"],))
        return {metric: value.mean() for metric, value in measured(task.measure(outputs, tensors)).items()}

    batched_step = vmap(member_step, randomness="different")
    batched_measure = vmap(member_measure, randomness="different")

    @torch.inference_mode()
    def evaluate(tensors: dict, split_of: dict) -> dict:
        """Column -> one value per member (None where the member's task does not report it), eval mode."""
        base.eval()
        means = batched_measure(params, buffers, tensors)
        base.train()
        found = {}
        for column, metric in split_of.items():
            values = means[metric].tolist() if metric in means else [None] * n_members
            found[column] = [value if column in reported[m] else None for m, value in enumerate(values)]
        return found

    owner = {"config_hash": [hyperparameter_hash(h) for h in settings], "seeds": [m.seed for m in members]}

    def restore(state: dict):
        restore_stack(state, params, buffers, optimizer, schedule, order_generators)
        return state["rows"], state["live"].clone()

    try:
        restored = resume(checkpoint, checkpoint_every, owner, restore, "these members", log)
    except StartOver:
        return train_vectorised(
            members,
            device=device,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            on_epoch=on_epoch,
            log=log,
        )
    rows, live = restored or ([[] for _ in members], torch.ones(n_members, dtype=torch.bool))
    resumed_from = len(rows[0])

    member_index = torch.arange(n_members, device=torch_device)[:, None]
    for epoch in range(resumed_from + 1, epochs + 1):
        started = time.perf_counter()
        learning_rates = optimizer.lr.tolist()
        base.train()
        orders = torch.stack([torch.randperm(n_train, generator=g) for g in order_generators]).to(torch_device)
        loss_sums = torch.zeros(n_members, device=torch_device)
        measured_sums: dict = {}
        n_batches = 0
        for first in range(0, n_train, batch_size):
            index = member_index, orders[:, first : first + batch_size]
            losses, sums = batched_step(
                params, buffers, {name: tensor[index] for name, tensor in train.items()}, aux_weight
            )
            optimizer.zero_grad()
            losses.sum().backward()  # members share no parameter, so each gets its own gradient
            optimizer.step()
            loss_sums += losses.detach()
            for metric, total in sums.items():
                measured_sums[metric] = measured_sums.get(metric, 0) + total
            n_batches += 1
        schedule.step()
        train_losses = (loss_sums / n_batches).tolist()
        if shared["train_metrics"] == "eval":
            found = evaluate(train, train_columns)
        else:  # over the epoch's training batches, as each member was before each step
            found = {}
            for column, metric in train_columns.items():
                values = (measured_sums[metric] / n_train).tolist() if metric in measured_sums else [None] * n_members
                found[column] = [value if column in reported[m] else None for m, value in enumerate(values)]
        found.update(evaluate(test, split_columns(columns, "test")))
        validation_columns = split_columns(columns, "validation")
        if validation is not None:
            found.update(evaluate(validation, validation_columns))
        else:
            found.update({column: [None] * n_members for column in validation_columns})
        seconds = (time.perf_counter() - started) / n_members
        epoch_rows: list[dict | None] = []
        for member in range(n_members):
            if not live[member]:
                epoch_rows.append(None)
                continue
            row = epoch_row(
                spec,
                epoch=epoch,
                train_loss=train_losses[member],
                epoch_seconds=seconds,
                learning_rate=learning_rates[member],
                **{column: values[member] for column, values in found.items()},
            )
            rows[member].append(row)
            epoch_rows.append(row)
            if not math.isfinite(train_losses[member]):
                live[member] = False
        if on_epoch is not None:
            on_epoch(epoch, epoch_rows)
        if not live.any():
            break
        if checkpoint_due(checkpoint, checkpoint_every, epoch, epochs):
            state = {
                "params": {name: tensor.detach() for name, tensor in params.items()},
                "buffers": dict(buffers),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "order_generators": [generator.get_state() for generator in order_generators],
                "rng": rng_state(),
                "rows": rows,
                "live": live,
            }
            save_checkpoint(checkpoint, owner, state)

    name = device_name(torch_device)
    results = []
    base.eval()
    for member in range(n_members):
        examples = []
        if live[member]:
            with torch.inference_mode():
                member_state = ({k: v[member] for k, v in params.items()}, {k: v[member] for k, v in buffers.items()})
                outputs = functional_call(base, member_state, (splits[member].test["input"],))
            examples = tasks[member].examples(outputs, splits[member].test, splits[member].info, RECORDED_EXAMPLES)
        status = "ok" if live[member] else "diverged"
        results.append(
            RunResult(rows[member], status, name, parameter_counts[member], resumed_from, misclassified=examples)
        )
    return results
