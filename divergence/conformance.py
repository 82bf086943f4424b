"""Cross-conformance: how well each unit's behaviour fits every other unit's model.

Entry (i, j) is ``1 - fitness`` of unit i's variants, weighted by their case
counts, replayed on unit j's model (token-based replay): an asymmetric
divergence in the spirit of Buijs & Reijers' cross-conformance matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import OptionError
from .pm import Model, replay_fitness
from .profile import UnitProfile

__all__ = ["conformance_raw", "conformance_matrix", "unit_fitness"]


def conformance_raw(
    profiles: Sequence[UnitProfile], models: Sequence[Model], *, count_unknown: bool = True
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
        Token replay ignores events whose activity the model lacks; with
        ``True`` a variant's fitness is multiplied by the share of its events
        the model knows, so behaviour foreign to a model counts as misfit.

    Returns
    -------
    ndarray, shape (n, n)
        ``1 - fitness(unit i on model j)`` in [0, 1]; the diagonal is unit
        i's misfit on its own model (0 for a model that fits perfectly).

    Raises
    ------
    OptionError
        If the numbers of profiles and models differ.
    """
    if len(profiles) != len(models):
        raise OptionError(f"{len(profiles)} profiles but {len(models)} models; need one model per unit")
    n = len(profiles)
    out = np.zeros((n, n))
    for i, p in enumerate(profiles):
        for j, m in enumerate(models):
            out[i, j] = 1.0 - unit_fitness(p, m, count_unknown=count_unknown)
    return np.clip(out, 0.0, 1.0)


def conformance_matrix(
    profiles: Sequence[UnitProfile], models: Sequence[Model], *, count_unknown: bool = True
) -> np.ndarray:
    """Cross-conformance divergence matrix with 0 on the diagonal.

    The project's divergence matrices have a zero diagonal; this is
    :func:`conformance_raw` with its diagonal (self-misfit, kept there)
    set to 0. The matrix stays asymmetric: symmetrise it where a metric is
    needed (e.g. ``(D + D.T) / 2``).

    Parameters
    ----------
    profiles, models, count_unknown
        As in :func:`conformance_raw`.

    Returns
    -------
    ndarray, shape (n, n)
        Values in [0, 1], 0 on the diagonal.

    Raises
    ------
    OptionError
        If the numbers of profiles and models differ.
    """
    out = conformance_raw(profiles, models, count_unknown=count_unknown)
    np.fill_diagonal(out, 0.0)
    return out


def unit_fitness(profile: UnitProfile, model: Model, *, count_unknown: bool = True) -> float:
    """Case-weighted token-replay fitness of a unit's variants on a model.

    Parameters
    ----------
    profile : UnitProfile
    model : Model
    count_unknown : bool, default True
        As in :func:`conformance_raw`.

    Returns
    -------
    float
        In [0, 1]; 1.0 for a profile without cases.
    """
    variants = [tuple(v) for v in profile.variants["variant"]]
    weights = profile.variants["cases"].to_numpy(dtype=float)
    if not variants or weights.sum() <= 0:
        return 1.0
    fit = replay_fitness(variants, model)
    if count_unknown:
        known = np.array(
            [sum(a in model.activities for a in v) / len(v) if v else 1.0 for v in variants]
        )
        fit = fit * known
    return float(np.clip(np.dot(fit, weights) / weights.sum(), 0.0, 1.0))
