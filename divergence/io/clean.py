"""Turn one file's raw frame into canonical events: types, timestamps, cleaning.

Cleaning steps, each announced by one :class:`DivergenceWarning` naming the
file when it changes anything:

* events without case id, activity (empty or blank) or timestamp are dropped;
* control characters (C0, C1) and bidirectional marks (U+200E, U+200F,
  U+202A-U+202E, U+2066-U+2069) are stripped from activity, unit and process
  names; activity names longer than 1,000 characters are truncated and given
  a hash suffix so that distinct names stay distinct;
* naive timestamps are taken as UTC;
* exact duplicate events are dropped;
* timestamps out of order within a case are reported (the frame is sorted);
* the unit of a case (when the file has a unit column): one unit per case,
  chosen by ``unit_rule`` -- ``first`` (default): the unit on the case's
  first event that names one; ``last``: on its last; ``most``: the unit on
  most of its events (ties: the one seen first). Every event of the case
  gets it, so a case is never split over units, and events with an empty
  unit take their case's unit. Only the events of a case that names no unit
  at all get the file's name as unit. A case is the (process, case id) of
  one file;
* lifecycle (``lifecycle`` mode): ``auto`` -- where the lifecycle column holds
  both ``start`` and ``complete`` events, the n-th start of a case and
  activity is paired with its n-th complete; only complete events (and
  events without lifecycle) are kept, with the matched start time in a new
  column ``start_timestamp`` (missing for completes without a start).
  Unmatched starts and other transitions (schedule, suspend, ...) are
  dropped; without both start and complete, every event is kept as it is.
  Values other than start/complete are listed in a warning
  (``lifecycle_values``). ``as-activity``: nothing is folded; an event whose
  transition is not ``complete`` (nor empty) gets the activity
  ``"<activity> (<transition>)"``. ``ignore``: the lifecycle column is an
  ordinary attribute.

Each warning carries a stable code (:data:`divergence.errors.WARNING_CODES`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from divergence import schema
from divergence.errors import ColumnError, EmptyLogError, OptionError, TimestampError, warn
from divergence.io.columns import LIFECYCLE

__all__ = [
    "LIFECYCLE_MODES",
    "MAX_NAME_LENGTH",
    "START_TIMESTAMP",
    "UNIT_RULES",
    "canonical_events",
    "check_read_options",
    "parse_timestamps",
]

#: How the unit of a case is chosen when the unit column changes within it.
UNIT_RULES = ("first", "last", "most")
#: What is done with a lifecycle column.
LIFECYCLE_MODES = ("auto", "as-activity", "ignore")

#: Longest activity name kept verbatim.
MAX_NAME_LENGTH = 1000
#: Column added by lifecycle folding.
START_TIMESTAMP = "start_timestamp"

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_AWARE = r":\d\d(?:[.,]\d+)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)\s*$"
_TS_DTYPE = "datetime64[ns, UTC]"


def canonical_events(
    raw: pd.DataFrame,
    roles: Mapping[str, str],
    path: Path,
    *,
    unit: str,
    process: str,
    unit_rule: str = "first",
    lifecycle: str = "auto",
) -> pd.DataFrame:
    """Build the canonical events of one file from its raw frame.

    Parameters
    ----------
    raw : DataFrame
        The reader's frame, with a ``_row`` column (1-based row number). Not modified.
    roles : mapping
        Role -> column, from :func:`divergence.io.columns.detect_columns`.
    path : Path
        The file, named in warnings and errors.
    unit, process : str
        Unit and process of events whose file has no such column (or a missing value).
    unit_rule : {"first", "last", "most"}, default "first"
        Which of its units a case belongs to (see the module docstring).
    lifecycle : {"auto", "as-activity", "ignore"}, default "auto"
        What is done with a lifecycle column (see the module docstring).

    Returns
    -------
    DataFrame
        Columns process, unit, case, activity, timestamp, resource, then
        ``start_timestamp`` if lifecycle was folded, then the other input
        columns under their names; plus ``_row``. File order.

    Raises
    ------
    ColumnError
        A role column has values that are not text (e.g. structs).
    TimestampError
        A timestamp cannot be parsed, or the timestamp column is numeric.
    EmptyLogError
        No events remain.
    """
    check_read_options(unit_rule=unit_rule, lifecycle=lifecycle)
    if len(raw) == 0:
        raise EmptyLogError(f"{path}: no events (the file holds a header only)")
    frame = pd.DataFrame(index=raw.index)
    for role in (schema.PROCESS, schema.UNIT, schema.CASE, schema.ACTIVITY, schema.RESOURCE):
        if role in roles:
            frame[role] = _coerce_text(raw[roles[role]], role, roles[role], path)
    frame[schema.TIMESTAMP] = raw[roles[schema.TIMESTAMP]]
    unit_column = schema.UNIT in frame
    if unit_column:
        frame[schema.UNIT] = frame[schema.UNIT].mask(frame[schema.UNIT].str.strip() == "")
    else:
        frame[schema.UNIT] = pd.Series(unit, index=frame.index, dtype="str")
    frame = _fill(frame, schema.PROCESS, process, path)
    if schema.RESOURCE not in frame:
        frame[schema.RESOURCE] = pd.Series(np.nan, index=frame.index, dtype="str")
    used = {roles[r] for r in roles if r != LIFECYCLE}
    reserved = set(schema.CANONICAL) | {START_TIMESTAMP, "_row"}
    for column in raw.columns:
        if column in used or column == "_row":
            continue
        name = f"{column} (original)" if column in reserved else column
        frame[name] = raw[column]
    frame["_row"] = raw["_row"].to_numpy()

    frame = _drop_missing(frame, path)
    frame[schema.TIMESTAMP] = parse_timestamps(frame[schema.TIMESTAMP], path, frame["_row"])
    if unit_column:
        frame = _case_units(frame, unit_rule, unit, path)
    if LIFECYCLE in roles and lifecycle == "as-activity":
        frame = _lifecycle_as_activity(frame, roles[LIFECYCLE], path)
    for role in (schema.ACTIVITY, schema.UNIT, schema.PROCESS):
        frame[role] = _sanitise(frame[role], role, path)
    frame[schema.ACTIVITY] = _truncate(frame[schema.ACTIVITY], path)
    frame = _drop_duplicates(frame, path)
    if LIFECYCLE in roles and lifecycle == "auto":
        frame = _fold_lifecycle(frame, roles[LIFECYCLE], path)
    _report_disorder(frame, path)
    if len(frame) == 0:
        raise EmptyLogError(f"{path}: no events left after cleaning")
    order = [*schema.CANONICAL, *(c for c in frame.columns if c not in schema.CANONICAL)]
    return frame[order].reset_index(drop=True)


def parse_timestamps(values: pd.Series, path: Path, rows: pd.Series | None = None) -> pd.Series:
    """Parse timestamps to ``datetime64[ns, UTC]``.

    Text is parsed as ISO 8601 (any offsets, converted to UTC), falling back
    to pandas' mixed-format parser. Naive values are taken as UTC with a
    warning. Missing values stay missing (NaT).

    Parameters
    ----------
    values : Series
        Text or datetimes.
    path : Path
        Named in messages.
    rows : Series, optional
        1-based row numbers of ``values`` for error messages; default 1..n.

    Raises
    ------
    TimestampError
        A value cannot be parsed (quoted with its row number), or the values
        are numbers rather than dates.
    """
    if rows is None:
        rows = pd.Series(np.arange(1, len(values) + 1), index=values.index)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(_TS_DTYPE)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        if values.notna().any():
            warn("naive_timestamps", f"{path}: timestamps have no time zone; taken as UTC", path, int(values.notna().sum()))
        return values.dt.tz_localize("UTC").astype(_TS_DTYPE)
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        raise TimestampError(
            f"{path}: timestamp column holds {values.dtype} numbers, not dates or text "
            "(convert it to ISO 8601 text or a timestamp type)"
        )
    text = values.astype("str")
    present = text.notna()
    parsed = _to_datetime(text, path, rows)
    aware = text[present].str.contains(_AWARE, regex=True)
    n_naive = int((~aware).sum())
    if n_naive and n_naive == len(aware):
        warn("naive_timestamps", f"{path}: timestamps have no time zone; taken as UTC", path, n_naive)
    elif n_naive:
        warn(
            "naive_timestamps",
            f"{path}: {n_naive} of {len(aware)} timestamps have no time zone while others do; "
            "those taken as UTC",
            path,
            n_naive,
        )
    return parsed.astype(_TS_DTYPE)


def _to_datetime(text: pd.Series, path: Path, rows: pd.Series) -> pd.Series:
    for fmt in ("ISO8601", "mixed"):
        try:
            return pd.to_datetime(text, utc=True, format=fmt)
        except (ValueError, TypeError, OverflowError):
            continue
    coerced = pd.to_datetime(text, utc=True, format="mixed", errors="coerce")
    bad = coerced.isna() & text.notna()
    if not bad.any():  # pragma: no cover - parse failed yet every value coerces
        return coerced
    position = int(np.flatnonzero(bad.to_numpy())[0])
    value = str(text.iloc[position])
    if len(value) > 80:
        value = value[:77] + "..."
    raise TimestampError(
        f"{path}: cannot parse timestamp {value!r} in row {int(rows.iloc[position])} "
        f"({int(bad.sum())} unparsable value(s); use ISO 8601, e.g. 2024-01-31T09:30:00+00:00)"
    )


def _coerce_text(values: pd.Series, role: str, column: str, path: Path) -> pd.Series:
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) or dtype == "str":
        return values.astype("str")
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return values.astype("str")
    if pd.api.types.is_float_dtype(dtype):
        whole = values.dropna()
        if (whole == np.floor(whole)).all() and role != schema.ACTIVITY:
            warn("decimal_ids", f"{path}: {role} column {column!r} holds decimal numbers; read as whole numbers", path)
            return values.astype("Int64").astype("str")
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("string", "empty", "integer", "mixed-integer", "categorical", "boolean"):
        return values.astype("str")
    present = values.dropna()
    if kind.startswith("mixed") and len(present):
        kind = type(present.iloc[0]).__name__
    raise ColumnError(
        f"{path}: {role} column {column!r} holds {kind} values ({dtype}); expected text or integers"
    )


def _fill(frame: pd.DataFrame, role: str, default: str, path: Path) -> pd.DataFrame:
    if role not in frame:
        frame[role] = pd.Series(default, index=frame.index, dtype="str")
        return frame
    missing = frame[role].isna() | (frame[role].str.strip() == "")
    if missing.any():
        n = int(missing.sum())
        warn(f"{role}_missing", f"{path}: {n} events without {role}; given {role} {default!r}", path, n)
        frame[role] = frame[role].mask(missing, default)
    return frame


def _drop_missing(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    checks = (
        (schema.CASE, frame[schema.CASE].isna() | (frame[schema.CASE].str.strip() == "")),
        (schema.ACTIVITY, frame[schema.ACTIVITY].isna() | (frame[schema.ACTIVITY].str.strip() == "")),
        (schema.TIMESTAMP, _blank(frame[schema.TIMESTAMP])),
    )
    drop = np.zeros(len(frame), dtype=bool)
    for role, missing in checks:
        count = int(missing.to_numpy().sum())
        if count:
            what = {"case": "case id", "activity": "activity", "timestamp": "timestamp"}[role]
            code = {"case": "missing_case", "activity": "empty_activity", "timestamp": "missing_timestamp"}[role]
            warn(code, f"{path}: {count} events with empty or missing {what} dropped", path, count)
            drop |= missing.to_numpy()
    return frame[~drop] if drop.any() else frame


def _blank(values: pd.Series) -> pd.Series:
    if values.dtype == "str" or isinstance(values.dtype, pd.StringDtype):
        return values.isna() | (values.str.strip() == "")
    return values.isna()


def _sanitise(values: pd.Series, role: str, path: Path) -> pd.Series:
    codes, uniques = pd.factorize(values)
    names = pd.Series(uniques, dtype="str")
    unsafe = names.str.contains(_UNSAFE, regex=True)
    if not unsafe.any():
        return values
    warn(
        "control_characters",
        f"{path}: control characters or bidirectional marks stripped from {int(unsafe.sum())} {role} name(s)",
        path,
        int(unsafe.sum()),
    )
    cleaned = names.str.replace(_UNSAFE, "", regex=True).to_numpy(dtype=object)
    return pd.Series(cleaned[codes], index=values.index, dtype="str")


def _truncate(values: pd.Series, path: Path) -> pd.Series:
    codes, uniques = pd.factorize(values)
    names = pd.Series(uniques, dtype="str")
    long = names.str.len() > MAX_NAME_LENGTH
    if not long.any():
        return values
    warn(
        "long_names",
        f"{path}: {int(long.sum())} activity name(s) longer than {MAX_NAME_LENGTH:,} characters "
        "truncated (a hash suffix keeps them distinct)",
        path,
        int(long.sum()),
    )
    out = names.to_numpy(dtype=object)
    for i in np.flatnonzero(long.to_numpy()):
        name = out[i]
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
        out[i] = f"{name[:MAX_NAME_LENGTH - 13]}~{digest}"
    return pd.Series(out[codes], index=values.index, dtype="str")


def _drop_duplicates(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    columns = [c for c in frame.columns if c != "_row"]
    dupes = frame.duplicated(subset=columns, keep="first")
    count = int(dupes.sum())
    if count:
        warn("duplicate_events", f"{path}: {count} exact duplicate events dropped", path, count)
        frame = frame[~dupes.to_numpy()]
    return frame


def _lifecycle_column(frame: pd.DataFrame, column: str) -> str:
    return column if column in frame else f"{column} (original)"


def _report_lifecycle_values(frame: pd.DataFrame, column: str, path: Path, folded: bool) -> None:
    """Warn (``lifecycle_values``) about transitions other than start and complete, with counts."""
    values = frame[_lifecycle_column(frame, column)].astype("str").str.strip()
    other = values[values.notna() & (values != "") & ~values.str.lower().isin(["start", "complete"])]
    if other.empty:
        return
    counts = other.value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="stable")
    listed = ", ".join(f"{v!r} ({n:,})" for v, n in counts.head(10).items())
    if len(counts) > 10:
        listed += f" and {len(counts) - 10} more"
    done = (
        "those events are dropped (start/complete pairs are folded)"
        if folded
        else "those events are kept as events of their activity"
    )
    warn(
        "lifecycle_values",
        f"{path}: {len(other):,} events with lifecycle transitions other than start/complete: {listed}; "
        f"{done} (--lifecycle as-activity makes each its own activity)",
        path,
        len(other),
    )


def _lifecycle_as_activity(frame: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    values = frame[_lifecycle_column(frame, column)].astype("str").str.strip()
    renamed = values.notna() & (values != "") & (values.str.lower() != "complete")
    if renamed.any():
        frame = frame.copy()
        frame[schema.ACTIVITY] = frame[schema.ACTIVITY].where(
            ~renamed, frame[schema.ACTIVITY] + " (" + values + ")"
        )
    return frame


def _fold_lifecycle(frame: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    name = _lifecycle_column(frame, column)
    transition = frame[name].astype("str").str.strip().str.lower()
    is_start = (transition == "start").to_numpy()
    is_complete = (transition == "complete").to_numpy()
    if not (is_start.any() and is_complete.any()):
        _report_lifecycle_values(frame, column, path, folded=False)
        return frame
    _report_lifecycle_values(frame, column, path, folded=True)
    keys = [schema.UNIT, schema.CASE, schema.ACTIVITY]
    ordered = frame.sort_values([schema.TIMESTAMP, "_row"], kind="stable")
    t_ordered = transition.loc[ordered.index]
    starts = ordered[(t_ordered == "start").to_numpy()][keys + [schema.TIMESTAMP]]
    starts = starts.assign(_n=starts.groupby(keys, sort=False).cumcount())
    starts = starts.rename(columns={schema.TIMESTAMP: START_TIMESTAMP})
    completes = ordered[(t_ordered == "complete").to_numpy()][keys]
    completes = completes.assign(_n=completes.groupby(keys, sort=False).cumcount())
    matched = completes.reset_index().merge(starts, on=[*keys, "_n"], how="left").set_index("index")
    keep = is_complete | transition.isna().to_numpy()
    out = frame[keep].copy()
    out.insert(
        len(schema.CANONICAL),
        START_TIMESTAMP,
        matched[START_TIMESTAMP].reindex(out.index).astype(_TS_DTYPE),
    )
    n_start = int(is_start.sum())
    n_paired = int(out[START_TIMESTAMP].notna().sum())
    n_other = int(len(frame) - len(out) - n_start)
    message = f"{path}: {n_paired} lifecycle start events folded into their complete events (column start_timestamp)"
    if n_start > n_paired:
        message += f"; {n_start - n_paired} unmatched start events dropped"
    if n_other:
        message += f"; {n_other} events with other lifecycle transitions dropped"
    warn("lifecycle_folded", message, path, n_paired)
    return out


def _report_disorder(frame: pd.DataFrame, path: Path) -> None:
    if len(frame) < 2:
        return
    back = frame.groupby([schema.UNIT, schema.CASE], sort=False)[schema.TIMESTAMP].diff()
    count = int((back < pd.Timedelta(0)).sum())
    if count:
        warn(
            "out_of_order",
            f"{path}: {count} events have a timestamp earlier than the event before them "
            "in the same case; events are sorted by time",
            path,
            count,
        )


def check_read_options(*, unit_rule: str = "first", lifecycle: str = "auto") -> None:
    """Refuse an unknown ``unit_rule`` or ``lifecycle`` mode with an :class:`OptionError`."""
    if unit_rule not in UNIT_RULES:
        raise OptionError(f"--unit-rule {unit_rule!r}: expected one of {', '.join(UNIT_RULES)}")
    if lifecycle not in LIFECYCLE_MODES:
        raise OptionError(f"--lifecycle {lifecycle!r}: expected one of {', '.join(LIFECYCLE_MODES)}")


def _case_units(frame: pd.DataFrame, rule: str, default: str, path: Path) -> pd.DataFrame:
    """One unit per case (``rule``); blanks take their case's unit, cases without any the file's."""
    unit = frame[schema.UNIT]
    present = unit.notna().to_numpy()
    keys = [schema.PROCESS, schema.CASE]
    if present.all() and unit.nunique() <= 1:
        return frame  # one unit in the whole file
    sub = frame.loc[present, [*keys, schema.UNIT, schema.TIMESTAMP, "_row"]]
    sub = sub.sort_values([schema.TIMESTAMP, "_row"], kind="stable")
    grouped = sub.groupby(keys, sort=False)[schema.UNIT]
    n_units = grouped.nunique()
    if rule == "first":
        chosen = grouped.first()
    elif rule == "last":
        chosen = grouped.last()
    else:  # most; ties: the unit seen first
        counted = (
            sub.assign(_pos=np.arange(len(sub)))
            .groupby([*keys, schema.UNIT], sort=False)["_pos"]
            .agg(["size", "min"])
            .reset_index()
            .sort_values(["size", "min"], ascending=[False, True], kind="stable")
            .drop_duplicates(keys)
        )
        chosen = counted.set_index(keys)[schema.UNIT]
    index = pd.MultiIndex.from_frame(frame[keys])
    new = chosen.reindex(index).to_numpy(dtype=object)
    without = pd.isna(new)
    spans = int((n_units > 1).sum())
    if spans:
        moved = int((present & ~without & (unit.to_numpy(dtype=object) != new)).sum())
        which = {"first": "first event naming a unit", "last": "last event naming a unit",
                 "most": "most events"}[rule]
        warn(
            "case_spans_units",
            f"{path}: {spans:,} cases have events in more than one unit; each is counted whole in the "
            f"unit of its {which} (--unit-rule {rule}; {moved:,} events moved)",
            path,
            spans,
        )
    if without.any():
        n = int(without.sum())
        n_cases = int(frame.loc[without, keys].drop_duplicates().shape[0])
        warn(
            "unit_missing",
            f"{path}: {n:,} events without unit in {n_cases:,} cases that name no unit; given unit {default!r}",
            path,
            n,
        )
        new[without] = default
    frame = frame.copy()
    frame[schema.UNIT] = pd.Series(new, index=frame.index, dtype="str")
    return frame
