"""Tests of divergence.costs.pricing: the cost model file and the pricing rules."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergence.harmonise.changes import CHANGE_KINDS, ChangeItem
from divergence.costs.pricing import (
    ITEM_COLUMNS,
    LEVELS,
    CostModel,
    Range,
    load_cost_model,
    price_group,
    price_unit,
    total_cost,
)
from divergence.errors import OptionError
from divergence.profile import UnitProfile

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cost_model.md"

SIMPLE = """
hours_per_day = 8
hourly_rate_gbp = 40
change_day_rate_gbp = 300
retraining_hours_per_staff = 1
migration_overhead_days = 10
default_step_minutes = 6
rework_avoided_share = 0.5
reorder_saving_share = 0
[redesign_days]
add = 2
drop = 1
reorder = 1
rework = 2
"""


def make_profile(unit: str = "u1", service: dict[str, float] | None = None) -> UnitProfile:
    service = {"A": 120.0, "B": float("nan"), "C": 0.0} if service is None else service
    acts = pd.DataFrame(
        {
            "activity": list(service),
            "events": [10] * len(service),
            "cases": [10] * len(service),
            "resources": [1] * len(service),
            "median_service_s": list(service.values()),
        }
    )
    empty = pd.DataFrame()
    t = pd.Timestamp("2024-01-01", tz="UTC")
    return UnitProfile(
        process="p", unit=unit, cases=10, events=30, variants=empty, activities=acts, edges=empty,
        resources=empty, durations=empty, first=t, last=t + pd.Timedelta(days=365),
    )


def item(kind: str, acts: tuple[str, ...], cases: int, cpy: float, occ: int, staff: int) -> ChangeItem:
    return ChangeItem(kind, acts, cases, cases / 100, cpy, occ, staff)


DROP_B = item("drop", ("B",), 10, 100.0, 10, 2)
REWORK_A = item("rework", ("A",), 5, 50.0, 10, 1)
ADD_X = item("add", ("X",), 20, 200.0, 20, 3)


@pytest.fixture
def simple(tmp_path: Path) -> CostModel:
    f = tmp_path / "simple.toml"
    f.write_text(SIMPLE, encoding="utf-8")
    return load_cost_model(f)


def scaled(model: CostModel, factor: float) -> CostModel:
    def mul(r: Range) -> Range:
        return Range(r.low * factor, r.central * factor, r.high * factor)

    return dataclasses.replace(
        model, hourly_rate_gbp=mul(model.hourly_rate_gbp), change_day_rate_gbp=mul(model.change_day_rate_gbp)
    )


# ------------------------------------------------------------ loading


def test_defaults_load_and_are_ordered():
    m = load_cost_model()
    assert m.hours_per_day == 7.4
    assert m.hourly_rate_gbp == Range(26.0, 35.0, 45.0)
    assert set(m.redesign_days) == set(CHANGE_KINDS)
    table = m.table()
    assert (table["low"] <= table["central"]).all() and (table["central"] <= table["high"]).all()
    assert m.source == "packaged defaults"


def test_user_file_overrides_a_subset(tmp_path: Path):
    f = tmp_path / "mine.toml"
    f.write_text("hourly_rate_gbp = { low = 30, central = 40, high = 50 }\n[redesign_days]\nadd = 5\n")
    m = load_cost_model(str(f))
    d = load_cost_model()
    assert m.hourly_rate_gbp == Range(30.0, 40.0, 50.0)
    assert m.redesign_days["add"] == Range.of(5.0)
    assert m.redesign_days["drop"] == d.redesign_days["drop"]
    assert m.change_day_rate_gbp == d.change_day_rate_gbp
    assert "mine.toml" in m.source


@pytest.mark.parametrize(
    "text, key",
    [
        ("hourly_rate = 40", "hourly_rate"),
        ('hourly_rate_gbp = "forty"', "hourly_rate_gbp"),
        ("hourly_rate_gbp = true", "hourly_rate_gbp"),
        ("hourly_rate_gbp = -1", "hourly_rate_gbp"),
        ("hourly_rate_gbp = { low = 50, central = 40, high = 60 }", "hourly_rate_gbp"),
        ("hourly_rate_gbp = { central = 40 }", "hourly_rate_gbp"),
        ("hourly_rate_gbp = { low = 30, central = -40, high = 60 }", "hourly_rate_gbp.central"),
        ("rework_avoided_share = 1.5", "rework_avoided_share"),
        ("hours_per_day = 0", "hours_per_day"),
        ("hours_per_day = { low = 7, central = 7.4, high = 8 }", "hours_per_day"),
        ("redesign_days = 3", "redesign_days"),
        ("[redesign_days]\nremove = 3", "redesign_days.remove"),
        ("[redesign_days]\nadd = nan", "redesign_days.add"),
    ],
)
def test_bad_values_raise_option_error_naming_file_and_key(tmp_path: Path, text: str, key: str):
    f = tmp_path / "bad.toml"
    f.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(OptionError) as err:
        load_cost_model(f)
    msg = str(err.value)
    assert "bad.toml" in msg and key in msg and "\n" not in msg


def test_missing_and_malformed_files(tmp_path: Path):
    with pytest.raises(OptionError, match="not found"):
        load_cost_model(tmp_path / "absent.toml")
    f = tmp_path / "broken.toml"
    f.write_text("hourly_rate_gbp = = 3\n")
    with pytest.raises(OptionError, match="broken.toml: not valid TOML"):
        load_cost_model(f)


def test_every_parameter_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for name in load_cost_model().table()["parameter"]:
        assert f"`{name.split('.')[0]}`" in text, name


# ------------------------------------------------------------ exact values


def test_hand_computed_unit(simple: CostModel):
    u = price_unit(make_profile(), [DROP_B, REWORK_A, ADD_X], simple)
    # drop B: 1 d x 300 + 2 staff x 1 h x 40 = 380; B has no service time -> 6 min
    # rework A: 2 x 300 + 1 x 40 = 640; add X: 2 x 300 + 3 x 40 = 720
    # overhead 10 d x 300 = 3000
    assert u.cost_gbp == Range.of(4740.0)
    assert u.overhead_gbp == Range.of(3000.0)
    assert u.effort_days.central == pytest.approx(1.25 + 2.125 + 2.375 + 10)
    # drop: +100/yr x 0.1 h x 40 = 400; rework: 0.5 x 50 x (10/5) x 120 s x 40 = 66.67
    # add: -200/yr x 0.1 h x 40 = -800
    assert u.annual_effect_gbp.central == pytest.approx(400 + 200 / 3 - 800)
    assert u.payback_months == Range(None, None, None)
    items = u.items
    assert tuple(items.columns) == ITEM_COLUMNS
    assert list(items["kind"]) == ["add", "rework", "drop"]
    assert list(items["cost_gbp"]) == [720.0, 640.0, 380.0]
    assert list(items["annual_effect_gbp"]) == pytest.approx([-800.0, 200 / 3, 400.0])
    assert items["cost_gbp"].sum() + u.overhead_gbp.central == u.cost_gbp.central


def test_payback_and_ranges(tmp_path: Path):
    f = tmp_path / "r.toml"
    f.write_text(SIMPLE.replace("hourly_rate_gbp = 40", "hourly_rate_gbp = { low = 20, central = 40, high = 80 }"))
    m = load_cost_model(f)
    u = price_unit(make_profile(), [DROP_B], m)
    assert u.cost_gbp == Range(3340.0, 3380.0, 3460.0)
    assert u.annual_effect_gbp == Range(200.0, 400.0, 800.0)
    assert u.payback_months.central == pytest.approx(3380 / (400 / 12))
    assert u.payback_months.low == pytest.approx(3340 / (800 / 12))
    assert u.payback_months.high == pytest.approx(3460 / (200 / 12))
    assert u.cost_gbp["central"] == 3380.0 and dict(u.cost_gbp)["high"] == 3460.0
    assert list(u.cost_gbp.items()) == [("low", 3340.0), ("central", 3380.0), ("high", 3460.0)]
    assert u.cost_gbp == Range(3340.0, 3380.0, 3460.0) and hash(u.cost_gbp) == hash(Range(3340.0, 3380.0, 3460.0))


def test_step_effort_overrides_profile_and_default(simple: CostModel):
    base = price_unit(make_profile(), [DROP_B], simple)
    more = price_unit(make_profile(), [DROP_B], simple, step_effort_s={"B": 720.0})
    assert base.annual_effect_gbp.central == pytest.approx(400.0)
    assert more.annual_effect_gbp.central == pytest.approx(800.0)
    zero_service = price_unit(make_profile(), [item("drop", ("C",), 10, 100.0, 10, 2)], simple)
    assert zero_service.annual_effect_gbp.central == pytest.approx(400.0)  # 0 s -> default


def test_reorder_has_no_running_effect_by_default(simple: CostModel, tmp_path: Path):
    reorder = item("reorder", ("A", "B"), 10, 100.0, 10, 2)
    assert price_unit(make_profile(), [reorder], simple).annual_effect_gbp == Range.of(0.0)
    f = tmp_path / "re.toml"
    f.write_text(SIMPLE.replace("reorder_saving_share = 0", "reorder_saving_share = 0.5"))
    u = price_unit(make_profile(), [reorder], load_cost_model(f))
    # 0.5 x 100/yr x (120 s + 360 s) / 3600 x 40
    assert u.annual_effect_gbp.central == pytest.approx(0.5 * 100 * 480 / 3600 * 40)
    assert u.items.loc[0, "activities"] == "A → B"


def test_group_and_total(simple: CostModel):
    a = price_unit(make_profile("a"), [DROP_B], simple)
    b = price_unit(make_profile("b"), [ADD_X, REWORK_A], simple)
    c = price_unit(make_profile("c"), [], simple)
    g = price_group([b, c, a])
    assert g.units == ("a", "b", "c")
    assert g.total_cost_gbp.central == a.cost_gbp.central + b.cost_gbp.central
    assert g.annual_effect_gbp.central == pytest.approx(a.annual_effect_gbp.central + b.annual_effect_gbp.central)
    assert list(g.table["unit"]) == ["a", "b", "c"]
    assert list(g.items["unit"]) == ["b", "b", "a"]
    assert len(g.items) == 3
    changes = {"a": [DROP_B], "b": [ADD_X, REWORK_A], "c": []}
    profiles = {u: make_profile(u) for u in changes}
    assert total_cost(changes, profiles, simple) == g.total_cost_gbp.central
    empty = price_group([])
    assert empty.total_cost_gbp == Range.of(0.0) and empty.items.empty and list(empty.items.columns)[0] == "unit"


def test_inputs_not_modified(simple: CostModel):
    p = make_profile()
    before = p.activities.copy()
    price_unit(p, [DROP_B], simple, step_effort_s={"B": 1.0})
    pd.testing.assert_frame_equal(p.activities, before)


# ------------------------------------------------------------ properties

items_st = st.builds(
    lambda kind, act, cases, extra, cpy_factor, staff: ChangeItem(
        kind,
        (act, "B") if kind == "reorder" else (act,),
        cases,
        min(cases / 50, 1.0),
        cases * cpy_factor,
        cases + extra,
        staff,
    ),
    st.sampled_from(sorted(CHANGE_KINDS)),
    st.sampled_from(["A", "B", "C", "X"]),
    st.integers(0, 50),
    st.integers(0, 20),
    st.floats(0, 12),
    st.integers(0, 30),
)


def _triple(lo: float, hi: float):
    return st.lists(st.floats(lo, hi), min_size=3, max_size=3).map(lambda v: Range(*sorted(v)))


DEFAULTS = load_cost_model()

models_st = st.builds(
    lambda hr, dr, rd, rt, ov, sm, rw, ro: dataclasses.replace(
        DEFAULTS,
        hourly_rate_gbp=hr,
        change_day_rate_gbp=dr,
        redesign_days=dict(zip(sorted(CHANGE_KINDS), rd)),
        retraining_hours_per_staff=rt,
        migration_overhead_days=ov,
        default_step_minutes=sm,
        rework_avoided_share=rw,
        reorder_saving_share=ro,
    ),
    _triple(1, 200),
    _triple(50, 2000),
    st.lists(_triple(0, 20), min_size=len(CHANGE_KINDS), max_size=len(CHANGE_KINDS)),
    _triple(0, 8),
    _triple(0, 60),
    _triple(0.5, 120),
    _triple(0, 1),
    _triple(0, 1),
)


def _ordered(r: Range) -> bool:
    v = [math.inf if x is None else x for x in (r.low, r.central, r.high)]
    return v[0] <= v[1] * (1 + 1e-12) + 1e-9 and v[1] <= v[2] * (1 + 1e-12) + 1e-9


@settings(max_examples=40, deadline=None)
@given(models_st)
def test_no_items_costs_zero(model: CostModel):
    u = price_unit(make_profile(), [], model)
    for r in (u.cost_gbp, u.effort_days, u.annual_effect_gbp, u.overhead_gbp):
        assert r == Range.of(0.0)
    assert u.payback_months == Range(None, None, None)
    assert u.items.empty and tuple(u.items.columns) == ITEM_COLUMNS


@settings(max_examples=40, deadline=None)
@given(models_st, st.lists(items_st, max_size=6), items_st)
def test_adding_an_item_never_lowers_cost(model: CostModel, changes: list[ChangeItem], extra: ChangeItem):
    before = price_unit(make_profile(), changes, model)
    after = price_unit(make_profile(), [*changes, extra], model)
    for lv in LEVELS:
        assert after.cost_gbp[lv] >= before.cost_gbp[lv] - 1e-9
        assert after.effort_days[lv] >= before.effort_days[lv] - 1e-9


@settings(max_examples=40, deadline=None)
@given(models_st, st.lists(items_st, max_size=6), st.sampled_from([0.5, 2.0, 3.0]))
def test_costs_scale_linearly_with_rates(model: CostModel, changes: list[ChangeItem], k: float):
    base = price_unit(make_profile(), changes, model)
    big = price_unit(make_profile(), changes, scaled(model, k))
    for lv in LEVELS:
        assert big.cost_gbp[lv] == pytest.approx(k * base.cost_gbp[lv], rel=1e-9, abs=1e-9)
        assert big.annual_effect_gbp[lv] == pytest.approx(k * base.annual_effect_gbp[lv], rel=1e-9, abs=1e-6)
        assert big.effort_days[lv] == pytest.approx(base.effort_days[lv], rel=1e-12)
    np.testing.assert_allclose(big.items["cost_gbp"].sort_values(), k * base.items["cost_gbp"].sort_values())


@settings(max_examples=50, deadline=None)
@given(models_st, st.lists(items_st, max_size=8))
def test_low_central_high_are_ordered(model: CostModel, changes: list[ChangeItem]):
    u = price_unit(make_profile(), changes, model)
    for r in (u.cost_gbp, u.effort_days, u.annual_effect_gbp, u.payback_months):
        assert _ordered(r), r
    assert (u.items["cost_low_gbp"] <= u.items["cost_gbp"] + 1e-9).all()
    assert (u.items["cost_gbp"] <= u.items["cost_high_gbp"] + 1e-9).all()
    assert list(u.items["cost_gbp"]) == sorted(u.items["cost_gbp"], reverse=True)
    g = price_group([u, price_unit(make_profile("v"), changes[:2], model)])
    for r in (g.total_cost_gbp, g.effort_days, g.annual_effect_gbp, g.payback_months):
        assert _ordered(r), r
    assert total_cost({"u": changes}, None, model) == pytest.approx(u.cost_gbp.central)
