"""The single door to pm4py: model files, discovery, token replay and A*.

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
import io
import sys
import warnings
import weakref
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .dfgfilter import dfg_counts, filter_dfg, project_frequent
from .net import MAX_MODEL_BYTES, MODEL_SUFFIXES, Model, one_line as _one_line, refuse_entities as _refuse_entities

__all__ = [
    "Model",
    "MODEL_SUFFIXES",
    "read_model",
    "discover_model",
    "discover_model_from_variants",
    "replay_fitness",
    "bpmn_graph",
    "DFG_MIN_CASE_SHARE",
]


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
                sub, kept, n_acts = project_frequent(uvcl, share, noise_threshold)
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
                    kept, s_kept, e_kept = filter_dfg(graph, starts, ends, max(step, self.noise))
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

    graph, starts, ends = dfg_counts(uvcl)
    kept, s_kept, e_kept = filter_dfg(graph, starts, ends, noise)
    idfg = InductiveDFG(dfg=DFG(kept, s_kept, e_kept), skip=() in uvcl)
    miner = _IMFD({})
    miner.noise = noise
    try:
        return miner.apply(IMDataStructureDFG(idfg), {}), len(kept)
    except Exception:  # a degenerate refiltered sub-graph: plain IMd on the filtered graph
        from pm4py.algo.discovery.inductive.variants.imd import IMD

        return IMD({}).apply(IMDataStructureDFG(idfg), {}), len(kept)


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


def bpmn_graph(model: Model) -> tuple[list[tuple[int, str, str]], list[tuple[int, int]]]:
    """``model`` as a BPMN 2.0 process graph (pm4py's conversion, from its tree when it has one).

    Returns ``(nodes, flows)``: nodes ``(key, kind, name)`` with ``kind`` a
    BPMN element (``startEvent``, ``endEvent``, ``task``, ``exclusiveGateway``,
    ``parallelGateway``, ``inclusiveGateway``), flows ``(source key, target key)``;
    keys are arbitrary (the writer orders them). Raises :class:`ModelError`.
    """
    pm4py = _pm4py()
    try:
        with _quiet():
            args = (model.tree,) if model.tree is not None else (model.net, model.initial_marking, model.final_marking)
            b = pm4py.convert_to_bpmn(*args)
    except Exception as exc:
        raise ModelError(f"{model.name}: cannot convert to BPMN: {_one_line(exc)}") from None
    kinds = {"StartEvent": "startEvent", "NormalStartEvent": "startEvent", "EndEvent": "endEvent",
             "NormalEndEvent": "endEvent", "Task": "task", "ExclusiveGateway": "exclusiveGateway",
             "ParallelGateway": "parallelGateway", "InclusiveGateway": "inclusiveGateway"}
    key = {n: k for k, n in enumerate(b.get_nodes())}
    nodes = [(k, kinds.get(type(n).__name__, "task"), str(n.get_name() or "")) for n, k in key.items()]
    flows = [(key[f.get_source()], key[f.get_target()]) for f in b.get_flows()]
    return nodes, flows


def _astar(trace, model: Model, timeout_s: float) -> tuple[tuple[str, str], ...] | None:
    """pm4py's state-equation A* alignment as ``(kind, activity)`` moves, or None when it fails."""
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
            moves.append(("sync", log_label))
        elif log_label != ">>":
            moves.append(("log", log_label))
        elif model_label is not None:
            moves.append(("model", model_label))
    return tuple(moves)


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


@contextlib.contextmanager
def _quiet():
    """Silence pm4py (stdout, stderr and warnings) and lend it the linear-time transitive relations."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            dfu = sys.modules.get("pm4py.objects.dfg.util")
            if dfu is None:
                yield
                return
            from .reach import transitive_relations

            saved = dfu.get_transitive_relations
            dfu.get_transitive_relations = transitive_relations  # same sets (model/reach.py), restored below
            try:
                yield
            finally:
                dfu.get_transitive_relations = saved


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
