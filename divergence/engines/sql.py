"""The profile step as SQL text, shared by the DuckDB and PostgreSQL engines.

The queries read a relation of canonical, cleaned events with the columns

``process, unit, case_id, activity, ts, resource, start_ts, ord``

(``ts`` and ``start_ts`` are UTC timestamps, ``ord`` a 64-bit integer giving
the original read order, which breaks ties in ``ts`` within a case exactly
as the pandas engine's stable sort does). :func:`profile_statements` returns
the statements that build two helper tables (per case, and per
directly-follows pair) and :func:`result_queries` the seven queries whose
results are :class:`divergence.profile.Aggregates` (the waits per edge are
counted in the fixed bins of :mod:`divergence.waits`, :func:`wait_bin_sql`).

Dialect differences are few and kept in :class:`Dialect`: the separator
literal, seconds between two timestamps (computed from whole microseconds so
that the float is bit-identical to pandas' ``ns / 1e9``), and the median,
computed as ``(lower middle + upper middle) / 2`` from two discrete
percentiles so that it is bit-identical to pandas' median too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from divergence import schema
from divergence.errors import ColumnError, OptionError, TimestampError
from divergence.io.clean import MAX_NAME_LENGTH
from divergence.io.columns import LIFECYCLE
from divergence.waits import wait_bin_sql

__all__ = [
    "DUCKDB",
    "POSTGRES",
    "TABLES",
    "Dialect",
    "clean_events_sql",
    "profile_statements",
    "result_queries",
]

#: ord = source index * 2**ROW_BITS + row number within the source.
ROW_BITS = 40

#: Names of the result tables, in the order of :class:`divergence.profile.Aggregates`.
TABLES = ("variants", "edges", "activities", "resources", "durations", "units", "edge_waits")


@dataclass(frozen=True)
class Dialect:
    """What differs between SQL engines in the profile queries."""

    name: str
    temp: str  # CREATE <temp> TABLE
    #: regular expression of characters stripped from names (same set as the pandas reader)
    unsafe_pattern: str

    @property
    def separator(self) -> str:
        return "chr(31)"

    def seconds(self, start: str, end: str) -> str:
        """Seconds from ``start`` to ``end`` as a double."""
        if self.name == "duckdb":
            return f"(CAST(epoch_us({end}) - epoch_us({start}) AS DOUBLE) / 1e6)"
        return f"CAST(EXTRACT(EPOCH FROM {end}) - EXTRACT(EPOCH FROM {start}) AS DOUBLE PRECISION)"

    def median(self, expr: str) -> str:
        """Median of ``expr`` (NULLs ignored) exactly as pandas computes it."""
        if self.name == "duckdb":
            return f"((quantile_disc({expr}, 0.5) - quantile_disc(-({expr}), 0.5)) / 2)"
        return (
            f"((percentile_disc(0.5) WITHIN GROUP (ORDER BY {expr}) "
            f"+ percentile_disc(0.5) WITHIN GROUP (ORDER BY {expr} DESC)) / 2)"
        )

    def blank(self, expr: str) -> str:
        """True where ``expr`` is NULL or only white space."""
        if self.name == "duckdb":
            return f"({expr} IS NULL OR regexp_full_match({expr}, '\\s*'))"
        return f"({expr} IS NULL OR {expr} ~ '^\\s*$')"

    def sha12(self, expr: str) -> str:
        """First 12 hex digits of the SHA-256 of ``expr``'s UTF-8 bytes."""
        if self.name == "duckdb":
            return f"left(sha256({expr}), 12)"
        return f"left(encode(sha256(convert_to({expr}, 'UTF8')), 'hex'), 12)"

    def comparable(self, expr: str) -> str:
        """``expr`` in a form GROUP BY accepts for any column type."""
        return expr if self.name == "duckdb" else f"CAST({expr} AS TEXT)"


DUCKDB = Dialect(
    name="duckdb",
    temp="TEMP",
    unsafe_pattern=r"[\x{00}-\x{1f}\x{7f}-\x{9f}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}]",
)
POSTGRES = Dialect(
    name="postgres",
    temp="TEMPORARY",
    unsafe_pattern=r"[\x01-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]",
)


