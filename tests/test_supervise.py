"""A training job's child process: a killed child's seeds are recorded as failed, an interrupt records nothing."""

import signal

import pytest

from pairstudy.metrics import read_run
from pairstudy.study import expand_configurations, validate_config
from pairstudy.supervise import killed_message, run_supervised


def block_spec(tmp_path, seeds):
    config = validate_config(
        {
            "studies": {
                "tiny": {
                    "seeds": seeds,
                    "data": {"n_pairs": 60},
                    "training": {"epochs": 2},
                    "factors": {"architecture": ["mlp"]},
                }
            }
        }
    )
    (configuration,) = expand_configurations("tiny", config["studies"]["tiny"])
    return {
        "outputs": [str(tmp_path / f"seed{seed}.parquet") for seed in seeds],
        "seeds": seeds,
        "identity": {
            "study": "tiny",
            "config": configuration.name,
            "factors": configuration.factors,
            "hyperparameters": configuration.hyperparameters,
        },
        "device": "cpu",
        "checkpoint_every": 0,
        "threads": 1,
    }


def test_a_finished_child_writes_every_seed(tmp_path):
    spec = block_spec(tmp_path, [0, 1])
    with open(tmp_path / "job.log", "w") as log:
        assert run_supervised(spec, log=log) == 0
    assert [read_run(out)["status"].iloc[-1] for out in spec["outputs"]] == ["ok", "ok"]
    assert "seed 1: ok" in (tmp_path / "job.log").read_text()


def test_a_killed_child_leaves_failed_runs_for_the_seeds_it_did_not_finish(tmp_path):
    run_supervised(block_spec(tmp_path, [0]))
    finished_before = read_run(tmp_path / "seed0.parquet")
    spec = block_spec(tmp_path, [0, 1, 2])
    spec["outputs"][0] = str(tmp_path / "seed0.parquet")

    assert run_supervised(spec, on_start=lambda child: child.send_signal(signal.SIGKILL)) == 0

    assert read_run(tmp_path / "seed0.parquet").equals(finished_before)
    for out in spec["outputs"][1:]:
        run = read_run(out)
        assert run["status"].tolist() == ["failed"] and run["test_accuracy"].isna().all()
        assert run["message"].iloc[0] == killed_message(signal.SIGKILL)
        assert "out of memory" in run["message"].iloc[0]


@pytest.mark.parametrize("interrupt", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_child_records_nothing_and_fails_the_job(tmp_path, interrupt):
    spec = block_spec(tmp_path, [0, 1])
    assert run_supervised(spec, on_start=lambda child: child.send_signal(interrupt)) == 128 + interrupt
    assert not any((tmp_path / f"seed{seed}.parquet").exists() for seed in (0, 1))
