"""divergence: how differently do units run the same process, and what does harmonising cost?

>>> import divergence
>>> result = divergence.analyse("sample_logs")          # doctest: +SKIP
>>> result["hr"].matrix("combined")                     # doctest: +SKIP

Public names are imported lazily so that the command line starts quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_logs": ".io",
    "analyse": ".analysis",
    "analyse_events": ".analysis",
    "profile_units": ".profile",
    "UnitProfile": ".profile",
    "write_profiles": ".portable",
    "load_profiles": ".portable",
    "propose_mapping": ".match",
    "compute_measures": ".measures",
    "find_families": ".families",
    "write_outputs": ".report",
    "AnalysisResult": ".result",
    "ProcessResult": ".result",
    "DivergenceError": ".errors",
    "DivergenceWarning": ".errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'divergence' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