def profile_statements(dialect: Dialect, events: str, *, prefix: str = "dv_") -> list[str]:
    """Statements building ``<prefix>cases`` and ``<prefix>pairs`` from ``events``.

    ``<prefix>cases``: one row per case with its variant (activity names in
    (ts, ord) order joined by ``chr(31)``), event count, first and last time
    and duration. ``<prefix>pairs``: one row per directly-follows occurrence
    (``lag`` over the case ordered by ts, ord) with its waiting time.
    """
    sec = dialect.seconds
    return [
        f"""CREATE {dialect.temp} TABLE {prefix}cases AS
SELECT process, unit, case_id,
       string_agg(activity, {dialect.separator} ORDER BY ts, ord) AS variant,
       count(*) AS n_events,
       min(ts) AS first_ts,
       max(ts) AS last_ts,
       {sec("min(ts)", "max(ts)")} AS duration_s
FROM {events}
GROUP BY process, unit, case_id""",
        f"""CREATE {dialect.temp} TABLE {prefix}pairs AS
SELECT process, unit, case_id, source, target, {sec("prev_ts", "ts")} AS wait_s
FROM (
    SELECT process, unit, case_id, activity AS target, ts,
           lag(activity) OVER w AS source,
           lag(ts) OVER w AS prev_ts
    FROM {events}
    WINDOW w AS (PARTITION BY process, unit, case_id ORDER BY ts, ord)
) AS x
WHERE source IS NOT NULL""",
    ]


def result_queries(dialect: Dialect, events: str, *, prefix: str = "dv_") -> dict[str, str]:
    """The seven aggregate queries, keyed by :data:`TABLES` names.

    Column names are those of :class:`divergence.profile.Aggregates`, with
    ``case_id`` standing for nothing (it is not returned) and ``first_ts``,
    ``last_ts`` for ``first``, ``last`` (renamed by the caller).
    """
    med = dialect.median
    cases = f"{prefix}cases"
    return {
        "variants": f"""SELECT process, unit, variant, count(*) AS cases,
       {med("duration_s")} AS median_duration_s
FROM {cases} GROUP BY process, unit, variant""",
        "edges": f"""SELECT process, unit, source, target, count(*) AS events,
       count(DISTINCT case_id) AS cases, {med("wait_s")} AS median_wait_s
FROM {prefix}pairs GROUP BY process, unit, source, target""",
        "activities": f"""SELECT process, unit, activity, count(*) AS events,
       count(DISTINCT case_id) AS cases, count(DISTINCT resource) AS resources,
       {med(dialect.seconds("start_ts", "ts"))} AS median_service_s
FROM {events} GROUP BY process, unit, activity""",
        "resources": f"""SELECT process, unit, activity, resource, count(*) AS events
FROM {events} WHERE resource IS NOT NULL GROUP BY process, unit, activity, resource""",
        "durations": f"""SELECT process, unit, duration_s, count(*) AS cases
FROM {cases} GROUP BY process, unit, duration_s""",
        "units": f"""SELECT process, unit, count(*) AS cases, sum(n_events) AS events,
       min(first_ts) AS first_ts, max(last_ts) AS last_ts
FROM {cases} GROUP BY process, unit""",
        "edge_waits": f"""SELECT process, unit, source, target, bin, count(*) AS events
FROM (SELECT process, unit, source, target, {wait_bin_sql("wait_s")} AS bin FROM {prefix}pairs) AS b
GROUP BY process, unit, source, target, bin""",
    }


