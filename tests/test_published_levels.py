"""Published numbers keyed by factor levels, entries that name their own source, and explanations as lists of causes
each marked measured or not tested; the presets' published blocks as the reference studies' code and reports give
them."""

import copy
import io
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from pairstudy.cli import main
from pairstudy.presets import (
    DIFFERS,
    STUDIES_DIR,
    check_published,
    preset_paths,
    preset_study,
    published_comparison,
    read_verdicts,
    study_verdicts,
)
from pairstudy.report.published import findings, published_section
from pairstudy.study import ConfigError, expand_configurations, load_config, validate_config
from pairstudy.study.published import MEASURED, NOT_TESTED, Cause, causes_of, explanation_text, published_entries
from tests.helpers import DIGIT_PAIRS, ROOT, render_results, write_study

TWINNET = STUDIES_DIR / "twinnet.yaml"
LEVELS = {  # configuration -> factor levels, as a study's summary or its configurations give them
    "mlp": {"architecture": "mlp"},
    "twin-sharing-aux": {"architecture": "twin", "sharing": True, "aux": True},
    "twin-nosharing-aux": {"architecture": "twin", "sharing": False, "aux": True},
}
MEASURED_CAUSE = {"cause": "The source trains 50 epochs.", "status": "measured", "by": "studies/x.yaml", "effect": -2.1}


def test_a_level_set_stands_for_every_configuration_at_its_levels():
    published = {
        "source": "s",
        "results": {"mlp": {"mean": 80.0}},
        "results_by_levels": [
            {"levels": {"sharing": True}, "mean": 95.0, "n": 10, "source": "table 2"},
            {"levels": {"aux": True}, "mean": 90.0},
        ],
    }
    entries = published_entries(published, LEVELS)
    assert [(entry.config, entry.numbers["mean"], entry.source) for entry in entries] == [
        ("mlp", 80.0, ""),
        ("twin-sharing-aux", 95.0, "table 2"),
        ("twin-sharing-aux", 90.0, ""),  # a level set may match several configurations: each is compared
        ("twin-nosharing-aux", 90.0, ""),
    ]
    assert entries[1].numbers == {"mean": 95.0, "n": 10}
    # a bool is never a number: sharing 1 matches no configuration
    for levels, match in (
        ({"sharing": 1}, r"results_by_levels\[0\]\.levels: \{'sharing': 1\} matches no configuration"),
        ({"architecture": "cnn"}, r"results_by_levels\[0\]\.levels: .* matches no configuration .* drop the entry"),
        ({"activation": "relu"}, r"results_by_levels\[0\]\.levels\.activation: not a factor of this study"),
        ({}, r"results_by_levels\[0\]\.levels: factor -> level"),
    ):
        with pytest.raises(ValueError, match=match):
            published_entries({"source": "s", "results_by_levels": [{"levels": levels, "mean": 1.0}]}, LEVELS)


def narrowed_twinnet() -> dict:
    """A copy of the twinnet preset that narrows its activation factor to the code's reading."""
    name, study = preset_study(TWINNET)
    study = copy.deepcopy(study)
    study["factors"]["activation"] = ["relu"]
    return {"studies": {name: study}}


def test_narrowing_a_factor_in_a_copy_of_a_preset_keeps_its_comparison():
    config = narrowed_twinnet()
    study = config["studies"]["twinnet"]
    found = [c.name for c in expand_configurations("twinnet", validate_config(config)["studies"]["twinnet"])]
    assert found == ["twin-nosharing-noaux", "twin-nosharing-aux", "twin-sharing-noaux", "twin-sharing-aux"]
    entries = check_published("twinnet", study)
    assert [(entry.config, entry.numbers["mean"], entry.numbers["n"]) for entry in entries] == [
        ("twin-nosharing-noaux", 83.3, 32),
        ("twin-sharing-noaux", 87.3, 32),
        ("twin-nosharing-aux", 93.4, 32),
        ("twin-sharing-aux", 94.97, 32),
        ("twin-sharing-aux", 95.22, 16),
    ]
    assert entries[3].source.startswith("final report") and entries[4].source.startswith("draft")
    # keyed by the full preset's name, the same numbers stop the copy before any job
    keyed = copy.deepcopy(config)
    keyed["studies"]["twinnet"]["published"] = {
        "source": "s",
        "results": {"twin-sharing-aux-activationrelu": {"mean": 95.22}},
    }
    with pytest.raises(ConfigError, match="published.results.twin-sharing-aux-activationrelu: not a configuration"):
        validate_config(keyed)
    # narrowing away a level some entry names: an error naming the entry
    study["factors"]["sharing"] = [True]
    with pytest.raises(ValueError, match=r"studies\.twinnet\.published\.results_by_levels\[0\]\.levels: "):
        check_published("twinnet", study)


