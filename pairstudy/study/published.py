"""A study's published block as written: each published number beside the configuration it is compared with (by
name, or by factor levels under `results_by_levels`) and its explanation, a list of causes marked measured or not
tested. Checked before any job; the comparison with ours is pairstudy.presets'."""

from __future__ import annotations

import math
from dataclasses import dataclass

LEVELS_KEY = "results_by_levels"


def plain_level(value):
    """A factor level as stored (numpy scalar or array, NaN for a factor that does not apply) as a plain value."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def same_level(level, wanted) -> bool:
    """Whether a configuration's level is the wanted one (a bool is never a number, 1 never True)."""
    level, wanted = plain_level(level), plain_level(wanted)
    if level is None or isinstance(level, bool) != isinstance(wanted, bool):
        return False
    return level == wanted


def levels_match(levels: dict, factors: dict) -> bool:
    """Whether a configuration with these factor levels (factor -> level) is at every one of `levels`."""
    return all(name in factors and same_level(factors[name], wanted) for name, wanted in levels.items())


def matching_configurations(levels: dict, configurations: dict[str, dict], where: str) -> list[str]:
    """The configurations (name -> factor levels) at `levels`, in their order; ValueError naming the key `where`
    when a level names no factor of the study or no configuration is at them all."""
    if not isinstance(levels, dict) or not levels:
        raise ValueError(f"config key {where}: factor -> level, e.g. {{sharing: true, aux: true}}")
    factors = {name for found in configurations.values() for name in found}
    unknown = [name for name in levels if name not in factors]
    if unknown:
        raise ValueError(
            f"config key {where}.{unknown[0]}: not a factor of this study; factors: {sorted(factors)} (a copy of a "
            "preset that drops a factor drops its level here too, or the entry)"
        )
    found = [name for name, factors_of in configurations.items() if levels_match(levels, factors_of)]
    if not found:
        listed = "; ".join(f"{name}: {factors_of}" for name, factors_of in configurations.items())
        raise ValueError(
            f"config key {where}: {levels} matches no configuration of this study (configurations and their levels: "
            f"{listed}); correct the levels, or drop the entry where the study no longer trains them"
        )
    return found


MEASURED, NOT_TESTED = "measured", "not tested"
CAUSE_STATUSES = (MEASURED, NOT_TESTED)


@dataclass(frozen=True)
class Cause:
    """One candidate cause of a difference between published numbers and ours: measured (`by` the command or the
    study cells that measured it, `effect` in points of the compared number: under the cause's reading minus under
    ours) or not tested (`by`, optionally, what would measure it)."""

    cause: str
    status: str
    by: str = ""
    effect: float | None = None

    def text(self) -> str:
        if self.status == MEASURED:
            return f"measured, {self.effect:+.2f} points ({self.by}): {self.cause}"
        return f"not tested{f' (would be measured by {self.by})' if self.by else ''}: {self.cause}"


def causes_of(explanation, where: str = "published.explanation") -> list[Cause]:
    """An explanation as written (a list of {cause, status, by, effect}) as Causes. A single text, the form of earlier
    presets, is read as one cause marked not tested: nothing says it was measured. Raises ValueError naming the key
    `where` for a cause without its marks."""
    if explanation is None or explanation == "" or explanation == []:
        return []
    if isinstance(explanation, str):
        return [Cause(" ".join(explanation.split()), NOT_TESTED)]
    if not isinstance(explanation, list):
        raise ValueError(f"config key {where}: a list of causes, each {{cause, status, by, effect}}")
    causes = []
    for index, written in enumerate(explanation):
        key = f"{where}[{index}]"
        if not isinstance(written, dict) or not isinstance(written.get("cause"), str) or not written["cause"].strip():
            raise ValueError(f"config key {key}: a cause is {{cause: text, status: measured or not tested, ...}}")
        unknown = sorted(set(written) - {"cause", "status", "by", "effect"})
        if unknown:
            raise ValueError(f"config key {key}: unknown key(s) {unknown}; allowed keys: [by, cause, effect, status]")
        status, by, effect = written.get("status"), written.get("by", ""), written.get("effect")
        if status not in CAUSE_STATUSES:
            raise ValueError(
                f"config key {key}.status: {status!r} is not allowed; allowed values: {list(CAUSE_STATUSES)}"
            )
        if status == MEASURED:
            if not isinstance(by, str) or not by.strip():
                raise ValueError(
                    f"config key {key}.by: a measured cause names the command or study cells that measured it"
                )
            if isinstance(effect, bool) or not isinstance(effect, (int, float)) or not math.isfinite(effect):
                raise ValueError(
                    f"config key {key}.effect: a measured cause states its effect in points, got {effect!r}"
                )
            effect = float(effect)
        elif effect is not None:
            raise ValueError(f"config key {key}.effect: a cause not tested has no measured effect; mark it measured")
        causes.append(Cause(" ".join(written["cause"].split()), status, " ".join(str(by).split()), effect))
    return causes


def explanation_text(causes: list[Cause]) -> str:
    """Causes as one line, each with its mark: "measured, -2.10 points (by): ..." or "not tested: ..."."""
    if len(causes) == 1:
        return causes[0].text()
    return " ".join(f"({number}) {cause.text()}" for number, cause in enumerate(causes, 1))


def explanation_of(published: dict, config: str) -> str:
    """A configuration's explanation in words: its own (`explanations`) or the block's (`explanation`)."""
    own = published.get("explanations", {}).get(config)
    if own:
        return explanation_text(causes_of(own, f"published.explanations.{config}"))
    return explanation_text(causes_of(published.get("explanation"), "published.explanation"))


@dataclass(frozen=True)
class PublishedEntry:
    """One published number matched to one configuration: `numbers` {mean, std, n}, the entry's own `source` ("":
    the block's) and the explanation of a difference in words."""

    config: str
    numbers: dict
    source: str
    explanation: str


def published_entries(
    published: dict, configurations: dict[str, dict], where: str = "published"
) -> list[PublishedEntry]:
    """Every published number beside the configuration it is compared with: `results` by configuration name (in
    their order, whether or not that configuration has run), then each entry of `results_by_levels` once for every
    configuration at its levels (`configurations`: name -> factor levels). ValueError naming the key for a level set
    that matches no configuration, or an explanation without its marks."""
    entries = []
    for config, numbers in (published.get("results") or {}).items():
        entries.append(PublishedEntry(config, numbers, numbers.get("source", ""), explanation_of(published, config)))
    for index, entry in enumerate(published.get(LEVELS_KEY) or []):
        key = f"{where}.{LEVELS_KEY}[{index}]"
        if not isinstance(entry, dict) or "mean" not in entry:
            raise ValueError(f"config key {key}: {{levels: {{factor: level, ...}}, mean, std, n, source}}")
        numbers = {name: entry[name] for name in ("mean", "std", "n") if name in entry}
        for config in matching_configurations(entry.get("levels"), configurations, f"{key}.levels"):
            if "explanation" in entry:
                explanation = explanation_text(causes_of(entry["explanation"], f"{key}.explanation"))
            else:
                explanation = explanation_of(published, config)
            entries.append(PublishedEntry(config, numbers, entry.get("source", ""), explanation))
    return entries
