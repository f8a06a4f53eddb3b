"""The documentation's generated parts, each made at build time from its one home.

A page asks for a part with a line of its own, `<!-- generated: NAME -->`; this MkDocs hook replaces the line with
the part's Markdown. A value of the package goes inline as `<!-- value: module.NAME -->` (its str()). An unknown
name stops the build. The parts and their homes:

- config-reference: every key of pairstudy/study/config.schema.yaml (type, default, allowed values, description);
- tasks, architectures: the registries of the built-in tasks and models (what `pairstudy tasks` and
  `pairstudy models` list);
- verdicts: the reference studies' verdict table, pairstudy.presets.study_verdicts applied to the published numbers
  of the preset files (studies/) and our measured numbers (docs/data/preset_results.csv);
- benchmark-cpu, benchmark-layout, benchmark-startup, benchmark-gpu: the measured files under bench/results/.
"""

from __future__ import annotations

import csv
import importlib
import itertools
import json
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # this checkout's pairstudy, installed or not

MARKER = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.MULTILINE)
VALUE = re.compile(r"<!-- value: ([A-Za-z_][\w.]*)\.([A-Za-z_]\w*) -->")
PRESET_RESULTS = ROOT / "docs" / "data" / "preset_results.csv"
BENCH_RESULTS = ROOT / "bench" / "results"


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in PARTS:
            raise PluginError(f"{page.file.src_path}: no generated part {name!r}; the parts: {', '.join(PARTS)}")
        return PARTS[name]()

    def value(match: re.Match) -> str:
        module, name = match.groups()
        try:
            return str(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError) as error:
            raise PluginError(f"{page.file.src_path}: no value {module}.{name}: {error}") from None

    return VALUE.sub(value, MARKER.sub(replace, markdown))


# ---------------------------------------------------------------------------------------------------------- cells


def text_cell(text) -> str:
    """Prose for a table cell: one line, no table breaks, no HTML tags or emphasis; `code spans` kept."""
    parts = " ".join(str(text).split()).split("`")
    for index in range(0, len(parts), 2):  # outside code spans
        part = parts[index].replace("\\", "\\\\").replace("<", "&lt;").replace(">", "&gt;")
        for character in "|*_":  # Python-Markdown's escapes (its tables' for the pipe)
            part = part.replace(character, "\\" + character)
        parts[index] = part
    return "`".join(parts)


def code_cell(text) -> str:
    """A value as a code span in a table cell (Python-Markdown's tables keep a pipe inside a code span)."""
    return f"`{text}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------ config reference

# the name a placeholder key stands for, by the key that holds it (studies.<study>, factors.<factor>, ...)
PLACEHOLDERS = {
    "studies": "study",
    "factors": "factor",
    "overrides": "architecture",
    "explanations": "configuration",
    "results": "configuration",
}
SECTION_TITLES = {
    "top": "The config file",
    "study": "A study",
    "training": "Training settings",
    "published": "Published numbers",
    "tuning": "Tuning",
    "seed_plan": "A sequential seed plan",
}


def yaml_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value) if value == "" else value
    return json.dumps(value)


def type_text(spec: dict) -> str:
    if "oneOf" in spec:
        return " or ".join(type_text(option) for option in spec["oneOf"])
    kinds = spec.get("type", "any")
    if isinstance(kinds, list):
        return " or ".join(kinds)
    if kinds == "array":
        items = spec.get("items", {})
        return f"list of {type_text(items)}" if "type" in items else "list"
    if kinds == "object":
        return "mapping"
    return kinds


def limits_text(spec: dict) -> list[str]:
    found = []
    if "enum" in spec:
        found.append("one of " + ", ".join(code_cell(yaml_value(value)) for value in spec["enum"]))
    for key, sign in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in spec:
            found.append(f"{sign} {spec[key]}")
    if "pattern" in spec:
        found.append(f"matches {code_cell(spec['pattern'])}")
    if "maxLength" in spec:
        found.append(f"at most {spec['maxLength']} characters")
    if "minItems" in spec:
        found.append(f"at least {spec['minItems']} item{'s' if spec['minItems'] != 1 else ''}")
    if "minProperties" in spec:
        found.append(f"at least {spec['minProperties']} entr{'ies' if spec['minProperties'] != 1 else 'y'}")
    if spec.get("uniqueItems"):
        found.append("no value twice")
    items = spec.get("items")
    if isinstance(items, dict) and items and limits_text(items):
        found.append("each item " + ", ".join(limits_text(items)))
    for option in spec.get("oneOf", []):
        if limits_text(option):
            found.append(f"as {type_text(option)}: " + ", ".join(limits_text(option)))
    return found


