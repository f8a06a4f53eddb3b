"""bench/warm_rounds.py, at its smallest: 2 rounds of 1 epoch for each fcn_cnn_auxnet configuration of one output
reading, warm-started beside fresh, with pairstudy's own trainer."""

import json
import re
import subprocess
import sys

from tests.helpers import ROOT

SCRIPT = ROOT / "bench" / "warm_rounds.py"


def test_warm_rounds_start_from_the_previous_rounds_weights(tmp_path):
    out = tmp_path / "rounds.json"
    arguments = ["--rounds", "2", "--epochs", "1", "--n-pairs", "200", "--json", str(out)]
    result = subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(out.read_text())
    assert list(found) == ["mlp-outputlogits", "cnn-outputlogits", "auxnet-outputlogits"]
    for name, measured in found.items():
        assert measured["seeds"] == [0, 1] and measured["epochs"] == 1 and measured["n_pairs"] == 200
        assert measured["normalize_by"] == "train_set"
        # round 0 starts from fresh weights either way; round 1 of the warm model starts from round 0's
        assert measured["warm"][0] == measured["fresh"][0], name
    assert any(measured["warm"][1] != measured["fresh"][1] for measured in found.values())
    for name in found:
        assert f"{name}: final test accuracy (%) per round" in result.stdout
    assert re.search(r"warm rounds, +mean ± std over 2 rounds: \d+\.\d\d ± \d+\.\d\d", result.stdout)
    assert "published: 78.89 ± 1.83 (n=15)" in result.stdout  # the mlp's, from the preset


def test_the_trainer_builds_fresh_models_again_after_the_warm_rounds():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import warm_rounds
    finally:
        sys.path.remove(str(SCRIPT.parent))
    from pairstudy.models import create_model
    from pairstudy.train import loop

    instance = warm_rounds.OneInstance(create_model)
    with warm_rounds.warm_started(instance):
        first, second = loop.create_model("mlp"), loop.create_model("mlp", output="probabilities")
    assert first is second is instance.model
    assert loop.create_model is create_model
