"""Detection of which input column plays which role (case, activity, ...).

Names are compared case-insensitively, ignoring spaces, underscores and
hyphens. The pm4py standard keys (``case:concept:name``, ``concept:name``,
``time:timestamp``, ``org:resource``, ``lifecycle:transition``) win over
plain names; two candidates of the same rank for one role are ambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from divergence.errors import ColumnError

__all__ = [
    "LIFECYCLE",
    "OPTION",
    "REQUIRED",
    "ROLES",
    "detect_columns",
    "is_candidate_key",
    "normalise_name",
    "wanted_xes_keys",
]

#: Role of the lifecycle transition column (not part of the canonical frame).
LIFECYCLE = "lifecycle"

#: Roles in detection order; the first three are required.
ROLES = ("case", "activity", "timestamp", "resource", "unit", "process", LIFECYCLE)
REQUIRED = ("case", "activity", "timestamp")

#: CLI option and keyword naming the column of each role.
OPTION = {
    "case": "--case-key (case_id_key=)",
    "activity": "--activity-key (activity_key=)",
    "timestamp": "--timestamp-key (timestamp_key=)",
    "resource": "--resource-key (resource_key=)",
    "unit": "--unit-key (unit_key=)",
    "process": "--process-key (process_key=)",
    LIFECYCLE: "a rename of the column",
}

# Normalised candidate names, best rank first.
_CANDIDATES: dict[str, tuple[frozenset[str], ...]] = {
    "case": (
        frozenset({"case:concept:name"}),
        frozenset({"case", "caseid", "caseidentifier", "casenumber", "caseno", "casekey",
                   "caseconceptname", "traceid", "trace"}),
    ),
    "activity": (
        frozenset({"concept:name"}),
        frozenset({"activity", "activityname", "event", "eventname", "task", "taskname",
                   "action", "conceptname"}),
    ),
    "timestamp": (
        frozenset({"time:timestamp"}),
        frozenset({"timestamp", "time", "endtime", "endtimestamp", "completetimestamp",
                   "completetime", "completiontime", "date", "datetime", "eventtime",
                   "eventtimestamp", "timetimestamp"}),
    ),
    "resource": (
        frozenset({"org:resource"}),
        frozenset({"resource", "user", "username", "userid", "performer", "actor", "agent",
                   "employee", "executor", "orgresource"}),
    ),
    "unit": (
        frozenset({"org:unit"}),
        frozenset({"unit", "orgunit", "department", "dept", "businessunit",
                   "organisationalunit", "organizationalunit", "organisationunit",
                   "organizationunit"}),
    ),
    "process": (
        frozenset({"process", "processname"}),
    ),
    LIFECYCLE: (
        frozenset({"lifecycle:transition"}),
        frozenset({"lifecycle", "lifecycletransition", "transition"}),
    ),
}

# Roles whose trace-level XES attribute (``case:<key>``) also counts.
_TRACE_LEVEL_ROLES = ("unit", "process")


def normalise_name(name: str) -> str:
    """Return ``name`` lower-cased without spaces, underscores and hyphens."""
    return "".join(ch for ch in str(name).lower() if ch not in " _-\t")


def detect_columns(
    columns: Iterable[str], keys: Mapping[str, str | None], path: Path
) -> dict[str, str]:
    """Map each role to the input column that plays it.

    Parameters
    ----------
    columns : iterable of str
        The input's column names.
    keys : mapping role -> column name or None
        Columns named by the user; they override detection.
    path : Path
        The file, named in error messages.

    Returns
    -------
    dict
        Role -> column name, for the roles found (required ones always).

    Raises
    ------
    ColumnError
        A named column is absent, a required role has no column, or a role
        has two equally good candidate columns.
    """
    columns = [str(c) for c in columns]
    found: dict[str, str] = {}
    for role in ROLES:
        key = keys.get(role)
        if key is not None:
            found[role] = _explicit(columns, key, role, path)
            continue
        column = _detect(columns, role, path)
        if column is not None:
            found[role] = column
    for role in REQUIRED:
        if role not in found:
            raise ColumnError(
                f"{path}: no {role} column found; name it with {OPTION[role]}; "
                f"available columns: {_listing(columns)}"
            )
    return found


def wanted_xes_keys(keys: Mapping[str, str | None]) -> tuple[set[str], set[str]]:
    """Return the event and trace attribute keys an XES reader must keep.

    Standard keys plus the user's keys; keys starting with ``case:`` are
    trace attributes. Attributes matching the unit/process candidates are
    kept by the reader through :func:`is_candidate_key`.
    """
    event = {"concept:name", "time:timestamp", "org:resource", "lifecycle:transition"}
    trace = {"concept:name"}
    for key in keys.values():
        if key is None:
            continue
        if key.startswith("case:"):
            trace.add(key[len("case:"):])
        else:
            event.add(key)
            trace.add(key)
    return event, trace


def is_candidate_key(key: str) -> bool:
    """Return True if an attribute named ``key`` could be a unit or process column."""
    norm = normalise_name(key)
    return any(norm in rank for role in ("unit", "process") for rank in _CANDIDATES[role])


def _explicit(columns: list[str], key: str, role: str, path: Path) -> str:
    if key in columns:
        return key
    if "case:" + key in columns:
        return "case:" + key
    folded = [c for c in columns if c.lower() == key.lower()]
    if len(folded) == 1:
        return folded[0]
    raise ColumnError(
        f"{path}: the {role} column {key!r} named by {OPTION[role]} is not in the file; "
        f"available columns: {_listing(columns)}"
    )


def _detect(columns: list[str], role: str, path: Path) -> str | None:
    for rank in _CANDIDATES[role]:
        hits = [c for c in columns if _matches(c, role, rank)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            if role == LIFECYCLE:
                return None
            raise ColumnError(
                f"{path}: ambiguous {role} column: {_listing(hits)} all qualify; "
                f"choose one with {OPTION[role]}"
            )
    return None


def _matches(column: str, role: str, rank: frozenset[str]) -> bool:
    norm = normalise_name(column)
    if norm in rank:
        return True
    return role in _TRACE_LEVEL_ROLES and norm.startswith("case:") and norm[5:] in rank


def _listing(columns: Iterable[str], limit: int = 30) -> str:
    names = [repr(c) for c in columns]
    if len(names) > limit:
        names = names[:limit] + [f"... ({len(names) - limit} more)"]
    return ", ".join(names) if names else "(none)"
