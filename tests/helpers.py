"""What several test files share: workflow copies and Snakemake runs, run files, configurations, Debian packages."""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from pairstudy.aggregate import write_study_tables
from pairstudy.charts import CHARTS
from pairstudy.metrics import canonical_json, hyperparameter_hash, read_table, run_schema, spec_of, write_runs
from pairstudy.presets import PUBLISHED_TABLE, published_comparison
from pairstudy.report import render_study_report
from pairstudy.stats import smallest_effect_of, study_statistics
from pairstudy.study import baseline_names, expand_configurations, seed_list, validate_config
from pairstudy.tasks.digit_pairs import DigitPairs

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# The study the executor tests submit: two training jobs (one block each), seconds to train.
# the tiny study the workflow and report tests share (one run per test session: the `tiny_workflow` fixture)
TINY = {
    "report": {"charts": ["learning_curves", "final_accuracy_ci", "paired_differences"]},
    "studies": {
        "tiny": {
            "seeds": 3,
            "seeds_per_job": 2,
            "data": {"n_pairs": 100},
            "training": {"epochs": 2, "batch_size": 50},
            "factors": {"architecture": ["mlp", "twin"], "sharing": [False, True], "aux": [True]},
        }
    },
}
TINY_CONFIGS = ["mlp", "twin-nosharing", "twin-sharing"]
CLUSTER_STUDY = {
    "studies": {
        "tiny": {
            "seeds": 2,
            "data": {"n_pairs": 100},
            "training": {"epochs": 1, "batch_size": 50},
            "factors": {"architecture": ["mlp", "twin"]},
        }
    }
}
TIMINGS = ["epoch_seconds"]  # the only run columns that differ between two runs of the same block


def copy_workflow(workdir: Path, config: dict | None = None, package: bool = False) -> Path:
    """A fresh copy of the workflow (Snakefile, rules, profiles) to run Snakemake in; with `package`, also a copy of
    the package that the workspace's runs import first (so a test can edit the training code)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "workflow", "profiles"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, workdir / name)
    if package:
        shutil.copytree(ROOT / "pairstudy", workdir / "pairstudy", ignore=shutil.ignore_patterns("__pycache__"))
    if config is not None:
        write_config(workdir, config)
    return workdir


def write_config(workdir: Path, config: dict) -> None:
    # key order is kept: the factor order names configurations
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(workdir: Path, *arguments: str, cores: int = 2, env: dict | None = None) -> subprocess.CompletedProcess:
    """`snakemake --cores N ARGUMENTS` in `workdir`; a package copy in `workdir` is imported first."""
    environment = {**os.environ, "PYTHONPATH": str(workdir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", str(cores), *arguments],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
    )


def output_of(result: subprocess.CompletedProcess, tail: int = 5000) -> str:
    return (result.stdout + result.stderr)[-tail:]


def planned(workdir: Path, *arguments: str) -> dict[str, list[str]]:
    """Dry run: rule name -> outputs of each planned job; "_stdout" and "_stderr" hold the dry run's text."""
    result = snakemake(workdir, "-n", *arguments)
    assert result.returncode == 0, output_of(result)
    jobs: dict[str, list[str]] = {}
    rule = None
    for line in result.stdout.splitlines():
        match = re.match(r"^\s*(?:local)?(?:rule|checkpoint) (\S+):$", line)
        if match:
            rule = match.group(1)
            jobs.setdefault(rule, [])
        elif rule and line.strip().startswith("output:"):
            jobs[rule] += [path.strip() for path in line.split(":", 1)[1].split(",")]
    jobs["_stdout"] = [result.stdout]
    jobs["_stderr"] = [result.stderr]
    return jobs


def planned_then_run(workdir: Path) -> dict[str, list[str]]:
    """The jobs a dry run plans (see planned), then the real run, which must succeed."""
    jobs = planned(workdir)
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)
    return jobs


