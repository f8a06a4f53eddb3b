"""The pairstudy command line: thin commands, each calling one function of the package.

Every option that sets a training or job setting is made from the config schema: its name,
type, allowed values, default and help are the schema's. Data settings are the task's (--data).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import yaml

from pairstudy.study import ConfigError, load_config, read_yaml, schema_property, validate_config
from pairstudy.study.schema import load_schema

# training keys that are not options of `pairstudy train`: the model section has --model
NOT_OPTIONS = {"training": ("model",)}


def option_from_schema(definition: str, key: str, flag: str):
    """A click option for one schema property; its default stays None, so the schema fills it in."""
    spec = schema_property(definition, key) if definition != "top" else load_schema()["properties"][key]
    help_text = " ".join(str(spec.get("description", "")).split())
    default = spec.get("default")
    shown = {"show_default": str(default).lower() if isinstance(default, bool) else str(default)}
    if spec.get("type") == "boolean":
        return click.option(f"--{flag}/--no-{flag}", key, default=None, help=help_text, **shown)
    if "enum" in spec:
        kind = click.Choice(spec["enum"])
    elif spec.get("type") == "integer":
        kind = click.IntRange(min=spec.get("minimum"), max=spec.get("maximum"))
    elif spec.get("type") == "number":
        kind = float
    else:
        kind = str
    return click.option(f"--{flag}", key, type=kind, default=None, help=help_text, **shown)


def schema_options(function):
    """Decorate `train` with one option per training setting, and the job settings."""
    for key in reversed(list(schema_property_names("training"))):
        function = option_from_schema("training", key, key.replace("_", "-"))(function)
    for key in ("checkpoint_every", "threads", "device"):
        function = option_from_schema("top", key, key.replace("_", "-"))(function)
    return function


def schema_property_names(definition: str) -> list[str]:
    properties = load_schema()["definitions"][definition]["properties"]
    return [key for key in properties if key not in NOT_OPTIONS[definition]]


def parse_assignment(text: str) -> tuple[str, object]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE")
    return key, yaml.safe_load(value)


def config_option(default: str | None = "config.yaml", help_text: str = "The config file."):
    return click.option(
        "--config",
        "--configfile",  # Snakemake's name for it
        "config_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


study_option = click.option("--study", "study_names", multiple=True, help="Only this study (repeatable).")


def given(values: dict) -> dict:
    return {key: value for key, value in values.items() if value is not None}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pairstudy")
def main():
    """Declarative ablation studies: a factor grid of configurations, trained over seeds, compared by seed."""


class TrainCommand(click.Command):
    """`pairstudy train`, whose unknown options are usually model knobs or data settings: the error says how to set
    them."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            if error.possibilities or not error.option_name.startswith("--"):
                raise  # a near miss of an option (click suggests it), or a short flag
            name = error.option_name[2:].split("=", 1)[0].replace("-", "_")
            raise click.NoSuchOption(
                error.option_name,
                f"No such option: {error.option_name}. A model knob is set with --model {name}=VALUE and a data "
                f"setting with --data {name}=VALUE (`pairstudy models` lists each architecture's knobs, "
                "`pairstudy tasks` each task's data keys).",
                ctx=ctx,
            ) from None


def study_of(config_path: Path, name: str | None) -> tuple[str, dict, dict]:
    """The study of a config file that `pairstudy train --config` trains with: (its name, its settings, the whole
    validated config)."""
    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.UsageError(f"{config_path}: {error}") from None
    studies = config["studies"]
    if name is None and len(studies) > 1:
        raise click.UsageError(f"{config_path} holds the studies {sorted(studies)}: name one with --study")
    name = name if name is not None else next(iter(studies))
    if name not in studies:
        raise click.BadParameter(
            f"{name!r} is not a study of {config_path}; studies: {sorted(studies)}", param_hint="--study"
        )
    if "trainer" in studies[name]:
        raise click.UsageError(
            f"study {name!r} of {config_path} trains with a function of its own ({studies[name]['trainer']}), not a "
            "registered architecture; its workflow trains it: snakemake --cores all --configfile "
            f"{config_path} --replace-workflow-config"
        )
    return name, studies[name], config


