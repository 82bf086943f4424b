"""How sure is the cost? Monte Carlo over the cost model's parameters, and a tornado of their effects.

:func:`~divergence.costs.pricing.price_unit` gives a low / central / high
range by setting *every* parameter to its low (or high) value at once: a
bound that all the planning assumptions err the same way together, which is
unlikely. Here each parameter instead gets its own distribution, a
**Beta-PERT** with minimum = low, mode = central, maximum = high (shape 4:
mean = (low + 4 central + high) / 6); a parameter with low = high is that
number. Parameters are drawn **independently** of each other, and one draw
applies to every unit (the day rate is the same for all units in a draw), so
family and process totals keep the units' dependence. P10 / P50 / P90 of
the one-off cost, the annual effect and the payback follow per unit, family
and process.

The item formulas of ``price_unit`` are linear in a few parameters, so each
unit reduces to a handful of coefficients (items per kind, staff to
retrain, executions per year with observed or default step effort, by
kind), and all draws are evaluated at once with numpy.

:func:`tornado` sets one parameter at a time to its low and its high value,
the others central, and reports how far the process total moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..harmonise.changes import ChangeItem
from ..profile import UnitProfile
from .model import CostModel, Range
from .pricing import _observed_effort, step_effort

__all__ = ["Coefficients", "coefficients", "parameters", "pert_draws", "simulate", "tornado", "Simulation",
           "QUANTILES"]

#: The reported quantiles.
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
#: Change kinds priced by ``redesign_days``.
KINDS = ("add", "drop", "reorder", "move", "rework")
# kind -> group of the annual effect (its sign or share parameter)
_EFFECT_GROUPS = ("drop", "add", "rework", "reorder")
_GROUP_OF = {"drop": 0, "add": 1, "rework": 2, "reorder": 3, "move": 3}


@dataclass(frozen=True)
class Coefficients:
    """What each unit's cost depends on, one row per unit.

    ``items``: (U, kinds) change items per kind; ``staff``: staff members to
    retrain summed over items; ``has``: 1 where the unit has an item (pays
    the migration overhead); ``observed_h`` and ``default_steps``: (U, 4)
    per effect group (drop, add, rework, reorder/move), executions per year
    times observed step hours, and times the number of steps without an
    observed time (those take ``default_step_minutes``).
    """

    units: tuple[str, ...]
    items: np.ndarray
    staff: np.ndarray
    has: np.ndarray
    observed_h: np.ndarray
    default_steps: np.ndarray


def coefficients(profiles: Mapping[str, UnitProfile], changes: Mapping[str, Sequence[ChangeItem]],
                 target_profile: UnitProfile | None, units: Sequence[str]) -> Coefficients:
    """The coefficients of ``units``, with the step efforts :func:`~divergence.costs.pricing.pricer` uses."""
    pooled = step_effort(profiles.values(), target_profile)
    n = len(units)
    items = np.zeros((n, len(KINDS)))
    staff, has = np.zeros(n), np.zeros(n)
    obs, dflt = np.zeros((n, 4)), np.zeros((n, 4))
    for i, u in enumerate(units):
        effort = _observed_effort(profiles[u])
        effort.update(pooled)
        for c in changes.get(u, ()):
            items[i, KINDS.index(c.kind)] += 1
            staff[i] += max(int(c.staff), 0)
            ratio = c.occurrences / c.cases if c.cases > 0 else 1.0
            per_year = max(float(c.cases_per_year), 0.0) * max(1.0, ratio)
            g = _GROUP_OF[c.kind]
            obs[i, g] += per_year * sum(effort[a] for a in c.activities if a in effort) / 3600.0
            dflt[i, g] += per_year * sum(1 for a in c.activities if a not in effort)
        has[i] = 1.0 if changes.get(u) else 0.0
    return Coefficients(tuple(units), items, staff, has, obs, dflt)


def parameters(model: CostModel) -> dict[str, Range]:
    """Every uncertain parameter by name (``redesign_days.<kind>`` per kind)."""
    out = {"hourly_rate_gbp": model.hourly_rate_gbp, "change_day_rate_gbp": model.change_day_rate_gbp}
    out.update({f"redesign_days.{k}": model.redesign_days[k] for k in KINDS})
    for name in ("retraining_hours_per_staff", "migration_overhead_days", "default_step_minutes",
                 "rework_avoided_share", "reorder_saving_share"):
        out[name] = getattr(model, name)
    return out


def pert_draws(r: Range, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` Beta-PERT draws on [low, high] with mode central (shape 4); constant when low = high."""
    lo, mode, hi = float(r.low), float(r.central), float(r.high)
    if hi <= lo:
        return np.full(n, mode)
    a = 1.0 + 4.0 * (mode - lo) / (hi - lo)
    b = 1.0 + 4.0 * (hi - mode) / (hi - lo)
    return lo + (hi - lo) * rng.beta(a, b, n)


