"""Tests of divergence.families.commonality: exact common cores and local deviations."""

from __future__ import annotations

import pytest

from divergence.families.commonality import CommonCore, common_core
from divergence.errors import OptionError
from tinylogs import make_profiles





def rows(df):
    return [tuple(r) for r in df.itertuples(index=False)]


def test_two_units_exact():
    a, b = make_profiles({"a": [("ABC", 2), ("AC", 1)], "b": [("ABC", 1), ("ABD", 1)]})
    core = common_core([b, a])
    assert isinstance(core, CommonCore)
    assert core.units == ("a", "b")
    assert list(core.variants.columns) == ["variant", "unit", "cases", "share"]
    assert rows(core.variants) == [
        (("A", "B", "C"), "a", 2, pytest.approx(2 / 3)),
        (("A", "B", "C"), "b", 1, 0.5),
    ]
    assert rows(core.edges) == [
        ("A", "B", "a", 2, pytest.approx(2 / 3)),
        ("A", "B", "b", 2, 1.0),
        ("B", "C", "a", 2, pytest.approx(2 / 3)),
        ("B", "C", "b", 1, 0.5),
    ]
    assert rows(core.local_variants) == [
        ("a", ("A", "C"), 1, pytest.approx(1 / 3)),
        ("b", ("A", "B", "D"), 1, 0.5),
    ]
    assert rows(core.local_edges) == [
        ("a", "A", "C", 1, pytest.approx(1 / 3)),
        ("b", "B", "D", 1, 0.5),
    ]
    assert rows(core.coverage) == [
        ("a", 3, 2, pytest.approx(2 / 3), 1, pytest.approx(1 / 3)),
        ("b", 2, 1, 0.5, 1, 0.5),
    ]
    assert core.variants["cases"].dtype == "int64"


def test_three_units_shared_by_two_is_neither_core_nor_local():
    ps = make_profiles(
        {
            "a": [("ABC", 2), ("AC", 1), ("ABE", 1)],
            "b": [("ABC", 1), ("ABD", 1), ("ABE", 2)],
            "c": [("ABC", 1), ("XY", 1)],
        }
    )
    core = common_core(ps)
    assert core.variants["variant"].unique().tolist() == [("A", "B", "C")]
    assert core.variants["cases"].tolist() == [2, 1, 1]
    assert sorted(set(zip(core.edges["source"], core.edges["target"]))) == [("A", "B"), ("B", "C")]
    assert rows(core.local_variants) == [
        ("a", ("A", "C"), 1, 0.25),
        ("b", ("A", "B", "D"), 1, 0.25),
        ("c", ("X", "Y"), 1, 0.5),
    ]
    assert rows(core.local_edges) == [
        ("a", "A", "C", 1, 0.25),
        ("b", "B", "D", 1, 0.25),
        ("c", "X", "Y", 1, 0.5),
    ]


def test_core_variants_ordered_by_total_cases():
    ps = make_profiles({"a": [("AB", 1), ("AC", 5)], "b": [("AB", 1), ("AC", 1)]})
    core = common_core(ps)
    assert core.variants["variant"].tolist() == [("A", "C"), ("A", "C"), ("A", "B"), ("A", "B")]
    assert core.local_variants.empty and core.local_edges.empty
    assert core.coverage["core_share"].tolist() == [1.0, 1.0]


def test_nothing_shared():
    ps = make_profiles({"a": [("AB", 1)], "b": [("CD", 2)]})
    core = common_core(ps)
    assert core.variants.empty and core.edges.empty
    assert list(core.variants.columns) == ["variant", "unit", "cases", "share"]
    assert rows(core.local_edges) == [("a", "A", "B", 1, 1.0), ("b", "C", "D", 2, 1.0)]
    assert core.coverage["core_cases"].tolist() == [0, 0]


def test_single_unit_has_everything_in_core_and_no_local():
    (a,) = make_profiles({"a": [("AB", 2), ("A", 1)]})
    core = common_core([a])
    assert rows(core.variants) == [(("A", "B"), "a", 2, pytest.approx(2 / 3)), (("A",), "a", 1, pytest.approx(1 / 3))]
    assert rows(core.edges) == [("A", "B", "a", 2, pytest.approx(2 / 3))]
    assert core.local_variants.empty and core.local_edges.empty


def test_bad_input():
    a, b = make_profiles({"a": [("AB", 1)], "b": [("AB", 1)]})
    with pytest.raises(OptionError):
        common_core([])
    with pytest.raises(OptionError):
        common_core([a, a])
