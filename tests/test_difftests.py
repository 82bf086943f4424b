"""Statistical difference tests: no false alarms on equal behaviour, planted differences found."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact, mannwhitneyu

from divergence.difftests import (
    COLUMNS,
    behaviour_of,
    compare_units,
    fisher_two_sided,
    mann_whitney_weighted,
    pool,
    process_tests,
)
from divergence.harmonise.evidence import Rate, fisher_one_sided
from divergence.profile import profile_from_variants
from tinylogs import T0, make_profiles

# a small process: a b c d e, with c skipped, b repeated, d and e swapped sometimes
VARIANTS = [tuple("abcde"), tuple("abde"), tuple("abbcde"), tuple("abced"), tuple("abed"), tuple("abbced")]
PROBS = np.array([0.45, 0.2, 0.1, 0.15, 0.05, 0.05])


def _sampled(rng: np.random.Generator, unit: str, n: int, *, probs=PROBS, slow_share: float = 0.0):
    """A profile of ``n`` cases drawn from VARIANTS, with throughput times in whole hours."""
    counts = rng.multinomial(n, probs)
    prof = profile_from_variants("P", unit, {v: int(c) for v, c in zip(VARIANTS, counts)}, first=T0,
                                 last=T0 + pd.Timedelta(days=365))
    hours = np.round(rng.gamma(2.0, 10.0, n)) * np.where(rng.random(n) < slow_share, 3, 1)
    vals, cnt = np.unique(hours * 3600.0, return_counts=True)
    return dataclasses.replace(prof, durations=pd.DataFrame({"duration_s": vals, "cases": cnt.astype(np.int64)}))


def test_identical_behaviour_gives_no_difference():
    (a,) = make_profiles({"A": [("abcde", 50), ("abde", 20), ("abbcde", 10)]})
    df = compare_units(a, a)
    assert list(df.columns) == COLUMNS
    assert set(df["kind"]) == {"activity", "edge", "variant", "throughput", "edge_wait"}
    assert not df["significant"].any()
    assert np.allclose(df["p_value"], 1.0)
    assert np.allclose(df["effect"], 0.0)


def test_false_positive_rate_at_most_nominal_over_many_seeds():
    """Two units from the same process: a run with any significant difference in at most alpha of 200 seeds."""
    rng = np.random.default_rng(20261204)
    alpha, runs = 0.05, 200
    any_significant, raw_rejections, raw_tests = 0, 0, 0
    for _ in range(runs):
        df = compare_units(_sampled(rng, "A", 300), _sampled(rng, "B", 300), alpha)
        any_significant += bool(df["significant"].any())
        tested = df[df["testable"]]
        raw_rejections += int((tested["p_value"] <= alpha).sum())
        raw_tests += len(tested)
    # under the global null BH controls the family-wise rate at alpha
    assert any_significant / runs <= alpha
    # each test alone is at most nominal too (Fisher doubled is conservative)
    assert raw_rejections / raw_tests <= alpha


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_difference_in_20_percent_of_cases_found_at_300_cases(seed):
    """Unit B inserts step x between b and c in 20% of its cases, and takes three times as long in 20%."""
    rng = np.random.default_rng(seed)
    a = _sampled(rng, "A", 300)
    b = _sampled(rng, "B", 300, slow_share=0.2)
    planted = {v: int(c) for v, c in zip(b.variants["variant"], b.variants["cases"])}
    moved = 0
    new: dict = {}
    for v, c in planted.items():  # 20% of B's cases get x after their first b
        k = int(round(0.2 * c)) if moved < 60 else 0
        k = min(k, 60 - moved)
        moved += k
        i = v.index("b") + 1
        if k:
            new[v[:i] + ("x",) + v[i:]] = k
        if c - k:
            new[v] = new.get(v, 0) + c - k
    assert moved >= 55
    b2 = profile_from_variants("P", "B", new, first=b.first, last=b.last)
    b2 = dataclasses.replace(b2, durations=b.durations)
    df = compare_units(a, b2).set_index(["kind", "item"])
    assert df.loc[("activity", "x"), "significant"]
    assert df.loc[("edge", "b → x"), "significant"]
    assert df.loc[("activity", "x"), "effect"] == pytest.approx(-moved / 300)
    assert df.loc[("throughput", "case throughput time"), "significant"]
    assert df.loc[("throughput", "case throughput time"), "effect"] < 0  # A faster than B
    assert df["significant"].sum() < len(df)


def test_planted_share_difference_found_with_events():
    """Through profile_units: B skips c in 30% of cases, A in 10%; 300 cases each."""
    a, b = make_profiles({"A": [("abcde", 270), ("abde", 30)], "B": [("abcde", 210), ("abde", 90)]})
    df = compare_units(a, b).set_index(["kind", "item"])
    assert df.loc[("activity", "c"), "significant"]
    assert df.loc[("activity", "c"), "effect"] == pytest.approx(0.2)
    assert df.loc[("edge", "b → d"), "significant"]
    assert not df.loc[("activity", "a"), "significant"]


def test_fisher_matches_scipy_and_evidence():
    rng = np.random.default_rng(0)
    xa, xb = rng.integers(0, 40, 50), rng.integers(0, 40, 50)
    p, pmin = fisher_two_sided(xa, 40, xb, 45)
    for i in range(50):
        lo = fisher_one_sided(Rate(int(xa[i]), 40), Rate(int(xb[i]), 45), "lower")
        hi = fisher_one_sided(Rate(int(xa[i]), 40), Rate(int(xb[i]), 45), "higher")
        assert p[i] == pytest.approx(min(1.0, 2 * min(lo, hi)), rel=1e-9)
        two = fisher_exact([[xa[i], 40 - xa[i]], [xb[i], 45 - xb[i]]])[1]
        assert p[i] >= two - 1e-12  # doubling is at least the minimum-likelihood p-value
        assert pmin[i] <= p[i] + 1e-12


def test_weighted_mann_whitney_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 20, 200).astype(float)
    b = rng.integers(2, 22, 150).astype(float)
    va, ca = np.unique(a, return_counts=True)
    vb, cb = np.unique(b, return_counts=True)
    u, p, r = mann_whitney_weighted(va, ca, vb, cb)
    ref = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", use_continuity=True)
    assert u == pytest.approx(ref.statistic)
    assert p == pytest.approx(ref.pvalue, rel=1e-9)
    assert r == pytest.approx(2 * u / (200 * 150) - 1)


def test_rare_items_are_listed_but_not_adjusted():
    (a,) = make_profiles({"A": [("abc", 100)]})
    (b,) = make_profiles({"B": [("abc", 99), ("abxc", 1)]})
    df = compare_units(a, b).set_index(["kind", "item"])
    row = df.loc[("activity", "x")]
    assert not row["testable"] and np.isnan(row["q_value"]) and not row["significant"]


def test_process_tests_against_target_and_other_units():
    profs = {p.unit: p for p in make_profiles({"A": [("abcde", 270), ("abde", 30)], "B": [("abcde", 210), ("abde", 90)],
                                               "C": [("abcde", 250), ("abde", 50)]})}
    df = process_tests(profs, profs["A"], target_name="A")
    assert set(df["unit"]) == {"B", "C"} and set(df["reference"]) == {"target: A"}
    assert df.loc[(df["unit"] == "B") & (df["item"] == "c"), "significant"].item()
    rest = process_tests(profs, None)
    assert set(rest["unit"]) == {"A", "B", "C"} and set(rest["reference"]) == {"other units"}
    pooled = pool([behaviour_of(profs["A"]), behaviour_of(profs["C"])])
    row = rest[(rest["unit"] == "B") & (rest["item"] == "c")].iloc[0]
    assert row["b_cases"] == pooled.activities["c"] and row["b_total"] == 600


def test_difference_map_colours_only_significant_differences(tmp_path):
    from divergence.render.diffmap import NOT_SIGNIFICANT, difference_map, difference_map_scene

    a, b = make_profiles({"A": [("abcde", 270), ("abde", 30)], "B": [("abcde", 210), ("abde", 90)]})
    df = compare_units(b, a)
    sig = df[df["significant"]]
    sets = {"edges": {t: e for k, t, e in zip(sig["kind"], sig["activities"], sig["effect"]) if k == "edge"},
            "activities": {t[0]: e for k, t, e in zip(sig["kind"], sig["activities"], sig["effect"]) if k == "activity"}}
    assert set(sets["activities"]) == {"c"}
    svg = difference_map_scene(b, a, significant=sets).to_svg()
    plain = difference_map_scene(b, a).to_svg()
    assert NOT_SIGNIFICANT.lower() in svg.lower() and NOT_SIGNIFICANT.lower() not in plain.lower()
    assert "Δ -20 pts" in svg and "Δ" not in plain
    assert difference_map(b, a, tmp_path / "d", significant=sets)


def test_fisher_tails_match_scipy_on_short_and_long_supports():
    """The vectorised hypergeometric tails (rows by support length; scipy above 4096 terms) equal scipy's."""
    from scipy.stats import hypergeom

    rng = np.random.default_rng(11)
    for n1, n2 in ((1199, 1409), (9000, 12000)):
        xa = np.concatenate([rng.integers(0, 6, 300), rng.integers(0, n1, 100)])
        xb = np.concatenate([rng.integers(0, 6, 300), rng.integers(0, n2, 100)])
        p, _ = fisher_two_sided(xa, n1, xb, n2)
        k, m = xa + xb, n1 + n2
        ref = np.minimum(1.0, 2 * np.minimum(hypergeom.cdf(xa, m, k, n1), hypergeom.sf(xa - 1, m, k, n1)))
        ok = ref > 1e-250
        np.testing.assert_allclose(p[ok], ref[ok], rtol=1e-9)
        assert (p[~ok] < 1e-200).all()
