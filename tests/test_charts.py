"""Charts draw the numbers they are given at both layouts: specs encode the stored columns, Vega-Lite computes
nothing, no label is cut short, and every file they are saved to opens offline."""

import re
import struct
import zlib

import pandas as pd
import pytest

from pairstudy.charts import (
    CHARTS,
    LAYOUTS,
    NARROW,
    WIDE,
    accuracy_vs_parameters,
    comparison_rows,
    final_accuracy,
    final_accuracy_ci,
    forest_plot,
    learning_curves,
    misclassified_chart,
    note_chart,
    prefix_svg_ids,
    save_chart,
    wrap_label,
)
from pairstudy.charts.examples import grey_png
from tests.helpers import DIGIT_PAIRS, ODD_NAME, PNG_MAGIC, chart_inputs, misclassified_examples

HEADLINE_METRIC = DIGIT_PAIRS.headline_run_metric
HEADLINE_TITLE = DIGIT_PAIRS.run_metrics()[HEADLINE_METRIC][1]

COMPUTING_TRANSFORMS = {
    "aggregate",
    "joinaggregate",
    "window",
    "bin",
    "regression",
    "loess",
    "density",
    "quantile",
    "stack",
}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """The ablation study's stored tables (real aggregate and statistics steps on synthetic runs)."""
    return chart_inputs(tmp_path_factory.getbasetemp(), "ablation")


@pytest.fixture(scope="module")
def few(tmp_path_factory):
    """Two seeds of two configurations: no intervals, no 2x2 block, no baselines."""
    return chart_inputs(tmp_path_factory.getbasetemp(), "fewseeds")


def marks(spec: dict):
    """Every single-view spec of a compiled chart: (mark type, encoding, its data rows)."""
    datasets = spec.get("datasets", {})

    def walk(node, data):
        data = node.get("data", data)
        if "mark" in node:
            mark = node["mark"]["type"] if isinstance(node["mark"], dict) else node["mark"]
            yield mark, node.get("encoding", {}), datasets.get(data["name"], []) if data else []
        for key in ("layer", "hconcat", "vconcat", "concat"):
            for child in node.get(key, []):
                yield from walk(child, data)
        if "spec" in node:
            yield from walk(node["spec"], data)

    yield from walk(spec, None)


def transforms(node) -> set[str]:
    """Names of every transform anywhere in a spec (and any aggregate given inside an encoding)."""
    found = set()
    if isinstance(node, dict):
        for step in node.get("transform", []):
            found |= set(step)
        if "aggregate" in node and "field" in node:
            found.add("aggregate")
        for value in node.values():
            found |= transforms(value)
    elif isinstance(node, list):
        for value in node:
            found |= transforms(value)
    return found


def spec_of(chart) -> dict:
    """The validated spec of a chart that computes nothing: every number drawn is a stored one."""
    spec = chart.to_dict()
    assert not transforms(spec) & COMPUTING_TRANSFORMS
    for _, encoding, _ in marks(spec):
        for channel in encoding.values():
            if isinstance(channel, dict):
                assert "aggregate" not in channel and "bin" not in channel and channel.get("stack") in (None, False)
    return spec


def by_config(rows, column):
    return {row["config"]: row[column] for row in rows}


def title_lines(spec: dict) -> list[str]:
    text = spec["title"]["text"]
    return [text] if isinstance(text, str) else text