def allowed_text(spec: dict) -> str:
    found = limits_text(spec)
    names = spec.get("propertyNames")
    if names:
        found.append("names: " + ", ".join(limits_text(names)))
    return "; ".join(found) or "–"


def description_text(spec: dict, required: bool) -> str:
    text = " ".join(str(spec.get("description", "")).split())
    names = spec.get("propertyNames", {}).get("description")
    if names:
        text = f"{text.rstrip('.')}. Names: {' '.join(names.split())}."
    if required:
        text = ("**Required.** " + text_cell(text)).strip()
        return text
    return text_cell(text) or "–"


def config_reference() -> str:
    """One table per section of the schema (the file, a study, training, data, published numbers)."""
    from pairstudy.study.schema import load_schema

    schema = load_schema()
    definitions = schema["definitions"]
    sections: dict[str, list[list[str]]] = {}
    anchors: dict[str, str] = {}  # definition -> the key path it is documented under
    queue = [("top", schema, "")]

    def walk(rows, spec, path, required):
        ref = spec.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            merged = {**definitions[name], **{k: v for k, v in spec.items() if k != "$ref"}}
            if not merged.get("properties"):  # no keys of its own to list (data: the task's)
                rows.append(row(merged, path, required))
                return
            if name in anchors:
                merged = {
                    **merged,
                    "description": f"the keys of `{anchors[name]}`: see [{SECTION_TITLES[name]}](#{name})",
                }
                rows.append(row(merged, path, required))
                return
            anchors[name] = path
            described = " ".join(str(merged.get("description", "")).split())
            described = f"{described.rstrip('.')}. " if described else ""
            merged = {**merged, "description": f"{described}Its keys: see [{SECTION_TITLES[name]}](#{name})."}
            rows.append(row(merged, path, required))
            queue.append((name, merged, path))
            return
        if path:
            rows.append(row(spec, path, required))
        expand(rows, spec, path)

    def expand(rows, spec, path):
        needed = set(spec.get("required", []))
        for key, child in spec.get("properties", {}).items():
            walk(rows, child, f"{path}.{key}" if path else key, key in needed)
        extra = spec.get("additionalProperties")
        if isinstance(extra, dict):
            placeholder = PLACEHOLDERS.get(path.rsplit(".", 1)[-1], "name")
            walk(rows, extra, f"{path}.<{placeholder}>", False)
        # the keys of a mapping one of a key's forms takes (seeds: a plan), and of a list's mappings
        for option in spec.get("oneOf", []):
            if "$ref" in option:
                walk(rows, option, path, False)
            else:
                expand(rows, option, path)
        items = spec.get("items")
        if isinstance(items, dict) and path:
            if "$ref" in items:
                walk(rows, items, f"{path}[]", False)
            elif items.get("properties"):
                expand(rows, items, f"{path}[]")

    def row(spec, path, required):
        default = code_cell(yaml_value(spec["default"])) if "default" in spec else "–"
        return [
            code_cell(path),
            text_cell(type_text(spec)),
            default,
            allowed_text(spec),
            description_text(spec, required),
        ]

    while queue:
        name, spec, path = queue.pop(0)
        rows = sections.setdefault(name, [])
        expand(rows, spec, path)

    parts = [text_cell(" ".join(schema["description"].split())), ""]
    for name, rows in sections.items():
        where = f" (`{anchors[name]}`)" if name in anchors else ""
        parts += [f"## {SECTION_TITLES.get(name, name)}{where} {{#{name}}}", ""]
        parts.append(table(["key", "type", "default", "allowed", "description"], rows))
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------ tasks and architectures


