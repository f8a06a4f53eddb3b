"""The package's architectures and every registered one: the model check, parameter counts, sharing, vmap, knobs."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.func import functional_call, stack_module_state, vmap

from pairstudy.models import (
    ARCHITECTURES,
    ModelConfigError,
    check_architecture,
    count_parameters,
    create_model,
    get_architecture,
)

REPO = Path(__file__).resolve().parents[1]
TWO_TOWER = [name for name, spec in ARCHITECTURES.items() if spec.takes("sharing")]
PAIR_MODELS = [name for name, spec in ARCHITECTURES.items() if "digit_pairs" in spec.tasks]
REPORT_002_TOWERS = ["lenet", "resnet", "alexnet", "linear"]


def variants():
    """Every registered architecture with its defaults, two-tower ones with and without sharing."""
    for name, spec in ARCHITECTURES.items():
        for sharing in [True, False] if spec.takes("sharing") else [None]:
            yield pytest.param(name, {} if sharing is None else {"sharing": sharing}, id=f"{name}-{sharing}")


def check_outputs(model, name, batch_size=8):
    comparison, digits = model(torch.randn(batch_size, 2, 14, 14))
    assert comparison.shape == (batch_size, 2) and torch.isfinite(comparison).all()
    if ARCHITECTURES[name].predicts_digits:
        assert digits.shape == (batch_size, 2, 10) and torch.isfinite(digits).all()
    else:
        assert digits is None
    return comparison, digits


@pytest.mark.parametrize("name, knobs", list(variants()))
def test_every_registered_architecture_passes_the_model_check(name, knobs):
    """Shapes in train and eval mode, predicts_digits kept, gradients everywhere, sharing that shares."""
    check = check_architecture(name, knobs)
    assert check.problems == [], check.message()
    assert check.parameter_count == count_parameters(create_model(name, **knobs))
    assert "fine" in check.message() and name in check.message()


@pytest.mark.parametrize(
    "name, factors, expected",
    [
        ("mlp", {}, 142_786),
        ("cnn", {}, 52_450),
        ("auxnet", {"sharing": True}, 60_396),
        ("twin", {"sharing": True}, 9_574),
        ("twin", {"sharing": False}, 18_896),
    ],
)
def test_published_parameter_counts(name, factors, expected):
    assert count_parameters(create_model(name, **factors)) == expected


@pytest.mark.parametrize(
    "name, factors",
    [
        ("mlp", {"hidden": [40, 40], "batch_norm": False, "dropout": 0.0}),  # report 001's baseline
        ("mlp", {"hidden": [], "init": "xavier"}),
        ("cnn", {"channels": [16], "batch_norm": False, "dropout": 0.0, "init": "xavier"}),
        ("twin", {"channels": [8, 8], "batch_norm": False, "dropout": 0.0, "comparator": "softmax"}),
        ("auxnet", {"channels": [32], "head": [16], "dropout": 0.5, "init": "xavier"}),
        ("siamese", {"channels": [8, 16], "hidden": 16, "head": 8, "dropout": 0.0}),
        # report 002's Table I ranges
        *[("lenet", {"kernel_size": k, "batch_norm": bn, "dropout": 0.25}) for k in (3, 5, 7) for bn in (True, False)],
        *[("resnet", {"blocks": b, "channels": c, "kernel_size": k}) for b, c, k in [(1, 1, 3), (3, 4, 5), (5, 2, 7)]],
        ("resnet", {"batch_norm": False, "dropout": 0.25}),
        *[("linear", {"layers": n, "nodes": w, "dropout": 0.25}) for n, w in [(1, 16), (3, 64), (5, 264)]],
        ("alexnet", {"dropout": 0.0, "sharing": False}),
    ],
    ids=lambda value: json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else value,
)
def test_documented_knob_values_fit_14x14(name, factors):
    torch.manual_seed(0)
    check_outputs(create_model(name, **factors), name, batch_size=4)


@pytest.mark.parametrize(
    "name, factors, message",
    [
        ("cnn", {"channels": [8, 8, 8]}, "at most 2"),
        ("lenet", {"kernel_size": 4}, r"4 is not allowed for lenet; allowed values: \[3, 5, 7\]"),
        ("resnet", {"kernel_size": 4}, "must be odd"),
        ("mlp", {"init": "he"}, r"'he' is not allowed for mlp; allowed values: \['torch', 'xavier'\]"),
        ("twin", {"comparator": "difference"}, r"allowed values: \['logits', 'softmax', 'probability', 'digits'\]"),
        ("lenet", {"comparator": "softmax"}, r"allowed values: \['logits', 'digits'\]"),
        ("twin", {"activation": "tanh"}, r"allowed values: \['none', 'relu'\]"),
    ],
)
def test_knob_values_that_cannot_work_are_refused(name, factors, message):
    with pytest.raises(ValueError, match=message):
        create_model(name, **factors)


@pytest.mark.parametrize("name", TWO_TOWER)
def test_sharing_really_shares_one_tower(name):
    torch.manual_seed(0)
    shared, separate = create_model(name, sharing=True), create_model(name, sharing=False)
    assert shared.tower1 is shared.tower2
    assert not any(key.startswith("tower2.") for key, _ in shared.named_parameters())
    assert separate.tower1 is not separate.tower2
    assert not {id(p) for p in separate.tower1.parameters()} & {id(p) for p in separate.tower2.parameters()}
    assert count_parameters(separate) - count_parameters(shared) == count_parameters(shared.tower1)

    # one tower reads a digit the same way in either channel: swapping channels swaps the digit logits
    x = torch.randn(6, 2, 14, 14)
    shared.eval()
    separate.eval()
    with torch.no_grad():
        assert torch.allclose(shared(x.flip(1))[1], shared(x)[1].flip(1), atol=1e-5)
        assert not torch.allclose(separate(x.flip(1))[1], separate(x)[1].flip(1), atol=1e-5)


@pytest.mark.parametrize("name", PAIR_MODELS)
def test_every_architecture_runs_vectorised_over_seeds(name):
    """Stacked copies under torch.func.vmap give each copy's own output and gradients (shared towers included)."""
    members = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        members.append(create_model(name))
    params, buffers = stack_module_state(members)
    base = copy.deepcopy(members[0]).to("meta")

    def member_loss(member_params, member_buffers, x):
        comparison, digits = functional_call(base, (member_params, member_buffers), (x,))
        return comparison.logsumexp(1).mean() + (0 if digits is None else digits.logsumexp(2).mean())

    x = torch.randn(2, 4, 2, 14, 14)
    base.eval()
    with torch.no_grad():
        together = vmap(lambda p, b, x: functional_call(base, (p, b), (x,))[0])(params, buffers, x)
    for member, alone_input, inside in zip(members, x, together):
        assert torch.allclose(member.eval()(alone_input)[0], inside, atol=1e-5)

    base.train()
    losses = vmap(member_loss, randomness="different")(params, buffers, x)
    losses.sum().backward()
    assert losses.shape == (2,) and all(p.grad is not None and torch.isfinite(p.grad).all() for p in params.values())


