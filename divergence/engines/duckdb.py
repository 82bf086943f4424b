"""DuckDB engine: the profile step inside embedded DuckDB, for logs beyond memory.

CSV and Parquet files (and folders of partitioned Parquet) are read by
DuckDB itself (``read_csv`` with every column as text, ``read_parquet``),
cleaned in SQL the way the pandas reader cleans them, and aggregated with the
shared queries of :mod:`divergence.engines.sql`. Only the aggregates come
back to Python. DuckDB spills to ``temp_directory`` when ``memory_limit`` is
reached, so the log may be larger than memory.

Two plans. The one-sort plan (:func:`~divergence.engines.onesort.one_sort_statements`)
never stores the events: it encodes names as ENUMs, sorts the events by case
once and aggregates that stream in one pass. It is used unless a file has a
lifecycle column or exact duplicates (found on the way; see ``deduplicate``).
The general plan stores the deduplicated, folded events in a table and runs
the shared queries of :func:`~divergence.engines.sql.profile_statements`.

XES files are read by the pandas reader and registered as a DuckDB relation
(XES is XML; it is never large enough to need more). A canonical event frame
can also be passed directly.

Cleaning done in SQL, per file as the pandas reader does it: events without
case id, activity or timestamp are dropped; control characters and
bidirectional marks are stripped from activity, unit and process names;
activity names over 1,000 characters are truncated with a hash suffix;
timestamps are converted to UTC (naive ones taken as UTC); exact duplicate
events are dropped; lifecycle ``start``/``complete`` pairs are folded into
``start_timestamp``. Unlike the pandas reader it issues no warnings about
what it cleaned, and it parses text timestamps with DuckDB's ISO 8601 cast
only (no guessing of other formats).
"""

from __future__ import annotations

import glob as _glob
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from divergence import schema
from divergence.errors import InputError, OptionError, TimestampError, warn
from divergence.io.columns import LIFECYCLE, detect_columns
from divergence.io.safety import strip_log_suffix
from divergence.profile import Aggregates

from ..options import Columns
from ._common import fill_sources, to_aggregates, xes_events
from .onesort import one_sort_queries, one_sort_statements
from .sql import DUCKDB, TABLES, clean_events_sql, profile_statements, result_queries

__all__ = ["aggregate_duckdb", "input_files"]

_ROW_BITS = 40  # ord = source index * 2**40 + row number within the source
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT", "BOOLEAN")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")