def study_training(study: dict, architecture: str) -> tuple[dict, dict]:
    """A study's training settings and model knobs for `architecture`: its `training`, then its overrides for the
    architecture (knobs the architecture does not take left out)."""
    import copy

    from pairstudy.models import ARCHITECTURES

    training = copy.deepcopy(study["training"])
    override = copy.deepcopy(study.get("overrides", {}).get(architecture, {}))
    model = {**training.pop("model", {}), **override.pop("model", {})}
    spec = ARCHITECTURES.get(architecture)
    if spec is not None:
        model = {knob: value for knob, value in model.items() if spec.takes(knob)}
    return {**training, **override}, model


def settings_text(hyperparameters: dict) -> str:
    """The resolved settings of a run as KEY=VALUE, the way the options take them."""
    from pairstudy.metrics import dotted_keys

    shown = {key: value for key, value in hyperparameters.items() if key not in ("task", "architecture")}
    return " ".join(f"{key}={value}" for key, value in dotted_keys(shown).items() if value != [] and value != {})


@main.command(cls=TrainCommand)
@click.option("--arch", "architecture", required=True, help="Registered architecture name (see `pairstudy models`).")
@click.option("--sharing/--no-sharing", default=None, help="Weight sharing between the two towers, where it applies.")
@click.option(
    "--model",
    "model_knobs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A model knob, e.g. dropout=0.3 or, for a model of one's own, fusion=diff (repeatable). Knobs have no "
    "options of their own, --sharing aside; `pairstudy models` lists each architecture's.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed: pairs, init, order.")
