"""Tasks: the registry and its checks before any job, the built-in tasks, a task of one's own from a file through
the workflow to its report (a lower-is-better headline, a run that raises, a resumed run), and the default study's
numbers pinned from before tasks existed."""

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from pairstudy.metrics import epoch_columns
from pairstudy.models import load_model_files
from pairstudy.models.registry import unregister as unregister_models
from pairstudy.study import ConfigError, expand_configurations, validate_config
from pairstudy.tasks import Metric, MetricSpec, MetricSpecError, Task, get_task, register_task
from pairstudy.tasks.registry import TaskRegistrationError, unregister
from pairstudy.train import Member, train_run, train_vectorised
from tests.helpers import quiet

pytestmark = pytest.mark.usefixtures("one_thread")
USER_TASK = Path(__file__).with_name("data") / "regression_task.py"


def test_a_metric_spec_names_its_columns_run_metrics_and_round_trips():
    spec = get_task("digit_pairs").spec()
    assert list(spec.epoch_columns()) == [
        "train_accuracy",
        "train_comparison_loss",
        "validation_accuracy",
        "validation_comparison_loss",
        "test_accuracy",
        "test_comparison_loss",
        "test_digit_accuracy",
    ]
    assert list(spec.run_metrics())[:3] == [
        "final_test_accuracy",
        "selected_test_accuracy",
        "final_test_comparison_loss",
    ]
    assert MetricSpec.from_dict(json.loads(spec.to_json())) == spec
    assert spec.better(0.9, 0.8) and not MetricSpec("t", (Metric("mse", "lower", "number"),), "mse").better(0.9, 0.8)


@pytest.mark.parametrize(
    "metrics, headline, message",
    [
        ((Metric("accuracy"),), "loss", "headline 'loss' is not one of its metrics"),
        ((Metric("loss", "lower", "number"),), "loss", r"column\(s\) \['train_loss'\] are every run file's own"),
        ((Metric("accuracy", splits=("train",)),), "accuracy", "must be measured on test"),
        ((Metric("accuracy"), Metric("accuracy")), "accuracy", "appears twice"),
    ],
)
def test_metric_specs_that_cannot_work_are_refused(metrics, headline, message):
    with pytest.raises(MetricSpecError, match=message):
        MetricSpec("t", metrics, headline)


def test_a_metric_with_a_bad_direction_or_unit_is_refused():
    with pytest.raises(MetricSpecError, match="direction 'up'"):
        Metric("accuracy", "up")
    with pytest.raises(MetricSpecError, match="unit 'percent'"):
        Metric("accuracy", unit="percent")


def test_a_task_class_missing_a_method_or_a_data_default_is_not_registered():
    class NoMeasure(Task):
        metrics = (Metric("accuracy"),)
        headline = "accuracy"

        def load(self, seed, device): ...

        def objective(self, outputs, batch, aux_weight=None): ...

    with pytest.raises(TaskRegistrationError, match=r"defines no measure\(\)"):
        register_task("no_measure")(NoMeasure)

    class NoDefault(NoMeasure):
        def measure(self, outputs, batch): ...

        @staticmethod
        def data_settings(n_train: int): ...

    with pytest.raises(TaskRegistrationError, match="'n_train' has no default"):
        register_task("no_default")(NoDefault)
    with pytest.raises(TaskRegistrationError, match="registered twice"):
        register_task("digits")(get_task("digits"))
    unregister(["no_measure", "no_default"])


def study(**settings) -> dict:
    return {"studies": {"s": {"factors": {"architecture": ["image_mlp"]}, "task": "digits", **settings}}}


