"""Experiments: their configuration, assignment of sessions to variants, and the statistics of
`results` checked against values worked out independently."""

from __future__ import annotations

import hashlib
import math
import textwrap
import tomllib
from collections import Counter
from statistics import NormalDist

import pytest
from pydantic import ValidationError

from vitrine.engine import experiments as experiments_module
from vitrine.engine.experiments import ExperimentConfig, VariantConfig, assign, bucket, results
from vitrine.section import Section

Z95 = NormalDist().inv_cdf(0.975)


def experiment(name: str = "browse-layout", weights: tuple[float, ...] = (1.0, 1.0)):
    return ExperimentConfig(
        name=name,
        screen="browse",
        outcome="request",
        variants=[VariantConfig(name=f"v{i}", weight=w) for i, w in enumerate(weights)],
    )


def error_of(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        ExperimentConfig.model_validate(data)
    return str(info.value)


VALID = {
    "name": "browse-layout",
    "screen": "browse",
    "outcome": "request",
    "variants": [{"name": "grid"}, {"name": "carousel", "weight": 2.0}],
}


# --- configuration -------------------------------------------------------------------------


def test_same_rules_as_the_daemon_config() -> None:
    for section in (experiments_module.ExperimentConfig, experiments_module.VariantConfig):
        assert issubclass(section, Section)
        assert section.model_config == Section.model_config


def test_docstring_example_is_valid() -> None:
    doc = experiments_module.__doc__ or ""
    data = tomllib.loads(textwrap.dedent(doc[doc.index("    [[experiment]]") :]))
    (cfg,) = [ExperimentConfig.model_validate(e) for e in data["experiment"]]
    assert [v.name for v in cfg.variants] == ["grid", "carousel"]
    assert cfg.variants[0].params == {"layout": "grid", "columns": 3}
    assert cfg.variants[0].weight == 1.0


def test_valid_experiment_and_defaults() -> None:
    cfg = ExperimentConfig.model_validate(VALID)
    assert cfg.variants[0] == VariantConfig(name="grid", weight=1.0, params={})
    assert cfg.variants[1].weight == 2.0


def test_whole_number_weight_from_toml() -> None:
    assert VariantConfig.model_validate({"name": "a", "weight": 3}).weight == 3.0


def test_params_keep_their_types() -> None:
    params = {"layout": "grid", "columns": 3, "ratio": 0.5, "autoplay": True}
    variant = VariantConfig.model_validate({"name": "a", "params": params})
    assert variant.params == params
    assert type(variant.params["autoplay"]) is bool
    assert type(variant.params["columns"]) is int


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"name": "Browse Layout"}, "String should match pattern"),
        ({"name": "x" * 33}, "String should match pattern"),
        ({"screen": "checkout"}, "screen"),
        ({"outcome": "purchase"}, "outcome"),
        ({"variants": [{"name": "grid"}]}, "at least 2 items"),
        ({"variants": [{"name": "a"}, {"name": "a"}, {"name": "b"}]}, "repeated: a"),
        ({"variants": [{"name": "a", "weight": 0}, {"name": "b"}]}, "greater than 0"),
        ({"variants": [{"name": "a", "weight": -1.0}, {"name": "b"}]}, "greater than 0"),
        ({"variants": [{"name": "a", "weight": "1"}, {"name": "b"}]}, "valid number"),
        ({"variants": [{"name": "a", "weight": math.inf}, {"name": "b"}]}, "finite"),
        ({"variants": [{"name": "A!"}, {"name": "b"}]}, "String should match pattern"),
        ({"variants": [{"name": "a", "params": {"x": [1]}}, {"name": "b"}]}, "params.x"),
        ({"variants": [{"name": "a", "params": {"x": None}}, {"name": "b"}]}, "params.x"),
        ({"variants": [{"name": "a", "colour": "red"}, {"name": "b"}]}, "Extra inputs"),
        ({"enabled": True}, "Extra inputs are not permitted"),
    ],
)
def test_bad_config_is_refused_with_the_key(change: dict, fragment: str) -> None:
    assert fragment in error_of({**VALID, **change})


def test_every_screen_of_the_view_model_is_allowed() -> None:
    screens = ["attract", "greeting", "home", "browse", "product", "look", "lighting", "help"]
    screens += ["loyalty", "enrol", "wishlist", "rating", "thanks"]
    for screen in screens:
        assert ExperimentConfig.model_validate({**VALID, "screen": screen}).screen == screen


# --- assignment ------------------------------------------------------------------------------


def test_assignment_is_deterministic() -> None:
    exp = experiment(weights=(1.0, 1.0, 1.0))
    first = [assign(exp, f"session-{i}").name for i in range(200)]
    again = [assign(experiment(weights=(1.0, 1.0, 1.0)), f"session-{i}").name for i in range(200)]
    assert first == again
    assert set(first) == {"v0", "v1", "v2"}


