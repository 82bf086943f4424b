"""The vectorised harmonisation helpers against their scalar references, bit for bit.

:func:`fisher_one_sided_many` against :func:`fisher_one_sided`,
:meth:`CaseIndicators.rates` against :meth:`CaseIndicators.rate`, the
vectorised indicator tables against a per-event loop, and
:func:`pair_edits` against the numpy-per-call version it replaced.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from divergence.harmonise import evidence
from divergence.harmonise.evidence import CaseIndicators, Rate, fisher_one_sided, fisher_one_sided_many
from divergence.harmonise.observed import PairEdits, pair_edits

ACTS = "ABCDE"
variant = st.lists(st.sampled_from(ACTS), min_size=0, max_size=9).map(tuple)


def reference_pair_edits(v, w) -> PairEdits:
    """The implementation before vectorisation (numpy cumulative sums of matched steps)."""
    v, w = tuple(v), tuple(w)
    out = PairEdits()
    if v == w:
        return out
    ops = Indel.editops(v, w)
    del_pos = [op.src_pos for op in ops if op.tag == "delete"]
    ins_pos = [op.dest_pos for op in ops if op.tag == "insert"]
    dset, iset = set(del_pos), set(ins_pos)
    mv = np.cumsum([0] + [p not in dset for p in range(len(v))])
    mw = np.cumsum([0] + [q not in iset for q in range(len(w))])
    matched_w = [w[q] for q in range(len(w)) if q not in iset]
    dels, inss = defaultdict(list), defaultdict(list)
    for p in del_pos:
        dels[v[p]].append(p)
    for q in ins_pos:
        inss[w[q]].append(q)
    reorders, rework, deleted, inserted, repeated = Counter(), Counter(), Counter(), Counter(), Counter()
    neighbours = defaultdict(set)
    for x in sorted(set(dels) | set(inss)):
        ds, qs = dels.get(x, []), inss.get(x, [])
        k = min(len(ds), len(qs))
        for p, q in zip(ds[:k], qs[:k]):
            a, b = int(mv[p]), int(mw[q])
            if a > b and b < len(matched_w):
                reorders[(x, matched_w[b])] += 1
            elif a < b and b > 0:
                reorders[(matched_w[b - 1], x)] += 1
            else:
                nb = w[q + 1] if q + 1 < len(w) else (w[q - 1] if q > 0 else x)
                reorders[(x, nb) if q + 1 < len(w) else (nb, x)] += 1
        extra, missing = len(ds) - k, len(qs) - k
        if extra:
            (rework if x in set(w) else deleted)[x] += extra
        if missing:
            if x in set(v):
                repeated[x] += missing
            else:
                inserted[x] += missing
                for q in qs[k:]:
                    b = int(mw[q])
                    if b > 0:
                        neighbours[x].add(matched_w[b - 1])
                    if b < len(matched_w):
                        neighbours[x].add(matched_w[b])
    return PairEdits(dict(reorders), dict(rework), dict(deleted), dict(inserted), dict(repeated), dict(neighbours))


def reference_tables(variants):
    """count / first / last position per (variant, activity), one event at a time."""
    names = sorted({a for v in variants for a in v})
    col = {a: k for k, a in enumerate(names)}
    n, m = len(variants), len(names)
    count = np.zeros((n, m), dtype=np.int32)
    first = np.full((n, m), np.iinfo(np.int32).max, dtype=np.int32)
    last = np.full((n, m), -1, dtype=np.int32)
    for i, v in enumerate(variants):
        for pos, a in enumerate(v):
            count[i, col[a]] += 1
            first[i, col[a]] = min(first[i, col[a]], pos)
            last[i, col[a]] = pos
    return count, first, last


def all_items(acts=ACTS + "Z"):
    items = [(kind, (a,)) for kind in ("add", "drop", "rework") for a in acts]
    return items + [("reorder", (a, b)) for a in acts for b in acts]


# ---------------------------------------------------------------- pair_edits


@pytest.mark.parametrize(
    "v, w",
    [(("A", "C", "B"), ("A", "B", "C")), (("A", "B", "B", "C"), ("A", "B", "C")), ((), ("A",)), (("A",), ()),
     (("B", "A"), ("A", "B")), (("A", "B", "C", "D"), ("D", "C", "B", "A")), (("A", "A"), ("B", "A", "A", "C"))],
)
def test_pair_edits_matches_the_reference_on_small_cases(v, w):
    assert pair_edits(v, w) == reference_pair_edits(v, w)


@settings(max_examples=400, deadline=None)
@given(variant, variant)
def test_pair_edits_matches_the_reference(v, w):
    assert pair_edits(v, w) == reference_pair_edits(v, w)


# ---------------------------------------------------------------- case indicators


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(variant, st.integers(1, 30)), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_indicator_tables_and_rates_match_the_scalar_reference(lang):
    variants = [v for v, _ in lang]
    ind = CaseIndicators(variants, [c for _, c in lang])
    count, first, last = reference_tables(variants)
    assert np.array_equal(ind._count, count)
    assert np.array_equal(ind._first, first)
    assert np.array_equal(ind._last, last)
    items = all_items()
    many = ind.rates([k for k, _ in items], [a for _, a in items])
    assert many.tolist() == [ind.rate(k, a).cases for k, a in items]
    # against the masks from the reference tables directly
    for (kind, acts), got in zip(items, many):
        cols = [sorted({a for v in variants for a in v}).index(a) if any(a in v for v in variants) else None
                for a in acts]
        ind_name = evidence.INDICATOR_OF[kind][0]
        if None in cols:
            want = 0
        elif ind_name == "does":
            want = int(ind.cases[count[:, cols[0]] > 0].sum())
        elif ind_name == "repeats":
            want = int(ind.cases[count[:, cols[0]] >= 2].sum())
        else:
            want = int(ind.cases[first[:, cols[1]] < last[:, cols[0]]].sum())
        assert got == want


def test_indicators_of_an_empty_language():
    ind = CaseIndicators([()], [3])
    assert ind.rates(["add", "reorder"], [("A",), ("A", "B")]).tolist() == [0, 0]
    assert ind.total == 3


# ---------------------------------------------------------------- Fisher


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400), st.integers(0, 400), st.integers(0, 400),
                          st.booleans()), min_size=1, max_size=20))
def test_fisher_many_equals_the_scalar_test_bit_for_bit(rows):
    ut = np.array([max(a, b) for a, b, *_ in rows])
    uc = np.array([min(a, b) for a, b, *_ in rows])
    tt = np.array([max(c, d) for _, _, c, d, _ in rows])
    tc = np.array([min(c, d) for _, _, c, d, _ in rows])
    higher = np.array([h for *_, h in rows])
    got = fisher_one_sided_many(uc, ut, tc, tt, higher)
    want = [fisher_one_sided(Rate(int(a), int(b)), Rate(int(c), int(d)), "higher" if h else "lower")
            for a, b, c, d, h in zip(uc, ut, tc, tt, higher)]
    np.testing.assert_array_equal(got, np.array(want))


def test_fisher_many_on_the_docstring_example():
    got = fisher_one_sided_many([8, 1], [10, 10], [1, 8], [10, 10], [True, False])
    assert got[0] == fisher_one_sided(Rate(8, 10), Rate(1, 10), "higher")
    assert got[1] == fisher_one_sided(Rate(1, 10), Rate(8, 10), "lower")


# ---------------------------------------------------------------- transports in forked workers


def _in_fresh_interpreter(check: str) -> None:
    """Run ``check`` of this module in a new interpreter: forking needs a process without threads,
    and earlier tests (Spark's gateway) leave threads in this one."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve()
    code = f"import sys; sys.path.insert(0, {str(here.parent)!r}); import {here.stem} as t; t.{check}()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          cwd=here.parents[1])
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_transport_many_forked_equals_one_at_a_time():
    _in_fresh_interpreter("_check_transport_many_forked_equals_one_at_a_time")


def test_auto_with_forked_workers_prices_exactly_as_serial():
    _in_fresh_interpreter("_check_auto_with_forked_workers_prices_exactly_as_serial")


def _check_transport_many_forked_equals_one_at_a_time():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from pmhelpers import make_profile

    from divergence import parallel
    from divergence.harmonise import batch, observed

    rng = np.random.default_rng(7)
    langs = []
    for u in range(3):
        vs = {tuple(rng.choice(list(ACTS), size=rng.integers(2, 7))) for _ in range(12)}
        langs.append(make_profile([(v, int(rng.integers(1, 5))) for v in sorted(vs)], unit=f"u{u}"))
    jobs = [(a, b) for a in langs for b in langs]
    serial = [observed.transport_unit(a, b) for a, b in jobs]
    # the six pairs of distinct units run both ways share one distance matrix each
    assert len(batch._mirrored(jobs)) == 6
    reused = batch.transport_many(jobs)  # in this process (small work)
    for s, f in zip(serial, reused):
        assert s.pairs.equals(f.pairs)
    batch.PARALLEL_MIN_CELLS = 0
    parallel.cores = lambda: 2
    assert parallel.can_fork()
    forked = batch.transport_many(jobs)
    for s, f in zip(serial, forked):
        assert (s.unit, s.target, s.fitness, s.exact) == (f.unit, f.target, f.fitness, f.exact)
        assert s.pairs.equals(f.pairs)


def _check_auto_with_forked_workers_prices_exactly_as_serial():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from pmhelpers import make_profile

    from divergence import parallel
    from divergence.costs.pricing import load_cost_model, price_unit
    from divergence.harmonise import batch, plan
    from divergence.harmonise.plan import harmonise

    costs = load_cost_model()
    res = {a: [a.lower() + "1", a.lower() + "2"] for a in ACTS}
    spec = {
        "u1": [("A,B,C,D", 20), ("A,C,B,D", 5), ("A,B,D", 3)],
        "u2": [("A,B,C,D", 8), ("A,B,B,C,D", 9), ("A,E,C,D", 4)],
        "u3": [("A,C,B,D", 12), ("A,B,C,D", 6), ("A,B,C,E,D", 5)],
    }
    profiles = {u: make_profile(v, unit=u, resources=res) for u, v in spec.items()}

    def price(profile, items, target):
        return price_unit(profile, items, costs)

    def run():
        h = harmonise("auto", profiles, {}, price=price)
        return (h.target.name, h.target.reason, h.adoption_cost, {u: f.pairs.to_csv() for u, f in h.fits.items()},
                h.changes, h.exceptions, {u: c.items.to_csv() for u, c in h.costs.items()})

    serial = run()
    batch.PARALLEL_MIN_CELLS = 0
    parallel.cores = lambda: 2
    assert parallel.can_fork()
    assert run() == serial  # transports forked, candidates priced here
    plan.PARALLEL_MIN_ITEMS = 0
    assert run() == serial  # both forked


def test_rates_stay_exact_with_case_counts_far_beyond_float32():
    big = [10**12 + 1, 10**12 + 3, 7]
    ind = CaseIndicators([("A", "B"), ("B", "A", "A"), ("B",)], big)
    got = ind.rates(["add", "rework", "reorder", "reorder"], [("A",), ("A",), ("A", "B"), ("B", "A")]).tolist()
    assert got == [ind.rate("add", ("A",)).cases, ind.rate("rework", ("A",)).cases,
                   ind.rate("reorder", ("A", "B")).cases, ind.rate("reorder", ("B", "A")).cases]
    assert got[0] == 2 * 10**12 + 4
