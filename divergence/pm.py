"""The single door to pm4py: model files, discovery, token replay and alignments.

Every pm4py call of the project goes through this module. pm4py is imported
lazily (it takes seconds and prints a banner), with its output captured and
its warnings and progress bars switched off; its exceptions become
:class:`~divergence.errors.ModelError` with one-line messages.

Everything here works on *unique variants*: logs handed to pm4py hold one
trace per variant, never one per case, and results are cached per
(model, variant), so that re-weighted (bootstrap-resampled) profiles cost no
further pm4py work.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import warnings
import weakref
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import statespace
from .errors import ModelError

__all__ = [
    "Model",
    "Move",
    "Alignment",
    "MODEL_SUFFIXES",
    "read_model",
    "discover_model",
    "discover_model_from_variants",
    "replay_fitness",
    "align_variants",
    "model_graph",
    "model_graph_method",
    "df_fitness",
    "alignment_fitness",
    "exact_alignment_possible",
    "alignment_method",
    "DFG_MIN_ACTIVITIES",
    "DFG_MIN_CASE_SHARE",
]

#: Model file endings :func:`read_model` accepts, with what they hold.
MODEL_SUFFIXES = {
    ".bpmn": "BPMN 2.0 diagram",
    ".pnml": "Petri net (PNML)",
    ".ptml": "process tree (PTML)",
}

#: Largest model file read (bytes).
MAX_MODEL_BYTES = 64 * 1024**2

#: Variant sets up to this many events in total (sum of unique variants'
#: lengths) and activities are mined with IMf on the variants; larger ones
#: with IMd on the noise-filtered directly-follows graph.
IMF_MAX_EVENTS = 20_000
IMF_MAX_ACTIVITIES = 60

#: Directly-follows route: activities occurring in fewer than this share of
#: the cases are projected away (removed from the variants) before mining.
#: BPIC 2015: keeps 107-144 of 356-410 activities, 93-96 % of the events.
DFG_MIN_CASE_SHARE = 0.05
#: Directly-follows route: when no cut is found in a sub-graph, its edges are
#: filtered again at these thresholds in turn (IMf-style, relative to the
#: sub-graph's own maxima) until one is found ...
DFG_NOISE_STEPS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
#: ... unless the sub-graph has at most this many activities: small flowers
#: (a handful of steps in any order) are kept as they are.
DFG_FLOWER_MAX_ACTIVITIES = 8

#: Bounds of the language enumeration used by the alignment fallback.
LANGUAGE_MAX_TRACES = 20_000
LANGUAGE_MAX_STATES = 200_000
#: States explored to find the model's shortest visible path.
SHORTEST_MAX_STATES = 1_000_000

#: Reachable markings explored by :func:`model_graph` before it falls back to
#: the process tree (or the net's structure).
GRAPH_MAX_STATES = 50_000
#: Models with at most this many reachable markings are aligned exactly on
#: their state space (:mod:`divergence.statespace`); its distance matrix
#: takes ``4 * n^2`` bytes.
EXACT_MAX_STATES = 3_000

#: Models with more visible activities than this are aligned on their
#: directly-follows graph (``method="dfg"``), not with A*: on such models
#: (BPIC 2015: 356-410 activities, near-flower) pm4py's A* needs seconds per
#: variant and token replay 17-98 s per unit and model.
DFG_MIN_ACTIVITIES = 60

#: Variants longer than this are not aligned on the directly-follows graph
#: (the dynamic programme is quadratic in the length); they get the
#: ``alphabet`` last resort.
DFG_MAX_VARIANT_LEN = 3_000

#: Models with more transitions than this are not aligned with A*; the
#: fallbacks of :func:`align_variants` are used directly.
ASTAR_MAX_TRANSITIONS = 600
#: Variants longer than this are aligned on the directly-follows graph.
ASTAR_MAX_VARIANT_LEN = 200


@dataclass(frozen=True, eq=False)
class Model:
    """A process model as an accepting Petri net.

    Models compare and hash by identity, which keys the per-model caches.

    Attributes
    ----------
    name : str
        Display name (unit name, file stem, ``"pooled"``).
    kind : str
        ``"discovered"``, ``"file"`` or ``"pooled"``.
    net, initial_marking, final_marking
        pm4py ``PetriNet`` and its ``Marking`` objects.
    activities : frozenset of str
        Labels of the visible transitions.
    source : str
        Where it came from: a file path or a description of the discovery.
    tree : pm4py ProcessTree or None
        The process tree the net was built from, when there is one.
    """

    name: str
    kind: str
    net: Any = field(repr=False)
    initial_marking: Any = field(repr=False)
    final_marking: Any = field(repr=False)
    activities: frozenset
    source: str
    tree: Any = field(default=None, repr=False)


class Move(NamedTuple):
    """One move of an alignment: ``kind`` is ``"sync"``, ``"log"`` or ``"model"``."""

    kind: str
    activity: str


@dataclass(frozen=True)
class Alignment:
    """Alignment of one variant to a model (silent model moves left out).

    Attributes
    ----------
    variant : tuple of str
    moves : tuple of Move
        In order; ``log`` moves are steps the model does not allow there,
        ``model`` moves are visible steps the model requires and the trace lacks.
    fitness : float
        ``1 - deviations / (len(variant) + shortest model path)``, pm4py's
        alignment fitness with unit costs for log and visible model moves.
    exact : bool
        Whether ``moves`` is an optimal alignment.
    method : str
        ``"state-space"`` (optimal on the model's reachability graph, exact),
        ``"astar"`` (pm4py state-equation A*), ``"language"`` (closest trace
        of the fully enumerated bounded language, exact), ``"bounded-language"``
        (closest trace of a truncated enumeration, approximate) or
        ``"alphabet"`` (events outside the model's alphabet as log moves,
        approximate) or ``"dfg"`` (optimal on the model's directly-follows
        graph, for large models; see :func:`align_variants`).
    """

    variant: tuple[str, ...]
    moves: tuple[Move, ...]
    fitness: float
    exact: bool
    method: str

    @property
    def deviations(self) -> int:
        """Number of log and model moves."""
        return sum(m.kind != "sync" for m in self.moves)


# ----------------------------------------------------------------------------
# model files


def read_model(path: str | Path) -> Model:
    """Read a process model file as an accepting Petri net.

    Parameters
    ----------
    path : str or Path
        A ``.bpmn`` (BPMN 2.0), ``.pnml`` (Petri net) or ``.ptml`` (process
        tree) file.

    Returns
    -------
    Model
        ``kind="file"``, named after the file's stem.

    Raises
    ------
    ModelError
        If the file is missing, too large, has another extension, declares
        XML entities (refused: entity expansion), cannot be parsed, or is a
        Petri net without a final marking.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        valid = ", ".join(MODEL_SUFFIXES)
        raise ModelError(f"{p}: unknown model file type {suffix or '(none)'!r}; valid: {valid}")
    if not p.is_file():
        raise ModelError(f"{p}: model file not found")
    if p.stat().st_size > MAX_MODEL_BYTES:
        raise ModelError(f"{p}: model file larger than {MAX_MODEL_BYTES // 1024**2} MiB")
    _refuse_entities(p)
    pm4py = _pm4py()
    tree = None
    try:
        with _quiet():
            if suffix == ".bpmn":
                net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(p)))
            elif suffix == ".pnml":
                net, im, fm = pm4py.read_pnml(str(p))
            else:
                tree = pm4py.read_ptml(str(p))
                net, im, fm = pm4py.convert_to_petri_net(tree)
    except Exception as exc:  # pm4py raises anything from lxml errors to KeyError
        raise ModelError(f"{p}: cannot read {MODEL_SUFFIXES[suffix]}: {_one_line(exc)}") from None
    if not im or not fm:
        which = "initial" if not im else "final"
        raise ModelError(f"{p}: the Petri net has no {which} marking")
    return _model(net, im, fm, name=p.stem, kind="file", source=str(p), tree=tree)


