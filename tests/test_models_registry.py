"""Registration by decorator: knobs from the builder's parameters, their kinds and choices, and knob checks."""

from pathlib import Path
from typing import Literal

import pytest

from pairstudy.models import (
    ARCHITECTURES,
    ModelConfigError,
    ModelRegistrationError,
    check_knob_value,
    check_knobs,
    create_model,
    get_architecture,
    register_model,
    registry,
)

THIS_FILE = str(Path(__file__).resolve())
WHERE = "studies.s.training.model"


def test_knobs_come_from_the_builders_parameters(registry_snapshot):
    @register_model("knobby", predicts_digits=False)
    def knobby(
        flag: bool = False,
        count=3,
        rate: float = 1,
        name="a",
        mode: Literal["fast", "slow"] = "fast",
        size: Literal[3, 5] = 5,
        widths: list[int] = [4, 8],  # noqa: B006
        scales=[1, 0.5],  # noqa: B006
        tags: list[str] = [],  # noqa: B006
    ):
        """a builder with one knob of each kind

        More text that is no part of the description.
        """
        return None

    spec = ARCHITECTURES["knobby"]
    kinds = {name: (knob.kind, knob.choices) for name, knob in spec.knobs.items()}
    assert kinds == {
        "flag": ("bool", None),
        "count": ("int", None),
        "rate": ("float", None),
        "name": ("str", None),
        "mode": ("str", ("fast", "slow")),
        "size": ("int", (3, 5)),
        "widths": ("list[int]", None),
        "scales": ("list[float]", None),
        "tags": ("list[str]", None),
    }
    assert spec.defaults == {
        "flag": False,
        "count": 3,
        "rate": 1,
        "name": "a",
        "mode": "fast",
        "size": 5,
        "widths": [4, 8],
        "scales": [1, 0.5],
        "tags": [],
    }
    assert spec.description == "a builder with one knob of each kind"
    assert spec.builder is knobby and spec.predicts_digits is False
    assert spec.source == THIS_FILE and spec.line == knobby.__code__.co_firstlineno
    assert spec.takes("widths") and not spec.takes("sharing")
    assert get_architecture("knobby") is spec


def test_an_explicit_description_wins_over_the_docstring(registry_snapshot):
    @register_model("described", predicts_digits=True, description="said here")
    def described(width: int = 2):
        """not this"""

    assert ARCHITECTURES["described"].description == "said here"
    assert ARCHITECTURES["described"].predicts_digits is True


def test_list_defaults_are_copied_on_every_build(registry_snapshot):
    seen = []

    @register_model("grower", predicts_digits=False)
    def grower(widths: list[int] = [1]):  # noqa: B006
        widths.append(len(widths) + 1)
        seen.append(list(widths))
        return widths

    create_model("grower")
    create_model("grower")
    mine = [7]
    create_model("grower", widths=mine)
    assert seen == [[1, 2], [1, 2], [7, 2]]
    assert mine == [7] and ARCHITECTURES["grower"].knobs["widths"].default == [1]
    defaults = ARCHITECTURES["grower"].defaults
    defaults["widths"].append(99)
    assert ARCHITECTURES["grower"].defaults == {"widths": [1]}


def test_a_builder_parameter_without_default_names_function_file_and_line(registry_snapshot):
    def missing(sharing, width: int = 4):
        return None

    with pytest.raises(ModelRegistrationError) as error:
        register_model("missing", predicts_digits=True)(missing)
    assert str(error.value) == (
        f"{THIS_FILE}:{missing.__code__.co_firstlineno}: builder {missing.__qualname__} of architecture 'missing': "
        "parameter 'sharing' has no default; every parameter is a knob and needs one"
    )
    assert "missing" not in registry._registered


@pytest.mark.parametrize(
    "builder_code, message",
    [
        ("def b(*widths): pass", r"parameter \*widths cannot be a knob"),
        ("def b(width: int = 2.5): pass", r"'width': default 2.5 does not fit its annotation; expected an integer"),
        ("def b(mode: Literal['a', 'b'] = 'c'): pass", r"default 'c' does not fit .*allowed values: \['a', 'b'\]"),
        ("def b(mode: Literal['a', 2] = 'a'): pass", r"choices \['a', 2\] are not all str"),
        ("def b(widths = [1, 'a']): pass", r"knob 'widths' = \[1, 'a'\] is of no supported kind"),
        ("def b(widths = []): pass", r"annotate an empty list, e.g. list\[int\]"),
        ("def b(flags: list[bool] = [True]): pass", r"knob 'flags' = \[True\] is of no supported kind"),
        ("def b(pair = (1, 2)): pass", r"knob 'pair' = \(1, 2\) is of no supported kind"),
        ("def b(width = None): pass", r"knob 'width' = None is of no supported kind"),
    ],
)
def test_knobs_of_no_supported_kind_are_registration_errors(registry_snapshot, builder_code, message):
    namespace = {"Literal": Literal}
    exec(builder_code, namespace)
    with pytest.raises(ModelRegistrationError, match=message):
        register_model("unsupported", predicts_digits=False)(namespace["b"])
    assert "unsupported" not in registry._registered