@pytest.mark.parametrize(
    "config, message",
    [
        (study(task="nope"), "config key studies.s.task: 'nope' is not a registered task"),
        (study(data={"n_pairs": 10}), "config key studies.s.data.n_pairs: task 'digits' takes no data key 'n_pairs'"),
        (study(data={"n_train": "many"}), "config key studies.s.data.n_train: 'many' is not allowed for task 'digits'"),
        (
            study(factors={"architecture": ["twin"]}),
            "architecture 'twin' serves the tasks ['digit_pairs'], not the study's task 'digits'",
        ),
        (
            study(factors={"architecture": ["image_mlp"], "aux": [False, True]}),
            "factors.aux: its levels change nothing",
        ),
    ],
)
def test_task_settings_are_refused_before_any_job_naming_the_key(config, message):
    with pytest.raises(ConfigError) as refused:
        config = validate_config(config)
        expand_configurations("s", config["studies"]["s"])
    assert message in str(refused.value)


def test_data_a_task_cannot_give_is_refused_before_any_job():
    from pairstudy.study.preflight import check_data

    config = validate_config(study(data={"n_train": 100_000}))
    with pytest.raises(ConfigError, match="config key studies.s.data: .*n_train \\+ validation = 100000"):
        check_data("s", config["studies"]["s"])


def test_a_task_file_with_an_error_names_its_file_and_line(tmp_path):
    bad = tmp_path / "bad_task.py"
    bad.write_text(
        "from pairstudy.tasks import Metric, Task, register_task\n\n\n"
        "@register_task('broken')\nclass Broken(Task):\n    metrics = (Metric('mse', 'lower', 'number'),)\n"
        "    headline = 'accuracy'\n"
    )
    (tmp_path / "config.yaml").write_text("task_files: [bad_task.py]\nstudies: {s: {factors: {architecture: [mlp]}}}\n")
    from pairstudy.study import load_config

    with pytest.raises(ConfigError, match=rf"{bad}:4: .*headline 'accuracy' is not one of its metrics"):
        load_config(tmp_path / "config.yaml")


def digits_settings(**training):
    config = validate_config(
        study(data={"n_train": 200, "n_test": 200, "validation": 50}, training={"epochs": 3, "lr": 0.005, **training})
    )
    return expand_configurations("s", config["studies"]["s"])[0].hyperparameters


def test_the_digits_task_trains_alike_alone_and_in_a_stack():
    settings = digits_settings()
    alone = [train_run(settings, seed, device="cpu", log=quiet) for seed in (0, 1)]
    together = train_vectorised([Member(settings, seed) for seed in (0, 1)], device="cpu", log=quiet)
    for lone, inside in zip(alone, together):
        assert list(lone.rows[0]) == list(epoch_columns(get_task("digits").spec()))
        for column in ("test_accuracy", "validation_accuracy", "train_accuracy"):
            assert [row[column] for row in inside.rows] == pytest.approx([row[column] for row in lone.rows], abs=0.01)
        assert [row["test_cross_entropy"] for row in inside.rows] == pytest.approx(
            [row["test_cross_entropy"] for row in lone.rows], rel=1e-3
        )
        assert lone.rows[-1]["test_accuracy"] > 0.4  # it learns: ten classes, chance is 0.1
        assert lone.misclassified and lone.misclassified[0]["shape"] == [14, 14]


def test_a_task_of_ones_own_resumes_from_its_checkpoint(tmp_path):
    load_model_files([USER_TASK])
    config = validate_config(
        {
            "studies": {
                "s": {"task": "digit_value", "training": {"epochs": 4}, "factors": {"architecture": ["value_mlp"]}}
            }
        }
    )
    settings = expand_configurations("s", config["studies"]["s"])[0].hyperparameters
    whole = train_run(settings, 3, device="cpu", log=quiet)

    def stop_after_two(row):
        if row["epoch"] == 2:
            raise KeyboardInterrupt

    checkpoint = tmp_path / "run.ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_run(
            settings, 3, device="cpu", checkpoint=checkpoint, checkpoint_every=1, on_epoch=stop_after_two, log=quiet
        )
    resumed = train_run(settings, 3, device="cpu", checkpoint=checkpoint, checkpoint_every=1, log=quiet)
    assert resumed.resumed_from_epoch == 1  # the checkpoint after epoch 1; epoch 2 ended in the interrupt
    strip = ["epoch_seconds"]
    assert pd.DataFrame(resumed.rows).drop(columns=strip).equals(pd.DataFrame(whole.rows).drop(columns=strip))


