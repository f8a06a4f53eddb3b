"""Architectures from model files and entry points: loading, errors that name file and line, the model check on
user code, the code hash."""

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from pairstudy.models import (
    ARCHITECTURES,
    ModelFileError,
    architecture_code_hash,
    check_architecture,
    check_models,
    create_model,
    load_model_files,
)

REPO = Path(__file__).resolve().parents[1]
# what a test registers or loads is gone afterwards
pytestmark = pytest.mark.usefixtures("registry_snapshot")

GOOD = '''
import torch
from torch import nn

from pairstudy.models import register_model


class Pair(nn.Module):
    predicts_digits = True

    def __init__(self, sharing, width):
        super().__init__()
        self.tower1 = nn.Sequential(nn.Flatten(), nn.Linear(196, width), nn.ReLU(), nn.Linear(width, 10))
        self.tower2 = self.tower1 if sharing else nn.Sequential(nn.Flatten(), nn.Linear(196, 10))
        self.head = nn.Linear(20, 2)

    def forward(self, x):
        digits = torch.stack((self.tower1(x[:, 0:1]), self.tower2(x[:, 1:2])), dim=1)
        return self.head(digits.flatten(1)), digits


@register_model("{name}", predicts_digits=True)
def build(sharing: bool = True, width: int = 8):
    """a small pair net from a model file"""
    return Pair(sharing, width)
'''


def model_file(folder: Path, text: str, name: str = "model.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def line_of(path: Path, fragment: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_a_model_file_registers_its_architectures_once(tmp_path):
    path = model_file(tmp_path, GOOD.replace("{name}", "pairnet"))
    assert load_model_files([str(path)]) == ["pairnet"]
    spec = ARCHITECTURES["pairnet"]
    assert spec.source == str(path.resolve()) and spec.line == line_of(path, "@register_model")
    assert spec.description == "a small pair net from a model file" and spec.defaults == {"sharing": True, "width": 8}
    assert create_model("pairnet", width=4)(torch.zeros(3, 2, 14, 14))[1].shape == (3, 2, 10)

    path.write_text("this is no longer Python (")  # a second load must not import the file again
    assert load_model_files([path, tmp_path / "." / "model.py"]) == ["pairnet", "pairnet"]


def test_the_example_model_file_passes_the_model_check():
    assert load_model_files([REPO / "examples" / "my_model.py"]) == ["mynet"]
    for knobs in ({}, {"sharing": False}, {"width": 4}):
        check = check_architecture("mynet", knobs)
        assert check.problems == [], check.message()
    assert ARCHITECTURES["mynet"].source == str(REPO / "examples" / "my_model.py")
    assert "mynet" in [check.name for check in check_models()]


def test_a_syntax_error_names_file_and_line(tmp_path):
    path = model_file(tmp_path, "from pairstudy.models import register_model\n\n\ndef build(width=2)\n    pass\n")
    with pytest.raises(ModelFileError, match=rf"^{path}:4: SyntaxError: "):
        load_model_files([path])


@pytest.mark.parametrize(
    "body, fragment, error",
    [
        ("import no_such_module_anywhere\n", "import no_such", "ModuleNotFoundError: No module named"),
        ("def helper():\n    raise RuntimeError('boom')\n\nhelper()\n", "raise RuntimeError", "RuntimeError: boom"),
        (
            "@register_model('needs', predicts_digits=False)\ndef needs(width):\n    pass\n",
            "@register_model('needs'",
            "builder needs of architecture 'needs': parameter 'width' has no default",
        ),
    ],
    ids=["import", "exception", "no-default"],
)
def test_an_error_while_importing_names_file_and_line(tmp_path, body, fragment, error):
    head = "from pairstudy.models import register_model\n\n\n@register_model('early', predicts_digits=False)\n"
    path = model_file(tmp_path, head + "def early(width: int = 2):\n    pass\n\n\n" + body)
    with pytest.raises(ModelFileError) as raised:
        load_model_files([path])
    assert str(raised.value).startswith(f"{path}:{line_of(path, fragment)}: ")
    assert error in str(raised.value)
    assert "early" not in ARCHITECTURES  # what the file registered before it failed is gone again


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match=r"model file .*absent\.py: no such file"):
        load_model_files([tmp_path / "absent.py"])


