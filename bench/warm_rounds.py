"""Warm-started rounds against fresh ones: reference study 000's code trains one model instance through its 15
rounds, each round on new pairs but from the weights the rounds before it left. This script measures what that does
to the fcn_cnn_auxnet preset's numbers.

For each configuration of studies/fcn_cnn_auxnet.yaml at the chosen output (logits or probabilities), round r trains
on the pairs of the preset's r-th seed with pairstudy's own trainer (pairstudy.train.train_run: a new optimizer and
learning-rate schedule every round, as the code's train_model makes them), twice: from fresh weights, as the preset's
runs do, and from the weights of the same model after rounds 0..r-1 (round 0 starts fresh in both, so its two
accuracies agree). Prints each round's final test accuracy, then the mean and sample std over the rounds of each,
beside the published number.

    python bench/warm_rounds.py                          # the preset's 15 rounds of 50 epochs, its clean reading
    python bench/warm_rounds.py --output probabilities   # the code's softmax outputs
    python bench/warm_rounds.py --normalize-by each_set  # each set normalised with its own mean and std
    python bench/warm_rounds.py --output probabilities --normalize-by each_set   # the code's reading in full
    python bench/warm_rounds.py --rounds 2 --epochs 1 --n-pairs 200   # a quick try

The full run trains 90 runs of 50 epochs (3 nets x 15 rounds x fresh and warm): about two hours on a 2-core CPU
shared with other work; `--device cuda` on a GPU.

Run from anywhere: it puts this checkout first on sys.path.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pairstudy.presets import preset_study  # noqa: E402
from pairstudy.study import expand_configurations, load_config, seed_list  # noqa: E402
from pairstudy.study.published import levels_match  # noqa: E402

PRESET = ROOT / "studies" / "fcn_cnn_auxnet.yaml"
ACCURACY = "test_accuracy"  # the epoch column the published numbers are compared with (final test accuracy)


def preset_configurations(output: str, architectures: list[str] | None) -> tuple[list, list[int], dict]:
    """The preset's configurations at model output `output` (of `architectures`, all where None), its seeds and its
    published block."""
    name, written = preset_study(PRESET)
    study = load_config(PRESET)["studies"][name]
    found = [
        configuration
        for configuration in expand_configurations(name, study)
        if configuration.hyperparameters["model"].get("output") == output
        and (architectures is None or configuration.architecture in architectures)
    ]
    if not found:
        raise SystemExit(f"{PRESET} has no configuration with output {output} among architectures {architectures}")
    return found, seed_list(study["seeds"]), written.get("published") or {}


def adjusted(hyperparameters: dict, epochs: int | None, n_pairs: int | None, normalize_by: str | None) -> dict:
    """A configuration's resolved settings with this run's epochs, pair count and normalisation."""
    settings = copy.deepcopy(hyperparameters)
    if epochs is not None:
        settings["epochs"] = epochs
    if n_pairs is not None:
        settings["data"]["n_pairs"] = n_pairs
    if normalize_by is not None:
        settings["data"]["normalize_by"] = normalize_by
    return settings


class OneInstance:
    """Builds a model the first time it is asked and hands back that same instance every later time."""

    def __init__(self, build):
        self.build = build
        self.model = None

    def __call__(self, architecture: str, **knobs):
        if self.model is None:
            self.model = self.build(architecture, **knobs)
        return self.model


@contextlib.contextmanager
def warm_started(instance: OneInstance):
    """Within it, pairstudy's trainer trains `instance`'s model instead of building a fresh one."""
    from pairstudy.train import loop

    built = loop.create_model
    loop.create_model = instance
    try:
        yield
    finally:
        loop.create_model = built


def final_accuracy(result) -> float:
    if result.status != "ok":
        raise RuntimeError(f"a round did not finish: {result.summary()}")
    return result.rows[-1][ACCURACY]


def rounds_of(hyperparameters: dict, seeds: list[int], device: str) -> dict:
    """Each seed's round from fresh weights and from the previous rounds' weights: {"fresh": [...], "warm": [...]}
    final test accuracies (fractions), in seed order."""
    from pairstudy.models import create_model
    from pairstudy.train import train_run

    quiet = {"device": device, "log": lambda _: None}
    fresh = [final_accuracy(train_run(hyperparameters, seed, **quiet)) for seed in seeds]
    instance = OneInstance(create_model)
    with warm_started(instance):
        warm = [final_accuracy(train_run(hyperparameters, seed, **quiet)) for seed in seeds]
    return {"fresh": fresh, "warm": warm}


def mean_std(values: list[float]) -> str:
    """Mean ± sample std in percent (the std of one value is not defined)."""
    spread = statistics.stdev(values) * 100 if len(values) > 1 else float("nan")
    return f"{statistics.fmean(values) * 100:.2f} ± {spread:.2f}"


def published_text(published: dict, levels: dict) -> str:
    """The published number(s) a configuration at these factor levels is compared with, as the preset states them."""
    found = [entry for entry in published.get("results_by_levels", []) if levels_match(entry["levels"], levels)]
    return "; ".join(
        f"{entry['mean']:.2f} ± {entry.get('std', float('nan')):.2f} (n={entry.get('n')})" for entry in found
    )


def report(name: str, measured: dict, seeds: list[int], published: str) -> list[str]:
    lines = [f"{name}: final test accuracy (%) per round", "  round  seed   fresh    warm  warm - fresh"]
    for index, seed in enumerate(seeds):
        fresh, warm = measured["fresh"][index] * 100, measured["warm"][index] * 100
        lines.append(f"  {index:5d}  {seed:4d}  {fresh:6.2f}  {warm:6.2f}  {warm - fresh:+12.2f}")
    lines.append(f"  fresh weights, mean ± std over {len(seeds)} rounds: {mean_std(measured['fresh'])}")
    lines.append(f"  warm rounds,   mean ± std over {len(seeds)} rounds: {mean_std(measured['warm'])}")
    differences = [warm - fresh for warm, fresh in zip(measured["warm"], measured["fresh"])]
    lines.append(f"  warm - fresh, mean ± std over {len(seeds)} rounds: {mean_std(differences)} points")
    if published:
        lines.append(f"  published: {published}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=None, help="the first this many of the preset's seeds (all 15)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per round (the preset's 50)")
    parser.add_argument("--n-pairs", type=int, default=None, help="train and test pairs per round (the preset's 1000)")
    parser.add_argument(
        "--output", choices=("logits", "probabilities"), default="logits", help="the model output reading (logits)"
    )
    parser.add_argument(
        "--normalize-by",
        choices=("train_set", "each_set"),
        default=None,
        help="whose mean and std normalise each set (the preset's: train_set)",
    )
    parser.add_argument("--architectures", default=None, help="comma-separated, e.g. mlp,cnn (all three)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (cpu: the same numbers on any machine)")
    parser.add_argument("--json", type=Path, default=None, help="also write the accuracies to this JSON file")
    arguments = parser.parse_args(argv)
    if arguments.rounds is not None and arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    architectures = arguments.architectures.split(",") if arguments.architectures else None
    configurations, seeds, published = preset_configurations(arguments.output, architectures)
    seeds = seeds[: arguments.rounds] if arguments.rounds is not None else seeds
    found = {}
    for configuration in configurations:
        settings = adjusted(configuration.hyperparameters, arguments.epochs, arguments.n_pairs, arguments.normalize_by)
        started = time.perf_counter()
        measured = rounds_of(settings, seeds, arguments.device)
        lines = report(configuration.name, measured, seeds, published_text(published, configuration.factors))
        print("\n".join(lines) + f"\n  ({time.perf_counter() - started:.1f} s)", flush=True)
        found[configuration.name] = {
            "seeds": seeds,
            "epochs": settings["epochs"],
            "n_pairs": settings["data"]["n_pairs"],
            "normalize_by": settings["data"]["normalize_by"],
            **measured,
        }
    if arguments.json is not None:
        arguments.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
