"""``auto`` prices every candidate while the work fits its budget, then the most likely ones first."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from divergence.errors import DivergenceWarning
from divergence.harmonise import candidates
from divergence.harmonise.candidates import within_budget


def _unit(name, variants, cases):
    return SimpleNamespace(variants=[None] * variants, cases=cases, unit=name)


def _target(kind, name, variants):
    return SimpleNamespace(kind=kind, name=name, profile=SimpleNamespace(variants=[None] * variants))


PROFILES = {"a": _unit("a", 10, 50), "b": _unit("b", 20, 90), "c": _unit("c", 30, 70)}  # 60 variants in all
CANDS = [_target("unit", "a", 10), _target("unit", "b", 20), _target("unit", "c", 30), _target("pooled", "pooled", 5)]


def test_all_candidates_priced_when_the_work_fits(monkeypatch):
    monkeypatch.setattr(candidates, "AUTO_MAX_CELLS", 65 * 60)
    assert within_budget(CANDS, PROFILES, medoids=[]) == CANDS


def test_over_budget_medoids_then_largest_units_then_pooled_with_a_warning(monkeypatch):
    # cells: a 600, b 1200, c 1800, pooled 300 (60 variants in all)
    monkeypatch.setattr(candidates, "AUTO_MAX_CELLS", 2000)
    with pytest.warns(DivergenceWarning, match=r"priced a, b \(.*not priced: c, pooled"):
        kept = within_budget(CANDS, PROFILES, medoids=["a"])
    assert [t.name for t in kept] == ["a", "b"]  # a (medoid) 600 + b (most cases) 1200; c and pooled would pass 2000
    monkeypatch.setattr(candidates, "AUTO_MAX_CELLS", 2400)  # c still does not fit after a and b; pooled does
    with pytest.warns(DivergenceWarning, match="not priced: c;"):
        kept = within_budget(CANDS, PROFILES, medoids=["a"])
    assert [t.name for t in kept] == ["a", "b", "pooled"]


def test_at_least_one_candidate_however_small_the_budget(monkeypatch):
    monkeypatch.setattr(candidates, "AUTO_MAX_CELLS", 1)
    with pytest.warns(DivergenceWarning, match="auto_candidates|automatic target"):
        kept = within_budget(CANDS, PROFILES, medoids=[])
    assert [t.name for t in kept] == ["b"]  # no medoid: the unit with most cases


def test_auto_reports_progress_over_transports_then_candidates():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from pmhelpers import make_profile

    from divergence.costs.pricing import load_cost_model, price_unit
    from divergence.harmonise.plan import harmonise

    costs = load_cost_model()
    spec = {"u1": [("A,B,C", 6), ("A,C,B", 2)], "u2": [("A,B,C", 3), ("A,B,B,C", 4)], "u3": [("A,C,B", 5)]}
    profiles = {u: make_profile(v, unit=u) for u, v in spec.items()}
    calls = []
    harmonise("auto", profiles, {}, price=lambda p, items, t: price_unit(p, items, costs),
              progress=lambda done, total: calls.append((done, total)))
    totals = {t for _, t in calls}
    assert len(totals) == 1
    (steps,) = totals
    # every unit onto every candidate (3 units, plus the pooled behaviour when there is one), then each priced
    assert steps in (3 * 3 + 3, 3 * 4 + 4)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == steps and done[0] >= 1
