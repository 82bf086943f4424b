"""Per-edge waiting-time tests (issue 16): binned waits in the profiles, tested per edge with Mann-Whitney."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from divergence.difftests import (
    behaviour_of,
    compare_units,
    mann_whitney_binned,
    mann_whitney_weighted,
    pool,
    process_tests,
)
from divergence.engines import aggregate
from divergence.errors import records_of
from divergence.portable import _digest, dump_profiles, load_profiles, write_profiles
from divergence.privacy import OTHER, fold_profile
from divergence.profile import assemble_profiles, profile_from_variants, profile_units
from divergence.waits import EDGE_WAIT_COLUMNS, N_BINS, WAIT_BOUNDS_S, wait_bin_sql, wait_bins
from tinylogs import T0, make_profiles

VARIANTS = [tuple("abcde"), tuple("abde"), tuple("abbcde"), tuple("abced")]
PROBS = np.array([0.5, 0.2, 0.15, 0.15])


def _median_h(edge: tuple[str, str]) -> float:
    return 0.5 + (ord(edge[0]) * 3 + ord(edge[1])) % 7


def _sampled(rng, unit: str, n: int, *, delay_edge=None, delay_share: float = 0.0, delay_s: float = 86_400.0):
    """``n`` cases drawn from VARIANTS; each edge's waits log-normal around its own median, binned.

    With ``delay_edge``, ``delay_share`` of that edge's waits get ``delay_s`` added."""
    counts = rng.multinomial(n, PROBS)
    prof = profile_from_variants("P", unit, {v: int(c) for v, c in zip(VARIANTS, counts)}, first=T0,
                                 last=T0 + pd.Timedelta(days=365))
    rows = []
    for s, t, k in prof.edges[["source", "target", "events"]].itertuples(index=False):
        w = rng.lognormal(np.log(3600.0 * _median_h((s, t))), 1.0, int(k))
        if (s, t) == delay_edge:
            w = w + np.where(rng.random(int(k)) < delay_share, delay_s, 0.0)
        b, c = np.unique(wait_bins(w), return_counts=True)
        rows += [(s, t, int(bb), int(cc)) for bb, cc in zip(b, c)]
    waits = pd.DataFrame(rows, columns=EDGE_WAIT_COLUMNS).astype({"bin": np.int64, "events": np.int64})
    return dataclasses.replace(prof, edge_waits=waits)


def test_bins_are_the_documented_human_bins_in_numpy_and_sql():
    assert WAIT_BOUNDS_S[:6] == (0, 60, 600, 3600, 14_400, 86_400) and N_BINS == 14
    waits = [0.0, 1e-6, 59.9, 60.0, 60.000001, 3600.0, 86_400.0, 365 * 86_400.0, 365 * 86_400.0 + 1, 1e12]
    assert wait_bins(waits).tolist() == [0, 1, 1, 1, 2, 3, 5, 12, 13, 13]
    import duckdb

    sql = ", ".join(wait_bin_sql(f"CAST({w!r} AS DOUBLE)") for w in waits)
    assert list(duckdb.sql(f"SELECT {sql}").fetchall()[0]) == wait_bins(waits).tolist()