def aggregate_duckdb(
    source,
    *,
    columns: Columns | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike | None = None,
    deduplicate: bool = True,
    checksums: bool = True,
    unit_rule: str = "first",
) -> Aggregates:
    """Compute :class:`~divergence.profile.Aggregates` with DuckDB.

    Parameters
    ----------
    source : path, glob, list of them, or DataFrame
        Log files or folders (CSV, CSV.gz, Parquet, XES) as for
        :func:`divergence.read_logs`, glob patterns (``logs/*.parquet``), or a
        canonical event frame.
    columns : Columns, optional
        Column of each role; default: detected.
    memory_limit : str, optional
        DuckDB memory limit, e.g. ``"2GB"``; default DuckDB's (80 % of RAM).
    threads : int, optional
        Worker threads; default DuckDB's (all cores).
    temp_directory : path, optional
        Where DuckDB spills; default a fresh folder under the system temp
        folder, removed afterwards.
    deduplicate : bool, default True
        Drop exact duplicate events within a file as the pandas reader does.
        The one-sort plan detects them on the way; only a log that has some
        (or has runs of more than ``DUP_LOOKBACK + 1`` events with the same
        time in a case) is aggregated again with the general plan, which
        removes them with a window over all columns.
    checksums : bool, default True
        Record each file's SHA-256 in ``extra["sources"]`` (reads each file once more).
    unit_rule : {"first", "last", "most"}, default "first"
        The unit of a case whose unit column changes within it, as in
        :func:`divergence.read_logs` (no warning is issued here).

    Returns
    -------
    Aggregates
        ``extra`` holds ``engine``, ``plan`` (``one-sort`` or ``general``),
        ``seconds`` and ``sources`` (path, sha256, format, events per file).
    """
    from divergence.optional import require

    duckdb = require("duckdb", "duckdb", "the duckdb engine")

    t0 = time.perf_counter()
    keys = (columns or Columns()).by_role()
    own_temp = temp_directory is None
    tmp = Path(tempfile.mkdtemp(prefix="divergence-duckdb-")) if own_temp else Path(temp_directory)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET temp_directory = '{_lit(str(tmp))}'")
        con.execute("SET preserve_insertion_order = false")
        if memory_limit is not None:
            con.execute(f"SET memory_limit = '{_lit(str(memory_limit))}'")
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        plan = "one-sort"
        if isinstance(source, pd.DataFrame):
            relation, records = _register_frame(con, source), []
            tables, counts = _one_sort(con, relation, records, dup_check=False)
        else:
            relation, records, lifecycle = _events_sql(con, source, keys, False, dup_key=True, unit_rule=unit_rule)
            tables = None
            if not lifecycle:
                xes = any(r["format"] == "xes" for r in records)  # start times folded by the pandas reader
                tables, counts = _one_sort(con, relation, records, dup_check=deduplicate, service=xes)
            if tables is None:  # lifecycle folding, or duplicates to drop: the general plan
                plan = "general"
                relation, records, _ = _events_sql(con, source, keys, deduplicate, unit_rule=unit_rule)
                tables, counts = _general(con, relation, records)
        fill_sources(records, counts, checksums=checksums)
    finally:
        con.close()
        if own_temp:
            shutil.rmtree(tmp, ignore_errors=True)
    extra = {"engine": "duckdb", "plan": plan, "seconds": time.perf_counter() - t0, "sources": records}
    return to_aggregates({t: tables[t] for t in TABLES}, extra)


def _one_sort(con, relation: str, records: list[dict], *, dup_check: bool, service: bool = True):
    """Aggregates with one sort of the events (see :func:`one_sort_statements`).

    Returns ``(tables, events per source)``, or ``(None, None)`` when
    ``dup_check`` finds (possible) exact duplicates, which this plan cannot drop.
    """
    statements = one_sort_statements(relation, dup_check=dup_check, service=service)
    n_first = len(statements) - 2  # up to and including dv_cases
    for statement in statements[:n_first]:
        _run(con, statement, records)
    if dup_check and con.execute("SELECT coalesce(sum(bad), 0) FROM dv_cases").fetchall()[0][0]:
        for table in ("dv_dict", "dv_agg", "dv_cases"):
            con.execute(f"DROP TABLE {table}")
        return None, None
    for statement in statements[n_first:]:
        _run(con, statement, records)
    tables = {name: con.sql(q).df() for name, q in one_sort_queries().items()}
    counts = {int(k): int(n) for k, n in con.execute("SELECT k1, n FROM dv_agg WHERE tag = 4").fetchall()}
    return tables, counts


def _general(con, relation: str, records: list[dict]):
    """Aggregates from a stored, deduplicated event table (lifecycle folding, duplicates)."""
    _run(con, f"CREATE TEMP TABLE dv_ev AS {relation}", records)
    for statement in profile_statements(DUCKDB, "dv_ev"):
        con.execute(statement)
    tables = {name: con.sql(q).df() for name, q in result_queries(DUCKDB, "dv_ev").items()}
    counts = dict(con.sql("SELECT src, count(*) FROM dv_ev GROUP BY src").fetchall())
    return tables, counts


def input_files(source) -> list:
    """The log files ``source`` names, as ``divergence.io.read`` finds them, globs expanded."""
    from divergence.io.read import _find_sources  # the reader's own file finder

    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    expanded: list = []
    for item in items:
        text = str(item)
        if any(ch in text for ch in "*?[") and not Path(text).exists():
            hits = sorted(_glob.glob(text, recursive=True))
            if not hits:
                raise InputError(f"{text}: no file matches the pattern")
            expanded.extend(hits)
        else:
            expanded.append(item)
    found = _find_sources(expanded)
    ocel = [f for f in found if f.fmt.startswith("ocel-")]
    named = [f for f in ocel if f.process is None]
    if named or (ocel and len(ocel) == len(found)):
        raise InputError(f"{(named or ocel)[0].path}: OCEL 2.0 input is read by the pandas engine only (--engine pandas)")
    for f in ocel:  # found in a folder beside other logs: skipped, as the pandas reader skips them without --object-type
        from divergence.io.ocel import skipped_message

        warn("ocel_skipped", skipped_message(f.path), f.path)
    return [f for f in found if not f.fmt.startswith("ocel-")]