def summary_of(means: dict) -> pd.DataFrame:
    """A study summary with its factor columns: config -> final test accuracy (fraction), 10 seeds, std 0.5 points."""
    rows = []
    for config, mean in means.items():
        levels = {"architecture": None, "sharing": None, "aux": None, **LEVELS[config]}
        rows.append(
            {
                "config": config,
                **levels,
                "n_seeds": 10,
                "final_test_accuracy_mean": mean,
                "final_test_accuracy_std": 0.005,
                "selected_test_accuracy_mean": float("nan"),
                "selected_test_accuracy_std": float("nan"),
            }
        )
    return pd.DataFrame(rows)


def test_the_statistics_step_matches_levels_to_the_summarys_factor_columns():
    summary = summary_of({"mlp": 0.80, "twin-sharing-aux": 0.95, "twin-nosharing-aux": 0.90})
    published = {
        "source": "a report",
        "explanation": [MEASURED_CAUSE, {"cause": "The data differ.", "status": "not tested"}],
        "results_by_levels": [
            {"levels": {"architecture": "mlp"}, "mean": 85.0, "std": 1.0, "n": 10, "source": "final"},
            {"levels": {"sharing": False, "aux": True}, "mean": 90.0, "std": 1.0, "n": 10, "source": "final"},
            {"levels": {"sharing": True, "aux": True}, "mean": 95.0, "std": 1.0, "n": 10, "source": "final"},
            {"levels": {"sharing": True, "aux": True}, "mean": 99.0, "std": 0.5, "n": 5, "source": "draft"},
        ],
    }
    text = io.StringIO()
    published_comparison(published, summary, DIGIT_PAIRS).to_csv(text, index=False)
    text.seek(0)
    stored = read_verdicts(text)
    assert stored == study_verdicts(published, summary, DIGIT_PAIRS)
    assert [(found.config, found.source, found.outcome) for found in stored] == [
        ("mlp", "final", DIFFERS),
        ("twin-nosharing-aux", "final", "reproduces"),
        ("twin-sharing-aux", "final", "reproduces"),
        ("twin-sharing-aux", "draft", DIFFERS),
    ]
    assert stored[0].explanation == (
        "(1) measured, -2.10 points (studies/x.yaml): The source trains 50 epochs. (2) not tested: The data differ."
    )
    # each source's finding apart: the draft publishes one number, so it orders nothing
    lines = findings(stored, DIGIT_PAIRS)
    assert lines == [
        "final: Best configuration: published twin-sharing-aux, here twin-sharing-aux: the finding holds.",
        "final: Order of configurations: 3 of 3 published pairwise orderings hold here.",
    ]
    markdown = published_section(published, stored, "idx", DIGIT_PAIRS)[2]
    assert "| configuration | source | published (%) |" in markdown
    assert "| twin-sharing-aux | draft | 99.00 ± 0.50 (n=5) |" in markdown


def test_readings_of_one_published_configuration_share_its_rank_in_the_findings():
    summary = summary_of({"twin-sharing-aux": 0.97, "twin-nosharing-aux": 0.93, "mlp": 0.80})
    published = {
        "source": "s",
        "results_by_levels": [
            {"levels": {"aux": True}, "mean": 95.0},
            {"levels": {"architecture": "mlp"}, "mean": 79.0},
        ],
    }
    lines = findings(study_verdicts(published, summary, DIGIT_PAIRS), DIGIT_PAIRS)
    best = "published twin-sharing-aux / twin-nosharing-aux, here twin-sharing-aux"
    assert lines == [
        f"Best configuration: {best}: the finding holds.",
        "Order of configurations: 2 of 2 published pairwise orderings hold here.",
    ]


