"""Spark engine (PySpark): the profile step where Spark runs, local or on a cluster.

Reads Parquet and CSV (any path or URL Spark reads: local, ``hdfs://``,
``s3a://``...), detects columns from the schema as for files, cleans like the
pandas reader (missing case, activity or time dropped; control characters
stripped; times to UTC; exact duplicates dropped) and computes the aggregates
with Spark SQL: ``lag`` over (process, unit, case ordered by time, file, row)
for directly-follows pairs, ``array_sort`` of ``collect_list`` of structs for
variants and exact ``percentile`` for medians. Only the aggregates are
collected to the driver. Lifecycle start/complete folding is not done here:
a log with lifecycle ``start`` events is refused (use the pandas or DuckDB
engine).

Local inputs (all paths exist on the driver) are found as the pandas reader
finds them; XES files among them are read by the pandas reader and handed to
Spark as one relation. Anything else (URLs, cluster paths) is read by Spark
alone. ``extra["sources"]`` has one record per file (path, format, events),
with the SHA-256 for local files only. The unit of events without a unit
column is the file name without log extensions; their process follows the
file readers' rule for local inputs, and for remote ones is the file's name
when one file is named alone, else its parent folder's name. With a unit
column, a case's unit is that of its first event naming one (``--unit-rule
first``; the other rules need the pandas, DuckDB or PostgreSQL engine).
"""

from __future__ import annotations

import contextlib
import os
import time
from functools import reduce
from pathlib import Path
from urllib.parse import unquote, urlparse

import pandas as pd

from divergence import schema
from divergence.errors import ColumnError, DivergenceError, InputError, OptionError
from divergence.io.columns import LIFECYCLE, detect_columns
from divergence.io.safety import strip_log_suffix
from divergence.profile import Aggregates
from divergence.waits import wait_bin_sql

from ..options import Columns
from ._common import fill_sources, to_aggregates, xes_events

__all__ = ["aggregate_spark", "spark_session"]

_INTERNAL = ("_dv_file", "_dv_rid", "_dv_src", "_dv_unit", "_dv_process")
_UNSAFE = r"[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]"
_SESSIONS: dict[str, object] = {}


