"""The model registry and every registered architecture: shapes, parameter counts, sharing, vmap."""

import copy
import json
import subprocess
import sys

import pytest
import torch
from torch.func import functional_call, stack_module_state, vmap

from pairstudy.models import ARCHITECTURES, count_parameters, create_model, get_architecture
from pairstudy.models.catalog import register

TWO_TOWER = [name for name, spec in ARCHITECTURES.items() if "sharing" in spec.factors]


def variants():
    """Every registered architecture with its defaults, two-tower ones with and without sharing."""
    for name, spec in ARCHITECTURES.items():
        for sharing in [True, False] if "sharing" in spec.factors else [None]:
            yield pytest.param(name, {} if sharing is None else {"sharing": sharing}, id=f"{name}-{sharing}")


def check_outputs(model, name, batch_size=8):
    comparison, digits = model(torch.randn(batch_size, 2, 14, 14))
    assert comparison.shape == (batch_size, 2) and torch.isfinite(comparison).all()
    if ARCHITECTURES[name].predicts_digits:
        assert digits.shape == (batch_size, 2, 10) and torch.isfinite(digits).all()
    else:
        assert digits is None
    return comparison, digits


@pytest.mark.parametrize("name, factors", list(variants()))
def test_every_architecture_forward_and_backward(name, factors):
    torch.manual_seed(0)
    model = create_model(name, **factors)
    assert model.predicts_digits == ARCHITECTURES[name].predicts_digits
    comparison, digits = check_outputs(model, name)
    (comparison.sum() + (0 if digits is None else digits.sum())).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


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
        ("lenet", {"kernel_size": 4}, "kernel_size must be 3, 5 or 7"),
        ("resnet", {"kernel_size": 4}, "must be odd"),
        ("mlp", {"init": "he"}, "init must be one of"),
        ("twin", {"comparator": "difference"}, "comparator must be one of"),
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


@pytest.mark.parametrize("name", list(ARCHITECTURES))
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


def test_unknown_names_and_factors_are_refused():
    with pytest.raises(ValueError, match=r"unknown architecture 'nope'; registered: \[.*'mlp'.*'twin'"):
        get_architecture("nope")
    with pytest.raises(ValueError, match=r"unknown architecture 'nope'"):
        create_model("nope")
    with pytest.raises(
        ValueError, match=r"architecture 'mlp' takes no factor \['sharing'\]; allowed factors: \[.*'hidden'"
    ):
        create_model("mlp", sharing=True)
    with pytest.raises(ValueError, match=r"takes no factor \['aux'\]"):
        create_model("twin", aux=True)  # the auxiliary loss is a training matter, not a model knob


def test_a_name_registers_once():
    with pytest.raises(ValueError, match="'twin' is registered twice"):
        register("twin", "pairstudy.models.twin:build_twin", {}, predicts_digits=True, description="again")
    assert ARCHITECTURES["twin"].factors["sharing"] is True


def test_catalog_entries_are_plain_data():
    for name, spec in ARCHITECTURES.items():
        assert spec.name == name and ":" in spec.builder and "\n" not in spec.description
        assert "aux" not in spec.factors
        assert json.loads(json.dumps(spec.factors)) == spec.factors


def torch_imported_after(modules: str) -> bool:
    code = f"import sys, {modules}; print('torch' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return output.strip() == "True"


def test_the_registry_imports_without_torch():
    assert not torch_imported_after("pairstudy.models.catalog")
    assert not torch_imported_after("pairstudy.models")


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
    with pytest.raises(ValueError, match="comparator must be one of"):
        create_model("twin", comparator="vote")
    auxnet = create_model("auxnet", comparator="probability")
    assert auxnet.head is None and count_parameters(auxnet) == 60_396 - count_parameters(create_model("auxnet").head)
