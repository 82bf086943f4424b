"""Difference maps: where a unit's behaviour differs most from the target's.

The target side is either observed behaviour (a :class:`UnitProfile`: the
target unit's, or the behaviour most units share) or a model's
directly-follows relation (a :class:`~divergence.render.graphs.TargetGraph`).
:func:`select_difference` compares both sides by share of cases doing each
activity and transition and keeps the strongest differences, within the same
bounds as a process map (60 activities, 150 transitions): on real logs with
hundreds of activities, drawing everything gave maps of tens of thousands of
points and most of the run time. :func:`difference_map` draws the selection
and says in its caption what was cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import OptionError
from ..privacy import OTHER
from ..profile import UnitProfile
from .graphs import (
    END, MAX_ACTIVITIES, MAX_EDGES, START, TargetGraph, _all_edges, _draw, _Edge, _memo, _Node, _terminal, _wrap,
)
from .scene import Scene
from .style import DIFF_COLOURS, EDGE, format_count, tint

__all__ = ["DifferenceSelection", "select_difference", "difference_map", "difference_map_scene"]

#: Colour of differences a test did not find significant.
NOT_SIGNIFICANT = "#AAAAAA"
#: A share difference below this (half a percentage point) is no difference.
MIN_DIFFERENCE = 0.005


@dataclass(frozen=True)
class DifferenceSelection:
    """What :func:`select_difference` keeps.

    ``activities``: ``activity``, ``unit_cases``, ``unit_share``,
    ``target_share``, ``difference``, ``where``; ``edges`` the same with
    ``source`` and ``target`` (edges from :data:`START` and to :data:`END`
    included), both ordered by strength of difference. ``where`` is
    ``common``, ``unit`` (only in the unit) or ``target`` (only in the
    target). ``difference`` is unit share minus target share; against a
    model (``observed`` False) the target's shares are unknown (NaN): an
    element in both sides counts 0, one only in the unit its share, one
    only in the model 1 (the unit never does it). ``total_*`` count both
    sides together.
    """

    activities: pd.DataFrame
    edges: pd.DataFrame
    total_activities: int
    total_edges: int
    observed: bool

    @property
    def has_differences(self) -> bool:
        """Whether anything differs: behaviour on one side only, or a share differing by :data:`MIN_DIFFERENCE`."""
        return self.strongest >= MIN_DIFFERENCE

    @property
    def strongest(self) -> float:
        """The largest absolute difference among the kept activities and edges (0 when none)."""
        d = pd.concat([self.activities["difference"], self.edges["difference"]], ignore_index=True).abs()
        return float(d.max()) if len(d) else 0.0


def select_difference(
    unit: UnitProfile,
    target: UnitProfile | TargetGraph,
    *,
    max_activities: int = 60,
    max_edges: int = 150,
) -> DifferenceSelection:
    """The activities and transitions whose share of cases differs most between ``unit`` and ``target``.

    Activities and transitions (from the start and to the end included) of
    both sides are ranked together by the absolute difference in the share
    of cases doing them; ties go to the more frequent, then activities
    before transitions, then by name. Taken in that order, an activity is
    kept while fewer than ``max_activities`` are; a transition is kept
    while fewer than ``max_edges`` are and its activities are kept or fit
    (so every kept transition is drawn between kept boxes). Last, the
    remaining transitions between kept activities fill any room left.
    Folded rare behaviour (``(other)``) is left out.
    """
    if not 1 <= max_activities <= MAX_ACTIVITIES:
        raise OptionError(f"max_activities must be between 1 and {MAX_ACTIVITIES}, got {max_activities!r}")
    if not 1 <= max_edges <= MAX_EDGES:
        raise OptionError(f"max_edges must be between 1 and {MAX_EDGES}, got {max_edges!r}")
    u_acts, u_edges, u_n = _shares(unit)
    observed = isinstance(target, UnitProfile)
    if observed:
        t_acts, t_edges, t_n = _shares(target)
    else:
        t_acts, t_edges, t_n = _model_sides(target)
    # plain Python over a few hundred rows: a frame per step cost ~0.1 s a map
    acts = _compare(u_acts, u_n, t_acts, t_n, observed)
    edges = _compare(u_edges, u_n, t_edges, t_n, observed)
    keep_a, keep_e = _walk(acts, edges, max_activities, max_edges)
    kept_acts = _frame([r for r in acts if r[0] in keep_a], ["activity"])
    kept_edges = _frame([r for r in edges if r[0] in keep_e], ["source", "target"])
    return DifferenceSelection(kept_acts, kept_edges, len(acts), len(edges), observed)


def _walk(acts: list, edges: list, max_activities: int, max_edges: int) -> tuple[set, set]:
    """Activity names and edge keys kept by :func:`select_difference`'s walk over both rankings (rows of :func:`_compare`)."""
    items = [(r[6], r[7], 0, (r[0],)) for r in acts]
    items += [(r[6], r[7], 1, r[0]) for r in edges]
    items.sort(key=lambda it: (-it[0], -it[1], it[2], it[3]))
    keep_a: set = set()
    keep_e: set = set()
    for _, _, kind, key in items:
        if kind == 0:
            if len(keep_a) < max_activities:
                keep_a.add(key[0])
            continue
        if len(keep_e) >= max_edges:
            continue
        new = {x for x in key if x not in (START, END) and x not in keep_a}
        if len(keep_a) + len(new) <= max_activities:
            keep_a |= new
            keep_e.add(key)
    for r in edges:  # strongest first
        if len(keep_e) >= max_edges:
            break
        u, v = r[0]
        if (u in keep_a or u == START) and (v in keep_a or v == END):
            keep_e.add((u, v))
    return keep_a, keep_e


