"""Readings of a report's code that differ from clean practice, each a setting one can switch and measure: a network
whose output is its softmax, which the cross-entropy then reads as logits (output: probabilities), and each set of
pairs normalised with its own mean and std (data.normalize_by: each_set)."""

import math

import pytest
import torch
import torch.nn.functional as F

from pairstudy.data import generate_pair_sets, load_pools
from pairstudy.models import ARCHITECTURES, create_model
from pairstudy.study import ConfigError, expand_configurations, validate_config
from pairstudy.study.preflight import check_data
from pairstudy.tasks import get_task
from pairstudy.tasks.digit_pairs.examples import misclassified_pairs, pixels_of
from pairstudy.train import train_run
from tests.helpers import hyperparameters

READING_ARCHITECTURES = ("mlp", "cnn", "auxnet")  # the fcn_cnn_auxnet preset's


def outputs_of(architecture: str, output: str, x: torch.Tensor):
    torch.manual_seed(3)
    model = create_model(architecture, output=output).eval()
    with torch.no_grad():
        return model(x)


@pytest.mark.parametrize("architecture", READING_ARCHITECTURES)
def test_probabilities_are_the_softmax_of_the_same_networks_logits(architecture):
    assert ARCHITECTURES[architecture].defaults["output"] == "logits"  # off unless asked for
    x = torch.randn(8, 2, 14, 14)
    logits, digit_logits = outputs_of(architecture, "logits", x)
    probabilities, digit_probabilities = outputs_of(architecture, "probabilities", x)
    assert torch.allclose(probabilities.sum(-1), torch.ones(8)) and (probabilities >= 0).all()
    torch.testing.assert_close(probabilities, logits.softmax(-1))
    assert not torch.allclose(probabilities, logits)
    if ARCHITECTURES[architecture].predicts_digits:
        # the digit heads too, each digit's 10 probabilities summing to 1; the head still reads them once
        assert torch.allclose(digit_probabilities.sum(-1), torch.ones(8, 2))
        torch.testing.assert_close(digit_probabilities, digit_logits.softmax(-1))
    else:
        assert digit_logits is None and digit_probabilities is None
    with pytest.raises(ValueError, match="output"):
        create_model(architecture, output="softmax")


def test_the_loss_is_the_cross_entropy_of_the_softmax_read_as_logits():
    """The task's objective is unchanged: on probabilities it is cross-entropy(softmax(logits)), a second softmax,
    bounded below by log(1 + 1/e) for two classes, where cross-entropy of the logits goes to 0."""
    task = get_task("digit_pairs")({"data": {}, "aux": True, "aux_weight": 0.2})
    batch = task.example_batch(16)
    logits = outputs_of("auxnet", "logits", batch["input"])
    probabilities = outputs_of("auxnet", "probabilities", batch["input"])
    loss = task.objective(probabilities, batch, 0.2)
    comparison = F.cross_entropy(logits[0].softmax(-1), batch["target"])
    digits = sum(F.cross_entropy(logits[1][:, i].softmax(-1), batch["classes"][:, i]) for i in range(2))
    torch.testing.assert_close(loss, 0.2 * comparison + 0.4 * digits)
    assert not torch.isclose(loss, task.objective(logits, batch, 0.2))
    certain = torch.tensor([[1.0, 0.0]])  # the most confident probabilities
    assert F.cross_entropy(certain, torch.tensor([0])).item() == pytest.approx(math.log(1 + math.exp(-1)))


def test_training_with_probabilities_trains_on_the_double_softmax():
    """One short run each way from the same seed: the same first predictions, then different training; every loss of
    the probabilities run stays above the double softmax's floor."""
    floor = math.log(1 + math.exp(-1))
    runs = {
        output: train_run(hyperparameters("mlp", epochs=2, n_pairs=60, model={"output": output}), 0, device="cpu")
        for output in ("logits", "probabilities")
    }
    assert all(run.status == "ok" for run in runs.values())
    losses = {output: [row["train_loss"] for row in run.rows] for output, run in runs.items()}
    assert all(loss > floor for loss in losses["probabilities"])
    assert losses["logits"] != losses["probabilities"]