def planned_training_jobs(workdir: Path, *arguments: str) -> list[dict[str, dict[str, str]]]:
    """Dry run: each planned train_block job's "wildcards" and "resources" (name -> value, as printed)."""
    result = snakemake(workdir, "-n", *arguments)
    assert result.returncode == 0, output_of(result)
    jobs, rule = [], None
    for line in result.stdout.splitlines():
        if match := re.match(r"^\s*(?:local)?rule (\S+):$", line):
            rule = match.group(1)
        elif rule == "train_block" and line.strip().startswith("wildcards:"):
            wildcards = dict(item.strip().split("=", 1) for item in line.split(":", 1)[1].split(","))
        elif rule == "train_block" and line.strip().startswith("resources:"):
            # a value may hold ", " (HTCondor's require_gpus): items are split where a name= follows
            items = re.split(r",\s+(?=\w+=)", line.split(":", 1)[1].strip())
            jobs.append({"wildcards": wildcards, "resources": dict(item.split("=", 1) for item in items)})
    return jobs


def run_files(workdir: Path, study: str) -> list[str]:
    """The study's run files, relative to `workdir`, as snakemake targets."""
    runs = workdir / "results" / study / "runs"
    return sorted(str(path.relative_to(workdir)) for path in runs.glob("*/block*.parquet"))


def run_tables(workdir: Path, study: str) -> dict[str, pd.DataFrame]:
    """Every run file of the study (checked against the run schema), without its timings, by path."""
    from pairstudy.metrics import read_runs

    return {path: read_runs(workdir / path).drop(columns=TIMINGS) for path in run_files(workdir, study)}


