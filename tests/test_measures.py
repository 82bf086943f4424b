"""Tests of divergence.measures.compute: exact values on tiny logs, pm4py agreement, properties."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon

from divergence.errors import DivergenceWarning, OptionError
from divergence.measures.compute import (
    DEFAULT_WEIGHTS,
    LANGUAGE_MAX_CELLS,
    PERFORMANCE_SCALE,
    MEASURES,
    MeasureResult,
    combine,
    compute_measures,
    register,
)
from tinylogs import make_profiles





def with_variants(profile, variants):
    """A copy of ``profile`` with the variant table ``{tuple: cases}``."""
    v = pd.DataFrame({"variant": list(variants), "cases": list(variants.values())})
    v["share"] = v["cases"] / v["cases"].sum()
    v["median_duration_s"] = 0.0
    return dataclasses.replace(profile, variants=v)


def language_of(profile):
    v = profile.variants
    return {tuple(k): c / v["cases"].sum() for k, c in zip(v["variant"], v["cases"])}


# ------------------------------------------------------------------ exact values


def test_language_abc_vs_abd_is_one_third():
    a, b = make_profiles({"a": [("ABC", 3)], "b": [("ABD", 5)]})
    m = compute_measures([a, b], names=["language"]).matrices["language"]
    assert m == pytest.approx(np.array([[0, 1 / 3], [1 / 3, 0]]), abs=1e-12)


def test_language_mixture_by_hand():
    # c: 1/3 ABC, 2/3 XY. a -> c moves 2/3 from ABC to XY (distance 1);
    # b (ABD) -> c: 1/3 to ABC (1/3) and 2/3 to XY (1): 1/9 + 2/3.
    a, b, c = make_profiles({"a": [("ABC", 3)], "b": [("ABD", 3)], "c": [("ABC", 1), ("XY", 2)]})
    m = compute_measures([a, b, c], names=["language"]).matrices["language"]
    assert m[0, 2] == pytest.approx(2 / 3, abs=1e-12)
    assert m[1, 2] == pytest.approx(7 / 9, abs=1e-12)


def test_language_empty_variant_ground_distance():
    (a,) = make_profiles({"a": [("AB", 1)]})
    e = with_variants(a, {(): 1})
    both = with_variants(a, {(): 1, ("A", "B"): 1})
    m = compute_measures([e, a, both, e], names=["language"]).matrices["language"]
    assert m[0, 1] == pytest.approx(1.0)  # empty vs AB: distance 1
    assert m[0, 2] == pytest.approx(0.5)
    assert m[0, 3] == 0.0  # two empty languages


def test_flow_by_hand():
    # a: ▶A AB BC C■, b: ▶A AB BD D■, each 1/4: half shared -> JS = 1/2 bit
    a, b = make_profiles({"a": [("ABC", 2)], "b": [("ABD", 7)]})
    m = compute_measures([a, b], names=["flow"]).matrices["flow"]
    assert m[0, 1] == pytest.approx(np.sqrt(0.5), abs=1e-12)


def test_flow_matches_scipy_jensenshannon_and_counts_repeats():
    # a: 2×ABAB (▶A, AB×2, BA, B■) + 1×AC; b: 1×AB
    a, b = make_profiles({"a": [("ABAB", 2), ("AC", 1)], "b": [("AB", 1)]})
    keys = ["▶A", "AB", "BA", "B■", "AC", "C■"]
    pa = np.array([3, 4, 2, 2, 1, 1], float)
    pb = np.array([1, 1, 0, 1, 0, 0], float)
    expected = jensenshannon(pa / pa.sum(), pb / pb.sum(), base=2)
    assert len(keys) == len(pa)
    m = compute_measures([a, b], names=["flow"]).matrices["flow"]
    assert m[0, 1] == pytest.approx(expected, abs=1e-12)


def test_activities_weighted_jaccard_by_hand():
    # a: A,B in all cases, C in 1/2, D in 1/2; b: A,B all, C all
    a, b = make_profiles({"a": [("ABC", 1), ("ABD", 1)], "b": [("ABC", 4)]})
    m = compute_measures([a, b], names=["activities"]).matrices["activities"]
    # min: 1+1+0.5+0 = 2.5; max: 1+1+1+0.5 = 3.5
    assert m[0, 1] == pytest.approx(1 - 2.5 / 3.5, abs=1e-12)


def _edge_and_activity_shares(profile):
    """Reference, variant by variant: directly-follows counts (with ▶ and ■) and activity case shares."""
    edges, acts = {}, {}
    v = profile.variants
    total = float(v["cases"].sum())
    for variant, cases in zip(v["variant"], v["cases"]):
        seq = ["▶", *variant, "■"]
        for e in zip(seq, seq[1:]):
            edges[e] = edges.get(e, 0.0) + cases
        for a in set(variant):
            acts[a] = acts.get(a, 0.0) + cases / total
    return edges, acts


variant_table = st.dictionaries(st.lists(st.sampled_from("ABCD"), max_size=6).map(tuple), st.integers(1, 9),
                                min_size=1, max_size=6)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(variant_table, variant_table)
def test_flow_and_activities_equal_a_variant_by_variant_reference(va, vb):
    base_a, base_b = make_profiles({"a": [("AB", 1)], "b": [("AB", 1)]})
    a, b = with_variants(base_a, va), with_variants(base_b, vb)
    (ea, aa), (eb, ab) = _edge_and_activity_shares(a), _edge_and_activity_shares(b)
    keys = sorted(set(ea) | set(eb))
    pa = np.array([ea.get(k, 0.0) for k in keys])
    pb = np.array([eb.get(k, 0.0) for k in keys])
    m = compute_measures([a, b], names=["flow", "activities"]).matrices
    assert m["flow"][0, 1] == pytest.approx(jensenshannon(pa / pa.sum(), pb / pb.sum(), base=2), abs=1e-9)
    names = sorted(set(aa) | set(ab))
    lo = sum(min(aa.get(n, 0.0), ab.get(n, 0.0)) for n in names)
    hi = sum(max(aa.get(n, 0.0), ab.get(n, 0.0)) for n in names)
    assert m["activities"][0, 1] == pytest.approx(1 - lo / hi if hi else 0.0, abs=1e-9)


def test_performance_by_hand():
    # durations: a 1 h (2 events, step 1h) all cases; b 2 h; c half 1 h, half 2 h
    a, b, c = make_profiles(
        {"a": [("AB", 2, 1.0)], "b": [("AB", 2, 2.0)], "c": [("AB", 1, 1.0), ("AC", 1, 2.0)]}
    )
    m = compute_measures([a, b, c], names=["performance"]).matrices["performance"]
    gap = np.log10(7201 / 3601)  # decades between 1 h and 2 h on log10(1 + s)
    assert m[0, 1] == pytest.approx(gap, abs=1e-12)
    assert m[0, 2] == pytest.approx(gap / 2, abs=1e-12)
    assert m[1, 2] == pytest.approx(gap / 2, abs=1e-12)


def test_performance_three_times_slower_reads_about_half():
    # issue 13 point 6: 38 against 112 days of median throughput once scored
    # 0.056; on log10(1 + s) over one decade a 3x gap is log10(3) ~ 0.48
    day = 86400
    a, b = make_profiles({"a": [("AB", 4)], "b": [("AB", 4)]})
    a = dataclasses.replace(a, durations=pd.DataFrame({"duration_s": [38 * day], "cases": [4]}))
    b = dataclasses.replace(b, durations=pd.DataFrame({"duration_s": [112 * day], "cases": [4]}))
    m = compute_measures([a, b], names=["performance"]).matrices["performance"]
    assert m[0, 1] == pytest.approx(np.log10((1 + 112 * day) / (1 + 38 * day)), abs=1e-12)
    assert m[0, 1] == pytest.approx(0.4694, abs=1e-4)
    # a third unit far away no longer changes the pair (no pooled range)
    c = dataclasses.replace(a, unit="c", durations=pd.DataFrame({"duration_s": [1.0], "cases": [1]}))
    m3 = compute_measures([a, b, c], names=["performance"]).matrices["performance"]
    assert m3[0, 1] == m[0, 1]
    assert m3[0, 2] == 1.0  # over 6 decades apart: capped at 1
    # mixed distributions: half the cases 3x slower -> half the distance;
    # a smaller scale reads the same gap as larger
    half = dataclasses.replace(b, durations=pd.DataFrame({"duration_s": [38 * day, 112 * day], "cases": [2, 2]}))
    m = compute_measures([a, half], names=["performance"], scale=0.5).matrices["performance"]
    assert m[0, 1] == pytest.approx(np.log10((1 + 112 * day) / (1 + 38 * day)), abs=1e-12)
    with pytest.raises(OptionError, match="scale"):
        compute_measures([a, b], names=["performance"], scale=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 9)), max_size=6),
        min_size=2,
        max_size=4,
    )
)
def test_performance_equals_scipy_wasserstein_pair_by_pair(units):
    from scipy.stats import wasserstein_distance

    base = make_profiles({"u": [("AB", 1)]})[0]
    profiles = [
        dataclasses.replace(
            base,
            unit=f"u{i}",
            durations=pd.DataFrame({"duration_s": [d for d, _ in rows], "cases": [c for _, c in rows]}),
        )
        for i, rows in enumerate(units)
    ]
    got = compute_measures(profiles, names=["performance"]).matrices["performance"]
    vals = [np.log10(1 + np.array([d for d, _ in rows], dtype=float)) for rows in units]
    for i in range(len(units)):
        for j in range(len(units)):
            if i == j or not len(vals[i]) or not len(vals[j]):
                assert got[i, j] == 0.0
                continue
            w = [[c for _, c in units[k]] for k in (i, j)]
            ref = min(1.0, wasserstein_distance(vals[i], vals[j], w[0], w[1]) / PERFORMANCE_SCALE)
            assert got[i, j] == pytest.approx(ref, abs=1e-12)


def test_performance_all_equal_durations_gives_zero():
    ps = make_profiles({"a": [("AB", 3)], "b": [("AC", 2)]})
    assert not compute_measures(ps, names=["performance"]).matrices["performance"].any()


# ------------------------------------------------------------------ pm4py agreement


def _random_profiles(rng, base, n_units, alphabet="ABCDE"):
    out = []
    for i in range(n_units):
        k = int(rng.integers(1, 7))
        variants = {}
        for _ in range(k):
            length = int(rng.integers(1, 6))
            variants[tuple(rng.choice(list(alphabet), size=length))] = int(rng.integers(1, 20))
        out.append(dataclasses.replace(with_variants(base, variants), unit=f"u{i}"))
    return out


def test_language_equals_pm4py_compute_emd():
    pm4py = pytest.importorskip("pm4py")
    (base,) = make_profiles({"a": [("AB", 1)]})
    rng = np.random.default_rng(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(8):
            ps = _random_profiles(rng, base, 4)
            m = compute_measures(ps, names=["language"]).matrices["language"]
            for i in range(len(ps)):
                for j in range(len(ps)):
                    if i != j:
                        ref = pm4py.compute_emd(language_of(ps[i]), language_of(ps[j]))
                        assert m[i, j] == pytest.approx(ref, abs=1e-9)


def test_language_capped_above_the_cell_budget_with_a_warning():
    (a,) = make_profiles({"a": [("AB", 1)]})
    a = with_variants(a, {("A",): 6, ("B",): 3, ("C",): 1})
    b = dataclasses.replace(with_variants(a, {("A",): 1}), unit="b")
    # 3 x 1 = 3 cells over a budget of 2: a keeps its 2 most frequent variants
    with pytest.warns(DivergenceWarning, match=r"'a' \(3 variants\) × 'b' \(1 variants\) needs 3 ground distances, "
                      r"over the budget of 2 .*2 and 1 most frequent variants, covering 90.0% and 100.0%"):
        res = compute_measures([a, b], names=["language"], max_cells=2)
    det = res.details["language"]
    assert len(det["warnings"]) == 1 and det["max_cells"] == 2
    assert det["coverage"] == {"a": 0.9, "b": 1.0}
    assert det["variants_used"] == {"a": 2, "b": 1}
    assert det["capped_pairs"] == [
        {"units": ["a", "b"], "variants": [3, 1], "kept": [2, 1], "coverage": [0.9, 1.0], "cells": 3}
    ]
    # kept A and B; C's case merges into its nearest kept variant (A, first of
    # the tie): A 7/10, B 3/10 -> 3/10 moves from B to A
    assert res["language"][0, 1] == pytest.approx(0.3)
    # without merging, the kept shares are renormalised: A 2/3, B 1/3
    with pytest.warns(DivergenceWarning):
        res = compute_measures([a, b], names=["language"], max_cells=2, merge_tail=False)
    assert res["language"][0, 1] == pytest.approx(1 / 3)
    # at the budget: exact, no warning; C's case moves too
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = compute_measures([a, b], names=["language"], max_cells=3)
    assert res["language"][0, 1] == pytest.approx(0.4)
    assert res.details["language"]["capped_pairs"] == []
    res = compute_measures([a, b], names=["language"], coverage=0.6)
    assert res.details["language"]["coverage"]["a"] == pytest.approx(0.6)
    assert res["language"][0, 1] == 0.0
    with pytest.raises(OptionError, match="max_cells"):
        compute_measures([a, b], names=["language"], max_cells=0)


def _brute_force_emd(p, q):
    """EMD by a plain linear program over every transport plan (scipy's HiGHS)."""
    from rapidfuzz.distance import Levenshtein
    from scipy.optimize import linprog

    sa, sb = list(p), list(q)
    cost = np.array([[Levenshtein.normalized_distance(x, y) for y in sb] for x in sa])
    n, m = cost.shape
    a_eq = np.zeros((n + m, n * m))
    for i in range(n):
        a_eq[i, i * m : (i + 1) * m] = 1.0
    for j in range(m):
        a_eq[n + j, j::m] = 1.0
    b_eq = np.concatenate([[p[x] for x in sa], [q[y] for y in sb]])
    res = linprog(cost.ravel(), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


def test_language_exact_below_the_budget_equals_a_brute_force_emd():
    (base,) = make_profiles({"a": [("AB", 1)]})
    rng = np.random.default_rng(11)
    ps = _random_profiles(rng, base, 4, alphabet="ABCD")
    sizes = [len(p.variants) for p in ps]
    budget = max(x * y for i, x in enumerate(sizes) for y in sizes[i + 1 :])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exact: no cap, no warning
        m = compute_measures(ps, names=["language"], max_cells=budget).matrices["language"]
    for i in range(len(ps)):
        for j in range(i + 1, len(ps)):
            assert m[i, j] == pytest.approx(_brute_force_emd(language_of(ps[i]), language_of(ps[j])), abs=1e-9)
    assert LANGUAGE_MAX_CELLS == 15_000_000


def test_pair_caps_keep_the_smaller_unit_whole_when_it_fits():
    from divergence.measures.emd import pair_caps

    assert pair_caps(1000, 1200, 15_000_000) == (1000, 1200)
    assert pair_caps(300, 80_000, 15_000_000) == (300, 50_000)
    assert pair_caps(80_000, 300, 15_000_000) == (50_000, 300)
    assert pair_caps(5000, 6000, 15_000_000) == (3872, 3872)
    assert pair_caps(3, 1, 1) == (1, 1)


# ------------------------------------------------------------------ registry, combine


def test_registry_and_unknown_names():
    assert set(MEASURES) >= {"language", "flow", "activities", "performance"}
    ps = make_profiles({"a": [("AB", 1)], "b": [("AC", 1)]})
    with pytest.raises(OptionError, match="valid: .*language"):
        compute_measures(ps, names=["nope"])
    with pytest.raises(OptionError, match="max_cells"):
        compute_measures(ps, bogus=1)
    with pytest.raises(OptionError):
        compute_measures(ps, names=["language"], coverage=0)
    with pytest.raises(OptionError):
        compute_measures([])


def test_register_custom_measure():
    @register("_constant")
    def _constant(profiles, *, value=0.5):
        m = np.full((len(profiles), len(profiles)), value)
        np.fill_diagonal(m, 0)
        return m

    try:
        ps = make_profiles({"a": [("AB", 1)], "b": [("AC", 1)]})
        res = compute_measures(ps, names=["_constant"], value=0.25)
        assert isinstance(res, MeasureResult)
        assert res.units == ("a", "b")
        assert res["_constant"][0, 1] == 0.25
        assert res.frame("_constant").loc["b", "a"] == 0.25
    finally:
        del MEASURES["_constant"]


def test_combine_default_weights_and_asymmetric_conformance():
    lang = np.array([[0, 0.4], [0.4, 0]])
    conf = np.array([[0, 0.2], [0.6, 0]])  # symmetrised -> 0.4
    flow = np.array([[0, 1.0], [1.0, 0]])
    out = combine({"language": lang, "conformance": conf, "flow": flow})
    w = {k: DEFAULT_WEIGHTS[k] for k in ("language", "conformance", "flow")}
    expected = (0.4 * w["language"] + 0.4 * w["conformance"] + 1.0 * w["flow"]) / sum(w.values())
    assert out[0, 1] == pytest.approx(expected)
    assert out[1, 0] == out[0, 1] and out[0, 0] == 0
    assert combine({"language": lang}, {"language": 2.0, "flow": 1.0})[0, 1] == pytest.approx(0.4)
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "matrices, weights",
    [
        ({"language": np.zeros((2, 2))}, {"nope": 1.0}),
        ({"nope": np.zeros((2, 2))}, None),
        ({"language": np.zeros((2, 2))}, {"language": -1.0}),
        ({"language": np.zeros((2, 2))}, {"flow": 1.0}),
        ({}, None),
    ],
)
def test_combine_rejects_bad_input(matrices, weights):
    with pytest.raises(OptionError):
        combine(matrices, weights)


def test_inputs_not_modified():
    ps = make_profiles({"a": [("ABC", 2), ("AC", 1)], "b": [("ABD", 3)]})
    before = [p.variants.copy() for p in ps]
    compute_measures(ps)
    for p, v in zip(ps, before):
        pd.testing.assert_frame_equal(p.variants, v)


# ------------------------------------------------------------------ properties

_variant = st.text(alphabet="ABCD", min_size=1, max_size=5)
_unit = st.dictionaries(_variant, st.integers(1, 5), min_size=1, max_size=4)


@st.composite
def _logs(draw):
    units = draw(st.lists(_unit, min_size=2, max_size=4))
    return {f"u{i}": [(v, c, 1.0 + (len(v) % 3)) for v, c in vs.items()] for i, vs in enumerate(units)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_logs(), st.randoms(use_true_random=False))
def test_matrix_properties(spec, rnd):
    ps = make_profiles(spec)
    res = compute_measures(ps)
    perm = list(range(len(ps)))
    rnd.shuffle(perm)
    res_p = compute_measures([ps[i] for i in perm])
    for name, m in res.matrices.items():
        assert m.shape == (len(ps), len(ps))
        assert np.all(np.diag(m) == 0)
        assert np.allclose(m, m.T, atol=1e-12)
        assert np.all((m >= 0) & (m <= 1))
        assert np.allclose(res_p.matrices[name], m[np.ix_(perm, perm)], atol=1e-9)
    # a unit compared with an identical copy of itself: 0 on every measure
    twin = dataclasses.replace(ps[0], unit="twin")
    res_t = compute_measures([ps[0], twin])
    for m in res_t.matrices.values():
        assert m[0, 1] == pytest.approx(0.0, abs=1e-12)
    c = combine(res.matrices)
    assert np.allclose(c, c.T) and np.all(np.diag(c) == 0) and np.all((c >= 0) & (c <= 1))


def test_language_process_pool_matches_serial(monkeypatch):
    import divergence.measures.emd as measures

    (base,) = make_profiles({"a": [("AB", 1)]})
    ps = _random_profiles(np.random.default_rng(3), base, 3)
    serial = compute_measures(ps, names=["language"], n_jobs=1)
    monkeypatch.setattr(measures, "_PARALLEL_CELLS", 0)
    # other tests may have left threads behind; the pool forks only from a
    # single-threaded caller, which this test stands for
    monkeypatch.setattr(measures.parallel, "can_fork", lambda: True)
    pooled = compute_measures(ps, names=["language"], n_jobs=2)
    assert serial.details["language"]["processes"] == 1
    assert pooled.details["language"]["processes"] == 2
    assert np.array_equal(serial["language"], pooled["language"])
    with pytest.raises(OptionError):
        compute_measures(ps, names=["language"], n_jobs=0)


def test_pair_budgets_keep_small_pairs_exact_and_share_the_rest():
    from divergence.measures.emd import pair_budgets

    assert pair_budgets([4, 6, 9], total=100, per_pair=100) == [4, 6, 9]  # all fit
    assert pair_budgets([4, 6, 9], total=100, per_pair=5) == [4, 5, 5]  # the per-pair cap alone
    # 4 fits; 6 and 9 share the remaining 11 cells: level 5
    assert pair_budgets([4, 6, 9], total=15, per_pair=100) == [4, 5, 5]
    assert pair_budgets([10, 10], total=1, per_pair=100) == [1, 1]  # at least one cell each


def test_language_total_budget_caps_the_largest_pairs_with_one_warning_for_many():
    (a,) = make_profiles({"a": [("AB", 1)]})
    units = [dataclasses.replace(with_variants(a, {("A",) * (k + 1): 3, ("B",): 2, ("C",): 1}), unit=f"u{k}")
             for k in range(4)]  # 3 variants each: 6 pairs of 9 cells
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = compute_measures(units, names=["language"], max_total_cells=54)
    assert exact.details["language"]["capped_pairs"] == []
    with pytest.warns(DivergenceWarning, match=r"language: 6 of 6 unit pairs need more ground distances"):
        res = compute_measures(units, names=["language"], max_total_cells=24)  # 4 cells a pair: 2 x 2 variants
    det = res.details["language"]
    assert len(det["warnings"]) == 1 and det["max_total_cells"] == 24
    assert all(c["kept"] == [2, 2] for c in det["capped_pairs"]) and len(det["capped_pairs"]) == 6
