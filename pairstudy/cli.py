"""The pairstudy command line: thin commands, each calling one function of the package."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml

from pairstudy.study import ConfigError, expand_configurations, load_config, schema_defaults, seed_list, validate_config

TRAINING_DEFAULTS = schema_defaults("training")
DATA_DEFAULTS = schema_defaults("data")


def parse_assignment(text: str) -> tuple[str, object]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE")
    return key, yaml.safe_load(value)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pairstudy")
def main():
    """Declarative ablation studies on the digit-pair task."""


@main.command()
@click.option("--arch", "architecture", required=True, help="Registered architecture name (see `pairstudy models`).")
@click.option(
    "--sharing/--no-sharing", default=None, help="Weight sharing between the two towers (two-tower architectures)."
)
@click.option(
    "--aux/--no-aux", default=TRAINING_DEFAULTS["aux"], show_default=True, help="Add the auxiliary digit losses."
)
@click.option(
    "--aux-weight",
    type=float,
    default=TRAINING_DEFAULTS["aux_weight"],
    show_default=True,
    help="alpha of the comparison loss.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: data pairs, initialisation, data order.")
@click.option("--epochs", type=click.IntRange(min=1), default=TRAINING_DEFAULTS["epochs"], show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=TRAINING_DEFAULTS["batch_size"], show_default=True)
@click.option(
    "--optimizer", type=click.Choice(["adam", "sgd"]), default=TRAINING_DEFAULTS["optimizer"], show_default=True
)
@click.option("--lr", type=float, default=TRAINING_DEFAULTS["lr"], show_default=True, help="Learning rate.")
@click.option("--weight-decay", type=float, default=TRAINING_DEFAULTS["weight_decay"], show_default=True)
@click.option("--momentum", type=float, default=TRAINING_DEFAULTS["momentum"], show_default=True, help="SGD momentum.")
@click.option(
    "--lr-step",
    type=click.IntRange(min=0),
    default=TRAINING_DEFAULTS["lr_step"],
    show_default=True,
    help="Decay every N epochs (0: none).",
)
@click.option("--lr-gamma", type=float, default=TRAINING_DEFAULTS["lr_gamma"], show_default=True)
@click.option(
    "--model",
    "model_knobs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A model knob, e.g. --model dropout=0.3 (repeatable).",
)
@click.option(
    "--data-source",
    type=click.Choice(["mnist5k", "idx", "torchvision"]),
    default=DATA_DEFAULTS["source"],
    show_default=True,
)
@click.option("--data-root", default=None, help="Folder of IDX files (idx) or download folder (torchvision).")
@click.option("--n-pairs", type=click.IntRange(min=1), default=DATA_DEFAULTS["n_pairs"], show_default=True)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="CPU threads for torch.")
@click.option(
    "--checkpoint-every",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Checkpoint every N epochs (0: never).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Parquet file to write.")
def train(
    architecture,
    sharing,
    model_knobs,
    seed,
    device,
    threads,
    checkpoint_every,
    out,
    data_source,
    data_root,
    n_pairs,
    **training,
):
    """Train one configuration for one seed and write its per-epoch metrics to a Parquet file."""
    model = dict(parse_assignment(text) for text in model_knobs)
    if sharing is not None:
        model["sharing"] = sharing
    study = {
        "factors": {"architecture": [architecture]},
        "seeds": [seed],
        "training": {**training, "model": model},
        "data": {"source": data_source, "root": data_root, "n_pairs": n_pairs},
    }
    try:
        config = validate_config({"studies": {"cli": study}})
        (configuration,) = expand_configurations("cli", config["studies"]["cli"])
    except ConfigError as error:
        raise click.UsageError(
            str(error).replace("studies.cli.training.model", "--model").replace("studies.cli.", "--")
        )

    import torch

    from pairstudy.data import DataSourceError
    from pairstudy.train import train_to_parquet

    if threads:
        torch.set_num_threads(threads)
    interactive = sys.stderr.isatty()

    def show(row):
        if interactive:
            click.echo(
                f"epoch {row['epoch']:3d}  train loss {row['train_loss']:.4f}  train acc {row['train_accuracy']:.3f}  "
                f"test acc {row['test_accuracy']:.3f}  ({row['epoch_seconds']:.2f} s)",
                err=True,
            )

    try:
        result = train_to_parquet(
            out,
            study="cli",
            config=configuration.name,
            seed=seed,
            factors=configuration.factors,
            hyperparameters=configuration.hyperparameters,
            device=device,
            checkpoint_every=checkpoint_every,
            on_epoch=show,
        )
    except (DataSourceError, RuntimeError, ValueError) as error:
        raise click.ClickException(str(error))
    click.echo(f"{configuration.name} seed {seed}: {result.summary()}, {result.parameter_count:,} parameters -> {out}")


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default="config.yaml",
    show_default=True,
)
@click.option("--study", "study_names", multiple=True, help="Only this study (repeatable).")
def grid(config_path, study_names):
    """Print the expanded configurations and runs of the config's studies."""
    from pairstudy.study.jobs import study_grid_table

    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(f"{config_path}: {error}")
    names = study_names or tuple(config["studies"])
    for name in names:
        if name not in config["studies"]:
            raise click.BadParameter(
                f"{name!r} is not a study of {config_path}; studies: {sorted(config['studies'])}", param_hint="--study"
            )
        table, n_runs = study_grid_table(name, config["studies"][name])
        click.echo(
            f"study {name}: {len(table)} configurations x {len(seed_list(config['studies'][name]['seeds']))} seeds = {n_runs} runs"
        )
        click.echo(table.to_string(index=False))
        click.echo("")


@main.command()
def models():
    """List the registered architectures, their knobs and defaults."""
    from pairstudy.models import ARCHITECTURES

    for name, spec in ARCHITECTURES.items():
        digits = "digits" if spec.predicts_digits else "no digits"
        click.echo(f"{name:10s} ({digits}) {spec.description}")
        for knob, default in spec.factors.items():
            click.echo(f"    {knob} = {default!r}")


@main.group()
def data():
    """Look at the digit-pair data."""


@data.command()
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--source", type=click.Choice(["mnist5k", "idx", "torchvision"]), default="mnist5k", show_default=True)
@click.option("--root", default=None, help="Data folder for idx / torchvision.")
@click.option("--count", type=click.IntRange(1, 64), default=16, show_default=True, help="Pairs to draw.")
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PNG (or .svg/.html) to write."
)
def preview(seed, source, root, count, split, out):
    """Draw a grid of pairs with their classes and target."""
    from pairstudy.charts.pairs import pair_labels, pairs_chart, pairs_frame
    from pairstudy.data import DataSourceError, generate_pair_sets, load_pools

    try:
        sets = generate_pair_sets(count, seed, load_pools(source, root), normalize=False)
    except DataSourceError as error:
        raise click.ClickException(str(error))
    pairs = sets.train if split == "train" else sets.test
    frame = pairs_frame(pairs.input.numpy(), pair_labels(pairs.classes.tolist(), pairs.target.tolist()))
    out.parent.mkdir(parents=True, exist_ok=True)
    pairs_chart(frame, title=f"{source} {split} pairs, seed {seed} (target 1: first digit <= second)").save(
        str(out), **({"inline": True} if out.suffix == ".html" else {})
    )
    click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    main()
