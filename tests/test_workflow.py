"""The Snakemake workflow end to end on a tiny study, and exactly what it reruns after an edit."""

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pairstudy.metrics import RunIdentity, hyperparameter_hash, read_runs
from pairstudy.study import expand_configurations, validate_config
from tests.helpers import (
    ROOT,
    TINY,
    TINY_CONFIGS,
    copy_workflow,
    output_of,
    planned,
    snakemake,
    training_outputs,
    write_config,
)

CONFIGS = TINY_CONFIGS


def edited(**study) -> dict:
    config = yaml.safe_load(yaml.safe_dump(TINY, sort_keys=False))
    config["studies"]["tiny"].update(study)
    return config


@pytest.fixture
def workdir(tiny_workflow):
    return tiny_workflow


def plan_with(workdir: Path, config: dict, *arguments: str) -> dict:
    write_config(workdir, config)
    try:
        return planned(workdir, *arguments)
    finally:
        write_config(workdir, TINY)


def test_study_runs_to_a_report_whose_table_matches_the_run_files(workdir):
    report = workdir / "reports" / "tiny" / "index.html"
    assert report.exists() and "<svg" in report.read_text()
    summary = pd.read_parquet(workdir / "results" / "tiny" / "summary.parquet").set_index("config")
    assert list(summary.index) == CONFIGS
    spec = validate_config(TINY)["studies"]["tiny"]
    hashes = {c.name: hyperparameter_hash(c.hyperparameters) for c in expand_configurations("tiny", spec)}
    for config in CONFIGS:
        folder = workdir / "results" / "tiny" / "runs" / config
        assert sorted(path.name for path in folder.glob("*.parquet")) == ["block0.parquet", "block1.parquet"]
        runs = pd.concat(
            [
                read_runs(folder / "block0.parquet", RunIdentity("tiny", config, (0, 1), hashes[config])),
                read_runs(folder / "block1.parquet", RunIdentity("tiny", config, (2,), hashes[config])),
            ]
        )
        finals = runs.sort_values("epoch").groupby("seed")["test_accuracy"].last()
        assert summary.loc[config, "n_seeds"] == 3
        assert summary.loc[config, "final_test_accuracy_mean"] == pytest.approx(finals.mean())
        assert summary.loc[config, "final_test_accuracy_std"] == pytest.approx(finals.std(ddof=1))
    assert (workdir / "reports" / "tiny" / "paper" / "summary.tex").read_text().startswith("\\begin{tabular}")
    epochs = pd.read_parquet(workdir / "results" / "tiny" / "epochs.parquet")
    assert len(epochs) == 3 * 3 * 2 and {"sharing", "aux"} <= set(epochs.columns)


