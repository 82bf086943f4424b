"""Departments: units grouped by a shared name prefix (``moj_prisons``, ``moj_courts`` -> ``moj``).

The rule, stated once: the text before the first ``_``, ``-`` or space of a
unit's name is its prefix; a prefix shared by two or more units is a
department; any other unit is its own department.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

__all__ = ["departments"]


def departments(units: Iterable[str]) -> dict[str, list[str]]:
    """Department -> its units (in the given order), departments sorted by name."""
    units = list(units)
    prefix = {u: re.split(r"[_\- ]", u, maxsplit=1)[0] for u in units}
    count: dict[str, int] = defaultdict(int)
    for p in prefix.values():
        count[p] += 1
    out: dict[str, list[str]] = defaultdict(list)
    for u in units:
        out[prefix[u] if count[prefix[u]] > 1 and prefix[u] != u else u].append(u)
    return dict(sorted(out.items()))