def clean_events_sql(
    dialect: Dialect,
    raw: str,
    roles: Mapping[str, str],
    kinds: Mapping[str, str],
    columns: Sequence[str],
    path: Path | str,
    *,
    deduplicate: bool = True,
    dup_key: bool = False,
    unit_rule: str = "first",
) -> str:
    """SQL turning one raw source relation into cleaned canonical events.

    ``raw`` is a SELECT with the source's columns plus ``_src`` (source
    index), ``_row`` (1-based row number), ``_dv_unit`` and ``_dv_process``
    (the unit and process of events without such a column). ``roles`` maps
    role -> column (:func:`divergence.io.columns.detect_columns`) and
    ``kinds`` column -> ``text|int|float|timestamp`` (anything else is not
    accepted for a role). The cleaning is that of
    :func:`divergence.io.clean.canonical_events`, per source: missing or
    blank case, activity or timestamp dropped; control characters stripped
    from activity, unit, process; long activity names truncated with a hash
    suffix; timestamps to UTC; exact duplicates dropped (optional); lifecycle
    start/complete pairs folded into ``start_ts``; with a unit column, one
    unit per case (``_src``, process, case id) by ``unit_rule`` (``first``,
    ``last`` or ``most`` of the events naming a unit, ties to the first),
    events with an empty unit taking their case's, and only cases naming no
    unit taking ``_dv_unit``.

    Returns a SELECT of ``src, ord, process, unit, case_id, activity, ts,
    resource, start_ts``, and with ``dup_key`` (only without a lifecycle
    column) ``dv_key``: the source's other columns as a list of text, which
    with the canonical columns tells exact duplicates apart.
    """

    def ident(name: str) -> str:
        return '"' + str(name).replace('"', '""') + '"'

    def text(role: str) -> str:
        name = roles[role]
        kind, c = kinds[name], ident(roles[role])
        if kind == "text":
            return c
        if kind == "int":
            return f"CAST({c} AS VARCHAR)"
        if kind == "float" and role != schema.ACTIVITY:
            return f"CASE WHEN {c} = floor({c}) THEN CAST(CAST({c} AS BIGINT) AS VARCHAR) END"
        raise ColumnError(f"{path}: {role} column {name!r} holds {kind} values; expected text or integers")

    def clean(expr: str) -> str:
        return f"regexp_replace({expr}, '{dialect.unsafe_pattern}', '', 'g')"

    def filled(role: str, default: str) -> str:
        if role not in roles:
            return default
        t = text(role)
        return clean(f"CASE WHEN {dialect.blank(t)} THEN {default} ELSE {t} END")

    keep = MAX_NAME_LENGTH - 14
    act = clean(text(schema.ACTIVITY))
    activity = (
        f"CASE WHEN length({act}) > {MAX_NAME_LENGTH} THEN left({act}, {keep}) || '~' || "
        f"{dialect.sha12(act)} ELSE {act} END"
    )
    ts_col = ident(roles[schema.TIMESTAMP])
    ts_kind = kinds[roles[schema.TIMESTAMP]]
    if ts_kind == "text":
        ts_blank = dialect.blank(ts_col)
        ts = f"CASE WHEN {ts_blank} THEN NULL ELSE CAST({ts_col} AS TIMESTAMPTZ) END"
    elif ts_kind == "timestamp":
        ts_blank = f"({ts_col} IS NULL)"
        ts = f"CAST({ts_col} AS TIMESTAMPTZ)"
    else:
        raise TimestampError(
            f"{path}: timestamp column holds {ts_kind} values, not dates or text "
            "(convert it to ISO 8601 text or a timestamp type)"
        )
    resource = text(schema.RESOURCE) if schema.RESOURCE in roles else "CAST(NULL AS VARCHAR)"
    lifecycle = (
        f"lower(trim(CAST({ident(roles[LIFECYCLE])} AS VARCHAR)))" if LIFECYCLE in roles else "CAST(NULL AS VARCHAR)"
    )
    used = {roles[r] for r in roles if r != LIFECYCLE}
    others = [c for c in columns if c not in used]
    other_cols = "".join(f",\n    {dialect.comparable(ident(c))} AS o{k}" for k, c in enumerate(others))
    if schema.UNIT in roles:  # NULL for now: the case's unit is chosen below
        t_unit = text(schema.UNIT)
        unit_sql = f"CASE WHEN {dialect.blank(t_unit)} THEN NULL ELSE {clean(t_unit)} END"
    else:
        unit_sql = "_dv_unit"
    canon = f"""SELECT _src, CAST(_src AS BIGINT) * {1 << ROW_BITS} + _row AS ord,
    {filled(schema.PROCESS, '_dv_process')} AS process,
    {unit_sql} AS unit,
    {text(schema.CASE)} AS case_id,
    {activity} AS activity,
    {ts} AS ts,
    {resource} AS resource,
    {lifecycle} AS lc{other_cols}, _dv_unit AS dv_unit0
FROM ({raw}) AS raw
WHERE NOT {dialect.blank(text(schema.CASE))} AND NOT {dialect.blank(text(schema.ACTIVITY))} AND NOT {ts_blank}"""
    if schema.UNIT in roles:
        canon = _case_unit_sql(canon, unit_rule, len(others))
    cols = "_src, process, unit, case_id, activity, ts, resource, lc"
    if deduplicate:
        # Exact duplicates (same source, every column equal) keep the first row
        # read. A window numbering the rows of each group of equal rows by ord,
        # rather than a GROUP BY over every column: the window sorts, and
        # sorting spills to disk within the memory limit, where a hash
        # aggregation with one group per event (almost all rows are unique)
        # ran out of memory at 100M events.
        group = cols + "".join(f", o{k}" for k in range(len(others)))
        dedup = (
            f"SELECT {cols}, ord FROM (SELECT {cols}, ord, "
            f"row_number() OVER (PARTITION BY {group} ORDER BY ord) AS dv_dup FROM canon) AS numbered "
            "WHERE dv_dup = 1"
        )
    else:
        dedup = "SELECT * FROM canon"
    out_cols = "_src AS src, ord, process, unit, case_id, activity, ts, resource"
    if LIFECYCLE not in roles:
        key = ""
        if dup_key:
            if others:
                # as text; float zeros made equal, as -0.0 = 0.0 in the deduplicating window
                items = ", ".join(
                    f"CASE WHEN o{k} = 0 THEN '0' ELSE CAST(o{k} AS VARCHAR) END"
                    if kinds.get(c) == "float" else f"CAST(o{k} AS VARCHAR)"
                    for k, c in enumerate(others)
                )
                key = f", CAST([{items}] AS VARCHAR[]) AS dv_key"
            else:
                key = ", CAST(NULL AS VARCHAR[]) AS dv_key"
        return (
            f"WITH canon AS ({canon}), d AS ({dedup}) "
            f"SELECT {out_cols}, CAST(NULL AS TIMESTAMPTZ) AS start_ts{key} FROM d"
        )
    part = "PARTITION BY _src, unit, case_id, activity ORDER BY ts, ord"
    return f"""WITH canon AS ({canon}), dd AS ({dedup}),
flags AS (SELECT _src, bool_or(lc = 'start') AND bool_or(lc = 'complete') AS fold FROM dd GROUP BY _src),
d AS (SELECT dd.*, flags.fold FROM dd JOIN flags USING (_src)),
s AS (SELECT _src, unit, case_id, activity, ts AS start_ts, row_number() OVER ({part}) AS n
      FROM d WHERE fold AND lc = 'start'),
c AS (SELECT d.*, row_number() OVER ({part}) AS n FROM d WHERE fold AND lc = 'complete')
SELECT {out_cols}, CAST(NULL AS TIMESTAMPTZ) AS start_ts FROM d WHERE NOT fold OR lc IS NULL
UNION ALL
SELECT c._src AS src, c.ord, c.process, c.unit, c.case_id, c.activity, c.ts, c.resource, s.start_ts
FROM c LEFT JOIN s ON c._src = s._src AND c.unit = s.unit AND c.case_id = s.case_id
    AND c.activity = s.activity AND c.n = s.n"""


