"""aggregate_edits gives exactly what the loop over pair_edits gives."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from divergence.harmonise import observed
from divergence.harmonise.editbatch import aggregate_edits


def _loop(v_list, w_list, mass):
    """The reference: pair_edits pair by pair, as backlog.observed_items did."""
    cases: dict = defaultdict(float)
    occ: dict = defaultdict(float)
    neighbours: dict = defaultdict(set)
    for v, w, m in zip(v_list, w_list, mass):
        e = observed.pair_edits(v, w)
        for kind, table in (("reorder", e.reorders), ("rework", e.rework), ("del", e.deleted), ("ins", e.inserted)):
            for acts, k in table.items():
                key = (kind, acts if isinstance(acts, tuple) else (acts,))
                cases[key] += m
                occ[key] += m * k
        for x, nb in e.neighbours.items():
            neighbours[x] |= nb
    return dict(cases), dict(occ), dict(neighbours)


variant = st.lists(st.sampled_from("ABCDE"), min_size=0, max_size=7).map(tuple)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(variant, variant, st.integers(0, 9)), min_size=1, max_size=12))
def test_aggregate_edits_equals_the_pair_by_pair_loop(pairs):
    v_list = [p[0] for p in pairs]
    w_list = [p[1] for p in pairs]
    mass = [float(p[2]) for p in pairs]
    got = aggregate_edits(v_list, w_list, mass)
    want = _loop(v_list, w_list, mass)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert got[2] == want[2]


def test_a_swap_is_one_reorder_named_in_the_targets_order():
    cases, occ, nb = aggregate_edits([("A", "C", "B")], [("A", "B", "C")], [2.0])
    assert cases == {("reorder", ("B", "C")): 2.0}
    assert occ == {("reorder", ("B", "C")): 2.0}
    assert nb == {}


def test_an_inserted_step_names_its_matched_neighbours_in_the_target():
    cases, occ, nb = aggregate_edits([("A", "C")], [("A", "B", "C")], [3.0])
    assert cases == {("ins", ("B",)): 3.0}
    assert nb == {"B": {"A", "C"}}


def test_rework_and_deletion_are_told_apart_by_whether_the_target_does_the_step():
    cases, occ, _ = aggregate_edits([("A", "B", "B", "X", "C")], [("A", "B", "C")], [1.0])
    assert cases == {("rework", ("B",)): 1.0, ("del", ("X",)): 1.0}


def test_identical_pairs_and_no_pairs_give_nothing():
    assert aggregate_edits([("A", "B")], [("A", "B")], [5.0]) == ({}, {}, {})
    assert aggregate_edits([], [], np.zeros(0)) == ({}, {}, {})


def test_lengths_that_differ_are_refused():
    import pytest

    with pytest.raises(ValueError, match="differ in length"):
        aggregate_edits([("A",)], [], [1.0])
