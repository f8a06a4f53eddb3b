"""bench/gpu.py, the GPU benchmark, run on the CPU at tiny sizes: every step it takes on a GPU (correctness of the
vectorised trainer against lone runs, the speed of the plain loop and of the vectorised trainer at several K, a
study end to end with Snakemake) finishes and writes the numbers the GPU run is for; a spent time budget skips
steps and stops the one in progress; the GPU's utilisation is read from nvidia-smi."""

import json
import math
import os
import subprocess
import sys
import textwrap
import time

import pytest
import yaml

from tests.helpers import ROOT

SCRIPT = ROOT / "bench" / "gpu.py"
RESULT = "gpu-bench-on-cpu-trial.json"
TINY_STUDY = {
    "report": {"charts": ["learning_curves"]},
    "studies": {
        "tiny": {
            "seeds": 2,
            "data": {"n_pairs": 100},
            "training": {"epochs": 1, "batch_size": 50},
            "factors": {"architecture": ["mlp"]},
        }
    },
}
# one torch thread in every process: on a machine whose cores are busy, two spinning threads make tiny runs slower
ONE_THREAD = {**os.environ, "OMP_NUM_THREADS": "1"}
TINY_SIZES = [
    "--device", "cpu", "--seeds", "2", "--epochs", "1", "--plain-seeds", "1", "--check-seeds", "2",
    "--check-epochs", "1", "--speed-seeds", "2,3", "--speed-epochs", "1", "--pairs", "100",
]  # fmt: skip


def bench(tmp_path, *arguments: str, timeout: int = 180) -> tuple[subprocess.CompletedProcess, dict]:
    """bench/gpu.py with `arguments`, its results into tmp_path/out: the process and the results file."""
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *arguments, "--out-dir", str(out)],
        cwd=ROOT,
        env=ONE_THREAD,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [path.name for path in out.iterdir()] == [RESULT]
    return result, json.loads((out / RESULT).read_text())


def positive(value) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The three steps of the GPU run, on the CPU at tiny sizes, the workflow's study the tiny one."""
    tmp_path = tmp_path_factory.mktemp("gpu-bench")
    study = tmp_path / "tiny.yaml"
    study.write_text(yaml.safe_dump(TINY_STUDY, sort_keys=False))
    default = ROOT / "bench" / "results" / RESULT  # where the results would go without --out-dir

    def stamp():
        return default.stat().st_mtime_ns if default.exists() else None

    before = stamp()
    _, found = bench(tmp_path, *TINY_SIZES, "--study", str(study))
    assert stamp() == before, "the check wrote into bench/results"
    return found


def test_the_run_is_complete_and_marked_a_trial(tiny_run):
    assert tiny_run["complete"] is True and tiny_run["trial"] is True and tiny_run["device"] == "cpu"
    assert tiny_run["steps"] == ["correctness", "speed", "workflow"] and tiny_run["skipped"] == {}
    for step in tiny_run["steps"]:
        assert "failed" not in tiny_run["modes"][step], tiny_run["modes"][step]
        assert positive(tiny_run["modes"][step]["step_seconds"])
    # what the documentation's GPU table reads
    assert (tiny_run["study"], tiny_run["runs"], tiny_run["seeds"], tiny_run["epochs"]) == ("tiny", 2, 2, 1)
    assert "bench/gpu.py --device cpu" in tiny_run["command"] and "--out-dir" in tiny_run["command"]
    for key in ("plain_seconds_per_run", "pairstudy_seconds_per_run", "ratio", "end_to_end_seconds"):
        assert positive(tiny_run[key]), key
    assert tiny_run["pairstudy_mode"] == "speed: vectorised, K = 3, siamese/twin-sharing-aux"
    assert tiny_run["torch"] and tiny_run["date"] and tiny_run["cuda"] is None
    targets = tiny_run["summary"]["targets"]  # none for K >= 40 here
    assert set(targets) == {
        "vectorised within the tests' tolerance of lone runs, dropout 0",
        "the study end to end under 60 s",
    }
    assert targets["vectorised within the tests' tolerance of lone runs, dropout 0"] is True