def difference_map(
    unit_profile: UnitProfile,
    target: UnitProfile | TargetGraph,
    path_stem: str | Path,
    *,
    max_activities: int = 60,
    max_edges: int = 150,
    title: str | None = None,
    target_name: str = "the target",
    significant: Mapping[str, Mapping] | None = None,
    png: bool = True,
) -> list[Path]:
    """Draw where a unit differs from a target; writes ``.svg`` and (with ``png``) ``.png``.

    Returns
    -------
    list of Path
        The SVG and PNG written; empty when nothing differs (no map is
        drawn: it would carry no information).

    ``significant`` (with an observed target): ``{"activities": {name:
    effect}, "edges": {(source, target): effect}}``, the differences a test
    found significant (:meth:`~divergence.result.ProcessResult.difference_sets`);
    only those are coloured and labelled with their effect, the rest are grey.
    """
    sel = select_difference(unit_profile, target, max_activities=max_activities, max_edges=max_edges)
    if not sel.has_differences:
        return []
    return _scene(unit_profile, sel, title=title, target_name=target_name, significant=significant).write(
        path_stem, png=png
    )


def difference_map_scene(
    unit_profile: UnitProfile,
    target: UnitProfile | TargetGraph,
    *,
    max_activities: int = 60,
    max_edges: int = 150,
    title: str | None = None,
    target_name: str = "the target",
    significant: Mapping[str, Mapping] | None = None,
) -> Scene:
    """The drawing :func:`difference_map` writes (drawn even when nothing differs)."""
    sel = select_difference(unit_profile, target, max_activities=max_activities, max_edges=max_edges)
    return _scene(unit_profile, sel, title=title, target_name=target_name, significant=significant)


# ---------------------------------------------------------------- selection


def _shares(p: UnitProfile) -> tuple[dict, dict, int]:
    """Cases per activity and per transition (start and end included), and the profile's cases.

    Kept for the next call on the same profile (the target side of every
    difference map of a process); callers must not change the frames.
    """
    return _memo("shares", p, _shares_of)


def _shares_of(p: UnitProfile) -> tuple[dict, dict, int]:
    n = max(int(p.cases), 1)
    acts: dict = {}
    for a, c in zip(p.activities["activity"].tolist(), p.activities["cases"].tolist()):
        if a != OTHER:
            acts[str(a)] = int(c)
    e = _all_edges(p)
    edges: dict = {}
    for s, t, c in zip(e["source"].tolist(), e["target"].tolist(), e["cases"].tolist()):
        if s != OTHER and t != OTHER:
            edges[(s, t)] = edges.get((s, t), 0) + int(c)
    return acts, edges, n


def _model_sides(t: TargetGraph) -> tuple[set, set, None]:
    """A model's activities and transitions (their cases and shares are unknown)."""
    acts = {str(a) for a in t.activities} | {str(a) for a in t.start} | {str(a) for a in t.end}
    acts |= {str(a) for e in t.edges for a in e}
    edges = {(str(s), str(x)) for s, x in t.edges}
    edges |= {(START, str(a)) for a in t.start} | {(str(a), END) for a in t.end}
    return acts, edges, None


def _compare(u: dict, n_u: int, t, n_t: int | None, observed: bool) -> list[tuple]:
    """Both sides joined on their keys, strongest difference first.

    Rows ``(key, unit_cases, unit_share, target_share, difference, where,
    strength, freq)``; ``t`` is ``key -> cases`` when ``observed``, else a
    set of keys (a model: shares unknown, NaN).
    """
    nan = float("nan")
    rows = []
    for k in u.keys() | set(t):
        in_u, in_t = k in u, k in t
        uc = u[k] if in_u else 0
        us = uc / n_u if in_u else 0.0
        if observed:
            ts = t[k] / n_t if in_t else 0.0
            diff = us - ts
            freq = max(us, ts)
        else:
            ts = nan
            diff = us if in_u and not in_t else (-1.0 if in_t and not in_u else 0.0)
            freq = us
        where = "common" if in_u and in_t else ("unit" if in_u else "target")
        rows.append((k, uc, us, ts, diff, where, abs(diff), freq))
    rows.sort(key=lambda r: (-r[6], -r[7], r[0]))
    return rows


