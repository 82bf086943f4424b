"""Migration waves: which units move to the target first, which last.

:func:`plan_waves` orders units from those already running the target
process to those needing most change, and groups them into numbered waves.

The rule, in full:

1. ``readiness = fitness_to_target - cost_central / max(cost_central)``
   (cost share 0 when every cost is 0), so readiness lies in [-1, 1].
2. Wave 1 holds the units already on the standard: fitness at least
   ``ready_fitness`` (default 0.9) and cost at most ``ready_cost_share``
   (default 0.1) of the largest unit cost. Units qualify one by one.
3. The other units are grouped by family (a unit without a family is a group
   of its own), the groups ordered by mean readiness (highest first, ties by
   family name), and the ordered groups cut into consecutive waves of about
   equal unit counts. A family is never split across these waves, so there
   may be fewer waves than asked for when there are few families.
4. Within a wave, units are listed by readiness (highest first), then name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError

__all__ = ["plan_waves", "plan_for", "WAVE_COLUMNS"]

#: Columns of :func:`plan_waves`' result, in order.
WAVE_COLUMNS = ("unit", "wave", "readiness", "reason")

_REQUIRED = ("unit", "fitness_to_target", "cost_central", "family")
_MAX_AUTO_WAVES = 3  # after wave 1
_AUTO_WAVE_SIZE = 4  # units per wave that make another wave worth it


def plan_waves(
    units: pd.DataFrame,
    *,
    n_waves: int | str = "auto",
    ready_fitness: float = 0.9,
    ready_cost_share: float = 0.1,
) -> pd.DataFrame:
    """Plan the order in which units migrate to the target process.

    Parameters
    ----------
    units : DataFrame
        One row per unit with columns ``unit`` (unique names),
        ``fitness_to_target`` (in [0, 1]), ``cost_central`` (one-off cost,
        >= 0) and ``family`` (family id; missing means no family). Not
        modified.
    n_waves : int or "auto", default "auto"
        Number of waves in the plan, counting wave 1 if any unit is ready.
        ``"auto"``: wave 1 for ready units, then the rest in
        ceil(n / 4) waves, at most 3. With 1, every unit is in wave 1.
    ready_fitness : float, default 0.9
        Minimum fitness for wave 1.
    ready_cost_share : float, default 0.1
        Maximum cost, as a share of the largest unit cost, for wave 1.

    Returns
    -------
    DataFrame
        ``unit``, ``wave`` (int, from 1, no gaps), ``readiness`` (float),
        ``reason`` (a sentence for the report); sorted by wave, then
        readiness descending, then unit.

    Raises
    ------
    OptionError
        A required column is missing, a unit name repeats, a fitness is
        outside [0, 1] or missing, a cost is negative or missing, or
        ``n_waves`` is neither "auto" nor a positive integer.

    Examples
    --------
    >>> df = pd.DataFrame({"unit": ["a", "b", "c"], "fitness_to_target": [1.0, 0.6, 0.4],
    ...                    "cost_central": [0.0, 50.0, 100.0], "family": ["F1", "F2", "F2"]})
    >>> plan_waves(df)[["unit", "wave"]].to_dict("list")
    {'unit': ['a', 'b', 'c'], 'wave': [1, 2, 2]}
    """
    df = _validate(units, n_waves)
    if len(df) == 0:
        dtypes = (object, "int64", float, object)
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(WAVE_COLUMNS, dtypes)})

    fit = df["fitness_to_target"].to_numpy(dtype=float)
    cost = df["cost_central"].to_numpy(dtype=float)
    top = float(cost.max())
    share = cost / top if top > 0 else np.zeros_like(cost)
    df["readiness"] = np.round(fit - share, 9)  # no float noise in the ordering
    ready = (fit >= ready_fitness) & (share <= ready_cost_share)
    first_wave = ready | (n_waves == 1)

    rest = df.loc[~first_wave].copy()
    rest["_group"] = [
        f"unit {u}" if _missing(f) else f"family {f}" for f, u in zip(rest["family"], rest["unit"])
    ]
    groups = (
        rest.groupby("_group", sort=True)
        .agg(readiness=("readiness", "mean"), size=("unit", "size"))
        .reset_index()
        .sort_values(["readiness", "_group"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
    if n_waves == "auto":
        k = min(_MAX_AUTO_WAVES, math.ceil(len(rest) / _AUTO_WAVE_SIZE))
    else:
        k = int(n_waves) - (1 if first_wave.any() else 0)
    k = max(1, min(k, len(groups)))
    first = 2 if first_wave.any() else 1
    wave_of_group = dict(zip(groups["_group"], (first + w for w in _cut(groups["size"].to_numpy(), k))))
    group_of_unit = dict(zip(rest["unit"], rest["_group"]))

    df["wave"] = [1 if f else wave_of_group[group_of_unit[u]] for u, f in zip(df["unit"], first_wave)]
    df["reason"] = [
        _reason(r, f, s, ok, df_family)
        for r, f, s, ok, df_family in zip(df["readiness"], fit, share, ready, df["family"])
    ]
    out = df.sort_values(["wave", "readiness", "unit"], ascending=[True, False, True], kind="stable")
    out = out[list(WAVE_COLUMNS)].reset_index(drop=True)
    return out.astype({"wave": "int64", "readiness": float})


# ---------------------------------------------------------------- helpers


def _validate(units: pd.DataFrame, n_waves: int | str) -> pd.DataFrame:
    is_int = isinstance(n_waves, (int, np.integer)) and not isinstance(n_waves, bool)
    if not (n_waves == "auto" or (is_int and n_waves >= 1)):
        raise OptionError(f"n_waves must be 'auto' or a positive integer, got {n_waves!r}")
    missing = [c for c in _REQUIRED if c not in units.columns]
    if missing:
        raise OptionError(f"units frame lacks column(s) {', '.join(missing)}; needs {', '.join(_REQUIRED)}")
    df = units[list(_REQUIRED)].copy()
    df["unit"] = df["unit"].astype(str)
    dup = df["unit"][df["unit"].duplicated()]
    if len(dup):
        raise OptionError(f"unit {dup.iloc[0]!r} appears more than once")
    fit = pd.to_numeric(df["fitness_to_target"], errors="coerce").astype(float)
    bad = fit.isna() | (fit < 0) | (fit > 1)
    if bad.any():
        raise OptionError(f"fitness_to_target of unit {df['unit'][bad].iloc[0]!r} must be in [0, 1]")
    cost = pd.to_numeric(df["cost_central"], errors="coerce").astype(float)
    bad = cost.isna() | (cost < 0) | ~np.isfinite(cost)
    if bad.any():
        raise OptionError(f"cost_central of unit {df['unit'][bad].iloc[0]!r} must be a number >= 0")
    df["fitness_to_target"] = fit
    df["cost_central"] = cost
    return df.reset_index(drop=True)


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _cut(sizes: np.ndarray, k: int) -> list[int]:
    """Wave index (0-based) of each ordered group: k consecutive runs of about equal total size."""
    m = len(sizes)
    if k <= 1:
        return [0] * m
    cum = np.cumsum(sizes)
    total = float(cum[-1])
    bounds = []  # last group index of each of the first k-1 waves
    prev = -1
    for j in range(1, k):
        lo, hi = prev + 1, m - (k - j) - 1  # leave a group for each later wave
        target = total * j / k
        best = min(range(lo, hi + 1), key=lambda i: (abs(cum[i] - target), i))
        bounds.append(best)
        prev = best
    out, w = [], 0
    for i in range(m):
        out.append(w)
        if w < len(bounds) and i == bounds[w]:
            w += 1
    return out


def _reason(readiness: float, fitness: float, share: float, ready: bool, family: object) -> str:
    facts = f"fitness {fitness:.2f}, cost {share:.0%} of the largest, readiness {readiness:.2f}"
    if ready:
        return f"already close to the target ({facts})"
    if _missing(family):
        return f"needs change ({facts}); no family"
    return f"needs change ({facts}); moves with family {family}"


def plan_for(grouped: Sequence[str], fitness: Mapping[str, float], cost_central: Mapping[str, float],
             family_of: Mapping[str, str]) -> pd.DataFrame:
    """:func:`plan_waves` for the units taking part (tiny units have no wave)."""
    return plan_waves(
        pd.DataFrame(
            {
                "unit": list(grouped),
                "fitness_to_target": [fitness[u] for u in grouped],
                "cost_central": [cost_central[u] for u in grouped],
                "family": [family_of[u] for u in grouped],
            }
        )
    )
