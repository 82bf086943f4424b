"""Spark engine (PySpark): the profile step where Spark runs, local or on a cluster.

Reads Parquet and CSV (any path or URL Spark reads: local, ``hdfs://``,
``s3a://``...), detects columns from the schema as for files, cleans like the
pandas reader (missing case, activity or time dropped; control characters
stripped; times to UTC; exact duplicates dropped) and computes the aggregates
with Spark SQL: ``lag`` over (process, unit, case ordered by time, file, row)
for directly-follows pairs, ``array_sort`` of ``collect_list`` of structs for
variants and exact ``percentile`` for medians. Only the aggregates are
collected to the driver. XES files are read by the pandas reader and handed
to Spark. Lifecycle start/complete folding is not done here: a log with
lifecycle ``start`` events is refused (use the pandas or DuckDB engine).

The unit of events without a unit column is the file name without log
extensions; their process follows the file readers' rule for local inputs,
and is the parent folder's name for remote ones.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd

from divergence import schema
from divergence.errors import ColumnError, OptionError
from divergence.io.columns import LIFECYCLE, detect_columns
from divergence.profile import Aggregates

from ._common import keys_of, to_aggregates

__all__ = ["aggregate_spark", "spark_session"]

_UNSAFE = r"[\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]"
_SESSIONS: dict[str, object] = {}


def spark_session(master: str = "local[*]"):
    """A SparkSession for ``master`` (UTC session time zone, no UI), reused."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise OptionError("the spark engine needs PySpark: pip install 'divergence[spark]'") from None
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
    case_id_key: str | None = None,
    activity_key: str | None = None,
    timestamp_key: str | None = None,
    resource_key: str | None = None,
    unit_key: str | None = None,
    process_key: str | None = None,
) -> Aggregates:
    """Compute :class:`~divergence.profile.Aggregates` with Spark.

    Parameters
    ----------
    source : path, URL, list of them, or DataFrame
        Parquet or CSV files or folders (XES read by pandas), or a canonical frame.
    spark_master : str, default "local[*]"
        Spark master URL, e.g. ``spark://host:7077``.
    case_id_key, ... process_key : str, optional
        Column of each role; default: detected from the schema.
    """
    t0 = time.perf_counter()
    keys = keys_of(locals())
    spark = spark_session(spark_master or "local[*]")
    if isinstance(source, pd.DataFrame):
        events = _from_frame(spark, source, 0)
    else:
        events = _read(spark, source, keys)
    events.createOrReplaceTempView("dv_ev")
    spark.catalog.cacheTable("dv_ev")
    try:
        # the per-case table feeds three results: computed (sorted lists) once
        spark.sql(_CASES).createOrReplaceTempView("dv_cases")
        spark.catalog.cacheTable("dv_cases")
        try:
            tables = {name: spark.sql(q).toPandas() for name, q in _queries().items()}
        finally:
            spark.catalog.uncacheTable("dv_cases")
    finally:
        spark.catalog.uncacheTable("dv_ev")
    extra = {"engine": "spark", "seconds": time.perf_counter() - t0, "sources": [], "master": spark_master}
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
    }


def _from_frame(spark, frame: pd.DataFrame, src: int):
    from pyspark.sql import types as T

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
    fields = [
        T.StructField("src", T.LongType()), T.StructField("ord", T.LongType()),
        *(T.StructField(c, T.StringType()) for c in ("process", "unit", "case_id", "activity")),
        T.StructField("ts", T.TimestampType()), T.StructField("resource", T.StringType()),
        T.StructField("start_ts", T.TimestampType()),
    ]
    return spark.createDataFrame(df, schema=T.StructType(fields))