# ----------------------------------------------------------------------------
# discovery


def discover_model(
    profile,
    *,
    noise_threshold: float = 0.2,
    name: str | None = None,
    min_case_share: float | None = None,
) -> Model:
    """Discover a sound process model of one unit from its variants.

    Parameters
    ----------
    profile : UnitProfile
        The unit; only its ``variants`` table (variant, cases) is used.
    noise_threshold : float, default 0.2
        Infrequent behaviour filter in [0, 1): IMf's noise threshold, or, on
        the directly-follows route, the edge filter (see Notes).
    name : str, optional
        Model name; default the unit's name.
    min_case_share : float, optional
        Directly-follows route only: activities found in fewer than this
        share of the cases are left out of the model. Default
        :data:`DFG_MIN_CASE_SHARE`; 0 keeps every activity.

    Returns
    -------
    Model
        ``kind="discovered"``; a sound workflow net by construction (the
        inductive miner's process tree converted to a Petri net).
        ``source`` names the route and its filters.

    Raises
    ------
    ModelError
        If the profile has no variants or pm4py fails.

    Notes
    -----
    Route 1, IMf on the unique variants with their counts, when the variants
    hold at most :data:`IMF_MAX_EVENTS` events and :data:`IMF_MAX_ACTIVITIES`
    activities (before or after the activity filter of route 2).

    Route 2, for larger logs, a directly-follows inductive miner with
    IMf-style filtering, polynomial in the number of activities:

    1. activities in fewer than ``min_case_share`` of the cases are
       projected away (removed from the variants, so their neighbours
       follow each other directly); variants left empty are dropped unless
       they are more than ``noise_threshold`` of the cases;
    2. the directly-follows graph keeps an edge ``a -> b`` when its count
       reaches ``noise_threshold`` times both the largest outgoing count of
       ``a`` (end counts included) and the largest incoming count of ``b``
       (start counts included); dropped links are restored, strongest first,
       where needed to keep every activity on a start-to-end path;
    3. IMd finds cuts on that graph; where a sub-graph of more than
       :data:`DFG_FLOWER_MAX_ACTIVITIES` activities has no cut, its edges are
       filtered again, relative to the sub-graph's own maxima, at each of
       :data:`DFG_NOISE_STEPS` in turn until a cut is found; only then does
       it fall through to a flower.

    Without steps 1 and 3 (the route before) BPIC 2015 municipalities
    (356-410 activities, ~1 variant per case) got near-flower models
    allowing ~150,000 directly-follows pairs, DF-precision 0.07, and every
    unit fitted every model (cross-conformance <= 0.03). With them:
    107-144 activities, 2,200-5,400 pairs, DF-precision 0.37-0.56, 0.3-1.1 s
    per unit (loaded machine, pm4py import excluded), and cross-conformance
    0.29-0.45 with four of five units fitting their own model best. The
    price is self-fitness: directly-follows fitness of a unit on its own
    model 0.67-0.79 (events of dropped activities count as misfit). IMf on
    the same variants had not finished after 8 minutes (56 s even after the
    activity filter).
    """
    v = profile.variants
    counts = {tuple(a): int(c) for a, c in zip(v["variant"], v["cases"])}
    return discover_model_from_variants(
        counts,
        noise_threshold=noise_threshold,
        name=name or profile.unit,
        kind="discovered",
        min_case_share=min_case_share,
    )


def discover_model_from_variants(
    variants: Mapping[tuple[str, ...], int],
    *,
    noise_threshold: float = 0.2,
    name: str = "model",
    kind: str = "discovered",
    min_case_share: float | None = None,
) -> Model:
    """Discover a sound process model from variants and their case counts.

    Parameters
    ----------
    variants : mapping of tuple of str to int
        Unique variants and how many cases follow each.
    noise_threshold : float, default 0.2
        As in :func:`discover_model`.
    name, kind : str
        Stored on the returned :class:`Model`.
    min_case_share : float, optional
        As in :func:`discover_model` (directly-follows route only).

    Returns
    -------
    Model

    Raises
    ------
    ModelError
        If there are no variants, a threshold is outside [0, 1), or pm4py fails.
    """
    if not 0.0 <= noise_threshold < 1.0:
        raise ModelError(f"noise threshold must be in [0, 1), got {noise_threshold}")
    share = DFG_MIN_CASE_SHARE if min_case_share is None else float(min_case_share)
    if not 0.0 <= share < 1.0:
        raise ModelError(f"minimum case share must be in [0, 1), got {share}")
    uvcl = Counter({tuple(k): int(c) for k, c in variants.items() if c > 0})
    if not uvcl:
        raise ModelError(f"{name}: no variants to discover a model from")
    pm4py = _pm4py()
    try:
        with _quiet():
            from pm4py.objects.process_tree.utils import generic as pt_util

            if _imf_feasible(uvcl):
                tree = _imf(uvcl, noise_threshold)
                route = f"IMf(noise={noise_threshold:g}) on {len(uvcl)} variants"
            else:
                sub, kept, n_acts = _project_frequent(uvcl, share, noise_threshold)
                what = f"{len(kept)} of {n_acts} activities (in >= {share:.0%} of cases)"
                if _imf_feasible(sub):
                    tree = _imf(sub, noise_threshold)
                    route = f"IMf(noise={noise_threshold:g}) on {len(sub)} variants of {what}"
                else:
                    tree, n_edges = _imd_filtered(sub, noise_threshold)
                    route = (
                        f"IMd with IMf-style filtering (noise={noise_threshold:g}, "
                        f"refiltered up to {max(DFG_NOISE_STEPS, default=noise_threshold):g}) "
                        f"on {what}, {n_edges} edges"
                    )
            tree = pt_util.fold(tree)
            pt_util.tree_sort(tree)
            net, im, fm = pm4py.convert_to_petri_net(tree)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"{name}: model discovery failed: {_one_line(exc)}") from None
    return _model(net, im, fm, name=name, kind=kind, source=route, tree=tree)