def test_result_files_have_the_usual_permissions(workdir):
    mask = os.umask(0)
    os.umask(mask)
    for path in [
        workdir / "results" / "tiny" / "runs" / "mlp" / "block0.parquet",
        *workdir.glob("results/tiny/*.parquet"),
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask, path


def test_nothing_to_do_after_a_complete_run(workdir):
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout


def test_one_architecture_learning_rate_reruns_only_its_jobs(workdir):
    jobs = plan_with(workdir, edited(overrides={"mlp": {"lr": 0.01}}))
    assert training_outputs(jobs) == [f"results/tiny/runs/mlp/block{block}.parquet" for block in (0, 1)]
    assert "aggregate_study" in jobs and "render_report" in jobs


def test_a_setting_a_configuration_does_not_use_reruns_none_of_its_jobs(workdir):
    # momentum (Adam) and lr_gamma (no step schedule) change nothing any configuration trains
    training = {**TINY["studies"]["tiny"]["training"], "momentum": 0.9, "lr_gamma": 0.5}
    assert training_outputs(plan_with(workdir, edited(training=training))) == []
    # the auxiliary loss's weight reruns the twin nets that use it, not the mlp, which has no digit outputs
    training = {**TINY["studies"]["tiny"]["training"], "aux_weight": 0.7}
    expected = [f"results/tiny/runs/{name}/block{block}.parquet" for name in CONFIGS[1:] for block in (0, 1)]
    assert training_outputs(plan_with(workdir, edited(training=training))) == sorted(expected)


def test_more_seeds_run_only_the_blocks_they_join(workdir):
    jobs = plan_with(workdir, edited(seeds=5))
    # blocks of 2 by seed value: [0, 1] is full and stays; seed 3 joins seed 2's block; seed 4 starts one
    expected = sorted(f"results/tiny/runs/{name}/block{block}.parquet" for name in CONFIGS for block in (1, 2))
    assert training_outputs(jobs) == expected


def test_a_block_that_gains_a_seed_trains_only_that_seed(workdir, tmp_path):
    copy = copy_workflow(tmp_path / "grown", edited(seeds=4))
    for folder in ("results", "pairstudy"):  # the same training code: its kept runs are this code's
        shutil.copytree(workdir / folder, copy / folder)
    shutil.copytree(workdir / ".snakemake", copy / ".snakemake", ignore=shutil.ignore_patterns("locks", "incomplete"))
    result = snakemake(copy, *(f"results/tiny/runs/{name}/block1.parquet" for name in CONFIGS))
    assert result.returncode == 0, output_of(result)
    log = (copy / "logs" / "tiny" / "train" / "twin-sharing" / "block1.log").read_text()
    assert "twin-sharing seed 2: kept run reused" in log
    assert re.search(r"twin-sharing seed 3 \(1/1\) epoch 2/2", log) and "seed 2 (1/" not in log
    before = read_runs(workdir / "results" / "tiny" / "runs" / "twin-sharing" / "block1.parquet")
    after = read_runs(copy / "results" / "tiny" / "runs" / "twin-sharing" / "block1.parquet")
    pd.testing.assert_frame_equal(after[after["seed"] == 2].reset_index(drop=True), before.reset_index(drop=True))


def test_report_setting_reruns_no_training(workdir):
    config = edited()
    config["report"] = {"charts": ["learning_curves"]}
    jobs = plan_with(workdir, config)
    assert training_outputs(jobs) == [] and "aggregate_study" not in jobs and "render_report" in jobs


def test_training_code_edit_reruns_every_training_job(workdir):
    loop = workdir / "pairstudy" / "train" / "loop.py"
    original = loop.read_text()
    os.utime(workdir / "pairstudy" / "models" / "flat.py")  # a touch alone changes nothing
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout
    loop.write_text(original + "\n# an edit\n")
    try:
        result = snakemake(workdir, "-n")
    finally:
        loop.write_text(original)
    assert result.returncode == 0, output_of(result)
    assert len(re.findall(r"rule train_block:", result.stdout)) == 6
    # each job's reason, in the words of `pairstudy why` (Snakemake's own, the whole settings dict, is quiet)
    changed = re.findall(
        r"pairstudy: tiny: (\S+): code: pairstudy training code \w+ -> pairstudy training code \w+", result.stderr
    )
    assert len(changed) == 6, result.stderr
    assert "reason:" not in result.stdout


def test_bad_config_stops_before_any_job_with_the_key_path(workdir):
    config = edited(training={"optimiser": "adam"})
    write_config(workdir, config)
    try:
        result = snakemake(workdir, "-n")
    finally:
        write_config(workdir, TINY)
    assert result.returncode != 0
    assert "studies.tiny.training: unknown key(s) ['optimiser']" in result.stdout + result.stderr


def job_list(dry_run: str) -> str:
    """The dry run's jobs as text, byte for byte, in a fixed order: rule, wildcards, output, reason, resources,
    without the job numbers and times that differ between any two runs."""
    blocks, block = [], []
    for line in dry_run.splitlines():
        if re.match(r"^\s*(local)?rule \S+:$", line):
            block = [line.strip()]
            blocks.append(block)
        elif block and line.strip() and not re.match(r"^\s*(jobid:|\[)", line) and line.startswith(" "):
            key, _, items = line.strip().partition(": ")
            block.append(f"{key}: {', '.join(sorted(items.split(', ')))}")  # Snakemake lists sets unordered
        else:
            block = []
    return "\n".join(sorted("\n".join(block) for block in blocks))


def test_the_job_list_does_not_depend_on_the_host_that_parses_it(workdir, tmp_path):
    """A login node without a GPU and a GPU node re-parsing the workflow plan the same jobs under the same rule."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "nvidia-smi").write_text("#!/bin/sh\necho 'GPU 0: Fake'\n")
    (fake / "nvidia-smi").chmod(0o755)
    presets = [yaml.safe_load((ROOT / name).read_text()) for name in ("config.yaml", "studies/towers.yaml")]
    for config in (TINY, *presets):
        write_config(workdir, config)
        try:
            plain = planned(workdir, "--forceall")
            os.environ["PATH"], path = f"{fake}:{os.environ['PATH']}", os.environ["PATH"]
            try:
                faked = planned(workdir, "--forceall")
            finally:
                os.environ["PATH"] = path
        finally:
            write_config(workdir, TINY)
        assert job_list(plain["_stdout"][0]) == job_list(faked["_stdout"][0])
        assert plain["train_block"] and "train_block" in job_list(plain["_stdout"][0])


def test_one_training_job_runs_alone_by_its_rule_and_wildcards(workdir):
    """What a cluster node does: re-parse the workflow and run one job named by --target-jobs."""
    block = workdir / "results" / "tiny" / "runs" / "mlp" / "block1.parquet"
    before = read_runs(block)
    result = snakemake(
        workdir, "--target-jobs", "train_block:study=tiny,config=mlp,block=1", "--forcerun", "train_block", cores=1
    )
    assert result.returncode == 0, output_of(result)
    pd.testing.assert_frame_equal(read_runs(block).drop(columns="epoch_seconds"), before.drop(columns="epoch_seconds"))
    assert "kept run reused" in (workdir / "logs" / "tiny" / "train" / "mlp" / "block1.log").read_text()
    assert "Nothing to be done" in snakemake(workdir, "-n", "--allowed-rules", "train_block").stdout


def test_the_costliest_training_jobs_start_first(tmp_path):
    """On one core the blocks run one at a time: the CNN's, then the twin's, then the MLP's, not in declared order."""
    study = {
        "seeds": 2,
        "seeds_per_job": 1,
        "data": {"n_pairs": 20},
        "training": {"epochs": 1, "batch_size": 10},
        "factors": {"architecture": ["mlp", "twin", "cnn"]},
    }
    workdir = copy_workflow(tmp_path / "order", {"studies": {"order": study}})
    result = snakemake(workdir, "--until", "train_block", cores=1)
    assert result.returncode == 0, output_of(result)
    started = re.findall(r"wildcards: study=order, config=(\w+), block=\d", result.stdout + result.stderr)
    assert started == ["cnn", "cnn", "twin", "twin", "mlp", "mlp"]


def test_failed_and_diverged_runs_do_not_stop_the_report(tmp_path):
    workdir = copy_workflow(
        tmp_path / "broken",
        {
            "min_seeds": 2,
            "studies": {
                "broken": {
                    "seeds": 2,
                    "data": {"n_pairs": 100},
                    "training": {"epochs": 2},
                    "factors": {"architecture": ["mlp", "twin"]},
                    "overrides": {
                        "twin": {"optimizer": "sgd", "lr": 1.0e30, "model": {"batch_norm": False, "dropout": 0.0}}
                    },
                }
            },
        },
    )
    result = snakemake(workdir)
    assert result.returncode == 0, output_of(result)  # a diverged run is a result, not a failure
    status = pd.read_csv(workdir / "results" / "broken" / "run_status.csv").set_index("config")
    assert status.loc["mlp", "finished"] == 2
    assert status.loc["twin", "diverged_seeds"] == "0 1"
    assert status.loc["twin", "rerun"] == "snakemake --cores all --forcerun results/broken/runs/twin/block0.parquet"
    summary = pd.read_csv(workdir / "results" / "broken" / "summary.csv").set_index("config")
    assert summary.loc["mlp", "n_seeds"] == 2 and pd.isna(summary.loc["twin", "final_test_accuracy_mean"])
    assert "--forcerun results/broken/runs/twin/block0.parquet" in (workdir / "reports/broken/index.html").read_text()


def test_lint_and_formatters_find_nothing():
    lint = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    snakefmt = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "Snakefile", "workflow"], cwd=ROOT, capture_output=True, text=True
    )
    assert snakefmt.returncode == 0, snakefmt.stdout + snakefmt.stderr
    for command in (["check", "."], ["format", "--check", "."]):
        ruff = subprocess.run([sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True)
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_why_names_the_keys_that_changed(workdir):
    def why(config):
        write_config(workdir, config)
        try:
            return subprocess.run(
                [sys.executable, "-m", "pairstudy.cli", "why"], cwd=workdir, capture_output=True, text=True, check=True
            ).stdout
        finally:
            write_config(workdir, TINY)

    assert why(TINY) == (
        "tiny: nothing to retrain: every run file holds its configuration's current settings, seeds and code "
        "(6 run files)\n"
    )
    lines = why(edited(overrides={"mlp": {"lr": 0.01, "model": {"dropout": 0.3}}}, seeds=4)).splitlines()
    assert "results/tiny/runs/mlp/block0.parquet: lr: 0.001 -> 0.01; model.dropout: 0.2 -> 0.3" in lines
    assert "results/tiny/runs/twin-sharing/block1.parquet: seeds: [2] -> [2, 3]" in lines
    assert "results/tiny/runs/twin-sharing/block0.parquet" not in "\n".join(lines)
