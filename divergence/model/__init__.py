"""Process models: the one door to pm4py and the model algorithms built on it.

- :mod:`.pm`: reading, discovering and writing models (pm4py lives behind it);
- :mod:`.behaviour`: a model's directly-follows graph and reachable markings;
- :mod:`.statespace`: exact alignments of all variants at once on a state space;
- :mod:`.alignment`: the alignment routes (state space, directly-follows, A*).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["discover_models"]


def discover_models(profiles: Mapping, *, noise_threshold: float, progress: Callable[[int, int], None] | None = None):
    """Each unit's discovered model (:func:`.pm.discover_model`), in the profiles' order."""
    from .pm import discover_model

    models = {}
    for i, (u, profile) in enumerate(profiles.items()):
        if progress:
            progress(i, len(profiles))
        models[u] = discover_model(profile, noise_threshold=noise_threshold, name=u)
    if progress:
        progress(len(profiles), len(profiles))
    return models
