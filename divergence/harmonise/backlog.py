"""A unit's change backlog against an observed target, and the test that judges every item.

:func:`observed_items` turns the transport of a unit's variants onto the
target's (:mod:`.observed`) into candidate change items; :func:`judge` tests
each candidate against the target (:mod:`.evidence`), adjusts for the many
tests of a process, and splits the candidates into priced items and
exceptions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ..errors import OptionError
from ..profile import UnitProfile
from . import evidence
from .aligned import staff_of
from .changes import ChangeItem
from .editbatch import aggregate_edits
from .observed import UnitTransport

if TYPE_CHECKING:
    from .plan import Target

__all__ = ["observed_items", "judge", "case_indicators", "DROP_MAX_TARGET_SHARE"]

#: A step the target does in at least this share of its cases is never a
#: ``drop``: doing it in more cases than the target is case mix.
DROP_MAX_TARGET_SHARE = 0.5


def observed_items(
    profile: UnitProfile, transport: UnitTransport, target: UnitProfile
) -> list[ChangeItem]:
    """Candidate change items of a unit from its transport onto an observed target.

    Aggregates :func:`divergence.harmonise.observed.pair_edits` over the transported
    pairs, weighted by the cases moved (all pairs at once, by
    :func:`~divergence.harmonise.editbatch.aggregate_edits`): reorders and rework as they are;
    deletions and insertions netted per activity into ``drop`` (net excess)
    or ``add`` (net deficit). A net excess of a step the target does in at
    least :data:`DROP_MAX_TARGET_SHARE` of its cases is case mix, not a
    drop: it is returned with a ``note`` (an exception). Items are not yet
    judged (no p-values) nor filtered by share.
    """
    total = max(profile.cases, 1)
    pairs = transport.pairs
    moved = np.asarray(pairs["distance"]) != 0
    cases, occ, neighbours = aggregate_edits(
        list(pairs["unit_variant"][moved]), list(pairs["target_variant"][moved]),
        np.asarray(pairs["cases"], dtype=float)[moved],
    )
    t_share = dict(zip(target.activities["activity"], target.activities["cases"] / max(target.cases, 1)))
    staff = staff_of(profile)
    per_year = profile.cases_per_year
    out = []
    for (kind, acts), c in cases.items():
        o = occ[(kind, acts)]
        note = ""
        if kind in ("del", "ins"):
            other = cases.get(("ins" if kind == "del" else "del", acts), 0.0)
            net = c - other
            if net <= 1e-9:
                continue
            o, c = o * net / c, net
            kind = "drop" if kind == "del" else "add"
            share_t = t_share.get(acts[0], 0.0)
            if kind == "drop" and share_t >= DROP_MAX_TARGET_SHARE:
                note = (
                    f"the target does {acts[0]} in {share_t:.0%} of its cases: doing it in more cases "
                    "is case mix, not a step to drop"
                )
        who = neighbours.get(acts[0], set()) if kind == "add" else set(acts)
        n_staff = len(set().union(*(staff.get(a, set()) for a in who))) if who else 0
        share = c / total
        out.append(
            ChangeItem(kind, acts, int(round(c)), float(share), float(per_year * share), int(round(o)),
                       max(1, n_staff), note=note)
        )
    out.sort(key=lambda it: (-it.share, it.kind, it.activities))
    return out


def judge(
    candidates: Mapping[str, list[ChangeItem]],
    profiles: Mapping[str, UnitProfile],
    target: Target,
    *,
    min_share: float = 0.05,
    alpha: float = 0.05,
    indicators: dict | None = None,
) -> tuple[dict[str, list[ChangeItem]], dict[str, list[ChangeItem]]]:
    """Test every candidate item, adjust for many tests, split into priced items and exceptions.

    Against an observed target each item's case-level indicator is compared
    with a one-sided Fisher exact test; against a model target the item's
    share is tested to exceed ``min_share`` (exact binomial). q-values are
    Benjamini-Hochberg over all items of all units. An item is priced when
    it has no note, its share is at least ``min_share`` and q <= ``alpha``.

    ``indicators``: an optional cache of :class:`~divergence.harmonise.evidence.CaseIndicators`
    by profile (see :func:`case_indicators`), shared across calls on the same profiles.

    Returns
    -------
    (changes, exceptions) : dicts unit -> list of ChangeItem, each sorted
    by cases descending, then kind and activities.
    """
    if not 0.0 < alpha <= 1.0:
        raise OptionError(f"alpha must be in (0, 1], got {alpha!r}")
    flat: list[tuple[str, ChangeItem]] = [(u, it) for u in candidates for it in candidates[u]]
    p = np.ones(len(flat))
    tests = [""] * len(flat)
    if target.profile is not None:
        ind = indicators if indicators is not None else {}
        t_ind = case_indicators(target.profile, ind)
        tested = [k for k, (_, it) in enumerate(flat) if it.kind in evidence.INDICATOR_OF]
        kinds = [flat[k][1].kind for k in tested]
        acts = [flat[k][1].activities for k in tested]
        ru = np.zeros(len(tested), dtype=np.int64)
        ut = np.zeros(len(tested), dtype=np.int64)
        by_unit: dict[str, list[int]] = defaultdict(list)
        for n, k in enumerate(tested):
            by_unit[flat[k][0]].append(n)
        for u, at in by_unit.items():
            u_ind = case_indicators(profiles[u], ind)
            ru[at] = u_ind.rates([kinds[n] for n in at], [acts[n] for n in at])
            ut[at] = u_ind.total
        rt = t_ind.rates(kinds, acts)
        higher = np.array([evidence.INDICATOR_OF[kd][1] == "higher" for kd in kinds], dtype=bool)
        pv = evidence.fisher_one_sided_many(ru, ut, rt, np.full(len(tested), t_ind.total), higher)
        for n, k in enumerate(tested):
            p[k] = pv[n]
            a, b, c, d = int(ru[n]), int(ut[n]), int(rt[n]), t_ind.total
            tests[k] = (
                f"cases that {_indicator_words(kinds[n], acts[n])}: unit {_share(a, b):.1%} "
                f"({a}/{b}), target {_share(c, d):.1%} ({c}/{d}); "
                f"one-sided Fisher exact p={p[k]:.2g}"
            )
    else:
        for k, (u, it) in enumerate(flat):
            n = profiles[u].cases
            p[k] = evidence.binomial_above(it.cases, n, min_share)
            tests[k] = (
                f"{it.cases} of {n} cases ({it.share:.1%}) deviate; exact binomial test that the share "
                f"exceeds {min_share:.0%}: p={p[k]:.2g}"
            )
    q = evidence.bh_adjust(p)
    changes: dict[str, list[ChangeItem]] = {u: [] for u in candidates}
    exceptions: dict[str, list[ChangeItem]] = {u: [] for u in candidates}
    for k, (u, it) in enumerate(flat):
        note = it.note
        if not note and it.share < min_share:
            note = f"in {it.share:.1%} of the unit's cases, under the {min_share:.0%} threshold"
        if not note and q[k] > alpha:
            note = f"not statistically supported (q={q[k]:.2g} > {alpha:g})"
        # dataclasses.replace without its per-call field introspection (50,000 items on real logs)
        judged = ChangeItem(**{**it.__dict__, "p_value": float(p[k]), "q_value": float(q[k]), "test": tests[k],
                               "note": note})
        (exceptions if note else changes)[u].append(judged)
    for d in (changes, exceptions):
        for u in d:
            d[u].sort(key=lambda it: (-it.cases, -it.share, it.kind, it.activities))
    return changes, exceptions


def case_indicators(profile: UnitProfile, cache: dict) -> evidence.CaseIndicators:
    """The case indicators of a profile's variants, built once per profile object in ``cache``."""
    key = id(profile)
    hit = cache.get(key)
    if hit is None or hit[0] is not profile:  # the profile is kept to pin its id
        v = profile.variants
        hit = cache[key] = (profile, evidence.CaseIndicators(list(v["variant"]), v["cases"]))
    return hit[1]


def _share(cases: int, total: int) -> float:
    return cases / total if total else 0.0


def _indicator_words(kind: str, acts: tuple[str, ...]) -> str:
    if kind in ("add", "drop"):
        return f"do {acts[0]}"
    if kind == "rework":
        return f"do {acts[0]} more than once"
    return f"do {acts[1]} before {acts[0]}"
