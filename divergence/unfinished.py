"""Likely unfinished cases: cases that stop before one of their process's end activities.

Rule. The *end activities* of a process are the activities that end at
least :data:`END_SHARE` (5 %) of the process's cases, all units pooled, or
the activities named with ``--end-activity`` (``end_activities=``). A case
whose last activity is not an end activity is *likely unfinished* (it may
still be running when the log was extracted, or it was abandoned).

By default every case is kept and the share of unfinished cases is reported
per unit (a warning names each unit above :data:`WARN_SHARE`, 20 %);
``--complete-only`` (``complete_only=True``) drops them before profiling.
The same numbers come from events (:func:`unfinished_from_events`) and from
unit profiles (:func:`unfinished_from_profiles`, any engine).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from . import schema
from .errors import warn

__all__ = [
    "END_SHARE",
    "WARN_SHARE",
    "end_activities_of",
    "unfinished_from_events",
    "unfinished_from_profiles",
    "report_unfinished",
]

#: An activity ending at least this share of a process's cases is an end activity.
END_SHARE = 0.05
#: A unit with more than this share of likely unfinished cases is named in a warning.
WARN_SHARE = 0.20


def end_activities_of(last_counts: Mapping[str, int], explicit: Iterable[str] | None = None) -> list[str]:
    """End activities: ``explicit`` if given, else those ending >= 5 % of the cases (sorted)."""
    names = list(explicit or [])
    if names:
        return sorted(set(names))
    total = sum(int(v) for v in last_counts.values())
    if total == 0:
        return []
    return sorted(a for a, n in last_counts.items() if int(n) >= END_SHARE * total)


def _entry(ends: list[str], explicit: bool, per_unit: dict[str, tuple[int, int]]) -> dict:
    return {
        "end_activities": ends,
        "rule": "given (--end-activity)" if explicit else f"activities ending at least {END_SHARE:.0%} of the cases",
        "units": {
            u: {"cases": int(c), "unfinished_cases": int(n), "unfinished_share": (n / c if c else 0.0)}
            for u, (c, n) in per_unit.items()
        },
    }


def unfinished_from_profiles(profiles: Mapping[str, Mapping], explicit: Iterable[str] | None = None) -> dict:
    """``{process: {"end_activities", "rule", "units": {unit: {cases, unfinished_cases, unfinished_share}}}}``."""
    explicit = list(explicit or [])
    out = {}
    for process, units in profiles.items():
        last: dict[str, int] = {}
        ends_by_unit = {}
        for u, prof in units.items():
            counts = prof.variants.groupby(prof.variants["variant"].map(lambda v: v[-1] if len(v) else ""))[
                "cases"
            ].sum()
            ends_by_unit[u] = counts
            for a, n in counts.items():
                last[a] = last.get(a, 0) + int(n)
        ends = end_activities_of(last, explicit)
        per_unit = {
            u: (int(prof.cases), int(ends_by_unit[u][~ends_by_unit[u].index.isin(ends)].sum()))
            for u, prof in units.items()
        }
        out[process] = _entry(ends, bool(explicit), per_unit)
    return out


def unfinished_from_events(events: pd.DataFrame, explicit: Iterable[str] | None = None) -> tuple[dict, np.ndarray]:
    """The same table from a canonical event frame, and a mask of the events of unfinished cases.

    ``events`` is sorted by process, unit, case and time (as :func:`divergence.read_logs` returns it).
    """
    explicit = list(explicit or [])
    keys = [schema.PROCESS, schema.UNIT, schema.CASE]
    last = events.drop_duplicates(keys, keep="last")[[*keys, schema.ACTIVITY]]
    out = {}
    unfinished_keys = []
    for process, rows in last.groupby(schema.PROCESS, sort=False):
        ends = end_activities_of(rows[schema.ACTIVITY].value_counts().to_dict(), explicit)
        open_ = ~rows[schema.ACTIVITY].isin(ends)
        per_unit = {
            u: (len(g), int(open_.loc[g.index].sum())) for u, g in rows.groupby(schema.UNIT, sort=True)
        }
        out[process] = _entry(ends, bool(explicit), per_unit)
        unfinished_keys.append(rows.loc[open_, keys])
    if unfinished_keys:
        drop = pd.concat(unfinished_keys)
        index = pd.MultiIndex.from_frame(events[keys])
        mask = index.isin(pd.MultiIndex.from_frame(drop))
    else:
        mask = np.zeros(len(events), dtype=bool)
    return out, np.asarray(mask)


def report_unfinished(table: dict, *, dropped: bool) -> None:
    """Warn (``unfinished_cases``) for each unit above :data:`WARN_SHARE`."""
    for process, entry in table.items():
        ends = ", ".join(entry["end_activities"]) or "none"
        for unit, row in entry["units"].items():
            if row["unfinished_share"] > WARN_SHARE:
                done = "dropped (--complete-only)" if dropped else "kept (--complete-only drops them)"
                warn(
                    "unfinished_cases",
                    f"process {process!r}, unit {unit!r}: {row['unfinished_cases']:,} of {row['cases']:,} cases "
                    f"({row['unfinished_share']:.1%}) likely unfinished (last activity not an end activity: "
                    f"{ends}); {done}",
                    None,
                    row["unfinished_cases"],
                )
