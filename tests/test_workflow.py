"""The Snakemake workflow end to end on a tiny study, and what it reruns after an edit."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workspace import copy_workflow

from pairstudy.metrics import read_run

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "studies": {
        "tiny": {
            "seeds": 3,
            "seeds_per_job": 2,
            "data": {"n_pairs": 100},
            "training": {"epochs": 2, "batch_size": 50},
            "factors": {"architecture": ["mlp", "twin"], "sharing": [False, True], "aux": [True]},
        }
    }
}


def snakemake(workdir: Path, *arguments: str) -> subprocess.CompletedProcess:
    # the workspace's own copy of the package comes first, so a test can edit the training code
    environment = {**os.environ, "PYTHONPATH": str(workdir)}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2", *arguments],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
    )


def planned(workdir: Path) -> dict[str, list[str]]:
    """Dry run: rule name -> outputs of each planned job, and the reasons text."""
    result = snakemake(workdir, "-n")
    assert result.returncode == 0, result.stdout + result.stderr
    jobs: dict[str, list[str]] = {}
    rule = None
    for line in result.stdout.splitlines():
        match = re.match(r"^(?:local)?rule (\S+):$", line)
        if match:
            rule = match.group(1)
            jobs.setdefault(rule, [])
        elif rule and line.strip().startswith("output:"):
            jobs[rule] += [path.strip() for path in line.split(":", 1)[1].split(",")]
    jobs["_stdout"] = [result.stdout]
    return jobs


def training_outputs(jobs) -> list[str]:
    return sorted(path for rule, outputs in jobs.items() if rule.startswith("train_") for path in outputs)


def write_config(workdir: Path, config: dict) -> None:
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("workflow"))
    shutil.copytree(ROOT / "pairstudy", workdir / "pairstudy", ignore=shutil.ignore_patterns("__pycache__"))
    write_config(workdir, TINY)
    result = snakemake(workdir)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    return workdir


def test_study_runs_to_a_report_whose_table_matches_the_run_files(workdir):
    report = workdir / "reports" / "tiny" / "index.html"
    assert report.exists() and "<svg" in report.read_text()
    summary = pd.read_csv(workdir / "results" / "tiny" / "summary.csv").set_index("config")
    assert list(summary.index) == ["mlp", "twin-nosharing", "twin-sharing"]
    for config in summary.index:
        runs = [
            pd.read_parquet(path)
            for path in sorted((workdir / "results" / "tiny" / "runs" / config).glob("seed*.parquet"))
        ]
        finals = pd.Series([run.sort_values("epoch")["test_accuracy"].iloc[-1] for run in runs])
        assert len(runs) == 3 and summary.loc[config, "n_seeds"] == 3
        assert summary.loc[config, "final_test_accuracy_mean"] == pytest.approx(finals.mean())
        assert summary.loc[config, "final_test_accuracy_std"] == pytest.approx(finals.std(ddof=1))
    assert (workdir / "results" / "tiny" / "summary.tex").read_text().startswith("\\begin{tabular}")
    assert "| mlp |" in (workdir / "results" / "tiny" / "summary.md").read_text()
    epochs = pd.read_parquet(workdir / "results" / "tiny" / "epochs.parquet")
    assert len(epochs) == 3 * 3 * 2


def test_nothing_to_do_after_a_complete_run(workdir):
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout


def test_one_architecture_learning_rate_reruns_only_its_jobs(workdir):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["studies"]["tiny"]["overrides"] = {"mlp": {"lr": 0.01}}
    write_config(workdir, config)
    try:
        jobs = planned(workdir)
    finally:
        write_config(workdir, TINY)
    assert training_outputs(jobs) == [f"results/tiny/runs/mlp/seed{seed}.parquet" for seed in range(3)]
    assert "aggregate_study" in jobs and "render_report" in jobs


def test_more_seeds_run_only_the_blocks_they_join(workdir):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["studies"]["tiny"]["seeds"] = 5
    write_config(workdir, config)
    try:
        jobs = planned(workdir)
    finally:
        write_config(workdir, TINY)
    # blocks of 2 by seed value: [0, 1] is full and stays; seed 3 joins seed 2's block; seed 4 starts one
    expected = sorted(
        f"results/tiny/runs/{name}/seed{seed}.parquet"
        for name in ("mlp", "twin-nosharing", "twin-sharing")
        for seed in (2, 3, 4)
    )
    assert training_outputs(jobs) == expected


def test_report_setting_reruns_no_training(workdir):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["report"] = {"title": "A new title"}
    write_config(workdir, config)
    try:
        jobs = planned(workdir)
    finally:
        write_config(workdir, TINY)
    assert training_outputs(jobs) == [] and "aggregate_study" not in jobs and "render_report" in jobs


def test_training_code_edit_reruns_every_training_job(workdir):
    loop = workdir / "pairstudy" / "train" / "loop.py"
    original = loop.read_text()
    os.utime(workdir / "pairstudy" / "models" / "flat.py")  # a touch alone changes nothing
    assert "Nothing to be done" in snakemake(workdir, "-n").stdout
    loop.write_text(original + "\n# an edit\n")
    try:
        jobs = planned(workdir)
    finally:
        loop.write_text(original)
    assert len(training_outputs(jobs)) == 9
    assert re.search(r"before: .pairstudy training code \w+. now: .pairstudy training code \w+", jobs["_stdout"][0])


def test_bad_config_stops_before_any_job_with_the_key_path(workdir):
    config = yaml.safe_load(yaml.safe_dump(TINY))
    config["studies"]["tiny"]["training"]["optimiser"] = "adam"
    write_config(workdir, config)
    try:
        result = snakemake(workdir, "-n")
    finally:
        write_config(workdir, TINY)
    assert result.returncode != 0
    assert "studies.tiny.training: unknown key(s) ['optimiser']" in result.stdout + result.stderr


def test_lint_finds_nothing_but_the_missing_per_rule_environments():
    # every job shares the one Python environment that holds torch, so no rule names a conda env
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True)
    lints = re.findall(r"^\s+\* (.+?):?$", result.stdout + result.stderr, flags=re.MULTILINE)
    assert lints, result.stdout + result.stderr
    assert set(lints) == {"Specify a conda environment or container for each rule."}


def test_study_report_renders_in_a_browser(workdir, tmp_path):
    from test_report_browser import open_in_chromium

    seen = open_in_chromium(workdir / "reports" / "tiny" / "index.html", tmp_path / "tiny.png")
    assert seen["charts"] >= 3 and seen["table_rows"] == 3
    assert seen["errors"] == [] and seen["failed"] == []


def test_snakemake_report_builds(workdir):
    result = snakemake(workdir, "--report", "snakemake-report.zip")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (workdir / "snakemake-report.zip").stat().st_size > 10_000


def test_failed_and_diverged_runs_do_not_stop_the_report(tmp_path):
    workdir = copy_workflow(tmp_path / "broken")
    write_config(
        workdir,
        {
            "min_seeds": 2,
            "studies": {
                "broken": {
                    "seeds": 2,
                    "data": {"n_pairs": 100},
                    "training": {"epochs": 2},
                    # three conv blocks shrink 14x14 to nothing: every cnn run raises
                    "factors": {"architecture": ["mlp", "cnn", "twin"]},
                    "overrides": {
                        "cnn": {"model": {"channels": [8, 16, 32]}},
                        "twin": {"optimizer": "sgd", "lr": 1.0e30, "model": {"batch_norm": False, "dropout": 0.0}},
                    },
                }
            },
        },
    )
    result = snakemake(workdir)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    status = pd.read_csv(workdir / "results" / "broken" / "run_status.csv").set_index("config")
    cnn = "cnn"
    assert status.loc["mlp", "finished"] == 2
    assert status.loc[cnn, "finished"] == 0 and str(status.loc[cnn, "failed_seeds"]) == "0 1"
    assert "shrink a 14x14 input to nothing" in status.loc[cnn, "errors"]
    assert status.loc["twin", "diverged_seeds"] == "0 1"
    assert status.loc["twin", "rerun"] == (
        "snakemake --cores all --forcerun results/broken/runs/twin/seed0.parquet results/broken/runs/twin/seed1.parquet"
    )
    summary = pd.read_csv(workdir / "results" / "broken" / "summary.csv").set_index("config")
    assert summary.loc["mlp", "n_seeds"] == 2 and summary.loc[cnn, "n_seeds"] == 0
    assert pd.isna(summary.loc[cnn, "final_test_accuracy_mean"]) and pd.isna(
        summary.loc["twin", "final_test_accuracy_mean"]
    )
    page = (workdir / "reports" / "broken" / "index.html").read_text()
    assert "--forcerun results/broken/runs/twin/seed0.parquet" in page


def training_child(workdir: Path) -> int | None:
    """The pid of a training job's child process working in `workdir`, if one runs."""
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            directory = os.readlink(proc / "cwd")
        except OSError:
            continue
        if b"pairstudy.train.job" in command and directory == str(workdir):
            return int(proc.name)
    return None


