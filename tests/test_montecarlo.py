"""Monte Carlo of the cost model: reproduces price_unit exactly, seeded, ordered quantiles, tornado."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from divergence.costs.model import LEVELS, Range, load_cost_model
from divergence.costs.montecarlo import coefficients, evaluate, parameters, pert_draws, simulate, tornado
from divergence.costs.pricing import price_group, price_unit, step_effort
from test_costs import item, make_profile


@pytest.fixture
def unit_data():
    profiles = {
        "u1": make_profile("u1", {"a": 600.0, "b": 0.0, "c": 1200.0}),
        "u2": make_profile("u2", {"a": 300.0, "d": 900.0}),
        "u3": make_profile("u3", {"a": 300.0}),
    }
    changes = {
        "u1": [item("add", ("d",), 40, 40.0, 40, 3), item("drop", ("c",), 30, 30.0, 45, 2),
               item("rework", ("a",), 20, 25.0, 50, 4), item("reorder", ("a", "z"), 10, 10.0, 10, 1)],
        "u2": [item("move", ("q",), 5, 6.0, 5, 2), item("drop", ("d",), 60, 50.0, 60, 5)],
        "u3": [],
    }
    return profiles, changes, profiles["u2"]


def _priced(profiles, changes, target, model):
    effort = step_effort(profiles.values(), target)
    return {u: price_unit(profiles[u], changes[u], model, step_effort_s=effort) for u in profiles}


def _all_at(model, level):
    """The model with every parameter's three values set to its ``level`` value."""
    fields = {}
    for f in dataclasses.fields(model):
        v = getattr(model, f.name)
        if isinstance(v, Range):
            fields[f.name] = Range.of(v[level])
        elif f.name == "redesign_days":
            fields[f.name] = MappingProxyType({k: Range.of(r[level]) for k, r in v.items()})
    return dataclasses.replace(model, **fields)


def test_coefficients_reproduce_price_unit_at_every_level(unit_data):
    profiles, changes, target = unit_data
    model = load_cost_model()
    priced = _priced(profiles, changes, target, model)
    co = coefficients(profiles, changes, target, list(profiles))
    for lv in LEVELS:
        prm = {k: np.array([float(r[lv])]) for k, r in parameters(model).items()}
        out = evaluate(co, prm, model.hours_per_day)
        for i, u in enumerate(profiles):
            assert out["cost"][i, 0] == pytest.approx(priced[u].cost_gbp[lv], rel=1e-12, abs=1e-9)
            assert out["days"][i, 0] == pytest.approx(priced[u].effort_days[lv], rel=1e-12, abs=1e-9)
    prm = {k: np.array([float(r.central)]) for k, r in parameters(model).items()}
    effect = evaluate(co, prm, model.hours_per_day)["effect"][:, 0]
    assert effect == pytest.approx([priced[u].annual_effect_gbp.central for u in profiles], rel=1e-12, abs=1e-9)


def test_seeded_determinism(unit_data):
    profiles, changes, target = unit_data
    co = coefficients(profiles, changes, target, list(profiles))
    model = load_cost_model()
    a = simulate(co, model, families={"F1": ["u1", "u2"], "F2": ["u3"]}, draws=2000, seed=7)
    b = simulate(co, model, families={"F1": ["u1", "u2"], "F2": ["u3"]}, draws=2000, seed=7)
    c = simulate(co, model, families={"F1": ["u1", "u2"], "F2": ["u3"]}, draws=2000, seed=8)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table.equals(c.table)
    assert list(a.table["level"]) == ["unit"] * 3 + ["family"] * 2 + ["process"]


def test_quantiles_ordered_and_within_the_all_low_all_high_range(unit_data):
    profiles, changes, target = unit_data
    model = load_cost_model()
    co = coefficients(profiles, changes, target, list(profiles))
    sim = simulate(co, model, families={"F1": ["u1", "u2"]}, draws=10_000, seed=0)
    for m in ("cost_gbp", "effort_days", "annual_effect_gbp"):
        t = sim.table
        assert (t[f"{m}_p10"] <= t[f"{m}_p50"]).all() and (t[f"{m}_p50"] <= t[f"{m}_p90"]).all()
    pb = sim.table.dropna(subset=["payback_months_p90"])
    assert len(pb) and (pb["payback_months_p10"] <= pb["payback_months_p50"]).all()
    assert (pb["payback_months_p50"] <= pb["payback_months_p90"]).all()
    total = price_group(_priced(profiles, changes, target, model).values()).total_cost_gbp
    row = sim.row("process", "process")
    assert total.low < row["cost_gbp_p10"] < row["cost_gbp_p90"] < total.high
    assert sim.row("u3")["cost_gbp_p90"] == 0.0  # no change items, no cost