def test_output_is_a_factor_of_the_readings_architectures():
    study = {
        "factors": {"architecture": ["mlp", "cnn", "auxnet"], "output": ["logits", "probabilities"]},
        "training": {"epochs": 1},
    }
    found = expand_configurations("s", validate_config({"studies": {"s": study}})["studies"]["s"])
    assert [c.name for c in found][:2] == ["mlp-outputlogits", "mlp-outputprobabilities"]
    assert {c.hyperparameters["model"]["output"] for c in found} == {"logits", "probabilities"}
    with pytest.raises(ConfigError, match="output"):
        validate_config({"studies": {"s": {**study, "factors": {"architecture": ["mlp"], "output": ["softmax"]}}}})


@pytest.fixture(scope="module")
def pools():
    return load_pools("mnist5k")


def test_each_set_normalised_with_its_own_mean_and_std(pools):
    default = generate_pair_sets(200, 4, pools, validation=50)
    own = generate_pair_sets(200, 4, pools, validation=50, normalize_by="each_set")
    raw = generate_pair_sets(200, 4, pools, normalize=False, validation=50)
    mean, std = raw.train.input.mean(), raw.train.input.std()
    # the default is unchanged: every set with the train set's statistics
    for split in ("train", "test", "validation"):
        torch.testing.assert_close(getattr(default, split).input, (getattr(raw, split).input - mean) / std)
        assert default.statistics[split] == (mean.item(), std.item())
    torch.testing.assert_close(own.train.input, default.train.input)  # the train set is the same either way
    for split in ("test", "validation"):
        tensor = getattr(own, split).input
        assert tensor.mean().item() == pytest.approx(0, abs=1e-5) and tensor.std().item() == pytest.approx(1, abs=1e-5)
        pixels = getattr(raw, split).input
        assert own.statistics[split] == (pixels.mean().item(), pixels.std().item()) != default.statistics[split]
        assert not torch.allclose(tensor, getattr(default, split).input)
    assert (own.mean, own.std) == (default.mean, default.std)  # the train set's, as before
    with pytest.raises(ValueError, match="normalize_by"):
        generate_pair_sets(20, 4, pools, normalize_by="test_set")


def test_normalize_by_is_a_data_key_of_digit_pairs(pools):
    data = {"n_pairs": 40, "normalize_by": "each_set"}
    study = {"factors": {"architecture": ["mlp"]}, "training": {"epochs": 1}, "data": data}
    (found,) = expand_configurations("s", validate_config({"studies": {"s": study}})["studies"]["s"])
    assert found.hyperparameters["data"]["normalize_by"] == "each_set"
    default = {**study, "data": {"n_pairs": 40}}
    (plain,) = expand_configurations("s", validate_config({"studies": {"s": default}})["studies"]["s"])
    assert plain.hyperparameters["data"]["normalize_by"] == "train_set"
    with pytest.raises(ConfigError, match="normalize_by"):
        validate_config({"studies": {"s": {**study, "data": {**data, "normalize_by": "per_set"}}}})
    # before any job (the workflow's and `pairstudy grid`'s preflight): each_set says whose statistics normalise
    contradiction = validate_config({"studies": {"s": {**study, "data": {**data, "normalize": False}}}})
    with pytest.raises(ConfigError, match="studies.s.data: normalize_by 'each_set' needs normalize: true"):
        check_data("s", contradiction["studies"]["s"])
    # the task loads them so, and its pictures undo each set's own normalisation
    splits = get_task("digit_pairs")(found.hyperparameters).load(0, torch.device("cpu"))
    assert splits.test["input"].mean().item() == pytest.approx(0, abs=1e-5)
    raw = generate_pair_sets(40, 0, pools, normalize=False).test.input  # 2x2 averages of 0-255 grey levels

    def off(pixels: torch.Tensor) -> float:
        return (pixels.double() - raw.double()).abs().max().item()

    assert off(pixels_of(splits.test, splits.info, "test")) <= 0.5 < 1 < off(pixels_of(splits.test, splits.info))
    wrong_everywhere = F.one_hot(1 - splits.test["target"], 2).float()  # predicts the other class
    pictures = misclassified_pairs(splits.test, splits.info, (wrong_everywhere, None), 40)
    shown = torch.tensor([picture["images"] for picture in pictures], dtype=torch.uint8).view(40, 2, 14, 14)
    assert len(pictures) == 40 and off(shown) <= 0.5