def test_xavier_init_redraws_the_weights():
    torch.manual_seed(0)
    default = create_model("mlp")
    torch.manual_seed(0)
    xavier = create_model("mlp", init="xavier")
    first_default, first_xavier = default.network[1].weight, xavier.network[1].weight  # Linear(392, 256)
    bound = (6 / (392 + 256)) ** 0.5
    assert first_default.abs().max() < 1 / 392**0.5 < first_xavier.abs().max() <= bound


def test_unknown_names_and_knobs_are_refused():
    with pytest.raises(ModelConfigError, match=r"unknown architecture 'nope'; registered: \[.*'mlp'.*'twin'"):
        get_architecture("nope")
    with pytest.raises(ValueError, match=r"unknown architecture 'nope'"):
        create_model("nope")
    with pytest.raises(
        ModelConfigError,
        match=r"create_model\('mlp', sharing=True\): mlp takes no knob 'sharing'; allowed knobs: \[.*'hidden'",
    ):
        create_model("mlp", sharing=True)
    with pytest.raises(ModelConfigError, match=r"takes no knob 'aux'"):
        create_model("twin", aux=True)  # the auxiliary loss is a training matter, not a model knob


def test_built_in_entries_are_plain_data():
    for name, spec in ARCHITECTURES.items():
        if spec.source != "pairstudy":
            continue
        assert spec.name == name and spec.builder.__name__ == name and "\n" not in spec.description
        assert spec.location.startswith(str(REPO / "pairstudy" / "models" / "builtin.py"))
        assert "aux" not in spec.knobs
        assert json.loads(json.dumps(spec.defaults)) == spec.defaults