def _imf_feasible(uvcl: Mapping[tuple[str, ...], int]) -> bool:
    acts = {a for var in uvcl for a in var}
    return sum(len(var) for var in uvcl) <= IMF_MAX_EVENTS and len(acts) <= IMF_MAX_ACTIVITIES


def _imf(uvcl: Counter, noise: float):
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL

    params = {"noise_threshold": noise, "multiprocessing": False}
    return IMFUVCL(params).apply(IMDataStructureUVCL(uvcl), params)


def _project_frequent(uvcl: Mapping[tuple[str, ...], int], share: float, noise: float):
    """Variants with activities found in fewer than ``share`` of the cases removed.

    Returns the projected variants (empty ones dropped unless they are more
    than ``noise`` of the cases; never all of them), the kept activities
    and the number of activities before.
    """
    n = sum(uvcl.values())
    in_cases: Counter = Counter()
    for var, c in uvcl.items():
        for a in set(var):
            in_cases[a] += c
    kept = {a for a, c in in_cases.items() if c >= share * n}
    if not kept and in_cases:  # keep at least the most frequent activity
        kept = {max(sorted(in_cases), key=in_cases.__getitem__)}
    out: Counter = Counter()
    for var, c in uvcl.items():
        out[tuple(a for a in var if a in kept)] += c
    if () in out and out[()] <= noise * n and len(out) > 1:
        del out[()]
    return out, kept, len(in_cases)


_IMFD = None


def _imd_filtered(uvcl: Mapping[tuple[str, ...], int], noise: float):
    """IMd on the filtered directly-follows graph, refiltering sub-graphs without a cut."""
    global _IMFD
    from pm4py.algo.discovery.inductive.dtypes.im_dfg import InductiveDFG
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureDFG
    from pm4py.objects.dfg.obj import DFG

    if _IMFD is None:
        from pm4py.algo.discovery.inductive.fall_through.empty_traces import EmptyTracesDFG
        from pm4py.algo.discovery.inductive.variants.imd import IMD

        class _IMfD(IMD):
            """IMd that, where no cut exists, filters the sub-graph harder and retries."""

            noise = 0.2

            def apply(self, obj, parameters=None):
                empty = EmptyTracesDFG.apply(obj, parameters=parameters)
                if empty is not None:
                    return self._recurse(empty[0], empty[1], parameters)
                tree = self.apply_base_cases(obj, parameters)
                if tree is not None:
                    return tree
                cut = self.find_cut(obj, parameters)
                if cut is None:
                    cut = self._filtered_cut(obj, parameters)
                if cut is None:
                    cut = self.fall_through(obj, parameters)
                return self._recurse(cut[0], cut[1], parameters)

            def _filtered_cut(self, obj, parameters):
                d = obj.dfg
                graph = Counter(d.graph)
                starts, ends = Counter(d.start_activities), Counter(d.end_activities)
                acts = set(starts) | set(ends) | {a for e in graph for a in e}
                if len(acts) <= DFG_FLOWER_MAX_ACTIVITIES or not graph:
                    return None
                for step in DFG_NOISE_STEPS:
                    kept, s_kept, e_kept = _filter_dfg(graph, starts, ends, max(step, self.noise))
                    if len(kept) == len(graph) and len(s_kept) == len(starts) and len(e_kept) == len(ends):
                        continue
                    sub = IMDataStructureDFG(
                        InductiveDFG(DFG(kept, s_kept, e_kept), skip=obj.data_structure.skip)
                    )
                    cut = self.find_cut(sub, parameters)
                    if cut is not None:
                        return cut
                return None

        _IMFD = _IMfD

    graph, starts, ends = _dfg(uvcl)
    kept, s_kept, e_kept = _filter_dfg(graph, starts, ends, noise)
    idfg = InductiveDFG(dfg=DFG(kept, s_kept, e_kept), skip=() in uvcl)
    miner = _IMFD({})
    miner.noise = noise
    try:
        return miner.apply(IMDataStructureDFG(idfg), {}), len(kept)
    except Exception:  # a degenerate refiltered sub-graph: plain IMd on the filtered graph
        from pm4py.algo.discovery.inductive.variants.imd import IMD

        return IMD({}).apply(IMDataStructureDFG(idfg), {}), len(kept)


# ----------------------------------------------------------------------------
# token replay

_FITNESS_CACHE: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


def replay_fitness(variants: Sequence[tuple[str, ...]], model: Model) -> np.ndarray:
    """Token-based replay fitness of each variant on a model.

    Parameters
    ----------
    variants : sequence of tuple of str
        Unique variants (duplicates are allowed and replayed once).
    model : Model

    Returns
    -------
    ndarray of float, shape (len(variants),)
        pm4py's ``trace_fitness`` per variant, in [0, 1].

    Raises
    ------
    ModelError
        If pm4py's replay fails.

    Notes
    -----
    Only variants not seen before on this model are replayed, on a log with
    one trace per variant; results are cached per (model, variant).
    """
    cache = _FITNESS_CACHE.setdefault(model, {})
    keys = [tuple(v) for v in variants]
    todo = list(dict.fromkeys(k for k in keys if k not in cache))
    if todo:
        _pm4py()
        try:
            with _quiet():
                from pm4py.algo.conformance.tokenreplay import algorithm as token_replay

                res = token_replay.apply(
                    _event_log(todo),
                    model.net,
                    model.initial_marking,
                    model.final_marking,
                    parameters={"show_progress_bar": False},
                )
        except Exception as exc:
            raise ModelError(f"{model.name}: token replay failed: {_one_line(exc)}") from None
        for k, r in zip(todo, res):
            cache[k] = float(r["trace_fitness"])
    return np.array([cache[k] for k in keys], dtype=float)


