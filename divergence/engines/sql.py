"""The profile step as SQL text, shared by the DuckDB and PostgreSQL engines.

The queries read a relation of canonical, cleaned events with the columns

``process, unit, case_id, activity, ts, resource, start_ts, ord``

(``ts`` and ``start_ts`` are UTC timestamps, ``ord`` a 64-bit integer giving
the original read order, which breaks ties in ``ts`` within a case exactly
as the pandas engine's stable sort does). :func:`profile_statements` returns
the statements that build two helper tables (per case, and per
directly-follows pair) and :func:`result_queries` the six queries whose
results are :class:`divergence.profile.Aggregates`.

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
TABLES = ("variants", "edges", "activities", "resources", "durations", "units")


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
    """The six aggregate queries, keyed by :data:`TABLES` names.

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


#: Earlier rows with the same time in a case compared with each row to find
#: exact duplicates in the one-sort plan; a longer run of equal times makes
#: :func:`one_sort_statements` report the log as unsure (the caller then uses
#: the general plan).
DUP_LOOKBACK = 3



def one_sort_statements(events: str, *, dup_check: bool, service: bool = True, prefix: str = "dv_") -> list[str]:
    """DuckDB statements computing the aggregates with one sort of the events per case.

    ``events`` is a SELECT of ``src, ord, process, unit, case_id, activity,
    ts, resource, start_ts`` and, with ``dup_check``, ``dv_key`` (the other
    columns of the row, for duplicate detection); it is read three times
    (four with ``service``) and never stored. ``service``: whether
    ``start_ts`` may be set (else the median service times are NULL and
    ``start_ts`` is not read).

    1. One hash aggregation (grouping sets) lists the distinct processes,
       units, cases, activities and resources; each list becomes an ENUM
       type, so that the rows to sort are a few integers wide instead of
       five strings (sorting the strings spilled more than 59 GB at 100M events).
    2. A window ordered by ``process, unit, case_id, ts, ord`` gives each
       event its position, previous activity and time, and (``dup_check``)
       whether it is an exact copy of one of the :data:`DUP_LOOKBACK`
       events before it with the same time (or may be one: a longer run of
       equal times). A second window numbers each directly-follows pair's
       occurrences by waiting time, for the exact median (the middle one or
       two values, as pandas takes them). Both sorts spill within the
       memory limit. ``quantile_disc`` is not used on event-level data: in the
       same aggregation as the per-case groups it ran out of memory (30M
       events, 900 MB limit) where the window took 0.6 GB of spill.
    3. A single hash aggregation over that stream computes, tagged: per case
       (tag 0) the event count, first and last time and two order-dependent
       hashes of the activity sequence; per directly-follows pair (tag 1)
       count and median wait; per activity and resource (tag 2) count; per
       activity (tag 3) count; per source (tag 4) the event count.
    4. Variants are (length, hash, hash) groups of cases (collision chance
       about 2**-128 per pair of variants, as in the pandas engine), named by
       one representative case's ordered ``string_agg``. The number of cases
       per pair and per activity follows from the variants.

    Creates ``<prefix>dict``, the ENUM types ``<prefix>enum_*``,
    ``<prefix>agg``, ``<prefix>service``, ``<prefix>cases``, ``<prefix>var``
    and ``<prefix>variants``. ``<prefix>cases.bad`` counts (possible)
    duplicates, which this plan does not remove: the caller checks it after
    the ``<prefix>cases`` statement (the third last) and uses the general
    plan if it is not zero.
    """
    sec = DUCKDB.seconds
    p = prefix
    names = ("process", "unit", "case_id", "activity", "resource")
    enum = {c: f"{p}enum_{c}" for c in names}
    statements = [
        f"""CREATE TEMP TABLE {p}dict AS
SELECT {", ".join(names)} FROM ({events}) AS e
GROUP BY GROUPING SETS ({", ".join(f"({c})" for c in names)})""",
    ]
    for c in names:
        statements.append(f"DROP TYPE IF EXISTS {enum[c]}")
        statements.append(
            f"CREATE TYPE {enum[c]} AS ENUM (SELECT {c} FROM {p}dict WHERE {c} IS NOT NULL ORDER BY {c})"
        )
    if dup_check:
        checks = []
        for j in range(1, DUP_LOOKBACK + 1):
            same = " AND ".join(
                f"{c} IS NOT DISTINCT FROM lag({c}, {j}) OVER w" for c in ("a", "r", "dv_key")
            )
            checks.append(f"(ts = lag(ts, {j}) OVER w AND src = lag(src, {j}) OVER w AND {same})")
        checks.append(f"coalesce(ts = lag(ts, {DUP_LOOKBACK + 1}) OVER w, false)")
        bad = "CAST(coalesce(" + " OR ".join(checks) + ", false) AS INTEGER)"
        key = ", dv_key"
    else:
        bad, key = "0", ""
    wait = sec("prev_ts", "ts")
    narrow = (
        f"SELECT CAST(process AS {enum['process']}) AS pr, CAST(unit AS {enum['unit']}) AS un, "
        f"CAST(case_id AS {enum['case_id']}) AS c, CAST(activity AS {enum['activity']}) AS a, "
        f"CAST(resource AS {enum['resource']}) AS r, ts, ord, src{key} FROM ({events}) AS e"
    )
    code = "CAST(enum_code(w.a) AS BIGINT)"
    pos = "CAST(w.pos AS BIGINT)"
    statements += [
        f"""CREATE TEMP TABLE {p}agg AS
WITH w AS (
    SELECT pr, un, c, a, r, ts, src,
           lag(a) OVER w AS prev_a, lag(ts) OVER w AS prev_ts,
           row_number() OVER w AS pos, {bad} AS bad
    FROM ({narrow}) AS n
    WINDOW w AS (PARTITION BY pr, un, c ORDER BY ts, ord)
),
m AS (
    SELECT *, {wait} AS wait,
           row_number() OVER m AS wn,
           count(*) OVER (m ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS wcount
    FROM w
    WINDOW m AS (PARTITION BY pr, un, prev_a, a ORDER BY {wait})
),
t AS (SELECT *, unnest([0, 1, 2, 3, 4]) AS tag FROM m),
g AS (
    SELECT w.tag, w.pr, w.un,
           CASE WHEN w.tag = 0 THEN w.c END AS kc,
           CASE WHEN w.tag = 1 THEN w.prev_a WHEN w.tag IN (2, 3) THEN w.a END AS ka,
           CASE WHEN w.tag = 1 THEN w.a END AS kb,
           CASE WHEN w.tag = 2 THEN w.r END AS kr,
           CASE WHEN w.tag = 4 THEN w.src END AS ks,
           count(*) AS n,
           min(w.ts) AS first_ts,
           max(w.ts) AS last_ts,
           sum(CAST(hash(({code} + 1) * 4294967296 + {pos}) AS HUGEINT)) FILTER (WHERE w.tag = 0) AS h1,
           sum(CAST(hash(CAST({pos} AS VARCHAR) || ':' || CAST({code} AS VARCHAR)) AS HUGEINT))
               FILTER (WHERE w.tag = 0) AS h2,
           sum(w.bad) FILTER (WHERE w.tag = 0) AS bad,
           -- median: the middle value(s) of the pair's waits, numbered in order of wait
           (min(w.wait) FILTER (WHERE w.tag = 1 AND w.wn = (w.wcount + 1) // 2)
            + max(w.wait) FILTER (WHERE w.tag = 1 AND w.wn = w.wcount // 2 + 1)) / 2 AS median_s
    FROM t AS w
    WHERE (w.tag <> 1 OR w.prev_a IS NOT NULL) AND (w.tag <> 2 OR w.r IS NOT NULL)
    GROUP BY w.tag, w.pr, w.un, kc, ka, kb, kr, ks
)
SELECT tag, CAST(pr AS VARCHAR) AS process, CAST(un AS VARCHAR) AS unit,
       CAST(CASE tag WHEN 0 THEN CAST(kc AS VARCHAR) WHEN 2 THEN CAST(kr AS VARCHAR)
                     WHEN 4 THEN CAST(ks AS VARCHAR) END AS VARCHAR) AS k1,
       CAST(ka AS VARCHAR) AS activity, CAST(kb AS VARCHAR) AS target,
       n, first_ts, last_ts, h1, h2, bad, median_s
FROM g""",
        f"""CREATE TEMP TABLE {p}service AS
SELECT process, unit, activity, {DUCKDB.median(sec("start_ts", "ts"))} AS median_service_s
FROM ({events}) AS e WHERE start_ts IS NOT NULL GROUP BY process, unit, activity"""
        if service
        else f"""CREATE TEMP TABLE {p}service AS
SELECT CAST(NULL AS VARCHAR) AS process, CAST(NULL AS VARCHAR) AS unit, CAST(NULL AS VARCHAR) AS activity,
       CAST(NULL AS DOUBLE) AS median_service_s WHERE false""",
        f"""CREATE TEMP TABLE {p}cases AS
SELECT process, unit, k1 AS case_id, n AS n_events, first_ts, last_ts,
       {sec("first_ts", "last_ts")} AS duration_s, h1, h2, bad
FROM {p}agg WHERE tag = 0""",
        f"""CREATE TEMP TABLE {p}var AS
SELECT process, unit, n_events, h1, h2, count(*) AS cases,
       {DUCKDB.median("duration_s")} AS median_duration_s, min(case_id) AS rep
FROM {p}cases GROUP BY process, unit, n_events, h1, h2""",
        f"""CREATE TEMP TABLE {p}variants AS
WITH s AS (
    SELECT e.process, e.unit, e.case_id, string_agg(e.activity, chr(31) ORDER BY e.ts, e.ord) AS variant
    FROM ({events}) AS e SEMI JOIN {p}var AS v
        ON e.process = v.process AND e.unit = v.unit AND e.case_id = v.rep
    GROUP BY e.process, e.unit, e.case_id
)
SELECT v.process, v.unit, s.variant, v.cases, v.median_duration_s, string_split(s.variant, chr(31)) AS acts
FROM {p}var AS v JOIN s ON v.process = s.process AND v.unit = s.unit AND v.rep = s.case_id""",
    ]
    return statements