def test_only_functions_with_a_true_or_false_digit_promise_register(registry_snapshot):
    def build(width: int = 2):
        return None

    with pytest.raises(ModelRegistrationError, match=r"register_model\('odd'\): predicts_digits must be True or False"):
        register_model("odd", predicts_digits="yes")(build)
    with pytest.raises(ModelRegistrationError, match=r"register_model\('odd'\) decorates a builder function"):
        register_model("odd", predicts_digits=True)(type("Builder", (), {}))
    assert "odd" not in registry._registered


def test_a_name_registered_twice_names_both_places(registry_snapshot):
    def twin(sharing: bool = True):
        return None

    with pytest.raises(ModelRegistrationError) as error:
        register_model("twin", predicts_digits=True)(twin)
    first = ARCHITECTURES["twin"]
    builtin_file = Path(registry.__file__).with_name("builtin.py")
    assert str(error.value) == (
        f"architecture 'twin' is registered twice: by twin at {builtin_file}:{first.line} "
        f"and by {twin.__qualname__} at {THIS_FILE}:{twin.__code__.co_firstlineno}"
    )
    assert ARCHITECTURES["twin"] is first and first.defaults["sharing"] is True


@pytest.mark.parametrize(
    "knobs, message",
    [
        (
            {"comparator": "vote"},
            "config key studies.s.training.model.comparator: 'vote' is not allowed for twin; "
            "allowed values: ['logits', 'softmax', 'probability', 'digits']",
        ),
        (
            {"colour": "red"},
            "config key studies.s.training.model.colour: twin takes no knob 'colour'; allowed knobs: "
            "['activation', 'batch_norm', 'channels', 'comparator', 'dropout', 'hidden', 'sharing']",
        ),
        (
            {"hidden": True},
            "config key studies.s.training.model.hidden: True is not allowed for twin; "
            "expected an integer (default 32)",
        ),
        (
            {"hidden": 2.5},
            "config key studies.s.training.model.hidden: 2.5 is not allowed for twin; expected an integer (default 32)",
        ),
        (
            {"dropout": False},
            "config key studies.s.training.model.dropout: False is not allowed for twin; "
            "expected a number (default 0.25)",
        ),
        (
            {"sharing": 1},
            "config key studies.s.training.model.sharing: 1 is not allowed for twin; expected true or false "
            "(default True)",
        ),
        (
            {"channels": [16, 32.5]},
            "config key studies.s.training.model.channels: [16, 32.5] is not allowed for twin; "
            "expected a list of integers (default [16, 32])",
        ),
        (
            {"channels": 16},
            "config key studies.s.training.model.channels: 16 is not allowed for twin; "
            "expected a list of integers (default [16, 32])",
        ),
    ],
)
def test_check_knobs_names_the_key_the_value_and_what_is_allowed(knobs, message):
    with pytest.raises(ModelConfigError) as error:
        check_knobs("twin", {"sharing": True, **knobs}, WHERE)
    assert str(error.value) == message


def test_check_knobs_accepts_good_values_and_an_int_for_a_float():
    check_knobs("twin", {"dropout": 0, "hidden": 8, "channels": [4, 8], "comparator": "digits"}, WHERE)
    check_knobs("mlp", {"hidden": []}, WHERE)
    check_knobs("twin", {}, WHERE)
    check_knob_value("lenet", "kernel_size", 3, "studies.s.factors")
    with pytest.raises(ModelConfigError, match=r"^config key studies\.s\.factors\.kernel_size: 4 is not allowed"):
        check_knob_value("lenet", "kernel_size", 4, "studies.s.factors")
    with pytest.raises(ModelConfigError, match=r"^unknown architecture 'nope'; registered: \["):
        check_knob_value("nope", "width", 4, "studies.s.factors")


def test_create_model_checks_knobs_before_building(registry_snapshot):
    built = []

    @register_model("watched", predicts_digits=False)
    def watched(mode: Literal["a", "b"] = "a", width: int = 2):
        built.append((mode, width))

    with pytest.raises(ModelConfigError, match=r"create_model\('watched', mode='c'\): 'c' is not allowed for watched"):
        create_model("watched", mode="c")
    with pytest.raises(ModelConfigError, match=r"create_model\('watched', width=True\)"):
        create_model("watched", width=True)
    assert built == []
    create_model("watched", mode="b")
    assert built == [("b", 2)]
