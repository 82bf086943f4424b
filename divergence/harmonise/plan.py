"""Harmonisation: the target process, each unit's change backlog, and its price.

Three kinds of target:

- ``unit``: a unit's **observed** behaviour (its variants with case counts);
- ``pooled``: the behaviour most units share, also observed: the pooled
  variants that use only start, end and directly-follows features found in
  more than half of the units;
- ``model``: a model file (BPMN, PNML, PTML) given by the user.

A unit's backlog against an observed target comes from an optimal transport
of its variants onto the target's (:mod:`divergence.harmonise.observed`), so the target
unit maps onto itself with no change by construction; against a model file
it comes from alignments (:mod:`divergence.harmonise.aligned`). Every candidate item is
then tested against the target (:mod:`divergence.harmonise.evidence`): items that are
not statistically supported, or affect fewer than ``min_share`` of the
unit's cases, are *exceptions*: listed, not priced.

``auto`` prices every candidate target with exactly the computation that
prices the final result (:func:`harmonise`) and picks the lowest *adoption
cost*: the one-off cost plus :data:`TARGET_HORIZON_YEARS` years of the
running cost the target adds. Savings are reported but do not choose the
target: a unit that skips a step (a control, say) would otherwise win by
making everyone else drop it, and whether to cut a step is a business
decision, not a reason to pick a standard. The reason quotes the figures
that are then reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import OptionError
from ..model.behaviour import model_graph
from ..model.pm import MODEL_SUFFIXES, Model, discover_model_from_variants, read_model
from ..profile import UnitProfile, profile_from_variants
from . import batch, observed
from .aligned import UnitAlignment, align_unit, change_items, deviations
from .backlog import DROP_MAX_TARGET_SHARE, judge, observed_items
from .changes import ChangeItem
from .observed import UnitTransport
from .candidates import AUTO_MAX_CELLS, AUTO_MAX_UNIT_CANDIDATES, unit_candidates, within_budget
from .specs import FOLDER_REASON

__all__ = [
    "Target",
    "Harmonisation",
    "UnitAlignment",
    "UnitTransport",
    "resolve_target",
    "pooled_target",
    "pooled_model",
    "harmonise",
    "harmonise_onto",
    "choose_target",
    "judge",
    "align_unit",
    "change_items",
    "deviations",
    "df_precision",
    "TARGET_HORIZON_YEARS",
    "AUTO_TIE_MARGIN",
    "AUTO_MAX_UNIT_CANDIDATES",
    "AUTO_MAX_CELLS",
    "DROP_MAX_TARGET_SHARE",
]

#: Years of added running cost that ``auto`` adds to the one-off cost when it
#: compares candidate targets (the adoption cost).
TARGET_HORIZON_YEARS = 3
#: Candidates whose adoption cost is within this share of the lowest are a near-tie,
#: won by a unit over the pooled behaviour, then by the unit with most cases.
AUTO_TIE_MARGIN = 0.05
#: ``price(profile, items, target) -> divergence.costs.pricing.UnitCost``
PriceFn = Callable[[UnitProfile, list[ChangeItem], "Target"], Any]


@dataclass(frozen=True)
class Target:
    """The process every unit is harmonised onto.

    Attributes
    ----------
    kind : str
        ``"unit"`` (a unit's observed behaviour), ``"pooled"`` (the
        behaviour most units share) or ``"model"`` (a model file).
    name : str
    reason : str
        Why this target: given by the user, or the figures of ``auto``.
    model : Model or None
        For ``unit`` and ``pooled``: discovered from the observed behaviour
        (for export and drawing; None when the caller passed no model for
        the unit); for ``model``: the file read.
    profile : UnitProfile or None
        The observed behaviour (``unit``, ``pooled``); None for ``model``.
    """

    kind: str
    name: str
    reason: str
    model: Model | None
    profile: UnitProfile | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Harmonisation:
    """Every unit's backlog and price against one target.

    Attributes
    ----------
    target : Target
    fits : dict
        unit -> :class:`UnitTransport` (observed target) or
        :class:`UnitAlignment` (model target); both have ``fitness``.
    changes : dict
        unit -> priced change items (supported and at least ``min_share``).
    exceptions : dict
        unit -> items that are listed but not priced, each with its ``note``.
    costs : dict
        unit -> :class:`divergence.costs.pricing.UnitCost` of ``changes``.
    adoption_cost : float
        Central one-off cost plus :data:`TARGET_HORIZON_YEARS` years of the
        central running cost that items add (savings not counted), summed
        over units: what ``auto`` minimises.
    """

    target: Target
    fits: dict[str, Any]
    changes: dict[str, list[ChangeItem]]
    exceptions: dict[str, list[ChangeItem]]
    costs: dict[str, Any]
    adoption_cost: float


def resolve_target(
    spec: str | Path,
    profiles: Mapping[str, UnitProfile],
    models: Mapping[str, Model],
    *,
    from_folder: bool = False,
) -> Target | None:
    """The target a ``--target`` value names; None for ``auto``.

    ``from_folder``: a model file found by the ``targets/`` folder convention
    (:mod:`divergence.harmonise.specs`), which its reason says.

    Raises
    ------
    OptionError
        Neither ``auto``, a unit name nor an existing model file (the
        message lists the unit names).
    ModelError
        The model file cannot be read.
    """
    s = str(spec)
    if s == "auto":
        return None
    if s in profiles:
        return Target("unit", s, f"unit {s} chosen by the user", models.get(s), profiles[s])
    path = Path(s)
    if path.suffix.lower() in MODEL_SUFFIXES and path.is_file():
        model = read_model(path)
        how = FOLDER_REASON if from_folder else "given by the user"
        return Target("model", model.name, f"model file {path.name} {how}", model)
    units = ", ".join(sorted(profiles)) or "(none)"
    what = "model file not found" if path.suffix.lower() in MODEL_SUFFIXES else "unknown target"
    raise OptionError(
        f"{what}: {s!r}; use 'auto', a unit name ({units}) or a model file ({', '.join(MODEL_SUFFIXES)})"
    )


def pooled_target(
    profiles: Mapping[str, UnitProfile], *, noise_threshold: float = 0.2, with_model: bool = True
) -> Target | None:
    """The behaviour most units share, as an observed target (None if no variant qualifies).

    The pooled variants (all units' cases together) that use only start and
    end activities and directly-follows pairs found in more than half of the
    units. ``with_model=False`` leaves the discovered model out (None): see
    :func:`pooled_model`.
    """
    found = _pooled_variants(profiles)
    if found is None:
        return None
    keep, prof, reason = found
    model = pooled_model(keep, noise_threshold) if with_model else None
    return Target("pooled", "pooled", reason, model, prof)


def pooled_model(keep: Mapping[tuple, int], noise_threshold: float = 0.2) -> Model:
    """The model discovered from the pooled variants (``variant -> cases``)."""
    return discover_model_from_variants(keep, noise_threshold=noise_threshold, name="pooled", kind="pooled")


def _pooled_variants(profiles: Mapping[str, UnitProfile]) -> tuple[dict, UnitProfile, str] | None:
    """(variant -> cases, profile, reason) of the pooled behaviour, or None."""
    profs = list(profiles.values())
    if not profs:
        return None
    half = len(profs) / 2.0
    votes: dict = defaultdict(int)
    pooled: dict = defaultdict(int)
    for p in profs:
        used = set()
        for v, c in zip(p.variants["variant"], p.variants["cases"]):
            v = tuple(v)
            pooled[v] += int(c)
            used.update(_features(v))
        for f in used:
            votes[f] += 1
    shared = {f for f, n in votes.items() if n > half}
    keep = {v: c for v, c in pooled.items() if v and set(_features(v)) <= shared}
    if not keep:
        return None
    first = min(p.first for p in profs)
    last = max(p.last for p in profs)
    prof = profile_from_variants(profs[0].process, "pooled", keep, first=first, last=last)
    share = prof.cases / max(sum(p.cases for p in profs), 1)
    reason = f"pooled behaviour: the {len(keep)} variants using only behaviour shared by most units ({share:.0%} of all cases)"
    return keep, prof, reason


def harmonise_onto(
    target: Target,
    profiles: Mapping[str, UnitProfile],
    *,
    price: PriceFn,
    min_share: float = 0.05,
    alpha: float = 0.05,
    tolerance: float = observed.DEFAULT_TOLERANCE,
    method: str = "auto",
    transports: Mapping[str, UnitTransport] | None = None,
    cache: dict | None = None,
    backlogs: Mapping[str, list[ChangeItem]] | None = None,
) -> Harmonisation:
    """Every unit's backlog against ``target``, judged and priced.

    Parameters
    ----------
    target : Target
    profiles : mapping of unit -> UnitProfile
    price : callable
        ``price(profile, items, target) -> UnitCost``.
    min_share : float, default 0.05
        Items in a smaller share of a unit's cases are exceptions.
    alpha : float, default 0.05
        Items whose Benjamini-Hochberg q-value exceeds it are exceptions.
    tolerance : float, default 2.0
        Case-mix tolerance of the transport (observed targets only).
    method : str, default "auto"
        Alignment route for model targets (:func:`divergence.model.alignment.align_variants`).
    transports : mapping, optional
        Already computed transports of units onto this target (reused).
    cache : dict, optional
        Work shared between calls on the same profiles (the case
        indicators); :func:`harmonise` passes one to all candidates.
    backlogs : mapping, optional
        Candidate items (:func:`observed_items`) already computed from ``transports``.

    Returns
    -------
    Harmonisation
    """
    fits: dict[str, Any] = {}
    candidates: dict[str, list[ChangeItem]] = {}
    cache = {} if cache is None else cache
    if target.profile is not None:
        given = dict(transports or {})
        todo = [u for u in profiles if u not in given]
        solved = batch.transport_many([(profiles[u], target.profile) for u in todo], tolerance=tolerance)
        given.update(zip(todo, solved))
        for u, p in profiles.items():
            fits[u] = given[u]
            if backlogs is not None and u in backlogs and u in (transports or {}):
                candidates[u] = backlogs[u]
            else:
                candidates[u] = observed_items(p, fits[u], target.profile)
    else:
        for u, p in profiles.items():
            fits[u] = align_unit(p, target, method=method)
            candidates[u] = change_items(p, fits[u])
    changes, exceptions = judge(candidates, profiles, target, min_share=min_share, alpha=alpha,
                                indicators=cache.setdefault("indicators", {}))
    costs = {u: price(profiles[u], changes[u], target) for u in profiles}
    return Harmonisation(target, fits, changes, exceptions, costs, _adoption(costs.values()))


def harmonise(
    spec: str | Path,
    profiles: Mapping[str, UnitProfile],
    models: Mapping[str, Model],
    *,
    price: PriceFn,
    medoids: Sequence[str] = (),
    eligible: Sequence[str] | None = None,
    noise_threshold: float = 0.2,
    progress: Callable[[int, int], None] | None = None,
    from_folder: bool = False,
    **options: Any,
) -> Harmonisation:
    """Resolve ``spec`` (``auto``, a unit, a model file) and harmonise every unit onto it.

    Parameters
    ----------
    spec : str or Path
    profiles, models : mappings by unit
    price : callable
        See :func:`harmonise_onto`.
    medoids : sequence of str
        Family medoids: with ``auto`` and many units, they are candidates first.
    eligible : sequence of str, optional
        Units that may be the ``auto`` target (default all); low-evidence and
        tiny units are left out by the caller.
    noise_threshold : float
        Discovery noise of the pooled candidate's model.
    progress : callable, optional
        ``progress(done, total)`` over the transports and then the candidates of ``auto``.
    from_folder : bool
        ``spec`` came from the ``targets/`` folder convention (said in the reason).
    **options
        ``min_share``, ``alpha``, ``tolerance``, ``method`` of :func:`harmonise_onto`.

    Returns
    -------
    Harmonisation

    Notes
    -----
    ``auto`` candidates: the eligible units (all of them up to
    :data:`AUTO_MAX_UNIT_CANDIDATES`, else the family medoids, then the
    largest units) and the pooled behaviour, as many as the work budget
    :data:`AUTO_MAX_CELLS` allows (:func:`.candidates.within_budget`). Each is priced by
    :func:`harmonise_onto`, exactly as the final result (all candidates'
    transports are solved first, in forked workers when large; the pooled
    candidate's model is discovered only if it wins); the lowest
    adoption cost (one-off cost plus :data:`TARGET_HORIZON_YEARS` years of
    added running cost) wins, a near-tie (within :data:`AUTO_TIE_MARGIN`) going to a unit
    rather than the pooled behaviour, then to the unit with most cases.
    """
    target = resolve_target(spec, profiles, models, from_folder=from_folder)
    if target is not None:
        return harmonise_onto(target, profiles, price=price, **options)
    ok = [u for u in profiles if eligible is None or u in set(eligible)]
    cands = [resolve_target(u, profiles, models) for u in unit_candidates(ok, profiles, medoids)]
    pooled = _pooled_variants(profiles)
    if pooled is not None:  # its model is discovered only if it wins
        cands.append(Target("pooled", "pooled", pooled[2], None, pooled[1]))
    if not cands:
        raise OptionError(
            "no unit can be the target automatically (all have too few cases); name a unit or a model file with --target"
        )
    cands = within_budget(cands, profiles, medoids)
    # every candidate's transports at once (forked workers share the two cores), then each priced
    jobs = [(u, k) for k, t in enumerate(cands) if t.profile is not None for u in profiles]
    tol = options.get("tolerance", observed.DEFAULT_TOLERANCE)
    steps = len(jobs) + len(cands)  # progress: every transport, then every candidate priced

    def solved(done: int, _total: int) -> None:
        if progress:
            progress(done, steps)

    found = batch.transport_many([(profiles[u], cands[k].profile) for u, k in jobs], tolerance=tol,
                                    then=lambda unit, target, tr: observed_items(unit, tr, target), progress=solved)
    transports: dict[int, dict[str, UnitTransport]] = defaultdict(dict)
    backlogs: dict[int, dict[str, list[ChangeItem]]] = defaultdict(dict)
    for (u, k), (tr, items) in zip(jobs, found):
        transports[k][u], backlogs[k][u] = tr, items
    results = _price_candidates(cands, profiles, price, transports, backlogs, options,
                                lambda k: progress(len(jobs) + k, steps) if progress else None)
    if progress:
        progress(steps, steps)
    win = _pick(results, profiles, excluded=[u for u in profiles if u not in set(ok)])
    if win.target.kind == "pooled" and pooled is not None:
        win = replace(win, target=replace(win.target, model=pooled_model(pooled[0], noise_threshold)))
    return win


#: Candidates are judged and priced in forked workers from this many candidate items on
#: (BPIC 2015: six candidates, ~0.3 s each; a pool costs ~0.1 s).
PARALLEL_MIN_ITEMS = 20_000


def _price_candidates(cands: list[Target], profiles: Mapping[str, UnitProfile], price: PriceFn,
                      transports: Mapping[int, Mapping[str, UnitTransport]],
                      backlogs: Mapping[int, Mapping[str, list[ChangeItem]]], options: Mapping[str, Any],
                      started: Callable[[int], None]) -> list[Harmonisation]:
    """:func:`harmonise_onto` of every candidate, in forked workers when there are many items.

    The same results as one candidate at a time: each is judged and priced
    alone; the workers send back only the judged items and costs (the
    transports stay here).
    """
    from .. import parallel
    from .backlog import case_indicators

    cache: dict = {}
    items = sum(len(b) for per in backlogs.values() for b in per.values())
    workers = min(parallel.cores(), len(cands))
    if workers < 2 or items < PARALLEL_MIN_ITEMS or not parallel.can_fork():
        out = []
        for k, t in enumerate(cands):
            started(k)
            out.append(harmonise_onto(t, profiles, price=price, cache=cache, transports=transports.get(k),
                                      backlogs=backlogs.get(k), **options))
        return out
    ind = cache.setdefault("indicators", {})
    for prof in [*profiles.values(), *(t.profile for t in cands if t.profile is not None)]:
        case_indicators(prof, ind)  # built once here, shared with the forks

    def one(k: int) -> tuple:
        h = harmonise_onto(cands[k], profiles, price=price, cache=cache, transports=transports.get(k),
                           backlogs=backlogs.get(k), **options)
        return h.changes, h.exceptions, h.costs, h.adoption_cost

    out = []
    for k, (changes, exceptions, costs, adoption) in enumerate(parallel.fork_iter(one, len(cands), workers=workers)):
        started(k)
        fits = {u: transports[k][u] for u in profiles}  # as harmonise_onto orders them
        out.append(Harmonisation(cands[k], fits, changes, exceptions, costs, adoption))
    return out


def choose_target(spec: str | Path, profiles: Mapping[str, UnitProfile], models: Mapping[str, Model], **kw: Any) -> Target:
    """The target of :func:`harmonise` alone."""
    return harmonise(spec, profiles, models, **kw).target


def df_precision(model: Model, profiles: Sequence[UnitProfile]) -> float:
    """Share of a model's directly-follows pairs that the pooled log shows.

    ``|model pairs & log pairs| / |model pairs|`` over
    :func:`divergence.model.behaviour.model_graph` edges; 1.0 for a model without
    pairs, near 0 for flower-like models.
    """
    seen: set = set()
    for p in profiles:
        for v in p.variants["variant"]:
            seen.update(zip(v, v[1:]))
    edges = model_graph(model)["edges"]
    return len(edges & seen) / len(edges) if edges else 1.0


# ---------------------------------------------------------------- helpers


def _pick(results: list[Harmonisation], profiles: Mapping[str, UnitProfile], *, excluded: list[str]) -> Harmonisation:
    """The candidate of lowest adoption cost (near-ties: a unit, then most cases); reason with its figures."""

    def volume(h: Harmonisation) -> int:
        return h.target.profile.cases if h.target.profile is not None else 0

    ranked = sorted(results, key=lambda h: (h.adoption_cost, h.target.name))
    best = ranked[0]
    limit = best.adoption_cost + AUTO_TIE_MARGIN * max(abs(best.adoption_cost), 1.0)
    near = [h for h in ranked if h.adoption_cost <= limit + 1e-9]
    win = min(near, key=lambda h: (h.target.kind != "unit", -volume(h), h.adoption_cost, h.target.name))
    one_off, low, high, effect, added = _totals(win)
    reason = (
        f"auto: {win.target.name} {'(the behaviour most units share) ' if win.target.kind == 'pooled' else ''}"
        f"has {'the lowest' if win is best else 'a near-lowest'} adoption cost of {len(results)} candidates, "
        f"£{win.adoption_cost:,.0f}: one-off £{one_off:,.0f} (range £{low:,.0f}–£{high:,.0f}) plus "
        f"{TARGET_HORIZON_YEARS} years of added running cost (£{added:,.0f} a year); "
        f"overall annual effect {_signed(effect)} a year"
    )
    others = [h for h in ranked if h is not win]
    if win is not best:
        reason += (
            f"; the lowest, {best.target.name} (£{best.adoption_cost:,.0f}), is within {AUTO_TIE_MARGIN:.0%}, "
            f"and {win.target.name} {'is a unit and ' if best.target.kind != 'unit' else ''}runs "
            f"{volume(win):,} cases against {volume(best):,}, so it wins the near-tie"
        )
    elif others:
        reason += f"; next best {others[0].target.name} (£{others[0].adoption_cost:,.0f})"
    reason += (
        "; every candidate priced on every unit's full backlog against its observed behaviour "
        f"(candidates: {', '.join(sorted(h.target.name for h in results))})"
    )
    if excluded:
        reason += f"; not candidates (too few cases): {', '.join(sorted(excluded))}"
    return replace(win, target=replace(win.target, reason=reason))


def _adoption(costs) -> float:
    """One-off cost plus the horizon's added running cost (savings not counted), central."""
    total = 0.0
    for c in costs:
        total += c.cost_gbp["central"]
        if len(c.items):
            effect = c.items["annual_effect_gbp"].to_numpy(dtype=float)
            total += TARGET_HORIZON_YEARS * float(-effect[effect < 0].sum())
    return float(total)


def _totals(h: Harmonisation) -> tuple[float, float, float, float, float]:
    """One-off central, low, high; annual effect central; added running cost a year (central)."""
    c = list(h.costs.values())
    added = 0.0
    for x in c:
        if len(x.items):
            e = x.items["annual_effect_gbp"].to_numpy(dtype=float)
            added += float(-e[e < 0].sum())
    return (
        sum(x.cost_gbp["central"] for x in c),
        sum(x.cost_gbp["low"] for x in c),
        sum(x.cost_gbp["high"] for x in c),
        sum(x.annual_effect_gbp["central"] for x in c),
        added,
    )


def _signed(x: float) -> str:
    return f"saving £{x:,.0f}" if x >= 0 else f"added cost £{-x:,.0f}"


def _features(v: tuple[str, ...]):
    if not v:
        return []
    return [("start", v[0]), ("end", v[-1])] + list(zip(v, v[1:]))
