"""The documentation cannot rot: the site builds in strict mode (a broken link, anchor or generated part fails it),
every study config in a code block of the README or the site is a valid config, every `pairstudy` and `snakemake`
command line in them parses with the real command line, and the README keeps the test command `.ci/run` runs.

A YAML block whose first line is `# fragment` is part of a config, not a config, and is not validated. A YAML block
whose first line names a config file of the checkout (`# examples/my_study.yaml, shortened`) is validated as if it
were in that file's folder, where its model and task files are.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").rglob("*.md"))]
README_LIMIT = 8200  # bytes: the README says what pairstudy answers and how to start; the rest is in docs/

FENCE = re.compile(r"^ *```(\w*)[^\n]*\n(.*?)^ *```[ \t]*$", re.MULTILINE | re.DOTALL)
SHELLS = {"bash", "sh", "shell", "console"}
OPERATORS = {"&&", "||", ";", "|", "&"}
REDIRECTIONS = {">", ">>", "<"}


def code_blocks(*languages: str) -> list[tuple[str, str]]:
    """(where: file:line, text) of every fenced block in these languages, in the README and the site's pages."""
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group(1) in languages:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{path.relative_to(ROOT)}:{line}", match.group(2)))
    return found


def command_lines(program: str) -> list[tuple[str, list[str]]]:
    """(where, arguments) of each call of `program` in the shell blocks: continuations joined, comments dropped,
    one entry per command of a `&&` chain, redirections cut off."""
    found = []
    for where, block in code_blocks(*SHELLS):
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            command: list[str] = []
            for token in [*lexer, ";"]:
                if token not in OPERATORS:
                    command.append(token)
                    continue
                if command and command[0] == program:
                    ends = [index for index, word in enumerate(command) if word in REDIRECTIONS]
                    found.append((where, command[1 : ends[0] if ends else None]))
                command = []
    return found


def ids(lines: list[tuple[str, list[str]]]) -> list[str]:
    return [f"{where} {' '.join(arguments[:2])}" for where, arguments in lines]


def config_base(text: str) -> tuple[bool, Path]:
    """Whether a YAML block is a whole config, and the folder its model and task files are relative to."""
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    if re.match(r"#\s*fragment\b", first):
        return False, ROOT
    named = re.match(r"#\s*(\S+?\.ya?ml)\b", first)
    if named and (ROOT / named.group(1)).is_file():
        return True, (ROOT / named.group(1)).parent
    return True, ROOT


VALIDATE = """
import json, sys, tempfile
from pathlib import Path
from pairstudy.study.config import validate_config
from pairstudy.study.schema import read_yaml

problems = []
for where, text, base in json.load(sys.stdin):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        path.write_text(text)
        try:
            validate_config(read_yaml(path), base)
        except Exception as error:
            problems.append(f"{where}: {type(error).__name__}: {error}")
print(json.dumps(problems))
"""


def test_every_study_config_in_the_docs_and_the_readme_is_valid():
    snippets = []
    for where, text in code_blocks("yaml", "yml"):
        whole, base = config_base(text)
        if whole:
            snippets.append((where, text, str(base)))
    assert any(where.startswith("README.md") for where, _, _ in snippets), "the README shows no study config"
    # a process of its own: the snippets' model and task files register in it, not in the test session
    result = subprocess.run(
        [sys.executable, "-c", VALIDATE],
        input=json.dumps(snippets),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    problems = json.loads(result.stdout.strip().splitlines()[-1])
    assert not problems, "\n".join(problems)


def parse_pairstudy(arguments: list[str]) -> None:
    """Parse a `pairstudy` command line down to its last subcommand, running nothing."""
    from pairstudy.cli import main

    command, name, parent, rest = main, "pairstudy", None, list(arguments)
    while True:
        context = command.make_context(name, rest, parent=parent, resilient_parsing=False)
        if not isinstance(command, click.Group):
            return
        name, command, rest = command.resolve_command(context, [*context._protected_args, *context.args])
        parent = context


PAIRSTUDY_LINES = command_lines("pairstudy")
SNAKEMAKE_LINES = command_lines("snakemake")


def test_the_docs_show_command_lines():
    assert len(PAIRSTUDY_LINES) >= 5 and len(SNAKEMAKE_LINES) >= 5


@pytest.mark.parametrize(("where", "arguments"), PAIRSTUDY_LINES, ids=ids(PAIRSTUDY_LINES))
def test_a_pairstudy_command_line_in_the_docs_parses(where, arguments, monkeypatch):
    monkeypatch.chdir(ROOT)  # the paths it names are the checkout's
    try:
        parse_pairstudy(arguments)
    except click.ClickException as error:
        pytest.fail(f"{where}: pairstudy {shlex.join(arguments)}: {error.format_message()}")


@pytest.mark.parametrize(("where", "arguments"), SNAKEMAKE_LINES, ids=ids(SNAKEMAKE_LINES))
def test_a_snakemake_command_line_in_the_docs_parses(where, arguments, monkeypatch, capsys):
    from snakemake.cli import parse_args

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SNAKEMAKE_PROFILE", raising=False)
    try:
        parse_args(arguments)
    except SystemExit:
        pytest.fail(f"{where}: snakemake {shlex.join(arguments)}: {capsys.readouterr().err.splitlines()[-1]}")


def test_the_site_builds_in_strict_mode_with_every_generated_part(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", "mkdocs.yml", "--site-dir", str(site)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    pages = {path: path.read_text(encoding="utf-8") for path in site.rglob("*.html")}
    left = [str(path.relative_to(site)) for path, html in pages.items() if "<!-- generated:" in html]
    assert not left, f"parts not generated in {left}"
    # every key of the schema, nested ones too, is in the generated config reference
    reference = (site / "reference" / "config" / "index.html").read_text(encoding="utf-8")
    schema = yaml.safe_load((ROOT / "pairstudy" / "study" / "config.schema.yaml").read_text(encoding="utf-8"))
    missing = sorted(key for key in property_names(schema) if f"{key}</code>" not in reference)
    assert not missing, f"keys missing from the config reference: {missing}"
    commands = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    assert all(name in commands for name in ("train", "grid", "why", "models", "tasks", "presets", "preview"))


def property_names(schema) -> set[str]:
    found = set()
    if isinstance(schema, dict):
        for key, value in schema.get("properties", {}).items():
            found.add(key)
            found |= property_names(value)
        for value in schema.values():
            if isinstance(value, dict | list):
                found |= property_names(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= property_names(value)
    return found


def test_the_site_is_strict_about_links_and_anchors():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True
    assert set(config["validation"].values()) == {"warn"}  # strict turns each warning into a failure


def test_the_readme_is_short_and_keeps_the_test_command_ci_runs():
    readme = README.read_text(encoding="utf-8")
    assert len(readme.encode()) <= README_LIMIT, f"README.md is {len(readme.encode())} bytes: move detail to docs/"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    command = next(line for line in ci if line.startswith("python3 -m venv"))
    assert any(command in block.splitlines() for _, block in code_blocks(*SHELLS) if _.startswith("README")), command


def test_the_readme_links_only_to_files_that_exist():
    readme = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [target for target in targets if "://" not in target]
    assert local, "the README links into the docs"
    missing = [target for target in local if not (ROOT / target).exists()]
    assert not missing, missing