def spark_session(master: str = "local[*]"):
    """A SparkSession for ``master`` (UTC session time zone, no UI), reused."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    from divergence.optional import require

    SparkSession = require("pyspark.sql", "spark", "the spark engine").SparkSession
    spark = (
        SparkSession.builder.master(master)
        .appName("divergence")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("DIVERGENCE_SPARK_PARTITIONS", "8"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = spark
    return spark


def aggregate_spark(
    source,
    *,
    spark_master: str = "local[*]",
    columns: Columns | None = None,
) -> Aggregates:
    """Compute :class:`~divergence.profile.Aggregates` with Spark.

    Parameters
    ----------
    source : path, URL, list of them, or DataFrame
        Parquet or CSV files or folders (XES read by pandas), or a canonical frame.
    spark_master : str, default "local[*]"
        Spark master URL, e.g. ``spark://host:7077``.
    columns : Columns, optional
        Column of each role; default: detected.
    """
    t0 = time.perf_counter()
    keys = (columns or Columns()).by_role()
    spark = spark_session(spark_master or "local[*]")
    with _spark_errors(source):
        return _aggregate(spark, source, keys, spark_master, t0)


@contextlib.contextmanager
def _spark_errors(source):
    """Spark's and Py4J's exceptions (a path Spark cannot read, a bad file) as one-line :class:`InputError`."""
    try:
        yield
    except DivergenceError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("pyspark", "py4j"):
            raise
        if isinstance(source, pd.DataFrame):
            label = "events"
        elif isinstance(source, (str, os.PathLike)):
            label = str(source)
        else:
            label = ", ".join(map(str, source))
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        first = lines[0] if lines else type(exc).__name__
        raise InputError(f"{label}: Spark could not read it: {first[:300]}") from None


def _aggregate(spark, source, keys: dict, spark_master: str, t0: float) -> Aggregates:
    if isinstance(source, pd.DataFrame):
        events, records = _from_frames(spark, [(source, 0)]), []
    else:
        events, records = _read(spark, source, keys)
    events.createOrReplaceTempView("dv_ev")
    spark.catalog.cacheTable("dv_ev")
    try:
        if records:
            fill_sources(records, dict(spark.sql("SELECT src, count(*) FROM dv_ev GROUP BY src").collect()))
        # the per-case table feeds three results: computed (sorted lists) once
        spark.sql(_CASES).createOrReplaceTempView("dv_cases")
        spark.catalog.cacheTable("dv_cases")
        try:
            tables = {name: spark.sql(q).toPandas() for name, q in _queries().items()}
        finally:
            spark.catalog.uncacheTable("dv_cases")
    finally:
        spark.catalog.uncacheTable("dv_ev")
    extra = {"engine": "spark", "seconds": time.perf_counter() - t0, "sources": records, "master": spark_master}
    return to_aggregates(tables, extra)


_SEC = "(CAST(unix_micros({e}) - unix_micros({s}) AS DOUBLE) / 1e6)"
_CASES = f"""SELECT process, unit, case_id,
    concat_ws(char(31), transform(array_sort(collect_list(struct(ts, src, ord, activity))), x -> x.activity)) AS variant,
    count(*) AS n_events, min(ts) AS first_ts, max(ts) AS last_ts,
    {_SEC.format(s="min(ts)", e="max(ts)")} AS duration_s
  FROM dv_ev GROUP BY process, unit, case_id"""


def _queries() -> dict[str, str]:
    sec = _SEC
    cases = "dv_cases"
    pairs = f"""(SELECT process, unit, case_id, source, target, {sec.format(s="prev_ts", e="ts")} AS wait_s FROM (
        SELECT process, unit, case_id, activity AS target, ts,
               lag(activity) OVER w AS source, lag(ts) OVER w AS prev_ts
        FROM dv_ev WINDOW w AS (PARTITION BY process, unit, case_id ORDER BY ts, src, ord)) AS x
      WHERE source IS NOT NULL) AS p"""
    return {
        "variants": f"SELECT process, unit, variant, count(*) AS cases, percentile(duration_s, 0.5) AS median_duration_s FROM {cases} GROUP BY process, unit, variant",
        "edges": f"SELECT process, unit, source, target, count(*) AS events, count(DISTINCT case_id) AS cases, percentile(wait_s, 0.5) AS median_wait_s FROM {pairs} GROUP BY process, unit, source, target",
        "activities": f"SELECT process, unit, activity, count(*) AS events, count(DISTINCT case_id) AS cases, count(DISTINCT resource) AS resources, percentile({sec.format(s='start_ts', e='ts')}, 0.5) AS median_service_s FROM dv_ev GROUP BY process, unit, activity",
        "resources": "SELECT process, unit, activity, resource, count(*) AS events FROM dv_ev WHERE resource IS NOT NULL GROUP BY process, unit, activity, resource",
        "durations": f"SELECT process, unit, duration_s, count(*) AS cases FROM {cases} GROUP BY process, unit, duration_s",
        "units": f"SELECT process, unit, count(*) AS cases, sum(n_events) AS events, min(first_ts) AS first_ts, max(last_ts) AS last_ts FROM {cases} GROUP BY process, unit",
        "edge_waits": f"SELECT process, unit, source, target, bin, count(*) AS events FROM (SELECT process, unit, source, target, {wait_bin_sql('wait_s')} AS bin FROM {pairs}) AS b GROUP BY process, unit, source, target, bin",
    }


def _from_frames(spark, parts: list[tuple[pd.DataFrame, int]]):
    """Canonical event frames, each with its source index, as one Spark DataFrame."""
    from pyspark.sql import types as T

    df = pd.concat([_event_columns(frame, src) for frame, src in parts], ignore_index=True)
    fields = [
        T.StructField("src", T.LongType()), T.StructField("ord", T.LongType()),
        *(T.StructField(c, T.StringType()) for c in ("process", "unit", "case_id", "activity")),
        T.StructField("ts", T.TimestampType()), T.StructField("resource", T.StringType()),
        T.StructField("start_ts", T.TimestampType()),
    ]
    return spark.createDataFrame(df, schema=T.StructType(fields))


def _event_columns(frame: pd.DataFrame, src: int) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "src": src,
            "ord": (frame["_row"].astype("int64").to_numpy() if "_row" in frame else range(len(frame))),
            "process": frame[schema.PROCESS].astype(object),
            "unit": frame[schema.UNIT].astype(object),
            "case_id": frame[schema.CASE].astype(object),
            "activity": frame[schema.ACTIVITY].astype(object),
            "ts": frame[schema.TIMESTAMP],
            "resource": frame[schema.RESOURCE].astype(object).where(frame[schema.RESOURCE].notna(), None)
            if schema.RESOURCE in frame else None,
            "start_ts": pd.to_datetime(frame["start_timestamp"], utc=True) if "start_timestamp" in frame else pd.NaT,
        }
    )
    df["start_ts"] = pd.to_datetime(df["start_ts"], utc=True)
    return df


def _read(spark, source, keys: dict):
    """The cleaned events of all inputs, and a record (path, format) per file; ``src`` indexes the records."""
    from pyspark.sql import functions as F

    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    frames, records, reads, xes = [], [], [], []
    if all(Path(str(i)).exists() for i in items):  # local: files as the pandas reader finds them
        from .duckdb import input_files

        files = input_files(items)
        from divergence.io.read import loose_process

        fallback = loose_process(files)
        records = [{"path": str(f.path), "format": f.fmt} for f in files]
        groups: dict[tuple[str, str], list[int]] = {}
        for k, f in enumerate(files):
            if f.fmt == "xes":
                xes.append((xes_events(f, keys, f.process or fallback), k))
            else:  # CSV files are read together when their headers are the same
                groups.setdefault((f.fmt, _header(f.path) if f.fmt == "csv" else ""), []).append(k)
        for (fmt, _), members in groups.items():
            known = {files[k].path.resolve(): (k, files[k].process or fallback) for k in members}
            reads.append((fmt, [str(p) for p in known], known))
        if xes:  # all XES files in one local relation
            frames.append(_from_frames(spark, xes))
    else:  # paths and URLs only Spark reads: no hash; process = parent folder
        reads = [("csv" if ".csv" in str(i).lower() else "parquet", [str(i)], None) for i in items]
    for fmt, paths, known in reads:
        df = spark.read.option("header", True).csv(paths) if fmt == "csv" else spark.read.parquet(*paths)
        rows = []
        uris = df.inputFiles()
        for uri in uris:  # the names input_file_name() gives
            path = Path(unquote(urlparse(uri).path))
            if known is None:
                # as for local files: one file named alone is its own process, else its folder is
                alone = len(items) == 1 and len(uris) == 1 and str(items[0]).rstrip("/").endswith(path.name)
                process = strip_log_suffix(path) if alone else path.parent.name or "process"
                rows.append((uri, len(records), strip_log_suffix(path), process))
                records.append({"path": uri, "format": fmt})
            else:
                k, process = known[path]
                rows.append((uri, k, strip_log_suffix(files[k].path), process))
        table = spark.createDataFrame(rows, "_dv_file string, _dv_src long, _dv_unit string, _dv_process string")
        df = df.withColumn("_dv_file", F.input_file_name()).withColumn("_dv_rid", F.monotonically_increasing_id())
        frames.append(_clean(df.join(F.broadcast(table), "_dv_file"), keys, paths[0]))
    return reduce(lambda a, b: a.unionByName(b), frames), records


def _clean(df, keys: dict, label: str):
    """Canonical events of one read: roles detected from its schema; unit and process defaults per file."""
    from pyspark.sql import functions as F

    columns = [c for c in df.columns if c not in _INTERNAL]
    roles = detect_columns(columns, keys, Path(label))
    types = dict(df.dtypes)
    if LIFECYCLE in roles:
        starts = df.filter(F.lower(F.trim(F.col(f"`{roles[LIFECYCLE]}`").cast("string"))) == "start").limit(1).count()
        if starts:
            raise OptionError(f"{label}: lifecycle start events are folded by the pandas and duckdb engines only")

    def text(role: str):
        name = roles[role]
        c = F.col(f"`{name}`")
        t = types[name]
        if t in ("double", "float") and role != schema.ACTIVITY:
            return F.when(c == F.floor(c), c.cast("long").cast("string"))
        if t.startswith("struct") or t.startswith("array") or t.startswith("map"):
            raise ColumnError(f"{label}: {role} column {name!r} holds {t} values; expected text or integers")
        return c.cast("string")

    def blank(c):
        return c.isNull() | c.rlike(r"^\s*$")

    def clean(c):
        return F.regexp_replace(c, _UNSAFE.replace("\\\\", "\\"), "")

    def filled(role: str, default):
        if role not in roles:
            return default
        return clean(F.when(blank(text(role)), default).otherwise(text(role)))

    act = clean(text(schema.ACTIVITY))
    ts_col = F.col(f"`{roles[schema.TIMESTAMP]}`")
    ts = F.when(blank(ts_col.cast("string")), None).otherwise(ts_col.cast("timestamp"))
    others = [c for c in columns if c not in {roles[r] for r in roles if r != LIFECYCLE}]
    has_unit = schema.UNIT in roles
    # with a unit column: NULL for now, then the unit of the case's first event naming one
    unit = F.when(blank(text(schema.UNIT)), None).otherwise(clean(text(schema.UNIT))) if has_unit else F.col("_dv_unit")
    out = df.select(
        F.col("_dv_src").alias("src"),
        F.col("_dv_rid"),
        F.col("_dv_unit").alias("_dv_default_unit"),
        filled(schema.PROCESS, F.col("_dv_process")).alias("process"),
        unit.alias("unit"),
        text(schema.CASE).alias("case_id"),
        act.alias("activity"),
        ts.alias("ts"),
        (text(schema.RESOURCE) if schema.RESOURCE in roles else F.lit(None).cast("string")).alias("resource"),
        *(F.col(f"`{c}`").cast("string").alias(f"o{k}") for k, c in enumerate(others)),
    )
    out = out.filter(~blank(F.col("case_id")) & F.col("activity").isNotNull() & F.col("ts").isNotNull())
    if has_unit:  # --unit-rule first, as the other engines
        from pyspark.sql import Window

        case = (
            Window.partitionBy("src", "process", "case_id")
            .orderBy("ts", "_dv_rid")
            .rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
        )
        out = out.withColumn(
            "unit", F.coalesce(F.first("unit", ignorenulls=True).over(case), F.col("_dv_default_unit"))
        )
    # exact duplicates within a file: the first row is kept
    group = ["src", "process", "unit", "case_id", "activity", "ts", "resource", *(f"o{k}" for k in range(len(others)))]
    out = out.groupBy(*group).agg(F.min("_dv_rid").alias("ord"))
    return out.select(
        "src", "ord", "process", "unit", "case_id", "activity", "ts", "resource",
        F.lit(None).cast("timestamp").alias("start_ts"),
    )


def _header(path: Path) -> str:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        return fh.readline().strip()