def test_bucket_is_the_sha256_of_name_and_session() -> None:
    digest = hashlib.sha256(b"browse-layout:abc123").hexdigest()
    assert bucket("browse-layout", "abc123") == int(digest[:16], 16) / 2**64
    exp = experiment(weights=(1.0, 3.0))
    # Against cumulative weights 1 and 4: below a quarter is v0, the rest v1.
    for i in range(100):
        expected = "v0" if bucket(exp.name, str(i)) * 4 < 1 else "v1"
        assert assign(exp, str(i)).name == expected


@pytest.mark.parametrize("weights", [(1.0, 1.0), (3.0, 1.0), (0.2, 0.3, 0.5), (1.0, 1.0, 2.0)])
def test_assignment_follows_the_weights(weights: tuple[float, ...]) -> None:
    exp = experiment(weights=weights)
    n = 10_000
    seen = Counter(assign(exp, f"s{i:05d}").name for i in range(n))
    total = sum(weights)
    for i, w in enumerate(weights):
        assert abs(seen[f"v{i}"] / n - w / total) < 0.02


def test_assignments_to_two_experiments_are_independent() -> None:
    a, b = experiment("browse-layout"), experiment("greeting-copy")
    n = 10_000
    pairs = Counter((assign(a, f"s{i}").name, assign(b, f"s{i}").name) for i in range(n))
    for cell in [("v0", "v0"), ("v0", "v1"), ("v1", "v0"), ("v1", "v1")]:
        assert abs(pairs[cell] / n - 0.25) < 0.02


# --- results: independent reference computations ------------------------------------------


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval at 95%, from its formula."""
    p = k / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return centre - half, centre + half


def fisher_two_sided(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test for [[a, b], [c, d]]: the probability of every table with the same
    margins that is no more likely than the observed one."""
    row1, col1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(n - col1, row1 - x) / math.comb(n, row1)

    observed = prob(a)
    lo, hi = max(0, row1 + col1 - n), min(row1, col1)
    return min(1.0, sum(p for x in range(lo, hi + 1) if (p := prob(x)) <= observed * (1 + 1e-7)))


def yates_2x2(a: int, b: int, c: int, d: int) -> float:
    """The chi-squared test with Yates' correction on a 2x2 table (1 degree of freedom)."""
    n = a + b + c + d
    numerator = n * max(0.0, abs(a * d - b * c) - n / 2) ** 2
    statistic = numerator / ((a + b) * (c + d) * (a + c) * (b + d))
    return math.erfc(math.sqrt(statistic / 2))


def chi2_k_by_2(rows: list[tuple[int, int]]) -> float:
    """The plain chi-squared test on a 3 x 2 table (2 degrees of freedom: p = exp(-x / 2))."""
    assert len(rows) == 3
    total = sum(n for n, _ in rows)
    converted = sum(k for _, k in rows)
    statistic = 0.0
    for n, k in rows:
        for observed, share in ((k, converted / total), (n - k, 1 - converted / total)):
            expected = n * share
            statistic += (observed - expected) ** 2 / expected
    return math.exp(-statistic / 2)


def test_reference_helpers_match_textbook_values() -> None:
    # Fisher's tea-tasting table: two-sided p = 34/70.
    assert fisher_two_sided(3, 1, 1, 3) == pytest.approx(34 / 70)
    # Wilson interval for 0 of 10 starts at 0; 10 of 10 ends at 1.
    assert wilson(0, 10)[0] == pytest.approx(0.0, abs=1e-12)
    assert wilson(10, 10)[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("control", "variant", "test"),
    [
        ((100, 22), (100, 31), "chi2"),
        ((1000, 220), (1000, 310), "chi2"),
        ((400, 40), (380, 61), "chi2"),
        ((10, 2), (12, 7), "fisher_exact"),
        ((4, 3), (4, 1), "fisher_exact"),
        ((50, 0), (50, 6), "fisher_exact"),  # expected conversions 3 per arm
        ((30, 30), (40, 35), "fisher_exact"),  # almost everyone converts
        ((200, 10), (200, 12), "chi2"),  # expected 11 per arm: large enough
    ],
)
def test_two_variants(control: tuple[int, int], variant: tuple[int, int], test: str) -> None:
    (n0, k0), (n1, k1) = control, variant
    out = results([("grid", n0, k0), ("carousel", n1, k1)])
    assert out["control"] == "grid"
    assert out["test"] == test
    a, b, c, d = k0, n0 - k0, k1, n1 - k1
    expected_p = fisher_two_sided(a, b, c, d) if test == "fisher_exact" else yates_2x2(a, b, c, d)
    assert out["p_value"] == pytest.approx(expected_p, rel=1e-6)
    assert out["significant"] is (expected_p < 0.05)
    grid, carousel = out["variants"]
    assert (grid["name"], grid["exposed"], grid["converted"]) == ("grid", n0, k0)
    assert grid["rate"] == pytest.approx(k0 / n0)
    assert carousel["rate"] == pytest.approx(k1 / n1)
    assert (grid["ci_low"], grid["ci_high"]) == pytest.approx(wilson(k0, n0))
    assert (carousel["ci_low"], carousel["ci_high"]) == pytest.approx(wilson(k1, n1))
    assert grid["lift"] is None
    lift = (k1 / n1 - k0 / n0) / (k0 / n0) if k0 else None
    assert carousel["lift"] == (pytest.approx(lift) if lift is not None else None)
    assert out["lift"] == {"carousel": carousel["lift"]}


