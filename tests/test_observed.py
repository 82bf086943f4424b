"""Backlogs against observed behaviour: transport, edit decomposition, evidence and ``auto``."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from pmhelpers import make_profile  # noqa: E402

from divergence.harmonise import evidence  # noqa: E402
from divergence.model import pm  # noqa: E402
from divergence.costs.pricing import load_cost_model, price_unit  # noqa: E402
from divergence.errors import OptionError  # noqa: E402
from divergence.harmonise.plan import harmonise, pooled_target, resolve_target  # noqa: E402
from divergence.harmonise.observed import pair_edits, transport_unit  # noqa: E402

COSTS = load_cost_model()
RES = {"A": ["ann"], "B": ["bob", "bea"], "C": ["cy"], "D": ["dee"], "E": ["eve"], "X": ["xi"]}


def price(profile, items, target):
    return price_unit(profile, items, COSTS)


def units(**spec):
    return {u: make_profile(v, unit=u, resources=RES) for u, v in spec.items()}


def plan(spec, target, **kw):
    profiles = units(**spec)
    models = {u: pm.discover_model(p) for u, p in profiles.items()}
    return harmonise(target, profiles, models, price=price, **kw)


def keys(items):
    return sorted((c.kind, c.activities, c.cases) for c in items)


# ------------------------------------------------------------ pair_edits


@pytest.mark.parametrize(
    "v, w, field, expected",
    [
        ("ACBD", "ABCD", "reorders", {("B", "C"): 1}),  # adjacent swap: named in the target's order
        ("ABBCD", "ABCD", "rework", {"B": 1}),
        ("ABD", "ABCD", "inserted", {"C": 1}),
        ("AXBCD", "ABCD", "deleted", {"X": 1}),
        ("BCDA", "ABCD", "reorders", {("A", "B"): 1}),  # A moved over three steps: the target does A before B
        ("ACBBD", "ABCD", "rework", {"B": 1}),  # a swap and a repeat in one case: both found
        ("ACBBD", "ABCD", "reorders", {("B", "C"): 1}),
        ("ABCD", "ABBCD", "repeated", {"B": 1}),  # the target repeats B: not an insertion of a new step
        ("ABCD", "ABCD", "reorders", {}),
    ],
)
def test_pair_edits_classify_each_edit(v, w, field, expected):
    assert getattr(pair_edits(tuple(v), tuple(w)), field) == expected


def test_pair_edits_neighbours_of_an_inserted_step():
    assert pair_edits(tuple("ABD"), tuple("ABCD")).neighbours == {"C": {"B", "D"}}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("ABCDE"), max_size=7), st.lists(st.sampled_from("ABCDE"), max_size=7))
def test_pair_edits_account_for_every_unmatched_step(v, w):
    """Deleted, inserted, moved, repeated and reworked executions add up to the indel distance."""
    from rapidfuzz.distance import Indel

    e = pair_edits(tuple(v), tuple(w))
    moved = 2 * sum(e.reorders.values())
    total = moved + sum(e.rework.values()) + sum(e.deleted.values()) + sum(e.inserted.values()) + sum(e.repeated.values())
    assert total == Indel.distance(tuple(v), tuple(w))


# ------------------------------------------------------------ transport


def test_target_maps_onto_itself_at_no_cost():
    p = make_profile([("A,B,C,D", 7), ("A,C,B,D", 3), ("A,B,D", 1)], unit="t")
    tr = transport_unit(p, p)
    assert tr.fitness == 1.0 and tr.exact
    assert tr.pairs["distance"].tolist() == [0, 0, 0]
    assert tr.pairs["cases"].tolist() == [7.0, 3.0, 1.0]


def test_case_mix_within_tolerance_is_not_moved():
    """The unit runs the target's two variants 50/50, the target 70/30: within twice the share."""
    t = make_profile([("A,B,C,D", 70), ("A,B,X,D", 30)], unit="t")
    u = make_profile([("A,B,C,D", 50), ("A,B,X,D", 50)], unit="u")
    tr = transport_unit(u, t)
    assert tr.fitness == 1.0 and tr.pairs["distance"].max() == 0