def test_all_central_parameters_give_exactly_the_central_price(unit_data):
    profiles, changes, target = unit_data
    model = _all_at(load_cost_model(), "central")
    priced = _priced(profiles, changes, target, model)
    co = coefficients(profiles, changes, target, list(profiles))
    sim = simulate(co, model, draws=500, seed=1)
    for u in profiles:
        r = sim.row(u)
        assert r["cost_gbp_p10"] == r["cost_gbp_p50"] == r["cost_gbp_p90"]
        assert r["cost_gbp_p50"] == pytest.approx(priced[u].cost_gbp.central, rel=1e-12, abs=1e-9)
        assert r["annual_effect_gbp_p50"] == pytest.approx(priced[u].annual_effect_gbp.central, rel=1e-12, abs=1e-9)
    assert (sim.tornado["swing_gbp"] == 0).all()


def test_p50_close_to_central_when_ranges_are_symmetric(unit_data):
    profiles, changes, target = unit_data
    base = load_cost_model()

    def sym(r: Range) -> Range:
        half = min(r.central - r.low, r.high - r.central)
        return Range(r.central - half, r.central, r.central + half)

    model = dataclasses.replace(
        base, **{f.name: sym(getattr(base, f.name)) for f in dataclasses.fields(base)
                 if isinstance(getattr(base, f.name), Range)},
        redesign_days=MappingProxyType({k: sym(r) for k, r in base.redesign_days.items()}),
    )
    co = coefficients(profiles, changes, target, list(profiles))
    sim = simulate(co, model, draws=10_000, seed=3)
    central = price_group(_priced(profiles, changes, target, model).values()).total_cost_gbp.central
    assert sim.row("process", "process")["cost_gbp_p50"] == pytest.approx(central, rel=0.02)


def test_pert_draws():
    rng = np.random.default_rng(0)
    x = pert_draws(Range(1.0, 2.0, 5.0), 100_000, rng)
    assert x.min() >= 1.0 and x.max() <= 5.0
    assert x.mean() == pytest.approx((1 + 4 * 2 + 5) / 6, rel=0.01)
    assert (pert_draws(Range.of(3.0), 5, rng) == 3.0).all()


def test_tornado_one_parameter_at_a_time(unit_data):
    profiles, changes, target = unit_data
    model = load_cost_model()
    co = coefficients(profiles, changes, target, list(profiles))
    t = tornado(co, model).set_index("parameter")
    central = price_group(_priced(profiles, changes, target, model).values()).total_cost_gbp.central
    assert np.allclose(t["central_cost_gbp"], central)
    day = t.loc["change_day_rate_gbp"]
    low = dataclasses.replace(model, change_day_rate_gbp=Range.of(model.change_day_rate_gbp.low))
    low = _all_at(low, "central")
    expect = price_group(_priced(profiles, changes, target, low).values()).total_cost_gbp.central
    assert day["cost_at_low_gbp"] == pytest.approx(expect)
    assert t.loc["reorder_saving_share", "swing_gbp"] == 0.0
    assert list(t["swing_gbp"]) == sorted(t["swing_gbp"], reverse=True)


def test_summary_and_tables_of_the_demo(demo_run):
    s = json.loads((demo_run / "summary.json").read_text(encoding="utf-8"))
    for p, pr in s["processes"].items():
        assert pr["total_cost_p10"] <= pr["total_cost_p50"] <= pr["total_cost_p90"]
        assert pr["cost_simulation"]["draws"] == 10_000
        for u, unit in pr["units"].items():
            assert unit["significant_differences"]["total"] >= 0
        tests = pd.read_csv(demo_run / p / "difference_tests.csv")
        assert {"unit", "kind", "item", "p_value", "q_value", "effect", "significant"} <= set(tests.columns)
        counts = tests[tests["significant"]].groupby("unit").size()
        for u, unit in pr["units"].items():
            assert unit["significant_differences"]["total"] == counts.get(u, 0)
        assert (demo_run / p / "graphs" / "cost_tornado.png").exists()