def _frame(rows: list, keys: list[str]) -> pd.DataFrame:
    """Rows of :func:`_compare` as the frame :class:`DifferenceSelection` holds."""
    cols = {k: [r[0][i] if len(keys) > 1 else r[0] for r in rows] for i, k in enumerate(keys)}
    for j, name in enumerate(["unit_cases", "unit_share", "target_share", "difference", "where"], start=1):
        cols[name] = [r[j] for r in rows]
    f = pd.DataFrame(cols)
    return f.astype({k: "str" for k in keys} | {"unit_cases": "int64", "unit_share": float, "target_share": float,
                                                   "difference": float, "where": "str"})


# ---------------------------------------------------------------- drawing


def _pct(x: float) -> str:
    if x != x:
        return "?"
    if 0 < x < 0.005:
        return "<1%"
    return f"{x:.0%}"


def _scene(unit: UnitProfile, sel: DifferenceSelection, *, title: str | None, target_name: str,
           significant: Mapping[str, Mapping] | None = None) -> Scene:
    nodes = {START: _terminal(START), END: _terminal(END)}
    tested = significant is not None and sel.observed
    sig_a = significant.get("activities", {}) if tested else {}
    sig_e = significant.get("edges", {}) if tested else {}
    for r in sel.activities.itertuples(index=False):
        colour = DIFF_COLOURS[r.where] if not tested or r.activity in sig_a else NOT_SIGNIFICANT
        if sel.observed:
            count = f"\n{_pct(r.unit_share)} vs {_pct(r.target_share)} of cases"
            if r.activity in sig_a:
                count += f" (Δ {100 * sig_a[r.activity]:+.0f} pts)"
        elif r.where == "target":
            count = "\n(target only)"
        else:
            count = f"\n{format_count(r.unit_cases)} cases"
        nodes[r.activity] = _Node(
            label=f"{_wrap(r.activity)}{count}",
            face=tint(colour, 0.18),
            edge=colour,
            dash=None if r.where != "target" else (3.0, 2.0),
            linewidth=1.6 if r.where != "common" else 1.0,
        )
    top = max([1e-9] + sel.edges["difference"].abs().tolist()) if sel.observed else max(
        [1] + sel.edges["unit_cases"].tolist()
    )
    edges = []
    for r in sel.edges.itertuples(index=False):
        key = (r.source, r.target)
        if sel.observed:
            label = f"{_pct(r.unit_share)} vs {_pct(r.target_share)}"
            if key in sig_e:
                label += f" (Δ {100 * sig_e[key]:+.0f} pts)"
            width = 0.8 + 3.7 * abs(r.difference) / top
        else:
            label = format_count(r.unit_cases) if r.where != "target" else None
            width = 0.8 + 3.7 * r.unit_cases / top if r.where != "target" else 1.4
        edges.append(_Edge(r.source, r.target, label, width,
                           DIFF_COLOURS[r.where] if not tested or key in sig_e else NOT_SIGNIFICANT))
    legend = [
        ("box", tint(DIFF_COLOURS["common"], 0.18), DIFF_COLOURS["common"], "in unit and target"),
        ("box", tint(DIFF_COLOURS["unit"], 0.18), DIFF_COLOURS["unit"], "only in the unit"),
        ("box", tint(DIFF_COLOURS["target"], 0.18), DIFF_COLOURS["target"], "only in the target"),
        ("dash", EDGE, None, "dashed edge: loop back"),
    ]
    if tested:
        legend.insert(3, ("box", tint(NOT_SIGNIFICANT, 0.18), NOT_SIGNIFICANT, "difference not significant"))
    n_only_u = int((sel.edges["where"] == "unit").sum())
    n_only_t = int((sel.edges["where"] == "target").sum())
    cut = (
        f"Showing {len(sel.activities)} of {sel.total_activities} activities and {len(sel.edges)} of "
        f"{sel.total_edges} edges with the largest differences"
    )
    if sel.observed:
        caption = (
            f"{cut} in share of cases between the unit and {target_name}. Of those edges, {n_only_u} occur "
            f"only in the unit and {n_only_t} only in the target. Labels: share of the unit's cases vs the "
            "target's; edge width ∝ the difference; ▶ start, ■ end."
        )
        if tested:
            caption += (" Coloured: differences significant after false-discovery control (Δ: the difference in "
                        "percentage points); grey: not significant or not tested.")
    else:
        caption = (
            f"{cut} against the model of {target_name} (behaviour on one side only first). Of those edges, "
            f"{n_only_u} occur only in the unit and {n_only_t} only in the model. Edge label: unit cases; "
            "edge width ∝ unit cases; ▶ start, ■ end."
        )
    head = title or f"Difference to target: {unit.process} · {unit.unit}"
    sub = f"{format_count(unit.cases)} cases"
    if sel.observed:
        sub += f"; largest difference {sel.strongest:.0%} of cases"
    return _draw(nodes, edges, title=head, subtitle=sub, caption=caption, legend=legend)
