"""Alignments of unique variants to a model, and fitness from them.

The routes (exact on the model's state space, on its directly-follows
graph, the enumerated language, pm4py's A* on request) are described in
:func:`align_variants`. Only the A* route calls pm4py, through
:mod:`divergence.model.pm`.
"""

from __future__ import annotations

import weakref
from itertools import chain
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import statespace
from .behaviour import _dfg_space, _exact_space, _graph, _language, _model_info

if TYPE_CHECKING:
    from .pm import Model

__all__ = [
    "Move",
    "Alignment",
    "align_variants",
    "alignment_method",
    "alignment_fitness",
    "df_fitness",
    "DFG_MIN_ACTIVITIES",
]


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


_ALIGN_CACHE: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


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
    :mod:`divergence.model.statespace`, all variants at once. Optimal for the
    directly-follows language, which contains the model's language (it
    equals it for models without concurrency or long-distance
    dependencies), so it never overstates deviations; ``exact=False``.
    Variants longer than :data:`DFG_MAX_VARIANT_LEN` get ``alphabet``.
    Variants longer than :data:`ASTAR_MAX_VARIANT_LEN` events take ``dfg``
    for every model: A* on them can take minutes.

    Other models with ``method="auto"``: ``state-space``, an optimal
    alignment on the model's reachability graph (exact, deterministic, all
    variants at once; :mod:`divergence.model.statespace`) when it has at most
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
    if len(model.net.transitions) <= ASTAR_MAX_TRANSITIONS:
        from . import pm

        moves = pm._astar(trace, model, timeout_s)
        if moves is not None:
            return _alignment(trace, _moves(moves), shortest, True, "astar")
    if cands:
        method = "language" if complete else "bounded-language"
        return _alignment(trace, _indel_moves(trace, _closest(trace, cands)), shortest, complete, method)
    moves = tuple(Move("sync" if a in model.activities else "log", a) for a in trace)
    return _alignment(trace, moves, shortest, False, "alphabet")


def _closest(trace: tuple[str, ...], cands) -> tuple[str, ...]:
    """The model trace nearest to ``trace`` by indel distance (ties: shorter, then sorted)."""
    from rapidfuzz.distance import Indel

    return min(cands, key=lambda t: (Indel.distance(trace, t), len(t), t))


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
    codes = _codes(variants, book, unknown)
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


def _codes(variants: Sequence[tuple[str, ...]], book: dict, unknown: int) -> np.ndarray:
    """Every event's code in ``book`` (``unknown`` when absent), variant after variant.

    The events are factorised once in C, so the dictionary is consulted per
    distinct activity, not per event.
    """
    import pandas as pd

    flat = np.array(list(chain.from_iterable(variants)), dtype=object)
    if not len(flat):
        return np.zeros(0, dtype=np.int64)
    found, distinct = pd.factorize(flat, use_na_sentinel=False)
    lookup = np.fromiter((book.get(a, unknown) for a in distinct), dtype=np.int64, count=len(distinct))
    return lookup[found]


def _alignment(trace, moves, shortest, exact, method, dev: int | None = None) -> Alignment:
    if dev is None:
        dev = sum(m.kind != "sync" for m in moves)
    den = len(trace) + shortest
    fit = 1.0 - dev / den if den > 0 else 1.0
    return Alignment(tuple(trace), tuple(moves), float(min(1.0, max(0.0, fit))), exact, method)


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
