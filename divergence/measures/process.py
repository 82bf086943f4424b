"""All divergence measures of one process: the behavioural ones, cross-conformance, and their combination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..profile import UnitProfile
from . import compute, conformance

__all__ = ["ProcessMeasures", "measure_process", "EXACT_MAX_PROCESS_VARIANTS"]

#: Above this many unique variants in a process, alignments to the target use the
#: directly-follows route of :func:`divergence.model.alignment.align_variants` and
#: cross-conformance replays on the models' directly-follows relations; up to it,
#: both are exact optimal alignments on the models' state spaces
#: (:mod:`divergence.model.statespace`; about 0.4 ms per variant and model).
EXACT_MAX_PROCESS_VARIANTS = 5_000


@dataclass(frozen=True)
class ProcessMeasures:
    """The matrices of one process (``combined`` included), the raw cross-conformance and the details.

    ``many_variants``: the process has more than :data:`EXACT_MAX_PROCESS_VARIANTS`
    unique variants, so model-based steps take the directly-follows route.
    ``conformance_methods``: the route each cross-conformance cell took.
    """

    matrices: dict[str, np.ndarray]
    conformance_raw: np.ndarray
    conformance_methods: Any
    details: dict[str, Any]
    many_variants: bool


def measure_process(profiles: Sequence[UnitProfile], models: Sequence, *,
                    weights: Mapping[str, float] | None = None) -> ProcessMeasures:
    """Every measure between the units (in the order given), cross-conformance on their models, combined."""
    res = compute.compute_measures(list(profiles))
    matrices = dict(res.matrices)
    many = sum(len(p.variants) for p in profiles) > EXACT_MAX_PROCESS_VARIANTS
    conf = conformance.conformance_matrix(list(profiles), list(models), method="df" if many else None)
    raw = np.asarray(conf.raw if hasattr(conf, "raw") else conf, dtype=float)
    zero_diagonal = raw.copy()
    np.fill_diagonal(zero_diagonal, 0.0)
    matrices["conformance"] = zero_diagonal
    matrices["combined"] = compute.combine(matrices, weights)
    return ProcessMeasures(matrices, raw, conf.methods, dict(getattr(res, "details", {}) or {}), many)