def test_a_killed_training_process_is_a_failed_run_and_its_rerun_resumes(tmp_path):
    workdir = copy_workflow(tmp_path / "killed")
    write_config(
        workdir,
        {
            "checkpoint_every": 1,
            "studies": {
                "killed": {
                    "seeds": 2,
                    "data": {"n_pairs": 300},
                    "training": {"epochs": 30, "batch_size": 50},
                    "factors": {"architecture": ["twin"]},
                }
            },
        },
    )
    runs = workdir / "results" / "killed" / "runs" / "twin"
    # seeds 0 and 1 train one after the other in one job (the CPU default of 5 seeds per job)
    checkpoint = runs / "seed1.parquet.ckpt"
    process = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--cores", "1"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert process.poll() is None and time.monotonic() < deadline, "no checkpoint of seed 1 appeared"
        time.sleep(0.02)
    child = training_child(workdir)
    assert child is not None
    os.kill(child, signal.SIGKILL)  # what the out-of-memory killer does
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output[-4000:]

    status = pd.read_csv(workdir / "results" / "killed" / "run_status.csv").set_index("config")
    assert status.loc["twin", "finished"] == 1 and str(status.loc["twin", "failed_seeds"]) == "1"
    assert "killed by SIGKILL" in status.loc["twin", "errors"]
    assert checkpoint.exists() and (runs / "seed0.parquet.ckpt").exists()  # the block re-runs as a whole
    assert "killed by SIGKILL" in (workdir / "reports" / "killed" / "index.html").read_text()
    finished_seed = read_run(runs / "seed0.parquet")

    rerun = subprocess.run(status.loc["twin", "rerun"].split(), cwd=workdir, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    log = (workdir / "logs" / "killed" / "train" / "twin" / "seeds0_to_1.log").read_text()
    assert "seed 0: ok on cpu" in log and "(resumed from epoch 30)" in log  # seed 0 trains no more
    assert re.search(r"seed 1: ok .*\(resumed from epoch \d+\)", log)
    pd.testing.assert_frame_equal(read_run(runs / "seed0.parquet"), finished_seed)
    assert read_run(runs / "seed1.parquet")["status"].iloc[-1] == "ok"
    assert not list(runs.glob("*.ckpt"))