def test_learning_curves_show_every_curve_metric_of_the_task_and_the_stored_bands(tables):
    curves = tables["curves"]
    spec = spec_of(learning_curves(curves, WIDE, DIGIT_PAIRS, tables["order"]))
    columns = DIGIT_PAIRS.epoch_columns()
    expected = [
        "train_accuracy",
        "train_comparison_loss",
        "test_accuracy",
        "test_comparison_loss",
        "test_digit_accuracy",
    ]
    assert DIGIT_PAIRS.curve_columns() == expected
    titles = [panel["title"] for panel in spec["concat"]]
    assert titles[0] == ["train accuracy (%)", "higher is better"]
    assert titles[1] == ["train comparison loss", "lower is better"]
    assert spec["columns"] == 3 and spec_of(learning_curves(curves, NARROW, DIGIT_PAIRS))["columns"] == 1
    drawn = list(marks(spec))
    bands = [(encoding, rows) for mark, encoding, rows in drawn if mark == "area"]
    assert [rows[0]["metric"] for _, rows in bands] == expected
    for encoding, rows in bands:
        assert (encoding["x"]["field"], encoding["y"]["field"], encoding["y2"]["field"]) == ("epoch", "low", "high")
        assert encoding["color"]["sort"] == tables["order"]
        metric = rows[0]["metric"]
        given = curves[curves["metric"] == metric].dropna(subset=["mean"])
        scale = 100 if columns[metric][0].percent else 1  # fractions drawn in percent, losses as they are
        assert [row["low"] for row in rows] == pytest.approx((given["low"] * scale).tolist())
        assert [row["high"] for row in rows] == pytest.approx((given["high"] * scale).tolist())
    figure_title = " ".join(title_lines(spec))
    assert figure_title.startswith("Learning curves: mean over seeds")
    assert spec["title"]["anchor"] == "start" and spec["title"]["frame"] == "bounds"  # from the figure's left edge


def test_final_accuracy_draws_every_finished_seed_and_the_summary_mean_and_std(tables):
    finals, summary = tables["finals"].copy(), tables["summary"]
    finals.loc[finals.index[-1], "status"] = "diverged"  # only finished seeds are drawn
    spec = spec_of(final_accuracy(finals, summary, WIDE, DIGIT_PAIRS))
    drawn = {mark: (encoding, rows) for mark, encoding, rows in marks(spec)}
    dots = drawn["circle"][1]
    ok = finals[finals["status"] == "ok"]
    assert sorted(row[HEADLINE_METRIC] for row in dots) == pytest.approx(sorted(ok[HEADLINE_METRIC] * 100))
    bar_encoding, bars = drawn["rule"]
    assert (bar_encoding["x"]["field"], bar_encoding["x2"]["field"]) == ("low", "high")
    mean = summary.set_index("config")[f"{HEADLINE_METRIC}_mean"] * 100
    std = summary.set_index("config")[f"{HEADLINE_METRIC}_std"] * 100
    assert by_config(bars, "low") == pytest.approx((mean - std).to_dict())
    assert by_config(bars, "high") == pytest.approx((mean + std).to_dict())
    assert by_config(drawn["tick"][1], "mean") == pytest.approx(mean.to_dict())
    assert drawn["circle"][0]["x"]["title"] == [HEADLINE_TITLE]
    assert "higher is better" in " ".join(title_lines(spec))


def test_final_accuracy_ci_draws_the_stored_interval_and_names_its_method(tables, few):
    intervals = tables["intervals"]
    spec = spec_of(final_accuracy_ci(tables["finals"], intervals, WIDE, DIGIT_PAIRS, tables["order"]))
    bars = next(rows for mark, _, rows in marks(spec) if mark == "rule")
    assert by_config(bars, "low") == pytest.approx((intervals.set_index("config")["ci_low"] * 100).to_dict())
    assert by_config(bars, "high") == pytest.approx((intervals.set_index("config")["ci_high"] * 100).to_dict())
    assert intervals["ci_method"].iloc[0] in " ".join(title_lines(spec))
    # two seeds: no interval to draw, and the title says why
    few_spec = spec_of(final_accuracy_ci(few["finals"], few["intervals"], WIDE, DIGIT_PAIRS))
    assert next(rows for mark, _, rows in marks(few_spec) if mark == "rule") == []
    assert "too few seeds for an interval" in " ".join(title_lines(few_spec))


