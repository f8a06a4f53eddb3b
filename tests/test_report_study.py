"""A report from stored tables made by the real aggregate and statistics steps on synthetic run files: the page
answers the study's question, its cells mean what they say, it shows exactly the listed charts.

`study_report(base, name)` builds one of STUDIES once per test process (the browser and paper tests read it too).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from pairstudy.metrics import read_table
from pairstudy.study.schema import load_schema
from tests.helpers import (
    ALL_CHARTS,
    DIGIT_PAIRS,
    ODD_NAME,
    ROOT,
    headings,
    read_report,
    results_of,
    section_of,
    study_report,
    visible_text,
)


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


def test_what_helped_comes_first_and_leads_with_the_best_configuration(ablation):
    _, page, markdown = ablation
    assert headings(page)[:3] == ["What helped", "Results", "Charts"]
    helped = visible_text(section_of(page, "What helped"))
    # the best configuration and its mean ± std come first, then how far it is ahead of each baseline
    assert helped.lstrip().startswith(f"Best configuration: {ODD_NAME}, final test accuracy 92.")
    assert re.search(r"over 10 seeds; interval \[[\d.]+, [\d.]+\], corrected for choosing the best of 6\)", helped)
    assert "It is chosen on these same test runs, so its mean is more likely too high than too low." in helped
    baselines = pd.read_csv(results_of(ablation[0]) / "statistics" / "baselines.csv")
    for baseline in ("mlp", "cnn"):
        row = baselines[(baselines["kind"] == "leader vs baseline") & (baselines["config_a"] == baseline)].iloc[0]
        interval = f"[{row['ci_low'] * 100:.1f}, {row['ci_high'] * 100:.1f}]"
        points = f"{row['mean_difference'] * 100:.1f} points higher accuracy {interval}, better"
        # direction: the configuration minus the baseline, as the config's order names them
        assert f"against baseline {baseline}: {ODD_NAME} vs {baseline}: {points}" in helped
        assert row["mean_difference"] > 0
    assert "against the runner-up twin-nosharing-aux" in helped and "biased upward" in helped
    assert "(higher is better; mean ± sample std over 10 seeds" in helped
    # then each factor's levels compared, the 2x2 effects, and last the best against the baselines
    order = [
        helped.index(text)
        for text in ("Best configuration", "Architecture", "Weight sharing", "Factor effects", "against baseline mlp")
    ]
    assert order == sorted(order)
    # twin and the other architectures differ in more than architecture: said, not hidden
    assert (
        "Not compared, mlp and twin: no two of their configurations differ in architecture alone "
        "(weight sharing and auxiliary loss differ too)." in helped
    )
    assert "resolved with the 10 seeds run" in helped
    assert "Best configuration: twin\\_\\<sharing\\>&aux" in markdown


def test_every_finding_carries_its_seeds_verdict(ablation):
    _, page, _ = ablation
    items = re.findall(r"<li>(.*?)</li>", section_of(page, "What helped"))
    effects = pd.read_csv(results_of(ablation[0]) / "statistics" / "effects.csv")
    comparisons = pd.read_csv(results_of(ablation[0]) / "statistics" / "comparisons.csv")
    assert len(items) == len(comparisons) + len(effects) + 3  # the rest, then 2 baselines and the runner-up
    for item in items:
        assert re.search(r"resolved with the \d+ seeds run|about [\d,]+ seeds would find a difference of", item), item
    # the 2x2 block's effects in the stored order, with their block, after the one-factor comparisons
    shown = items[len(comparisons) : len(comparisons) + len(effects)]
    assert [item.split(":")[0] for item in shown] == effects["block"].tolist()


def test_too_few_seeds_say_so_instead_of_an_interval(fewseeds):
    _, page, markdown = fewseeds
    helped = visible_text(section_of(page, "What helped"))
    assert "too few seeds for an interval" in helped and "[nan" not in page.lower()
    assert "(higher is better; mean ± sample std over 2 seeds; too few seeds for an interval)" in helped
    assert "The study has no baselines." in helped
    assert "too few seeds for an interval" in visible_text(section_of(page, "Statistics in detail"))
    assert "too few seeds to plan more" in helped
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


def test_a_metric_a_configuration_does_not_record_is_empty(ablation):
    paths, page, _ = ablation
    table = pd.read_csv(paths["html"].parent / "paper" / "summary.csv", dtype=str).set_index("configuration")
    digits = table[DIGIT_PAIRS.run_metrics()["final_test_digit_accuracy"][1]]
    assert digits["mlp"] == digits["cnn"] == digits["twin-sharing-noaux"] == "–"  # the task recorded none
    assert digits["twin-nosharing-aux"].startswith("93.00") and digits[ODD_NAME].startswith("93.00")
    assert table.loc["mlp", "test comparison loss"].startswith("0.26")  # a loss as it is, not in percent
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
