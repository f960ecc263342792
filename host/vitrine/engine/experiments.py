"""A/B experiments on the mirror's screens: their configuration, which variant a session sees,
and what the counts say.

A session is assigned a variant by hashing the experiment's name and the session's id, so the
same session always sees the same variant (after a restart too), and assignments to two
experiments are independent of each other. The engine records an exposure when the screen is
shown and an outcome when it happens; `results` turns those counts into rates, intervals and a
significance test.

Example (one `[[experiment]]` table per experiment):

    [[experiment]]
    name = "browse-layout"
    screen = "browse"
    outcome = "request"         # request, add_to_wishlist, engaged, rating

    [[experiment.variants]]
    name = "grid"               # the first variant is the control
    weight = 1.0
    params = { layout = "grid", columns = 3 }

    [[experiment.variants]]
    name = "carousel"
    weight = 1.0
    params = { layout = "carousel" }
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from vitrine.engine.screens import ScreenName
from vitrine.section import Section

ALPHA = 0.05  # significance level of `results`
MIN_EXPECTED = 5  # a 2x2 table with an expected count below this gets Fisher's exact test
MIN_VARIANTS = 2  # an experiment compares a control with at least one other variant
P_SHOWN_BELOW = 0.001  # smaller p-values read "p < 0.001"
_COUNT_FIELDS = 3  # (variant, exposed, converted)

Name = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]
Outcome = Literal["request", "add_to_wishlist", "engaged", "rating"]
ParamKey = Annotated[str, Field(min_length=1, max_length=64)]
ParamValue = Annotated[str, Field(max_length=256)] | bool | int | float


class VariantConfig(Section):
    """One arm of an experiment: its name, its share of sessions (relative to the other
    variants' weights) and the parameters the screen reads (e.g. layout = "carousel")."""

    name: Name
    weight: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    params: dict[ParamKey, ParamValue] = Field(default_factory=dict, max_length=32)


class ExperimentConfig(Section):
    """An experiment on one screen: the outcome that counts as a conversion, and two or more
    variants with unique names, the first being the control."""

    name: Name
    screen: ScreenName
    outcome: Outcome
    variants: list[VariantConfig] = Field(min_length=2, max_length=16)

    @model_validator(mode="after")
    def _unique_variants(self) -> ExperimentConfig:
        names = [variant.name for variant in self.variants]
        doubles = sorted({name for name in names if names.count(name) > 1})
        if doubles:
            raise ValueError(
                f"experiment {self.name!r}: variant names must be unique; "
                f"repeated: {', '.join(doubles)}"
            )
        return self


def bucket(experiment_name: str, session_id: str) -> float:
    """A number in [0, 1) fixed by the experiment's name and the session's id: the first 64
    bits of sha256("name:session") over 2**64."""
    digest = hashlib.sha256(f"{experiment_name}:{session_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign(experiment: ExperimentConfig, session_id: str) -> VariantConfig:
    """The variant this session sees: its bucket laid against the variants' cumulative
    weights, in configuration order. The same inputs always give the same variant."""
    point = bucket(experiment.name, session_id) * sum(v.weight for v in experiment.variants)
    cumulative = 0.0
    for variant in experiment.variants:
        cumulative += variant.weight
        if point < cumulative:
            return variant
    return experiment.variants[-1]  # rounding at the very top of the range


def results(counts: Sequence[Sequence[Any]], *, alpha: float = ALPHA) -> dict[str, Any]:
    """What an experiment's counts say. `counts` lists (variant, exposed_sessions,
    converted_sessions) per variant, the control first.

    Returns {"control", "variants": [{"name", "exposed", "converted", "rate", "ci_low",
    "ci_high", "lift"}], "lift": {variant: lift vs control}, "test", "p_value",
    "significant", "alpha", "summary"}. A rate is converted / exposed with its Wilson 95%
    interval; a lift is the relative difference to the control's rate (None when either rate
    is missing or the control's is 0). The test compares all variants at once: for two
    variants, Fisher's exact test when an expected count of the 2x2 table is below 5, else
    the chi-squared test with Yates' continuity correction; for more, the chi-squared test
    over the k x 2 table. While a variant has no exposures there is no test (test and p_value
    None). Raises ValueError naming the bad entry for malformed counts."""
    rows = _checked(counts)
    control_name, control_n, control_k = rows[0]
    control_rate = control_k / control_n if control_n else None
    variants = []
    lifts: dict[str, float | None] = {}
    for index, (name, n, k) in enumerate(rows):
        rate = k / n if n else None
        low = high = None
        if n:
            interval = (
                _stats().binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            )
            low, high = float(interval.low), float(interval.high)
        lift = None
        if index and rate is not None and control_rate:
            lift = (rate - control_rate) / control_rate
        if index:
            lifts[name] = lift
        variants.append(
            {
                "name": name,
                "exposed": n,
                "converted": k,
                "rate": rate,
                "ci_low": low,
                "ci_high": high,
                "lift": lift,
            }
        )

    test, p_value = _test(rows)
    significant = p_value is not None and p_value < alpha
    return {
        "control": control_name,
        "variants": variants,
        "lift": lifts,
        "test": test,
        "p_value": p_value,
        "significant": significant,
        "alpha": alpha,
        "summary": _summary(variants, p_value, significant, alpha),
    }


def _checked(counts: Sequence[Sequence[Any]]) -> list[tuple[str, int, int]]:
    # The counts as (name, exposed, converted), or a ValueError naming the bad entry.
    rows: list[tuple[str, int, int]] = []
    for index, entry in enumerate(counts):
        is_row = isinstance(entry, Sequence) and not isinstance(entry, str | bytes)
        if not is_row or len(entry) != _COUNT_FIELDS:
            raise ValueError(f"counts[{index}] = {entry!r}: must be (variant, exposed, converted)")
        name, n, k = entry
        if not isinstance(name, str) or not name:
            raise ValueError(f"counts[{index}]: variant name {name!r} must be a non-empty string")
        for label, value in (("exposed", n), ("converted", k)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"counts[{index}] ({name}): {label} = {value!r} must be a whole number >= 0"
                )
        if k > n:
            raise ValueError(
                f"counts[{index}] ({name}): converted = {k} is more than exposed = {n}; "
                "a session converts at most once"
            )
        if any(name == row[0] for row in rows):
            raise ValueError(f"counts[{index}]: variant {name!r} is listed twice")
        rows.append((name, n, k))
    if len(rows) < MIN_VARIANTS:
        raise ValueError(
            f"counts: {len(rows)} variant(s) given; an experiment has at least {MIN_VARIANTS}"
        )
    return rows


def _test(rows: list[tuple[str, int, int]]) -> tuple[str | None, float | None]:
    # (test name, p-value) over the variants x (converted, not converted) table.
    if any(n == 0 for _, n, _ in rows):
        return None, None
    table = [[k, n - k] for _, n, k in rows]
    if len(rows) == MIN_VARIANTS:  # a 2x2 table: Fisher's exact test where counts are small
        if (_stats().contingency.expected_freq(table) < MIN_EXPECTED).any():
            return "fisher_exact", float(_stats().fisher_exact(table).pvalue)
        return "chi2", float(_stats().chi2_contingency(table, correction=True).pvalue)
    if all(k == 0 for k, _ in table) or all(rest == 0 for _, rest in table):
        # Nobody converted, or everybody did: the variants cannot differ.
        return "chi2", 1.0
    return "chi2", float(_stats().chi2_contingency(table, correction=True).pvalue)


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _summary(
    variants: list[dict[str, Any]], p_value: float | None, significant: bool, alpha: float
) -> str:
    # One plain sentence: the best variant against the control, the p-value, the verdict.
    missing = [v["name"] for v in variants if not v["exposed"]]
    if len(missing) == len(variants):
        return "no data yet"
    if missing:
        return f"no data yet for {', '.join(missing)}"
    control, others = variants[0], variants[1:]
    best = max(others, key=lambda v: v["rate"])
    sentence = f"{best['name']} converts {_percent(best['rate'])} vs {control['name']} "
    sentence += _percent(control["rate"])
    if best["lift"] is not None:
        sentence += f" (lift {best['lift'] * 100:+.0f}%)"
    if len(variants) > MIN_VARIANTS:
        sentence += f" across {len(variants)} variants"
    if p_value is None:  # not reached: with exposures everywhere a test runs
        return sentence
    shown = f"p < {P_SHOWN_BELOW:g}" if p_value < P_SHOWN_BELOW else f"p = {p_value:.3f}"
    level = f"{alpha * 100:g}%"
    verdict = f"significant at {level}" if significant else "not enough evidence yet"
    return f"{sentence}, {shown} — {verdict}"


def _stats() -> Any:
    # scipy.stats, imported when results are first worked out: it takes about a second and
    # 100 MB, which every `vitrine` command (and the daemon's start) would otherwise pay.
    from scipy import stats

    return stats
