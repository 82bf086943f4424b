"""The one-sort plan of the SQL profile step: every aggregate from one ordered pass over the events.

Used by the DuckDB engine when the log allows it (see
:mod:`divergence.engines.duckdb`); the general plan is in :mod:`.sql`.
"""

from __future__ import annotations

from divergence.waits import wait_bin_sql

from .sql import DUCKDB

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
       and wait bin of :mod:`divergence.waits` (one more grouping key, a
       handful of groups per pair) count and the middle wait(s) for the
       median; per activity and resource (tag 2) count; per
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
    SELECT *, {wait} AS wait, {wait_bin_sql(wait)} AS wbin,
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
           CASE WHEN w.tag = 1 THEN w.wbin END AS kw,
           count(*) AS n,
           min(w.ts) AS first_ts,
           max(w.ts) AS last_ts,
           sum(CAST(hash(({code} + 1) * 4294967296 + {pos}) AS HUGEINT)) FILTER (WHERE w.tag = 0) AS h1,
           sum(CAST(hash(CAST({pos} AS VARCHAR) || ':' || CAST({code} AS VARCHAR)) AS HUGEINT))
               FILTER (WHERE w.tag = 0) AS h2,
           sum(w.bad) FILTER (WHERE w.tag = 0) AS bad,
           -- median: the middle value(s) of the pair's waits, numbered in order of wait (each in
           -- the group of its wait bin; the edges query takes them from the pair's groups)
           min(w.wait) FILTER (WHERE w.tag = 1 AND w.wn = (w.wcount + 1) // 2) AS mid_lo,
           max(w.wait) FILTER (WHERE w.tag = 1 AND w.wn = w.wcount // 2 + 1) AS mid_hi
    FROM t AS w
    WHERE (w.tag <> 1 OR w.prev_a IS NOT NULL) AND (w.tag <> 2 OR w.r IS NOT NULL)
    GROUP BY w.tag, w.pr, w.un, kc, ka, kb, kr, ks, kw
)
SELECT tag, CAST(pr AS VARCHAR) AS process, CAST(un AS VARCHAR) AS unit,
       CAST(CASE tag WHEN 0 THEN CAST(kc AS VARCHAR) WHEN 2 THEN CAST(kr AS VARCHAR)
                     WHEN 4 THEN CAST(ks AS VARCHAR) END AS VARCHAR) AS k1,
       CAST(ka AS VARCHAR) AS activity, CAST(kb AS VARCHAR) AS target,
       n, first_ts, last_ts, h1, h2, bad, mid_lo, mid_hi, kw AS wbin
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
    """The seven aggregate queries over the tables of :func:`one_sort_statements`."""
    p = prefix
    return {
        "variants": f"SELECT process, unit, variant, cases, median_duration_s FROM {p}variants",
        "edges": f"""WITH pairs AS (
    SELECT DISTINCT process, unit, variant, cases, acts[i] AS source, acts[i + 1] AS target
    FROM (SELECT *, unnest(range(1, len(acts))) AS i FROM {p}variants) AS x
),
c AS (SELECT process, unit, source, target, sum(cases) AS cases FROM pairs GROUP BY ALL),
a AS (SELECT process, unit, activity, target, sum(n) AS n, (max(mid_lo) + max(mid_hi)) / 2 AS median_s
      FROM {p}agg WHERE tag = 1 GROUP BY ALL)
SELECT a.process, a.unit, a.activity AS source, a.target, a.n AS events, c.cases, a.median_s AS median_wait_s
FROM a JOIN c ON a.process = c.process AND a.unit = c.unit AND a.activity = c.source AND a.target = c.target""",
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
        "edge_waits": f"""SELECT process, unit, activity AS source, target, wbin AS bin, n AS events
FROM {p}agg WHERE tag = 1""",
    }
