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
