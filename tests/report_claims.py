"""Reads the claims a rendered report makes and checks each against the numbers printed beside it."""

from __future__ import annotations

import math
import re

import pandas as pd

from pairstudy.stats.words import EQUIVALENT, HIGHER, INCONCLUSIVE, LOWER, TOO_FEW_SEEDS

NUMBER = r"[-+]?\d+(?:\.\d+)?"
# "<label>: 1.8 points higher accuracy [-0.1, 3.8], inconclusive, p = 0.061 over 10 paired seeds; ..."
CLAIM = re.compile(
    rf"(?:(?P<size>{NUMBER})(?P<unit> points)? (?P<way>higher|lower) |no difference in )(?P<metric>[\w ]+?) "
    rf"\[(?P<low>{NUMBER}), (?P<high>{NUMBER})\], (?P<word>helped|hurt|better|worse|inconclusive|"
    rf"no difference larger than (?P<smallest>{NUMBER})(?: points?)?), p (?P<relation>[=<]) (?P<p>{NUMBER})"
)
GOOD = {"helped", "better"}
BAD = {"hurt", "worse"}


def claims(text: str) -> list[dict]:
    """Every difference sentence of a rendered report (Markdown or HTML text), as numbers and words."""
    text = text.replace("\\<", "<").replace("&lt;", "<")
    return [match.groupdict() for match in CLAIM.finditer(text)]


def check_claim(claim: dict, higher_is_better: bool = True, alpha: float = 0.05) -> None:
    """Raises AssertionError where the verdict word disagrees with the sign, interval or p printed beside it."""
    size, low, high, p = float(claim["size"] or 0), float(claim["low"]), float(claim["high"]), float(claim["p"])
    difference = size if claim["way"] == "higher" else -size
    below = claim["relation"] == "<" or p < alpha
    word = claim["word"]
    assert low <= difference + 0.051 and difference - 0.051 <= high, claim  # the estimate inside its interval
    good_side = (low >= 0 and high > 0) if higher_is_better else (high <= 0 and low < 0)
    bad_side = (high <= 0 and low < 0) if higher_is_better else (low >= 0 and high > 0)
    if word in GOOD:
        assert good_side and below, claim
    elif word in BAD:
        assert bad_side and below, claim
    else:
        assert not below, claim  # an adjusted p below alpha is a resolved difference
        assert low <= 0 <= high, claim
        if word.startswith("no difference larger than"):
            smallest = float(claim["smallest"])
            assert -smallest <= low and high <= smallest, claim
        else:
            assert word == "inconclusive", claim


def check_report(text: str, higher_is_better: bool = True) -> int:
    """Checks every claim of a rendered report; returns how many it read."""
    found = claims(text)
    for claim in found:
        check_claim(claim, higher_is_better)
    return len(found)


def check_rows(table: pd.DataFrame, alpha: float = 0.05) -> None:
    """Every stored row of a difference table: its verdict agrees with its family's interval and adjusted p."""
    estimate = "estimate" if "estimate" in table else "mean_difference"
    for _, row in table.iterrows():
        low, high, p = float(row["ci_low"]), float(row["ci_high"]), float(row["adjusted_t_pvalue"])
        if math.isnan(low):
            assert row["verdict"] == TOO_FEW_SEEDS, dict(row)
            continue
        assert low <= row[estimate] <= high, dict(row)
        assert math.isclose(p, min(1.0, float(row["t_pvalue"]) * int(row["family_size"])), rel_tol=1e-9) or (
            math.isnan(p) and math.isnan(float(row["t_pvalue"]))
        ), dict(row)
        excludes_zero = low > 0 or high < 0
        if not math.isnan(p):
            assert excludes_zero == (p < alpha), dict(row)
        expected = HIGHER if low > 0 else LOWER if high < 0 else None
        if expected is None:
            smallest = float(row["smallest_effect"])
            expected = EQUIVALENT if -smallest < low and high < smallest else INCONCLUSIVE
        assert row["verdict"] == expected, dict(row)