def test_accuracy_vs_parameters_uses_a_log_axis_and_names_configurations_in_a_legend(tables):
    summary = tables["summary"]
    spec = spec_of(accuracy_vs_parameters(summary, WIDE, DIGIT_PAIRS))
    drawn = {mark: (encoding, rows) for mark, encoding, rows in marks(spec)}
    encoding, points = drawn["point"]
    assert encoding["x"]["field"] == "parameter_count" and encoding["x"]["scale"]["type"] == "log"
    mean = summary.set_index("config")[f"{HEADLINE_METRIC}_mean"] * 100
    assert by_config(points, f"{HEADLINE_METRIC}_mean") == pytest.approx(mean.to_dict())
    assert encoding["color"]["legend"] is not None and "text" not in drawn  # no labels to overlap


def test_forest_plot_labels_are_complete_and_direction_is_second_minus_first(tables):
    rows = comparison_rows(tables["comparisons"])
    for layout in LAYOUTS:
        spec = spec_of(forest_plot(rows, layout, "caption", DIGIT_PAIRS))
        encoding, bars = next(
            (encoding, rows) for mark, encoding, rows in marks(spec) if mark == "rule" and rows and "label" in rows[0]
        )
        assert (encoding["x"]["field"], encoding["x2"]["field"]) == ("ci_low", "ci_high")
        assert [row["ci_low"] for row in bars] == pytest.approx((tables["comparisons"]["ci_low"] * 100).tolist())
        for drawn, full in zip([row["label"] for row in bars], rows["label"]):
            lines = drawn.split("\n")
            assert all(len(line) <= layout.label_chars for line in lines)
            assert re.sub(r"\s+", "", "".join(lines)) == re.sub(r"\s+", "", full)  # wrapped, nothing dropped
        assert encoding["y"]["axis"]["labelExpr"].startswith("split(")
    first = rows.iloc[0]
    assert first["label"].endswith(f"{first['config_a']} → {first['config_b']}")


