"""Import the heavy libraries of the later stages while the logs are read.

Importing pm4py, SciPy's statistics and the transport solver costs about
two seconds of one core, more than the whole analysis of a small log. The
pandas reader calls :func:`preload` while worker processes read the files
(or, for a read that stays in this process, in a thread while Arrow and
zlib work outside the interpreter lock), so that cost overlaps the reading
instead of following it. Nothing here changes a result: a module that
fails to import is left for the stage that needs it to report.
"""

from __future__ import annotations

import importlib

__all__ = ["preload", "MODULES"]

#: Modules the stages after reading import, heaviest first.
MODULES = (
    "scipy.stats",
    "scipy.cluster.hierarchy",
    "scipy.sparse",
    "ot",
    "rapidfuzz.process",
    "networkx",
    "divergence.harmonise",
    "divergence.difftests",
    "divergence.measures",
    "divergence.families",
)


def preload() -> None:
    """Import pm4py (quietly, as :mod:`divergence.model.pm` does) and :data:`MODULES`."""
    try:
        from .model.pm import _pm4py

        _pm4py()
    except Exception:  # noqa: BLE001 - discovery reports it, with its own message
        pass
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the stage that needs it reports it
            pass