def test_values_are_plain_floats() -> None:
    out = results([("a", 100, 22), ("b", 100, 31)])
    for key in ("rate", "ci_low", "ci_high"):
        assert type(out["variants"][0][key]) is float
    assert type(out["p_value"]) is float
    assert type(out["significant"]) is bool


def test_three_variants_use_chi2_over_the_whole_table() -> None:
    rows = [(100, 20), (100, 30), (100, 45)]
    out = results([("a", *rows[0]), ("b", *rows[1]), ("c", *rows[2])])
    assert out["test"] == "chi2"
    assert out["p_value"] == pytest.approx(chi2_k_by_2(rows), rel=1e-9)
    assert out["significant"] is True
    assert out["lift"] == {"b": pytest.approx(0.5), "c": pytest.approx(1.25)}
    assert out["summary"] == (
        "c converts 45.0% vs a 20.0% (lift +125%) across 3 variants, p < 0.001 — significant at 5%"
    )


def test_three_variants_nobody_converted() -> None:
    out = results([("a", 50, 0), ("b", 50, 0), ("c", 50, 0)])
    assert (out["test"], out["p_value"], out["significant"]) == ("chi2", 1.0, False)
    assert out["lift"] == {"b": None, "c": None}


def test_summary_significant() -> None:
    out = results([("grid", 1000, 220), ("carousel", 1000, 310)])
    p = yates_2x2(220, 780, 310, 690)
    assert p < 0.001
    assert out["summary"] == (
        "carousel converts 31.0% vs grid 22.0% (lift +41%), p < 0.001 — significant at 5%"
    )


def test_summary_not_significant() -> None:
    out = results([("grid", 100, 22), ("carousel", 100, 31)])
    p = yates_2x2(22, 78, 31, 69)
    assert out["summary"] == (
        f"carousel converts 31.0% vs grid 22.0% (lift +41%), p = {p:.3f} — not enough evidence yet"
    )
    assert out["significant"] is False


def test_summary_when_the_control_never_converted() -> None:
    out = results([("grid", 50, 0), ("carousel", 50, 6)])
    assert out["variants"][1]["lift"] is None
    assert out["summary"].startswith("carousel converts 12.0% vs grid 0.0%, p = ")


def test_alpha_is_adjustable() -> None:
    counts = [("grid", 100, 22), ("carousel", 100, 31)]
    assert results(counts)["significant"] is False
    loose = results(counts, alpha=0.25)
    assert loose["significant"] is True
    assert loose["alpha"] == 0.25
    assert loose["summary"].endswith("significant at 25%")


def test_no_exposures_yet() -> None:
    out = results([("grid", 0, 0), ("carousel", 0, 0)])
    assert out["test"] is None
    assert out["p_value"] is None
    assert out["significant"] is False
    assert out["summary"] == "no data yet"
    for v in out["variants"]:
        assert (v["rate"], v["ci_low"], v["ci_high"], v["lift"]) == (None, None, None, None)


def test_one_variant_without_exposures() -> None:
    out = results([("grid", 40, 8), ("carousel", 0, 0)])
    assert (out["test"], out["p_value"], out["significant"]) == (None, None, False)
    assert out["variants"][0]["rate"] == pytest.approx(0.2)
    assert out["variants"][1]["rate"] is None
    assert out["lift"] == {"carousel": None}
    assert out["summary"] == "no data yet for carousel"


def test_results_do_not_change_their_input() -> None:
    counts = [("grid", 100, 22), ("carousel", 100, 31)]
    copy = list(counts)
    assert results(counts) == results(copy)
    assert counts == copy


@pytest.mark.parametrize(
    ("counts", "fragment"),
    [
        ([("a", 10, 1)], "at least 2"),
        ([], "at least 2"),
        ([("a", 10, 1), ("a", 10, 2)], "listed twice"),
        ([("a", 10, 11), ("b", 10, 2)], "converted = 11 is more than exposed = 10"),
        ([("a", -1, 0), ("b", 10, 2)], "exposed = -1 must be a whole number >= 0"),
        ([("a", 10, 1.5), ("b", 10, 2)], "converted = 1.5"),
        ([("a", True, 0), ("b", 10, 2)], "exposed = True"),
        ([("a", 10), ("b", 10, 2)], "must be (variant, exposed, converted)"),
        (["abc", ("b", 10, 2)], "must be (variant, exposed, converted)"),
        ([("", 10, 1), ("b", 10, 2)], "non-empty string"),
    ],
)
def test_bad_counts_are_refused(counts: list, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        results(counts)
    assert fragment in str(info.value)