def _case_unit_sql(canon: str, rule: str, n_others: int) -> str:
    """``canon`` with one unit per case (``_src``, process, case_id) chosen by ``rule``.

    Each case's events naming a unit are numbered in (ts, ord) order; per
    unit of the case its count and first and last position decide:
    ``first`` the lowest first position, ``last`` the highest last one,
    ``most`` the highest count (ties: the lowest first position).
    """
    order = {"first": "first_pos", "last": "last_pos DESC", "most": "n DESC, first_pos"}.get(rule)
    if order is None:
        raise OptionError(f"--unit-rule {rule!r}: expected one of first, last, most")
    case = "_src, process, case_id"
    others = "".join(f", c.o{k}" for k in range(n_others))
    return f"""WITH c0 AS ({canon}),
dv_pos AS (SELECT {case}, unit, row_number() OVER (PARTITION BY {case} ORDER BY ts, ord) AS pos
           FROM c0 WHERE unit IS NOT NULL),
dv_per AS (SELECT {case}, unit, count(*) AS n, min(pos) AS first_pos, max(pos) AS last_pos
           FROM dv_pos GROUP BY {case}, unit),
dv_pick AS (SELECT {case}, unit AS case_unit FROM (
              SELECT {case}, unit, row_number() OVER (PARTITION BY {case} ORDER BY {order}) AS k FROM dv_per
           ) AS r WHERE k = 1)
SELECT c._src, c.ord, c.process, coalesce(p.case_unit, c.dv_unit0) AS unit, c.case_id, c.activity, c.ts,
       c.resource, c.lc{others}, c.dv_unit0
FROM c0 AS c LEFT JOIN dv_pick AS p ON c._src = p._src AND c.process = p.process AND c.case_id = p.case_id"""