def test_a_name_taken_by_another_file_names_both_files(tmp_path):
    first = model_file(tmp_path, GOOD.replace("{name}", "taken"), "first.py")
    second = model_file(tmp_path, GOOD.replace("{name}", "taken"), "second.py")
    load_model_files([first])
    with pytest.raises(ModelFileError) as raised:
        load_model_files([second])
    line = line_of(second, "@register_model")
    assert str(raised.value) == (
        f"{second}:{line}: architecture 'taken' is registered twice: by build at {first}:{line} "
        f"and by build at {second}:{line}"
    )
    third = model_file(tmp_path, GOOD.replace("{name}", "twin"), "third.py")
    with pytest.raises(ModelFileError) as raised:
        load_model_files([third])
    builtin = ARCHITECTURES["twin"].location
    assert builtin.startswith(str(REPO / "pairstudy" / "models" / "builtin.py:"))
    assert str(raised.value) == (
        f"{third}:{line}: architecture 'twin' is registered twice: by twin at {builtin} and by build at {third}:{line}"
    )


BROKEN = """
import torch
from torch import nn

from pairstudy.models import register_model


class Fixed(nn.Module):
    predicts_digits = {claim}

    def __init__(self, comparison_shape, digits, towers):
        super().__init__()
        self.tower1 = nn.Linear(196, 10)
        self.tower2 = self.tower1 if towers == 1 else nn.Linear(196, 10)
        self.comparison_shape, self.digits = comparison_shape, digits

    def forward(self, x):
        n = x.shape[0]
        digits = torch.stack((self.tower1(x[:, 0].flatten(1)), self.tower2(x[:, 1].flatten(1))), dim=1)
        comparison = digits.sum((1, 2))[:, None].expand(n, 2)
        return comparison[:, : self.comparison_shape], digits if self.digits else None


@register_model("raises", predicts_digits=True)
def raises(width: int = 2):
    raise ValueError(f"width {width} does not fit")


@register_model("narrow", predicts_digits=True)
def narrow():
    return Fixed(1, True, 2)


@register_model("undigited", predicts_digits=True)
def undigited():
    return Fixed(2, False, 2)


@register_model("fakeshare", predicts_digits=True)
def fakeshare(sharing: bool = True):
    return Fixed(2, True, 2)


@register_model("notamodule", predicts_digits=False)
def notamodule():
    return "a string"
"""


def test_the_model_check_reports_user_code_with_file_and_architecture(tmp_path):
    path = model_file(tmp_path, BROKEN.replace("{claim}", "True"))
    load_model_files([path])
    checks = {check.name: check for check in check_models(["raises", "narrow", "undigited", "fakeshare"])}
    assert all(not check.ok and check.source == str(path) for check in checks.values())

    raises = checks["raises"]
    assert raises.parameter_count is None and raises.line == line_of(path, '"raises"')
    assert raises.message() == (
        f"{path}:{raises.line}: architecture 'raises': building failed at line {line_of(path, 'raise ValueError')}: "
        "ValueError: width 2 does not fit"
    )
    assert "train comparison logits have shape (4, 1), expected (4, 2)" in checks["narrow"].problems
    assert "eval comparison logits have shape (4, 1), expected (4, 2)" in checks["narrow"].problems
    narrow_line = line_of(path, '"narrow"')
    assert checks["narrow"].message().startswith(f"{path}:{narrow_line}: architecture 'narrow': ")
    assert checks["undigited"].problems == [
        f"{mode} forward gives no digit logits, but the architecture is registered with predicts_digits=True"
        for mode in ("train", "eval")
    ]
    assert checks["fakeshare"].problems == [
        "sharing=True has 3,940 trainable parameters, not fewer than sharing=False's 3,940",
        "sharing=True builds two tower modules, not one used twice",
    ]
    assert check_architecture("notamodule").problems == ["the builder returned a str, not a torch.nn.Module"]


