"""Checks of a task of one's own before any job: its data for the study's first seed (splits of tensors with an
input and a target, one length per split, floating inputs) and each configuration's model on its first training
examples (forward, objective, gradients, measurements). Each problem names the task's file."""

from __future__ import annotations

SPLITS = ("train", "test", "validation")
BATCH = 4


def data_problems(splits) -> list[str]:
    """What is wrong with the Splits a task's load gave (empty when nothing is)."""
    import torch

    problems = []
    for name in SPLITS:
        tensors = getattr(splits, name, None)
        if tensors is None:
            if name != "validation":
                problems.append(f"load() gave no {name} split")
            continue
        if not isinstance(tensors, dict) or not {"input", "target"} <= set(tensors):
            problems.append(f"the {name} split must be a dict with 'input' and 'target' tensors")
            continue
        lengths = {key: len(value) for key, value in tensors.items() if isinstance(value, torch.Tensor)}
        if len(lengths) != len(tensors):
            problems.append(
                f"the {name} split holds values that are not tensors: {sorted(set(tensors) - set(lengths))}"
            )
        elif len(set(lengths.values())) != 1:
            problems.append(f"the {name} split's tensors differ in length: {lengths}")
        elif not lengths["input"]:
            problems.append(f"the {name} split is empty")
        elif not tensors["input"].is_floating_point():
            problems.append(f"the {name} split's input is {tensors['input'].dtype}, not a floating-point tensor")
    return problems


def model_problems(task, model, train: dict) -> list[str]:
    """The model on the task's first training examples: forward, objective, backward, measurements."""
    import torch

    batch = {key: value[:BATCH] for key, value in train.items()}
    model.train()
    loss = task.objective(model(batch["input"]), batch, task.aux_weight())
    if not (isinstance(loss, torch.Tensor) and loss.dim() == 0):
        return [f"objective() gave {type(loss).__name__} {getattr(loss, 'shape', '')}, not a scalar tensor"]
    loss.backward()
    model.eval()
    with torch.no_grad():
        values = task.measure(model(batch["input"]), batch)
    declared = set(task.spec().metric_names)
    if set(values) != declared:
        return [f"measure() gave metrics {sorted(values)}, its declared metrics are {sorted(declared)}"]
    for metric, value in values.items():
        per_example = isinstance(value, torch.Tensor) and value.shape[:1] == (len(batch["target"]),)
        if value is not None and not per_example:
            found = getattr(value, "shape", type(value).__name__)
            return [f"measure() gave {metric} of shape {found}, not one value per example"]
    return []


def check_task_study(study_name: str, study: dict, configurations) -> None:
    """Raise ConfigError naming the task's file when its data or a configuration's model does not fit."""
    from pairstudy.models import create_model
    from pairstudy.models.registry import BUILT_IN
    from pairstudy.study.grid import seed_list
    from pairstudy.study.schema import ConfigError

    from .registry import get_task, task_source

    name = study["task"]
    if task_source(name) == BUILT_IN or not configurations:
        return
    place = f"studies.{study_name}: task {name!r} ({task_source(name)})"
    first = configurations[0].hyperparameters
    try:
        task = get_task(name)(first)
        splits = task.load(seed_list(study["seeds"])[0], "cpu")
    except Exception as error:
        raise ConfigError(f"{place}: load() failed: {type(error).__name__}: {error}") from None
    problems = data_problems(splits)
    if problems:
        raise ConfigError(f"{place}: " + "; ".join(problems))
    for configuration in configurations:
        settings = configuration.hyperparameters
        try:
            problems = model_problems(
                get_task(name)(settings), create_model(configuration.architecture, **settings["model"]), splits.train
            )
        except Exception as error:
            problems = [f"{type(error).__name__}: {error}"]
        if problems:
            raise ConfigError(f"{place}, configuration {configuration.name}: " + "; ".join(problems))