def tasks() -> str:
    from pairstudy.tasks import TASKS
    from pairstudy.tasks.registry import data_defaults

    parts = []
    for name, task in TASKS.items():
        parts += [f"### `{name}`", "", text_cell(task.target[:1].upper() + task.target[1:]) + ".", ""]
        rows = [
            [
                code_cell(metric.name) + (" (headline)" if metric.name == task.headline else ""),
                "higher" if metric.higher_is_better else "lower",
                metric.unit,
                ", ".join(metric.splits),
            ]
            for metric in task.metrics
        ]
        parts.append(table(["metric", "better", "unit", "measured on"], rows))
        rows = [
            [code_cell(f"data.{key}"), code_cell(yaml_value(default))] for key, default in data_defaults(name).items()
        ]
        parts.append(table(["data key", "default"], rows))
    return "\n".join(parts)


def architectures() -> str:
    from pairstudy.models import ARCHITECTURES

    rows = []
    for name, spec in ARCHITECTURES.items():
        knobs = "<br>".join(
            f"{code_cell(f'{knob.name} = {knob.default!r}')} "
            + (f"one of {', '.join(code_cell(repr(choice)) for choice in knob.choices)}" if knob.choices else knob.kind)
            for knob in spec.knobs.values()
        )
        tasks_text = ", ".join(spec.tasks) + (" (digit outputs)" if spec.predicts_digits else "")
        rows.append([code_cell(name), text_cell(tasks_text), text_cell(spec.description), knobs or "–"])
    return table(["architecture", "tasks", "what it is", "knobs (default, type or values)"], rows)


# ------------------------------------------------------------------------------------------------- verdict table


