import subprocess
import sys

import pytest
import torch

from pairstudy.models import ARCHITECTURES, count_parameters, create_model, get_architecture


def variants():
    for name, spec in ARCHITECTURES.items():
        for sharing in ([True, False] if "sharing" in spec.factors else [None]):
            yield pytest.param(name, sharing, id=f"{name}-{sharing}")


@pytest.mark.parametrize("name, sharing", list(variants()))
def test_every_architecture_forward_and_backward(name, sharing):
    torch.manual_seed(0)
    model = create_model(name, **({} if sharing is None else {"sharing": sharing}))
    comparison, digits = model(torch.randn(8, 2, 14, 14))
    assert comparison.shape == (8, 2) and torch.isfinite(comparison).all()
    assert model.predicts_digits == ARCHITECTURES[name].predicts_digits
    if model.predicts_digits:
        assert digits.shape == (8, 2, 10) and torch.isfinite(digits).all()
    else:
        assert digits is None
    comparison.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


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


@pytest.mark.parametrize("name", [name for name, spec in ARCHITECTURES.items() if "sharing" in spec.factors])
def test_sharing_really_shares_one_tower(name):
    shared, separate = create_model(name, sharing=True), create_model(name, sharing=False)
    assert shared.tower1 is shared.tower2
    assert separate.tower1 is not separate.tower2
    assert not any(a is b for a, b in zip(separate.tower1.parameters(), separate.tower2.parameters()))
    tower = count_parameters(shared.tower1)
    assert count_parameters(separate) - count_parameters(shared) == tower
    # one gradient step through a shared tower moves both channels' weights together
    shared(torch.randn(4, 2, 14, 14))[0].sum().backward()
    assert all(p.grad is not None for p in shared.tower2.parameters())


def test_unknown_names_and_factors_are_refused():
    with pytest.raises(ValueError, match=r"unknown architecture 'nope'.*twin"):
        get_architecture("nope")
    with pytest.raises(ValueError, match=r"takes no factor \['sharing'\].*allowed factors"):
        create_model("mlp", sharing=True)


def test_catalog_import_is_torch_free():
    code = "import sys, pairstudy.models, pairstudy.study, pairstudy.cli; print('torch' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"
