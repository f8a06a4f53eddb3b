"""A training function of one's own: declared settings checked before any job, the run handle's rows, a resumed
run, and a study of it through the workflow to its report, with runs that raise, log an unknown column or log
nothing recorded as failed with the reason."""

import json
from pathlib import Path

import pandas as pd
import pytest

from pairstudy.models.files import load_function
from pairstudy.study import ConfigError, expand_configurations, load_config
from pairstudy.train.function import TrainingFunctionError, run_training_function
from tests.helpers import quiet

pytestmark = pytest.mark.usefixtures("one_thread")

TRAINER = '''
import torch

from pairstudy import Metric, training_function

STOP_AT = 0  # a test sets it to interrupt the run after that epoch's step


@training_function(metrics=[Metric("mse", "lower", "number", "squared error")], headline="mse", target="a number")
def fit(run, width: int = 4, lr: float = 0.1, epochs: int = 4):
    """Fit y = 3x with a linear layer of `width` features; seeds 1-3 misbehave on purpose."""
    if run.seed == 1:
        raise RuntimeError("this seed breaks")
    if run.seed == 3:
        return None
    x = torch.linspace(-1, 1, 64)[:, None]
    model = torch.nn.Sequential(torch.nn.Linear(1, width), torch.nn.Linear(width, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    saved = run.restore()
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
    for epoch in range(run.epoch + 1, epochs + 1):
        loss = ((model(x) - 3 * x) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch == STOP_AT:
            raise KeyboardInterrupt
        if run.seed == 2:
            run.log(test_mse=loss.item(), test_accuracy=1.0)
        run.log(train_loss=loss.item(), train_mse=loss.item(), test_mse=((model(x) - 3 * x) ** 2).mean().item())
        run.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    return sum(parameter.numel() for parameter in model.parameters())
'''


def write_study(folder: Path, **study) -> Path:
    (folder / "fit.py").write_text(TRAINER)
    config = {"studies": {"fit": {"trainer": "fit.py:fit", "seeds": 4, **study}}}
    (folder / "config.yaml").write_text(json.dumps(config))
    return folder / "config.yaml"


@pytest.mark.parametrize(
    "study, message",
    [
        ({"factors": {"width": [2, "wide"]}}, r"studies.fit.factors.width\[1\]: 'wide' is not allowed for fit.py:fit"),
        ({"factors": {"depth": [1, 2]}}, "studies.fit.factors.depth\\[0\\]: the training function fit.py:fit"),
        ({"settings": {"lr": "fast"}, "factors": {"width": [2]}}, "studies.fit.settings.lr: 'fast' is not allowed"),
        ({"training": {"lr": 0.1}, "factors": {"width": [2]}}, "studies.fit.training: a study with a trainer"),
    ],
)
def test_bad_settings_are_refused_before_any_job_with_the_file_line_and_key(tmp_path, study, message):
    with pytest.raises(ConfigError, match=message) as refused:
        load_config(write_study(tmp_path, **study))
    if "not allowed" in message or "takes no setting" in str(refused.value):
        assert f"{tmp_path / 'fit.py'}:" in str(refused.value)


def test_a_function_without_its_declaration_is_refused(tmp_path):
    (tmp_path / "plain.py").write_text("def fit(run, width: int = 4):\n    pass\n")
    (tmp_path / "config.yaml").write_text(json.dumps({"studies": {"s": {"trainer": "plain.py:fit", "factors": {}}}}))
    with pytest.raises(ConfigError, match="is not declared with @pairstudy.training_function"):
        load_config(tmp_path / "config.yaml")


def test_a_setting_without_a_default_is_a_declaration_error():
    from pairstudy import Metric, training_function

    with pytest.raises(TrainingFunctionError, match="'width' has no default"):

        @training_function(metrics=[Metric("accuracy")], headline="accuracy")
        def fit(run, width: int): ...


def test_a_resumed_run_gives_the_rows_of_an_uninterrupted_one(tmp_path):
    config = load_config(write_study(tmp_path, factors={"width": [4]}))
    (configuration,) = expand_configurations("fit", config["studies"]["fit"])
    settings = configuration.hyperparameters["settings"]
    fit = load_function(tmp_path / "fit.py", "fit")
    whole = run_training_function(fit, settings, 0, device="cpu", log=quiet)
    checkpoint = tmp_path / "fit.ckpt"
    fit.__globals__["STOP_AT"] = 3
    with pytest.raises(KeyboardInterrupt):
        run_training_function(fit, settings, 0, device="cpu", checkpoint=checkpoint, log=quiet)
    fit.__globals__["STOP_AT"] = 0
    resumed = run_training_function(fit, settings, 0, device="cpu", checkpoint=checkpoint, log=quiet)
    assert resumed.resumed_from_epoch == 2 and whole.parameter_count == resumed.parameter_count == 13
    drop = ["epoch_seconds"]
    pd.testing.assert_frame_equal(
        pd.DataFrame(resumed.rows).drop(columns=drop), pd.DataFrame(whole.rows).drop(columns=drop)
    )


def test_a_training_job_resumes_a_training_function_from_its_checkpoint(tmp_path):
    """The job's own path: a checkpoint the function saved before an interrupt is resumed by the next job, which
    writes the run file an uninterrupted job writes."""
    from pairstudy.metrics import read_runs
    from pairstudy.provenance import configuration_code
    from pairstudy.train.block import train_block
    from pairstudy.train.job import BlockJob
    from pairstudy.train.store import RunStore

    config = load_config(write_study(tmp_path, factors={"width": [4]}))
    (configuration,) = expand_configurations("fit", config["studies"]["fit"])
    fit = load_function(tmp_path / "fit.py", "fit")

    def job(folder: str) -> BlockJob:
        return BlockJob(
            study="fit",
            config=configuration.name,
            seeds=(0,),
            factors=configuration.factors,
            hyperparameters=configuration.hyperparameters,
            code=configuration_code(configuration.hyperparameters),
            output=str(tmp_path / folder / "block0.parquet"),
            store=str(tmp_path / folder / "store"),
            checkpoint_every=1,
            metrics=fit.pairstudy_declaration.spec.to_dict(),
            trainer_file=str(tmp_path / "fit.py"),
        )

    whole, resumed = job("whole"), job("resumed")
    train_block(whole, log=quiet)
    store = RunStore(resumed.store, resumed.hyperparameters, resumed.code, beside=resumed.output, spec=resumed.spec)
    fit.__globals__["STOP_AT"] = 3
    with pytest.raises(KeyboardInterrupt):
        settings = configuration.hyperparameters["settings"]
        run_training_function(fit, settings, 0, device="cpu", checkpoint=store.checkpoint_path([0]), log=quiet)
    fit.__globals__["STOP_AT"] = 0
    lines = []
    train_block(resumed, log=lines.append)
    assert any("resumed from epoch 2" in line for line in lines), lines
    drop = ["epoch_seconds"]
    pd.testing.assert_frame_equal(
        read_runs(resumed.output).drop(columns=drop), read_runs(whole.output).drop(columns=drop)
    )