# --- helpers ------------------------------------------------------------------


def _register_frame(con, frame: pd.DataFrame) -> str:
    if len(frame) == 0:
        from divergence.errors import EmptyLogError

        raise EmptyLogError("no events to analyse")
    cols = {
        "process": frame[schema.PROCESS],
        "unit": frame[schema.UNIT],
        "case_id": frame[schema.CASE],
        "activity": frame[schema.ACTIVITY],
        "ts": frame[schema.TIMESTAMP],
        "resource": frame[schema.RESOURCE] if schema.RESOURCE in frame else None,
        "start_ts": frame["start_timestamp"] if "start_timestamp" in frame else pd.NaT,
    }
    df = pd.DataFrame(cols, index=frame.index).reset_index(drop=True)
    df["start_ts"] = pd.to_datetime(df["start_ts"], utc=True)
    df["ord"] = range(len(df))
    df["src"] = 0
    con.register("dv_frame", df)
    return (
        "SELECT src, ord, CAST(process AS VARCHAR) AS process, CAST(unit AS VARCHAR) AS unit, "
        "CAST(case_id AS VARCHAR) AS case_id, CAST(activity AS VARCHAR) AS activity, "
        "CAST(ts AS TIMESTAMPTZ) AS ts, CAST(resource AS VARCHAR) AS resource, "
        "CAST(start_ts AS TIMESTAMPTZ) AS start_ts FROM dv_frame"
    )


def _events_sql(con, source, keys: dict, deduplicate: bool, *, dup_key: bool = False,
                unit_rule: str = "first") -> tuple[str, list[dict], bool]:
    """SELECT of the cleaned events of all sources, their records, and whether any has a lifecycle column."""
    sources = input_files(source)
    lifecycle = False
    from divergence.io.read import loose_process

    fallback_process = loose_process(sources)
    parts: list[str] = []
    records: list[dict] = []
    parquet_groups: dict[tuple, list[int]] = {}
    for i, src in enumerate(sources):
        records.append({"path": str(src.path), "format": src.fmt, "events": 0})
        unit = strip_log_suffix(src.path)
        process = src.process or fallback_process
        if src.fmt == "csv":
            raw = (
                f"SELECT * EXCLUDE (ordinality), {i} AS _src, ordinality AS _row, '{_lit(unit)}' AS _dv_unit, "
                f"'{_lit(process)}' AS _dv_process FROM read_csv('{_lit(str(src.path))}', "
                "all_varchar = true, header = true, auto_detect = true) WITH ORDINALITY"
            )
            sql, lc = _canonical_sql(con, raw, src.path, keys, deduplicate, dup_key, unit_rule)
            parts.append(sql)
            lifecycle = lifecycle or lc
        elif src.fmt == "parquet":
            schema_ = tuple(con.sql(f"DESCRIBE SELECT * FROM read_parquet('{_lit(str(src.path))}')").fetchall())
            parquet_groups.setdefault(schema_, []).append(i)
        else:
            parts.append(_xes_sql(con, i, src, keys, process, dup_key, unit_rule))
    for g, members in enumerate(parquet_groups.values()):
        rows = ", ".join(
            f"('{_lit(str(sources[i].path))}', {i}, '{_lit(strip_log_suffix(sources[i].path))}', "
            f"'{_lit(sources[i].process or fallback_process)}')"
            for i in members
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE dv_files_{g} AS SELECT * FROM (VALUES {rows}) "
            "AS t(_dv_file, _src, _dv_unit, _dv_process)"
        )
        files = ", ".join(f"'{_lit(str(sources[i].path))}'" for i in members)
        raw = (
            f"SELECT r.* EXCLUDE (_dv_file, file_row_number), f._src, r.file_row_number + 1 AS _row, "
            f"f._dv_unit, f._dv_process FROM read_parquet([{files}], filename = '_dv_file', "
            f"file_row_number = true) AS r JOIN dv_files_{g} AS f USING (_dv_file)"
        )
        sql, lc = _canonical_sql(con, raw, sources[members[0]].path, keys, deduplicate, dup_key, unit_rule)
        parts.append(sql)
        lifecycle = lifecycle or lc
    union = " UNION ALL ".join(f"({p})" for p in parts)
    return f"SELECT * FROM ({union}) AS u", records, lifecycle


