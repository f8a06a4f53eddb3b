"""Train K seeds of one configuration at once: one vectorised model over the seed axis.

Each member has its own initialisation (built under its own seed), its own pairs, its own
data order and dropout masks; the forward and backward pass of all members is one
`torch.func.vmap` call. Adam and SGD update elementwise, so one optimiser over the stacked
parameters is exactly one optimiser per member (weight decay and step schedules too).
With dropout off, a member's metrics equal the lone run's to float tolerance.
"""

from __future__ import annotations

import copy
import math
import time

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from pairstudy.metrics import epoch_row
from pairstudy.models import count_parameters, create_model

from .device import device_name, resolve_device
from .errors import misclassified_pairs
from .loop import RunResult, check_hyperparameters, load_pairs, make_optimizer, make_scheduler, objective, uses_aux_loss


def stack_pairs(pair_sets, split: str):
    sets = [getattr(pairs, split) for pairs in pair_sets]
    return (
        torch.stack([s.input for s in sets]),
        torch.stack([s.target for s in sets]),
        torch.stack([s.classes for s in sets]),
    )


def train_runs_batched(hyperparameters: dict, seeds: list[int], *, device: str = "auto") -> list[RunResult]:
    """Train every seed of `seeds` together; one RunResult per seed, in order."""
    check_hyperparameters(hyperparameters)
    torch_device = resolve_device(device)
    members = []
    for seed in seeds:
        torch.manual_seed(seed)  # the same initialisation as the lone run of this seed
        members.append(create_model(hyperparameters["architecture"], **hyperparameters["model"]).to(torch_device))
    predicts_digits = members[0].predicts_digits
    parameter_count = count_parameters(members[0])
    params, buffers = stack_module_state(members)
    base = copy.deepcopy(members[0]).to("meta")
    del members

    pair_sets = [load_pairs(hyperparameters, seed, torch_device) for seed in seeds]
    train_input, train_target, train_classes = stack_pairs(pair_sets, "train")
    test_input, test_target, test_classes = stack_pairs(pair_sets, "test")
    validation = stack_pairs(pair_sets, "validation") if pair_sets[0].validation is not None else None
    order_generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    optimizer = make_optimizer(params.values(), hyperparameters)
    scheduler = make_scheduler(optimizer, hyperparameters)
    aux, aux_weight = uses_aux_loss(hyperparameters), hyperparameters["aux_weight"]
    n_members, n_train, batch_size = len(seeds), train_target.shape[1], hyperparameters["batch_size"]

    def forward(member_params, member_buffers, x):
        comparison_logits, digit_logits = functional_call(base, (member_params, member_buffers), (x,))
        if digit_logits is None:
            digit_logits = comparison_logits.new_zeros(x.shape[0], 2, 10)
        return comparison_logits, digit_logits

    def member_loss(member_params, member_buffers, x, target, classes):
        comparison_logits, digit_logits = forward(member_params, member_buffers, x)
        return objective(comparison_logits, digit_logits, target, classes, aux, aux_weight)

    batched_loss = vmap(member_loss, randomness="different")
    batched_forward = vmap(forward, randomness="different")

    @torch.no_grad()
    def evaluate(inputs, targets, classes):
        base.eval()
        comparison_logits, digit_logits = batched_forward(params, buffers, inputs)
        base.train()
        losses = F.cross_entropy(comparison_logits.transpose(1, 2), targets, reduction="none").mean(1)
        accuracies = (comparison_logits.argmax(2) == targets).float().mean(1)
        digit_accuracies = (digit_logits.argmax(3) == classes).float().mean((1, 2))
        return losses, accuracies, digit_accuracies

    rows: list[list[dict]] = [[] for _ in seeds]
    live = torch.ones(n_members, dtype=torch.bool)
    member_index = torch.arange(n_members, device=torch_device)[:, None]
    for epoch in range(1, hyperparameters["epochs"] + 1):
        started = time.perf_counter()
        learning_rate = optimizer.param_groups[0]["lr"]
        base.train()
        orders = torch.stack([torch.randperm(n_train, generator=g) for g in order_generators]).to(torch_device)
        loss_sums = torch.zeros(n_members, device=torch_device)
        n_batches = 0
        for first in range(0, n_train, batch_size):
            batch = orders[:, first : first + batch_size]
            losses = batched_loss(
                params,
                buffers,
                train_input[member_index, batch],
                train_target[member_index, batch],
                train_classes[member_index, batch],
            )
            optimizer.zero_grad(set_to_none=True)
            losses.sum().backward()  # members share no parameter, so each gets its own gradient
            optimizer.step()
            loss_sums += losses.detach()
            n_batches += 1
        if scheduler is not None:
            scheduler.step()
        train_losses = (loss_sums / n_batches).tolist()
        _, train_accuracies, _ = evaluate(train_input, train_target, train_classes)
        test_losses, test_accuracies, digit_accuracies = evaluate(test_input, test_target, test_classes)
        validation_accuracies = evaluate(*validation)[1].tolist() if validation is not None else [None] * n_members
        seconds = (time.perf_counter() - started) / n_members
        train_accuracies, test_losses, test_accuracies, digit_accuracies = (
            t.tolist() for t in (train_accuracies, test_losses, test_accuracies, digit_accuracies)
        )
        for member in range(n_members):
            if not live[member]:
                continue
            rows[member].append(
                epoch_row(
                    epoch=epoch,
                    train_loss=train_losses[member],
                    train_accuracy=train_accuracies[member],
                    test_loss=test_losses[member],
                    test_accuracy=test_accuracies[member],
                    test_digit_accuracy=digit_accuracies[member] if predicts_digits else None,
                    validation_accuracy=validation_accuracies[member],
                    epoch_seconds=seconds,
                    learning_rate=learning_rate,
                )
            )
            if not math.isfinite(train_losses[member]):
                live[member] = False
        if not live.any():
            break

    name = device_name(torch_device)
    with torch.no_grad():
        base.eval()
        comparison_logits, digit_logits = batched_forward(params, buffers, test_input)
    results = []
    for m in range(n_members):
        misclassified = []
        if live[m]:
            member_digits = digit_logits[m] if predicts_digits else None
            misclassified = misclassified_pairs(pair_sets[m], comparison_logits[m], member_digits)
        results.append(
            RunResult(rows[m], "ok" if live[m] else "diverged", name, parameter_count, misclassified=misclassified)
        )
    return results
