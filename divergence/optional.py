"""Optional dependencies: one way to import them and one error when they are missing.

:func:`require` imports a module of an optional extra (``pip install
'divergence[EXTRA]'``); when it is not installed it raises
:class:`~divergence.errors.MissingDependencyError`, which the command line
prints as one line with the install hint (exit status 2).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["EXTRAS", "require"]

#: Optional extras of the package: extra -> the modules it brings.
EXTRAS = {
    "duckdb": ("duckdb",),
    "postgres": ("sqlalchemy", "psycopg"),
    "spark": ("pyspark",),
}


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming ``purpose`` and the pip extra.

    >>> require("json", "none", "reading JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        missing = getattr(exc, "name", None) or top
        raise MissingDependencyError(
            f"{purpose} needs the Python package {missing!r}, which is not installed: "
            f"pip install 'divergence[{extra}]'"
        ) from None