# ----------------------------------------------------------------------------
# alignments

_ALIGN_CACHE: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()
_MODEL_INFO: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


def align_variants(
    variants: Sequence[tuple[str, ...]], model: Model, *, timeout_s: float = 2.0, method: str = "auto"
) -> list[Alignment]:
    """Optimal alignment of each variant to a model, with exact fallbacks.

    Parameters
    ----------
    variants : sequence of tuple of str
        Unique variants.
    model : Model
    timeout_s : float, default 2.0
        Time bound of pm4py's A* per variant.
    method : {"auto", "dfg", "astar"}, default "auto"
        ``"auto"``: exact on the model's state space when it is small
        enough, else the enumerated language when that is small enough
        (exact), else the directly-follows route; deterministic, so two
        runs give the same backlog. ``"dfg"``: always the directly-follows route (fast;
        for many variants). ``"astar"``: the chain below with pm4py's A*,
        exact but time-bounded and, because pm4py breaks ties in an order
        that changes between runs, not reproducible byte for byte.

    Returns
    -------
    list of Alignment
        One per variant, in order (cached per model, method and variant).

    Raises
    ------
    ModelError
        If the model's final marking cannot be reached at all.

    Notes
    -----
    Large models (more than :data:`DFG_MIN_ACTIVITIES` visible activities;
    see :func:`alignment_method`) are aligned with ``dfg``: an optimal
    alignment of the variant to the language of the model's
    directly-follows graph (:func:`model_graph`; paths from a start to an
    end activity). The graph is an automaton (:func:`_dfg_space`: the
    state is the last activity) and the alignment the shortest path of
    :mod:`divergence.statespace`, all variants at once. Optimal for the
    directly-follows language, which contains the model's language (it
    equals it for models without concurrency or long-distance
    dependencies), so it never overstates deviations; ``exact=False``.
    Variants longer than :data:`DFG_MAX_VARIANT_LEN` get ``alphabet``.
    Variants longer than :data:`ASTAR_MAX_VARIANT_LEN` events take ``dfg``
    for every model: A* on them can take minutes.

    Other models with ``method="auto"``: ``state-space``, an optimal
    alignment on the model's reachability graph (exact, deterministic, all
    variants at once; :mod:`divergence.statespace`) when it has at most
    :data:`EXACT_MAX_STATES` markings; else ``language`` (1 below) when the
    enumeration completes, else ``dfg``. With ``method="astar"``, in order:

    Other models with ``method="auto"``: ``language`` (1 below) when the
    enumeration completes, else ``dfg``. With ``method="astar"``, in order:

    1. ``language``: the model's visible language is enumerated up to
       length ``2 * len(variant) + shortest path`` (no longer model trace can
       be closer than the shortest one); if the enumeration completes within
       :data:`LANGUAGE_MAX_TRACES` traces and :data:`LANGUAGE_MAX_STATES`
       states, the closest trace by indel distance (log and model moves
       only) gives an optimal alignment (``exact=True``). It comes first
       because whether it applies depends on counts, not time: results do
       not change with the load of the machine.
    2. ``astar``: pm4py's state-equation A* (standard costs: log and visible
       model moves 1, silent moves 0) within ``timeout_s``, skipped for
       models with more than :data:`ASTAR_MAX_TRANSITIONS` transitions.
    3. ``bounded-language``: the closest trace of the truncated enumeration
       (``exact=False``).
    4. ``alphabet``: last resort when no model trace was enumerated; events
       outside the model's alphabet are log moves, all others synchronous
       (``exact=False``; optimistic).
    """
    if method not in ("auto", "dfg", "astar"):
        raise ValueError(f"unknown alignment method {method!r}; valid: auto, dfg, astar")
    cache = _ALIGN_CACHE.setdefault(model, {}).setdefault(method, {})
    keys = [tuple(v) for v in variants]
    todo = [k for k in dict.fromkeys(keys) if k not in cache]
    if todo:
        dfg_all = method == "dfg" or alignment_method(model) == "dfg"
        exact = _exact_space(model) if method == "auto" and not dfg_all else None
        via_dfg = [k for k in todo if dfg_all or len(k) > ASTAR_MAX_VARIANT_LEN]
        rest = [k for k in todo if not (dfg_all or len(k) > ASTAR_MAX_VARIANT_LEN)]
        if exact is not None and rest:
            for k, (moves, cost) in zip(rest, statespace.align_many(exact, rest)):
                cache[k] = _alignment(k, _moves(moves), exact.shortest, True, "state-space", cost)
            rest = []
        cache.update(zip(via_dfg, _align_dfg_many(via_dfg, model)))
        for k in rest:
            cache[k] = _align_one(k, model, timeout_s, method)
    return [cache[k] for k in keys]


def alignment_method(model: Model) -> str:
    """Alignment route :func:`align_variants` takes for a model: ``"dfg"`` or ``"astar"``.

    ``"dfg"`` for models with more than :data:`DFG_MIN_ACTIVITIES` visible
    activities; ``"astar"`` (with its fallbacks) otherwise. The rule depends on
    the model only, so every unit aligned to one target uses one method.
    """
    return "dfg" if len(model.activities) > DFG_MIN_ACTIVITIES else "astar"


def _align_one(trace: tuple[str, ...], model: Model, timeout_s: float, method: str = "auto") -> Alignment:
    info = _model_info(model)
    shortest = info["shortest"]
    # the enumerated language first: whether it completes depends on counts,
    # not on time, so the result is the same on a busy machine
    cands, complete = _language(model, 2 * len(trace) + shortest)
    if complete and cands:
        return _alignment(trace, _indel_moves(trace, _closest(trace, cands)), shortest, True, "language")
    if method == "auto":
        # pm4py's A* breaks ties by iterating over sets of transitions, whose
        # order changes between runs; the default stays deterministic
        return _align_dfg(trace, model)
    if info["astar"]:
        moves = _astar(trace, model, timeout_s)
        if moves is not None:
            return _alignment(trace, moves, shortest, True, "astar")
    if cands:
        method = "language" if complete else "bounded-language"
        return _alignment(trace, _indel_moves(trace, _closest(trace, cands)), shortest, complete, method)
    moves = tuple(Move("sync" if a in model.activities else "log", a) for a in trace)
    return _alignment(trace, moves, shortest, False, "alphabet")


