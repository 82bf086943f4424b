"""Common core and local deviations of a group of units.

:func:`common_core` finds what every unit of a group (a process family, or all
units of a process) does alike, the variants and directly-follows edges they
all use, and what each unit alone does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import OptionError
from ..profile import UnitProfile

__all__ = ["CommonCore", "common_core"]

_VARIANT_COLS = ["variant", "unit", "cases", "share"]
_EDGE_COLS = ["source", "target", "unit", "cases", "share"]


@dataclass(frozen=True)
class CommonCore:
    """What a group of units shares and what each does alone.

    ``share`` columns are shares of the unit's cases. An edge's ``cases`` is
    the number of the unit's cases that contain it (``profile.edges``).

    Attributes
    ----------
    units : tuple of str
        The group, sorted by name.
    variants : DataFrame
        Variants every unit uses, one row per (variant, unit): ``variant``,
        ``unit``, ``cases``, ``share``; variants by total cases descending,
        then variant; units by name.
    edges : DataFrame
        Directly-follows edges every unit uses: ``source``, ``target``,
        ``unit``, ``cases``, ``share``; by source, target, unit.
    local_variants : DataFrame
        Variants exactly one unit uses: ``unit``, ``variant``, ``cases``,
        ``share``; by unit, cases descending, variant. Empty for a group of
        one (a deviation needs something to deviate from).
    local_edges : DataFrame
        Edges exactly one unit uses: ``unit``, ``source``, ``target``,
        ``cases``, ``share``; by unit, cases descending, source, target.
        Empty for a group of one.
    coverage : DataFrame
        Per unit: ``unit``, ``cases``, ``core_cases`` and ``core_share``
        (cases following a common variant), ``local_cases`` and
        ``local_share`` (cases following a local variant).
    """

    units: tuple[str, ...]
    variants: pd.DataFrame
    edges: pd.DataFrame
    local_variants: pd.DataFrame
    local_edges: pd.DataFrame
    coverage: pd.DataFrame


def common_core(profiles: Sequence[UnitProfile]) -> CommonCore:
    """The variants and edges all units share, and each unit's own ones.

    Parameters
    ----------
    profiles : sequence of UnitProfile
        The group, units with distinct names (any order).

    Returns
    -------
    CommonCore

    Raises
    ------
    OptionError
        No profiles, or two with the same unit name.

    Examples
    --------
    Units a (ABC ×2, AC ×1) and b (ABC ×1, ABD ×1) share variant ABC and
    edges A→B, B→C; a alone has A→C and variant AC, b alone B→D and ABD.

    Notes
    -----
    O(V + E) over all units' variants V and edges E.
    """
    profiles = sorted(profiles, key=lambda p: p.unit)
    units = tuple(p.unit for p in profiles)
    if not profiles:
        raise OptionError("no units to compare")
    if len(set(units)) != len(units):
        raise OptionError("unit names must be distinct")
    single = len(profiles) == 1

    var = {p.unit: _counts(p.variants["variant"], p.variants["cases"]) for p in profiles}
    edg = {
        p.unit: _counts(zip(p.edges["source"], p.edges["target"]), p.edges["cases"])
        for p in profiles
    }
    total = {p.unit: int(p.variants["cases"].sum()) for p in profiles}

    core_v, local_v = _split(var, single)
    core_e, local_e = _split(edg, single)

    rank = {v: sum(var[u][v] for u in units) for v in core_v}
    v_rows = [
        (v, u, var[u][v], var[u][v] / total[u])
        for v in sorted(core_v, key=lambda v: (-rank[v], v))
        for u in units
    ]
    e_rows = [
        (s, t, u, edg[u][(s, t)], edg[u][(s, t)] / total[u])
        for s, t in sorted(core_e)
        for u in units
    ]
    lv_rows = [
        (u, v, var[u][v], var[u][v] / total[u])
        for u in units
        for v in sorted(local_v[u], key=lambda v: (-var[u][v], v))
    ]
    le_rows = [
        (u, s, t, edg[u][(s, t)], edg[u][(s, t)] / total[u])
        for u in units
        for s, t in sorted(local_e[u], key=lambda e: (-edg[u][e], e))
    ]
    cov_rows = []
    for u in units:
        cc = sum(var[u][v] for v in core_v)
        lc = sum(var[u][v] for v in local_v[u])
        n = total[u]
        cov_rows.append((u, n, cc, cc / n if n else 0.0, lc, lc / n if n else 0.0))
    return CommonCore(
        units=units,
        variants=_frame(v_rows, _VARIANT_COLS),
        edges=_frame(e_rows, _EDGE_COLS),
        local_variants=_frame(lv_rows, ["unit", "variant", "cases", "share"]),
        local_edges=_frame(le_rows, ["unit", "source", "target", "cases", "share"]),
        coverage=_frame(
            cov_rows, ["unit", "cases", "core_cases", "core_share", "local_cases", "local_share"]
        ),
    )


# ----------------------------------------------------------------- helpers


def _counts(keys, cases) -> dict:
    """key -> summed cases, keys with no cases dropped."""
    out: dict = {}
    for k, c in zip(keys, cases):
        if c > 0:
            out[k] = out.get(k, 0) + int(c)
    return out


def _split(by_unit: dict[str, dict], single: bool) -> tuple[set, dict[str, set]]:
    """Keys every unit has, and per unit the keys no other unit has."""
    seen = Counter(k for d in by_unit.values() for k in d)
    n = len(by_unit)
    core = {k for k, c in seen.items() if c == n}
    local = {u: set() if single else {k for k in d if seen[k] == 1} for u, d in by_unit.items()}
    return core, local


def _frame(rows: list[tuple], cols: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=cols)
    for c in ("cases", "core_cases", "local_cases"):
        if c in df:
            df[c] = df[c].astype("int64")
    for c in ("share", "core_share", "local_share"):
        if c in df:
            df[c] = df[c].astype(float)
    return df