# the default study's runs (3 epochs) as the code before tasks trained them, at one thread: train loss and test
# accuracy per epoch
BEFORE_TASKS = {
    ("mlp", 0): [[0.5689229369163513, 0.76], [0.3790850341320038, 0.777], [0.2724732756614685, 0.799]],
    ("cnn", 1): [[0.5699359774589539, 0.729], [0.4138718247413635, 0.758], [0.31172287464141846, 0.794]],
    ("twin-sharing-aux", 1): [[1.2578113079071045, 0.482], [0.6773632764816284, 0.731], [0.43027463555336, 0.806]],
}


@pytest.mark.parametrize("config, seed", list(BEFORE_TASKS))
def test_the_default_study_trains_the_same_numbers_as_before_tasks(config, seed):
    from pairstudy.study import load_config

    default = load_config(Path(__file__).resolve().parents[1] / "config.yaml")["studies"]["siamese"]
    chosen = {c.name: c for c in expand_configurations("siamese", default)}[config]
    rows = train_run({**chosen.hyperparameters, "epochs": 3}, seed, device="cpu", log=quiet).rows
    found = [[row["train_loss"], row["test_accuracy"]] for row in rows]
    for (loss, accuracy), (loss_before, accuracy_before) in zip(found, BEFORE_TASKS[config, seed]):
        assert loss == pytest.approx(loss_before, rel=1e-4) and accuracy == pytest.approx(accuracy_before, abs=0.002)


def test_pairstudy_tasks_lists_metrics_directions_and_data_keys():
    from click.testing import CliRunner

    from pairstudy.cli import main

    result = CliRunner().invoke(main, ["tasks"])
    assert result.exit_code == 0, result.output
    assert "* accuracy: higher is better, fraction" in result.output
    assert "cross_entropy: lower is better, number" in result.output and "data.n_pairs = 1000" in result.output


def test_a_tiny_batch_from_every_task_gives_finite_measurements():
    for name in ("digit_pairs", "digits"):
        task_class = get_task(name)
        batch = task_class.example_batch(4)
        from pairstudy.models import ARCHITECTURES, create_model

        architecture = next(a for a, spec in ARCHITECTURES.items() if name in spec.tasks)
        outputs = create_model(architecture)(batch["input"])
        values = task_class({"data": {}}).measure(outputs, batch)
        assert all(torch.isfinite(value).all() for value in values.values() if value is not None)


BROKEN_TASKS = [
    (
        'sets = [{"input": images[part].to(device)',
        'sets = [{"input": (images[part] * 255).long().to(device)',
        "not a floating-point tensor",
    ),
    (
        'return {"mse": (outputs[:, 0] - batch["target"]) ** 2}',
        'return {"mse": ((outputs[:, 0] - batch["target"]) ** 2).mean()}',
        "not one value per example",
    ),
    (
        'return F.mse_loss(outputs[:, 0], batch["target"])',
        'return (outputs[:, 0] - batch["target"]) ** 2',
        "not a scalar tensor",
    ),
]


@pytest.mark.parametrize("find, replace, message", BROKEN_TASKS)
def test_a_task_whose_data_or_outputs_do_not_fit_is_refused_before_any_job(tmp_path, find, replace, message):
    from pairstudy.tasks.check import check_task_study

    source = USER_TASK.read_text()
    assert find in source
    task_file = tmp_path / "broken_task.py"
    task_file.write_text(
        source.replace(find, replace).replace('"digit_value"', '"broken_value"').replace('"value_mlp"', '"broken_mlp"')
    )
    load_model_files([task_file])
    config = validate_config(
        {"studies": {"s": {"task": "broken_value", "seeds": 1, "factors": {"architecture": ["broken_mlp"]}}}}
    )
    configurations = expand_configurations("s", config["studies"]["s"])
    try:
        with pytest.raises(ConfigError, match=rf"task 'broken_value' \({task_file}\).*{message}"):
            check_task_study("s", config["studies"]["s"], configurations)
    finally:
        unregister(["broken_value"])
        unregister_models(["broken_mlp"])
