"""Engines for the profile step: compute the aggregates where the data lives.

The profile step (variants, directly-follows edges, activity and resource
statistics, case durations) is the only step that touches events. Each
engine computes the same :class:`~divergence.profile.Aggregates` from its
source, and :func:`divergence.profile.assemble_profiles` turns them into unit
profiles; everything after is unchanged. Only aggregates cross the wire.

=========  ==============================================  ====================
engine     source                                          where it runs
=========  ==============================================  ====================
pandas     files/folders (XES, CSV, Parquet) or a frame    in memory (default)
duckdb     CSV/Parquet files, folders, globs; XES; frame   embedded, spills to disk
postgres   SQLAlchemy URL + ``sql_table`` or ``sql_query``  inside the database
spark      Parquet/CSV paths or URLs Spark reads            local[*] or a cluster
=========  ==============================================  ====================

``engine="auto"`` picks postgres when ``sql_table``/``sql_query`` is given,
DuckDB when the input files total more than :data:`AUTO_DUCKDB_BYTES` on
disk, else pandas.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from divergence.errors import OptionError
from divergence.options import Columns
from divergence.profile import Aggregates, UnitProfile, aggregate_events, assemble_profiles

__all__ = [
    "AUTO_DUCKDB_BYTES",
    "ENGINES",
    "aggregate",
    "choose_engine",
    "profile_source",
]

#: Above this total input size on disk, ``engine="auto"`` uses DuckDB (2 GiB).
AUTO_DUCKDB_BYTES = 2 * 1024**3

def _pandas(source, **kw) -> Aggregates:
    from divergence.io import read_logs

    t0 = time.perf_counter()
    if isinstance(source, pd.DataFrame):
        events, sources = source, []
    else:
        events = read_logs(source, columns=kw.get("columns"), unit_rule=kw.get("unit_rule") or "first")
        sources = list(events.attrs.get("sources", []))
    agg = aggregate_events(events)
    from ._common import to_aggregates

    tables = {t: getattr(agg, t) for t in ("variants", "edges", "activities", "resources", "durations", "units",
                                           "edge_waits")}
    return to_aggregates(tables, {"engine": "pandas", "seconds": time.perf_counter() - t0, "sources": sources})


def _duckdb(source, **kw) -> Aggregates:
    from .duckdb import aggregate_duckdb

    return aggregate_duckdb(source, **kw)


def _postgres(source, **kw) -> Aggregates:
    from .postgres import aggregate_postgres

    return aggregate_postgres(source, **kw)


def _spark(source, **kw) -> Aggregates:
    from .spark import aggregate_spark

    return aggregate_spark(source, **kw)


#: Engine name -> (function, options it accepts besides the column keys).
ENGINES: dict[str, tuple[Callable[..., Aggregates], tuple[str, ...]]] = {
    "pandas": (_pandas, ("unit_rule",)),
    "duckdb": (_duckdb, ("memory_limit", "threads", "temp_directory", "unit_rule")),
    "postgres": (_postgres, ("sql_table", "sql_query", "unit_rule")),
    "spark": (_spark, ("spark_master",)),
}


def aggregate(
    source,
    *,
    engine: str = "auto",
    columns: Columns | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike | None = None,
    sql_table: str | None = None,
    sql_query: str | None = None,
    spark_master: str | None = None,
    unit_rule: str | None = None,
    **column_keys: str | None,
) -> Aggregates:
    """Compute the profile aggregates of ``source`` with one engine.

    Parameters
    ----------
    source : path, list of paths, glob, DataFrame, or SQLAlchemy URL
        Log files and folders (as for :func:`divergence.read_logs`), a
        canonical event frame (pandas, duckdb), a database URL such as
        ``postgresql+psycopg://user:pw@host:5432/db`` (postgres), or paths
        and URLs Spark reads (spark).
    engine : {"auto", "pandas", "duckdb", "postgres", "spark"}, default "auto"
        See :func:`choose_engine` for ``"auto"``.
    columns : Columns, optional
        Column of each role; default: detected from the header or schema.
        pm4py's keywords (``case_id_key=``, ...) are accepted instead.
    memory_limit, threads, temp_directory
        DuckDB only: memory limit (``"4GB"``), worker threads, spill folder.
    sql_table, sql_query
        PostgreSQL only, exactly one: the table (``schema.table``) or the
        ``SELECT`` holding the events.
    spark_master : str, optional
        Spark only: master URL; default ``local[*]``.
    unit_rule : {"first", "last", "most"}, optional
        pandas, duckdb, postgres: the unit of a case whose unit column
        changes within it (default ``first``; see :func:`divergence.read_logs`).
        The spark engine does not apply it (a case is split over its units).

    Returns
    -------
    Aggregates
        Sorted, typed as the pandas engine's; ``extra`` has ``engine``,
        ``seconds`` (wall time of the step) and ``sources``.

    Raises
    ------
    OptionError
        Unknown engine, or an option the chosen engine does not take.
    """
    options = {
        "memory_limit": memory_limit,
        "threads": threads,
        "temp_directory": temp_directory,
        "sql_table": sql_table,
        "sql_query": sql_query,
        "spark_master": spark_master,
        "unit_rule": unit_rule,
    }
    name = choose_engine(source, sql_table=sql_table, sql_query=sql_query) if engine == "auto" else engine
    if name not in ENGINES:
        raise OptionError(f"unknown engine {engine!r}; valid: auto, {', '.join(ENGINES)}")
    func, accepted = ENGINES[name]
    stray = [k for k, v in options.items() if v is not None and k not in accepted]
    if stray:
        raise OptionError(
            f"option(s) {', '.join(stray)} do not apply to the {name} engine"
        )
    kw = {k: v for k, v in options.items() if k in accepted and v is not None}
    return func(source, columns=Columns.resolve(columns, column_keys), **kw)


def choose_engine(source, *, sql_table: str | None = None, sql_query: str | None = None,
                  threshold: int = AUTO_DUCKDB_BYTES) -> str:
    """The engine ``engine="auto"`` uses for ``source``.

    ``"postgres"`` when a table or query is named; ``"duckdb"`` when the CSV
    and Parquet files of ``source`` total more than ``threshold`` bytes on
    disk (2 GiB by default) and DuckDB is installed; else ``"pandas"``.
    """
    if sql_table is not None or sql_query is not None:
        return "postgres"
    if isinstance(source, pd.DataFrame):
        return "pandas"
    try:
        from .duckdb import input_files

        files = input_files(source)
    except Exception:  # the pandas reader reports a bad path with its own message
        return "pandas"
    size = sum(Path(f.path).stat().st_size for f in files if f.fmt in ("csv", "parquet"))
    if size <= threshold:
        return "pandas"
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return "pandas"
    return "duckdb"


def profile_source(source, *, min_cases_evidence: int = 30, **options) -> dict[str, dict[str, UnitProfile]]:
    """:func:`aggregate` then :func:`~divergence.profile.assemble_profiles`.

    Returns ``{process: {unit: UnitProfile}}`` ready for
    ``divergence.analyse_events(None, profiles=...)``.
    """
    return assemble_profiles(aggregate(source, **options), min_cases_evidence=min_cases_evidence)
