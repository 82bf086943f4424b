"""Which candidate targets ``auto`` prices: all, while the work fits its budget.

``auto`` prices every candidate exactly as the final result
(:func:`divergence.harmonise.plan.harmonise`), so its cost grows with the
units times the candidates times their variants. These rules keep that
bounded on large logs and say so when they cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import warn
from ..profile import UnitProfile

__all__ = ["AUTO_MAX_UNIT_CANDIDATES", "AUTO_MAX_CELLS", "unit_candidates", "within_budget"]

#: ``auto`` tries every eligible unit up to this many; beyond, the family
#: medoids and the largest units up to this many.
AUTO_MAX_UNIT_CANDIDATES = 8
#: Most transport cells (a unit's variants x a candidate's, summed over all
#: units and candidates) ``auto`` prices. Past it, candidates are taken in
#: order (family medoids, then the largest units, then the pooled
#: behaviour) while they fit, at least one, with an ``auto_candidates``
#: warning. The five BPIC 2015 municipalities need 37 million cells (all six
#: candidates priced); ten units of about 1,800 variants each (the
#: benchmark's 1.5M-event log) would need 300 million, about 80 s.
AUTO_MAX_CELLS = 40_000_000


def unit_candidates(ok: list[str], profiles: Mapping[str, UnitProfile], medoids: Sequence[str]) -> list[str]:
    """The eligible units ``ok`` when at most :data:`AUTO_MAX_UNIT_CANDIDATES`, else the medoids and the largest."""
    if len(ok) <= AUTO_MAX_UNIT_CANDIDATES:
        return sorted(ok)
    by_size = sorted(ok, key=lambda u: (-profiles[u].cases, u))
    chosen = [u for u in medoids if u in set(ok)]
    for u in by_size:
        if len(chosen) >= AUTO_MAX_UNIT_CANDIDATES:
            break
        if u not in chosen:
            chosen.append(u)
    return sorted(chosen)


def within_budget(cands: list, profiles: Mapping[str, UnitProfile], medoids: Sequence[str]) -> list[Target]:
    """The candidates ``auto`` can price within :data:`AUTO_MAX_CELLS`, in priority order (at least one)."""
    total = sum(len(p.variants) for p in profiles.values())
    cells = {id(t): len(t.profile.variants) * total for t in cands}
    if sum(cells.values()) <= AUTO_MAX_CELLS:
        return cands
    first = [u for u in medoids if u in profiles]
    order = sorted(cands, key=lambda t: (t.kind != "unit", t.name not in first,
                                         first.index(t.name) if t.name in first else 0,
                                         -profiles[t.name].cases if t.name in profiles else 0, t.name))
    kept: dict[int, object] = {}
    used = 0
    for t in order:
        if not kept or used + cells[id(t)] <= AUTO_MAX_CELLS:
            kept[id(t)] = t
            used += cells[id(t)]
    dropped = [t.name for t in cands if id(t) not in kept]
    warn("auto_candidates",
         f"automatic target: pricing every candidate needs {sum(cells.values()):,} transport cells, over the budget "
         f"of {AUTO_MAX_CELLS:,} (AUTO_MAX_CELLS); priced {', '.join(t.name for t in cands if id(t) in kept)} (family medoids, then "
         f"the largest units, then the pooled behaviour); not priced: {', '.join(dropped)}; name a target with "
         "--target to compare another", count=len(dropped))
    return [t for t in cands if id(t) in kept]
