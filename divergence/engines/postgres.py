"""PostgreSQL engine: the profile step runs inside the database.

The events are a table (``sql_table``) or the result of a query
(``sql_query``). Columns are detected from the relation's column names as
for files (or named with the usual ``*_key`` options). The cleaning and the
aggregation are the shared SQL of :mod:`divergence.engines.sql`, run in
temporary tables of one session; only the six aggregate tables cross the
wire. Needs SQLAlchemy and a driver (``pip install 'divergence[postgres]'``
brings ``psycopg``); the user needs only SELECT rights and the right to
create temporary tables.

Events without a unit or process column get the table name (or ``query``)
as unit and process. Ties in time within a case are broken by the order in
which the database returns the rows of the table or query; give the query
an ``ORDER BY`` when that order matters.
"""

from __future__ import annotations

import time
from pathlib import Path

from divergence.errors import InputError, OptionError, TimestampError
from divergence.io.columns import detect_columns
from divergence.profile import Aggregates

from ..options import Columns
from ._common import to_aggregates
from .sql import POSTGRES, TABLES, clean_events_sql, profile_statements, result_queries

__all__ = ["aggregate_postgres"]

_KINDS = {
    "text": "text", "character varying": "text", "character": "text", "name": "text", "citext": "text",
    "smallint": "int", "integer": "int", "bigint": "int", "boolean": "int",
    "real": "float", "double precision": "float",
    "timestamp with time zone": "timestamp", "timestamp without time zone": "timestamp", "date": "timestamp",
}


def aggregate_postgres(
    url: str,
    *,
    sql_table: str | None = None,
    sql_query: str | None = None,
    columns: Columns | None = None,
    deduplicate: bool = True,
    unit_rule: str = "first",
) -> Aggregates:
    """Compute :class:`~divergence.profile.Aggregates` inside a PostgreSQL database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``postgresql+psycopg://user:password@host:5432/db``.
    sql_table : str, optional
        Table or view with the events, optionally ``schema.table``.
    sql_query : str, optional
        A SELECT returning the events (instead of ``sql_table``).
    columns : Columns, optional
        Column of each role; default: detected.
    deduplicate : bool, default True
        Drop exact duplicate rows, as the file readers do.

    Returns
    -------
    Aggregates
        ``extra``: ``engine`` ("postgres"), ``seconds``, ``sources``
        (one record: the URL without password, and the event count).

    Raises
    ------
    OptionError
        Neither or both of ``sql_table`` and ``sql_query``.
    InputError
        The database cannot be reached or the table or query fails.
    """
    if (sql_table is None) == (sql_query is None):
        raise OptionError("give exactly one of sql_table (--sql-table) and sql_query (--sql-query)")
    from divergence.optional import require

    sa = require("sqlalchemy", "postgres", "the postgres engine")
    t0 = time.perf_counter()
    keys = (columns or Columns()).by_role()
    if sql_table is not None:
        relation = ".".join('"' + part.replace('"', '""') + '"' for part in sql_table.split("."))
        label = sql_table.split(".")[-1]
    else:
        relation = f"({sql_query.strip().rstrip(';')}) AS q"
        label = "query"
    try:
        engine = sa.create_engine(url)
        safe_url = engine.url.render_as_string(hide_password=True)
    except ImportError as exc:  # the URL's driver (e.g. psycopg) is not installed
        require(exc.name or "psycopg", "postgres", "the postgres engine")
        raise OptionError(f"cannot use the database URL: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several kinds for a bad URL
        raise OptionError(f"cannot use the database URL: {exc}") from None
    try:
        with engine.connect() as conn:
            raw_conn = conn.connection.driver_connection
            cur = raw_conn.cursor()
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute(f"CREATE TEMPORARY VIEW dv_src AS SELECT * FROM {relation}")
            cur.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 'dv_src'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            )
            described = cur.fetchall()
            kinds = {name: _kind(typ) for name, typ in described}
            columns = [name for name, _ in described]
            roles = detect_columns(columns, keys, Path(label))
            lit = label.replace("'", "''")
            raw = (
                "SELECT *, 0 AS _src, row_number() OVER () AS _row, "
                f"CAST('{lit}' AS VARCHAR) AS _dv_unit, CAST('{lit}' AS VARCHAR) AS _dv_process FROM dv_src"
            )
            events = clean_events_sql(
                POSTGRES, raw, roles, kinds, columns, label, deduplicate=deduplicate, unit_rule=unit_rule
            )
            try:
                cur.execute(f"CREATE TEMPORARY TABLE dv_ev AS {events}")
            except Exception as exc:  # noqa: BLE001 - driver errors
                if "timestamp" in str(exc).lower() or "time zone" in str(exc).lower():
                    raise TimestampError(
                        f"{label}: cannot parse a timestamp ({str(exc).splitlines()[0]}); "
                        "store timestamps as timestamptz or ISO 8601 text"
                    ) from None
                raise
            cur.execute("ANALYZE dv_ev")
            for statement in profile_statements(POSTGRES, "dv_ev"):
                cur.execute(statement)
            tables = {}
            for name, query in result_queries(POSTGRES, "dv_ev").items():
                cur.execute(query)
                names = [d.name for d in cur.description]
                import pandas as pd

                tables[name] = pd.DataFrame(cur.fetchall(), columns=names)
            cur.execute("SELECT count(*) FROM dv_ev")
            n_events = int(cur.fetchone()[0])
            raw_conn.rollback()  # temporary tables and view go with the transaction
    except (InputError, OptionError):
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise InputError(f"cannot query the database: {str(exc).splitlines()[0]}") from None
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            raise InputError(f"{label}: the database reports: {str(exc).splitlines()[0]}") from None
        raise
    finally:
        engine.dispose()
    source = {"path": f"{safe_url} {sql_table or 'query'}", "format": "postgres", "events": n_events}
    extra = {"engine": "postgres", "seconds": time.perf_counter() - t0, "sources": [source]}
    return to_aggregates({t: tables[t] for t in TABLES}, extra)


def _kind(typ: str) -> str:
    base = typ.split("(")[0].strip()
    if base in _KINDS:
        return _KINDS[base]
    return "float" if base == "numeric" else base