def test_a_target_exception_absorbs_only_its_capacity():
    """The target swaps B and C in 5% of cases; the unit always does: 10% may stay, 90% move."""
    t = make_profile([("A,B,C,D", 95), ("A,C,B,D", 5)], unit="t")
    u = make_profile([("A,C,B,D", 100)], unit="u")
    tr = transport_unit(u, t)
    moved = tr.pairs[tr.pairs["distance"] > 0]
    assert moved["cases"].sum() == pytest.approx(90.0)
    assert tr.fitness == pytest.approx(1 - 0.9 * 2 / 8)
    assert transport_unit(u, t, tolerance=1.0).pairs.query("distance > 0")["cases"].sum() == pytest.approx(95.0)


def test_greedy_above_the_cell_budget_is_flagged():
    t = make_profile([("A,B,C,D", 5)], unit="t")
    u = make_profile([("A,C,B,D", 2), ("A,B,D", 3)], unit="u")
    tr = transport_unit(u, t, max_cells=1)
    assert not tr.exact and tr.pairs["cases"].sum() == pytest.approx(5.0)
    with pytest.raises(OptionError, match="tolerance"):
        transport_unit(u, t, tolerance=0.5)


def _greedy_loop(supply, cap, cost):
    """The column-by-column reference of observed._greedy."""
    cap = cap.astype(float, copy=True)
    plan = np.zeros(cost.shape, dtype=float)
    for i in np.lexsort((np.arange(len(supply)), -supply)):
        need = float(supply[i])
        for j in np.lexsort((np.arange(cost.shape[1]), cost[i])):
            if need <= 1e-12:
                break
            m = min(need, cap[j])
            if m > 0:
                plan[i, j] += m
                cap[j] -= m
                need -= m
    return plan


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_greedy_plan_is_the_column_by_column_loop_to_the_last_bit(n, m, data):
    from divergence.harmonise.observed import _greedy

    supply = np.array(data.draw(st.lists(st.floats(0, 50), min_size=n, max_size=n)))
    cap = np.array(data.draw(st.lists(st.floats(0, 50), min_size=m, max_size=m)))
    cost = np.array(data.draw(st.lists(st.lists(st.integers(0, 4), min_size=m, max_size=m), min_size=n, max_size=n)),
                    dtype=np.int32)
    got = _greedy(supply, cap, cost)
    assert got.dtype == float  # fractional masses are kept, whatever the cost's dtype
    assert np.array_equal(got, _greedy_loop(supply, cap, cost))


# ------------------------------------------------------------ evidence


def test_fisher_binomial_and_bh_exact_values():
    r = evidence.Rate
    # hypergeometric by hand: (C(9,8)·C(11,2) + C(9,9)·C(11,1)) / C(20,10)
    assert evidence.fisher_one_sided(r(8, 10), r(1, 10), "higher") == pytest.approx(506 / 184756, rel=1e-9)
    assert evidence.fisher_one_sided(r(1, 10), r(8, 10), "lower") == pytest.approx(506 / 184756, rel=1e-9)
    assert evidence.fisher_one_sided(r(5, 10), r(5, 10), "higher") == pytest.approx(0.6718591, rel=1e-6)
    by_hand = sum(math.comb(100, k) * 0.05**k * 0.95 ** (100 - k) for k in range(10, 101))
    assert evidence.binomial_above(10, 100, 0.05) == pytest.approx(by_hand, rel=1e-9)
    assert evidence.bh_adjust([0.01, 0.04, 0.03]).tolist() == pytest.approx([0.03, 0.04, 0.04])


def test_case_indicators():
    ind = evidence.CaseIndicators([("A", "B", "B"), ("B", "A"), ("C",)], [3, 2, 5])
    assert ind.rate("add", ("A",)) == evidence.Rate(5, 10)
    assert ind.rate("rework", ("B",)) == evidence.Rate(3, 10)
    assert ind.rate("reorder", ("A", "B")) == evidence.Rate(2, 10)  # B before A
    assert ind.rate("drop", ("Z",)) == evidence.Rate(0, 10)


# ------------------------------------------------------------ harmonise onto a unit

STD = [("A,B,C,D,E", 60), ("A,C,B,D,E", 40)]