@click.option("--task", default=None, help="Registered task (see `pairstudy tasks`); the schema's default without.")
@click.option("--data", "data_settings", multiple=True, metavar="KEY=VALUE", help="A data setting, e.g. n_pairs=500.")
@config_option(
    None,
    "Train with a study of this config file: its task, data, training settings, the architecture's overrides and "
    "job settings, and the model and task files it names (paths relative to it); the options given here win.",
)
@click.option("--study", "study_name", default=None, help="The study of --config's file, where it holds several.")
@click.option("--quiet", is_flag=True, help="Nothing on stderr: neither the settings nor the per-epoch progress.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Parquet file to write.")
@schema_options
def train(
    architecture, sharing, model_knobs, seed, task, data_settings, config_path, study_name, quiet, out, **settings
):
    """Train one configuration for one seed and write its per-epoch metrics to a Parquet run file.

    Its settings are the schema's defaults (those shown below, from pairstudy/study/config.schema.yaml), or with
    --config a study's own (a study sets its own: `--config config.yaml` trains with the default study's); the
    options given here win over either. Its first two lines on stderr say which, and every setting the run trains
    with.
    """
    top_keys = ("checkpoint_every", "threads", "device")
    model = dict(parse_assignment(text) for text in model_knobs)
    if sharing is not None:
        model["sharing"] = sharing
    training = given({key: value for key, value in settings.items() if key not in top_keys})
    data = dict(parse_assignment(text) for text in data_settings)
    config = {"studies": {}, **given({key: settings[key] for key in top_keys})}
    chosen = {**training, **config, **given({"task": task}), "model": model, "data": data}
    options = settings_text({key: value for key, value in chosen.items() if key != "studies"})
    base = Path(".")
    origin = "the schema's defaults (--config FILE: a study's settings instead)"
    if config_path is not None:
        name, study, whole = study_of(config_path, study_name)
        study_settings, study_model = study_training(study, architecture)
        training, model = {**study_settings, **training}, {**study_model, **model}
        data = {**study["data"], **data}
        task = task or study["task"]
        config = {
            **{key: whole[key] for key in top_keys},
            **config,
            **{key: whole.get(key, []) for key in ("model_files", "task_files")},
        }
        base = config_path.parent
        origin = f"study {name} of {config_path}"
    elif study_name is not None:
        raise click.UsageError("--study names a study of --config's file: give --config too")
    config["studies"]["cli"] = {
        "factors": {"architecture": [architecture]},
        "seeds": [seed],
        "training": {**training, "model": model},
        "data": data,
        **given({"task": task}),
    }
    from pairstudy.study import expand_configurations
    from pairstudy.study.preflight import check_data

    try:
        config = validate_config(config, base)
        (configuration,) = expand_configurations("cli", config["studies"]["cli"])
        check_data("cli", config["studies"]["cli"])
    except ConfigError as error:
        message = (
            str(error)
            .replace("studies.cli.training.model", "--model")
            .replace("studies.cli.data", "--data")
            .replace("studies.cli.", "--")
        )
        raise click.UsageError(message) from None
    from pairstudy.provenance import provenance, training_code
    from pairstudy.tasks import get_task
    from pairstudy.train.block import train_block
    from pairstudy.train.job import BlockJob

    cli_study = config["studies"]["cli"]
    job = BlockJob(
        study="cli",
        config=configuration.name,
        seeds=(seed,),
        factors=configuration.factors,
        hyperparameters=configuration.hyperparameters,
        code=training_code(architecture, cli_study["task"]),
        output=str(out),
        store=None,
        device=config["device"],
        checkpoint_every=config["checkpoint_every"],
        threads=config["threads"],
        metadata={"provenance": provenance()},
        code_files=tuple(str((base / path).resolve()) for path in [*config["model_files"], *config["task_files"]]),
        metrics=get_task(cli_study["task"]).spec().to_dict(),
    )
    if not quiet:
        then = f", then the options {options}" if options else ""
        click.echo(f"pairstudy train: {configuration.name} seed {seed} with {origin}{then}", err=True)
        trains = settings_text(configuration.hyperparameters)
        click.echo(f"pairstudy train: settings task={cli_study['task']} {trains}", err=True)
    summary = f"{configuration.name} seed {seed}: "  # the run's last line, printed once, on stdout, below
    lines = []

    def show(line):
        lines.append(line)
        if not quiet and not line.startswith(summary):
            click.echo(line, err=True)

    try:
        train_block(job, log=show)
    except (RuntimeError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{lines[-1]} -> {out}")
    from pairstudy.metrics import read_runs

    run = read_runs(out)
    if run["status"].iloc[0] == "failed":
        raise click.ClickException(f"the run failed ({run['message'].iloc[0]}); its run file records it")


@main.command()
@config_option()
@study_option
def grid(config_path, study_names):
    """Print the expanded configurations and runs of the config's studies."""
    from pairstudy.study import expand_configurations, seed_list, study_grid_table
    from pairstudy.study.grid import is_sequential
    from pairstudy.study.preflight import preflight
    from pairstudy.study.tuning import study_tuning, tuned_settings, tuning_grid_table

    try:
        config = load_config(config_path)
        chosen = {name: expand_configurations(name, study) for name, study in config["studies"].items()}
        notes = preflight(config, chosen)  # the workflow's checks before any job: it refuses what this refuses
    except ConfigError as error:
        raise click.ClickException(f"{config_path}: {error}") from None
    for note in notes:
        click.echo(f"note: {note}", err=True)
    for name in study_names or tuple(config["studies"]):
        if name not in config["studies"]:
            raise click.BadParameter(
                f"{name!r} is not a study of {config_path}; studies: {sorted(config['studies'])}", param_hint="--study"
            )
        study = config["studies"][name]
        configurations = chosen[name]
        seeds = len(seed_list(study["seeds"]))
        tuning = study_tuning(name, study, configurations)
        if tuning is not None:
            cells, count = len(tuning.cells), len(tuning.seeds)
            click.echo(f"study {name}, tuning: {cells} cells x {count} tuning seeds = {cells * count} runs")
            click.echo(tuning_grid_table(tuning).to_string(index=False))
            click.echo("")
        if is_sequential(study["seeds"]):
            plan = study["seeds"]
            click.echo(
                f"study {name}: {len(configurations)} configurations x up to {seeds} seeds = at most "
                f"{len(configurations) * seeds} runs (a sequential plan: {plan['initial']} seeds first, then "
                f"{plan['step']} more per stage for the configurations of comparisons still open)"
            )
        else:
            click.echo(
                f"study {name}: {len(configurations)} configurations x {seeds} seeds = {len(configurations) * seeds} "
                "runs"
            )
        tuned = tuned_settings(tuning) if tuning is not None else None
        click.echo(study_grid_table(configurations, study, tuned).to_string(index=False))
        click.echo("")


@main.command()
@config_option()
@study_option
@click.option("--all", "show_all", is_flag=True, help="Also list the run files that are up to date.")
def why(config_path, study_names, show_all):
    """Say, per run file, which settings, seeds or code changed since it was trained (run from the workflow's
    folder)."""
    from pairstudy.why import UP_TO_DATE, study_changes

    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(f"{config_path}: {error}") from None
    for name in study_names or tuple(config["studies"]):
        changes = study_changes(name, config["studies"][name])
        for path, reasons in changes:
            if reasons:
                click.echo(f"{path}: " + "; ".join(reasons))
            elif show_all:
                click.echo(f"{path}: up to date")
        if not any(reasons for _, reasons in changes):
            click.echo(f"{name}: {UP_TO_DATE} ({len(changes)} run files)")


@main.command()
@config_option()
@study_option
def status(config_path, study_names):
    """Say how far each study's training has come: runs and epochs done, training jobs running, about how long the
    rest takes, and where its report is. Run it from the workflow's folder, e.g. while a cluster trains the jobs (a
    local run prints the same line as each training job ends)."""
    from pairstudy.paths import REPORT_FOLDER, run_store
    from pairstudy.progress import make_plan, measure
    from pairstudy.study import expand_configurations
    from pairstudy.study.tuning import planned_work, read_selection, study_tuning

    try:
        config = load_config(config_path)
    except ConfigError as error:
        raise click.ClickException(f"{config_path}: {error}") from None
    for name in study_names or tuple(config["studies"]):
        if name not in config["studies"]:
            raise click.BadParameter(
                f"{name!r} is not a study of {config_path}; studies: {sorted(config['studies'])}", param_hint="--study"
            )
        study = config["studies"][name]
        configurations = expand_configurations(name, study)
        tuning = study_tuning(name, study, configurations)
        store = run_store(name, outside_allowed=True)  # only read here; the workflow refuses one it must not use
        progress = measure(make_plan(name, planned_work(study, configurations, tuning), store))
        running = ""
        if progress.training and not progress.done:
            running = f"; {progress.training} training job{'s' * (progress.training != 1)} running"
        click.echo(f"{progress.counts()}{running}; {progress.time_left()}")
        if tuning is not None and read_selection(tuning) is None:
            click.echo(
                f"    tuning: the counts are the tuning runs; the study's {len(configurations)} configurations train "
                "once tuning has chosen their settings"
            )
        page = Path(REPORT_FOLDER.format(study=name)) / "index.html"
        click.echo(f"    report: {page}" + ("" if page.exists() else " (not written yet)"))


def load_code_files(config_path: Path | None) -> None:
    """Import the model and task files a config names (paths relative to it)."""
    from pairstudy.study.config import load_model_files_of

    if config_path is None:
        return
    try:
        load_model_files_of(read_yaml(config_path), config_path.parent)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def reference_key(descriptions: list[str]) -> str:
    """What "report 000's" in the architectures' descriptions refers to: a reference study's report, whose preset
    is found by the source its published numbers name ("reference study 000 (...)")."""
    import re

    from pairstudy.presets import STUDIES_DIR, preset_paths, preset_study

    numbers = sorted({number for text in descriptions for number in re.findall(r"\breport (\d+)'s\b", text)})
    if not numbers:
        return ""
    presets = {}
    for path in preset_paths(STUDIES_DIR):
        _, study = preset_study(path)
        found = re.search(r"reference study (\d+)", str((study.get("published") or {}).get("source", "")))
        if found:
            presets[found[1]] = f"studies/{path.name}"
    named = ", ".join(f"{number} {presets.get(number, '(no preset)')}" for number in numbers)
    return (
        f"report NNN: the report of reference study NNN, one of the published studies of this task; the preset "
        f"that reproduces each, with its settings and published numbers: {named} (`pairstudy presets` lists them)"
    )


@main.command()
@click.option("--check", is_flag=True, help="Build every architecture and check its outputs, sharing and size.")
@config_option(None, "Also the architectures this config's model_files (and task_files) register.")
def models(check, config_path):
    """List the registered architectures, their tasks, knobs and defaults (and check them with --check)."""
    from pairstudy.models import ARCHITECTURES

    load_code_files(config_path)
    for name, spec in ARCHITECTURES.items():
        digits = ", digit outputs" if spec.predicts_digits else ""
        origin = "" if spec.source == "pairstudy" else f" [{spec.location}]"
        click.echo(f"{name:10s} ({', '.join(spec.tasks)}{digits}) {spec.description}{origin}")
        for knob in spec.knobs.values():
            choices = f" one of {list(knob.choices)}" if knob.choices else f" ({knob.kind})"
            click.echo(f"    {knob.name} = {knob.default!r}{choices}")
    key = reference_key([spec.description for spec in ARCHITECTURES.values()])
    if key:
        click.echo(key)
    if check:
        from pairstudy.models import check_models

        results = check_models()
        for result in results:
            click.echo(result.message())
        failed = [result for result in results if result.problems]
        if failed:
            raise click.ClickException(f"{len(failed)} of {len(results)} architectures failed their check")


@main.command()
@click.option("--verdicts", is_flag=True, help="Print whether each preset's results reproduce its published numbers.")
@click.option(
    "--sweep",
    "sweep_of",
    metavar="PRESET",
    default=None,
    help="Print how the sweep studies/PRESET_sweep.yaml ranks the settings it chooses for PRESET.",
)
@click.option(
    "--results",
    "results_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="results",
    show_default=True,
    help="The workflow's results folder (results/<study>/summary.parquet, statistics/published.csv).",
)
@click.option(
    "--studies",
    "studies_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="studies",
    show_default=True,
    help="Folder of preset files.",
)
def presets(verdicts, sweep_of, results_dir, studies_dir):
    """List the presets and their commands; with --verdicts, a Markdown table of published numbers against ours;
    with --sweep, the settings a preset's sweep chose on validation pairs."""
    from pairstudy.presets import preset_paths, preset_study
    from pairstudy.report.published import sweep_markdown, verdicts_markdown

    if sweep_of:
        try:
            click.echo(sweep_markdown(sweep_of, studies_dir, results_dir), nl=False)
        except (FileNotFoundError, ValueError) as error:
            raise click.ClickException(str(error)) from None
        return
    if not verdicts:
        for path in preset_paths(studies_dir, sweeps=True):
            name, study = preset_study(path)
            source = (study.get("published") or {}).get("source", "no published source")
            click.echo(f"{name}: {source}")
            click.echo(f"    snakemake --cores all --configfile studies/{path.name} --replace-workflow-config")
        return
    table = verdicts_markdown(studies_dir, results_dir)
    if not table:
        raise click.ClickException(
            f"no preset of {studies_dir} has results under {results_dir}: run one first, e.g. snakemake --cores all "
            f"--configfile {studies_dir / 'twinnet.yaml'} --replace-workflow-config (`pairstudy presets` lists them "
            "all, each with its command)"
        )
    click.echo(table, nl=False)


@main.command()
@config_option(None, "Also the tasks this config's task_files (and model_files) register.")
def tasks(config_path):
    """List the registered tasks: what the target is, the metrics (direction, unit; * the headline), the data keys."""
    from pairstudy.tasks import TASKS
    from pairstudy.tasks.registry import data_defaults, task_source

    load_code_files(config_path)
    for name, task in TASKS.items():
        origin = "" if task_source(name) == "pairstudy" else f" [{task_source(name)}]"
        click.echo(f"{name}: {task.target}{origin}")
        for metric in task.metrics:
            star = "*" if metric.name == task.headline else " "
            better = "higher" if metric.higher_is_better else "lower"
            click.echo(f"  {star} {metric.name}: {better} is better, {metric.unit}, on {', '.join(metric.splits)}")
        for key, default in data_defaults(name).items():
            click.echo(f"    data.{key} = {default!r}")


@main.group()
def data():
    """Look at a task's data."""


@data.command()
@click.option("--task", default=None, help="Registered task (see `pairstudy tasks`); the schema's default without.")
@click.option("--data", "data_settings", multiple=True, metavar="KEY=VALUE", help="A data setting, e.g. source=idx.")
@config_option(None, "A config file whose task_files register the task (paths relative to it).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--count", type=click.IntRange(1, 64), default=16, show_default=True, help="Examples to draw.")
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="PNG (or .svg/.html) to write."
)
def preview(task, data_settings, config_path, seed, count, split, out):
    """Draw a grid of a task's examples with what each one's target is."""
    from pairstudy.charts.examples import examples_chart
    from pairstudy.data import DataSourceError
    from pairstudy.tasks import get_task
    from pairstudy.tasks.registry import TaskConfigError, check_data_settings, data_defaults

    load_code_files(config_path)
    name = task or schema_property("study", "task")["default"]
    settings = dict(parse_assignment(text) for text in data_settings)
    try:
        check_data_settings(name, settings, "--data")
        task_class = get_task(name)
        data = {**data_defaults(name), **settings}
        task_class.check_data(data)
        splits = task_class({"data": data}).load(seed, "cpu")
    except (TaskConfigError, DataSourceError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    shown = task_class({"data": data}).shown(getattr(splits, split), splits.info, count)
    if not shown:
        raise click.ClickException(f"task {name!r} draws no examples")
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"{name} {split} examples, seed {seed}: {task_class.target}"
    examples_chart(shown, title=title).save(str(out), **({"inline": True} if out.suffix == ".html" else {}))
    click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
