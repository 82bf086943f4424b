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

__all__ = ["preload", "MODULES", "skip_scipy_doc_notes"]

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


def skip_scipy_doc_notes() -> bool:
    """Let SciPy skip rewriting its docstrings at import (about 0.2 s of every run); True when done.

    SciPy 1.15 and newer parse the docstring of every array-API-aware function
    as it is defined, to append a table of supported array backends
    (``scipy._lib._array_api.xp_capabilities``): about 600 docstrings parsed by
    ``numpydoc``'s ``FunctionDoc`` when ``scipy.stats`` and ``scipy.optimize``
    (imported by pm4py) load. A command-line run never reads those
    docstrings, so :func:`divergence.cli.main` (only it: a library user's
    ``help()`` keeps SciPy's notes) swaps the parser for one that keeps the
    docstring as it is. Nothing else changes. It does nothing when SciPy's
    modules are already imported, or when SciPy no longer has that parser.
    """
    import sys

    if "scipy.stats" in sys.modules or "scipy.optimize" in sys.modules:
        return False
    try:
        from scipy._lib import _array_api
    except Exception:  # noqa: BLE001 - SciPy absent or moved: its imports stay as they are
        return False
    if not isinstance(getattr(_array_api, "FunctionDoc", None), type):
        return False
    _array_api.FunctionDoc = _DocAsIs
    return True


class _DocAsIs:
    """Stands in for numpydoc's ``FunctionDoc`` in :func:`skip_scipy_doc_notes`: sections
    can be appended to (and are dropped); ``str`` gives a signature line, then the docstring."""

    def __init__(self, func, *args, **kwargs) -> None:
        self._doc = getattr(func, "__doc__", None) or ""
        self._sections: dict[str, list] = {}

    def __getitem__(self, key: str) -> list:
        return self._sections.setdefault(key, [])

    def __str__(self) -> str:
        return "\n" + self._doc


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
