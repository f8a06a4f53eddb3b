import math

import pandas as pd
import pytest
import torch

from pairstudy.metrics import read_run
from pairstudy.study import expand_configurations, validate_config
from pairstudy.train import objective, train_run, train_to_parquet
from pairstudy.train.run import checkpoint_path_for


def hyperparameters(architecture="twin", **training):
    model = training.pop("model", {})
    study = {
        "factors": {"architecture": [architecture]},
        "training": {"epochs": 2, "batch_size": 50, **training, "model": model},
        "data": {"n_pairs": 200},
    }
    (configuration,) = expand_configurations("t", validate_config({"studies": {"t": study}})["studies"]["t"])
    return configuration.hyperparameters


def test_two_epoch_run_writes_a_schema_valid_parquet(tmp_path):
    hp = hyperparameters(aux=True)
    out = tmp_path / "runs" / "seed0.parquet"
    result = train_to_parquet(
        out, study="t", config="twin-aux", seed=0, factors={"aux": True}, hyperparameters=hp, checkpoint_every=1
    )
    table = read_run(out)
    assert table["epoch"].tolist() == [1, 2]
    assert table["status"].unique().tolist() == ["ok"] and result.device == "cpu"
    assert table["parameter_count"].iloc[0] == 9_574
    assert table["test_digit_accuracy"].notna().all() and (table["test_accuracy"] > 0.4).all()
    assert not checkpoint_path_for(out).exists()


def test_runs_are_deterministic_and_seeds_differ():
    hp = hyperparameters("cnn")
    first, again, other = (pd.DataFrame(train_run(hp, seed).rows) for seed in (1, 1, 2))
    columns = ["train_loss", "train_accuracy", "test_loss", "test_accuracy"]
    pd.testing.assert_frame_equal(first[columns], again[columns])
    assert not first[columns].equals(other[columns])


def test_aux_flag_changes_the_loss():
    torch.manual_seed(0)
    logits, digits = torch.randn(6, 2), torch.randn(6, 2, 10)
    target, classes = torch.randint(0, 2, (6,)), torch.randint(0, 10, (6, 2))
    plain = objective(logits, digits, target, classes, aux=False, aux_weight=0.2)
    with_aux = objective(logits, digits, target, classes, aux=True, aux_weight=0.2)
    expected = 0.2 * torch.nn.functional.cross_entropy(logits, target) + 0.4 * (
        torch.nn.functional.cross_entropy(digits[:, 0], classes[:, 0])
        + torch.nn.functional.cross_entropy(digits[:, 1], classes[:, 1])
    )
    assert torch.isclose(with_aux, expected) and not torch.isclose(plain, with_aux)
    assert torch.isclose(objective(logits, digits, target, classes, aux=True, aux_weight=1.0), plain)


def test_aux_is_off_for_models_without_digits():
    assert hyperparameters("mlp", aux=True)["aux"] is False


def test_divergence_ends_the_run_with_status_diverged(tmp_path):
    hp = hyperparameters("mlp", optimizer="sgd", lr=1e30, epochs=6, model={"batch_norm": False, "dropout": 0.0})
    out = tmp_path / "seed0.parquet"
    result = train_to_parquet(out, study="t", config="mlp", seed=0, factors={}, hyperparameters=hp)
    assert result.status == "diverged" and len(result.rows) < 6
    assert not math.isfinite(result.rows[-1]["train_loss"])
    assert read_run(out)["status"].iloc[0] == "diverged"


def test_resume_from_checkpoint_gives_the_same_metrics(tmp_path):
    hp = hyperparameters("twin", aux=True, epochs=4)
    whole = pd.DataFrame(train_run(hp, 5).rows)
    checkpoint = tmp_path / "run.ckpt"

    class Stop(Exception):
        pass

    def stop_after_two(row):
        if row["epoch"] == 3:
            raise Stop

    with pytest.raises(Stop):
        train_run(hp, 5, checkpoint_path=checkpoint, checkpoint_every=2, on_epoch=stop_after_two)
    assert checkpoint.exists()
    resumed = train_run(hp, 5, checkpoint_path=checkpoint, checkpoint_every=2)
    assert resumed.resumed_from_epoch == 2
    columns = ["train_loss", "train_accuracy", "test_loss", "test_accuracy", "test_digit_accuracy"]
    pd.testing.assert_frame_equal(pd.DataFrame(resumed.rows)[columns], whole[columns])


def test_cuda_request_without_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        train_run(hyperparameters("mlp"), 0, device="cuda")


def test_a_finished_run_keeps_its_misclassified_test_pairs(tmp_path):
    from pairstudy.metrics import read_misclassified

    hp = hyperparameters("twin", aux=True)
    out = tmp_path / "seed0.parquet"
    result = train_to_parquet(out, study="t", config="twin-aux", seed=0, factors={"aux": True}, hyperparameters=hp)
    stored = read_misclassified(out)
    wrong = round((1 - result.rows[-1]["test_accuracy"]) * 200)
    assert len(stored) == min(16, wrong) and stored == result.misclassified
    first = stored[0]
    assert first["predicted"] != first["target"] and len(first["pixels"]) == 2 * 14 * 14
    assert first["target"] == int(first["classes"][0] <= first["classes"][1]) and len(first["predicted_digits"]) == 2
    assert 0 <= min(first["pixels"]) and max(first["pixels"]) <= 255 and max(first["pixels"]) > 100