def test_every_planted_deviation_found_and_standard_units_free():
    h = plan(
        {
            "target": STD,
            "twin": [("A,B,C,D,E", 33), ("A,C,B,D,E", 27)],  # same process, other case mix
            "skips": [("A,B,C,E", 30), ("A,C,B,E", 20), ("A,B,C,D,E", 30), ("A,C,B,D,E", 20)],
            "repeats": [("A,B,C,D,D,E", 50), ("A,B,C,D,E", 50)],
            "extra": [("A,X,B,C,D,E", 80), ("A,B,C,D,E", 20)],
            "swaps": [("A,B,C,E,D", 60), ("A,B,C,D,E", 40)],
        },
        "target",
    )
    assert h.changes["target"] == [] and h.costs["target"].cost_gbp["central"] == 0.0
    assert h.changes["twin"] == [] and h.costs["twin"].cost_gbp["central"] == 0.0
    assert keys(h.changes["skips"]) == [("add", ("D",), 50)]
    assert keys(h.changes["repeats"]) == [("rework", ("D",), 50)]
    assert keys(h.changes["extra"]) == [("drop", ("X",), 80)]
    assert keys(h.changes["swaps"]) == [("reorder", ("D", "E"), 60)]
    for u in ("skips", "repeats", "extra", "swaps"):
        assert all(c.q_value <= 0.05 and "Fisher" in c.test for c in h.changes[u])
    assert h.fits["target"].fitness == 1.0 and h.fits["skips"].fitness < 1.0


def test_rework_is_found_next_to_a_swap_and_a_skip():
    h = plan(
        {
            "target": [("A,B,C,D,E", 100)],
            "mixed": [("A,C,B,C,E", 50), ("A,C,B,D,E", 50)],
        },
        "target",
    )
    found = {(c.kind, c.activities) for c in h.changes["mixed"]}
    assert {("reorder", ("B", "C")), ("rework", ("C",)), ("add", ("D",))} <= found


def test_a_step_the_target_mostly_does_is_never_dropped():
    """The target does X in 60% of cases, the unit in all: case mix, listed as an exception."""
    h = plan({"target": [("A,X,B", 60), ("A,B", 40)], "u": [("A,X,B", 100)]}, "target")
    assert [c for c in h.changes["u"] if c.kind == "drop"] == []
    assert all(c.kind != "drop" or "case mix" in c.note for c in h.exceptions["u"])


def test_small_or_unsupported_differences_are_exceptions():
    h = plan({"target": [("A,B,C", 100)], "u": [("A,B,C", 97), ("A,C", 3)]}, "target", min_share=0.05)
    assert h.changes["u"] == []
    (exc,) = h.exceptions["u"]
    assert (exc.kind, exc.activities, exc.cases) == ("add", ("B",), 3) and "under the 5% threshold" in exc.note
    h = plan({"target": [("A,B,C", 10), ("A,C", 1)], "u": [("A,B,C", 7), ("A,C", 3)]}, "target", min_share=0.0)
    assert h.changes["u"] == [] and "not statistically supported" in h.exceptions["u"][0].note


# ------------------------------------------------------------ auto


def test_auto_prices_candidates_as_the_result_and_quotes_its_figures():
    profiles = units(
        std1=STD, std2=[("A,B,C,D,E", 30), ("A,C,B,D,E", 20)],
        lean=[("A,B,C,E", 45)],  # skips D: cheapest to run, but not a standard to impose
        odd=[("A,X,B,C,D,E", 40)],
    )
    models = {u: pm.discover_model(p) for u, p in profiles.items()}
    h = harmonise("auto", profiles, models, price=price)
    assert h.target.name == "std1" and h.target.kind == "unit"
    one_off = sum(c.cost_gbp["central"] for c in h.costs.values())
    assert f"one-off £{one_off:,.0f}" in h.target.reason
    assert "candidates: lean, odd, pooled, std1, std2" in h.target.reason
    again = harmonise("std1", profiles, models, price=price)
    assert {u: c.cost_gbp for u, c in again.costs.items()} == {u: c.cost_gbp for u, c in h.costs.items()}


def test_auto_never_picks_a_unit_that_is_not_eligible():
    profiles = units(big=STD, small=[("A,B,C,D,E", 3)], other=[("A,X,B,C,D,E", 50)])
    models = {u: pm.discover_model(p) for u, p in profiles.items()}
    h = harmonise("auto", profiles, models, price=price, eligible=["big", "other"])
    assert h.target.name != "small" and "not candidates (too few cases): small" in h.target.reason


def test_pooled_target_is_the_majority_behaviour():
    profiles = units(a=[("A,B,C", 5)], b=[("A,B,C", 4), ("A,C", 1)], c=[("A,X,C", 6)])
    t = pooled_target(profiles)
    assert t.kind == "pooled" and t.profile.variants["variant"].tolist() == [("A", "B", "C")]
    assert int(t.profile.cases) == 9
    assert resolve_target("auto", profiles, {}) is None
    assert np.isnan(t.profile.edges["median_wait_s"]).all()