def _closest(trace: tuple[str, ...], cands) -> tuple[str, ...]:
    """The model trace nearest to ``trace`` by indel distance (ties: shorter, then sorted)."""
    from rapidfuzz.distance import Indel

    return min(cands, key=lambda t: (Indel.distance(trace, t), len(t), t))


def _dfg_space(model: Model) -> statespace.StateSpace:
    """The model's directly-follows graph as an automaton (cached).

    State 0 is the start, states 1..k the activities (sorted; being in
    state ``a`` means ``a`` was the last step), state k+1 the end. An edge
    ``a -> b`` of the graph is a move labelled ``b`` into state ``b``; start
    activities are entered from state 0; end activities reach the end
    through a silent move (so does the start when the model accepts the
    empty trace).
    """
    g = _graph(model)
    ss = g.get("dfg_space")
    if ss is None:
        acts = sorted(set(g["activities"]).union(*g["edges"], g["start"], g["end"]))
        node = {a: i + 1 for i, a in enumerate(acts)}
        end = len(acts) + 1
        visible: list[list[tuple[str, int]]] = [[] for _ in range(end + 1)]
        silent: list[list[int]] = [[] for _ in range(end + 1)]
        visible[0] = [(b, node[b]) for b in sorted(g["start"])]
        for a, b in sorted(g["edges"]):
            visible[node[a]].append((b, node[b]))
        for a in sorted(g["end"]):
            silent[node[a]].append(end)
        if g.get("empty"):
            silent[0].append(end)
        ss = statespace.StateSpace(end + 1, end, acts, silent, visible)
        if ss.shortest >= statespace.BIG:
            raise ModelError(f"{model.name}: the model's directly-follows graph has no start-to-end path")
        g["dfg_space"] = ss
    return ss


def _align_dfg_many(traces: Sequence[tuple[str, ...]], model: Model) -> list[Alignment]:
    """Optimal alignments to the language of the model's directly-follows graph (``exact=False``)."""
    if not traces:
        return []
    ss = _dfg_space(model)
    short = [t for t in traces if len(t) <= DFG_MAX_VARIANT_LEN]
    done = dict(zip(short, statespace.align_many(ss, short)))
    out = []
    for t in traces:
        if t in done:
            moves, cost = done[t]
            out.append(_alignment(t, _moves(moves), ss.shortest, False, "dfg", cost))
        else:
            moves = tuple(Move("sync" if a in model.activities else "log", a) for a in t)
            out.append(_alignment(t, moves, ss.shortest, False, "alphabet"))
    return out


def _align_dfg(trace: tuple[str, ...], model: Model) -> Alignment:
    return _align_dfg_many([trace], model)[0]


class _MoveBook(dict):
    """One shared :class:`Move` per (kind, activity): alignments repeat a few moves many times."""

    def __missing__(self, key: tuple[str, str]) -> Move:
        self[key] = Move(*key)
        return self[key]


_MOVE_BOOK = _MoveBook()


def _moves(pairs: Sequence[tuple[str, str]]) -> tuple[Move, ...]:
    return tuple(map(_MOVE_BOOK.__getitem__, pairs))


def exact_alignment_possible(model: Model) -> bool:
    """Whether the model's state space is small enough for exact alignments (:data:`EXACT_MAX_STATES`)."""
    return _exact_space(model) is not None


def alignment_fitness(variants: Sequence[tuple[str, ...]], model: Model) -> np.ndarray | None:
    """Optimal-alignment fitness of each variant, vectorised; None for a model too large.

    Parameters
    ----------
    variants : sequence of tuple of str
    model : Model

    Returns
    -------
    ndarray of float, shape (len(variants),), or None
        ``1 - cost / (len(variant) + shortest model path)`` with the standard
        costs (log and visible model moves 1), as :attr:`Alignment.fitness`;
        exact. None when the model has more than :data:`EXACT_MAX_STATES`
        reachable markings.
    """
    ss = _exact_space(model)
    if ss is None:
        return None
    cost = statespace.alignment_costs(ss, variants).astype(float)
    den = np.array([len(v) for v in variants], dtype=float) + ss.shortest
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = np.where(den > 0, 1.0 - cost / den, 1.0)
    return np.clip(fit, 0.0, 1.0)


def df_fitness(variants: Sequence[tuple[str, ...]], model: Model, *, count_unknown: bool = True) -> np.ndarray:
    """Directly-follows fitness of each variant on a model.

    Parameters
    ----------
    variants : sequence of tuple of str
    model : Model
    count_unknown : bool, default True
        With ``False`` events of activities the model lacks are removed
        from the variant first (as token replay ignores them); with
        ``True`` they stay, so their pairs count as not allowed.

    Returns
    -------
    ndarray of float, shape (len(variants),)
        Share of the variant's ``len + 1`` features (start activity, each
        directly-follows pair, end activity) that :func:`model_graph`
        allows; for the empty variant 1.0 if the model accepts the empty
        trace, else 0.0.

    Notes
    -----
    A linear-time stand-in for token replay on large models: it checks
    the behaviour against the model's directly-follows relation, so it
    cannot see concurrency or long-distance constraints (it is never
    below the fitness the same check gives on the exact language).
    """
    g = _graph(model)
    book = {a: i for i, a in enumerate(sorted(g["activities"].union(*g["edges"], g["start"], g["end"])))}
    unknown, first, last = len(book), len(book) + 1, len(book) + 2  # codes outside the model
    k = len(book) + 3
    allowed = np.array(
        sorted(
            [first * k + book[b] for b in g["start"]]
            + [book[a] * k + book[b] for a, b in g["edges"]]
            + [book[a] * k + last for a in g["end"]]
        ),
        dtype=np.int64,
    )
    # all events in one array of codes; every event is paired with the one before
    # it (or "start"), and every variant's last event with "end"
    lengths = np.fromiter((len(v) for v in variants), dtype=np.int64, count=len(variants))
    codes = np.fromiter((book.get(a, unknown) for v in variants for a in v), dtype=np.int64, count=int(lengths.sum()))
    if not count_unknown:
        known = codes != unknown
        owner = np.repeat(np.arange(len(variants)), lengths)
        lengths = np.bincount(owner[known], minlength=len(variants)).astype(np.int64)
        codes = codes[known]
    ends = np.cumsum(lengths)
    starts = ends - lengths
    full = lengths > 0
    prev = np.empty_like(codes)
    prev[1:] = codes[:-1]
    prev[starts[full]] = first
    ok = np.isin(prev * k + codes, allowed).astype(np.int64)
    per_variant = np.add.reduceat(ok, starts[full]) if len(codes) else np.zeros(0, dtype=np.int64)
    out = np.full(len(variants), 1.0 if g.get("empty") else 0.0)
    closing = np.isin(codes[ends[full] - 1] * k + last, allowed)
    out[full] = (per_variant + closing) / (lengths[full] + 1)
    return out


