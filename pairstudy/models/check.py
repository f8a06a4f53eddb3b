"""What every architecture must do, checked on a small random batch: the output contract, the `predicts_digits`
promise, gradients, real weight sharing, and the trainable parameter count.

Torch is imported when a check runs, so the registry can name these functions without importing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .files import describe, line_in
from .registry import ARCHITECTURES, BUILT_IN, create_model, get_architecture

BATCH = 4


@dataclass
class ModelCheck:
    """The outcome of checking one architecture; `problems` is empty when it meets the contract."""

    name: str
    source: str  # as in Architecture.source: BUILT_IN or the model file
    line: int
    parameter_count: int | None  # None when the model could not be built
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        place = f"built-in architecture {self.name!r}"
        if self.source != BUILT_IN:
            place = f"{self.source}:{self.line}: architecture {self.name!r}"
        if self.ok:
            return f"{place}: fine ({self.parameter_count:,} trainable parameters)"
        return f"{place}: " + "; ".join(self.problems)


def count_parameters(model) -> int:
    """Trainable parameters, a shared parameter counted once."""
    return sum(parameter.numel() for parameter in model.parameters() if parameter.requires_grad)


def failure(stage: str, error: Exception, source: str) -> str:
    """An exception as a problem, with the line of the model file where it arose when it arose there."""
    line = line_in(error, source) if source != BUILT_IN else None
    return f"{stage} failed{f' at line {line}' if line else ''}: {describe(error)}"


def output_problems(output, predicts_digits: bool, mode: str) -> list[str]:
    """What is wrong with one forward output (empty when nothing is)."""
    import torch

    if not (isinstance(output, tuple) and len(output) == 2):
        return [f"{mode} forward must return (comparison logits, digit logits or None), got {type(output).__name__}"]
    comparison, digits = output
    problems = []
    if not (isinstance(comparison, torch.Tensor) and comparison.shape == (BATCH, 2)):
        problems.append(f"{mode} comparison logits have shape {shape_of(comparison)}, expected ({BATCH}, 2)")
    elif not torch.isfinite(comparison).all():
        problems.append(f"{mode} comparison logits are not all finite")
    if digits is None:
        if predicts_digits:
            problems.append(
                f"{mode} forward gives no digit logits, but the architecture is registered with predicts_digits=True"
            )
    elif not predicts_digits:
        problems.append(
            f"{mode} forward gives digit logits, but the architecture is registered with predicts_digits=False"
        )
    elif not (isinstance(digits, torch.Tensor) and digits.shape == (BATCH, 2, 10)):
        problems.append(f"{mode} digit logits have shape {shape_of(digits)}, expected ({BATCH}, 2, 10)")
    elif not torch.isfinite(digits).all():
        problems.append(f"{mode} digit logits are not all finite")
    return problems


def shape_of(value) -> str:
    shape = getattr(value, "shape", None)
    return str(tuple(shape)) if shape is not None else f"none (a {type(value).__name__})"


def gradient_problems(model, output) -> list[str]:
    """Backward through every output that carries a gradient must reach every trainable parameter, finitely."""
    import torch

    comparison, digits = output
    losses = [tensor.sum() for tensor in (comparison, digits) if tensor is not None and tensor.requires_grad]
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if not trainable:
        return []
    if not losses:
        return ["no output carries a gradient, so nothing can train"]
    sum(losses).backward()
    without = [name for name, p in trainable if p.grad is None]
    if without:
        return [f"no gradient reaches {without}"]
    if not all(torch.isfinite(p.grad).all() for _, p in trainable):
        return ["gradients are not all finite"]
    return []


def sharing_problems(name: str, knobs: dict) -> list[str]:
    """sharing=True must mean fewer trainable parameters than sharing=False, and one tower module where there are
    two named towers."""
    shared = create_model(name, **{**knobs, "sharing": True})
    separate = create_model(name, **{**knobs, "sharing": False})
    problems = []
    if not count_parameters(shared) < count_parameters(separate):
        problems.append(
            f"sharing=True has {count_parameters(shared):,} trainable parameters, not fewer than sharing=False's "
            f"{count_parameters(separate):,}"
        )
    if hasattr(shared, "tower1") and hasattr(shared, "tower2"):
        if shared.tower1 is not shared.tower2:
            problems.append("sharing=True builds two tower modules, not one used twice")
        if separate.tower1 is separate.tower2:
            problems.append("sharing=False uses one tower module twice")
    return problems


def task_problems(model, architecture) -> list[str]:
    """A model of another task, on a random batch of that task's shape: forward in train and eval mode, the task's
    objective, gradients to every parameter, finite measurements."""
    import torch

    from pairstudy.tasks import get_task
    from pairstudy.tasks.registry import data_defaults

    problems = []
    for name in architecture.tasks:
        task_class = get_task(name)
        task = task_class({"data": data_defaults(name)})
        try:
            batch = task_class.example_batch(BATCH)
            model.train()
            outputs = model(batch["input"])
            loss = task.objective(outputs, batch)
            model.zero_grad()
            loss.backward()
            trainable = [(key, p) for key, p in model.named_parameters() if p.requires_grad]
            without = [key for key, p in trainable if p.grad is None]
            if without:
                problems.append(f"task {name}: no gradient reaches {without}")
            model.eval()
            with torch.no_grad():
                values = task.measure(model(batch["input"]), batch)
            broken = [
                metric for metric, value in values.items() if value is not None and not torch.isfinite(value).all()
            ]
            if broken:
                problems.append(f"task {name}: measurements {broken} are not all finite")
        except Exception as error:
            problems.append(failure(f"task {name}: forward, objective or measurement", error, architecture.source))
    return problems


def check_architecture(name: str, knobs: dict | None = None) -> ModelCheck:
    """Build `name` with `knobs` (defaults for the rest) and check it on a random batch of 4 pairs, in train and in
    eval mode. Problems are collected, not raised; the global random state is left as it was."""
    import torch

    architecture = get_architecture(name)
    knobs = dict(knobs or {})
    check = ModelCheck(name, architecture.source, architecture.line, None)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        try:
            model = create_model(name, **knobs)
        except Exception as error:
            check.problems.append(failure("building", error, architecture.source))
            return check
        if not isinstance(model, torch.nn.Module):
            check.problems.append(f"the builder returned a {type(model).__name__}, not a torch.nn.Module")
            return check
        check.parameter_count = count_parameters(model)
        own_claim = getattr(model, "predicts_digits", None)
        if own_claim is not None and own_claim != architecture.predicts_digits:
            check.problems.append(
                f"the model says predicts_digits={own_claim}, its registration "
                f"predicts_digits={architecture.predicts_digits}"
            )
        if "digit_pairs" not in architecture.tasks:
            check.problems += task_problems(model, architecture)
            return check
        x = torch.randn(BATCH, 2, 14, 14)
        for mode in ("train", "eval"):
            model.train(mode == "train")
            try:
                with torch.set_grad_enabled(mode == "train"):
                    output = model(x)
                problems = output_problems(output, architecture.predicts_digits, mode)
                if mode == "train" and not problems:
                    problems = gradient_problems(model, output)
            except Exception as error:
                problems = [failure(f"{mode} forward", error, architecture.source)]
            check.problems += problems
        if architecture.takes("sharing"):
            try:
                check.problems += sharing_problems(name, knobs)
            except Exception as error:
                check.problems.append(failure("building with and without sharing", error, architecture.source))
    return check


def check_models(names=None) -> list[ModelCheck]:
    """check_architecture with defaults for each name, or for every registered architecture."""
    return [check_architecture(name) for name in (ARCHITECTURES if names is None else names)]
