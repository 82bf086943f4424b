"""Harmonisation: choose the target process, align units to it, list the changes.

A unit's variants are aligned to the target model (:func:`divergence.alignment.
align_variants`); the deviations of the alignments become a backlog of
:class:`~divergence.changes.ChangeItem` (add, drop, reorder, rework) that
:mod:`divergence.costs` prices.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .changes import ChangeItem
from .errors import OptionError
from .alignment import Alignment, align_variants
from .behaviour import model_graph
from .pm import MODEL_SUFFIXES, Model, discover_model_from_variants, read_model
from .profile import UnitProfile

__all__ = [
    "Target",
    "UnitAlignment",
    "choose_target",
    "align_unit",
    "change_items",
    "deviations",
    "occurrence_cost",
    "df_precision",
    "AUTO_COVERAGE",
    "AUTO_MAX_VARIANTS",
    "AUTO_MIN_PRECISION",
    "AUTO_TIE_MARGIN",
    "AUTO_RUNS_SHARE",
]

#: ``auto`` scores candidates on each unit's most frequent variants covering
#: this share of its cases ...
AUTO_COVERAGE = 0.9
#: ... but at most this many variants per unit.
AUTO_MAX_VARIANTS = 100
#: Candidates whose model allows directly-follows pairs of which less than
#: this share occur in the pooled log are too permissive to be a target.
AUTO_MIN_PRECISION = 0.5
#: Candidates whose cost is within this share of the lowest are a near-tie ...
AUTO_TIE_MARGIN = 0.05
#: ... broken by the cases of the units already running the candidate: a
#: unit runs it when at least this share of its cases conform to the
#: candidate's model (no deviation) and at least this share of the
#: candidate's own cases conform to the unit's model.
AUTO_RUNS_SHARE = 0.5

CostFn = Callable[[Mapping[str, list[ChangeItem]]], float]


@dataclass(frozen=True)
class Target:
    """The process every unit is harmonised onto.

    Attributes
    ----------
    kind : str
        ``"model"`` (a model file), ``"unit"`` (a unit's discovered model) or
        ``"pooled"`` (discovered from behaviour most units share).
    name : str
    reason : str
        Why this target: given by the user, or the cost comparison of ``auto``.
    model : Model
    """

    kind: str
    name: str
    reason: str
    model: Model


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
        Whether every alignment is optimal (see :func:`divergence.alignment.align_variants`).
    """

    unit: str
    target: str
    fitness: float
    alignments: tuple[Alignment, ...]
    cases: tuple[int, ...]
    exact: bool


def occurrence_cost(unit_changes: Mapping[str, list[ChangeItem]]) -> float:
    """Default cost proxy: total deviation occurrences over all units' change items."""
    return float(sum(c.occurrences for items in unit_changes.values() for c in items))


def choose_target(
    spec: str | Path,
    profiles: Sequence[UnitProfile] | Mapping[str, UnitProfile],
    models: Sequence[Model] | Mapping[str, Model],
    families_medoids: Sequence[str] = (),
    *,
    cost_fn: CostFn | None = None,
    noise_threshold: float = 0.2,
    timeout_s: float = 2.0,
    method: str = "auto",
) -> Target:
    """Choose the target process.

    Parameters
    ----------
    spec : str or Path
        ``"auto"``, a unit name, or a model file (``.bpmn``, ``.pnml``, ``.ptml``).
    profiles : sequence or mapping of UnitProfile
        The units of one process.
    models : sequence or mapping of Model
        Each unit's discovered model, in the order of ``profiles`` (or keyed
        by unit name).
    families_medoids : sequence of str, default ()
        Medoid unit of each family; with ``auto`` they are tried first and
        win ties.
    cost_fn : callable, optional
        ``cost_fn({unit: [ChangeItem, ...]}) -> float``: total harmonisation
        cost of a candidate target. Default :func:`occurrence_cost`.
    noise_threshold : float, default 0.2
        Noise filter of the pooled candidate's discovery.
    timeout_s : float, default 2.0
        Per-variant alignment time bound.

    Returns
    -------
    Target

    Raises
    ------
    OptionError
        If ``spec`` is neither ``auto``, a unit name nor an existing model
        file (the message lists the unit names).
    ModelError
        If the model file cannot be read.

    Notes
    -----
    ``auto`` candidates: each unit's model (family medoids first) and a
    ``pooled`` model discovered from the pooled variants that use only
    directly-follows edges (and start and end activities) found in more than
    half of the units.

    1. Precision guard: a near-flower model allows almost anything, so its
       alignments show few deviations and it would win on cost while
       prescribing no process. A candidate's :func:`df_precision` (share of
       its model's directly-follows pairs the pooled log shows) must reach
       :data:`AUTO_MIN_PRECISION`; if no candidate does, those within half
       of the best precision stay in. Excluded candidates are named in
       ``reason``.
    2. Sample: each unit's most frequent variants covering
       :data:`AUTO_COVERAGE` of its cases, at most :data:`AUTO_MAX_VARIANTS`
       per unit, are aligned to every remaining candidate (alignments are
       cached, so the winner's later full :func:`align_unit` reuses them).
    3. The candidate of lowest ``cost_fn`` on the sample wins, unless other
       candidates cost at most :data:`AUTO_TIE_MARGIN` more (a near-tie,
       within the precision of a cost model). Then the candidate already run
       by the units holding most cases wins (ties: lower cost, family
       medoids, name order). A unit *runs* a candidate when both hold: at
       least :data:`AUTO_RUNS_SHARE` of its sampled cases align to the
       candidate's model without deviation, and at least that share of the
       candidate's own cases (its unit's sample; for ``pooled`` the
       majority-shared variants it was mined from) align to the unit's model
       without deviation; a unit runs its own candidate. The two-way test
       keeps a model that merely generalises several processes (cheapest,
       as its own unit needs no change) from counting the units it
       tolerates as its own. Rationale: with costs this close, moving the
       fewest cases, and onto a process many units already run, is the
       lower-risk choice.

       ``reason`` is a readable sentence with the £ (or occurrence)
       figures of the winner and the runner-up, then the sample's case
       coverage, the winner's DF-precision and the precision guard.
    """
    profs = list(profiles.values()) if isinstance(profiles, Mapping) else list(profiles)
    if isinstance(models, Mapping):
        mods = [models[p.unit] for p in profs]
    else:
        mods = list(models)
    if len(mods) != len(profs):
        raise OptionError(f"{len(profs)} units but {len(mods)} models; need one model per unit")
    by_unit = dict(zip((p.unit for p in profs), mods))
    s = str(spec)
    if s == "auto":
        return _auto_target(profs, by_unit, families_medoids, cost_fn, noise_threshold, timeout_s, method)
    if s in by_unit:
        return Target("unit", s, f"unit {s} chosen by the user", by_unit[s])
    path = Path(s)
    if path.suffix.lower() in MODEL_SUFFIXES and path.is_file():
        model = read_model(path)
        return Target("model", model.name, f"model file {path.name} given by the user", model)
    units = ", ".join(sorted(by_unit)) or "(none)"
    what = "model file not found" if path.suffix.lower() in MODEL_SUFFIXES else "unknown target"
    raise OptionError(
        f"{what}: {s!r}; use 'auto', a unit name ({units}) "
        f"or a model file ({', '.join(MODEL_SUFFIXES)})"
    )


def align_unit(
    profile: UnitProfile, target: Target, *, timeout_s: float = 2.0, method: str = "auto"
) -> UnitAlignment:
    """Align a unit's variants to the target.

    Parameters
    ----------
    profile : UnitProfile
    target : Target
    timeout_s : float, default 2.0
        Per-variant time bound of the optimal alignment (then fallbacks).
    method : {"auto", "dfg"}, default "auto"
        Alignment route, see :func:`divergence.alignment.align_variants`.

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
        profile.unit, target.name, fit, aligns, cases, all(a.exact for a in aligns)
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
        for key, (k, nb) in _summary(ali).items():
            occ[key] += n * k
            cases[key] += n
            neighbours[key] |= nb
    staff_of = _staff(profile)
    per_year = profile.cases_per_year
    items = []
    for key, c in cases.items():
        share = c / total
        if share < min_share:
            continue
        kind, acts = key
        who = neighbours[key] if kind == "add" else set(acts)
        staff = len(set().union(*(staff_of.get(a, set()) for a in who))) if who else 0
        items.append(
            ChangeItem(kind, acts, int(c), float(share), float(per_year * share), int(occ[key]), max(1, staff))
        )
    items.sort(key=lambda it: (-it.cases, it.kind, it.activities))
    return items


def deviations(alignment: Alignment) -> list[tuple[tuple[str, tuple[str, ...]], tuple[str, ...]]]:
    """Classify an alignment's log and model moves into change kinds.

    Parameters
    ----------
    alignment : Alignment

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
       synchronously in the trace, else ``drop`` (X absent from the target,
       or at a place and in a combination the target never allows).
    3. A remaining visible model move of X is ``add``.
    """
    return [(key, tuple(a for a in nb if a is not None)) for key, nb in _deviations(alignment.moves)]


#: _summary() per alignment: alignments are shared between units and candidates.
_SUMMARY: "weakref.WeakKeyDictionary[Alignment, dict]" = weakref.WeakKeyDictionary()


def _summary(alignment: Alignment) -> dict:
    """``{(kind, activities): (occurrences, neighbours)}`` of one alignment (cached)."""
    out = _SUMMARY.get(alignment)
    if out is None:
        out = {}
        for key, nb in _deviations(alignment.moves):
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


def _deviations(moves) -> list:
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
            out.append(((("rework" if x in synced else "drop"), (x,)), (before[i], after[i])))
    for j in models:
        if j not in used:
            out.append((("add", (acts[j],)), (before[j], after[j])))
    return out


# ----------------------------------------------------------------------------


def df_precision(model: Model, profiles: Sequence[UnitProfile]) -> float:
    """Share of a model's directly-follows pairs that the pooled log shows.

    Parameters
    ----------
    model : Model
    profiles : sequence of UnitProfile
        The units whose pooled variants are the log.

    Returns
    -------
    float
        ``|model pairs & log pairs| / |model pairs|`` over
        :func:`divergence.behaviour.model_graph` edges; 1.0 for a model without
        pairs. Near 0 for flower-like models.
    """
    return _df_precision(model, _log_pairs(profiles))


def _log_pairs(profiles: Sequence[UnitProfile]) -> set:
    seen: set = set()
    for p in profiles:
        for v in p.variants["variant"]:
            seen.update(zip(v, v[1:]))
    return seen


def _df_precision(model: Model, seen: set) -> float:
    edges = model_graph(model)["edges"]
    return len(edges & seen) / len(edges) if edges else 1.0


def _auto_target(profs, by_unit, medoids, cost_fn, noise, timeout_s, method="auto") -> Target:
    cost_fn = cost_fn or occurrence_cost
    label = "deviation occurrences" if cost_fn is occurrence_cost else "cost"
    order = [u for u in medoids if u in by_unit] + sorted(u for u in by_unit if u not in set(medoids))
    cands: list[tuple[str, str, Model]] = [("unit", u, by_unit[u]) for u in order]
    pooled, pooled_variants = _pooled_model(profs, noise)
    if pooled is not None:
        cands.append(("pooled", "pooled", pooled))
    if not cands:
        raise OptionError("no units to choose a target from")
    # 1. precision guard
    seen = _log_pairs(profs)
    prec = [_df_precision(m, seen) for _, _, m in cands]
    keep = [i for i, x in enumerate(prec) if x >= AUTO_MIN_PRECISION]
    guard = f"precision guard: DF-precision >= {AUTO_MIN_PRECISION:g}"
    if not keep:
        best_p = max(prec)
        keep = [i for i, x in enumerate(prec) if x >= best_p / 2]
        guard = (
            f"precision guard: no candidate reaches DF-precision {AUTO_MIN_PRECISION:g} "
            f"(best {best_p:.2f}); kept those within half of the best"
        )
    dropped = [f"{cands[i][1]} ({prec[i]:.2f})" for i in range(len(cands)) if i not in keep]
    if dropped:
        guard += "; excluded " + ", ".join(dropped)
    # 2. sample of frequent variants
    samples = [_sample(p) for p in profs]
    covered = sum(sum(c) for _, c in samples)
    total = sum(p.cases for p in profs)
    n_var = sum(len(v) for v, _ in samples)
    scored = []
    for rank in keep:
        kind, name, model = cands[rank]
        changes = {}
        for p, (variants, cases) in zip(profs, samples):
            aligns = tuple(align_variants(variants, model, timeout_s=timeout_s, method=method))
            ua = UnitAlignment(p.unit, name, _weighted(aligns, cases), aligns, cases, all(a.exact for a in aligns))
            changes[p.unit] = change_items(p, ua)
        scored.append((float(cost_fn(changes)), rank, kind, name, model))
    scored.sort(key=lambda t: (t[0], t[1]))
    best = scored[0]
    limit = best[0] * (1.0 + AUTO_TIE_MARGIN)
    near = [c for c in scored if c[0] <= limit + 1e-9]
    runs: dict[str, list[str]] = {}
    if len(near) > 1:
        own = {p.unit: (*smp, p.cases) for p, smp in zip(profs, samples)}
        if pooled is not None:
            own["pooled"] = (*_top(pooled_variants), sum(pooled_variants.values()))
        for _, _, kind, name, model in near:
            runs[name] = _runners(name, model, own[name], profs, samples, by_unit, timeout_s, method)
        vol = {n: sum(p.cases for p in profs if p.unit in us) for n, us in runs.items()}
        win = min(near, key=lambda c: (-vol[c[3]], c[0], c[1]))
    else:
        vol = {}
        win = best
    share = lambda n: vol[n] / max(total, 1)  # noqa: E731
    if win is not best:
        units_on = ", ".join(sorted(runs[win[3]]))
        reason = (
            f"auto: {win[3]} ({_fmt(win[0], label)}) is within {AUTO_TIE_MARGIN:.0%} of the "
            f"lowest total {label}, {best[3]} ({_fmt(best[0], label)}), and is already run by "
            f"units holding {share(win[3]):.0%} of all cases ({units_on}) against "
            f"{share(best[3]):.0%} for {best[3]}, so it wins the near-tie"
        )
    else:
        reason = f"auto: {best[3]} has the lowest total {label}, {_fmt(best[0], label)}, of {len(scored)} candidates"
        if len(scored) > 1:
            nxt = scored[1]
            reason += f"; next best {nxt[3]} {_fmt(nxt[0], label)}"
        if len(near) > 1:
            reason += (
                f"; of the near-ties within {AUTO_TIE_MARGIN:.0%} it is also already run by "
                f"the most cases ({share(best[3]):.0%})"
            )
    if win[3] in medoids:
        reason += f"; {win[3]} is a family medoid"
    reason += (
        f"; scored on the most frequent variants ({n_var}) covering "
        f"{covered / max(total, 1):.0%} of cases; DF-precision of {win[3]} {prec[win[1]]:.2f}; {guard}"
    )
    return Target(win[2], win[3], reason, win[4])


def _runners(name, model, own_sample, profs, samples, by_unit, timeout_s, method="auto") -> list[str]:
    """Units already running a candidate (two-way conformance, see :func:`choose_target`)."""
    out = []
    for p, (variants, cases) in zip(profs, samples):
        if p.unit == name:
            out.append(p.unit)
            continue
        if _conforming(variants, cases, model, p.cases, timeout_s, method) < AUTO_RUNS_SHARE:
            continue
        ov, oc, on = own_sample
        if _conforming(ov, oc, by_unit[p.unit], on, timeout_s, method) >= AUTO_RUNS_SHARE:
            out.append(p.unit)
    return out


def _conforming(variants, cases, model: Model, total: float, timeout_s: float, method: str = "auto") -> float:
    """Share of ``total`` cases whose (sampled) variant aligns to ``model`` without deviation."""
    if not variants or total <= 0:
        return 0.0
    aligns = align_variants(variants, model, timeout_s=timeout_s, method=method)
    return sum(c for a, c in zip(aligns, cases) if a.deviations == 0) / total


def _top(variants: Mapping[tuple[str, ...], int]) -> tuple[list[tuple[str, ...]], tuple[int, ...]]:
    """Most frequent variants covering AUTO_COVERAGE of the cases (capped), as :func:`_sample`."""
    need, got, vs, cs = AUTO_COVERAGE * max(sum(variants.values()), 1), 0, [], []
    for v, c in sorted(variants.items(), key=lambda kv: (-kv[1], kv[0])):
        if got >= need or len(vs) >= AUTO_MAX_VARIANTS:
            break
        vs.append(v)
        cs.append(int(c))
        got += int(c)
    return vs, tuple(cs)


def _sample(p: UnitProfile) -> tuple[list[tuple[str, ...]], tuple[int, ...]]:
    """A unit's most frequent variants covering AUTO_COVERAGE of its cases (capped)."""
    v = p.variants.sort_values("cases", ascending=False, kind="stable")
    variants, cases, need, got = [], [], AUTO_COVERAGE * max(int(v["cases"].sum()), 1), 0
    for var, c in zip(v["variant"], v["cases"]):
        if got >= need or len(variants) >= AUTO_MAX_VARIANTS:
            break
        variants.append(tuple(var))
        cases.append(int(c))
        got += int(c)
    return variants, tuple(cases)


def _weighted(aligns, cases) -> float:
    w = np.asarray(cases, dtype=float)
    return float(np.dot([a.fitness for a in aligns], w) / w.sum()) if w.sum() > 0 else 1.0


def _pooled_model(profs: Sequence[UnitProfile], noise: float) -> tuple[Model | None, dict]:
    """Model of the pooled variants that use only majority-shared behaviour, and those variants."""
    half = len(profs) / 2.0
    votes: Counter = Counter()
    pooled: Counter = Counter()
    for p in profs:
        used = set()
        for v, c in zip(p.variants["variant"], p.variants["cases"]):
            v = tuple(v)
            pooled[v] += int(c)
            used.update(_features(v))
        votes.update(used)
    shared = {f for f, n in votes.items() if n > half}
    keep = {v: c for v, c in pooled.items() if v and set(_features(v)) <= shared}
    if not keep:
        return None, {}
    model = discover_model_from_variants(keep, noise_threshold=noise, name="pooled", kind="pooled")
    return model, keep


def _features(v: tuple[str, ...]):
    if not v:
        return []
    return [("start", v[0]), ("end", v[-1])] + list(zip(v, v[1:]))


def _staff(profile: UnitProfile) -> dict[str, set]:
    r = profile.resources
    out: dict[str, set] = defaultdict(set)
    for a, who in zip(r["activity"], r["resource"]):
        out[a].add(who)
    return out


def _fmt(x: float, label: str) -> str:
    return f"{x:,.0f}" if label != "cost" else f"£{x:,.0f}"