def _canonical_sql(con, raw: str, path: Path, keys: dict, deduplicate: bool, dup_key: bool,
                   unit_rule: str = "first") -> tuple[str, bool]:
    """SQL turning one raw source relation into cleaned canonical events; has it a lifecycle column?"""
    described = con.sql(f"DESCRIBE {raw}").fetchall()
    kinds = {name: _kind(typ) for name, typ, *_ in described}
    internal = {"_src", "_row", "_dv_unit", "_dv_process"}
    columns = [c for c in kinds if c not in internal]
    roles = detect_columns(columns, keys, path)
    lifecycle = LIFECYCLE in roles
    sql = clean_events_sql(DUCKDB, raw, roles, kinds, columns, path, deduplicate=deduplicate,
                           dup_key=dup_key and not lifecycle, unit_rule=unit_rule)
    return sql, lifecycle


def _kind(typ: str) -> str:
    typ = typ.upper()
    if typ == "VARCHAR":
        return "text"
    if typ in _INT_TYPES:
        return "int"
    if typ in _FLOAT_TYPES:
        return "float"
    if typ.startswith("TIMESTAMP") or typ == "DATE":
        return "timestamp"
    return typ


def _xes_sql(con, i: int, src, keys: dict, process: str, dup_key: bool = False, unit_rule: str = "first") -> str:
    ev = xes_events(src, keys, process, unit_rule=unit_rule)
    frame = pd.DataFrame(
        {
            "src": i,
            "ord": (i << _ROW_BITS) + ev["_row"].astype("int64"),
            "process": ev[schema.PROCESS].astype(object),
            "unit": ev[schema.UNIT].astype(object),
            "case_id": ev[schema.CASE].astype(object),
            "activity": ev[schema.ACTIVITY].astype(object),
            "ts": ev[schema.TIMESTAMP],
            "resource": ev[schema.RESOURCE].astype(object),
            "start_ts": pd.to_datetime(ev["start_timestamp"], utc=True) if "start_timestamp" in ev else pd.NaT,
        }
    )
    frame["start_ts"] = pd.to_datetime(frame["start_ts"], utc=True)
    name = f"dv_xes_{i}"
    con.register(name, frame)
    return (
        f"SELECT src, ord, CAST(process AS VARCHAR) AS process, CAST(unit AS VARCHAR) AS unit, "
        f"CAST(case_id AS VARCHAR) AS case_id, CAST(activity AS VARCHAR) AS activity, "
        f"CAST(ts AS TIMESTAMPTZ) AS ts, CAST(resource AS VARCHAR) AS resource, "
        f"CAST(start_ts AS TIMESTAMPTZ) AS start_ts{', CAST(NULL AS VARCHAR[]) AS dv_key' if dup_key else ''} FROM {name}"
    )


def _run(con, sql: str, records: list[dict]) -> None:
    import duckdb

    try:
        con.execute(sql)
    except duckdb.ConversionException as exc:
        first = str(exc).splitlines()[0]
        raise TimestampError(
            f"cannot parse a timestamp ({first}); use ISO 8601, e.g. 2024-01-31T09:30:00+00:00, "
            "or the pandas engine, which also guesses other formats"
        ) from None
    except duckdb.IOException as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"DuckDB cannot read the input ({first})") from None
    except duckdb.OutOfMemoryException as exc:
        raise OptionError(
            f"DuckDB ran out of memory ({str(exc).splitlines()[0]}); raise --memory-limit "
            "or give a temp directory with more free space"
        ) from None


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return text.replace("'", "''")