def one_sort_queries(*, prefix: str = "dv_") -> dict[str, str]:
    """The six aggregate queries over the tables of :func:`one_sort_statements`."""
    p = prefix
    return {
        "variants": f"SELECT process, unit, variant, cases, median_duration_s FROM {p}variants",
        "edges": f"""WITH pairs AS (
    SELECT DISTINCT process, unit, variant, cases, acts[i] AS source, acts[i + 1] AS target
    FROM (SELECT *, unnest(range(1, len(acts))) AS i FROM {p}variants) AS x
),
c AS (SELECT process, unit, source, target, sum(cases) AS cases FROM pairs GROUP BY ALL)
SELECT a.process, a.unit, a.activity AS source, a.target, a.n AS events, c.cases, a.median_s AS median_wait_s
FROM {p}agg AS a JOIN c ON a.process = c.process AND a.unit = c.unit AND a.activity = c.source AND a.target = c.target
WHERE a.tag = 1""",
        "activities": f"""WITH acts AS (
    SELECT DISTINCT process, unit, variant, cases, unnest(acts) AS activity FROM {p}variants
),
c AS (SELECT process, unit, activity, sum(cases) AS cases FROM acts GROUP BY ALL),
r AS (SELECT process, unit, activity, count(*) AS resources FROM {p}agg WHERE tag = 2 GROUP BY ALL)
SELECT a.process, a.unit, a.activity, a.n AS events, c.cases, coalesce(r.resources, 0) AS resources,
       s.median_service_s
FROM {p}agg AS a
JOIN c ON a.process = c.process AND a.unit = c.unit AND a.activity = c.activity
LEFT JOIN r ON a.process = r.process AND a.unit = r.unit AND a.activity = r.activity
LEFT JOIN {p}service AS s ON a.process = s.process AND a.unit = s.unit AND a.activity = s.activity
WHERE a.tag = 3""",
        "resources": f"SELECT process, unit, activity, k1 AS resource, n AS events FROM {p}agg WHERE tag = 2",
        "durations": f"SELECT process, unit, duration_s, count(*) AS cases FROM {p}cases GROUP BY process, unit, duration_s",
        "units": f"""SELECT process, unit, count(*) AS cases, sum(n_events) AS events,
       min(first_ts) AS first_ts, max(last_ts) AS last_ts
FROM {p}cases GROUP BY process, unit""",
    }