def _alignment(trace, moves, shortest, exact, method, dev: int | None = None) -> Alignment:
    if dev is None:
        dev = sum(m.kind != "sync" for m in moves)
    den = len(trace) + shortest
    fit = 1.0 - dev / den if den > 0 else 1.0
    return Alignment(tuple(trace), tuple(moves), float(min(1.0, max(0.0, fit))), exact, method)


def _model_info(model: Model) -> dict:
    """Per-model facts for alignments: shortest visible path, A* allowed."""
    info = _MODEL_INFO.get(model)
    if info is None:
        shortest = _shortest_path(model)
        if shortest is None:
            raise ModelError(f"{model.name}: the model's final marking is not reachable")
        info = {
            "shortest": shortest,
            "astar": len(model.net.transitions) <= ASTAR_MAX_TRANSITIONS,
            "language": None,
        }
        _MODEL_INFO[model] = info
    return info


def _astar(trace, model: Model, timeout_s: float) -> tuple[Move, ...] | None:
    _pm4py()
    try:
        with _quiet():
            from pm4py.algo.conformance.alignments.petri_net.variants import (
                state_equation_a_star as astar,
            )

            res = astar.apply(
                _event_log([trace])[0],
                model.net,
                model.initial_marking,
                model.final_marking,
                parameters={astar.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: timeout_s},
            )
    except Exception:  # numerical trouble in the LP: use the fallbacks
        return None
    if res is None or res.get("alignment") is None:
        return None
    moves = []
    for log_label, model_label in res["alignment"]:
        if log_label != ">>" and model_label != ">>":
            moves.append(Move("sync", log_label))
        elif log_label != ">>":
            moves.append(Move("log", log_label))
        elif model_label is not None:
            moves.append(Move("model", model_label))
    return tuple(moves)


def _indel_moves(trace: Sequence[str], target: Sequence[str]) -> tuple[Move, ...]:
    """Optimal log/model/sync moves turning ``trace`` into ``target`` (LCS)."""
    n, m = len(trace), len(target)
    lcs = np.zeros((n + 1, m + 1), dtype=np.int32)
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            if trace[i] == target[j]:
                lcs[i, j] = lcs[i + 1, j + 1] + 1
            else:
                lcs[i, j] = max(lcs[i + 1, j], lcs[i, j + 1])
    moves, i, j = [], 0, 0
    while i < n or j < m:
        if i < n and j < m and trace[i] == target[j] and lcs[i, j] == lcs[i + 1, j + 1] + 1:
            moves.append(Move("sync", trace[i]))
            i, j = i + 1, j + 1
        elif i < n and (j == m or lcs[i + 1, j] >= lcs[i, j + 1]):
            moves.append(Move("log", trace[i]))
            i += 1
        else:
            moves.append(Move("model", target[j]))
            j += 1
    return tuple(moves)


# ----------------------------------------------------------------------------
# Petri net state space (for the fallbacks)


def _compile(model: Model):
    """Places as indices; transitions as (label or None, pre, post) tuples."""
    places = {p: i for i, p in enumerate(sorted(model.net.places, key=lambda p: str(p.name)))}
    trans = []
    for t in sorted(model.net.transitions, key=lambda t: (str(t.name), str(t.label))):
        pre = Counter({places[a.source]: a.weight for a in t.in_arcs})
        post = Counter({places[a.target]: a.weight for a in t.out_arcs})
        trans.append((t.label, tuple(sorted(pre.items())), post))

    def marking(mk) -> tuple:
        return tuple(sorted((places[p], c) for p, c in mk.items() if c > 0))

    return trans, marking(model.initial_marking), marking(model.final_marking)


_enabled = statespace.successors


def _shortest_path(model: Model) -> int | None:
    """Fewest visible transitions from the initial to the final marking (0-1 BFS)."""
    trans, start, final = _compile(model)
    dist = {start: 0}
    dq = deque([(0, start)])
    expanded = 0
    while dq and expanded < SHORTEST_MAX_STATES:
        d, s = dq.popleft()
        if d > dist.get(s, d):
            continue
        if s == final:
            return d
        expanded += 1
        for label, nxt in _enabled(s, trans):
            nd = d + (label is not None)
            if nd < dist.get(nxt, nd + 1):
                dist[nxt] = nd
                (dq.append if label is not None else dq.appendleft)((nd, nxt))
    return None


def _language(model: Model, max_len: int) -> tuple[list[tuple[str, ...]], bool]:
    """Visible traces of length <= max_len, shortest first; and whether complete.

    The enumeration is cached per model; it is redone for a longer
    ``max_len`` only when the cached one was complete (a truncated
    enumeration would stop at the same bound again).
    """
    info = _MODEL_INFO[model]
    cached = info["language"]
    if cached is not None and (cached[2] >= max_len or not cached[1]):
        lang, complete, _ = cached
        return ([t for t in lang if len(t) <= max_len] if complete else lang), complete
    if cached is not None:
        max_len = max(max_len, 2 * cached[2])
    trans, start, final = _compile(model)
    seen = {(start, ())}
    heap = [(0, (), start)]
    out: set[tuple[str, ...]] = set()
    complete = True
    expanded = 0
    while heap:
        if expanded >= LANGUAGE_MAX_STATES or len(out) >= LANGUAGE_MAX_TRACES:
            complete = False
            break
        _, prefix, s = heapq.heappop(heap)
        expanded += 1
        if s == final:
            out.add(prefix)
        for label, nxt in _enabled(s, trans):
            p2 = prefix if label is None else prefix + (label,)
            if len(p2) <= max_len and (nxt, p2) not in seen:
                seen.add((nxt, p2))
                heapq.heappush(heap, (len(p2), p2, nxt))
    lang = sorted(out, key=lambda t: (len(t), t))
    info["language"] = (lang, complete, max_len)
    return lang, complete


# ----------------------------------------------------------------------------
# directly-follows relation of a model's language

_GRAPH_CACHE: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


