"""Name rules checked after profiling: processes, and units of a process, that differ only in letter case.

Names are compared exactly: ``se`` and ``SE`` are two units (or processes),
and a ``name_case_clash`` warning says so, so that the input can be fixed
when they are one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import warn

__all__ = ["warn_name_clashes"]


def _clashes(names: Iterable) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(str(n).casefold(), []).append(str(n))
    return [sorted(g) for g in groups.values() if len(g) > 1]


def warn_name_clashes(profiles: Mapping[str, Mapping]) -> None:
    """Warn (``name_case_clash``) about processes, and units of a process, differing only in letter case."""
    for group in _clashes(profiles):
        warn(
            "name_case_clash",
            f"processes {', '.join(map(repr, group))} differ only in letter case; analysed as different processes",
            None,
            len(group),
        )
    for p, units in profiles.items():
        for group in _clashes(units):
            warn(
                "name_case_clash",
                f"process {p!r}: units {', '.join(map(repr, group))} differ only in letter case; analysed as "
                "different units (rename one in the input to merge them)",
                None,
                len(group),
            )
