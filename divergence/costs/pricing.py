"""Price a unit's harmonisation backlog in pounds and person-days, with ranges.

A :class:`CostModel` holds about ten planning parameters, each a
low / central / high :class:`Range`, read from a TOML file by
:func:`load_cost_model` (the packaged defaults are documented in
``docs/cost_model.md``). :func:`price_unit` turns one unit's change items
into a one-off cost, the effort in person-days, the yearly effect on running
cost and the payback time; :func:`price_group` adds units up for a family or
a process; :func:`total_cost` is the fast central total used to choose a
target automatically.

Every figure is computed three times, with all parameters at their low,
central and high values. Sign convention: ``annual_effect_gbp`` is positive
for a saving per year, negative for an added running cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..harmonise.changes import ChangeItem
from ..profile import UnitProfile
from .model import LEVELS, CostModel, Range, load_cost_model

__all__ = [
    "Range",
    "CostModel",
    "UnitCost",
    "GroupCost",
    "load_cost_model",
    "price_unit",
    "price_group",
    "total_cost",
    "step_effort",
    "pricer",
    "price_families",
    "LEVELS",
    "ITEM_COLUMNS",
]

#: Columns of :attr:`UnitCost.items`, in order.
ITEM_COLUMNS = (
    "kind",
    "activities",
    "cases",
    "share",
    "cases_per_year",
    "occurrences",
    "staff",
    "cost_gbp",
    "cost_low_gbp",
    "cost_high_gbp",
    "effort_days",
    "annual_effect_gbp",
    "p_value",
    "q_value",
    "evidence",
)

#: Separator of a change item's activities in :attr:`UnitCost.items`.
ACTIVITY_JOIN = " → "

@dataclass(frozen=True)
class UnitCost:
    """What harmonising one unit onto the target costs and saves.

    Attributes
    ----------
    unit : str
    cost_gbp : Range
        One-off cost (£): redesign and retraining of every change item plus
        the unit's migration overhead; exactly 0 without change items.
    effort_days : Range
        The same one-off work in person-days.
    annual_effect_gbp : Range
        Effect on running cost per year (£); positive = saving, negative =
        added cost. Ordered low <= central <= high.
    payback_months : Range
        One-off cost over the monthly saving; ``None`` where the running
        effect is not a saving (never pays back). ``low`` pairs the lowest
        cost with the highest saving, ``high`` the highest cost with the
        lowest saving.
    overhead_gbp : Range
        The migration overhead part of ``cost_gbp``.
    items : DataFrame
        One row per change item, columns :data:`ITEM_COLUMNS`, sorted by
        ``cost_gbp`` descending, then kind, then activities. Item costs
        exclude the migration overhead.
    """

    unit: str
    cost_gbp: Range
    effort_days: Range
    annual_effect_gbp: Range
    payback_months: Range
    overhead_gbp: Range
    items: pd.DataFrame


@dataclass(frozen=True)
class GroupCost:
    """Sum over units (a family or a process) of their :class:`UnitCost`.

    Attributes
    ----------
    units : tuple of str
        Sorted unit names.
    total_cost_gbp, effort_days, annual_effect_gbp : Range
        Sums of the units' ranges, level by level.
    payback_months : Range
        Computed from the summed cost and effect, as for a unit.
    table : DataFrame
        One row per unit: unit, cost_low_gbp, cost_gbp, cost_high_gbp,
        effort_days, annual_effect_gbp, payback_months (central values
        where not named otherwise); sorted by unit.
    items : DataFrame
        Every unit's items with a leading ``unit`` column, sorted by
        ``cost_gbp`` descending, then unit, kind, activities.
    """

    units: tuple[str, ...]
    total_cost_gbp: Range
    effort_days: Range
    annual_effect_gbp: Range
    payback_months: Range
    table: pd.DataFrame
    items: pd.DataFrame


def price_unit(
    profile: UnitProfile,
    changes: list[ChangeItem],
    model: CostModel,
    *,
    step_effort_s: Mapping[str, float] | None = None,
) -> UnitCost:
    """Price one unit's change items.

    Per change item, one-off cost = ``redesign_days[kind]`` ×
    ``change_day_rate_gbp`` + ``staff`` × ``retraining_hours_per_staff`` ×
    ``hourly_rate_gbp``; the unit adds ``migration_overhead_days`` ×
    ``change_day_rate_gbp`` once if it has at least one item. Effort in
    person-days counts the same work (retraining hours over
    ``hours_per_day``).

    Yearly running effect per item, with executions per year =
    ``cases_per_year`` × max(1, ``occurrences`` / ``cases``) and step effort
    in hours × ``hourly_rate_gbp``: drop saves the step's executions; rework
    saves ``rework_avoided_share`` of the repeated executions; add costs the
    new step's executions; reorder saves ``reorder_saving_share`` (default
    0) of both steps' executions.

    Parameters
    ----------
    profile : UnitProfile
        The unit's profile; its ``activities.median_service_s`` (when
        positive and finite) is the effort of a step.
    changes : list of ChangeItem
        The unit's backlog; empty for a unit already on the target.
    model : CostModel
    step_effort_s : Mapping[str, float], optional
        Effort per execution in seconds by activity, taking precedence over
        the profile (e.g. the target unit's times for steps this unit must
        add). Steps found in neither use ``default_step_minutes``.

    Returns
    -------
    UnitCost
    """
    effort_s = _observed_effort(profile)
    if step_effort_s:
        effort_s.update(
            {str(a): float(s) for a, s in step_effort_s.items() if math.isfinite(float(s)) and float(s) >= 0}
        )
    scenarios = {level: _scenario(model, level) for level in LEVELS}
    per_item = {level: [_price_item(c, prm, effort_s) for c in changes] for level, prm in scenarios.items()}
    overhead = {
        level: (prm.overhead_days * prm.day_rate, prm.overhead_days) if changes else (0.0, 0.0)
        for level, prm in scenarios.items()
    }
    cost = Range(*(sum(i[0] for i in per_item[lv]) + overhead[lv][0] for lv in LEVELS))
    days = Range(*(sum(i[1] for i in per_item[lv]) + overhead[lv][1] for lv in LEVELS))
    effect = Range(*sorted(sum(i[2] for i in per_item[lv]) for lv in LEVELS))
    items = _items_frame(changes, per_item)
    return UnitCost(
        unit=profile.unit,
        cost_gbp=cost,
        effort_days=days,
        annual_effect_gbp=effect,
        payback_months=_payback(cost, effect),
        overhead_gbp=Range(*(overhead[lv][0] for lv in LEVELS)),
        items=items,
    )


def price_group(unit_costs: Iterable[UnitCost]) -> GroupCost:
    """Add up the costs of several units (a family, a process).

    Parameters
    ----------
    unit_costs : iterable of UnitCost

    Returns
    -------
    GroupCost
        Level-by-level sums (all units at low parameters, at central, at
        high); payback from the sums. An empty iterable gives zeros.
    """
    costs = sorted(unit_costs, key=lambda u: u.unit)

    def total(attr: str) -> Range:
        return Range(*(float(sum(getattr(u, attr)[lv] for u in costs)) for lv in LEVELS))

    cost, days, effect = total("cost_gbp"), total("effort_days"), total("annual_effect_gbp")
    table = pd.DataFrame(
        {
            "unit": [u.unit for u in costs],
            "cost_low_gbp": [u.cost_gbp.low for u in costs],
            "cost_gbp": [u.cost_gbp.central for u in costs],
            "cost_high_gbp": [u.cost_gbp.high for u in costs],
            "effort_days": [u.effort_days.central for u in costs],
            "annual_effect_gbp": [u.annual_effect_gbp.central for u in costs],
            "payback_months": [u.payback_months.central for u in costs],
        }
    )
    table = table.astype({c: float for c in table.columns if c not in ("unit", "payback_months")})
    frames = [u.items.assign(unit=u.unit)[["unit", *ITEM_COLUMNS]] for u in costs if len(u.items)]
    if frames:
        items = pd.concat(frames, ignore_index=True)
        items = items.sort_values(
            ["cost_gbp", "unit", "kind", "activities"], ascending=[False, True, True, True], kind="stable"
        ).reset_index(drop=True)
    else:
        items = _items_frame([], {lv: [] for lv in LEVELS}).assign(unit=pd.Series(dtype=object))
        items = items[["unit", *ITEM_COLUMNS]]
    return GroupCost(
        units=tuple(u.unit for u in costs),
        total_cost_gbp=cost,
        effort_days=days,
        annual_effect_gbp=effect,
        payback_months=_payback(cost, effect),
        table=table,
        items=items,
    )


def total_cost(
    changes_by_unit: Mapping[str, list[ChangeItem]],
    profiles: Mapping[str, UnitProfile] | None,
    model: CostModel,
) -> float:
    """Central one-off cost (£) of harmonising every unit: a target's price.

    Equal to the sum of ``price_unit(...).cost_gbp.central`` but without
    building frames, so it is cheap enough to call once per candidate
    target.

    Parameters
    ----------
    changes_by_unit : Mapping[str, list of ChangeItem]
        Each unit's backlog against one candidate target.
    profiles : Mapping[str, UnitProfile] or None
        The units' profiles. The one-off cost does not depend on them in
        this model; they are accepted so callers need not change if it does.
    model : CostModel

    Returns
    -------
    float
    """
    prm = _scenario(model, "central")
    out = 0.0
    for changes in changes_by_unit.values():
        if changes:
            out += prm.overhead_days * prm.day_rate
            out += sum(_one_off(c, prm)[0] for c in changes)
    return float(out)


def step_effort(profiles: Iterable[UnitProfile], target: UnitProfile | None = None) -> dict[str, float]:
    """Observed median service time per activity (seconds), for steps a unit must add.

    The target's own times first (when the target is observed behaviour
    with start times), else the median over all units that log start times.
    Activities without an observed positive time are left out (they take
    ``default_step_minutes``).
    """
    frames = [p.activities[["activity", "median_service_s"]] for p in profiles]
    acts = pd.concat(frames) if frames else pd.DataFrame(columns=["activity", "median_service_s"])
    pooled = acts.dropna().groupby("activity")["median_service_s"].median().to_dict()
    if target is not None:
        own = target.activities.dropna(subset=["median_service_s"])
        pooled.update(dict(zip(own["activity"], own["median_service_s"])))
    return {str(k): float(v) for k, v in pooled.items() if v > 0}


# ---------------------------------------------------------------- helpers


class _Scenario(NamedTuple):
    hourly: float
    day_rate: float
    redesign: dict[str, float]
    retrain_h: float
    overhead_days: float
    step_s: float
    rework_share: float
    reorder_share: float
    hours_per_day: float


def _scenario(model: CostModel, level: str) -> _Scenario:
    return _Scenario(
        hourly=float(model.hourly_rate_gbp[level]),
        day_rate=float(model.change_day_rate_gbp[level]),
        redesign={k: float(r[level]) for k, r in model.redesign_days.items()},
        retrain_h=float(model.retraining_hours_per_staff[level]),
        overhead_days=float(model.migration_overhead_days[level]),
        step_s=float(model.default_step_minutes[level]) * 60.0,
        rework_share=float(model.rework_avoided_share[level]),
        reorder_share=float(model.reorder_saving_share[level]),
        hours_per_day=float(model.hours_per_day),
    )


def _one_off(item: ChangeItem, prm: _Scenario) -> tuple[float, float]:
    """(£, person-days) of redesigning one item and retraining its staff."""
    redesign = prm.redesign[item.kind]
    retrain_h = max(int(item.staff), 0) * prm.retrain_h
    return redesign * prm.day_rate + retrain_h * prm.hourly, redesign + retrain_h / prm.hours_per_day


def _price_item(item: ChangeItem, prm: _Scenario, effort_s: Mapping[str, float]) -> tuple[float, float, float]:
    """(one-off £, person-days, annual effect £) of one item in one scenario."""
    cost, days = _one_off(item, prm)
    ratio = item.occurrences / item.cases if item.cases > 0 else 1.0
    per_year = max(float(item.cases_per_year), 0.0) * max(1.0, ratio)
    hours = sum(effort_s.get(a, prm.step_s) for a in item.activities) / 3600.0
    sign = {
        "drop": 1.0,
        "rework": prm.rework_share,
        "add": -1.0,
        "reorder": prm.reorder_share,
        "move": prm.reorder_share,
    }[item.kind]
    return cost, days, sign * per_year * hours * prm.hourly


def _observed_effort(profile: UnitProfile) -> dict[str, float]:
    acts = profile.activities
    if "median_service_s" not in acts.columns or len(acts) == 0:
        return {}
    s = pd.to_numeric(acts["median_service_s"], errors="coerce").to_numpy(dtype=float)
    return {str(a): float(v) for a, v in zip(acts["activity"], s) if math.isfinite(v) and v > 0}


def _payback(cost: Range, effect: Range) -> Range:
    def months(c: float, saving: float) -> float | None:
        # below a millionth of a penny a year there is no saving to pay back
        return 12.0 * float(c) / saving if saving > 1e-6 else None

    return Range(
        months(cost.low, effect.high), months(cost.central, effect.central), months(cost.high, effect.low)
    )


def _items_frame(changes: list[ChangeItem], per_item: Mapping[str, list[tuple[float, float, float]]]) -> pd.DataFrame:
    """The priced items, by central cost (highest first), then kind and activities.

    Sorted in Python and built from plain arrays: the automatic target
    prices every unit against every candidate, so this runs hundreds of
    times a run (five times faster than building Series and sorting the
    frame, the same frame).
    """
    cost = [i[0] for i in per_item["central"]]
    acts = [ACTIVITY_JOIN.join(c.activities) for c in changes]
    order = sorted(range(len(changes)), key=lambda k: (-cost[k], changes[k].kind, acts[k]))
    ch = [changes[k] for k in order]
    lv = {name: [per_item[name][k] for k in order] for name in ("low", "central", "high")}

    def col(values: list, dtype) -> np.ndarray:
        return np.array(values, dtype=dtype) if values else np.zeros(0, dtype=dtype)

    return pd.DataFrame(
        {
            "kind": pd.Series([c.kind for c in ch], dtype=object),
            "activities": pd.Series([acts[k] for k in order], dtype=object),
            "cases": col([c.cases for c in ch], np.int64),
            "share": col([c.share for c in ch], float),
            "cases_per_year": col([c.cases_per_year for c in ch], float),
            "occurrences": col([c.occurrences for c in ch], np.int64),
            "staff": col([c.staff for c in ch], np.int64),
            "cost_gbp": col([i[0] for i in lv["central"]], float),
            "cost_low_gbp": col([i[0] for i in lv["low"]], float),
            "cost_high_gbp": col([i[0] for i in lv["high"]], float),
            "effort_days": col([i[1] for i in lv["central"]], float),
            "annual_effect_gbp": col([i[2] for i in lv["central"]], float),
            "p_value": col([c.p_value for c in ch], float),
            "q_value": col([c.q_value for c in ch], float),
            "evidence": pd.Series([c.test for c in ch], dtype=object),
        }
    )


def pricer(profiles: Mapping[str, UnitProfile], model: CostModel):
    """``price(profile, items, target) -> UnitCost`` for :func:`divergence.harmonise.harmonise`.

    The effort of a step a unit must add comes from the target's observed
    service times where it has them (:func:`step_effort`), computed once per
    target.
    """
    effort: dict[int, dict[str, float]] = {}

    def price(profile: UnitProfile, items: list[ChangeItem], target) -> UnitCost:
        key = id(target.profile)
        if key not in effort:
            effort[key] = step_effort(profiles.values(), target.profile)
        return price_unit(profile, items, model, step_effort_s=effort[key])

    return price


def price_families(unit_costs: Mapping[str, UnitCost], members: Mapping[str, Sequence[str]],
                   units: Sequence[str]) -> tuple[dict[str, GroupCost], GroupCost]:
    """Each family's cost and the process total (every unit, families or not)."""
    families = {f: price_group([unit_costs[u] for u in m]) for f, m in members.items()}
    return families, price_group([unit_costs[u] for u in units])
