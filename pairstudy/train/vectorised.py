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
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from pairstudy.metrics import epoch_row, hyperparameter_hash
from pairstudy.models import count_parameters, create_model

from .augment import uses_augmentation
from .checkpoint import load_checkpoint, restore_rng_state, rng_state, save_checkpoint, set_aside
from .device import device_name, resolve_device
from .loop import aux_weight, load_pairs
from .misclassified import misclassified_pairs
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
    return not uses_augmentation(hyperparameters)


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


def stack_pairs(pair_sets, split: str):
    sets = [getattr(pairs, split) for pairs in pair_sets]
    return tuple(torch.stack([getattr(s, name) for s in sets]) for name in ("input", "target", "classes"))


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
    predicts_digits = models[0].predicts_digits
    parameter_counts = [count_parameters(model) for model in models]
    base, params, buffers = stacked_model(models)
    del models

    pair_sets = [load_pairs(settings[0]["data"], member.seed, torch_device) for member in members]
    train_input, train_target, train_classes = stack_pairs(pair_sets, "train")
    test = stack_pairs(pair_sets, "test")
    validation = stack_pairs(pair_sets, "validation") if pair_sets[0].validation is not None else None
    order_generators = [torch.Generator().manual_seed(member.seed) for member in members]
    optimizer = stacked_optimizer(params.values(), settings, torch_device)
    schedule = StackedStepSchedule(optimizer, settings)
    alphas = [aux_weight(hyperparameters) for hyperparameters in settings]
    any_aux = any(alpha is not None for alpha in alphas)
    alpha = torch.tensor([1.0 if a is None else a for a in alphas], device=torch_device)
    n_members, n_train = len(members), train_target.shape[1]
    batch_size, epochs = shared["batch_size"], shared["epochs"]

    def forward(member_params, member_buffers, x):
        comparison_logits, digit_logits = functional_call(base, (member_params, member_buffers), (x,))
        if digit_logits is None:
            digit_logits = comparison_logits.new_zeros(x.shape[0], 2, 10)
        return comparison_logits, digit_logits

    def member_loss(member_params, member_buffers, x, target, classes, member_alpha):
        comparison_logits, digit_logits = forward(member_params, member_buffers, x)
        target_loss = F.cross_entropy(comparison_logits, target)
        loss = target_loss
        if any_aux:  # a member without aux has alpha 1: exactly its target loss
            aux1 = F.cross_entropy(digit_logits[:, 0], classes[:, 0])
            aux2 = F.cross_entropy(digit_logits[:, 1], classes[:, 1])
            loss = member_alpha * target_loss + (1 - member_alpha) / 2 * (aux1 + aux2)
        return loss, target_loss.detach(), (comparison_logits.detach().argmax(1) == target).sum()

    batched_loss = vmap(member_loss, randomness="different")
    batched_forward = vmap(forward, randomness="different")

    @torch.inference_mode()
    def evaluate(inputs, targets, classes):
        base.eval()
        comparison_logits, digit_logits = batched_forward(params, buffers, inputs)
        base.train()
        losses = F.cross_entropy(comparison_logits.transpose(1, 2), targets, reduction="none").mean(1)
        accuracies = (comparison_logits.argmax(2) == targets).sum(1).double() / targets.shape[1]  # exact fractions
        digit_accuracies = (digit_logits.argmax(3) == classes).sum((1, 2)).double() / classes[0].numel()
        return losses, accuracies, digit_accuracies, (comparison_logits, digit_logits)

    owner = {"config_hash": [hyperparameter_hash(h) for h in settings], "seeds": [m.seed for m in members]}
    rows: list[list[dict]] = [[] for _ in members]
    live = torch.ones(n_members, dtype=torch.bool)
    state = load_checkpoint(checkpoint, owner, log) if checkpoint_every > 0 else None
    if state is not None:
        try:
            restore_stack(state, params, buffers, optimizer, schedule, order_generators)
            rows, live = state["rows"], state["live"].clone()
        except Exception as error:  # saved by other code for the same members: resuming it would fail every attempt
            set_aside(checkpoint, f"does not fit these members ({type(error).__name__}: {error})", log)
            return train_vectorised(
                members,
                device=device,
                checkpoint=checkpoint,
                checkpoint_every=checkpoint_every,
                on_epoch=on_epoch,
                log=log,
            )
    resumed_from = len(rows[0])

    member_index = torch.arange(n_members, device=torch_device)[:, None]
    test_outputs = None
    for epoch in range(resumed_from + 1, epochs + 1):
        started = time.perf_counter()
        learning_rates = optimizer.lr.tolist()
        base.train()
        orders = torch.stack([torch.randperm(n_train, generator=g) for g in order_generators]).to(torch_device)
        loss_sums = torch.zeros(n_members, device=torch_device)
        comparison_loss_sums = torch.zeros(n_members, device=torch_device)
        correct = torch.zeros(n_members, device=torch_device, dtype=torch.long)
        n_batches = 0
        for first in range(0, n_train, batch_size):
            batch = orders[:, first : first + batch_size]
            losses, comparison_losses, batch_correct = batched_loss(
                params,
                buffers,
                train_input[member_index, batch],
                train_target[member_index, batch],
                train_classes[member_index, batch],
                alpha,
            )
            optimizer.zero_grad()
            losses.sum().backward()  # members share no parameter, so each gets its own gradient
            optimizer.step()
            loss_sums += losses.detach()
            comparison_loss_sums += comparison_losses
            correct += batch_correct
            n_batches += 1
        schedule.step()
        train_losses = (loss_sums / n_batches).tolist()
        if shared["train_metrics"] == "eval":
            train_comparison_losses, train_accuracies, _, _ = evaluate(train_input, train_target, train_classes)
        else:
            train_comparison_losses, train_accuracies = comparison_loss_sums / n_batches, correct / n_train
        test_losses, test_accuracies, digit_accuracies, test_outputs = evaluate(*test)
        validation_accuracies = evaluate(*validation)[1].tolist() if validation is not None else [None] * n_members
        seconds = (time.perf_counter() - started) / n_members
        columns = [t.tolist() for t in (train_comparison_losses, train_accuracies, test_losses, test_accuracies)]
        digit_accuracies = digit_accuracies.tolist()
        epoch_rows: list[dict | None] = []
        for member in range(n_members):
            if not live[member]:
                epoch_rows.append(None)
                continue
            row = epoch_row(
                epoch=epoch,
                train_loss=train_losses[member],
                train_comparison_loss=columns[0][member],
                train_accuracy=columns[1][member],
                test_loss=columns[2][member],
                test_accuracy=columns[3][member],
                test_digit_accuracy=digit_accuracies[member] if predicts_digits else None,
                validation_accuracy=validation_accuracies[member],
                epoch_seconds=seconds,
                learning_rate=learning_rates[member],
            )
            rows[member].append(row)
            epoch_rows.append(row)
            if not math.isfinite(train_losses[member]):
                live[member] = False
        if on_epoch is not None:
            on_epoch(epoch, epoch_rows)
        if not live.any():
            break
        if checkpoint is not None and checkpoint_every > 0 and epoch % checkpoint_every == 0 and epoch < epochs:
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

    if test_outputs is None:
        test_outputs = evaluate(*test)[3]
    comparison_logits, digit_logits = test_outputs
    name = device_name(torch_device)
    results = []
    for member in range(n_members):
        misclassified = []
        if live[member]:
            member_digits = digit_logits[member] if predicts_digits else None
            misclassified = misclassified_pairs(pair_sets[member], comparison_logits[member], member_digits)
        status = "ok" if live[member] else "diverged"
        results.append(
            RunResult(rows[member], status, name, parameter_counts[member], resumed_from, misclassified=misclassified)
        )
    return results