def test_a_cause_is_measured_with_what_and_how_much_or_not_tested():
    (cause,) = causes_of([MEASURED_CAUSE])
    assert cause == Cause("The source trains 50 epochs.", MEASURED, "studies/x.yaml", -2.1)
    assert cause.text() == "measured, -2.10 points (studies/x.yaml): The source trains 50 epochs."
    untested = causes_of([{"cause": "The data differ.", "status": "not tested", "by": "a copy with data x"}])
    assert explanation_text(untested) == "not tested (would be measured by a copy with data x): The data differ."
    # the single text of earlier presets is read as one cause, not tested: nothing says it was measured
    assert causes_of("The  data\n differ.") == [Cause("The data differ.", NOT_TESTED)]
    assert causes_of("") == causes_of([]) == causes_of(None) == []
    for wrong, match in (
        ([{"cause": "x", "status": "measured"}], r"explanation\[0\]\.by: a measured cause names"),
        ([{"cause": "x", "status": "measured", "by": "y"}], r"explanation\[0\]\.effect: a measured cause states"),
        ([{"cause": "x", "status": "not tested", "effect": 1.0}], r"explanation\[0\]\.effect: a cause not tested"),
        ([{"cause": "x", "status": "guessed"}], r"explanation\[0\]\.status: 'guessed' is not allowed"),
        ([{"cause": "x", "status": "not tested", "size": 1}], r"explanation\[0\]: unknown key\(s\) \['size'\]"),
        ([{"status": "not tested"}], r"explanation\[0\]: a cause is"),
    ):
        with pytest.raises(ValueError, match=match):
            causes_of(wrong)


def test_the_schema_refuses_a_cause_without_its_marks_naming_the_key():
    def study(explanation) -> dict:
        published = {"source": "s", "explanation": explanation}
        return {"studies": {"s": {"factors": {"architecture": ["mlp"]}, "published": published}}}

    assert validate_config(study([MEASURED_CAUSE]))["studies"]["s"]["published"]["results"] == {}
    assert validate_config(study("one text, read as not tested"))
    with pytest.raises(ConfigError, match=r"studies\.s\.published\.explanation\[0\]\.effect: 1\.0 is not of type"):
        validate_config(study([{"cause": "x", "status": "not tested", "effect": 1.0}]))
    with pytest.raises(ConfigError, match=r"studies\.s\.published\.explanation\[0\]\.status: 'guessed' is not allowed"):
        validate_config(study([{"cause": "x", "status": "guessed"}]))
    with pytest.raises(
        ConfigError, match=r"studies\.s\.published\.explanation: .* is not valid; expected the candidate"
    ):
        validate_config(study([{"cause": "x", "status": "measured"}]))


