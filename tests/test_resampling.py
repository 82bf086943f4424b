"""The bootstrap's count-vector distance equals the measures on the observed counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from divergence.measures import conformance, compute as measures
from divergence.model import pm
from divergence.profile import profile_units
from divergence.families.resampling import ResampledDistance


def _profiles():
    rows = []
    logs = {
        "a": [("ABCD", 5), ("ABD", 2), ("ACBD", 1)],
        "b": [("ABCD", 1), ("AXBCD", 4)],
        "c": [("ABBCD", 3), ("ABCD", 3), ("AD", 1)],
    }
    for unit, variants in logs.items():
        n = 0
        for seq, count in variants:
            for _ in range(count):
                n += 1
                for k, act in enumerate(seq):
                    rows.append((unit, f"{unit}{n}", act, pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(hours=k * n)))
    frame = pd.DataFrame(rows, columns=["unit", "case", "activity", "timestamp"])
    frame["process"] = "p"
    frame["resource"] = "r"
    return list(profile_units(frame)["p"].values())


def test_observed_counts_give_the_measures_exactly():
    ps = _profiles()
    models = [pm.discover_model(p) for p in ps]
    conf = conformance.conformance_matrix(ps, models)
    rd = ResampledDistance(ps, models, conf.methods, head=100)
    got = rd.matrices(ps)
    want = measures.compute_measures(ps).matrices
    for name in ("flow", "activities", "performance", "language"):
        assert np.allclose(got[name], want[name], atol=1e-12), name
    assert np.allclose(got["conformance"], np.asarray(conf), atol=1e-12)


def test_small_head_merges_the_tail_like_the_language_measure():
    ps = _profiles()
    rd = ResampledDistance(ps, head=1)
    import pytest

    from divergence.errors import DivergenceWarning

    with pytest.warns(DivergenceWarning, match="over the budget of 1"):
        want = measures.compute_measures(ps, names=["language"], max_cells=1)["language"]
    assert np.allclose(rd.matrices(ps)["language"], want, atol=1e-12)


def test_resampled_subset_of_variants_is_accepted():
    import dataclasses

    ps = _profiles()
    rd = ResampledDistance(ps)
    v = ps[0].variants.iloc[:1].copy()
    smaller = [dataclasses.replace(ps[0], variants=v), *ps[1:]]
    d = rd(smaller)
    assert d.shape == (3, 3) and np.all((d >= 0) & (d <= 1)) and np.allclose(d, d.T)


def test_bootstrap_from_count_vectors_equals_the_resampled_profiles_path():
    from divergence.families import cluster as families

    ps = _profiles()
    models = [pm.discover_model(p) for p in ps]
    conf = conformance.conformance_matrix(ps, models)
    rd = ResampledDistance(ps, models, conf.methods, head=2)
    fam = families.find_families(rd(ps), [p.unit for p in ps], n_families=2)
    fast = families.bootstrap_stability(ps, rd, fam, n=20, seed=7, workers=1)
    # a plain callable has no count-vector entry: resampled profiles go through rd()
    slow = families.bootstrap_stability(ps, lambda sample: rd(sample), fam, n=20, seed=7, workers=1)
    assert fast == slow
    assert 0.0 < min(fast.values()) < 1.0  # draws that change the answer: the paths are really compared


def test_observed_count_vectors_give_the_observed_matrices():
    ps = _profiles()
    rd = ResampledDistance(ps)
    counts = [p.variants["cases"].to_numpy(dtype=float) for p in ps]
    durations = [p.durations["cases"].to_numpy() for p in ps]
    got = rd.from_counts(counts, durations)
    want = rd.matrices(ps)
    for name in want:
        assert np.array_equal(got[name], want[name]), name