def torch_imported_after(modules: str, then: str = "") -> bool:
    code = f"import sys, {modules}\n{then}\nprint('torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return run.stdout.strip() == "True"


def test_the_registry_imports_and_reads_without_torch():
    assert not torch_imported_after("pairstudy.models.registry")
    reading = (
        "m = pairstudy.models; [a.knobs for a in m.ARCHITECTURES.values()]; m.get_architecture('twin').defaults; "
        "m.check_knobs('twin', {'comparator': 'digits', 'channels': [4, 8]}, 'model'); "
        "m.check_knob_value('lenet', 'kernel_size', 3, 'model'); m.architecture_code_hash('twin')"
    )
    assert not torch_imported_after("pairstudy.models", reading)


def test_config_validation_and_grid_stay_torch_free():
    assert not torch_imported_after("pairstudy.models, pairstudy.study, pairstudy.cli")


def test_probability_comparator_is_exact_and_has_no_head():
    from pairstudy.models.twin import probability_of_order

    big = 30.0
    digits1 = torch.nn.functional.one_hot(torch.tensor([3, 7, 5]), 10).float() * big
    digits2 = torch.nn.functional.one_hot(torch.tensor([5, 2, 5]), 10).float() * big
    assert probability_of_order(digits1, digits2).argmax(1).tolist() == [1, 0, 1]
    uniform = torch.zeros(1, 10)
    assert probability_of_order(uniform, uniform).exp()[0, 1].item() == pytest.approx(
        0.55
    )  # 55 of the 100 ordered pairs
    model = create_model("twin", comparator="probability")
    assert model.head is None and count_parameters(model) == 9_322
    with pytest.raises(ModelConfigError, match="'vote' is not allowed for twin"):
        create_model("twin", comparator="vote")
    auxnet = create_model("auxnet", comparator="probability")
    assert auxnet.head is None and count_parameters(auxnet) == 60_396 - count_parameters(create_model("auxnet").head)


def test_digits_comparator_reads_the_order_off_the_predicted_digits():
    from pairstudy.models.twin import order_of_argmax

    digits1 = torch.nn.functional.one_hot(torch.tensor([3, 7, 5]), 10).float()
    digits2 = torch.nn.functional.one_hot(torch.tensor([5, 2, 5]), 10).float()
    assert order_of_argmax(digits1, digits2).tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]

    torch.manual_seed(0)
    model = create_model("twin", comparator="digits")  # train mode: batch statistics spread the untrained argmax
    assert model.head is None and count_parameters(model) == 9_322
    comparison, digits = model(torch.randn(64, 2, 14, 14))
    first_le_second = (digits[:, 0].argmax(1) <= digits[:, 1].argmax(1)).float()
    assert comparison.shape == (64, 2) and comparison.dtype == torch.float32 and not comparison.requires_grad
    assert torch.equal(comparison, torch.stack((1 - first_le_second, first_le_second), dim=1))
    assert 0 < first_le_second.sum() < 64  # both outcomes occur, so the test tells them apart