def _read(spark, source, keys: dict):
    from pyspark.sql import functions as F

    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    local = all(Path(str(i)).exists() for i in items)
    frames = []
    if local:
        from .duckdb import input_files

        files = input_files(items)
        fallback = files[0].path.resolve().parent.name or "process"
        groups: dict[tuple[str, str, str], list[str]] = {}
        for k, f in enumerate(files):
            if f.fmt == "xes":
                from divergence.io.clean import canonical_events
                from divergence.io.columns import wanted_xes_keys
                from divergence.io.safety import default_max_bytes, strip_log_suffix
                from divergence.io.xes import read_xes

                event_keys, trace_keys = wanted_xes_keys(keys)
                raw = read_xes(f.path, event_keys=event_keys, trace_keys=trace_keys, max_bytes=default_max_bytes())
                roles = detect_columns([c for c in raw.columns if c != "_row"], keys, f.path)
                ev = canonical_events(raw, roles, f.path, unit=strip_log_suffix(f.path),
                                      process=f.process or fallback)
                frames.append(_from_frame(spark, ev, k))
            else:
                key = (f.fmt, _header(f.path) if f.fmt == "csv" else "", f.process or fallback)
                groups.setdefault(key, []).append(str(f.path.resolve()))
        plan = [(fmt, paths, process) for (fmt, _, process), paths in groups.items()]
    else:
        plan = [("csv" if ".csv" in str(i).lower() else "parquet", [str(i)], None) for i in items]
    for fmt, paths, process in plan:
        reader = spark.read.option("header", True) if fmt == "csv" else spark.read
        df = reader.csv(paths) if fmt == "csv" else reader.parquet(*paths)
        df = df.withColumn("_file", F.col("_metadata.file_path")).withColumn("_rid", F.monotonically_increasing_id())
        frames.append(_clean(df, keys, paths[0], process))
    out = frames[0]
    for f in frames[1:]:
        out = out.unionByName(f)
    return out


def _clean(df, keys: dict, label: str, process: str | None):
    from pyspark.sql import functions as F

    columns = [c for c in df.columns if c not in ("_file", "_rid")]
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

    stem = F.regexp_extract(F.col("_file"), r"([^/]+?)(\.xes\.gz|\.xes|\.csv\.gz|\.csv|\.parquet|\.pq)?$", 1)
    parent = F.lit(process) if process else F.element_at(F.split(F.col("_file"), "/"), -2)

    def filled(role: str, default):
        if role not in roles:
            return default
        return clean(F.when(blank(text(role)), default).otherwise(text(role)))

    act = clean(text(schema.ACTIVITY))
    ts_col = F.col(f"`{roles[schema.TIMESTAMP]}`")
    ts = F.when(blank(ts_col.cast("string")), None).otherwise(ts_col.cast("timestamp"))
    others = [c for c in columns if c not in {roles[r] for r in roles if r != LIFECYCLE}]
    out = df.select(
        F.col("_file"),
        F.col("_rid"),
        filled(schema.PROCESS, parent).alias("process"),
        filled(schema.UNIT, stem).alias("unit"),
        text(schema.CASE).alias("case_id"),
        act.alias("activity"),
        ts.alias("ts"),
        (text(schema.RESOURCE) if schema.RESOURCE in roles else F.lit(None).cast("string")).alias("resource"),
        *(F.col(f"`{c}`").cast("string").alias(f"o{k}") for k, c in enumerate(others)),
    )
    out = out.filter(~blank(F.col("case_id")) & ~blank(text(schema.ACTIVITY).alias("a")) if False else
                     ~blank(F.col("case_id")) & F.col("activity").isNotNull() & F.col("ts").isNotNull())
    group = ["_file", "process", "unit", "case_id", "activity", "ts", "resource", *(f"o{k}" for k in range(len(others)))]
    out = out.groupBy(*group).agg(F.min("_rid").alias("ord"))
    return out.select(
        F.col("_file").alias("src_file"),
        "ord", "process", "unit", "case_id", "activity", "ts", "resource",
        F.lit(None).cast("timestamp").alias("start_ts"),
    ).withColumn("src", F.xxhash64("src_file")).drop("src_file")


def _header(path: Path) -> str:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        return fh.readline().strip()