def test_presets_verdicts_prints_each_cause_with_its_mark(tmp_path):
    studies, results = tmp_path / "studies", tmp_path / "results"
    studies.mkdir()
    published = {
        "source": "s",
        "explanation": [MEASURED_CAUSE, {"cause": "The data differ.", "status": "not tested"}],
        "results_by_levels": [{"levels": {"architecture": "mlp"}, "mean": 85.0, "std": 1.0, "n": 10, "source": "T1"}],
    }
    study = {"factors": {"architecture": ["mlp"]}, "published": published}
    (studies / "alpha.yaml").write_text(yaml.safe_dump({"studies": {"alpha": study}}, sort_keys=False))
    from pairstudy.metrics import write_table

    (results / "alpha").mkdir(parents=True)
    summary = summary_of({"mlp": 0.80})
    write_table(summary, results / "alpha" / "summary.parquet", {"metrics": DIGIT_PAIRS.to_dict()})
    arguments = ["presets", "--verdicts", "--studies", str(studies), "--results", str(results)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    header, row = (line for line in result.output.splitlines() if line.startswith("| ") and "---" not in line)
    assert header.startswith("| study | kind | configuration | source | published (%) |")
    assert row.startswith("| alpha | final | mlp | T1 | 85.00 ± 1.00 (n=10) |") and "differs by -5.00 points" in row
    assert "measured, -2.10 points (studies/x.yaml): The source trains 50 epochs. (2) not tested: The data" in row


def test_a_narrowed_copy_reports_its_published_numbers_through_the_real_statistics(tmp_path):
    """write_study runs the real aggregate and statistics steps: the levels come from the stored summary."""
    config = narrowed_twinnet()
    study = config["studies"]["twinnet"]
    study.update(seeds=3, training={**study["training"], "epochs": 2})
    spec = write_study(tmp_path, "twinnet", study)
    stored = pd.read_csv(tmp_path / "results" / "twinnet" / "statistics" / "published.csv")
    assert stored[["config", "published_mean"]].values.tolist() == [
        ["twin-nosharing-noaux", 83.3],
        ["twin-sharing-noaux", 87.3],
        ["twin-nosharing-aux", 93.4],
        ["twin-sharing-aux", 94.97],
        ["twin-sharing-aux", 95.22],
    ]
    assert stored["source"].iloc[-1] == "draft (reference study 004's text), abstract"
    report = render_results(tmp_path, spec, [])["markdown"].read_text()
    section = report.partition("## Published results")[2].partition("\n## ")[0]
    assert "| configuration | source |" in section, section
    assert "| twin-sharing-aux | draft (reference study 004's text), abstract |" in section


# ---------------------------------------------------------------------------------------------------- the presets

PRESETS = [path for path in preset_paths(STUDIES_DIR) if (preset_study(path)[1].get("published") or {}).get("source")]


def written_causes(published: dict) -> list[tuple[str, object]]:
    """(key, explanation as written) of every explanation of a published block."""
    found = [("explanation", published.get("explanation"))]
    found += [(f"explanations.{name}", causes) for name, causes in published.get("explanations", {}).items()]
    found += [
        (f"results_by_levels[{index}].explanation", entry["explanation"])
        for index, entry in enumerate(published.get("results_by_levels", []))
        if "explanation" in entry
    ]
    return [(key, causes) for key, causes in found if causes is not None]


@pytest.mark.parametrize("path", PRESETS, ids=lambda path: path.stem)
def test_every_preset_explains_with_marked_causes_and_measured_means_a_command_of_the_repo(path):
    name, study = preset_study(path)
    published = study["published"]
    assert check_published(name, study, ROOT) or not (published.get("results") or published.get("results_by_levels"))
    for key, written in written_causes(published):
        assert isinstance(written, list) and written, f"{name}: published.{key} is a list of marked causes"
        for cause in causes_of(written, f"{name}.published.{key}"):
            if "mnist5k" in cause.cause:
                assert cause.status == NOT_TESTED, f"{name}: no study measures mnist5k against the full MNIST"
            if cause.status == MEASURED:
                named = re.findall(r"\b(?:studies|bench)/[\w.]+\.(?:ya?ml|py)\b", cause.by)
                assert named and all((ROOT / file).is_file() for file in named), (name, cause.by)


def test_fcn_cnn_auxnet_follows_its_authors_code_and_compares_both_readings():
    config = load_config(STUDIES_DIR / "fcn_cnn_auxnet.yaml")
    found = {
        c.name: c.hyperparameters for c in expand_configurations("fcn_cnn_auxnet", config["studies"]["fcn_cnn_auxnet"])
    }
    assert len(found) * 15 == 90
    for name, hp in found.items():
        assert (hp["epochs"], hp["batch_size"], hp["optimizer"], hp["lr_step"], hp["lr_gamma"]) == (
            50,
            100,
            "adam",
            15,
            0.1,
        )
        assert hp["model"]["init"] == "xavier" and hp["model"]["output"] == name.rsplit("output", 1)[1]
        assert hp["data"]["normalize_by"] == "train_set"
    lr = {name.split("-")[0]: (hp["lr"], hp["weight_decay"]) for name, hp in found.items()}
    assert lr == {"mlp": (0.05, 1e-4), "cnn": (5e-4, 1e-3), "auxnet": (5e-3, 1e-4)}
    assert found["auxnet-outputprobabilities"]["aux_weight"] == 0.2
    name, study = preset_study(STUDIES_DIR / "fcn_cnn_auxnet.yaml")
    entries = check_published(name, study)
    assert {entry.config: entry.numbers["mean"] for entry in entries} == {
        f"{architecture}-output{output}": mean
        for architecture, mean in (("mlp", 78.89), ("cnn", 85.01), ("auxnet", 97.93))
        for output in ("logits", "probabilities")
    }
    assert not (STUDIES_DIR / "fcn_cnn_auxnet_sweep.yaml").exists()
    header = Path(STUDIES_DIR / "fcn_cnn_auxnet.yaml").read_text().partition("\nstudies:")[0]
    assert "chosen by" not in header.lower() and "sweep" not in header.replace("there is no sweep", "")
    assert "bench/warm_rounds.py" in header and (ROOT / "bench" / "warm_rounds.py").is_file()
