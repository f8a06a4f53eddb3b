"""A report from stored tables made by the real aggregate and statistics steps on synthetic run files: the page
answers the study's question, its cells mean what they say, it shows exactly the listed charts.

`study_report(base, name)` builds one of STUDIES once per test process (the browser and paper tests read it too).
"""

from __future__ import annotations

import functools
import html
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pairstudy.aggregate import write_study_tables
from pairstudy.charts import CHARTS
from pairstudy.metrics import RUN_SCHEMA, canonical_json, hyperparameter_hash, read_table, write_runs
from pairstudy.models import get_architecture
from pairstudy.report import render_study_report
from pairstudy.stats import study_statistics
from pairstudy.study import baseline_names, expand_configurations, seed_list, validate_config
from pairstudy.study.schema import load_schema

ROOT = Path(__file__).resolve().parents[1]
# final test accuracy each configuration reaches on average (fractions); seeds add a shared shift and noise
ACCURACY = {
    "mlp": 0.80,
    "cnn": 0.85,
    "twin-nosharing-noaux": 0.84,
    "twin-nosharing-aux": 0.90,
    "twin-sharing-noaux": 0.86,
    "twin-sharing-aux": 0.92,
    "twin-noaux": 0.84,
    "twin-aux": 0.88,
}
# a configuration name that needs escaping in HTML, Markdown and LaTeX (the workflow's names cannot hold < or >)
ODD_NAME = "twin_<sharing>&aux"
STUDIES = {
    # the default study's shape, 10 seeds, with per-architecture learning rates and weight decay
    "ablation": {
        "title": "Twin nets <compared> & ablated",
        "description": "Does weight sharing help a twin net compare two digits?",
        "seeds": 10,
        "data": {"n_pairs": 1000},
        "training": {"epochs": 3, "lr": 0.005},
        "factors": {"architecture": ["mlp", "cnn", "twin"], "sharing": [False, True], "aux": [False, True]},
        "overrides": {"mlp": {"lr": 0.01, "weight_decay": 0.0001}, "cnn": {"lr": 0.002, "weight_decay": 0.0005}},
    },
    # two seeds: no interval anywhere, no 2x2 block, no baselines
    "fewseeds": {
        "description": "Does an auxiliary digit loss help?",
        "seeds": 2,
        "training": {"epochs": 2},
        "factors": {"architecture": ["twin"], "aux": [False, True]},
    },
    # every cnn seed diverges: one configuration with finished seeds, nothing to compare
    "diverged": {
        "seeds": 3,
        "training": {"epochs": 2},
        "factors": {"architecture": ["mlp", "cnn"]},
    },
}
RENAMED = {"ablation": {"twin-sharing-aux": ODD_NAME}}
DIVERGED = {"diverged": {"cnn"}}
ALL_CHARTS = list(CHARTS)


def misclassified_pairs(count: int = 5) -> list[dict]:
    rng = np.random.default_rng(1)
    return [
        {
            "index": index,
            "classes": [int(rng.integers(10)), int(rng.integers(10))],
            "target": index % 2,
            "predicted": 1 - index % 2,
            "predicted_digits": [int(rng.integers(10)), int(rng.integers(10))],
            "pixels": rng.integers(0, 256, 2 * 14 * 14).tolist(),
        }
        for index in range(count)
    ]