@pytest.mark.parametrize("text", ["twin-nosharing-noaux → twin-nosharing-aux", "a" * 50, "x", "", ODD_NAME])
@pytest.mark.parametrize("chars", [8, 20, 34])
def test_wrapped_labels_keep_every_character_within_the_width(text, chars):
    lines = wrap_label(text, chars)
    assert all(len(line) <= chars for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_every_chart_keeps_labels_whole_and_fits_its_layout(tables):
    """No label limit anywhere (Vega's default cuts labels at 180 pixels with an ellipsis), titles wrapped to
    the layout's width."""
    for name, kind in CHARTS.items():
        for layout in LAYOUTS:
            chart = kind.draw(tables, layout)
            spec = spec_of(chart)
            config = spec["config"]
            assert config["axis"]["labelLimit"] == 0 and config["legend"]["labelLimit"] == 0, name
            assert config["title"]["limit"] == 0, name
            assert all(len(line) <= layout.title_chars for line in title_lines(spec)), name


def test_a_chart_with_nothing_to_draw_says_why(few):
    assert "no full 2 x 2 block" in CHARTS["factor_effects"].draw(few, WIDE)
    empty = {**few, "comparisons": few["comparisons"].iloc[0:0], "misclassified": {}}
    assert "no two configurations differ in exactly one factor" in CHARTS["paired_differences"].draw(empty, WIDE)
    assert "no wrongly predicted test examples" in CHARTS["misclassified"].draw(empty, NARROW)
    spec = spec_of(note_chart("paired_differences: nothing to draw"))
    assert next(rows for mark, _, rows in marks(spec))[0]["text"] == ["paired_differences: nothing to draw"]


def test_misclassified_examples_are_small_images_with_their_task_labels(tables):
    errors = tables["misclassified"]
    spec = spec_of(misclassified_chart(errors, WIDE))
    images = next(rows for mark, _, rows in marks(spec) if mark == "image")
    assert len(images) == 2 * len(errors["examples"]) and all(
        row["url"].startswith("data:image/png;base64,") for row in images
    )
    titles = [child["title"]["text"] for child in spec["concat"]]
    assert " ".join(titles[0]) == errors["examples"][0]["label"]  # the task's own words, wrapped
    assert all(len(line) <= 20 for lines in titles for line in lines)  # each line fits under its images
    assert spec["columns"] == WIDE.examples_per_row and spec_of(misclassified_chart(errors, NARROW))["columns"] == 3


@pytest.mark.parametrize("images, shape", [(1, (28, 28)), (3, (8, 20))])
def test_misclassified_examples_of_any_count_and_shape_are_drawn(images, shape):
    examples = misclassified_examples(count=4, images=images, shape=shape)
    spec = spec_of(misclassified_chart({"config": "c", "seed": 0, "examples": examples}, NARROW))
    panels = spec["concat"]
    assert len(panels) == 4 and panels[0]["width"] == pytest.approx(images * (56 * shape[1] / shape[0] + 4))
    drawn = next(rows for mark, _, rows in marks(spec) if mark == "image")
    assert len(drawn) == 4 * images and panels[0]["mark"]["height"] == 56


def test_grey_png_is_a_valid_png():
    image = (pd.DataFrame(range(14 * 14)).to_numpy().reshape(14, 14) % 256).astype("uint8")
    png = grey_png(image)
    assert png[:8] == PNG_MAGIC and png[12:16] == b"IHDR" and struct.unpack(">II", png[16:24]) == (14, 14)
    length = struct.unpack(">I", png[33:37])[0]
    assert png[37:41] == b"IDAT"
    rows = zlib.decompress(png[41 : 41 + length])
    assert len(rows) == 14 * 15 and rows[1:15] == image[0].tobytes()


def test_save_chart_writes_offline_html_png_svg_and_pdf(tables, tmp_path):
    paths = save_chart(
        final_accuracy(tables["finals"], tables["summary"], WIDE, DIGIT_PAIRS), tmp_path / "final_accuracy"
    )
    assert {kind: path.name for kind, path in paths.items()} == {
        "html": "final_accuracy.html",
        "png": "final_accuracy.png",
        "svg": "final_accuracy.svg",
        "pdf": "final_accuracy.pdf",
    }
    page = paths["html"].read_text()
    assert "vegaEmbed" in page and not re.search(r"<script[^>]*\bsrc=", page) and "cdn.jsdelivr" not in page
    assert '"width": "container"' in page  # the interactive version fills its window
    assert paths["png"].read_bytes()[:8] == PNG_MAGIC
    svg = paths["svg"].read_text()
    assert svg.startswith("<svg") and "viewBox" in svg and "…" not in svg
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"


def test_prefixed_svg_ids_keep_their_references():
    svg = '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"/><use href="#clip1"/></svg>'
    prefixed = prefix_svg_ids(svg, "chart-a")
    assert (
        'id="chart-a-clip1"' in prefixed and "url(#chart-a-clip1)" in prefixed and 'href="#chart-a-clip1"' in prefixed
    )


def test_the_vega_bundle_is_built_once_and_then_read_from_the_cache(tmp_path, monkeypatch):
    from pairstudy.charts import save

    monkeypatch.setenv("PAIRSTUDY_CACHE", str(tmp_path / "cache"))
    save.vega_bundle.cache_clear()
    built = save.vega_bundle()
    assert "vegaEmbed" in built and save.bundle_path().read_text(encoding="utf-8") == built

    def not_again(**_):
        raise AssertionError("the bundle was built again")

    monkeypatch.setattr(save.vl_convert, "javascript_bundle", not_again)
    save.vega_bundle.cache_clear()
    assert save.vega_bundle() == built
    save.vega_bundle.cache_clear()


def test_an_unwritable_cache_still_gives_the_bundle(tmp_path, monkeypatch):
    from pairstudy.charts import save

    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("PAIRSTUDY_CACHE", str(blocked / "cache"))
    save.vega_bundle.cache_clear()
    assert "vegaEmbed" in save.vega_bundle()
    assert not (blocked / "cache").exists()
    save.vega_bundle.cache_clear()