def assert_same_runs(found: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert list(found) == list(expected) and found, (list(found), list(expected))
    for path, table in found.items():
        pd.testing.assert_frame_equal(table, expected[path], obj=path)


def training_outputs(jobs: dict) -> list[str]:
    return sorted(jobs.get("train_block", []))


def hyperparameters(architecture="twin", epochs=2, n_pairs=100, validation_pairs=0, **training):
    """The resolved hyperparameters of a one-configuration study, as the workflow would train them."""
    model = training.pop("model", {})
    study = {
        "factors": {"architecture": [architecture]},
        "training": {"epochs": epochs, "batch_size": 50, **training, "model": model},
        "data": {"n_pairs": n_pairs, "validation_pairs": validation_pairs},
    }
    from pairstudy.study import expand_configurations, validate_config

    (configuration,) = expand_configurations("t", validate_config({"studies": {"t": study}})["studies"]["t"])
    return configuration.hyperparameters


N_PAIRS = 100  # hyperparameters()' default


def assert_same_run(inside, lone, n_pairs=N_PAIRS, validation_pairs=1):
    """Equal to float tolerance: losses close, comparison accuracies within one pair, the same learning rates.

    Digit accuracies get a few digits of slack: early in training many digit logits sit near a tie, and a lone
    run trained with another number of threads moves as many digits across it.
    """
    together, apart = pd.DataFrame(inside.rows), pd.DataFrame(lone.rows)
    assert (inside.status, len(together), inside.parameter_count) == (lone.status, len(apart), lone.parameter_count)
    assert together["learning_rate"].tolist() == apart["learning_rate"].tolist()
    for column in ("train_loss", "train_comparison_loss", "test_comparison_loss"):
        np.testing.assert_allclose(together[column], apart[column], rtol=2e-3, atol=2e-4, err_msg=column)
    slack = {
        "train_accuracy": 1 / n_pairs,
        "test_accuracy": 1 / n_pairs,
        "validation_accuracy": 1 / validation_pairs,
        "test_digit_accuracy": 6 / n_pairs,
    }
    for column, fraction in slack.items():
        assert together[column].isna().equals(apart[column].isna()), column
        np.testing.assert_allclose(
            together[column].astype(float), apart[column].astype(float), atol=fraction + 1e-4, err_msg=column
        )


def frame(result) -> pd.DataFrame:
    """A run's rows without the wall time, the one column that may differ between equal runs."""
    return pd.DataFrame(result.rows).drop(columns="epoch_seconds")


def quiet(_line):
    pass


# a synthetic study for the statistics: the factors of its finals table
FACTORS = ["architecture", "sharing", "aux"]


def twin_study(n_seeds=10, aux_gain=0.08, sharing_gain=0.02, interaction=0.0, noise=0.003, seed=0):
    """A 2x2 twin block, plus an mlp pair and a cnn whose sharing does not apply (None)."""
    generator = np.random.default_rng(seed)
    seed_offset = generator.normal(0, 0.02, n_seeds)  # a seed's data pairs move every config alike
    configs = [
        ("twin", "twin", False, False),
        ("twin_shared", "twin", True, False),
        ("twin_aux", "twin", False, True),
        ("twin_shared_aux", "twin", True, True),
        ("mlp", "mlp", None, False),
        ("mlp_aux", "mlp", None, True),
        ("cnn", "cnn", None, False),
    ]
    rows = []
    for config, architecture, sharing, aux in configs:
        for seed_index in range(n_seeds):
            accuracy = 0.75 + seed_offset[seed_index] + aux_gain * aux + sharing_gain * bool(sharing)
            accuracy += interaction * bool(sharing) * aux + generator.normal(0, noise)
            rows.append(
                {
                    "config": config,
                    "seed": seed_index,
                    "architecture": architecture,
                    "sharing": sharing,
                    "aux": aux,
                    "final_test_accuracy": accuracy,
                }
            )
    return pd.DataFrame(rows)


def ensure_debian_package(package: str, provides: str) -> Path:
    """Return `provides` once it exists, installing `package` with apt-get when running as root; otherwise the test
    skips, and in CI (CI=true) it fails."""
    path = Path(provides)
    if not path.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
        if subprocess.run(install, env=environment, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=environment, capture_output=True)
            subprocess.run(install, env=environment, capture_output=True)
    if not path.exists():
        message = f"{provides} is missing: install the Debian package {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


# synthetic studies through the real aggregate, statistics and report steps (report, paper and browser tests)
# final test accuracy each configuration reaches on average (fractions); seeds add a shared shift and noise
ACCURACY = {
    "mlp": 0.80,
    "cnn": 0.85,
    "twin-nosharing-noaux": 0.84,
    "twin-nosharing-aux": 0.90,
    "twin-sharing-noaux": 0.86,
    "twin-sharing-aux": 0.92,
    "twin-noaux": 0.84,
    "twin-aux": 0.88,
}
# a configuration name that needs escaping in HTML, Markdown and LaTeX (the workflow's names cannot hold < or >)
ODD_NAME = "twin_<sharing>&aux"
STUDIES = {
    # the default study's shape, 10 seeds, with per-architecture learning rates and weight decay
    "ablation": {
        "title": "Twin nets <compared> & ablated",
        "description": "Does weight sharing help a twin net compare two digits?",
        "seeds": 10,
        "data": {"n_pairs": 1000},
        "training": {"epochs": 3, "lr": 0.005},
        "factors": {"architecture": ["mlp", "cnn", "twin"], "sharing": [False, True], "aux": [False, True]},
        "overrides": {"mlp": {"lr": 0.01, "weight_decay": 0.0001}, "cnn": {"lr": 0.002, "weight_decay": 0.0005}},
    },
    # two seeds: no interval anywhere, no 2x2 block, no baselines
    "fewseeds": {
        "description": "Does an auxiliary digit loss help?",
        "seeds": 2,
        "training": {"epochs": 2},
        "factors": {"architecture": ["twin"], "aux": [False, True]},
    },
    # every cnn seed diverges: one configuration with finished seeds, nothing to compare
    "diverged": {
        "seeds": 3,
        "training": {"epochs": 2},
        "factors": {"architecture": ["mlp", "cnn"]},
    },
}
RENAMED = {"ablation": {"twin-sharing-aux": ODD_NAME}}
DIVERGED = {"diverged": {"cnn"}}
ALL_CHARTS = list(CHARTS)


DIGIT_PAIRS = DigitPairs.spec()


def misclassified_examples(count: int = 5, images: int = 2, shape=(14, 14)) -> list[dict]:
    """Wrongly predicted test examples in the task-independent format: images (0-255, row-major), shape, label."""
    rng = np.random.default_rng(1)
    return [
        {
            "images": [rng.integers(0, 256, shape[0] * shape[1]).tolist() for _ in range(images)],
            "shape": list(shape),
            "label": f"example {index}: target {index % 2}, predicted {1 - index % 2}",
        }
        for index in range(count)
    ]


def run_table(
    study: str, config: str, configuration, seeds: list[int], epochs: int, diverged: bool = False
) -> pd.DataFrame:
    """The runs of one digit-pair configuration as the training step stores them, accuracies rising to
    ACCURACY[config]; digit accuracy only where the auxiliary loss trains the digit outputs; a diverged run's
    numbers are NaN after its first epoch."""
    rng = np.random.default_rng(zlib.crc32(config.encode()))
    trains_digits = bool(configuration.hyperparameters.get("aux"))
    rows = []
    for seed in seeds:
        final = ACCURACY[configuration.name] + 0.004 * (seed % 3) + rng.normal(0, 0.006)
        for epoch in range(1, epochs + 1):
            test_accuracy = final - 0.04 * (epochs - epoch)
            lost = diverged and epoch > 1
            rows.append(
                {
                    "epoch": epoch,
                    "train_loss": np.nan if lost else 0.9 / epoch,
                    "train_comparison_loss": np.nan if lost else 0.7 / epoch + 0.01 * seed,
                    "train_accuracy": np.nan if lost else min(1.0, test_accuracy + 0.03),
                    "validation_accuracy": None,
                    "validation_comparison_loss": None,
                    "test_comparison_loss": np.nan if lost else 0.8 / epoch,
                    "test_accuracy": np.nan if lost else test_accuracy,
                    "test_digit_accuracy": 0.93 if trains_digits and not lost else None,
                    "epoch_seconds": 0.5,
                    "learning_rate": configuration.hyperparameters["lr"],
                    "study": study,
                    "config": config,
                    "architecture": configuration.architecture,
                    "seed": seed,
                    "factors": canonical_json(configuration.factors),
                    "hyperparameters": canonical_json(configuration.hyperparameters),
                    "config_hash": hyperparameter_hash(configuration.hyperparameters),
                    "parameter_count": 1000 * (len(config) + 3),
                    "device": "cpu",
                    "torch_version": "2.0 (synthetic)",
                    "status": "diverged" if diverged else "ok",
                    "message": "",
                }
            )
    return pd.DataFrame(rows, columns=run_schema(DIGIT_PAIRS).names)


def write_study(folder: Path, name: str, spec: dict) -> dict:
    """Run files for every configuration and seed of one study, then the workflow's aggregate and statistics
    steps on them (the real functions); returns the study spec the report gets."""
    config = validate_config({"studies": {name: spec}})
    study = config["studies"][name]
    configurations = expand_configurations(name, study)
    rename = RENAMED.get(name, {})
    seeds = seed_list(study["seeds"])
    results = folder / "results" / name
    expected = []
    for configuration in configurations:
        config_name = rename.get(configuration.name, configuration.name)
        path = results / "runs" / config_name / "block0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        diverged = configuration.name in DIVERGED.get(name, set())
        table = run_table(name, config_name, configuration, seeds, study["training"]["epochs"], diverged)
        write_runs(table, path, DIGIT_PAIRS, misclassified={seed: misclassified_examples() for seed in seeds})
        expected.append(
            {
                "path": str(path),
                "study": name,
                "config": config_name,
                "seeds": seeds,
                "config_hash": hyperparameter_hash(configuration.hyperparameters),
            }
        )
    report_spec = {"name": name, **study, "seeds": seeds}
    baselines = [rename.get(baseline, baseline) for baseline in baseline_names(configurations, study)]
    aggregate_and_compare(results, expected, report_spec, baselines)
    # the statistics step's comparison with the published numbers (an empty table without a published block)
    summary, metadata = read_table(results / "summary.parquet")
    spec = spec_of(metadata, results / "summary.parquet")
    published = published_comparison(report_spec.get("published"), summary, spec)
    published.to_csv(results / "statistics" / f"{PUBLISHED_TABLE}.csv", index=False)
    return report_spec


def study_outputs(results: Path) -> dict[str, Path]:
    """The aggregate step's outputs under results/<study>."""
    outputs = {
        table: results / f"{table}.parquet" for table in ("epochs", "finals", "curves", "configurations", "summary")
    }
    outputs.update(
        summary_csv=results / "summary.csv",
        run_status=results / "run_status.csv",
        misclassified=results / "misclassified.json",
    )
    return outputs


def aggregate_and_compare(results: Path, expected: list[dict], study: dict, baselines: list[str]) -> None:
    """The workflow's aggregate and statistics steps (the real functions) on the run files `expected` lists."""
    outputs = study_outputs(results)
    write_study_tables(expected, outputs, study=study, provenance={"training code": "synthetic"}, min_seeds=2)
    finals, metadata = read_table(outputs["finals"])
    spec = spec_of(metadata, outputs["finals"])
    statistics = study_statistics(
        finals,
        metadata["factors"],
        spec=spec,
        baselines=baselines,
        order=list(dict.fromkeys(finals["config"])),
        smallest_effect=smallest_effect_of(None, spec.headline_metric),
    )
    (results / "statistics").mkdir(exist_ok=True)
    for table_name, table in statistics.items():
        table.to_csv(results / "statistics" / f"{table_name}.csv", index=False)


@functools.cache
def chart_inputs(base: Path, name: str) -> dict:
    """What the report hands each chart of STUDIES[name]: its stored tables, statistics and misclassified pairs."""
    folder = base / f"tables-{name}"
    write_study(folder, name, STUDIES[name])
    results = folder / "results" / name
    tables = {table: read_table(results / f"{table}.parquet")[0] for table in ("finals", "curves", "summary")}
    for table in ("intervals", "comparisons", "effects", "baselines"):
        tables[table] = pd.read_csv(results / "statistics" / f"{table}.csv")
    tables["misclassified"] = json.loads((results / "misclassified.json").read_text())
    tables["order"] = tables["summary"]["config"].tolist()
    tables["spec"] = spec_of(read_table(results / "finals.parquet")[1], results / "finals.parquet")
    return tables


def render(folder: Path, name: str, charts: list[str]) -> dict[str, Path]:
    study = write_study(folder, name, STUDIES[name])
    return render_results(folder, study, charts)


def render_results(folder: Path, study: dict, charts: list[str]) -> dict[str, Path]:
    """The report step (the real function) on folder/results/<study>, written to folder/reports/<study>."""
    name = study["name"]
    results = folder / "results" / name
    return render_study_report(
        tables={
            table: results / f"{table}.parquet" for table in ("epochs", "finals", "curves", "summary", "configurations")
        },
        statistics={
            table: results / "statistics" / f"{table}.csv"
            for table in ("intervals", "comparisons", "effects", "baselines", PUBLISHED_TABLE)
        },
        run_status=results / "run_status.csv",
        misclassified=results / "misclassified.json",
        out_dir=folder / "reports" / name,
        study=study,
        report_settings={"interval": "t", "charts": charts},
        min_seeds=2,
        workflow_dir=ROOT,
    )


@functools.cache
def study_report(base: Path, name: str, charts: tuple[str, ...] = tuple(ALL_CHARTS)) -> dict[str, Path]:
    """The report of STUDIES[name], rendered once per test process into a folder of its own under `base`."""
    folder = base / f"report-{name}-{len(charts)}"
    return render(folder, name, list(charts))


def read_report(paths: dict[str, Path]) -> tuple[dict[str, Path], str, str]:
    return paths, paths["html"].read_text(encoding="utf-8"), paths["markdown"].read_text(encoding="utf-8")


def results_of(paths: dict[str, Path]) -> Path:
    """results/<study> beside the report's reports/<study>."""
    report = paths["html"].parent
    return report.parents[1] / "results" / report.name


def visible_text(page: str) -> str:
    """The page's text without its inline SVGs and tags, entities decoded, whitespace collapsed."""
    text = re.sub(r"<svg.*?</svg>", " ", page, flags=re.DOTALL)
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def section_of(page: str, title: str) -> str:
    match = re.search(rf'<section id="[^"]+"><h2>{re.escape(title)}</h2>(.*?)</section>', page, flags=re.DOTALL)
    assert match, f"no section {title!r}"
    return match.group(1)


def headings(page: str) -> list[str]:
    return re.findall(r"<h2>([^<]+)</h2>", page)