def read_preset_results(path: Path = PRESET_RESULTS) -> dict[str, dict[str, tuple[float, float, int]]]:
    """study -> configuration -> (mean, std, n) of ours, percent on the published scale."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    found: dict[str, dict[str, tuple[float, float, int]]] = {}
    for record in csv.DictReader(lines):
        numbers = (float(record["ours_mean"]), float(record["ours_std"]), int(record["ours_n"]))
        found.setdefault(record["study"], {})[record["configuration"]] = numbers
    return found


def verdict_table():
    """The verdict table of every preset with numbers in docs/data/preset_results.csv (pandas DataFrame)."""
    import pandas as pd

    from pairstudy.presets import KINDS, preset_paths, preset_study, study_configuration_levels, study_verdicts
    from pairstudy.report.published import verdict_rows
    from pairstudy.study.published import published_entries
    from pairstudy.tasks import get_task

    ours = read_preset_results()
    tables = []
    for path in preset_paths(ROOT / "studies"):
        name, study = preset_study(path)
        if name not in ours:
            continue
        published = study["published"]
        levels = study_configuration_levels(name, study, ROOT / "studies")
        unknown = sorted(set(ours[name]) - {entry.config for entry in published_entries(published, levels)})
        if unknown:
            raise PluginError(f"{PRESET_RESULTS}: {name} has no published numbers for {unknown}")
        kind = published.get("kind", "final")
        spec = get_task(study.get("task", "digit_pairs")).spec()
        metric = spec.headline_run_metric if KINDS[kind][0] == "final" else spec.selected_run_metric
        # the summary table the statistics step would read: the headline as a fraction, accuracy (not error)
        summary = pd.DataFrame(
            [
                {
                    "config": config,
                    "n_seeds": n,
                    f"{metric}_mean": (100 - mean if KINDS[kind][1] else mean) / 100,
                    f"{metric}_std": std / 100,
                }
                for config, (mean, std, n) in ours[name].items()
            ]
        )
        validation = study.get("data", {}).get("validation_pairs", 0) > 0
        verdicts = study_verdicts(published, summary, spec, validation, levels)
        tables.append(verdict_rows(verdicts).assign(study=name, kind=kind))
    missing = sorted(set(ours) - {found["study"].iloc[0] for found in tables})
    if missing:
        raise PluginError(f"{PRESET_RESULTS}: no preset in studies/ is named {missing}")
    table = pd.concat(tables, ignore_index=True)
    if "source" in table:
        table["source"] = table["source"].fillna("–")
    return table[["study", "kind", *(column for column in table.columns if column not in ("study", "kind"))]]


def verdicts() -> str:
    """The table without its explanation column, then each explanation once, naming the rows it explains."""
    from pairstudy.report.tables import markdown_text, table_markdown

    table = verdict_table()
    explained: dict[tuple[str, str], list[str]] = {}
    for row in table.itertuples(index=False):
        if row.explanation != "–":
            explained.setdefault((row.study, row.explanation), []).append(row.configuration)
    lines = []
    for (study, explanation), configurations in explained.items():
        names = ", ".join(f"`{config}`" for config in configurations)
        lines.append(f"- **{markdown_text(study)}** ({names}): {markdown_text(explanation)}")
    parts = [table_markdown(table.drop(columns="explanation"))]
    if lines:
        parts += ["Where a configuration differs, the preset's explanation:", "", *lines, ""]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------------- benchmarks


def bench_file(name: str) -> dict:
    return json.loads((BENCH_RESULTS / name).read_text(encoding="utf-8"))


def seconds(value) -> str:
    return "–" if value is None else f"{value:.1f} s"


def ratio(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def machine_text(result: dict) -> str:
    machine = result["machine"]
    load = ", ".join(f"{value:.2f}" for value in machine.get("load_average", []))
    return (
        f"Measured by `{result['command']}` on {result['date'][:10]}: {machine['cpu_count']} cores "
        f"({machine['processor']}, {machine['platform'].split('-with-')[0]}), Python {machine['python']}, "
        f"torch {result['torch']}" + (f", Snakemake {result['snakemake']}" if "snakemake" in result else "") + "; "
        f"load average {load} when it started. File: `bench/results/{result['file']}`."
    )


def best_split_idle(durations: list[float], cores: int) -> float:
    """The idle core-seconds of the best assignment of these jobs to `cores` cores (exhaustive: a study's few)."""
    best = min(
        max(sum(d for d, core in zip(durations, assignment) if core == c) for c in range(cores))
        for assignment in itertools.product(range(cores), repeat=len(durations))
    )
    return cores * best - sum(durations)


def benchmark_cpu() -> str:
    result = {**bench_file("cpu.json"), "file": "cpu.json"}
    cores = result["machine"]["cpu_count"]
    rows = []
    for name, study in result["studies"].items():
        label = f"{name} (`{study['config_file']}`, {study['seeds']} seeds)"
        rows.append(
            [
                label,
                str(study["runs"]),
                seconds(study.get("handwritten_seconds")),
                seconds(study.get("plain_loop_seconds")),
                seconds(study.get("workflow_seconds")),
                ratio(study.get("ratio_vs_handwritten")),
                ratio(study.get("ratio_vs_plain_loop")),
            ]
        )
    header = [
        "study",
        "runs",
        "hand-written loop",
        "pairstudy plain loop",
        "workflow to the report",
        "workflow / hand-written",
        "workflow / plain loop",
    ]
    parts = [machine_text(result), "", table(header, rows)]
    for name, study in result["studies"].items():
        breakdown = study["workflow_breakdown"]
        jobs = [job["seconds"] for job in breakdown["jobs"] if job["rule"] == "train_block"]
        rules = breakdown["rules"]
        on_cores = breakdown["training_seconds_in_jobs"] / cores
        line = (
            f"**{name}**, the workflow's time beyond training (Snakemake's own job records): "
            f"{breakdown['parse_to_first_job_seconds']:.1f} s from start to the first job, "
            f"{breakdown['job_overhead_seconds_per_job']:.1f} s per training job beyond its epochs (process start, "
            f"the torch import, data), and {breakdown['after_training_seconds']:.1f} s of tables, statistics and "
            f"report after the last training job (`render_report` {rules['render_report']:.1f} s: every chart as "
            f"HTML, PNG, PDF and SVG). Its {len(jobs)} training jobs ({min(jobs):.0f}-{max(jobs):.0f} s each) left "
            f"{breakdown['idle_core_seconds']:.1f} core-seconds idle on the {cores} cores, where the best split of "
            f"them would leave {best_split_idle(jobs, cores):.1f}. They trained for "
            f"{breakdown['training_seconds_in_jobs']:.1f} core-seconds at one thread each: on {cores} cores that is "
            f"{on_cores:.1f} s"
        )
        if study.get("plain_loop_seconds"):
            plain = study["plain_loop_seconds"]
            line += (
                f", {on_cores / plain:.2f}x the plain loop; the other "
                f"{study['workflow_seconds'] - on_cores:.1f} s of the workflow's time are its fixed costs. Its "
                f"training phase alone took {breakdown['training_phase_seconds']:.1f} s, "
                f"{breakdown['training_phase_seconds'] / plain:.2f}x the plain loop."
            )
        else:
            line += f"; its training phase took {breakdown['training_phase_seconds']:.1f} s."
        parts += ["", line]
    return "\n".join(parts) + "\n"


def benchmark_layout() -> str:
    result = {**bench_file("layout.json"), "file": "layout.json"}
    rows = [
        [
            code_cell(name),
            f"{arch['contiguous_seconds']:.3f} s",
            f"{arch['channels_last_seconds']:.3f} s",
            ratio(arch["ratio"]),
        ]
        for name, arch in result["architectures"].items()
    ]
    intro = (
        f"One epoch of each architecture ({result['pairs']} pairs, batches of {result['batch_size']}, "
        f"{result['threads']} thread) in torch's default (contiguous) layout and channels-last."
    )
    header = ["architecture", "contiguous", "channels-last", "channels-last / contiguous"]
    return "\n".join([machine_text(result), "", intro, "", table(header, rows)])


def median(entry: dict) -> str:
    return f"{entry['median']:.2f} s"


def benchmark_startup() -> str:
    result = {**bench_file("startup.json"), "file": "startup.json"}
    rows = [[code_cell(name), median(entry)] for name, entry in result["floors"].items()]
    rows += [[f"`pairstudy grid`, {name} study", median(entry)] for name, entry in result["grid"].items()]
    rows += [[f"`snakemake -n`, {name} study", median(entry)] for name, entry in result["dry_run"].items()]
    for name, phases in result["job"].items():
        for phase, entry in phases.items():
            rows.append([f"a training job ({name}): {phase.replace('_', ' ')}", median(entry)])
    child = result["imports"].get("training job child, until it exits")
    parts = [
        machine_text(result),
        "",
        "Medians of five runs each:",
        "",
        table(["what", "median"], rows),
    ]
    if child:
        parts.append(
            f"Of a training job's imports ({child['total_seconds']:.2f} s), torch takes "
            f"{child['by_package'].get('torch', 0):.2f} s."
        )
    workflow = result.get("workflow")
    if workflow:
        parts += [
            "",
            f"A whole workflow of the default study at {workflow['seeds']} seeds and {workflow['epochs']} epoch "
            f"took {workflow['seconds']:.1f} s, {workflow['job_overhead_seconds_per_job']:.1f} s per training job "
            "beyond its epochs.",
        ]
    targets = result.get("targets", {})
    if targets:
        met = ", ".join(f"{name}: {'met' if ok else 'not met'}" for name, ok in targets.items())
        parts += ["", f"Targets: {text_cell(met)}."]
    return "\n".join(parts) + "\n"


def benchmark_gpu() -> str:
    found = []
    for path in sorted(BENCH_RESULTS.glob("*.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        if "device" in result and not result.get("trial"):
            found.append((path.name, result))
    if not found:
        return (
            "No GPU measurement is stored yet: `python bench/gpu.py` on a machine with a GPU writes "
            "`bench/results/<gpu>.json`, and this page then shows it.\n"
        )
    rows = [
        [
            text_cell(result["device"]),
            text_cell(str(result["study"])),
            str(result["runs"]),
            f"{result['seeds']} x {result['epochs']}",
            "–" if result["plain_seconds_per_run"] is None else f"{result['plain_seconds_per_run']:.3f} s",
            "–" if result["pairstudy_seconds_per_run"] is None else f"{result['pairstudy_seconds_per_run']:.3f} s",
            "–" if result["ratio"] is None else f"{result['ratio']:.1f}",
            seconds(result["end_to_end_seconds"]),
            f"`{result['command']}`, {result['date'][:10]}, torch {result['torch']} (CUDA {result['cuda']}), "
            f"`bench/results/{name}`",
        ]
        for name, result in found
    ]
    header = [
        "GPU",
        "study",
        "runs",
        "seeds x epochs",
        "plain loop, per run",
        "pairstudy vectorised, per run",
        "plain / vectorised",
        "workflow to the report",
        "measured by",
    ]
    return table(header, rows)


PARTS = {
    "config-reference": config_reference,
    "tasks": tasks,
    "architectures": architectures,
    "verdicts": verdicts,
    "benchmark-cpu": benchmark_cpu,
    "benchmark-layout": benchmark_layout,
    "benchmark-startup": benchmark_startup,
    "benchmark-gpu": benchmark_gpu,
}
