"""Tests of divergence.families.cluster: recovery, automatic rules, ids, medoids, stability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import dendrogram

from divergence.errors import OptionError
from divergence.families.cluster import Families, bootstrap_stability, find_families
from divergence.measures.compute import combine, compute_measures
from tinylogs import make_profiles


BASES = {
    "invoice": "ABCDEFG",
    "hiring": "PQRSTUV",
    "travel": "AKLMNOZ",
}




def family_logs(assignment, seed=0, cases=60):
    """Units following a base process with noise: skips and swaps in ~20 % of cases."""
    rng = np.random.default_rng(seed)
    spec = {}
    for unit, base in assignment.items():
        seq = BASES[base]
        variants = {}
        for _ in range(cases):
            s = list(seq)
            r = rng.random()
            if r < 0.1:
                del s[int(rng.integers(1, len(s) - 1))]
            elif r < 0.2:
                i = int(rng.integers(1, len(s) - 2))
                s[i], s[i + 1] = s[i + 1], s[i]
            key = "".join(s)
            variants[key] = variants.get(key, 0) + 1
        step = {"invoice": 1.0, "hiring": 24.0, "travel": 5.0}[base]
        spec[unit] = [(v, c, step) for v, c in sorted(variants.items())]
    return make_profiles(spec)


def distance(profiles):
    return combine(compute_measures(profiles, names=["language", "flow", "activities", "performance"]).matrices)


ASSIGN3 = {
    "north": "invoice",
    "south": "hiring",
    "east": "invoice",
    "west": "travel",
    "centre": "hiring",
    "coast": "travel",
}


def test_recovers_three_families():
    ps = family_logs(ASSIGN3)
    units = [p.unit for p in ps]
    fam = find_families(distance(ps), units)
    assert fam.rule == "silhouette"
    groups = sorted(sorted(m) for m in fam.members.values())
    assert groups == [["centre", "south"], ["coast", "west"], ["east", "north"]]
    # equal sizes: ids by alphabetically first member
    assert fam.members == {
        "F1": ("centre", "south"),
        "F2": ("coast", "west"),
        "F3": ("east", "north"),
    }
    assert fam.family_of("north") == "F3"
    assert fam.silhouette > 0.5
    assert fam.linkage.shape == (5, 4)
    assert sorted(fam.leaf_order) == sorted(units)
    assert 0 < fam.cut_height < fam.linkage[-1, 2]


def test_recovers_two_families_of_unequal_size():
    assign = {"a": "invoice", "b": "invoice", "c": "invoice", "d": "invoice", "e": "hiring", "f": "hiring"}
    ps = family_logs(assign, seed=3)
    fam = find_families(distance(ps), [p.unit for p in ps])
    assert fam.members == {"F1": ("a", "b", "c", "d"), "F2": ("e", "f")}
    assert fam.labels == ("F1", "F1", "F1", "F1", "F2", "F2")


def test_all_identical_is_one_family():
    d = np.zeros((4, 4))
    fam = find_families(d, ["d", "c", "b", "a"])
    assert fam.rule == "all similar"
    assert fam.members == {"F1": ("a", "b", "c", "d")}
    assert fam.medoids == {"F1": "a"}  # ties broken by name
    assert np.isnan(fam.silhouette)


def test_all_very_different_is_one_family_each():
    d = np.full((4, 4), 0.9)
    np.fill_diagonal(d, 0)
    d[0, 1] = d[1, 0] = 0.8
    fam = find_families(d, ["a", "b", "c", "d"])
    assert fam.rule == "all distinct"
    assert fam.n_families == 4
    assert fam.members == {"F1": ("a",), "F2": ("b",), "F3": ("c",), "F4": ("d",)}


def test_two_units():
    near = np.array([[0, 0.2], [0.2, 0]])
    far = np.array([[0, 0.6], [0.6, 0]])
    assert find_families(near, ["x", "y"]).n_families == 1
    assert find_families(far, ["x", "y"]).n_families == 2
    assert find_families(np.zeros((1, 1)), ["x"]).members == {"F1": ("x",)}


def _blocks():
    # a, b, c close; d, e close; groups 0.8 apart
    d = np.full((5, 5), 0.8)
    for grp in ([0, 1, 2], [3, 4]):
        for i in grp:
            for j in grp:
                d[i, j] = 0.1
    d[0, 1] = d[1, 0] = 0.05
    np.fill_diagonal(d, 0)
    return d


def test_given_number_and_medoid():
    d = _blocks()
    units = ["a", "b", "c", "d", "e"]
    fam = find_families(d, units, n_families=2)
    assert fam.rule == "given"
    assert fam.members == {"F1": ("a", "b", "c"), "F2": ("d", "e")}
    assert fam.medoids == {"F1": "a", "F2": "d"}  # a: 0.05 + 0.1 < c: 0.2
    one = find_families(d, units, n_families=1)
    assert one.members == {"F1": tuple(units)}
    five = find_families(d, units, n_families=5)
    assert five.n_families == 5
    t = fam.table()
    assert list(t.columns) == ["unit", "family", "medoid"]
    assert t["medoid"].sum() == 2


@pytest.mark.parametrize("bad", [0, 6, -1, "three", 2.5, True])
def test_bad_number_of_families(bad):
    with pytest.raises(OptionError):
        find_families(_blocks(), ["a", "b", "c", "d", "e"], n_families=bad)


def test_bad_matrix():
    with pytest.raises(OptionError):
        find_families(np.zeros((3, 3)), ["a", "b"])
    with pytest.raises(OptionError):
        find_families(np.zeros((2, 2)), ["a", "a"])


def test_order_of_units_does_not_matter_and_input_kept():
    d = _blocks()
    units = ["a", "b", "c", "d", "e"]
    perm = [4, 2, 0, 3, 1]
    copy = d.copy()
    f1 = find_families(d, units)
    f2 = find_families(d[np.ix_(perm, perm)], [units[i] for i in perm])
    assert f1.members == f2.members and f1.medoids == f2.medoids
    assert f2.labels == tuple(f1.family_of(units[i]) for i in perm)
    assert np.array_equal(d, copy)
    # the linkage indexes the caller's unit order: scipy draws the same leaves
    for f, names in ((f1, units), (f2, [units[i] for i in perm])):
        drawn = dendrogram(f.linkage, labels=names, no_plot=True)["ivl"]
        assert tuple(drawn) == f.leaf_order


def test_stability_well_separated_is_one_and_deterministic():
    ps = family_logs(ASSIGN3, seed=1)
    fam = find_families(distance(ps), [p.unit for p in ps])
    s1 = bootstrap_stability(ps, distance, fam, n=10, seed=5)
    s2 = bootstrap_stability(list(reversed(ps)), distance, fam, n=10, seed=5)
    assert s1 == s2
    assert s1 == {"F1": 1.0, "F2": 1.0, "F3": 1.0}


def _language(profiles):
    return compute_measures(profiles, names=["language"]).matrices["language"]


def _blurred():
    """Two nearly identical units and one a little apart, in two families, on the language measure."""
    ps = make_profiles(
        {
            "a": [("ABC", 10, 1.0), ("ACB", 10, 1.0)],
            "b": [("ABC", 9, 1.0), ("ACB", 11, 1.0)],
            "c": [("ABC", 11, 1.0), ("ACB", 9, 1.0)],
        }
    )
    return ps, _language, find_families(_language(ps), ["a", "b", "c"], n_families=2)


def test_stability_in_unit_interval_for_blurred_families():
    # the nearly identical pair is not a stable family
    ps, lang, fam = _blurred()
    s = bootstrap_stability(ps, lang, fam, n=20, seed=0)
    assert set(s) == set(fam.members)
    assert all(0.0 <= v <= 1.0 for v in s.values())
    assert min(s.values()) < 1.0
    assert s == bootstrap_stability(ps, lang, fam, n=20, seed=0)
    with pytest.raises(OptionError):
        bootstrap_stability(ps[:2], lang, fam)
    with pytest.raises(OptionError):
        bootstrap_stability(ps, lang, fam, n=0)


def test_stability_does_not_depend_on_the_number_of_workers(monkeypatch):
    ps, lang, fam = _blurred()
    monkeypatch.setenv("DIVERGENCE_WORKERS", "1")
    alone = bootstrap_stability(ps, lang, fam, n=16, seed=3)
    monkeypatch.setenv("DIVERGENCE_WORKERS", "2")
    assert bootstrap_stability(ps, lang, fam, n=16, seed=3) == alone
    assert min(alone.values()) < 1.0  # a blurred pair: the shares are not trivially all 1


def test_families_is_frozen():
    fam = find_families(np.zeros((2, 2)), ["a", "b"])
    assert isinstance(fam, Families)
    with pytest.raises(AttributeError):
        fam.rule = "x"


@pytest.mark.parametrize("bad", [np.zeros((2, 3)), np.zeros((3, 3)), np.array([[0.0, np.nan], [np.nan, 0.0]])])
def test_a_bad_matrix_raises_the_same_error_everywhere(bad):
    from divergence.errors import MatrixError
    from divergence.measures.compute import combine
    from divergence.render.charts import divergence_heatmap_scene

    units = ["a", "b"]
    with pytest.raises(MatrixError):
        find_families(bad, units)
    if bad.shape[0] != bad.shape[1]:  # combining and drawing take NaN; the shape is checked everywhere
        with pytest.raises(MatrixError):
            combine({"flow": bad})
    if bad.shape != (2, 2):
        with pytest.raises(MatrixError):
            divergence_heatmap_scene(bad, units, None, None, title="t", measure_name="m")


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 14), st.integers(0, 2**31 - 1))
def test_cutting_for_every_k_at_once_gives_each_single_cut(n, seed):
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import pdist

    from divergence.families.cluster import _cut, _cuts

    x = np.round(np.random.default_rng(seed).random((n, 2)), 1)  # rounded: tied merge heights
    z = linkage(pdist(x), "average")
    cuts = _cuts(z, n, range(1, n + 1))
    for k in range(1, n + 1):
        assert np.array_equal(cuts[k], _cut(z, n, k))
        assert len(set(cuts[k])) == k