def run_table(
    study: str, config: str, configuration, seeds: list[int], epochs: int, diverged: bool = False
) -> pd.DataFrame:
    """The runs of one configuration as the training step stores them, accuracies rising to ACCURACY[config]; a
    diverged run's numbers are NaN after its first epoch."""
    rng = np.random.default_rng(zlib.crc32(config.encode()))
    digits = get_architecture(configuration.architecture).predicts_digits
    rows = []
    for seed in seeds:
        final = ACCURACY[configuration.name] + 0.004 * (seed % 3) + rng.normal(0, 0.006)
        for epoch in range(1, epochs + 1):
            test_accuracy = final - 0.04 * (epochs - epoch)
            lost = diverged and epoch > 1
            rows.append(
                {
                    "epoch": epoch,
                    "train_loss": np.nan if lost else 0.9 / epoch,
                    "train_comparison_loss": np.nan if lost else 0.7 / epoch + 0.01 * seed,
                    "train_accuracy": np.nan if lost else min(1.0, test_accuracy + 0.03),
                    "test_loss": np.nan if lost else 0.8 / epoch,
                    "test_accuracy": np.nan if lost else test_accuracy,
                    "test_digit_accuracy": (0.93 if configuration.hyperparameters["aux"] else 0.11) if digits else None,
                    "validation_accuracy": None,
                    "epoch_seconds": 0.5,
                    "learning_rate": configuration.hyperparameters["lr"],
                    "study": study,
                    "config": config,
                    "architecture": configuration.architecture,
                    "seed": seed,
                    "factors": canonical_json(configuration.factors),
                    "hyperparameters": canonical_json(configuration.hyperparameters),
                    "config_hash": hyperparameter_hash(configuration.hyperparameters),
                    "parameter_count": 1000 * (len(config) + 3),
                    "device": "cpu",
                    "torch_version": "2.0 (synthetic)",
                    "status": "diverged" if diverged else "ok",
                    "message": "",
                }
            )
    return pd.DataFrame(rows, columns=RUN_SCHEMA.names)


def write_study(folder: Path, name: str, spec: dict) -> dict:
    """Run files for every configuration and seed of one study, then the workflow's aggregate and statistics
    steps on them (the real functions); returns the study spec the report gets."""
    config = validate_config({"studies": {name: spec}})
    study = config["studies"][name]
    configurations = expand_configurations(name, study)
    rename = RENAMED.get(name, {})
    seeds = seed_list(study["seeds"])
    results = folder / "results" / name
    expected = []
    for configuration in configurations:
        config_name = rename.get(configuration.name, configuration.name)
        path = results / "runs" / config_name / "block0.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        diverged = configuration.name in DIVERGED.get(name, set())
        table = run_table(name, config_name, configuration, seeds, study["training"]["epochs"], diverged)
        write_runs(table, path, misclassified={seed: misclassified_pairs() for seed in seeds})
        expected.append(
            {
                "path": str(path),
                "study": name,
                "config": config_name,
                "seeds": seeds,
                "config_hash": hyperparameter_hash(configuration.hyperparameters),
            }
        )
    report_spec = {"name": name, **study, "seeds": seeds}
    outputs = {
        table: results / f"{table}.parquet" for table in ("epochs", "finals", "curves", "configurations", "summary")
    }
    outputs.update(
        summary_csv=results / "summary.csv",
        run_status=results / "run_status.csv",
        misclassified=results / "misclassified.json",
    )
    write_study_tables(expected, outputs, study=report_spec, provenance={"training code": "synthetic"}, min_seeds=2)
    finals, metadata = read_table(outputs["finals"])
    baselines = [rename.get(baseline, baseline) for baseline in baseline_names(configurations, study)]
    statistics = study_statistics(
        finals, metadata["factors"], baselines=baselines, order=list(dict.fromkeys(finals["config"]))
    )
    (results / "statistics").mkdir(exist_ok=True)
    for table_name, table in statistics.items():
        table.to_csv(results / "statistics" / f"{table_name}.csv", index=False)
    return report_spec


@functools.cache
def chart_inputs(base: Path, name: str) -> dict:
    """What the report hands each chart of STUDIES[name]: its stored tables, statistics and misclassified pairs."""
    folder = base / f"tables-{name}"
    write_study(folder, name, STUDIES[name])
    results = folder / "results" / name
    tables = {table: read_table(results / f"{table}.parquet")[0] for table in ("finals", "curves", "summary")}
    for table in ("intervals", "comparisons", "effects", "baselines"):
        tables[table] = pd.read_csv(results / "statistics" / f"{table}.csv")
    tables["misclassified"] = json.loads((results / "misclassified.json").read_text())
    tables["order"] = tables["summary"]["config"].tolist()
    return tables