def test_each_checked_configuration_has_finite_per_epoch_differences_within_tolerance(tiny_run):
    checked = tiny_run["modes"]["correctness"]["configurations"]
    assert [item["configuration"] for item in checked] == [
        "siamese/twin-sharing-aux",
        "siamese/cnn",
        "towers/lenet-batch_norm-dropout0-aux-comparatorlogits",
    ]
    for item in checked:
        assert "failed" not in item, item
        assert item["seeds"] == [0, 1] and item["epochs"] == 1 and item["pairs"] == 100 and item["devices"] == ["cpu"]
        assert item["model"].get("dropout", 0.0) == 0.0
        assert item["model"].get("batch_norm", True) is True  # the cnn and the LeNet tower with batch norm
        for column in ("test_accuracy", "test_comparison_loss", "train_loss"):
            per_epoch = item["max_abs_difference_per_epoch"][column]
            assert len(per_epoch) == 1 and all(math.isfinite(value) and value >= 0 for value in per_epoch), column
            assert item["max_abs_difference"][column] == max(per_epoch)
        assert item["within_tolerance"] is True, (item["outside_tolerance"], item["mismatches"])
        assert len(item["final_test_accuracy"]["vectorised"]) == len(item["final_test_accuracy"]["alone"]) == 2
    summary = tiny_run["summary"]["correctness"]
    assert all(math.isfinite(numbers["test_accuracy_max_abs"]) for numbers in summary.values())


def test_the_speed_step_times_the_plain_loop_and_each_k(tiny_run):
    speed = tiny_run["modes"]["speed"]
    assert speed["configuration"] == "siamese/twin-sharing-aux"
    assert speed["plain"]["runs"] == 1 and positive(speed["plain"]["seconds_per_run"])
    assert [item["k"] for item in speed["vectorised"]] == [2, 3]
    for item in speed["vectorised"]:
        assert positive(item["seconds_per_run"]) and item["statuses"] == ["ok"], item
        assert item["max_memory_allocated_mb"] is None  # GPU memory: on a GPU only
    summary = tiny_run["summary"]["speed"]
    assert set(summary["vectorised_seconds_per_run"]) == {"2", "3"}
    assert summary["plain_seconds_per_run"] == speed["plain"]["seconds_per_run"]


def test_the_study_runs_end_to_end_to_its_report(tiny_run):
    workflow = tiny_run["modes"]["workflow"]
    assert workflow["runs"] == 2 and workflow["trained_on"] == ["cpu"] and positive(workflow["end_to_end_seconds"])
    assert workflow["breakdown"]["training_jobs"] == 1
    assert workflow["gpu"]["samples"] == 0 and workflow["gpu"]["utilisation_percent_mean"] is None  # no nvidia-smi


def test_a_spent_budget_skips_every_step_and_the_file_says_so(tmp_path):
    _, found = bench(tmp_path, *TINY_SIZES, "--budget", "1")
    assert found["complete"] is False and found["modes"] == {}
    assert list(found["skipped"]) == ["correctness", "speed", "workflow"]
    assert all("budget" in reason for reason in found["skipped"].values())


def test_the_time_guard_stops_the_step_in_progress():
    """A correctness step far too long for a 3-s budget: its worker is ended, and the step says why."""
    program = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from bench.gpu import TimeGuard, chosen_configuration, run_worker
        checked = [chosen_configuration("default:twin-sharing-aux", 500, 1000, dropout=0.0)]
        started = time.monotonic()
        with TimeGuard(3) as guard:
            found = run_worker({{"mode": "correctness", "device": "cpu", "configurations": checked, "seeds": 4}}, guard)
        print(round(time.monotonic() - started), found["failed"])
        """
    )
    result = subprocess.run([sys.executable, "-c", program], env=ONE_THREAD, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    seconds, reason = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert int(seconds) < 15 and reason == "stopped: the time budget was spent", result.stdout


def test_gpu_utilisation_and_memory_are_sampled_from_nvidia_smi(tmp_path, monkeypatch):
    from bench.gpu import GpuSampler, parse_gpu_sample

    fake = tmp_path / "nvidia-smi"
    fake.write_text('#!/bin/sh\necho "37, 1234"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    with GpuSampler(0, every=0.05) as sampler:
        time.sleep(0.5)
    summary = sampler.summary()
    assert summary["samples"] >= 2 and len(summary["series"]) == summary["samples"]
    assert summary["utilisation_percent_mean"] == summary["utilisation_percent_max"] == 37.0
    assert summary["memory_used_peak_mb"] == 1234.0 and summary["busy_share"] == 1.0
    assert parse_gpu_sample("0, 512\n") == (0.0, 512.0)
    assert parse_gpu_sample("[N/A], 512") is None and parse_gpu_sample("") is None
