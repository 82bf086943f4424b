"""Cross-conformance: how well each unit's behaviour fits every other unit's model.

Entry (i, j) is ``1 - fitness`` of unit i's variants, weighted by their case
counts, on unit j's model: an asymmetric divergence in the spirit of Buijs &
Reijers' cross-conformance matrix.

Three fitness methods, chosen per (unit, model) pair by :func:`conformance_method`:

* ``"align"``: optimal-alignment fitness (:func:`divergence.model.alignment.alignment_fitness`),
  exact, computed on the model's state space for all of a unit's variants
  at once; for models with at most :data:`divergence.model.behaviour.EXACT_MAX_STATES`
  reachable markings and units whose variants are not too many (below);
* ``"token"``: pm4py token-based replay (:func:`divergence.model.pm.replay_fitness`),
  for the rare small model whose state space is larger than that, and on
  request;
* ``"df"``: directly-follows replay (:func:`divergence.model.alignment.df_fitness`): a
  variant's fitness is the share of its start activity, directly-follows
  pairs and end activity that the model's directly-follows relation
  (:func:`divergence.model.behaviour.model_graph`) allows. Linear in the events,
  vectorised over unique variants and cached per (model, variant). Used
  when the model has more than :data:`DF_MIN_ACTIVITIES` activities or the
  unit's unique variants hold more than :data:`DF_MIN_VARIANT_EVENTS` events
  (BPIC 2015: token replay took 17-98 s per pair; this takes milliseconds).

Alignment fitness is the standard measure (token replay is a heuristic
approximation of it), is exact and deterministic, and is faster: the 10 x 10
matrix of the 10k-event benchmark log takes 0.22 s, against 5.4 s with
pm4py's token replay.

The matrices returned carry the method of every entry (``.methods``) so the
report can state it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from ..errors import OptionError
from ..model.alignment import alignment_fitness, df_fitness
from ..model.behaviour import exact_alignment_possible
from ..model.pm import Model, replay_fitness
from ..profile import UnitProfile

__all__ = [
    "ConformanceMatrix",
    "conformance_raw",
    "conformance_matrix",
    "variant_fitness",
    "conformance_method",
    "unit_fitness",
    "DF_MIN_ACTIVITIES",
    "DF_MIN_VARIANT_EVENTS",
]

#: Models with more activities than this are replayed on their directly-follows relation.
DF_MIN_ACTIVITIES = 60
#: Units whose unique variants hold more events than this likewise.
DF_MIN_VARIANT_EVENTS = 50_000

#: Fitness methods (see the module's documentation).
METHODS = ("align", "token", "df")

_CACHE: "weakref.WeakKeyDictionary[Model, dict]" = weakref.WeakKeyDictionary()


class ConformanceMatrix(np.ndarray):
    """A conformance matrix (plain ``ndarray`` values) with provenance.

    Attributes
    ----------
    raw : ndarray
        The matrix with its diagonal (self-misfit) kept.
    methods : ndarray of str
        ``"align"``, ``"token"`` or ``"df"`` per entry (see :func:`conformance_method`).
    """

    raw: np.ndarray | None
    methods: np.ndarray | None

    def __new__(cls, values, raw=None, methods=None):
        obj = np.asarray(values, dtype=float).view(cls)
        obj.raw = None if raw is None else np.asarray(raw, dtype=float)
        obj.methods = methods
        return obj

    def __array_finalize__(self, obj):
        self.raw = getattr(obj, "raw", None)
        self.methods = getattr(obj, "methods", None)


def conformance_method(profile: UnitProfile, model: Model) -> str:
    """Fitness method for a (unit, model) pair: ``"df"``, ``"align"`` or ``"token"``.

    ``"df"`` when the model has more than :data:`DF_MIN_ACTIVITIES`
    activities or the unit's unique variants hold more than
    :data:`DF_MIN_VARIANT_EVENTS` events; else ``"align"`` when the model's
    state space is small enough for exact alignments, ``"token"`` otherwise.
    """
    if len(model.activities) > DF_MIN_ACTIVITIES:
        return "df"
    events = int(profile.variants["variant"].map(len).sum()) if len(profile.variants) else 0
    if events > DF_MIN_VARIANT_EVENTS:
        return "df"
    return "align" if exact_alignment_possible(model) else "token"


def conformance_raw(
    profiles: Sequence[UnitProfile],
    models: Sequence[Model],
    *,
    count_unknown: bool = True,
    method: str | np.ndarray | None = None,
) -> np.ndarray:
    """Cross-conformance matrix with its diagonal (self-misfit) kept.

    Parameters
    ----------
    profiles : sequence of UnitProfile
        Units, in matrix order. Resampled profiles (same variants, other
        counts) are cheap: per-variant fitness is cached per model.
    models : sequence of Model
        One per profile, same order (usually each unit's discovered model).
    count_unknown : bool, default True
        Whether events whose activity the model lacks count as misfit.
        Alignments count them as log moves (``True``) or drop them first
        (``False``). Token replay ignores them; with ``True`` a variant's
        fitness is multiplied by the share of its events the model knows.
        Directly-follows replay counts them through their pairs (``True``)
        or drops them first (``False``).
    method : "align", "token", "df", an (n, n) array of those, or None
        Replay method of every entry (None: :func:`conformance_method` per
        pair). Pass the ``.methods`` of a previous matrix to recompute on
        resampled profiles with the same methods, and so from the cache.

    Returns
    -------
    ConformanceMatrix, shape (n, n)
        ``1 - fitness(unit i on model j)`` in [0, 1]; the diagonal is unit
        i's misfit on its own model (0 for a model that fits perfectly).
        ``.methods`` gives each entry's method.

    Raises
    ------
    OptionError
        If the numbers of profiles and models differ.
    """
    if len(profiles) != len(models):
        raise OptionError(f"{len(profiles)} profiles but {len(models)} models; need one model per unit")
    n = len(profiles)
    out = np.zeros((n, n))
    methods = np.empty((n, n), dtype=object)
    for i, p in enumerate(profiles):
        for j, m in enumerate(models):
            if method is None:
                methods[i, j] = conformance_method(p, m)
            elif isinstance(method, str):
                methods[i, j] = method
            else:
                methods[i, j] = method[i][j]
            out[i, j] = 1.0 - unit_fitness(p, m, count_unknown=count_unknown, method=methods[i, j])
    out = np.clip(out, 0.0, 1.0)
    return ConformanceMatrix(out, raw=out.copy(), methods=methods)


def conformance_matrix(
    profiles: Sequence[UnitProfile],
    models: Sequence[Model],
    *,
    count_unknown: bool = True,
    method: str | np.ndarray | None = None,
) -> np.ndarray:
    """Cross-conformance divergence matrix with 0 on the diagonal.

    The project's divergence matrices have a zero diagonal; this is
    :func:`conformance_raw` with its diagonal (self-misfit, kept in
    ``.raw``) set to 0. The matrix stays asymmetric: symmetrise it where a
    metric is needed (e.g. ``(D + D.T) / 2``).

    Parameters
    ----------
    profiles, models, count_unknown, method
        As in :func:`conformance_raw`.

    Returns
    -------
    ConformanceMatrix, shape (n, n)
        Values in [0, 1], 0 on the diagonal; ``.raw`` keeps the diagonal,
        ``.methods`` names each entry's method (see :data:`METHODS`).

    Raises
    ------
    OptionError
        If the numbers of profiles and models differ.
    """
    raw = conformance_raw(profiles, models, count_unknown=count_unknown, method=method)
    out = np.array(raw, dtype=float)
    np.fill_diagonal(out, 0.0)
    return ConformanceMatrix(out, raw=raw.raw, methods=raw.methods)


def unit_fitness(
    profile: UnitProfile, model: Model, *, count_unknown: bool = True, method: str | None = None
) -> float:
    """Case-weighted fitness of a unit's variants on a model.

    Parameters
    ----------
    profile : UnitProfile
    model : Model
    count_unknown : bool, default True
        As in :func:`conformance_raw`.
    method : {"align", "token", "df"}, optional
        Default :func:`conformance_method`.

    Returns
    -------
    float
        In [0, 1]; 1.0 for a profile without cases.
    """
    weights = profile.variants["cases"].to_numpy(dtype=float)
    if not len(weights) or weights.sum() <= 0:
        return 1.0
    fit = variant_fitness(profile, model, count_unknown=count_unknown, method=method)
    return float(np.clip(np.dot(fit, weights) / weights.sum(), 0.0, 1.0))


def variant_fitness(
    profile: UnitProfile, model: Model, *, count_unknown: bool = True, method: str | None = None
) -> np.ndarray:
    """Fitness of each of a unit's variants on a model, in ``profile.variants`` order.

    Cached per model, method and variant, so a bootstrap can reweight it.
    """
    variants = [tuple(v) for v in profile.variants["variant"]]
    method = method or conformance_method(profile, model)
    if method not in METHODS:
        raise OptionError(f"unknown conformance method {method!r}; valid: {', '.join(METHODS)}")
    cache = _CACHE.setdefault(model, {}).setdefault((method, count_unknown), {})
    todo = [v for v in dict.fromkeys(variants) if v not in cache]
    if todo:
        if method == "df":
            fit = df_fitness(todo, model, count_unknown=count_unknown)
        elif method == "align":
            acts = model.activities
            traces = todo if count_unknown else [tuple(a for a in v if a in acts) for v in todo]
            fit = alignment_fitness(traces, model)
            if fit is None:
                raise OptionError(f"{model.name}: the model's state space is too large for exact alignments; use token or df")
        else:
            fit = replay_fitness(todo, model)
            if count_unknown:
                acts = model.activities
                fit = fit * np.array([sum(a in acts for a in v) / len(v) if v else 1.0 for v in todo])
        cache.update(zip(todo, fit.tolist()))
    return np.fromiter((cache[v] for v in variants), dtype=float, count=len(variants))