def render(folder: Path, name: str, charts: list[str]) -> dict[str, Path]:
    study = write_study(folder, name, STUDIES[name])
    results = folder / "results" / name
    return render_study_report(
        tables={
            table: results / f"{table}.parquet" for table in ("epochs", "finals", "curves", "summary", "configurations")
        },
        statistics={
            table: results / "statistics" / f"{table}.csv"
            for table in ("intervals", "comparisons", "effects", "baselines")
        },
        run_status=results / "run_status.csv",
        misclassified=results / "misclassified.json",
        out_dir=folder / "reports" / name,
        study=study,
        report_settings={"interval": "t", "charts": charts},
        min_seeds=2,
        workflow_dir=ROOT,
    )


@functools.cache
def study_report(base: Path, name: str, charts: tuple[str, ...] = tuple(ALL_CHARTS)) -> dict[str, Path]:
    """The report of STUDIES[name], rendered once per test process into a folder of its own under `base`."""
    folder = base / f"report-{name}-{len(charts)}"
    return render(folder, name, list(charts))


def read_report(paths: dict[str, Path]) -> tuple[dict[str, Path], str, str]:
    return paths, paths["html"].read_text(encoding="utf-8"), paths["markdown"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ablation(tmp_path_factory):
    return read_report(study_report(tmp_path_factory.getbasetemp(), "ablation"))


@pytest.fixture(scope="module")
def fewseeds(tmp_path_factory):
    charts = ("factor_effects", "paired_differences", "final_accuracy_ci")
    return read_report(study_report(tmp_path_factory.getbasetemp(), "fewseeds", charts))


@pytest.fixture(scope="module")
def diverged(tmp_path_factory):
    charts = ("learning_curves", "final_accuracy", "baseline_differences")
    return read_report(study_report(tmp_path_factory.getbasetemp(), "diverged", charts))


def results_of(paths: dict[str, Path]) -> Path:
    """results/<study> beside the report's reports/<study>."""
    report = paths["html"].parent
    return report.parents[1] / "results" / report.name


def visible_text(page: str) -> str:
    """The page's text without its inline SVGs and tags, entities decoded, whitespace collapsed."""
    text = re.sub(r"<svg.*?</svg>", " ", page, flags=re.DOTALL)
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def section_of(page: str, title: str) -> str:
    match = re.search(rf'<section id="[^"]+"><h2>{re.escape(title)}</h2>(.*?)</section>', page, flags=re.DOTALL)
    assert match, f"no section {title!r}"
    return match.group(1)


def headings(page: str) -> list[str]:
    return re.findall(r"<h2>([^<]+)</h2>", page)


def test_what_helped_comes_first_and_leads_with_the_best_configuration(ablation):
    _, page, markdown = ablation
    assert headings(page)[:3] == ["What helped", "Results", "Charts"]
    helped = visible_text(section_of(page, "What helped"))
    # the best configuration and its mean ± std come first, then how far it is ahead of each baseline
    assert helped.lstrip().startswith(f"Best configuration: {ODD_NAME}, final test accuracy 92.")
    assert "over 10 seeds; interval [" in helped
    baselines = pd.read_csv(results_of(ablation[0]) / "statistics" / "baselines.csv")
    for baseline in ("mlp", "cnn"):
        row = baselines[(baselines["kind"] == "leader vs baseline") & (baselines["config_a"] == baseline)].iloc[0]
        points = f"{row['mean_difference'] * 100:+.1f} points [{row['ci_low'] * 100:.1f}, {row['ci_high'] * 100:.1f}]"
        # direction: the configuration minus the baseline, as the config's order names them
        assert f"ahead of baseline {baseline}: {ODD_NAME} vs {baseline}: {points}" in helped
        assert row["mean_difference"] > 0
    assert "ahead of the runner-up twin-nosharing-aux" in helped and "biased upward" in helped
    order = [
        helped.index(text)
        for text in ("Best configuration", "ahead of baseline mlp", "Factor effects", "One factor at a time")
    ]
    assert order == sorted(order)
    assert "resolved with the 10 seeds run" in helped
    assert "Best configuration: twin\\_\\<sharing\\>&aux" in markdown


def test_every_finding_carries_its_seeds_verdict(ablation):
    _, page, _ = ablation
    items = re.findall(r"<li>(.*?)</li>", section_of(page, "What helped"))
    effects = pd.read_csv(results_of(ablation[0]) / "statistics" / "effects.csv")
    comparisons = pd.read_csv(results_of(ablation[0]) / "statistics" / "comparisons.csv")
    assert len(items) == 3 + len(effects) + len(comparisons)  # 2 baselines and the runner-up, then the rest
    for item in items:
        assert re.search(r"resolved with the \d+ seeds run|needs about [\d,]+ seeds|too small to resolve", item), item
    # the 2x2 block's effects in the stored order, with their block
    assert [item.split(":")[0] for item in items[3 : 3 + len(effects)]] == effects["block"].tolist()


def test_too_few_seeds_say_so_instead_of_an_interval(fewseeds):
    _, page, markdown = fewseeds
    helped = visible_text(section_of(page, "What helped"))
    assert "too few seeds for an interval" in helped and "[nan" not in page.lower()
    assert "(mean ± sample std over 2 seeds; too few seeds for an interval)" in helped
    assert "The study has no baselines." in helped
    assert "too few seeds for an interval" in visible_text(section_of(page, "Statistics in detail"))
    assert "too few seeds to estimate" in helped
    assert not re.search(r"\bnan\b", markdown.lower())


def test_a_configuration_without_finished_seeds_is_named_and_its_rerun_given(diverged):
    paths, page, _ = diverged
    helped = visible_text(section_of(page, "What helped"))
    assert helped.lstrip().startswith("Best configuration: mlp")
    assert "Fewer than 2 finished seeds, so no means in the tables: cnn (0); see Runs." in helped
    assert "Each difference below" not in helped  # nothing was compared
    runs = visible_text(section_of(page, "Runs"))
    assert re.search(
        r"cnn: rerun with snakemake --cores all --forcerun \S*results/diverged/runs/cnn/block0\.parquet", runs
    )
    note = re.search(r'id="chart-baseline_differences">(.*?)</figure>', page).group(1)
    assert "fewer than two configurations with finished seeds" in note
    assert page.count('<div class="drawing wide"><svg') == 2  # the learning curves and final accuracy still drawn


def test_digit_accuracy_only_where_a_digit_loss_trains_the_outputs(ablation):
    paths, page, _ = ablation
    table = pd.read_csv(paths["html"].parent / "paper" / "summary.csv", dtype=str).set_index("configuration")
    digits = table["digit acc. (%)"]
    assert digits["mlp"] == digits["cnn"] == "–"  # no digit outputs
    assert digits["twin-sharing-noaux"] == digits["twin-nosharing-noaux"] == "untrained head"
    assert digits["twin-nosharing-aux"].startswith("93.00") and digits[ODD_NAME].startswith("93.00")
    # factor columns in the config's order, "–" where a factor does not apply
    assert list(table.columns[:2]) == ["sharing", "aux"] and table.loc["mlp", "sharing"] == "–"


def test_title_comes_from_title_then_description_then_name(ablation, fewseeds):
    from pairstudy.report.settings import page_title

    assert "<title>Twin nets &lt;compared&gt; &amp; ablated</title>" in ablation[1]
    assert "<h1>Does an auxiliary digit loss help?</h1>" in fewseeds[1]
    assert page_title({"name": "s", "title": "", "description": ""}) == "Study s"
    assert page_title({"name": "s", "title": " ", "description": "Why?"}) == "Why?"


def test_provenance_lists_every_run_config_hash(ablation):
    paths, page, _ = ablation
    configurations = read_table(results_of(paths) / "configurations.parquet")[0]
    footer = page[page.index('<footer id="provenance">') :]
    assert "run config hashes" in footer
    for config, config_hash in zip(configurations["config"], configurations["config_hash"]):
        assert f"<li><strong>{html.escape(config)}</strong>: {config_hash}</li>" in footer


def test_settings_come_from_the_runs_with_each_architectures_own_lr_and_weight_decay(ablation):
    paths, page, _ = ablation
    run = section_of(page, "What was run")
    shared = run[run.index("<dt>shared training settings</dt>") : run.index("<dt>settings per configuration</dt>")]
    assert "<strong>lr</strong>" not in shared and "<strong>weight_decay</strong>" not in shared
    assert "<strong>epochs</strong>: 3" in shared
    per_configuration = run[run.index("<dt>settings per configuration</dt>") :]
    configurations = read_table(results_of(paths) / "configurations.parquet")[0]
    names = configurations["config"].tolist()
    starts = [per_configuration.index(f"<li><strong>{html.escape(config)}</strong>: <ul") for config in names]
    lrs = set()
    for config, text, start, end in zip(names, configurations["hyperparameters"], starts, [*starts[1:], None]):
        settings, own = json.loads(text), per_configuration[start:end]
        assert f"<strong>lr</strong>: {settings['lr']}<" in own, config
        assert f"<strong>weight_decay</strong>: {settings['weight_decay']}<" in own, config
        lrs.add(settings["lr"])
    assert lrs == {0.01, 0.002, 0.005}


def test_the_page_shows_exactly_the_listed_charts(ablation, fewseeds):
    paths, page, markdown = ablation
    assert re.findall(r'<figure class="chart[^"]*" id="chart-([a-z_]+)"', page) == ALL_CHARTS
    assert (
        page.count('<div class="drawing wide"><svg')
        == page.count('<div class="drawing narrow"><svg')
        == len(ALL_CHARTS)
    )
    few_paths, few_page, few_markdown = fewseeds
    assert re.findall(r'id="chart-([a-z_]+)"', few_page) == [
        "factor_effects",
        "paired_differences",
        "final_accuracy_ci",
    ]
    # no 2x2 block: a one-line note instead of a drawing, and its declared PNG still written
    effects = re.search(r'<figure class="chart note" id="chart-factor_effects">(.*?)</figure>', few_page).group(1)
    assert "no full 2 x 2 block" in effects and "<svg" not in effects
    assert few_paths["factor_effects"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "no full 2 x 2 block" in few_markdown and "factor_effects.png" not in few_markdown
    assert sorted(path.name for path in few_paths["html"].parent.glob("*.png")) == [
        "factor_effects.png",
        "final_accuracy_ci.png",
        "paired_differences.png",
    ]
    for name in ALL_CHARTS:
        assert f"]({name}.png)" in markdown


def test_names_that_need_escaping_stay_text(ablation):
    paths, page, markdown = ablation
    text_only = re.sub(r"<svg.*?</svg>", "", page, flags=re.DOTALL)
    assert ODD_NAME not in text_only and "twin_&lt;sharing&gt;&amp;aux" in text_only
    assert "<sharing>" not in markdown and r"twin\_\<sharing\>&aux" in markdown
    latex = (paths["html"].parent / "paper" / "summary.tex").read_text()
    assert r"twin\_\textless{}sharing\textgreater{}\&aux" in latex


def test_the_page_fetches_nothing(ablation):
    paths, page, _ = ablation
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page and "<link" not in page
    interactive = (paths["html"].parent / "charts" / "final_accuracy.html").read_text()
    assert "vegaEmbed" in interactive and not re.search(r"<script[^>]*\bsrc=", interactive)
    assert '"width": "container"' in interactive


def test_the_report_imports_neither_torch_nor_snakemake():
    code = (
        "import sys, pairstudy.charts, pairstudy.report, pairstudy.report.study; "
        "print(sorted(name for name in ('torch', 'snakemake') if name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_schema_lists_every_chart_and_draws_all_by_default():
    charts = load_schema()["properties"]["report"]["properties"]["charts"]
    assert charts["items"]["enum"] == ALL_CHARTS and charts["default"] == ALL_CHARTS
