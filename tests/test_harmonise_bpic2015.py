"""Harmonisation on BPIC 2015 (five municipalities, one permit process): the target unit is free, moves are not drops.

Reads the real logs from ../shared/data once per module and prices every
unit against every unit's observed behaviour with the computation the CLI
uses (:func:`divergence.harmonise.plan.harmonise` with :func:`divergence.costs.pricer`).
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli, shared_data

from divergence.costs import pricing as costs
from divergence.harmonise import plan as harmonise
from divergence.io.read import read_logs
from divergence.profile import profile_units

pytestmark = pytest.mark.slow
UNITS = [f"BPIC15_{k}" for k in range(1, 6)]


@pytest.fixture(scope="module")
def bpic2015_profiles():
    events = read_logs(shared_data("bpic2015"))
    (units,) = profile_units(events).values()
    return units


@pytest.fixture(scope="module")
def plans(bpic2015_profiles):
    price = costs.pricer(bpic2015_profiles, costs.load_cost_model())
    return {u: harmonise.harmonise(u, bpic2015_profiles, {}, price=price) for u in UNITS}


@pytest.mark.parametrize("unit", UNITS)
def test_target_unit_has_no_change_item_and_costs_exactly_nothing(plans, unit):
    plan = plans[unit]
    assert plan.target.kind == "unit" and plan.target.name == unit
    assert plan.changes[unit] == []
    assert plan.exceptions[unit] == []
    assert plan.fits[unit].fitness == 1.0
    cost = plan.costs[unit]
    assert dict(cost.cost_gbp) == {"low": 0.0, "central": 0.0, "high": 0.0}
    assert dict(cost.effort_days) == {"low": 0.0, "central": 0.0, "high": 0.0}


def test_other_units_do_get_a_backlog(plans):
    for target, plan in plans.items():
        for unit in UNITS:
            if unit != target:
                assert plan.changes[unit], f"{unit} against {target} has no change item"


def test_no_drop_names_a_step_the_target_does_in_half_its_cases(plans, bpic2015_profiles):
    drops = 0
    for target, plan in plans.items():
        tp = bpic2015_profiles[target]
        share = dict(zip(tp.activities["activity"], tp.activities["cases"] / tp.cases))
        for unit in UNITS:
            for item in plan.changes[unit]:
                if item.kind == "drop":
                    drops += 1
                    assert share.get(item.activities[0], 0.0) < harmonise.DROP_MAX_TARGET_SHARE, (
                        f"{unit} -> {target}: drop {item.activities[0]} done in "
                        f"{share[item.activities[0]]:.0%} of the target's cases"
                    )
    assert drops > 0, "no drop at all: the test would pass vacuously"


def test_cli_target_unit_reports_zero_for_it(tmp_path):
    data = shared_data("bpic2015")
    out = tmp_path / "out"
    proc = run_cli("analyse", str(data), "--target", "BPIC15_3", "--no-graphs", "--quiet", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    (p,) = summary["processes"].values()
    h = p["harmonisation"]["BPIC15_3"]
    assert h["changes"] == []
    assert h["cost_gbp"] == {"low": 0.0, "central": 0.0, "high": 0.0}