def test_the_model_check_compares_the_models_own_predicts_digits(tmp_path):
    load_model_files([model_file(tmp_path, BROKEN.replace("{claim}", "False"))])
    assert check_architecture("narrow").problems[0] == (
        "the model says predicts_digits=False, its registration predicts_digits=True"
    )


def test_the_model_check_leaves_the_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    check_architecture("twin")
    assert torch.equal(torch.rand(3), expected)


def run_python(code: str, env_path: Path | None = None) -> str:
    environment = dict(os.environ)
    if env_path is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(env_path), str(REPO)])
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, env=environment)
    assert run.returncode == 0, run.stderr
    return run.stdout


LAZY = '''
from pairstudy.models import register_model


@register_model("{name}", predicts_digits=False)
def build(hidden: int = {hidden}):
    """a model file that imports torch only when it builds"""
    from torch import nn

    return nn.Linear(hidden, 2)
'''


def test_the_code_hash_is_that_of_the_model_file_and_follows_its_changes(tmp_path):
    path = model_file(tmp_path, LAZY.replace("{name}", "lazy").replace("{hidden}", "8"))
    code = (
        f"import json, sys, pairstudy.models as m; m.load_model_files([{str(path)!r}]); "
        "hashes = [m.architecture_code_hash('lazy'), m.architecture_code_hash('twin'), 'torch' in sys.modules]; "
        "print(json.dumps(hashes))"
    )
    before = json.loads(run_python(code))
    assert before == [hashlib.sha256(path.read_bytes()).hexdigest()[:16], None, False]
    assert json.loads(run_python(code)) == before  # a content hash, the same in every process

    path.write_text(LAZY.replace("{name}", "lazy").replace("{hidden}", "16"))
    after = json.loads(run_python(code))
    assert after[0] != before[0] and after[1:] == [None, False]

    load_model_files([path])
    assert architecture_code_hash("lazy") == after[0] and architecture_code_hash("mlp") is None


def fake_distribution(folder: Path, module: str, body: str) -> Path:
    """An installed package seen by importlib.metadata: a dist-info with one pairstudy.models entry point."""
    info = folder / f"{module}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[pairstudy.models]\n{module} = {module}\n")
    (folder / f"{module}.py").write_text(textwrap.dedent(body).lstrip("\n"))
    return folder / f"{module}.py"


def test_installed_packages_register_through_entry_points(tmp_path):
    module = fake_distribution(tmp_path, "fake_pair_models", LAZY.replace("{name}", "plugged").replace("{hidden}", "4"))
    code = (
        "import json, sys, pairstudy.models as m\n"
        "spec = m.ARCHITECTURES['plugged']\n"
        "before = 'torch' in sys.modules\n"
        "print(json.dumps([spec.source, spec.defaults, before, m.load_entry_point_models(),"
        " m.architecture_code_hash('plugged'), sorted(m.ARCHITECTURES) == sorted(set(m.ARCHITECTURES))]))"
    )
    source, defaults, torch_before, names, code_hash, unique = json.loads(run_python(code, tmp_path))
    assert source == str(module) and defaults == {"hidden": 4} and names == ["plugged"] and unique
    assert torch_before is False
    assert code_hash == hashlib.sha256(module.read_bytes()).hexdigest()[:16]


def test_a_failing_entry_point_is_named(tmp_path):
    module = fake_distribution(tmp_path, "broken_pair_models", "import os\n\nraise ImportError('no GPU library')\n")
    code = (
        "import pairstudy.models as m\n"
        "for attempt in range(2):\n"
        "    try:\n"
        "        m.get_architecture('twin')\n"
        "    except m.ModelFileError as error:\n"
        "        print(error)\n"
    )
    messages = run_python(code, tmp_path).splitlines()
    entry_point = "entry point broken_pair_models = broken_pair_models"
    distribution = "(group pairstudy.models, distribution broken_pair_models)"
    assert messages == [f"{entry_point} {distribution} at {module}:3: ImportError: no GPU library"] * 2