def test_pandas_profile_counts_waits_per_edge_exactly(tmp_path):
    """Waits of 0 s, 60 s, 61 s, 2 h on a -> b; every engine gives the same table."""
    rows = []
    for i, gap in enumerate([0, 60, 61, 7200, 7200]):
        t0 = T0 + pd.Timedelta(days=i)
        rows += [("c%d" % i, "a", t0), ("c%d" % i, "b", t0 + pd.Timedelta(seconds=gap)),
                 ("c%d" % i, "c", t0 + pd.Timedelta(seconds=gap + 30))]
    df = pd.DataFrame(rows, columns=["case", "activity", "timestamp"])
    path = tmp_path / "u.csv"
    df.assign(timestamp=df["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(path, index=False)
    (prof,) = assemble_profiles(aggregate(path, engine="pandas"))["u"].values()
    got = prof.edge_waits
    assert got[["source", "target", "bin", "events"]].values.tolist() == [
        ["a", "b", 0, 1], ["a", "b", 1, 1], ["a", "b", 2, 1], ["a", "b", 4, 2], ["b", "c", 1, 5]]
    assert got.groupby(["source", "target"])["events"].sum().tolist() == prof.edges["events"].tolist()
    duck = assemble_profiles(aggregate(path, engine="duckdb"))["u"]["u"].edge_waits
    pd.testing.assert_frame_equal(got, duck, check_exact=True)


def test_identical_logs_give_no_edge_wait_difference():
    a, b = make_profiles({"A": [("abcde", 60, 1.0), ("abde", 40, 3.0)], "B": [("abcde", 60, 1.0), ("abde", 40, 3.0)]})
    df = compare_units(a, b)
    waits = df[df["kind"] == "edge_wait"]
    assert set(waits["item"]) == {"a → b", "b → c", "c → d", "b → d", "d → e"}
    assert not waits["significant"].any()
    assert np.allclose(waits["p_value"], 1.0) and np.allclose(waits["effect"], 0.0)


def test_delay_in_20_percent_of_cases_found_exactly_through_events():
    """B's cases take 5 h per step in 60 of 300 cases, A's always 1 h: every edge's waits differ, r = -0.2."""
    a, b = make_profiles({"A": [("abcde", 300, 1.0)], "B": [("abcde", 240, 1.0), ("abcde", 60, 5.0)]})
    df = compare_units(a, b).set_index(["kind", "item"])
    for edge in ("a → b", "b → c", "c → d", "d → e"):
        row = df.loc[("edge_wait", edge)]
        assert row["significant"] and row["effect"] == pytest.approx(-0.2)
        assert (row["a_cases"], row["b_cases"], row["a_value"], row["b_value"]) == (300, 300, 3600.0, 3600.0)
        assert row["statistic"] == pytest.approx(0.5 * 300 * 240)
    assert not df.loc[("edge", "a → b"), "significant"]


def test_false_positive_rate_at_most_nominal_over_many_seeds():
    rng = np.random.default_rng(20261204)
    alpha, runs = 0.05, 200
    any_significant, raw_rejections, raw_tests = 0, 0, 0
    for _ in range(runs):
        df = compare_units(_sampled(rng, "A", 300), _sampled(rng, "B", 300), alpha)
        w = df[df["kind"] == "edge_wait"]
        assert len(w) >= 5
        any_significant += bool(w["significant"].any())
        tested = w[w["testable"]]
        raw_rejections += int((tested["p_value"] <= alpha).sum())
        raw_tests += len(tested)
    assert any_significant / runs <= alpha
    # each test alone is nominal (600 runs with other seeds: 4.9% at 0.05); here within binomial noise of it
    assert raw_rejections <= binom.ppf(0.99, raw_tests, alpha)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_delay_on_one_edge_in_20_percent_of_cases_found_at_300_cases(seed):
    """B's a -> b waits (median 1.5 h) get one day added in 20% of its cases: found, and only there."""
    rng = np.random.default_rng(seed)
    a = _sampled(rng, "A", 300)
    b = _sampled(rng, "B", 300, delay_edge=("a", "b"), delay_share=0.2)
    df = compare_units(a, b)
    w = df[df["kind"] == "edge_wait"].set_index("item")
    assert w.loc["a → b", "significant"] and w.loc["a → b", "effect"] < -0.1
    assert not w.drop(index="a → b")["significant"].any()


def test_binned_mann_whitney_equals_the_weighted_one():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 6, (40, N_BINS)) * (rng.random((40, N_BINS)) < 0.5)
    b = rng.integers(0, 6, (40, N_BINS)) * (rng.random((40, N_BINS)) < 0.5)
    u, p, r = mann_whitney_binned(a, b)
    for i in range(40):
        ref = mann_whitney_weighted(np.arange(N_BINS), a[i], np.arange(N_BINS), b[i])
        np.testing.assert_allclose([u[i], p[i], r[i]], ref, rtol=1e-12, equal_nan=True)


def test_pooling_and_folding_sum_the_histograms():
    rng = np.random.default_rng(7)
    x, y = _sampled(rng, "X", 200), _sampled(rng, "Y", 100)
    pooled = pool([behaviour_of(x), behaviour_of(y)])
    for prof in (x, y):
        assert behaviour_of(prof).waits.to_numpy().sum() == prof.edges["events"].sum()
    total = pd.concat([x.edge_waits, y.edge_waits]).groupby(["source", "target", "bin"])["events"].sum()
    got = pooled.waits.stack()
    got = got[got > 0]
    assert {(s, t, b): n for (s, t), b, n in zip(got.index.get_level_values(0), got.index.get_level_values(1), got)} \
        == total.to_dict()
    assert pool([behaviour_of(x), dataclasses.replace(behaviour_of(y), waits=None)]).waits is None
    folded = fold_profile(x, 30)
    rare = x.edges[x.edges["cases"] < 30]
    assert len(rare)
    other = folded.edge_waits[(folded.edge_waits["source"] == OTHER) & (folded.edge_waits["target"] == OTHER)]
    assert other["events"].sum() == rare["events"].sum()
    assert folded.edge_waits["events"].sum() == x.edge_waits["events"].sum()


def test_portable_round_trip_and_older_files_without_waits(tmp_path):
    profs = {"P": {p.unit: p for p in make_profiles({"A": [("abcde", 40, 1.0), ("abde", 20, 3.0)],
                                                     "B": [("abcde", 30, 2.0), ("abde", 30, 1.0)]})}}
    path = write_profiles(profs, tmp_path / "x.profile.json", min_cases=1)
    back = load_profiles(path)
    for u in ("A", "B"):
        pd.testing.assert_frame_equal(back["P"][u].edge_waits, profs["P"][u].edge_waits, check_exact=True,
                                      check_dtype=False)
    doc = dump_profiles(profs, min_cases=1)
    for unit in doc["content"]["units"]:
        del unit["edge_waits"], unit["wait_bins_s"]
    doc["sha256"] = _digest(doc["content"])
    old = tmp_path / "old.profile.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    loaded = load_profiles(old)
    assert loaded["P"]["A"].edge_waits is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = process_tests(loaded["P"], loaded["P"]["A"], target_name="A")
    assert "edge_wait" not in set(df["kind"]) and {"edge", "throughput"} <= set(df["kind"])
    assert [r.code for r in records_of(caught)] == ["edge_waits_unknown"]
    # new profiles against the same target: tested
    assert "edge_wait" in set(process_tests(back["P"], back["P"]["A"], target_name="A")["kind"])


def test_profile_units_and_variants_only_profiles():
    (p,) = make_profiles({"A": [("abc", 3)]})
    assert p.edge_waits["events"].sum() == p.edges["events"].sum() == 6
    assert profile_from_variants("P", "V", {("a", "b"): 2}, first=T0, last=T0).edge_waits is None
    events = pd.DataFrame({"process": "P", "unit": "U", "case": ["1", "1"], "activity": ["a", "b"],
                           "timestamp": [T0, T0 + pd.Timedelta(hours=2)]})
    assert profile_units(events)["P"]["U"].edge_waits.values.tolist() == [["a", "b", 4, 1]]