def evaluate(co: Coefficients, prm: Mapping[str, np.ndarray], hours_per_day: float) -> dict[str, np.ndarray]:
    """(U, D) one-off cost, effort days and annual effect for D parameter sets (arrays of length D)."""
    redesign = np.stack([prm[f"redesign_days.{k}"] for k in KINDS])  # (K, D)
    redesign_days = co.items @ redesign + co.has[:, None] * prm["migration_overhead_days"][None, :]
    retrain_h = co.staff[:, None] * prm["retraining_hours_per_staff"][None, :]
    cost = redesign_days * prm["change_day_rate_gbp"][None, :] + retrain_h * prm["hourly_rate_gbp"][None, :]
    days = redesign_days + retrain_h / hours_per_day
    d = len(prm["hourly_rate_gbp"])
    sign = np.stack([np.ones(d), -np.ones(d), prm["rework_avoided_share"], prm["reorder_saving_share"]])  # (4, D)
    step_h = prm["default_step_minutes"] / 60.0
    hours = co.observed_h @ sign + (co.default_steps @ sign) * step_h[None, :]
    effect = hours * prm["hourly_rate_gbp"][None, :]
    return {"cost": cost, "days": days, "effect": effect}


@dataclass(frozen=True)
class Simulation:
    """Monte Carlo quantiles of a process's harmonisation.

    ``table``: one row per unit, family (``family:<id>``) and ``process``:
    ``level`` (unit, family, process), ``name``, then for ``cost_gbp``,
    ``effort_days``, ``annual_effect_gbp`` and ``payback_months`` the
    columns ``_p10``, ``_p50``, ``_p90``, and ``pays_back_share`` (share of
    draws with a saving). Payback quantiles are NaN where that share of
    draws never pays back. ``tornado``: see :func:`tornado`.
    """

    draws: int
    seed: int
    distribution: str
    table: pd.DataFrame
    tornado: pd.DataFrame

    def row(self, name: str, level: str = "unit") -> dict | None:
        """The quantiles of one unit, family (``family:<id>``) or the process (``process``); None if absent."""
        t = self.table
        rows = t[(t["level"] == level) & (t["name"] == name)]
        return rows.iloc[0].to_dict() if len(rows) else None


def simulate(co: Coefficients, model: CostModel, *, families: Mapping[str, Sequence[str]] | None = None,
             draws: int = 10_000, seed: int = 0) -> Simulation:
    """Seeded, vectorised Monte Carlo of every unit, family and the process total (see the module doc)."""
    rng = np.random.default_rng(seed)
    prm = {name: pert_draws(r, draws, rng) for name, r in parameters(model).items()}
    out = evaluate(co, prm, model.hours_per_day)
    index = {u: i for i, u in enumerate(co.units)}
    groups = [("unit", u, [i]) for u, i in index.items()]
    groups += [("family", f"family:{f}", [index[u] for u in m if u in index]) for f, m in (families or {}).items()]
    groups.append(("process", "process", list(range(len(co.units)))))
    rows = []
    for level, name, idx in groups:
        cost, days, effect = (out[k][idx].sum(axis=0) for k in ("cost", "days", "effect"))
        saving = effect > 1e-6
        payback = np.where(saving, 12.0 * cost / np.where(saving, effect, 1.0), np.inf)
        row = {"level": level, "name": name}
        for label, x in (("cost_gbp", cost), ("effort_days", days), ("annual_effect_gbp", effect)):
            row.update({f"{label}_{k}": float(np.quantile(x, q)) for k, q in QUANTILES.items()})
        for k, q in QUANTILES.items():  # never paying back counts as the longest payback
            v = float(np.quantile(payback, q, method="inverted_cdf"))
            row[f"payback_months_{k}"] = v if np.isfinite(v) else float("nan")
        row["pays_back_share"] = float(saving.mean())
        rows.append(row)
    return Simulation(draws, seed, "Beta-PERT(low, central, high; shape 4), parameters independent",
                      pd.DataFrame(rows), tornado(co, model))


def tornado(co: Coefficients, model: CostModel) -> pd.DataFrame:
    """Each parameter at its low and its high value, the others central: the process totals.

    Returns
    -------
    DataFrame
        ``parameter``, ``low``, ``central``, ``high`` (the parameter's
        values), ``cost_at_low_gbp``, ``cost_at_high_gbp``,
        ``effect_at_low_gbp``, ``effect_at_high_gbp`` (process totals),
        ``central_cost_gbp``, ``swing_gbp`` (|cost at high - cost at low|);
        sorted by swing, largest first, then parameter.
    """
    ranges = parameters(model)
    names = list(ranges)
    n = 2 * len(names) + 1  # column 0: all central; then each parameter low, high
    prm = {k: np.full(n, float(r.central)) for k, r in ranges.items()}
    for j, k in enumerate(names):
        prm[k][1 + 2 * j] = float(ranges[k].low)
        prm[k][2 + 2 * j] = float(ranges[k].high)
    out = evaluate(co, prm, model.hours_per_day)
    cost, effect = out["cost"].sum(axis=0), out["effect"].sum(axis=0)
    df = pd.DataFrame({
        "parameter": names,
        "low": [float(ranges[k].low) for k in names],
        "central": [float(ranges[k].central) for k in names],
        "high": [float(ranges[k].high) for k in names],
        "cost_at_low_gbp": cost[1::2], "cost_at_high_gbp": cost[2::2],
        "effect_at_low_gbp": effect[1::2], "effect_at_high_gbp": effect[2::2],
        "central_cost_gbp": cost[0],
    })
    df["swing_gbp"] = (df["cost_at_high_gbp"] - df["cost_at_low_gbp"]).abs()
    return df.sort_values(["swing_gbp", "parameter"], ascending=[False, True], kind="stable").reset_index(drop=True)