@pytest.mark.parametrize("name", ["twin", "auxnet", *REPORT_002_TOWERS])
def test_digits_comparator_drops_the_head(name):
    with_head, without = create_model(name), create_model(name, comparator="digits")
    assert without.head is None
    assert count_parameters(with_head) - count_parameters(without) == count_parameters(with_head.head)
    comparison, digits = without(torch.randn(4, 2, 14, 14))
    assert comparison.shape == (4, 2) and digits.shape == (4, 2, 10) and not comparison.requires_grad
    assert digits.requires_grad  # the digit losses still train the towers


def test_report_002_towers_keep_their_learned_head_by_default():
    for name in REPORT_002_TOWERS:
        assert get_architecture(name).defaults["comparator"] == "logits"
        assert create_model(name).head is not None


def test_twin_activation_sits_between_batch_norm_and_dropout():
    plain, relu = create_model("twin"), create_model("twin", activation="relu")
    assert get_architecture("twin").defaults["activation"] == "none"
    layers = [type(layer).__name__ for layer in relu.tower1]
    assert layers[-4:] == ["BatchNorm1d", "ReLU", "Dropout", "Linear"]
    assert "ReLU" not in [type(layer).__name__ for layer in plain.tower1][-4:]
    assert count_parameters(relu) == count_parameters(plain) == 9_574
    assert count_parameters(create_model("twin", activation="relu", sharing=False)) == 18_896
    check_outputs(relu, "twin", batch_size=4)


@pytest.mark.parametrize(
    ("architecture", "knobs"),
    [("mlp", {}), ("cnn", {}), ("twin", {"sharing": True}), ("twin", {"sharing": False}), ("alexnet", {})],
)
def test_multiply_adds_are_half_of_torchs_own_flop_count(architecture, knobs):
    from torch.utils.flop_counter import FlopCounterMode

    from pairstudy.models.cost import BATCH, forward_multiply_adds

    model = create_model(architecture, **knobs).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(BATCH, 2, 14, 14))
    assert 2 * forward_multiply_adds(architecture, knobs, "digit_pairs") == counter.get_total_flops() // BATCH


def test_a_shared_tower_is_counted_for_both_digits():
    from pairstudy.models.cost import forward_multiply_adds

    assert forward_multiply_adds("twin", {"sharing": True}, "digit_pairs") == forward_multiply_adds(
        "twin", {"sharing": False}, "digit_pairs"
    )


COUNT_IN_A_FRESH_PROCESS = """
import json, sys
from pairstudy.models.cost import cached_forward_multiply_adds
count = cached_forward_multiply_adds("twin", {"sharing": True}, "digit_pairs", sys.argv[1])
print(json.dumps({"count": count, "imported_torch": "torch" in sys.modules}))
"""


def count_in_a_fresh_process(cache: Path, code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_IN_A_FRESH_PROCESS, code],
        env={**os.environ, "PAIRSTUDY_CACHE": str(cache)},
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_a_cost_is_counted_once_per_model_code_and_then_read_without_torch(tmp_path, monkeypatch):
    from pairstudy.models.cost import count_path, forward_multiply_adds

    monkeypatch.setenv("PAIRSTUDY_CACHE", str(tmp_path))
    expected = forward_multiply_adds("twin", {"sharing": True}, "digit_pairs")
    assert count_in_a_fresh_process(tmp_path, "code A") == {"count": expected, "imported_torch": True}
    assert count_in_a_fresh_process(tmp_path, "code A") == {"count": expected, "imported_torch": False}
    # changed model code is counted again
    assert count_in_a_fresh_process(tmp_path, "code B") == {"count": expected, "imported_torch": True}
    # an entry that cannot be read is counted again and replaced
    count_path("twin", {"sharing": True}, "digit_pairs", "code A").write_text("{not json", encoding="utf-8")
    assert count_in_a_fresh_process(tmp_path, "code A") == {"count": expected, "imported_torch": True}
    assert count_in_a_fresh_process(tmp_path, "code A") == {"count": expected, "imported_torch": False}
