"""Backlog against a model file: align a unit's variants to the model, classify the moves.

Used when the target is a model (BPMN, PNML, PTML), where alignments are the
right tool. :func:`align_unit` aligns every unique variant
(:func:`divergence.model.alignment.align_variants`); :func:`change_items` groups
the alignments' log and model moves into change items.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..model.alignment import Alignment, align_variants
from .changes import ChangeItem
from ..profile import UnitProfile

if TYPE_CHECKING:  # pragma: no cover
    from .plan import Target

__all__ = ["UnitAlignment", "align_unit", "change_items", "deviations", "staff_of"]


@dataclass(frozen=True)
class UnitAlignment:
    """A unit's variants aligned to the target.

    Attributes
    ----------
    unit, target : str
    fitness : float
        Case-weighted mean of the variants' alignment fitness, in [0, 1].
    alignments : tuple of Alignment
        One per variant, in the order of ``profile.variants``.
    cases : tuple of int
        Cases per variant, same order.
    exact : bool
        Whether every alignment is optimal (see :func:`divergence.model.alignment.align_variants`).
    alphabet : frozenset of str
        The target model's activities (a log move of one of them is a
        ``move``, of any other a ``drop``).
    method : str
        ``"alignment"``.
    """

    unit: str
    target: str
    fitness: float
    alignments: tuple[Alignment, ...]
    cases: tuple[int, ...]
    exact: bool
    alphabet: frozenset = field(default=frozenset())
    method: str = "alignment"


def align_unit(
    profile: UnitProfile, target: "Target", *, timeout_s: float = 2.0, method: str = "auto"
) -> UnitAlignment:
    """Align a unit's variants to the target.

    Parameters
    ----------
    profile : UnitProfile
    target : Target
    timeout_s : float, default 2.0
        Per-variant time bound of the optimal alignment (then fallbacks).
    method : {"auto", "dfg"}, default "auto"
        Alignment route, see :func:`divergence.model.alignment.align_variants`.

    Returns
    -------
    UnitAlignment
    """
    variants = [tuple(v) for v in profile.variants["variant"]]
    cases = tuple(int(c) for c in profile.variants["cases"])
    aligns = tuple(align_variants(variants, target.model, timeout_s=timeout_s, method=method))
    w = np.asarray(cases, dtype=float)
    fit = float(np.dot([a.fitness for a in aligns], w) / w.sum()) if w.sum() > 0 else 1.0
    return UnitAlignment(
        profile.unit, target.name, fit, aligns, cases, all(a.exact for a in aligns), frozenset(target.model.activities)
    )


def change_items(
    profile: UnitProfile, alignment: UnitAlignment, *, min_share: float = 0.0
) -> list[ChangeItem]:
    """Group a unit's deviations from the target into change items.

    Parameters
    ----------
    profile : UnitProfile
        The unit (cases, period, resources).
    alignment : UnitAlignment
        From :func:`align_unit`.
    min_share : float, default 0.0
        Items affecting a smaller share of the unit's cases are left out;
        by default every deviation is reported.

    Returns
    -------
    list of ChangeItem
        Sorted by cases descending, then kind and activities.

    Notes
    -----
    Each alignment's moves are classified by :func:`deviations`. ``cases``
    counts the cases whose variant shows the item; ``occurrences`` counts
    every occurrence. ``staff`` is the number of distinct resources doing the
    item's activities in this unit (for ``add``: the activities synchronised
    next to the missing step), at least 1.
    """
    total = max(profile.cases, 1)
    cases: Counter = Counter()
    occ: Counter = Counter()
    neighbours: dict[tuple, set[str]] = defaultdict(set)
    for ali, n in zip(alignment.alignments, alignment.cases):
        for key, (k, nb) in _summary(ali, alignment.alphabet).items():
            occ[key] += n * k
            cases[key] += n
            neighbours[key] |= nb
    staff = staff_of(profile)
    per_year = profile.cases_per_year
    items = []
    for key, c in cases.items():
        share = c / total
        if share < min_share:
            continue
        kind, acts = key
        who = neighbours[key] if kind == "add" else set(acts)
        n_staff = len(set().union(*(staff.get(a, set()) for a in who))) if who else 0
        items.append(
            ChangeItem(kind, acts, int(c), float(share), float(per_year * share), int(occ[key]), max(1, n_staff))
        )
    items.sort(key=lambda it: (-it.cases, it.kind, it.activities))
    return items


def deviations(alignment: Alignment, alphabet: frozenset | None = None) -> list[tuple[tuple[str, tuple[str, ...]], tuple[str, ...]]]:
    """Classify an alignment's log and model moves into change kinds.

    Parameters
    ----------
    alignment : Alignment
    alphabet : frozenset of str, optional
        The target model's activities; by default every log move outside
        a reorder or rework is a ``drop``.

    Returns
    -------
    list of ((kind, activities), neighbours)
        One entry per deviation occurrence; ``neighbours`` are the
        synchronous activities next to the deviation (used for staff of
        ``add``).

    Notes
    -----
    1. A log move of X and a model move of X in the same trace (nearest
       pairs first) are one ``reorder``: X moved over the synchronous step
       Y next to where the target places X; activities are (X, Y) or (Y, X)
       in the target's order.
    2. A remaining log move of X is ``rework`` when X also occurs
       synchronously in the trace; else ``move`` when X is one of the
       model's activities (the target does X, at another place or in other
       cases: never a saving), else ``drop`` (a step the target does not do).
    3. A remaining visible model move of X is ``add``.
    """
    moves = _deviations(alignment.moves, alphabet or frozenset())
    return [(key, tuple(a for a in nb if a is not None)) for key, nb in moves]


#: _summary() per alignment: alignments are shared between units and candidates.
_SUMMARY: "weakref.WeakKeyDictionary[Alignment, dict]" = weakref.WeakKeyDictionary()


def _summary(alignment: Alignment, alphabet: frozenset) -> dict:
    """``{(kind, activities): (occurrences, neighbours)}`` of one alignment (cached).

    An alignment belongs to one model, so its alphabet is fixed.
    """
    out = _SUMMARY.get(alignment)
    if out is None:
        out = {}
        for key, nb in _deviations(alignment.moves, alphabet):
            hit = out.get(key)
            if hit is None:
                out[key] = [1, set(nb)]
            else:
                hit[0] += 1
                hit[1].update(nb)
        for hit in out.values():
            hit[1].discard(None)
        _SUMMARY[alignment] = out
    return out


def _deviations(moves, alphabet: frozenset) -> list:
    """:func:`deviations` with ``None`` where no synchronous activity is next to a deviation."""
    kinds = [m.kind for m in moves]
    if "log" not in kinds and "model" not in kinds:
        return []
    acts = [m.activity for m in moves]
    # nearest synchronous activity before and after every position, in two passes
    n = len(moves)
    before: list[str | None] = [None] * n
    after: list[str | None] = [None] * n
    last = None
    for i in range(n):
        before[i] = last
        if kinds[i] == "sync":
            last = acts[i]
    last = None
    for i in range(n - 1, -1, -1):
        after[i] = last
        if kinds[i] == "sync":
            last = acts[i]
    logs = [i for i in range(n) if kinds[i] == "log"]
    models = [i for i in range(n) if kinds[i] == "model"]
    out = []
    used: set[int] = set()
    if logs and models:
        pairs = sorted((abs(i - j), i, j) for i in logs for j in models if acts[i] == acts[j])
        for _, i, j in pairs:
            if i in used or j in used:
                continue
            used.update((i, j))
            x = acts[i]
            # the synchronous step next to the model move, towards the log move first
            y = (before[j] or after[j] or x) if i < j else (after[j] or before[j] or x)
            out.append((("reorder", (x, y) if i > j else (y, x)), (y,)))
    synced = {acts[i] for i in range(n) if kinds[i] == "sync"}
    for i in logs:
        if i not in used:
            x = acts[i]
            kind = "rework" if x in synced else ("move" if x in alphabet else "drop")
            out.append(((kind, (x,)), (before[i], after[i])))
    for j in models:
        if j not in used:
            out.append((("add", (acts[j],)), (before[j], after[j])))
    return out


def staff_of(profile: UnitProfile) -> dict[str, set]:
    """Activity -> the set of resources doing it in this unit."""
    r = profile.resources
    out: dict[str, set] = defaultdict(set)
    for a, who in zip(r["activity"], r["resource"]):
        out[a].add(who)
    return out