def model_graph(model: Model) -> dict:
    """Directly-follows relation of a model's language.

    Parameters
    ----------
    model : Model

    Returns
    -------
    dict
        ``{"activities": set[str], "edges": set[tuple[str, str]],
        "start": set[str], "end": set[str]}`` (fresh sets; the caller may
        modify them). ``(a, b)`` is an edge when ``b`` can fire right after
        ``a`` with only silent transitions between; ``start``: visible
        transitions reachable from the initial marking through silent ones;
        ``end``: visible transitions after which the final marking is
        reachable through silent ones.

    Notes
    -----
    Computed on the Petri net's reachability graph with silent-transition
    closure (exact), exploring at most :data:`GRAPH_MAX_STATES` markings.
    Beyond that (or for unbounded nets) it falls back to the process tree's
    directly-follows relation (``first``/``last``/``follows`` sets of each
    operator; parallel branches interleave freely), or, without a tree, to a
    structural approximation of the net (``a`` -> ``b`` when a place after
    ``a`` leads to ``b`` through silent transitions). Both fallbacks
    over-approximate the language's relation. The method used is given by
    :func:`model_graph_method`. Cached per model.
    """
    g = _graph(model)
    return {
        "activities": set(g["activities"]),
        "edges": set(g["edges"]),
        "start": set(g["start"]),
        "end": set(g["end"]),
    }


def model_graph_method(model: Model) -> str:
    """How :func:`model_graph` was computed: ``"reachability"``, ``"tree"`` or ``"structure"``."""
    return _graph(model)["method"]


_SPACE_CACHE: "weakref.WeakKeyDictionary[Model, object]" = weakref.WeakKeyDictionary()


def _state_space(model: Model) -> "statespace.StateSpace | None":
    """The model's reachability graph (cached), or None beyond :data:`GRAPH_MAX_STATES` markings."""
    if model not in _SPACE_CACHE:
        trans, start, final = _compile(model)
        _SPACE_CACHE[model] = statespace.explore(trans, start, final, GRAPH_MAX_STATES)
    return _SPACE_CACHE[model]


def _exact_space(model: Model) -> "statespace.StateSpace | None":
    """The state space when small enough for exact alignments (:data:`EXACT_MAX_STATES`)."""
    ss = _state_space(model)
    return ss if ss is not None and ss.n <= EXACT_MAX_STATES and ss.final >= 0 else None


def _graph(model: Model) -> dict:
    g = _GRAPH_CACHE.get(model)
    if g is None:
        g = _graph_reachability(model)
        if g is None and model.tree is not None:
            g = _graph_tree(model.tree)
        if g is None:
            g = _graph_structure(model)
        g["activities"] = frozenset(model.activities)
        for k in ("edges", "start", "end"):
            g[k] = frozenset(g[k])
        _GRAPH_CACHE[model] = g
    return g


def _graph_reachability(model: Model) -> dict | None:
    ss = _state_space(model)
    if ss is None:
        return None
    silent, visible, n = ss.silent, ss.visible, ss.n
    # nxt[s]: visible labels that can fire from s after silent steps only
    nxt_labels = [set(lbl for lbl, _ in visible[s]) for s in range(n)]
    rev: list[list[int]] = [[] for _ in range(n)]
    for s in range(n):
        for j in silent[s]:
            rev[j].append(s)
    work = deque(range(n))
    queued = [True] * n
    while work:
        j = work.popleft()
        queued[j] = False
        for s in rev[j]:
            if not nxt_labels[j] <= nxt_labels[s]:
                nxt_labels[s] |= nxt_labels[j]
                if not queued[s]:
                    queued[s] = True
                    work.append(s)
    # fin[s]: the final marking is reachable from s through silent steps only
    fin = [False] * n
    if ss.final >= 0:
        f = ss.final
        fin[f] = True
        stack = [f]
        while stack:
            for s in rev[stack.pop()]:
                if not fin[s]:
                    fin[s] = True
                    stack.append(s)
    edges, ends = set(), set()
    for s in range(n):
        for a, j in visible[s]:
            edges.update((a, b) for b in nxt_labels[j])
            if fin[j]:
                ends.add(a)
    return {
        "edges": edges,
        "start": set(nxt_labels[0]),
        "end": ends,
        "empty": fin[0],
        "method": "reachability",
    }


def _graph_tree(tree) -> dict:
    """Directly-follows relation of a process tree (over-approximated for +, O, <>)."""
    from pm4py.objects.process_tree.obj import Operator

    def walk(t):
        # returns (nullable, first, last, edges, activities)
        if not t.children:
            if t.label is None:
                return True, set(), set(), set(), set()
            return False, {t.label}, {t.label}, set(), {t.label}
        parts = [walk(c) for c in t.children]
        op = t.operator
        edges = set().union(*(p[3] for p in parts))
        acts = set().union(*(p[4] for p in parts))
        if op == Operator.SEQUENCE:
            first, last, nullable = set(), set(), True
            for p in parts:
                if nullable:
                    first |= p[1]
                nullable = nullable and p[0]
            nullable_r = True
            for p in reversed(parts):
                if nullable_r:
                    last |= p[2]
                nullable_r = nullable_r and p[0]
            for i, p in enumerate(parts):
                for q in parts[i + 1 :]:
                    edges.update((a, b) for a in p[2] for b in q[1])
                    if not q[0]:
                        break
            return nullable, first, last, edges, acts
        if op == Operator.XOR:
            return (
                any(p[0] for p in parts),
                set().union(*(p[1] for p in parts)),
                set().union(*(p[2] for p in parts)),
                edges,
                acts,
            )
        if op == Operator.LOOP:
            do, redo = parts[0], parts[1:]
            r_first = set().union(*(p[1] for p in redo))
            r_last = set().union(*(p[2] for p in redo))
            r_null = any(p[0] for p in redo)
            edges.update((a, b) for a in do[2] for b in r_first)
            edges.update((a, b) for a in r_last for b in do[1])
            if r_null or do[0]:
                edges.update((a, b) for a in do[2] | r_last for b in do[1] | r_first)
            first = set(do[1]) | (r_first if do[0] else set())
            last = set(do[2]) | (r_last if do[0] else set())
            return do[0], first, last, edges, acts
        # parallel, interleaving, or, partial order: any interleaving of the branches
        for i, p in enumerate(parts):
            for j, q in enumerate(parts):
                if i != j:
                    edges.update((a, b) for a in p[4] for b in q[4])
        nullable = any(p[0] for p in parts) if op == Operator.OR else all(p[0] for p in parts)
        return (
            nullable,
            set().union(*(p[1] for p in parts)),
            set().union(*(p[2] for p in parts)),
            edges,
            acts,
        )

    nullable, first, last, edges, _ = walk(tree)
    return {"edges": edges, "start": first, "end": last, "empty": nullable, "method": "tree"}


def _graph_structure(model: Model) -> dict:
    """Structural approximation: visible successors through places and silent transitions."""
    net = model.net

    def visible_after_places(places) -> set[str]:
        out, seen_t, stack = set(), set(), list(places)
        seen_p = set(stack)
        while stack:
            p = stack.pop()
            for arc in p.out_arcs:
                t = arc.target
                if t.label is not None:
                    out.add(t.label)
                elif t not in seen_t:
                    seen_t.add(t)
                    for a2 in t.out_arcs:
                        if a2.target not in seen_p:
                            seen_p.add(a2.target)
                            stack.append(a2.target)
        return out

    def reaches_final(places) -> bool:
        final = set(model.final_marking)
        seen, stack = set(places), list(places)
        while stack:
            p = stack.pop()
            if p in final:
                return True
            for arc in p.out_arcs:
                if arc.target.label is None:
                    for a2 in arc.target.out_arcs:
                        if a2.target not in seen:
                            seen.add(a2.target)
                            stack.append(a2.target)
        return False

    edges, ends = set(), set()
    for t in net.transitions:
        if t.label is None:
            continue
        post = [a.target for a in t.out_arcs]
        edges.update((t.label, b) for b in visible_after_places(post))
        if reaches_final(post):
            ends.add(t.label)
    start = visible_after_places(list(model.initial_marking))
    empty = reaches_final(list(model.initial_marking))
    return {"edges": edges, "start": start, "end": ends, "empty": empty, "method": "structure"}


# ----------------------------------------------------------------------------
# helpers


def _dfg(uvcl: Mapping[tuple[str, ...], int]) -> tuple[Counter, Counter, Counter]:
    """Directly-follows, start and end counts of variants."""
    graph: Counter = Counter()
    starts: Counter = Counter()
    ends: Counter = Counter()
    for var, c in uvcl.items():
        if not var:
            continue
        starts[var[0]] += c
        ends[var[-1]] += c
        for a, b in zip(var, var[1:]):
            graph[(a, b)] += c
    return graph, starts, ends


def _filter_dfg(graph: Mapping, starts: Mapping, ends: Mapping, noise: float):
    """Directly-follows graph with infrequent edges dropped, kept connected.

    An edge ``a -> b`` is kept when its count reaches ``noise`` times the
    largest outgoing count of ``a`` (its end count included) and ``noise``
    times the largest incoming count of ``b`` (its start count included);
    start and end activities are kept against the most frequent start, and
    against the activity's own largest outgoing count. Then, while some
    activity is unreachable from a start activity (or cannot reach an end
    activity), its strongest dropped link from the reachable part is
    restored, so that every activity stays on a start-to-end path (IMd
    needs this). Returns new Counters (graph, starts, ends).
    """
    out_max: Counter = Counter()
    in_max: Counter = Counter()
    for (a, b), c in graph.items():
        out_max[a] = max(out_max[a], c)
        in_max[b] = max(in_max[b], c)
    for a, c in ends.items():
        out_max[a] = max(out_max[a], c)
    for a, c in starts.items():
        in_max[a] = max(in_max[a], c)
    kept = {e: c for e, c in graph.items() if c >= noise * out_max[e[0]] and c >= noise * in_max[e[1]]}
    s_max = max(starts.values(), default=0)
    s_kept = {a: c for a, c in starts.items() if c >= noise * s_max}
    e_kept = {a: c for a, c in ends.items() if c >= noise * out_max[a]}
    acts = set(starts) | set(ends) | {a for e in graph for a in e}
    for forward in (True, False):
        src, dst = (s_kept, starts) if forward else (e_kept, ends)
        while True:
            reach = _reach(src, kept, forward)
            missing = acts - reach
            if not missing:
                break
            best: dict[str, tuple[int, tuple | None]] = {}
            for b in missing:
                if b in dst:
                    best[b] = (dst[b], None)
            for (a, b), c in graph.items():
                x, y = (a, b) if forward else (b, a)
                if x in reach and y in missing and c > best.get(y, (-1, None))[0]:
                    best[y] = (c, (a, b))
            if not best:  # cannot happen for variant-derived graphs
                break
            for b, (c, e) in best.items():
                if e is None:
                    src[b] = c
                else:
                    kept[e] = c
    return Counter(kept), Counter(s_kept), Counter(e_kept)


def _reach(seeds: Iterable[str], edges: Mapping[tuple[str, str], int], forward: bool) -> set[str]:
    adj: dict[str, list[str]] = {}
    for a, b in edges:
        x, y = (a, b) if forward else (b, a)
        adj.setdefault(x, []).append(y)
    seen = set(seeds)
    stack = list(seen)
    while stack:
        for y in adj.get(stack.pop(), ()):
            if y not in seen:
                seen.add(y)
                stack.append(y)
    return seen


def _model(net, im, fm, *, name: str, kind: str, source: str, tree=None) -> Model:
    acts = frozenset(t.label for t in net.transitions if t.label is not None)
    return Model(name, kind, net, im, fm, acts, source, tree)


def _event_log(traces: Sequence[tuple[str, ...]]):
    from pm4py.objects.log.obj import Event, EventLog, Trace

    log = EventLog()
    for i, tr in enumerate(traces):
        t = Trace([Event({"concept:name": a}) for a in tr])
        t.attributes["concept:name"] = str(i)
        log.append(t)
    return log


def _refuse_entities(p: Path) -> None:
    """Refuse XML with a DOCTYPE declaring entities (billion laughs, XXE)."""
    head = p.read_bytes()
    low = head.lower()
    if b"<!doctype" in low and b"<!entity" in low:
        raise ModelError(f"{p}: XML entity declarations are not allowed in model files")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


@contextlib.contextmanager
def _quiet():
    """Silence pm4py: stdout, stderr and warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield


_PM4PY = None


def _pm4py():
    """Import pm4py once, quietly, with progress bars and internal warnings off."""
    global _PM4PY
    if _PM4PY is None:
        with _quiet():
            import pm4py
            from pm4py.util import constants

            constants.SHOW_PROGRESS_BAR = False
            constants.SHOW_INTERNAL_WARNINGS = False
        _PM4PY = pm4py
    return _PM4PY
